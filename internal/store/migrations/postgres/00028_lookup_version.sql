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

-- +goose StatementBegin
CREATE FUNCTION parley_bump_lookup() RETURNS trigger AS $$
BEGIN
    UPDATE lookup_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER lookup_inquiries AFTER UPDATE OF reference, secret_hash, new_secret_hash, status, status_detail, status_date, status_wording, created_at OR DELETE ON inquiries
    FOR EACH STATEMENT EXECUTE FUNCTION parley_bump_lookup();

-- +goose Down
DROP TRIGGER lookup_inquiries ON inquiries;
DROP FUNCTION parley_bump_lookup();
DROP TABLE lookup_version;
