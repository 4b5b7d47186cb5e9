-- +goose Up
-- The public figures page is cached and invalidated by events: every
-- change to what it counts (lists leaving draft, outcomes of list entries,
-- inquiries and their statuses, agreements and handovers) bumps this one
-- counter in the same transaction, by triggers, so no writer can forget
-- it. The page is recomputed only when the counter has moved.
CREATE TABLE figures_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO figures_version (id, version) VALUES (1, 1);
CREATE TRIGGER figures_lists_insert AFTER INSERT ON lists BEGIN UPDATE figures_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER figures_lists_update AFTER UPDATE ON lists BEGIN UPDATE figures_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER figures_lists_delete AFTER DELETE ON lists BEGIN UPDATE figures_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER figures_entry_outcomes_insert AFTER INSERT ON entry_outcomes BEGIN UPDATE figures_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER figures_entry_outcomes_update AFTER UPDATE ON entry_outcomes BEGIN UPDATE figures_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER figures_entry_outcomes_delete AFTER DELETE ON entry_outcomes BEGIN UPDATE figures_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER figures_inquiries_insert AFTER INSERT ON inquiries BEGIN UPDATE figures_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER figures_inquiries_update AFTER UPDATE OF status, status_detail ON inquiries BEGIN UPDATE figures_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER figures_inquiries_delete AFTER DELETE ON inquiries BEGIN UPDATE figures_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER figures_agreements_insert AFTER INSERT ON agreements BEGIN UPDATE figures_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER figures_agreements_delete AFTER DELETE ON agreements BEGIN UPDATE figures_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER figures_handover_persons_insert AFTER INSERT ON handover_persons BEGIN UPDATE figures_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER figures_handover_persons_update AFTER UPDATE ON handover_persons BEGIN UPDATE figures_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER figures_handover_persons_delete AFTER DELETE ON handover_persons BEGIN UPDATE figures_version SET version = version + 1 WHERE id = 1; END;

-- +goose Down
DROP TRIGGER figures_lists_insert;
DROP TRIGGER figures_lists_update;
DROP TRIGGER figures_lists_delete;
DROP TRIGGER figures_entry_outcomes_insert;
DROP TRIGGER figures_entry_outcomes_update;
DROP TRIGGER figures_entry_outcomes_delete;
DROP TRIGGER figures_inquiries_insert;
DROP TRIGGER figures_inquiries_update;
DROP TRIGGER figures_inquiries_delete;
DROP TRIGGER figures_agreements_insert;
DROP TRIGGER figures_agreements_delete;
DROP TRIGGER figures_handover_persons_insert;
DROP TRIGGER figures_handover_persons_update;
DROP TRIGGER figures_handover_persons_delete;
DROP TABLE figures_version;
