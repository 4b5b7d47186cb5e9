-- +goose Up
-- Party nodes (docs/nodes.md). node_settings says which of the three modes
-- a database serves (key mode: hub, node or single; absent = single) and,
-- on a node, its party and its hub (party, hub_url, hub_origin,
-- hub_log_vkey).
CREATE TABLE node_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- On the hub: the keys the mediator trusts for each party, registered with
-- `parley party trust` after comparing fingerprints out of band. kind is
-- "statement" (signs the party's statements and requests) or "witness"
-- (cosigns checkpoints). A key is never removed: old statements stay
-- verifiable.
CREATE TABLE party_keys (
    party      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    key_name   TEXT NOT NULL,
    vkey       TEXT NOT NULL UNIQUE,
    trusted_at TEXT NOT NULL,
    PRIMARY KEY (party, kind, vkey)
);

-- On the hub: every party statement applied, by its id, so that a node
-- that sends one again (it did not hear the answer) gets the first answer
-- and nothing is applied twice. idx is the log entry that recorded it.
CREATE TABLE hub_statements (
    id          TEXT PRIMARY KEY,
    party       TEXT NOT NULL,
    type        TEXT NOT NULL,
    subject     TEXT NOT NULL,
    note        TEXT NOT NULL,
    idx         BIGINT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX hub_statements_subject ON hub_statements (subject);

-- +goose Down
DROP TABLE hub_statements;
DROP TABLE party_keys;
DROP TABLE node_settings;
