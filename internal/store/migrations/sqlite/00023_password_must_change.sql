-- +goose Up
-- A password an administrator set for someone else (a one-time password
-- after a reset) is known to two people; its holder must replace it at the
-- next sign-in before doing anything else. Set by a reset, cleared when the
-- user changes the password.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE users DROP COLUMN must_change_password;
