-- +goose Up
-- Families may give a phone number (E.164, "+380441234567"), and
-- notifications travel by SMS through an HTTP gateway as well.
ALTER TABLE inquiries ADD COLUMN phone TEXT NOT NULL DEFAULT '';

ALTER TABLE outbox DROP CONSTRAINT outbox_channel_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_channel_check CHECK (channel IN ('email', 'webhook', 'sms'));
-- The dispatcher finds what it holds by its lease.
CREATE INDEX outbox_lease ON outbox(lease_owner, state);

-- +goose Down
DROP INDEX outbox_lease;
DELETE FROM outbox WHERE channel = 'sms';
ALTER TABLE outbox DROP CONSTRAINT outbox_channel_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_channel_check CHECK (channel IN ('email', 'webhook'));
ALTER TABLE inquiries DROP COLUMN phone;
