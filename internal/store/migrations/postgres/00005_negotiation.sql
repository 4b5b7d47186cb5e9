-- +goose Up
-- Negotiation rounds, stage proposals, agreements, the medical commission's
-- decisions and the handover of each person of an agreed stage.

-- A meeting of the two parties, convened by the mediator. criteria holds
-- the agreed approach for lists (negotiation.Criteria as JSON, '' when the
-- round agreed none); participants is a JSON array of names.
CREATE TABLE rounds (
    id           TEXT PRIMARY KEY,
    title        TEXT NOT NULL,
    venue        TEXT NOT NULL DEFAULT '',
    starts_on    TEXT NOT NULL DEFAULT '',
    ends_on      TEXT NOT NULL DEFAULT '',
    party_a      TEXT NOT NULL REFERENCES parties(id),
    party_b      TEXT NOT NULL REFERENCES parties(id),
    participants TEXT NOT NULL DEFAULT '[]',
    notes        TEXT NOT NULL DEFAULT '',
    criteria     TEXT NOT NULL DEFAULT '',
    convened_by  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    CHECK (party_a <> party_b)
);

-- Lists handed over in a round. nonconforming is the number of entries the
-- conformance check found outside the round's criteria when the list was
-- attached (-1 when the round has no criteria).
CREATE TABLE round_lists (
    round_id      TEXT NOT NULL REFERENCES rounds(id),
    list_id       TEXT NOT NULL REFERENCES lists(id),
    nonconforming INTEGER NOT NULL DEFAULT -1,
    attached_by   TEXT NOT NULL,
    attached_at   TEXT NOT NULL,
    PRIMARY KEY (round_id, list_id)
);
CREATE INDEX round_lists_list ON round_lists(list_id);

-- A proposed stage from one party to the other. Its state moves only by
-- conditional updates (WHERE state = ...), so that two answers to the same
-- proposal cannot both win. thread_id is the first proposal of a chain of
-- counter-proposals.
CREATE TABLE proposals (
    id           TEXT PRIMARY KEY,
    round_id     TEXT NOT NULL REFERENCES rounds(id),
    thread_id    TEXT NOT NULL,
    counter_of   TEXT REFERENCES proposals(id),
    from_party   TEXT NOT NULL REFERENCES parties(id),
    to_party     TEXT NOT NULL REFERENCES parties(id),
    state        TEXT NOT NULL,
    rule         TEXT NOT NULL,
    terms        TEXT NOT NULL,
    stage_date   TEXT NOT NULL DEFAULT '',
    ref_date     TEXT NOT NULL DEFAULT '',
    count_from   INTEGER NOT NULL DEFAULT 0,
    count_to     INTEGER NOT NULL DEFAULT 0,
    note         TEXT NOT NULL DEFAULT '',
    reasons      TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    submitted_at TEXT NOT NULL DEFAULT '',
    answered_by  TEXT NOT NULL DEFAULT '',
    answered_at  TEXT NOT NULL DEFAULT '',
    witnessed_by TEXT NOT NULL DEFAULT '',
    witnessed_at TEXT NOT NULL DEFAULT '',
    CHECK (from_party <> to_party),
    CHECK (state IN ('draft', 'submitted', 'accepted', 'rejected', 'countered', 'withdrawn', 'agreed'))
);
CREATE INDEX proposals_round ON proposals(round_id);
CREATE INDEX proposals_thread ON proposals(thread_id);
CREATE UNIQUE INDEX proposals_one_counter ON proposals(counter_of);

-- The persons a proposal releases: a row of a handed-over list, the person
-- as the proposal saw him (JSON), and the legal basis. side 0 is the
-- proposing party, side 1 the addressee.
CREATE TABLE proposal_releases (
    proposal_id     TEXT NOT NULL REFERENCES proposals(id),
    side            INTEGER NOT NULL,
    position        INTEGER NOT NULL,
    party           TEXT NOT NULL REFERENCES parties(id),
    list_id         TEXT NOT NULL REFERENCES lists(id),
    row_no          INTEGER NOT NULL,
    person          TEXT NOT NULL,
    basis           TEXT NOT NULL,
    basis_agreement TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (proposal_id, list_id, row_no),
    CHECK (side IN (0, 1))
);
CREATE INDEX proposal_releases_entry ON proposal_releases(list_id, row_no);

