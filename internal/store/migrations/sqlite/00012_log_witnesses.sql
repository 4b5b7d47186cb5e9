-- +goose Up
-- Witnesses registered by their own verifier key (C2SP signed-note vkey,
-- cosignature/v1), any standard C2SP tlog-witness, optionally on behalf of
-- a party, and the agreement policy that says whose cosignatures make a
-- checkpoint agreed. Both are projections of logged events
-- (witness.added, witness.removed, policy.set): the log is the record,
-- these tables are what the server acts on.

-- name is the registry name (the policy refers to it); key_name is the
-- name in the witness's cosignature lines, unique so that each line maps
-- to one witness. last_status and last_attempt_at describe the latest
-- push of a checkpoint to the witness, for the log page.
CREATE TABLE log_witnesses (
    name            TEXT PRIMARY KEY,
    key_name        TEXT NOT NULL UNIQUE,
    vkey            TEXT NOT NULL,
    url             TEXT NOT NULL,
    party           TEXT NOT NULL DEFAULT '',
    added_at        TEXT NOT NULL,
    last_status     TEXT NOT NULL DEFAULT '',
    last_attempt_at TEXT NOT NULL DEFAULT ''
);

-- The agreement policy, one row when set: the witnesses (by registry name,
-- or a party id for "any witness of that party") that must cosign, and how
-- many independent witnesses (on behalf of no party) must cosign too.
CREATE TABLE log_policy (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    required    TEXT NOT NULL,
    independent INTEGER NOT NULL,
    updated_at  TEXT NOT NULL
);

-- +goose Down
DROP TABLE log_policy;
DROP TABLE log_witnesses;
