-- +goose Up
-- A name search of a registry of a million records must not read every
-- record (00025 compared name_key with LIKE). registry_search is a
-- full-text index (FTS5) of name_key, whose content is registry_entries
-- itself: each word skeleton is a token, and each name class a token of
-- its own ("=" is kept in it), so that a typed word is a prefix query of
-- the words ("shev"*) or the class as a whole token ("=shevchenko") —
-- the rows found are those of name_key's LIKE patterns, which
-- PostgreSQL serves with a trigram index (its 00026). Prefix indexes of
-- one to three letters keep short beginnings cheap; no positions are
-- kept (detail=none), since no query asks for a phrase.
--
-- Triggers keep the index in the statement's own transaction, so an
-- import that fails half-way leaves the index as the table is. The index
-- follows the table's rowids: a VACUUM renumbers them, and must be
-- followed by INSERT INTO registry_search(registry_search) VALUES ('rebuild').
CREATE VIRTUAL TABLE registry_search USING fts5(
    name_key, content = 'registry_entries', content_rowid = 'rowid',
    tokenize = "ascii tokenchars '='", prefix = '1 2 3', detail = none);
INSERT INTO registry_search(registry_search) VALUES ('rebuild');

-- +goose StatementBegin
CREATE TRIGGER registry_search_insert AFTER INSERT ON registry_entries BEGIN
    INSERT INTO registry_search(rowid, name_key) VALUES (new.rowid, new.name_key);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER registry_search_delete AFTER DELETE ON registry_entries BEGIN
    INSERT INTO registry_search(registry_search, rowid, name_key) VALUES ('delete', old.rowid, old.name_key);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER registry_search_update AFTER UPDATE OF name_key ON registry_entries BEGIN
    INSERT INTO registry_search(registry_search, rowid, name_key) VALUES ('delete', old.rowid, old.name_key);
    INSERT INTO registry_search(rowid, name_key) VALUES (new.rowid, new.name_key);
END;
-- +goose StatementEnd

-- A date of birth with a category ("wounded, born 1996") reads the
-- records of the date's range in this index and tests the categories in
-- it, without reading the records that fail.
CREATE INDEX registry_entries_by_birth_category ON registry_entries(party, removed_version, birth, category_codes, row_no);

-- +goose Down
DROP INDEX registry_entries_by_birth_category;
DROP TRIGGER registry_search_update;
DROP TRIGGER registry_search_delete;
DROP TRIGGER registry_search_insert;
DROP TABLE registry_search;
