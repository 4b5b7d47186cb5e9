-- +goose Up
-- Who viewed or exported which person's record, and when (GC III Art. 13).
CREATE TABLE access_log (
    at       TEXT NOT NULL,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    subject  TEXT NOT NULL,
    detail   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX access_log_at ON access_log(at);
CREATE INDEX access_log_subject ON access_log(subject);

-- +goose Down
DROP TABLE access_log;
