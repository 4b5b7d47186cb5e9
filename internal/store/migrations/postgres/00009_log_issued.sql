-- +goose Up
-- What the log promised to someone outside the server: every checkpoint
-- size it served and every receipt it issued, with the root hash (and, for
-- a receipt, the entry's leaf hash) it showed. At start-up the server
-- checks these against the stored tree and refuses to serve if any no
-- longer holds: a log that lost entries it had signed must not append new
-- ones at the same indexes (a fork of its own making).
-- kind is 'checkpoint' or 'receipt'; idx is the receipt's entry (-1 for a
-- checkpoint).
CREATE TABLE log_issued (
    kind      TEXT NOT NULL,
    size      BIGINT NOT NULL,
    idx       BIGINT NOT NULL,
    root      BYTEA NOT NULL,
    leaf      BYTEA NOT NULL,
    subject   TEXT NOT NULL DEFAULT '',
    issued_at TEXT NOT NULL,
    PRIMARY KEY (kind, size, idx)
);

-- +goose Down
DROP TABLE log_issued;
