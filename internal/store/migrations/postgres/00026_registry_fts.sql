-- +goose Up
-- A name search of a registry of a million records must not read every
-- record (00025 compared name_key with LIKE). A trigram index (pg_trgm)
-- serves those same LIKE patterns — the beginning of a word skeleton
-- ('% shev%') or a name class as a whole token ('% =shevchenko %') — so
-- the rows found are the query's, as SQLite's full-text index finds them
-- (its 00026). The index is the table's own and kept in its
-- transaction. Only current records are indexed: removed ones are never
-- searched.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX registry_entries_name_trgm ON registry_entries USING gin (name_key gin_trgm_ops) WHERE removed_version = 0;

-- A date of birth with a category ("wounded, born 1996") reads the
-- records of the date's range in this index.
CREATE INDEX registry_entries_by_birth_category ON registry_entries(party, removed_version, birth, category_codes, row_no);

-- +goose Down
DROP INDEX registry_entries_by_birth_category;
DROP INDEX registry_entries_name_trgm;
