-- +goose Up
-- The family status look-up serves inquiry rows from a cache of the
-- process (see store.DB.LookupVersion). Every change to what a look-up
-- reads of an inquiry (its reference, secret hashes, status columns) or
-- its removal bumps this one counter in the same transaction, by
-- triggers, so no writer can forget it; a cached row is used only while
-- the counter it was read with is the current one.
CREATE TABLE lookup_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO lookup_version (id, version) VALUES (1, 1);
CREATE TRIGGER lookup_inquiries_update AFTER UPDATE OF reference, secret_hash, new_secret_hash, status, status_detail, status_date, status_wording, created_at ON inquiries
BEGIN UPDATE lookup_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER lookup_inquiries_delete AFTER DELETE ON inquiries
BEGIN UPDATE lookup_version SET version = version + 1 WHERE id = 1; END;

-- +goose Down
DROP TRIGGER lookup_inquiries_update;
DROP TRIGGER lookup_inquiries_delete;
DROP TABLE lookup_version;
