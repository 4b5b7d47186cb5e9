-- +goose Up
-- Families may give a phone number (E.164, "+380441234567"), and
-- notifications travel by SMS through an HTTP gateway as well.
ALTER TABLE inquiries ADD COLUMN phone TEXT NOT NULL DEFAULT '';

-- SQLite cannot change a CHECK constraint in place: the outbox is rebuilt
-- with 'sms' among its channels, keeping every row as it is.
CREATE TABLE outbox_new (
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
    CHECK (channel IN ('email', 'webhook', 'sms')),
    CHECK (state IN ('pending', 'delivered', 'failed'))
);
INSERT INTO outbox_new SELECT id, channel, recipient, payload, state, attempts, next_attempt_ms, lease_owner, lease_until_ms, last_error, created_at, delivered_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox(state, next_attempt_ms);
-- The dispatcher finds what it holds by its lease.
CREATE INDEX outbox_lease ON outbox(lease_owner, state);

-- +goose Down
DROP INDEX outbox_lease;
DELETE FROM outbox WHERE channel = 'sms';
CREATE TABLE outbox_old (
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
INSERT INTO outbox_old SELECT id, channel, recipient, payload, state, attempts, next_attempt_ms, lease_owner, lease_until_ms, last_error, created_at, delivered_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_old RENAME TO outbox;
CREATE INDEX outbox_due ON outbox(state, next_attempt_ms);
ALTER TABLE inquiries DROP COLUMN phone;
