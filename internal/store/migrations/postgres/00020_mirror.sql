-- +goose Up
-- A party's node keeps its own verified copy of the hub's signed log: the
-- entries and the tree's stored hashes (tlog layout, as log_entries and
-- log_hashes keep the log on the hub), how far the copy is verified, the
-- alarms raised when the hub's log contradicts what the node verified
-- before, and the other nodes it compares checkpoints with (split view).
-- Entries and hashes are append-only and written with mirror_state in one
-- transaction, so that the copy is always a verified prefix of the log.

CREATE TABLE mirror_entries (
    idx        BIGINT PRIMARY KEY,
    data       BYTEA NOT NULL,
    event_type TEXT NOT NULL,
    subject    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mirror_entries_subject ON mirror_entries(subject, event_type);

CREATE TABLE mirror_hashes (
    idx  BIGINT PRIMARY KEY,
    hash BYTEA NOT NULL
);

-- The single state row. size and root: the entries held and verified;
-- log_size, log_root and checkpoint: the latest signed checkpoint of the
-- hub that the node verified (size is at most log_size; a sync cut short
-- leaves size below it, proven consistent with that checkpoint).
CREATE TABLE mirror_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    origin     TEXT NOT NULL,
    size       BIGINT NOT NULL,
    root       BYTEA NOT NULL,
    log_size   BIGINT NOT NULL,
    log_root   BYTEA NOT NULL,
    checkpoint TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Alarms: something the hub served contradicts what the node verified.
-- One row per kind and subject; seen again, only last_seen moves. An
-- alarm stays until an officer acknowledges it (acked_by, acked_at).
CREATE TABLE node_alarms (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    params     TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    acked_by   TEXT NOT NULL DEFAULT '',
    acked_at   TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX node_alarms_subject ON node_alarms(kind, subject);

-- Other nodes whose verified checkpoints this node compares with its own.
CREATE TABLE node_peers (
    url        TEXT PRIMARY KEY,
    added_at   TEXT NOT NULL,
    last_size  BIGINT NOT NULL DEFAULT 0,
    last_seen  TEXT NOT NULL DEFAULT '',
    last_error TEXT NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE node_peers;
DROP TABLE node_alarms;
DROP TABLE mirror_state;
DROP TABLE mirror_hashes;
DROP TABLE mirror_entries;
