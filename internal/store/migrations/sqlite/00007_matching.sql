-- +goose Up
-- Matching runs of a received list against the receiving party's registry,
-- and the review of each result by a person.
CREATE TABLE match_runs (
    id               TEXT PRIMARY KEY,
    list_id          TEXT NOT NULL REFERENCES lists(id),
    party            TEXT NOT NULL REFERENCES parties(id),
    threshold_match  REAL NOT NULL,
    threshold_review REAL NOT NULL,
    registry_size    INTEGER NOT NULL,
    matched          INTEGER NOT NULL,
    review           INTEGER NOT NULL,
    unmatched        INTEGER NOT NULL,
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL
);
CREATE INDEX match_runs_list ON match_runs(list_id);

CREATE TABLE match_results (
    run_id        TEXT NOT NULL REFERENCES match_runs(id),
    list_row      INTEGER NOT NULL,
    registry_row  INTEGER NOT NULL DEFAULT 0,
    score         REAL NOT NULL,
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

-- +goose Down
DROP TABLE match_results;
DROP TABLE match_runs;
