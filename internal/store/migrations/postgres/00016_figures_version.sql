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

-- +goose StatementBegin
CREATE FUNCTION parley_bump_figures() RETURNS trigger AS $$
BEGIN
    UPDATE figures_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER figures_lists AFTER INSERT OR UPDATE OR DELETE ON lists
    FOR EACH STATEMENT EXECUTE FUNCTION parley_bump_figures();
CREATE TRIGGER figures_entry_outcomes AFTER INSERT OR UPDATE OR DELETE ON entry_outcomes
    FOR EACH STATEMENT EXECUTE FUNCTION parley_bump_figures();
CREATE TRIGGER figures_inquiries AFTER INSERT OR UPDATE OF status, status_detail OR DELETE ON inquiries
    FOR EACH STATEMENT EXECUTE FUNCTION parley_bump_figures();
CREATE TRIGGER figures_agreements AFTER INSERT OR DELETE ON agreements
    FOR EACH STATEMENT EXECUTE FUNCTION parley_bump_figures();
CREATE TRIGGER figures_handover_persons AFTER INSERT OR UPDATE OR DELETE ON handover_persons
    FOR EACH STATEMENT EXECUTE FUNCTION parley_bump_figures();

-- +goose Down
DROP TRIGGER figures_lists ON lists;
DROP TRIGGER figures_entry_outcomes ON entry_outcomes;
DROP TRIGGER figures_inquiries ON inquiries;
DROP TRIGGER figures_agreements ON agreements;
DROP TRIGGER figures_handover_persons ON handover_persons;
DROP FUNCTION parley_bump_figures();
DROP TABLE figures_version;
