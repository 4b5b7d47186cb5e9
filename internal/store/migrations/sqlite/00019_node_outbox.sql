-- +goose Up
-- On a node: the signed statements waiting for the hub, written in the
-- same transaction as the local change they state, sent by the node's
-- background sender (or right away by the command line) and kept after
-- sending with the hub's log index. The hub is idempotent on the
-- statement id, so sending again after a crash cannot apply it twice.
-- refused_at is set when the hub refused the statement for good (4xx):
-- it is not sent again and an officer sees why in last_error.
CREATE TABLE node_outbox (
    id          TEXT PRIMARY KEY,
    seq         BIGINT NOT NULL UNIQUE,
    type        TEXT NOT NULL,
    subject     TEXT NOT NULL,
    note        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    sent_at     TEXT NOT NULL DEFAULT '',
    refused_at  TEXT NOT NULL DEFAULT '',
    hub_index   BIGINT NOT NULL DEFAULT -1
);
CREATE INDEX node_outbox_pending ON node_outbox (sent_at, refused_at, seq);

-- +goose Down
DROP TABLE node_outbox;
