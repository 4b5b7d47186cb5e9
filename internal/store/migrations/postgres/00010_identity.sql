-- +goose Up
-- Records keep their identity over time. A list entry has an id that lasts
-- across the versions of its list (list root + entry id names one person);
-- a registry record has an id that lasts across re-imports, which are now
-- versions with a diff; match results, reviews and family links name
-- records by these ids, never by their row in a file.

-- The id of a list entry. Entries stored before ids existed get one of
-- their own (list id and row), which claims no identity with an entry of
-- another version.
ALTER TABLE list_entries ADD COLUMN entry_id TEXT NOT NULL DEFAULT '';
UPDATE list_entries SET entry_id = list_id || '-' || row_no;
CREATE UNIQUE INDEX list_entries_entry ON list_entries(list_id, entry_id);

-- Each import of a party's registry. diff is what changed from the version
-- before (lists.Diff as JSON, with record ids), for the party's officers.
CREATE TABLE registry_versions (
    party       TEXT NOT NULL REFERENCES parties(id),
    version     INTEGER NOT NULL,
    source_name TEXT NOT NULL DEFAULT '',
    records     INTEGER NOT NULL,
    added       INTEGER NOT NULL DEFAULT 0,
    changed     INTEGER NOT NULL DEFAULT 0,
    removed     INTEGER NOT NULL DEFAULT 0,
    diff        TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    PRIMARY KEY (party, version)
);
INSERT INTO registry_versions (party, version, records, created_at)
    SELECT party, 1, COUNT(*), MAX(updated_at) FROM registry_entries GROUP BY party;

-- Every record a party's registry has held, by its lasting id. A record
-- removed by a later version stays (removed_version > 0), so that a review
-- that named it still says whom it named.
CREATE TABLE registry_records (
    party           TEXT NOT NULL REFERENCES parties(id),
    record_id       TEXT NOT NULL,
    row_no          INTEGER NOT NULL,
    person          TEXT NOT NULL,
    status          TEXT NOT NULL,
    added_version   INTEGER NOT NULL,
    changed_version INTEGER NOT NULL,
    removed_version INTEGER NOT NULL DEFAULT 0,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (party, record_id)
);
INSERT INTO registry_records (party, record_id, row_no, person, status, added_version, changed_version, removed_version, updated_at)
    SELECT party, 'r' || row_no, row_no, person, status, 1, 1, 0, updated_at FROM registry_entries;
DROP TABLE registry_entries;
ALTER TABLE registry_records RENAME TO registry_entries;
CREATE INDEX registry_entries_current ON registry_entries(party, removed_version, row_no);

-- Match results name the list entry and the registry records by id. A
-- review carried over from a run on an earlier version of the list names
-- that run (carried_from); a review put back to pending says why
-- (review_reason, a code, with review_params as JSON).
CREATE TABLE match_results_new (
    run_id        TEXT NOT NULL REFERENCES match_runs(id),
    entry_id      TEXT NOT NULL,
    list_row      INTEGER NOT NULL,
    registry_id   TEXT NOT NULL DEFAULT '',
    score         DOUBLE PRECISION NOT NULL,
    decision      TEXT NOT NULL,
    reason        TEXT NOT NULL,
    candidates    TEXT NOT NULL DEFAULT '',
    review        TEXT NOT NULL DEFAULT 'pending',
    reviewed_id   TEXT NOT NULL DEFAULT '',
    reviewed_by   TEXT NOT NULL DEFAULT '',
    reviewed_at   TEXT NOT NULL DEFAULT '',
    review_reason TEXT NOT NULL DEFAULT '',
    review_params TEXT NOT NULL DEFAULT '',
    carried_from  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, entry_id),
    CHECK (decision IN ('match', 'review', 'none')),
    CHECK (review IN ('pending', 'confirmed', 'rejected'))
);
INSERT INTO match_results_new (run_id, entry_id, list_row, registry_id, score, decision, reason, candidates, review, reviewed_id, reviewed_by, reviewed_at)
    SELECT r.run_id, m.list_id || '-' || r.list_row, r.list_row,
           CASE WHEN r.registry_row > 0 THEN 'r' || r.registry_row ELSE '' END,
           r.score, r.decision, r.reason,
           CASE WHEN r.candidates = '' THEN '' ELSE 'r' || REPLACE(r.candidates, ' ', ' r') END,
           r.review,
           CASE WHEN r.reviewed_row > 0 THEN 'r' || r.reviewed_row ELSE '' END,
           r.reviewed_by, r.reviewed_at
    FROM match_results r JOIN match_runs m ON m.id = r.run_id;
DROP TABLE match_results;
ALTER TABLE match_results_new RENAME TO match_results;
CREATE UNIQUE INDEX match_results_row ON match_results(run_id, list_row);
CREATE INDEX match_results_registry ON match_results(registry_id);
CREATE INDEX match_results_reviewed ON match_results(reviewed_id);

-- A family is linked to a person, not to each version of a list: person_id
-- is the list's root and the entry id.
ALTER TABLE inquiry_links ADD COLUMN person_id TEXT NOT NULL DEFAULT '';
UPDATE inquiry_links SET person_id = (SELECT l.root_id FROM lists l WHERE l.id = inquiry_links.list_id) || '/' || list_id || '-' || row_no;
CREATE UNIQUE INDEX inquiry_links_person ON inquiry_links(inquiry_id, person_id);

-- The system that romanizes names written in Russian spelling, per party
-- ('' means ICAO Doc 9303, as in Russian passports); names in Ukrainian
-- spelling take KMU 2010, and names whose spelling says neither take the
-- party's translit.
ALTER TABLE parties ADD COLUMN translit_ru TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE parties DROP COLUMN translit_ru;
DROP INDEX inquiry_links_person;
ALTER TABLE inquiry_links DROP COLUMN person_id;
CREATE TABLE match_results_old (
    run_id        TEXT NOT NULL REFERENCES match_runs(id),
    list_row      INTEGER NOT NULL,
    registry_row  INTEGER NOT NULL DEFAULT 0,
    score         DOUBLE PRECISION NOT NULL,
    decision      TEXT NOT NULL,
    reason        TEXT NOT NULL,
    candidates    TEXT NOT NULL DEFAULT '',
    review        TEXT NOT NULL DEFAULT 'pending',
    reviewed_row  INTEGER NOT NULL DEFAULT 0,
    reviewed_by   TEXT NOT NULL DEFAULT '',
    reviewed_at   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, list_row),
    CHECK (decision IN ('match', 'review', 'none')),
    CHECK (review IN ('pending', 'confirmed', 'rejected'))
);
INSERT INTO match_results_old (run_id, list_row, score, decision, reason, review, reviewed_by, reviewed_at)
    SELECT run_id, list_row, score, decision, reason, review, reviewed_by, reviewed_at FROM match_results;
DROP TABLE match_results;
ALTER TABLE match_results_old RENAME TO match_results;
CREATE TABLE registry_entries_old (
    party      TEXT NOT NULL REFERENCES parties(id),
    row_no     INTEGER NOT NULL,
    person     TEXT NOT NULL,
    status     TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (party, row_no)
);
INSERT INTO registry_entries_old (party, row_no, person, status, updated_at)
    SELECT party, row_no, person, status, updated_at FROM registry_entries WHERE removed_version = 0;
DROP TABLE registry_entries;
ALTER TABLE registry_entries_old RENAME TO registry_entries;
DROP TABLE registry_versions;
DROP INDEX list_entries_entry;
ALTER TABLE list_entries DROP COLUMN entry_id;
