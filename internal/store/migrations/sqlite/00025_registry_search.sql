-- +goose Up
-- The registry page pages, sorts and filters in the database: a party's
-- registry may hold a million records, which no page may read whole. Each
-- record carries what the search box compares: the skeletons of its name
-- words and their name classes (package names), a name to sort by, the
-- date of birth as written in ISO order (partial dates are prefixes), and
-- its category codes. Records stored before are keyed by the service on
-- first use (searchable = 0), since the skeletons are computed in Go.
ALTER TABLE registry_entries ADD COLUMN searchable INTEGER NOT NULL DEFAULT 0;
ALTER TABLE registry_entries ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
ALTER TABLE registry_entries ADD COLUMN sort_name TEXT NOT NULL DEFAULT '';
ALTER TABLE registry_entries ADD COLUMN birth TEXT NOT NULL DEFAULT '';
ALTER TABLE registry_entries ADD COLUMN category_codes TEXT NOT NULL DEFAULT '';
CREATE INDEX registry_entries_by_name ON registry_entries(party, removed_version, sort_name, row_no);
CREATE INDEX registry_entries_by_birth ON registry_entries(party, removed_version, birth, row_no);
CREATE INDEX registry_entries_unkeyed ON registry_entries(party, searchable);

-- +goose Down
DROP INDEX registry_entries_unkeyed;
DROP INDEX registry_entries_by_birth;
DROP INDEX registry_entries_by_name;
ALTER TABLE registry_entries DROP COLUMN category_codes;
ALTER TABLE registry_entries DROP COLUMN birth;
ALTER TABLE registry_entries DROP COLUMN sort_name;
ALTER TABLE registry_entries DROP COLUMN name_key;
ALTER TABLE registry_entries DROP COLUMN searchable;
