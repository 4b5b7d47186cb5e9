-- +goose Up
-- Family inquiries, their links to entries of handed-over lists, the
-- outcomes recorded for list entries, and the outbox of notifications.

-- One family's inquiry about one missing relative. The secret is kept only
-- as an argon2id hash; the reference is looked up by its unique index.
CREATE TABLE inquiries (
    id                TEXT PRIMARY KEY,
    reference         TEXT NOT NULL UNIQUE,
    party             TEXT NOT NULL REFERENCES parties(id),
    relative          TEXT NOT NULL,
    relationship      TEXT NOT NULL DEFAULT '',
    inquirer_name     TEXT NOT NULL DEFAULT '',
    email             TEXT NOT NULL DEFAULT '',
    webhook_url       TEXT NOT NULL DEFAULT '',
    webhook_status    INTEGER NOT NULL DEFAULT 0,
    lang              TEXT NOT NULL DEFAULT 'en',
    source            TEXT NOT NULL,
    pfif_record_id    TEXT UNIQUE,
    pfif              TEXT NOT NULL DEFAULT '',
    dedup_key         TEXT NOT NULL UNIQUE,
    secret_hash       TEXT NOT NULL,
    new_secret_hash   TEXT NOT NULL DEFAULT '',
    new_secret_at     TEXT NOT NULL DEFAULT '',
    status            TEXT NOT NULL DEFAULT 'none',
    status_date       TEXT NOT NULL DEFAULT '',
    status_wording    TEXT NOT NULL DEFAULT '',
    status_changed_at TEXT NOT NULL DEFAULT '',
    status_version    INTEGER NOT NULL DEFAULT 0,
    -- When the inquiry was last compared with every handed-over list;
    -- '' until the first comparison has finished.
    linked_at         TEXT NOT NULL DEFAULT '',
    created_at        TEXT NOT NULL,
    CHECK (status IN ('none', 'listed', 'agreed', 'repatriated', 'other'))
);
CREATE INDEX inquiries_party ON inquiries(party);
CREATE INDEX inquiries_linked ON inquiries(linked_at);

-- A proposed link between an inquiry and a row of a handed-over list. The
-- party is the inquiry's (the relative's side), whose officers decide.
CREATE TABLE inquiry_links (
    id         TEXT PRIMARY KEY,
    inquiry_id TEXT NOT NULL REFERENCES inquiries(id),
    list_id    TEXT NOT NULL REFERENCES lists(id),
    row_no     INTEGER NOT NULL,
    party      TEXT NOT NULL REFERENCES parties(id),
    score      REAL NOT NULL,
    decision   TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    state      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    decided_by TEXT NOT NULL DEFAULT '',
    decided_at TEXT NOT NULL DEFAULT '',
    note       TEXT NOT NULL DEFAULT '',
    UNIQUE (inquiry_id, list_id, row_no),
    CHECK (state IN ('pending', 'confirmed', 'rejected'))
);
CREATE INDEX inquiry_links_party ON inquiry_links(party, state);
CREATE INDEX inquiry_links_entry ON inquiry_links(list_id, row_no, state);

-- Handed-over lists whose entries have been searched for inquiries.
CREATE TABLE inquiry_list_scans (
    list_id    TEXT PRIMARY KEY REFERENCES lists(id),
    scanned_at TEXT NOT NULL
);

-- What became of a person on a list (agreed stage, repatriation), as the
-- hand-over records it; families linked to the entry see it.
CREATE TABLE entry_outcomes (
    list_id     TEXT NOT NULL REFERENCES lists(id),
    row_no      INTEGER NOT NULL,
    status      TEXT NOT NULL,
    status_date TEXT NOT NULL DEFAULT '',
    wording     TEXT NOT NULL DEFAULT '',
    updated_by  TEXT NOT NULL DEFAULT '',
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (list_id, row_no)
);

-- The transactional outbox: a notification is written in the transaction
-- of the change it announces and delivered later, at least once. The id is
-- the idempotency key (and the e-mail's Message-ID).
CREATE TABLE outbox (
    id                TEXT PRIMARY KEY,
    channel           TEXT NOT NULL,
    recipient         TEXT NOT NULL,
    payload           TEXT NOT NULL,
    state             TEXT NOT NULL DEFAULT 'pending',
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms   INTEGER NOT NULL,
    lease_owner       TEXT NOT NULL DEFAULT '',
    lease_until_ms    INTEGER NOT NULL DEFAULT 0,
    last_error        TEXT NOT NULL DEFAULT '',
    created_at        TEXT NOT NULL,
    delivered_at      TEXT NOT NULL DEFAULT '',
    CHECK (channel IN ('email', 'webhook')),
    CHECK (state IN ('pending', 'delivered', 'failed'))
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_ms);

-- +goose Down
DROP TABLE outbox;
DROP TABLE entry_outcomes;
DROP TABLE inquiry_list_scans;
DROP TABLE inquiry_links;
DROP TABLE inquiries;
