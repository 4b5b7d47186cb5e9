-- +goose Up
-- Parties, categories, lists and registries: the foundation schema.
CREATE TABLE parties (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    languages  TEXT NOT NULL DEFAULT '',
    translit   TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Categories an operator adds; the built-in ones live in code.
CREATE TABLE categories (
    code       TEXT PRIMARY KEY,
    labels     TEXT NOT NULL,
    synonyms   TEXT NOT NULL,
    medical    INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE lists (
    id              TEXT PRIMARY KEY,
    from_party      TEXT NOT NULL REFERENCES parties(id),
    to_party        TEXT NOT NULL REFERENCES parties(id),
    title           TEXT NOT NULL,
    version         INTEGER NOT NULL,
    prev_id         TEXT REFERENCES lists(id),
    root_id         TEXT NOT NULL,
    state           TEXT NOT NULL,
    content_hash    TEXT NOT NULL DEFAULT '',
    entry_count     INTEGER NOT NULL DEFAULT 0,
    source_name     TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    handed_over_at  TEXT NOT NULL DEFAULT '',
    acknowledged_at TEXT NOT NULL DEFAULT '',
    CHECK (from_party <> to_party),
    CHECK (state IN ('draft', 'handed_over', 'acknowledged'))
);
CREATE UNIQUE INDEX lists_root_version ON lists(root_id, version);
CREATE INDEX lists_parties ON lists(from_party, to_party);

CREATE TABLE list_entries (
    list_id    TEXT NOT NULL REFERENCES lists(id),
    row_no     INTEGER NOT NULL,
    person     TEXT NOT NULL,
    surname    TEXT NOT NULL DEFAULT '',
    categories TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (list_id, row_no)
);

-- A party's own registry of its missing people; never handed over.
CREATE TABLE registry_entries (
    party      TEXT NOT NULL REFERENCES parties(id),
    row_no     INTEGER NOT NULL,
    person     TEXT NOT NULL,
    status     TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (party, row_no)
);

-- +goose Down
DROP TABLE registry_entries;
DROP TABLE list_entries;
DROP TABLE lists;
DROP TABLE categories;
DROP TABLE settings;
DROP TABLE parties;
