-- +goose Up
-- The language a user chose for the workbench, the API and the messages
-- he reads: en, uk or ru; '' when he chose none (then the browser's
-- Accept-Language decides).
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE users DROP COLUMN language;
