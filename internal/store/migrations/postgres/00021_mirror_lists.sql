-- +goose Up
-- The lists a node fetched from the hub: the canonical bytes as received
-- (parley-list/v1), the log entry that recorded their hand-over and its
-- content hash. The list itself is also stored among the node's own lists,
-- handed over, so that matching and acknowledging work as for any list;
-- these bytes are what a later re-check compares the hub's copy with.
CREATE TABLE mirror_lists (
    list_id      TEXT PRIMARY KEY,
    idx          BIGINT NOT NULL,
    content_hash TEXT NOT NULL,
    data         BYTEA NOT NULL,
    received_at  TEXT NOT NULL,
    checked_at   TEXT NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE mirror_lists;