-- An accepted proposal witnessed by the mediator. Never changed: the
-- triggers below refuse every UPDATE and DELETE, and content_hash commits
-- to the exact persons of both sides.
CREATE TABLE agreements (
    id           TEXT PRIMARY KEY,
    proposal_id  TEXT NOT NULL UNIQUE REFERENCES proposals(id),
    round_id     TEXT NOT NULL REFERENCES rounds(id),
    party_a      TEXT NOT NULL REFERENCES parties(id),
    party_b      TEXT NOT NULL REFERENCES parties(id),
    rule         TEXT NOT NULL,
    terms        TEXT NOT NULL,
    stage_date   TEXT NOT NULL DEFAULT '',
    content_hash TEXT NOT NULL,
    accepted_by  TEXT NOT NULL,
    witnessed_by TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX agreements_round ON agreements(round_id);

CREATE TABLE agreement_releases (
    agreement_id    TEXT NOT NULL REFERENCES agreements(id),
    side            INTEGER NOT NULL,
    position        INTEGER NOT NULL,
    party           TEXT NOT NULL REFERENCES parties(id),
    list_id         TEXT NOT NULL REFERENCES lists(id),
    row_no          INTEGER NOT NULL,
    person          TEXT NOT NULL,
    basis           TEXT NOT NULL,
    basis_agreement TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (agreement_id, list_id, row_no),
    CHECK (side IN (0, 1))
);
CREATE INDEX agreement_releases_entry ON agreement_releases(list_id, row_no);

-- +goose StatementBegin
CREATE FUNCTION parley_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'agreements are immutable (% on %)', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER agreements_immutable BEFORE UPDATE OR DELETE ON agreements
    FOR EACH ROW EXECUTE FUNCTION parley_refuse_change();
CREATE TRIGGER agreement_releases_immutable BEFORE UPDATE OR DELETE ON agreement_releases
    FOR EACH ROW EXECUTE FUNCTION parley_refuse_change();

-- Each person of an agreed stage on the day of the handover: the whole
-- handover.PersonState as JSON (with its timeline), and the columns needed
-- to find it. version guards against two observers recording at once.
CREATE TABLE handover_persons (
    agreement_id      TEXT NOT NULL REFERENCES agreements(id),
    side              INTEGER NOT NULL,
    party             TEXT NOT NULL REFERENCES parties(id),
    list_id           TEXT NOT NULL REFERENCES lists(id),
    row_no            INTEGER NOT NULL,
    status            TEXT NOT NULL,
    interview         TEXT NOT NULL DEFAULT '',
    outcome           TEXT NOT NULL DEFAULT '',
    substitute_list   TEXT NOT NULL DEFAULT '',
    substitute_row    INTEGER NOT NULL DEFAULT 0,
    state             TEXT NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1,
    updated_by        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    PRIMARY KEY (agreement_id, list_id, row_no)
);
CREATE INDEX handover_persons_entry ON handover_persons(list_id, row_no);
CREATE INDEX handover_persons_substitute ON handover_persons(substitute_list, substitute_row);
-- A person is held by one agreement at a time: pending, handed over or
-- dead. A person not presented, refused or replaced leaves the index and
-- may be agreed again in a later stage.
CREATE UNIQUE INDEX handover_persons_bound ON handover_persons(list_id, row_no)
    WHERE outcome IN ('', 'handed_over', 'deceased') AND interview <> 'refuses';

-- Decisions of the Mixed Medical Commission (GC III Art. 112, Annex II) on
-- persons proposed under Art. 110; a later decision supersedes an earlier one.
CREATE TABLE commission_outcomes (
    id           TEXT PRIMARY KEY,
    proposal_id  TEXT NOT NULL REFERENCES proposals(id),
    list_id      TEXT NOT NULL REFERENCES lists(id),
    row_no       INTEGER NOT NULL,
    decision     TEXT NOT NULL,
    decided_on   TEXT NOT NULL DEFAULT '',
    reexamine_on TEXT NOT NULL DEFAULT '',
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    CHECK (decision IN ('repatriate', 'reject', 'reexamine'))
);
CREATE INDEX commission_outcomes_entry ON commission_outcomes(list_id, row_no);
CREATE INDEX commission_outcomes_proposal ON commission_outcomes(proposal_id);

-- +goose Down
DROP TABLE commission_outcomes;
DROP TABLE handover_persons;
DROP TABLE agreement_releases;
DROP TABLE agreements;
DROP FUNCTION parley_refuse_change();
DROP TABLE proposal_releases;
DROP TABLE proposals;
DROP TABLE round_lists;
DROP TABLE rounds;
