package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"parley/internal/families"
	"parley/internal/handover"
	"parley/internal/negotiation"
	"parley/internal/person"
)

// ErrBound is returned when an agreement would hold a person whom another
// agreement already holds (pending, handed over or dead): the unique index
// handover_persons_bound refuses the row, so that two agreements witnessed
// at once cannot both take him.
var ErrBound = errors.New("already held by another agreement")

// isUniqueViolation reports whether err is a unique index refusing a row,
// in either dialect.
func isUniqueViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		return lite.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
	}
	return false
}

// ErrStateChanged is returned by the conditional updates of proposals and
// handover records when the row is no longer in the state the caller read:
// someone else changed it first.
var ErrStateChanged = errors.New("changed concurrently")

// InsertRound stores a new round; the store sets CreatedAt.
func (tx *Tx) InsertRound(ctx context.Context, r *negotiation.Round) error {
	r.CreatedAt = now()
	if r.Participants == nil {
		r.Participants = []string{}
	}
	parts, err := json.Marshal(r.Participants)
	if err != nil {
		return err
	}
	crit := ""
	if r.Criteria != nil {
		b, err := json.Marshal(r.Criteria)
		if err != nil {
			return fmt.Errorf("encode criteria: %w", err)
		}
		crit = string(b)
	}
	_, err = tx.Exec(ctx, `INSERT INTO rounds (id, title, venue, starts_on, ends_on, party_a, party_b, participants, notes, criteria, convened_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Title, r.Venue, r.StartsOn.String(), r.EndsOn.String(), r.Parties[0], r.Parties[1], string(parts), r.Notes, crit, r.ConvenedBy, timeText(r.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert round: %w", err)
	}
	return nil
}

const roundColumns = `id, title, venue, starts_on, ends_on, party_a, party_b, participants, notes, criteria, convened_by, created_at`

func scanRound(scan func(...any) error) (*negotiation.Round, error) {
	var r negotiation.Round
	var starts, ends, parts, crit, created string
	if err := scan(&r.ID, &r.Title, &r.Venue, &starts, &ends, &r.Parties[0], &r.Parties[1], &parts, &r.Notes, &crit, &r.ConvenedBy, &created); err != nil {
		return nil, err
	}
	r.StartsOn, r.EndsOn = parseDate(starts), parseDate(ends)
	if err := json.Unmarshal([]byte(parts), &r.Participants); err != nil {
		return nil, fmt.Errorf("decode participants of round %s: %w", r.ID, err)
	}
	if crit != "" {
		r.Criteria = &negotiation.Criteria{}
		if err := json.Unmarshal([]byte(crit), r.Criteria); err != nil {
			return nil, fmt.Errorf("decode criteria of round %s: %w", r.ID, err)
		}
	}
	r.CreatedAt = parseTime(created)
	return &r, nil
}

// parseDate reads a stored calendar date; "" is the zero date.
func parseDate(s string) person.Date {
	d, _ := person.ParseISODate(s)
	return d
}

// Round returns one round.
func (tx *Tx) Round(ctx context.Context, id string) (*negotiation.Round, error) {
	r, err := scanRound(tx.QueryRow(ctx, `SELECT `+roundColumns+` FROM rounds WHERE id = ?`, id).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("round %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read round %s: %w", id, err)
	}
	return r, nil
}

// Rounds returns the rounds, newest first; party, when set, selects the
// rounds of that party.
func (tx *Tx) Rounds(ctx context.Context, party string) ([]*negotiation.Round, error) {
	q := `SELECT ` + roundColumns + ` FROM rounds`
	var args []any
	if party != "" {
		q += ` WHERE party_a = ? OR party_b = ?`
		args = append(args, party, party)
	}
	rows, err := tx.Query(ctx, q+` ORDER BY created_at DESC, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list rounds: %w", err)
	}
	return scanAll(rows, []*negotiation.Round{}, scanRound)
}

