-- +goose Up
-- Throttles of sign-in, password change and the family site, kept in the
-- database so that every server process on it shares them and a restart
-- does not lift them. One row per (scope, subject); subject is a digest of
-- the throttled key (a username, a client address, a reference), never the
-- key itself. Times are Unix milliseconds; prev_ms is the event before
-- last_ms (0 for none), so that one upsert tells the caller how long ago
-- the previous event was. A row whose expires_ms has
-- passed counts as absent and is pruned.
CREATE TABLE throttle (
    scope      TEXT NOT NULL,
    subject    TEXT NOT NULL,
    hits       BIGINT NOT NULL,
    last_ms    BIGINT NOT NULL,
    prev_ms    BIGINT NOT NULL DEFAULT 0,
    expires_ms BIGINT NOT NULL,
    PRIMARY KEY (scope, subject)
);
CREATE INDEX throttle_expiry ON throttle(expires_ms);

-- +goose Down
DROP TABLE throttle;
