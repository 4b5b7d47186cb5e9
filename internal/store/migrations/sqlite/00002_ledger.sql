-- +goose Up
-- The transparency log: every event as an RFC 6962 Merkle tree leaf, the
-- tree's stored hashes, a signed checkpoint for every tree size, the parties'
-- cosignatures, and the private openings of salted commitments to personal
-- data. Entries, hashes and checkpoints are append-only; nothing here is
-- ever updated except the head row and the witness state.

-- One row per log entry; idx is the leaf index (0-based, no gaps).
-- event_type and subject repeat what the entry says, for look-ups only.
CREATE TABLE log_entries (
    idx        INTEGER PRIMARY KEY,
    data       BLOB NOT NULL,
    event_type TEXT NOT NULL,
    subject    TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX log_entries_subject ON log_entries(subject, event_type);

-- Stored hashes in the layout of golang.org/x/mod/sumdb/tlog
-- (tlog.StoredHashIndex): idx is the storage index, hash 32 bytes.
CREATE TABLE log_hashes (
    idx  INTEGER PRIMARY KEY,
    hash BLOB NOT NULL
);

-- The signed checkpoint (C2SP tlog-checkpoint as a signed note, with the
-- log's signature only) for every tree size.
CREATE TABLE log_checkpoints (
    size       INTEGER PRIMARY KEY,
    note       TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Cosignatures (C2SP tlog-cosignature v1 note signature lines) that the
-- parties' witnesses returned for a checkpoint.
CREATE TABLE log_cosignatures (
    size       INTEGER NOT NULL REFERENCES log_checkpoints(size),
    witness    TEXT NOT NULL,
    line       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (size, witness)
);
CREATE INDEX log_cosignatures_witness ON log_cosignatures(witness, size);

-- The private half of each salted commitment: what lets a party open one
-- commitment to a person without disclosing the others. Never served on
-- the public log.
CREATE TABLE log_openings (
    idx        INTEGER NOT NULL REFERENCES log_entries(idx),
    position   INTEGER NOT NULL,
    item_id    TEXT NOT NULL,
    salt       BLOB NOT NULL,
    commitment BLOB NOT NULL,
    PRIMARY KEY (idx, position)
);
CREATE UNIQUE INDEX log_openings_item ON log_openings(idx, item_id);

-- The single head row: its size is the number of entries. Appenders lock
-- it first, so that two writers never claim the same index.
CREATE TABLE log_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    size INTEGER NOT NULL
);
INSERT INTO log_head (id, size) VALUES (1, 0);

-- What a party's witness last cosigned for a log origin (C2SP tlog-witness
-- keeps exactly this state).
CREATE TABLE log_witness_state (
    witness    TEXT NOT NULL,
    origin     TEXT NOT NULL,
    size       INTEGER NOT NULL,
    root       BLOB NOT NULL,
    checkpoint TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (witness, origin)
);

-- +goose Down
DROP TABLE log_witness_state;
DROP TABLE log_head;
DROP TABLE log_openings;
DROP TABLE log_cosignatures;
DROP TABLE log_checkpoints;
DROP TABLE log_hashes;
DROP TABLE log_entries;