// AttachList records that a list was handed over in a round. It reports
// false when the list was already attached (and changes nothing).
func (tx *Tx) AttachList(ctx context.Context, rl *negotiation.RoundList) (bool, error) {
	rl.AttachedAt = now()
	res, err := tx.Exec(ctx, `INSERT INTO round_lists (round_id, list_id, nonconforming, attached_by, attached_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (round_id, list_id) DO NOTHING`, rl.RoundID, rl.ListID, rl.Nonconforming, rl.AttachedBy, timeText(rl.AttachedAt))
	if err != nil {
		return false, fmt.Errorf("attach list %s to round %s: %w", rl.ListID, rl.RoundID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RoundLists returns the lists attached to a round, in the order attached.
func (tx *Tx) RoundLists(ctx context.Context, roundID string) ([]negotiation.RoundList, error) {
	rows, err := tx.Query(ctx, `SELECT round_id, list_id, nonconforming, attached_by, attached_at FROM round_lists WHERE round_id = ? ORDER BY attached_at, list_id`, roundID)
	if err != nil {
		return nil, fmt.Errorf("lists of round %s: %w", roundID, err)
	}
	defer rows.Close()
	out := []negotiation.RoundList{}
	for rows.Next() {
		var rl negotiation.RoundList
		var at string
		if err := rows.Scan(&rl.RoundID, &rl.ListID, &rl.Nonconforming, &rl.AttachedBy, &at); err != nil {
			return nil, err
		}
		rl.AttachedAt = parseTime(at)
		out = append(out, rl)
	}
	return out, rows.Err()
}

// InsertProposal stores a proposal with its releases: sides[0] are the
// proposer's, sides[1] the addressee's. The store sets CreatedAt and
// Counts; SubmittedAt is set unless the proposal is a draft.
func (tx *Tx) InsertProposal(ctx context.Context, p *negotiation.ProposalRecord, sides [2][]negotiation.Release) error {
	p.CreatedAt = now()
	if p.State != negotiation.ProposalDraft {
		p.SubmittedAt = p.CreatedAt
	}
	p.Counts = [2]int{len(sides[0]), len(sides[1])}
	terms, err := json.Marshal(p.Terms)
	if err != nil {
		return fmt.Errorf("encode terms: %w", err)
	}
	var counterOf any
	if p.CounterOf != "" {
		counterOf = p.CounterOf
	}
	_, err = tx.Exec(ctx, `INSERT INTO proposals (id, round_id, thread_id, counter_of, from_party, to_party, state, rule, terms, stage_date, ref_date,
		count_from, count_to, note, created_by, created_at, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.RoundID, p.ThreadID, counterOf, p.From, p.To, p.State, string(p.Terms.Rule), string(terms), p.Date.String(), p.RefDate.String(),
		p.Counts[0], p.Counts[1], p.Note, p.CreatedBy, timeText(p.CreatedAt), timeText(p.SubmittedAt))
	if err != nil {
		return fmt.Errorf("insert proposal: %w", err)
	}
	return tx.insertReleases(ctx, "proposal_releases", "proposal_id", p.ID, sides)
}

// insertReleases writes the releases of a proposal or an agreement.
func (tx *Tx) insertReleases(ctx context.Context, table, key, id string, sides [2][]negotiation.Release) error {
	type rel struct {
		side, pos int
		r         *negotiation.Release
	}
	var all []rel
	for s := range sides {
		for i := range sides[s] {
			all = append(all, rel{s, i + 1, &sides[s][i]})
		}
	}
	err := tx.insertRows(ctx, table, []string{key, "side", "position", "party", "list_id", "row_no", "person", "basis", "basis_agreement"}, len(all), func(i int) ([]any, error) {
		x := all[i]
		b, err := json.Marshal(x.r.Person)
		if err != nil {
			return nil, fmt.Errorf("encode row %d of list %s: %w", x.r.Row, x.r.ListID, err)
		}
		return []any{id, x.side, x.pos, x.r.Party, x.r.ListID, x.r.Row, string(b), x.r.LegalBasis.Code, x.r.LegalBasis.Agreement}, nil
	})
	if err != nil {
		return fmt.Errorf("insert releases of %s: %w", id, err)
	}
	return nil
}

// releases reads the releases of a proposal or an agreement by side, in
// the order given.
func (tx *Tx) releases(ctx context.Context, table, key, id string) ([2][]negotiation.Release, error) {
	out := [2][]negotiation.Release{{}, {}}
	rows, err := tx.Query(ctx, `SELECT side, party, list_id, row_no, person, basis, basis_agreement FROM `+table+` WHERE `+key+` = ? ORDER BY side, position`, id)
	if err != nil {
		return out, fmt.Errorf("read releases of %s: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var side int
		var r negotiation.Release
		var b string
		if err := rows.Scan(&side, &r.Party, &r.ListID, &r.Row, &b, &r.LegalBasis.Code, &r.LegalBasis.Agreement); err != nil {
			return out, err
		}
		if err := json.Unmarshal([]byte(b), &r.Person); err != nil {
			return out, fmt.Errorf("decode row %d of list %s in %s: %w", r.Row, r.ListID, id, err)
		}
		if side < 0 || side > 1 {
			return out, fmt.Errorf("release of %s has side %d", id, side)
		}
		out[side] = append(out[side], r)
	}
	return out, rows.Err()
}

// ProposalReleases returns a proposal's releases: [0] the proposer's, [1]
// the addressee's.
func (tx *Tx) ProposalReleases(ctx context.Context, id string) ([2][]negotiation.Release, error) {
	return tx.releases(ctx, "proposal_releases", "proposal_id", id)
}

const proposalColumns = `id, round_id, thread_id, COALESCE(counter_of, ''), from_party, to_party, state, terms, stage_date, ref_date, count_from, count_to,
	note, reasons, created_by, created_at, submitted_at, answered_by, answered_at, witnessed_by, witnessed_at`

func scanProposal(scan func(...any) error) (*negotiation.ProposalRecord, error) {
	var p negotiation.ProposalRecord
	var terms, date, ref, created, submitted, answered, witnessed string
	if err := scan(&p.ID, &p.RoundID, &p.ThreadID, &p.CounterOf, &p.From, &p.To, &p.State, &terms, &date, &ref, &p.Counts[0], &p.Counts[1],
		&p.Note, &p.Reasons, &p.CreatedBy, &created, &submitted, &p.AnsweredBy, &answered, &p.WitnessedBy, &witnessed); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(terms), &p.Terms); err != nil {
		return nil, fmt.Errorf("decode terms of proposal %s: %w", p.ID, err)
	}
	p.Date, p.RefDate = parseDate(date), parseDate(ref)
	p.CreatedAt, p.SubmittedAt, p.AnsweredAt, p.WitnessedAt = parseTime(created), parseTime(submitted), parseTime(answered), parseTime(witnessed)
	return &p, nil
}

// Proposal returns one proposal without its releases.
func (tx *Tx) Proposal(ctx context.Context, id string) (*negotiation.ProposalRecord, error) {
	p, err := scanProposal(tx.QueryRow(ctx, `SELECT `+proposalColumns+` FROM proposals WHERE id = ?`, id).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("proposal %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read proposal %s: %w", id, err)
	}
	return p, nil
}

// ProposalFilter selects proposals; zero fields select all.
type ProposalFilter struct {
	RoundID  string
	ThreadID string
	State    string
	// Party selects the proposals from or to the party; its own drafts are
	// included, the other party's never.
	Party string
	// NoDrafts leaves every draft out.
	NoDrafts bool
}

// Proposals returns proposals in the order made.
func (tx *Tx) Proposals(ctx context.Context, f ProposalFilter) ([]*negotiation.ProposalRecord, error) {
	q := `SELECT ` + proposalColumns + ` FROM proposals WHERE 1=1`
	var args []any
	if f.RoundID != "" {
		q += ` AND round_id = ?`
		args = append(args, f.RoundID)
	}
	if f.ThreadID != "" {
		q += ` AND thread_id = ?`
		args = append(args, f.ThreadID)
	}
	if f.State != "" {
		q += ` AND state = ?`
		args = append(args, f.State)
	}
	if f.Party != "" {
		q += ` AND (from_party = ? OR (to_party = ? AND state <> 'draft'))`
		args = append(args, f.Party, f.Party)
	}
	if f.NoDrafts {
		q += ` AND state <> 'draft'`
	}
	rows, err := tx.Query(ctx, q+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list proposals: %w", err)
	}
	return scanAll(rows, []*negotiation.ProposalRecord{}, scanProposal)
}

// ProposalChange is a move of a proposal from one state to another, with
// what the move records.
type ProposalChange struct {
	ID        string
	From, To  string // states
	By        string // who answered, withdrew, witnessed or submitted
	Reasons   string // for a rejection
	Witnessed bool   // the move is the mediator's witnessing
	Submitted bool   // the move submits a draft
}

// SetProposalState moves a proposal from one state to another with a
// conditional update: when the proposal is no longer in state From (someone
// answered it first), nothing changes and the error wraps ErrStateChanged.
// This is what makes one of two concurrent answers lose.
func (tx *Tx) SetProposalState(ctx context.Context, c ProposalChange) (time.Time, error) {
	at := now()
	var res sql.Result
	var err error
	switch {
	case c.Witnessed:
		res, err = tx.Exec(ctx, `UPDATE proposals SET state = ?, witnessed_by = ?, witnessed_at = ? WHERE id = ? AND state = ?`,
			c.To, c.By, timeText(at), c.ID, c.From)
	case c.Submitted:
		res, err = tx.Exec(ctx, `UPDATE proposals SET state = ?, submitted_at = ? WHERE id = ? AND state = ?`,
			c.To, timeText(at), c.ID, c.From)
	default:
		res, err = tx.Exec(ctx, `UPDATE proposals SET state = ?, answered_by = ?, answered_at = ?, reasons = ? WHERE id = ? AND state = ?`,
			c.To, c.By, timeText(at), c.Reasons, c.ID, c.From)
	}
	if err != nil {
		return at, fmt.Errorf("update proposal %s: %w", c.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return at, err
	}
	if n != 1 {
		return at, fmt.Errorf("proposal %s is no longer %s: %w", c.ID, c.From, ErrStateChanged)
	}
	return at, nil
}

// EntryProposals returns the proposals that release the row of
// the list, in the order made.
func (tx *Tx) EntryProposals(ctx context.Context, listID string, row int) ([]*negotiation.ProposalRecord, error) {
	rows, err := tx.Query(ctx, `SELECT p.id FROM proposal_releases r JOIN proposals p ON p.id = r.proposal_id
		WHERE r.list_id = ? AND r.row_no = ? ORDER BY p.created_at, p.id`, listID, row)
	if err != nil {
		return nil, fmt.Errorf("proposals of row %d of list %s: %w", row, listID, err)
	}
	ids, err := scanStrings(rows)
	if err != nil {
		return nil, err
	}
	out := make([]*negotiation.ProposalRecord, 0, len(ids))
	for _, id := range ids {
		p, err := tx.Proposal(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// InsertAgreement stores an agreement with the exact persons of both sides.
// The caller sets CreatedAt, which the content hash may cover.
func (tx *Tx) InsertAgreement(ctx context.Context, a *negotiation.Agreement, sides [2][]negotiation.Release) error {
	terms, err := json.Marshal(a.Terms)
	if err != nil {
		return fmt.Errorf("encode terms: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO agreements (id, proposal_id, round_id, party_a, party_b, rule, terms, stage_date, content_hash, accepted_by, witnessed_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.ProposalID, a.RoundID, a.Parties[0], a.Parties[1], string(a.Terms.Rule), string(terms), a.Date.String(), a.ContentHash, a.AcceptedBy, a.WitnessedBy, timeText(a.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert agreement: %w", err)
	}
	return tx.insertReleases(ctx, "agreement_releases", "agreement_id", a.ID, sides)
}

const agreementColumns = `id, proposal_id, round_id, party_a, party_b, terms, stage_date, content_hash, accepted_by, witnessed_by, created_at`

func scanAgreement(scan func(...any) error) (*negotiation.Agreement, error) {
	var a negotiation.Agreement
	var terms, date, created string
	if err := scan(&a.ID, &a.ProposalID, &a.RoundID, &a.Parties[0], &a.Parties[1], &terms, &date, &a.ContentHash, &a.AcceptedBy, &a.WitnessedBy, &created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(terms), &a.Terms); err != nil {
		return nil, fmt.Errorf("decode terms of agreement %s: %w", a.ID, err)
	}
	a.Date, a.CreatedAt = parseDate(date), parseTime(created)
	return &a, nil
}

// Agreement returns one agreement without its releases.
func (tx *Tx) Agreement(ctx context.Context, id string) (*negotiation.Agreement, error) {
	a, err := scanAgreement(tx.QueryRow(ctx, `SELECT `+agreementColumns+` FROM agreements WHERE id = ?`, id).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("agreement %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read agreement %s: %w", id, err)
	}
	return a, nil
}

// AgreementOfProposal returns the agreement made from a proposal.
func (tx *Tx) AgreementOfProposal(ctx context.Context, proposalID string) (*negotiation.Agreement, error) {
	a, err := scanAgreement(tx.QueryRow(ctx, `SELECT `+agreementColumns+` FROM agreements WHERE proposal_id = ?`, proposalID).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("agreement of proposal %q: %w", proposalID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read agreement of proposal %s: %w", proposalID, err)
	}
	return a, nil
}

// Agreements returns agreements in the order made; roundID and party
// narrow them when set.
func (tx *Tx) Agreements(ctx context.Context, roundID, party string) ([]*negotiation.Agreement, error) {
	q := `SELECT ` + agreementColumns + ` FROM agreements WHERE 1=1`
	var args []any
	if roundID != "" {
		q += ` AND round_id = ?`
		args = append(args, roundID)
	}
	if party != "" {
		q += ` AND (party_a = ? OR party_b = ?)`
		args = append(args, party, party)
	}
	rows, err := tx.Query(ctx, q+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list agreements: %w", err)
	}
	return scanAll(rows, []*negotiation.Agreement{}, scanAgreement)
}

// AgreementReleases returns an agreement's releases by side.
func (tx *Tx) AgreementReleases(ctx context.Context, id string) ([2][]negotiation.Release, error) {
	return tx.releases(ctx, "agreement_releases", "agreement_id", id)
}

// EntryAgreement is one agreement that releases a row of a list, with where
// the person stands in its handover.
type EntryAgreement struct {
	AgreementID string `json:"agreement_id"`
	Status      string `json:"status"`
	Outcome     string `json:"outcome,omitempty"`
	Interview   string `json:"interview,omitempty"`
}

// EntryAgreements returns the agreements that hold the row of the list:
// those that release him, and those in which he was handed over as a
// substitute (reported with outcome handed_over).
func (tx *Tx) EntryAgreements(ctx context.Context, listID string, row int) ([]EntryAgreement, error) {
	byRow, err := tx.entryAgreements(ctx, `e.list_id = ? AND e.row_no = ?`, `h.substitute_list = ? AND h.substitute_row = ?`, listID, row)
	return byRow[row], err
}

// ListAgreements returns, for every row of the list that some agreement
// holds (see EntryAgreements), those agreements in the order made.
func (tx *Tx) ListAgreements(ctx context.Context, listID string) (map[int][]EntryAgreement, error) {
	return tx.entryAgreements(ctx, `e.list_id = ?`, `h.substitute_list = ?`, listID)
}

// entryAgreements finds the agreements that release the persons of a list
// by person id, so that an agreement made on one version of a list holds
// the same person on every other version, in whatever row; released
// selects list entries e. Substitutes are named by list and row.

func (tx *Tx) entryAgreements(ctx context.Context, released, substituted string, args ...any) (map[int][]EntryAgreement, error) {
	out := map[int][]EntryAgreement{}
	for _, q := range []string{
		`SELECT e.row_no, h.agreement_id, h.status, h.outcome, h.interview FROM list_entries e JOIN lists l ON l.id = e.list_id
			JOIN handover_persons h ON h.person_id = ` + personOf + ` JOIN agreements a ON a.id = h.agreement_id
			WHERE ` + released + ` ORDER BY a.created_at, a.id`,
		`SELECT h.substitute_row, h.agreement_id, 'substituted_for', 'handed_over', 'consents' FROM handover_persons h JOIN agreements a ON a.id = h.agreement_id
			WHERE ` + substituted + ` AND h.outcome = 'substituted' ORDER BY a.created_at, a.id`,
	} {
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("agreements of list %v: %w", args[0], err)
		}
		for rows.Next() {
			var row int
			var e EntryAgreement
			if err := rows.Scan(&row, &e.AgreementID, &e.Status, &e.Outcome, &e.Interview); err != nil {
				rows.Close()
				return nil, err
			}
			out[row] = append(out[row], e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SubstitutedIn returns the handover records in which the row of the list
// was brought as a substitute.
func (tx *Tx) SubstitutedIn(ctx context.Context, listID string, row int) ([]HandoverRecord, error) {
	return tx.handoverWhere(ctx, `substitute_list = ? AND substitute_row = ?`, listID, row)
}

// HandoverRecord is one person of an agreed stage as the handover goes on.
type HandoverRecord struct {
	AgreementID string               `json:"agreement_id"`
	Side        int                  `json:"side"`
	State       handover.PersonState `json:"state"`
	Version     int                  `json:"version"`
	UpdatedBy   string               `json:"updated_by"`
	UpdatedAt   time.Time            `json:"updated_at"`
}

func handoverColumns(r *HandoverRecord) (string, string, int, error) {
	b, err := json.Marshal(r.State)
	if err != nil {
		return "", "", 0, fmt.Errorf("encode handover state: %w", err)
	}
	subList, subRow := "", 0
	if r.State.Substitute != nil {
		subList, subRow = r.State.Substitute.ListID, r.State.Substitute.Row
	}
	return string(b), subList, subRow, nil
}

// InsertHandoverRecords stores the first state of every person of an
// agreement.
func (tx *Tx) InsertHandoverRecords(ctx context.Context, recs []HandoverRecord) error {
	const batch = 100
	for start := 0; start < len(recs); start += batch {
		end := min(start+batch, len(recs))
		var q strings.Builder
		q.WriteString(`INSERT INTO handover_persons (agreement_id, side, party, list_id, row_no, status, interview, outcome, substitute_list, substitute_row, state, version, updated_by, updated_at) VALUES `)
		args := make([]any, 0, (end-start)*14)
		for i := range recs[start:end] {
			r := &recs[start+i]
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			state, subList, subRow, err := handoverColumns(r)
			if err != nil {
				return err
			}
			r.Version, r.UpdatedAt = 1, now()
			s := &r.State
			args = append(args, r.AgreementID, r.Side, s.Party, s.ListID, s.Row, s.Status, string(s.Interview), string(s.Outcome), subList, subRow, state, r.Version, r.UpdatedBy, timeText(r.UpdatedAt))
		}
		if _, err := tx.Exec(ctx, q.String(), args...); err != nil {
			if isUniqueViolation(err) {
				return fmt.Errorf("insert handover records: %w", ErrBound)
			}
			return fmt.Errorf("insert handover records: %w", err)
		}
	}
	if err := tx.fillEntryIDs(ctx, "handover_persons", "agreement_id", recs); err != nil {
		return err
	}
	// handover_persons_bound holds a person to one agreement on one version
	// of a list; this holds him across versions, where his row differs.
	seen := map[string]bool{}
	for _, r := range recs {
		if seen[r.AgreementID] {
			continue
		}
		seen[r.AgreementID] = true
		n, err := tx.count(ctx, `SELECT COUNT(*) FROM handover_persons h JOIN handover_persons o ON o.person_id = h.person_id AND o.agreement_id <> h.agreement_id
			WHERE h.agreement_id = ? AND h.person_id <> '' AND o.outcome IN ('', 'handed_over', 'deceased') AND o.interview <> 'refuses'`, r.AgreementID)
		if err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("insert handover records: a person is held by another agreement on another version of his list: %w", ErrBound)
		}
	}
	return nil
}

// fillEntryIDs names the list entries of new rows of a table by entry and
// person id (migration 00017), from their list and row.
func (tx *Tx) fillEntryIDs(ctx context.Context, table, keyCol string, recs []HandoverRecord) error {
	seen := map[string]bool{}
	for _, r := range recs {
		if seen[r.AgreementID] {
			continue
		}
		seen[r.AgreementID] = true
		if err := tx.fillEntryIDsWhere(ctx, table, keyCol+` = ?`, r.AgreementID); err != nil {
			return err
		}
	}
	return nil
}

func (tx *Tx) fillEntryIDsWhere(ctx context.Context, table, cond string, args ...any) error {
	_, err := tx.Exec(ctx, `UPDATE `+table+` SET
		entry_id = COALESCE((SELECT e.entry_id FROM list_entries e WHERE e.list_id = `+table+`.list_id AND e.row_no = `+table+`.row_no), ''),
		person_id = COALESCE((SELECT `+personOf+` FROM list_entries e JOIN lists l ON l.id = e.list_id
			WHERE e.list_id = `+table+`.list_id AND e.row_no = `+table+`.row_no), '')
		WHERE entry_id = '' AND `+cond, args...)
	if err != nil {
		return fmt.Errorf("name the entries of %s: %w", table, err)
	}
	return nil
}

// UpdateHandoverRecord stores a person's new state if nobody changed it
// since version was read; otherwise the error wraps ErrStateChanged.
func (tx *Tx) UpdateHandoverRecord(ctx context.Context, r *HandoverRecord) error {
	state, subList, subRow, err := handoverColumns(r)
	if err != nil {
		return err
	}
	at := now()
	s := &r.State
	res, err := tx.Exec(ctx, `UPDATE handover_persons SET status = ?, interview = ?, outcome = ?, substitute_list = ?, substitute_row = ?, state = ?,
		version = version + 1, updated_by = ?, updated_at = ? WHERE agreement_id = ? AND list_id = ? AND row_no = ? AND version = ?`,
		s.Status, string(s.Interview), string(s.Outcome), subList, subRow, state, r.UpdatedBy, timeText(at), r.AgreementID, s.ListID, s.Row, r.Version)
	if err != nil {
		return fmt.Errorf("update handover of row %d of list %s: %w", s.Row, s.ListID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("row %d of list %s in agreement %s: %w", s.Row, s.ListID, r.AgreementID, ErrStateChanged)
	}
	r.Version++
	r.UpdatedAt = at
	return nil
}

func (tx *Tx) handoverWhere(ctx context.Context, cond string, args ...any) ([]HandoverRecord, error) {
	rows, err := tx.Query(ctx, `SELECT h.agreement_id, h.side, h.state, h.version, h.updated_by, h.updated_at FROM handover_persons h
		JOIN agreement_releases r ON r.agreement_id = h.agreement_id AND r.list_id = h.list_id AND r.row_no = h.row_no
		WHERE `+cond+` ORDER BY h.agreement_id, r.side, r.position`, args...)
	if err != nil {
		return nil, fmt.Errorf("read handover records: %w", err)
	}
	defer rows.Close()
	out := []HandoverRecord{}
	for rows.Next() {
		var r HandoverRecord
		var state, at string
		if err := rows.Scan(&r.AgreementID, &r.Side, &state, &r.Version, &r.UpdatedBy, &at); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(state), &r.State); err != nil {
			return nil, fmt.Errorf("decode handover state in agreement %s: %w", r.AgreementID, err)
		}
		r.UpdatedAt = parseTime(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// HandoverRecords returns every person of an agreement, in the agreement's
// order.
func (tx *Tx) HandoverRecords(ctx context.Context, agreementID string) ([]HandoverRecord, error) {
	return tx.handoverWhere(ctx, `h.agreement_id = ?`, agreementID)
}

// HandoverRecord returns one person of an agreement.
func (tx *Tx) HandoverRecord(ctx context.Context, agreementID, listID string, row int) (*HandoverRecord, error) {
	recs, err := tx.handoverWhere(ctx, `h.agreement_id = ? AND h.list_id = ? AND h.row_no = ?`, agreementID, listID, row)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("row %d of list %s in agreement %s: %w", row, listID, agreementID, ErrNotFound)
	}
	return &recs[0], nil
}

// EntryHandoverRecords returns the handover records of one row of a list,
// one per agreement that released it.
func (tx *Tx) EntryHandoverRecords(ctx context.Context, listID string, row int) ([]HandoverRecord, error) {
	return tx.handoverWhere(ctx, `h.list_id = ? AND h.row_no = ?`, listID, row)
}

// CommissionRecord is one decision of the Mixed Medical Commission on a
// person proposed under Art. 110.
type CommissionRecord struct {
	ID         string                        `json:"id"`
	ProposalID string                        `json:"proposal_id"`
	ListID     string                        `json:"list_id"`
	Row        int                           `json:"row"`
	Outcome    negotiation.CommissionOutcome `json:"outcome"`
	RecordedBy string                        `json:"recorded_by"`
	RecordedAt time.Time                     `json:"recorded_at"`
}

// InsertCommissionRecord stores a decision; the store sets RecordedAt.
func (tx *Tx) InsertCommissionRecord(ctx context.Context, c *CommissionRecord) error {
	c.RecordedAt = now()
	_, err := tx.Exec(ctx, `INSERT INTO commission_outcomes (id, proposal_id, list_id, row_no, decision, decided_on, reexamine_on, recorded_by, recorded_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, c.ProposalID, c.ListID, c.Row, string(c.Outcome.Decision), c.Outcome.DecidedOn.String(),
		c.Outcome.ReexamineOn.String(), c.RecordedBy, timeText(c.RecordedAt))
	if err != nil {
		return fmt.Errorf("insert commission outcome: %w", err)
	}
	return tx.fillEntryIDsWhere(ctx, "commission_outcomes", `id = ?`, c.ID)
}

func (tx *Tx) commissionWhere(ctx context.Context, cond string, args ...any) ([]CommissionRecord, error) {
	rows, err := tx.Query(ctx, `SELECT id, proposal_id, list_id, row_no, decision, decided_on, reexamine_on, recorded_by, recorded_at
		FROM commission_outcomes WHERE `+cond+` ORDER BY recorded_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read commission outcomes: %w", err)
	}
	defer rows.Close()
	out := []CommissionRecord{}
	for rows.Next() {
		var c CommissionRecord
		var decision, decided, reexamine, at string
		if err := rows.Scan(&c.ID, &c.ProposalID, &c.ListID, &c.Row, &decision, &decided, &reexamine, &c.RecordedBy, &at); err != nil {
			return nil, err
		}
		c.Outcome = negotiation.CommissionOutcome{Decision: negotiation.CommissionDecision(decision), DecidedOn: parseDate(decided), ReexamineOn: parseDate(reexamine)}
		c.RecordedAt = parseTime(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// ProposalCommission returns the decisions recorded under a proposal.
func (tx *Tx) ProposalCommission(ctx context.Context, proposalID string) ([]CommissionRecord, error) {
	return tx.commissionWhere(ctx, `proposal_id = ?`, proposalID)
}

// EntryCommission returns the decisions on the person of one row of a
// list, made on this version of the list or another, oldest first.
func (tx *Tx) EntryCommission(ctx context.Context, listID string, row int) ([]CommissionRecord, error) {
	ref, err := tx.refOrNone(ctx, listID, row)
	if err != nil {
		return nil, err
	}
	if ref.PersonID != "" {
		return tx.commissionWhere(ctx, `person_id = ?`, ref.PersonID)
	}
	return tx.commissionWhere(ctx, `list_id = ? AND row_no = ?`, listID, row)
}

// StageCounts counts the persons of each agreement, for the public figures:
// agreed, and handed over (an agreed person handed over, or the substitute
// brought in his place), which for an exchange between two parties is
// their repatriation. Stage is the agreement's id; Date its stage date, or
// the day it was witnessed.
func (tx *Tx) StageCounts(ctx context.Context) ([]families.StageCounts, error) {
	rows, err := tx.Query(ctx, `SELECT a.id, a.stage_date, a.created_at, COUNT(*),
		SUM(CASE WHEN h.outcome IN ('handed_over', 'substituted') THEN 1 ELSE 0 END)
		FROM agreements a JOIN handover_persons h ON h.agreement_id = a.id
		GROUP BY a.id, a.stage_date, a.created_at ORDER BY a.created_at, a.id`)
	if err != nil {
		return nil, fmt.Errorf("count stages: %w", err)
	}
	defer rows.Close()
	var out []families.StageCounts
	for rows.Next() {
		var c families.StageCounts
		var date, created string
		if err := rows.Scan(&c.Stage, &date, &created, &c.Agreed, &c.HandedOver); err != nil {
			return nil, err
		}
		if t, ok := parseDate(date).Time(); ok {
			c.Date = t
		} else {
			c.Date = parseTime(created)
		}
		c.Repatriated = c.HandedOver
		out = append(out, c)
	}
	return out, rows.Err()
}

// PendingHandover counts the persons of an agreement without an outcome:
// neither an outcome recorded nor a refusal (handover.PersonState.Done).
func (tx *Tx) PendingHandover(ctx context.Context, agreementID string) (int, error) {
	var n int
	err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM handover_persons WHERE agreement_id = ? AND outcome = '' AND interview <> 'refuses'`, agreementID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count pending handover of %s: %w", agreementID, err)
	}
	return n, nil
}
