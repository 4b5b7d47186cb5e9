-- +goose Up
-- Interviews, outcomes, deaths and disputes name a list entry by its lasting
-- id (entry_id, which lasts across the versions of its list) and the person
-- (person_id: the list's root and the entry id, as inquiry_links.person_id),
-- so that what was recorded against one version of a list still belongs to
-- the same person in the next. row_no stays as the row people cite.
-- Rows stored before are given the ids of their list entry.

ALTER TABLE handover_persons ADD COLUMN entry_id TEXT NOT NULL DEFAULT '';
ALTER TABLE handover_persons ADD COLUMN person_id TEXT NOT NULL DEFAULT '';
UPDATE handover_persons SET
    entry_id = COALESCE((SELECT e.entry_id FROM list_entries e WHERE e.list_id = handover_persons.list_id AND e.row_no = handover_persons.row_no), ''),
    person_id = COALESCE((SELECT l.root_id || '/' || e.entry_id FROM list_entries e JOIN lists l ON l.id = e.list_id
                          WHERE e.list_id = handover_persons.list_id AND e.row_no = handover_persons.row_no), '');
CREATE INDEX handover_persons_person ON handover_persons(person_id);

ALTER TABLE commission_outcomes ADD COLUMN entry_id TEXT NOT NULL DEFAULT '';
ALTER TABLE commission_outcomes ADD COLUMN person_id TEXT NOT NULL DEFAULT '';
UPDATE commission_outcomes SET
    entry_id = COALESCE((SELECT e.entry_id FROM list_entries e WHERE e.list_id = commission_outcomes.list_id AND e.row_no = commission_outcomes.row_no), ''),
    person_id = COALESCE((SELECT l.root_id || '/' || e.entry_id FROM list_entries e JOIN lists l ON l.id = e.list_id
                          WHERE e.list_id = commission_outcomes.list_id AND e.row_no = commission_outcomes.row_no), '');
CREATE INDEX commission_outcomes_person ON commission_outcomes(person_id);

ALTER TABLE entry_outcomes ADD COLUMN entry_id TEXT NOT NULL DEFAULT '';
ALTER TABLE entry_outcomes ADD COLUMN person_id TEXT NOT NULL DEFAULT '';
UPDATE entry_outcomes SET
    entry_id = COALESCE((SELECT e.entry_id FROM list_entries e WHERE e.list_id = entry_outcomes.list_id AND e.row_no = entry_outcomes.row_no), ''),
    person_id = COALESCE((SELECT l.root_id || '/' || e.entry_id FROM list_entries e JOIN lists l ON l.id = e.list_id
                          WHERE e.list_id = entry_outcomes.list_id AND e.row_no = entry_outcomes.row_no), '');
CREATE INDEX entry_outcomes_person ON entry_outcomes(person_id, updated_at);

ALTER TABLE deaths ADD COLUMN entry_id TEXT NOT NULL DEFAULT '';
ALTER TABLE deaths ADD COLUMN person_id TEXT NOT NULL DEFAULT '';
UPDATE deaths SET
    entry_id = COALESCE((SELECT e.entry_id FROM list_entries e WHERE e.list_id = deaths.list_id AND e.row_no = deaths.row_no), ''),
    person_id = COALESCE((SELECT l.root_id || '/' || e.entry_id FROM list_entries e JOIN lists l ON l.id = e.list_id
                          WHERE e.list_id = deaths.list_id AND e.row_no = deaths.row_no), '');
CREATE INDEX deaths_person ON deaths(person_id);

-- A contested row names its entry; reservations and claims name none ('').
ALTER TABLE disputes ADD COLUMN entry_id TEXT NOT NULL DEFAULT '';
UPDATE disputes SET
    entry_id = COALESCE((SELECT e.entry_id FROM list_entries e WHERE e.list_id = disputes.list_id AND e.row_no = disputes.row_no), '')
    WHERE row_no > 0;

-- +goose Down
ALTER TABLE disputes DROP COLUMN entry_id;
DROP INDEX deaths_person;
ALTER TABLE deaths DROP COLUMN person_id;
ALTER TABLE deaths DROP COLUMN entry_id;
DROP INDEX entry_outcomes_person;
ALTER TABLE entry_outcomes DROP COLUMN person_id;
ALTER TABLE entry_outcomes DROP COLUMN entry_id;
DROP INDEX commission_outcomes_person;
ALTER TABLE commission_outcomes DROP COLUMN person_id;
ALTER TABLE commission_outcomes DROP COLUMN entry_id;
DROP INDEX handover_persons_person;
ALTER TABLE handover_persons DROP COLUMN person_id;
ALTER TABLE handover_persons DROP COLUMN entry_id;
