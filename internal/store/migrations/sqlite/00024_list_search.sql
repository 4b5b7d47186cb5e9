-- +goose Up
-- The page of one list pages, sorts and filters its entries in the
-- database, as the registry page does (00025): only the page shown is read
-- and decoded. Each entry carries the same search columns as a registry
-- record; entries stored before are keyed by the service on first use
-- (searchable = 0), since the skeletons are computed in Go.
ALTER TABLE list_entries ADD COLUMN searchable INTEGER NOT NULL DEFAULT 0;
ALTER TABLE list_entries ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
ALTER TABLE list_entries ADD COLUMN sort_name TEXT NOT NULL DEFAULT '';
ALTER TABLE list_entries ADD COLUMN birth TEXT NOT NULL DEFAULT '';
ALTER TABLE list_entries ADD COLUMN category_codes TEXT NOT NULL DEFAULT '';
CREATE INDEX list_entries_by_name ON list_entries(list_id, sort_name, row_no);
CREATE INDEX list_entries_by_birth ON list_entries(list_id, birth, row_no);
CREATE INDEX list_entries_unkeyed ON list_entries(list_id, searchable);

-- +goose Down
DROP INDEX list_entries_unkeyed;
DROP INDEX list_entries_by_birth;
DROP INDEX list_entries_by_name;
ALTER TABLE list_entries DROP COLUMN category_codes;
ALTER TABLE list_entries DROP COLUMN birth;
ALTER TABLE list_entries DROP COLUMN sort_name;
ALTER TABLE list_entries DROP COLUMN name_key;
ALTER TABLE list_entries DROP COLUMN searchable;
