-- +goose Up
-- Deaths in captivity (GC III Art. 120) and the news of them that an
-- officer of the person's own side releases to the family; disputes about
-- handed-over lists (reservations on receipt, contested rows, claims of
-- persons left off) with their answers.

-- What a family sees, in finer terms than inquiries.status (whose CHECK
-- keeps the statuses of the normal course): '' or one of the statuses of
-- families.Status beyond them (not_repatriated, declined_repatriation,
-- deceased, remains_identified), with status 'other'.
ALTER TABLE inquiries ADD COLUMN status_detail TEXT NOT NULL DEFAULT '';

-- A death in captivity of a person on a handed-over list, reported by the
-- detaining party (the list's sender). The family hears of it only when an
-- officer of the person's own side (the list's receiver) releases it, with
-- the text that side wrote: released_state is what was released (deceased
-- or remains_identified), '' before.
CREATE TABLE deaths (
    id                  TEXT PRIMARY KEY,
    list_id             TEXT NOT NULL REFERENCES lists(id),
    row_no              INTEGER NOT NULL,
    party               TEXT NOT NULL REFERENCES parties(id),
    family_party        TEXT NOT NULL REFERENCES parties(id),
    died_on             TEXT NOT NULL DEFAULT '',
    place               TEXT NOT NULL DEFAULT '',
    cause               TEXT NOT NULL DEFAULT '',
    burial              TEXT NOT NULL DEFAULT '',
    grave               TEXT NOT NULL DEFAULT '',
    reported_by         TEXT NOT NULL,
    documents           TEXT NOT NULL DEFAULT '[]',
    state               TEXT NOT NULL,
    remains_note        TEXT NOT NULL DEFAULT '',
    recorded_by         TEXT NOT NULL,
    recorded_at         TEXT NOT NULL,
    released_state      TEXT NOT NULL DEFAULT '',
    family_text         TEXT NOT NULL DEFAULT '',
    released_by         TEXT NOT NULL DEFAULT '',
    released_at         TEXT NOT NULL DEFAULT '',
    UNIQUE (list_id, row_no),
    CHECK (state IN ('deceased', 'remains_identified')),
    CHECK (released_state IN ('', 'deceased', 'remains_identified'))
);
CREATE INDEX deaths_family_party ON deaths(family_party, released_state);

-- A statement about a handed-over list that the other side must answer: a
-- reservation made on acknowledging it, a contested row, or a claim of
-- persons believed held and not on it (the left-off report of a matching
-- run). root_id is the list's first version, so that a later version can
-- close it.
CREATE TABLE disputes (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    list_id       TEXT NOT NULL REFERENCES lists(id),
    root_id       TEXT NOT NULL,
    row_no        INTEGER NOT NULL DEFAULT 0,
    run_id        TEXT NOT NULL DEFAULT '',
    by_party      TEXT NOT NULL REFERENCES parties(id),
    to_party      TEXT NOT NULL REFERENCES parties(id),
    reason        TEXT NOT NULL DEFAULT '',
    note          TEXT NOT NULL DEFAULT '',
    persons       TEXT NOT NULL DEFAULT '[]',
    person_count  INTEGER NOT NULL DEFAULT 0,
    state         TEXT NOT NULL,
    answer        TEXT NOT NULL DEFAULT '',
    answer_reason TEXT NOT NULL DEFAULT '',
    answered_by   TEXT NOT NULL DEFAULT '',
    answered_at   TEXT NOT NULL DEFAULT '',
    closed_by     TEXT NOT NULL DEFAULT '',
    closed_at     TEXT NOT NULL DEFAULT '',
    close_note    TEXT NOT NULL DEFAULT '',
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    CHECK (kind IN ('reservation', 'contest', 'claim')),
    CHECK (state IN ('open', 'answered', 'closed')),
    CHECK (answer IN ('', 'accepted', 'rejected', 'new_version'))
);
CREATE INDEX disputes_root ON disputes(root_id, state);
CREATE INDEX disputes_state ON disputes(state, created_at);

-- +goose Down
DROP TABLE disputes;
DROP TABLE deaths;
ALTER TABLE inquiries DROP COLUMN status_detail;
