-- +goose Up
-- The officers' table of family inquiries pages, sorts and filters in the
-- database, as the registry (00025) and the lists (00024) do: each
-- inquiry carries the same search columns for its relative. Inquiries
-- stored before, or by a path that does not key them, are keyed by the
-- service before the table is read (searchable = 0), since the skeletons
-- are computed in Go.
ALTER TABLE inquiries ADD COLUMN searchable INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inquiries ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
ALTER TABLE inquiries ADD COLUMN sort_name TEXT NOT NULL DEFAULT '';
ALTER TABLE inquiries ADD COLUMN birth TEXT NOT NULL DEFAULT '';
ALTER TABLE inquiries ADD COLUMN category_codes TEXT NOT NULL DEFAULT '';
CREATE INDEX inquiries_by_created ON inquiries(party, created_at, id);
CREATE INDEX inquiries_by_name ON inquiries(party, sort_name, id);
CREATE INDEX inquiries_by_birth ON inquiries(party, birth, id);
CREATE INDEX inquiries_unkeyed ON inquiries(party, searchable);

-- +goose Down
DROP INDEX inquiries_unkeyed;
DROP INDEX inquiries_by_birth;
DROP INDEX inquiries_by_name;
DROP INDEX inquiries_by_created;
ALTER TABLE inquiries DROP COLUMN category_codes;
ALTER TABLE inquiries DROP COLUMN birth;
ALTER TABLE inquiries DROP COLUMN sort_name;
ALTER TABLE inquiries DROP COLUMN name_key;
ALTER TABLE inquiries DROP COLUMN searchable;
