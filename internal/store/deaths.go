package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"parley/internal/disputes"
	"parley/internal/handover"
	"parley/internal/person"
)

// Deaths in captivity and disputes about lists (migration 00011). Package
// service applies the rules; these functions only read and write. A death
// belongs to a person (person_id, migration 00017), found from any version
// of the list; list id and row say where it was recorded.

const deathColumns = `id, list_id, row_no, entry_id, person_id, party, family_party, died_on, place, cause, burial, grave, reported_by, documents,
	state, remains_note, recorded_by, recorded_at, released_state, family_text, released_by, released_at`

func scanDeath(scan func(...any) error) (*handover.Death, error) {
	var d handover.Death
	var died, docs, recorded, released string
	if err := scan(&d.ID, &d.ListID, &d.Row, &d.EntryID, &d.PersonID, &d.Party, &d.FamilyParty, &died, &d.Place, &d.Cause, &d.Burial, &d.Grave, &d.ReportedBy, &docs,
		&d.State, &d.RemainsNote, &d.RecordedBy, &recorded, &d.ReleasedState, &d.FamilyText, &d.ReleasedBy, &released); err != nil {
		return nil, err
	}
	if died != "" {
		v, err := person.ParseISODate(died)
		if err != nil {
			return nil, fmt.Errorf("death %s: date of death %q: %w", d.ID, died, err)
		}
		d.DiedOn = v
	}
	if err := json.Unmarshal([]byte(docs), &d.Documents); err != nil {
		return nil, fmt.Errorf("decode documents of death %s: %w", d.ID, err)
	}
	d.RecordedAt, d.ReleasedAt = parseTime(recorded), parseTime(released)
	return &d, nil
}

// InsertDeath stores a death record. A second record for the same list
// entry gives ErrDuplicate.
func (tx *Tx) InsertDeath(ctx context.Context, d *handover.Death) error {
	ref, err := tx.EntryRefOf(ctx, d.ListID, d.Row)
	if err != nil {
		return err
	}
	d.EntryID, d.PersonID = ref.EntryID, ref.PersonID
	if n, err := tx.count(ctx, `SELECT COUNT(*) FROM deaths WHERE person_id = ? OR (list_id = ? AND row_no = ?)`, d.PersonID, d.ListID, d.Row); err != nil {
		return err
	} else if n > 0 {
		return fmt.Errorf("death of row %d of list %s: %w", d.Row, d.ListID, ErrDuplicate)
	}
	docs, err := json.Marshal(nonNil(d.Documents))
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO deaths (`+deathColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, d.ListID, d.Row, d.EntryID, d.PersonID, d.Party, d.FamilyParty, d.DiedOn.String(), d.Place, d.Cause, d.Burial, d.Grave, d.ReportedBy, string(docs),
		d.State, d.RemainsNote, d.RecordedBy, timeText(d.RecordedAt), d.ReleasedState, d.FamilyText, d.ReleasedBy, timeText(d.ReleasedAt))
	if err != nil {
		return fmt.Errorf("insert death: %w", err)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (tx *Tx) count(ctx context.Context, q string, args ...any) (int, error) {
	var n int
	if err := tx.QueryRow(ctx, q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count: %w", err)
	}
	return n, nil
}

// Death reads a death record by id.
func (tx *Tx) Death(ctx context.Context, id string) (*handover.Death, error) {
	d, err := scanDeath(tx.QueryRow(ctx, `SELECT `+deathColumns+` FROM deaths WHERE id = ?`, id).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("death %q: %w", id, ErrNotFound)
	}
	return d, err
}

// EntryDeath reads the death record of the person of a list entry,
// recorded on this version of the list or another; ok is false when there
// is none.
func (tx *Tx) EntryDeath(ctx context.Context, listID string, row int) (*handover.Death, bool, error) {
	ref, err := tx.refOrNone(ctx, listID, row)
	if err != nil {
		return nil, false, err
	}
	q, args := `SELECT `+deathColumns+` FROM deaths WHERE list_id = ? AND row_no = ?`, []any{listID, row}
	if ref.PersonID != "" {
		q, args = `SELECT `+deathColumns+` FROM deaths WHERE person_id = ? ORDER BY recorded_at, id LIMIT 1`, []any{ref.PersonID}
	}
	d, err := scanDeath(tx.QueryRow(ctx, q, args...).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read death of %s row %d: %w", listID, row, err)
	}
	return d, true, nil
}

// DeathFilter selects death records; zero fields select all.
type DeathFilter struct {
	Party string // recorded by this party or released by it (its own people)
	// ListID selects the deaths of the persons on a list, recorded on it or
	// on another version of it.
	ListID string
	// PendingOnly selects records whose current state has not been
	// released to families.
	PendingOnly bool
}

// DeathRows returns the rows of a list version whose person's death is on
// record (on this version or another), with the record's id.
func (tx *Tx) DeathRows(ctx context.Context, listID string) (map[int]string, error) {
	rows, err := tx.Query(ctx, `SELECT e.row_no, d.id FROM list_entries e JOIN lists l ON l.id = e.list_id
		JOIN deaths d ON d.person_id = `+personOf+` WHERE e.list_id = ? ORDER BY d.recorded_at, d.id`, listID)
	if err != nil {
		return nil, fmt.Errorf("read deaths of list %s: %w", listID, err)
	}
	defer rows.Close()
	out := map[int]string{}
	for rows.Next() {
		var row int
		var id string
		if err := rows.Scan(&row, &id); err != nil {
			return nil, err
		}
		if _, ok := out[row]; !ok {
			out[row] = id
		}
	}
	return out, rows.Err()
}

// Deaths returns death records, oldest first.
func (tx *Tx) Deaths(ctx context.Context, f DeathFilter) ([]*handover.Death, error) {
	q := `SELECT ` + deathColumns + ` FROM deaths WHERE 1=1`
	var args []any
	if f.Party != "" {
		q += ` AND (party = ? OR family_party = ?)`
		args = append(args, f.Party, f.Party)
	}
	if f.ListID != "" {
		q += ` AND (list_id = ? OR person_id IN (SELECT ` + personOf + ` FROM list_entries e JOIN lists l ON l.id = e.list_id WHERE e.list_id = ?))`
		args = append(args, f.ListID, f.ListID)
	}
	if f.PendingOnly {
		q += ` AND released_state <> state`
	}
	rows, err := tx.Query(ctx, q+` ORDER BY recorded_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read deaths: %w", err)
	}
	return scanAll(rows, nil, scanDeath)
}

// SetDeathRemainsIdentified records that the remains of a dead person were
// identified.
func (tx *Tx) SetDeathRemainsIdentified(ctx context.Context, id, note string) error {
	res, err := tx.Exec(ctx, `UPDATE deaths SET state = ?, remains_note = ? WHERE id = ? AND state = ?`, handover.DeathRemainsIdentified, note, id, handover.DeathRecorded)
	if err != nil {
		return fmt.Errorf("update death %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("death %s: remains already identified or record changed meanwhile", id)
	}
	return nil
}

// ReleaseDeath records that the news of a death record's state was
// released to families with a text. It fails when the state changed
// meanwhile.
func (tx *Tx) ReleaseDeath(ctx context.Context, id, state, text, by string, at time.Time) error {
	res, err := tx.Exec(ctx, `UPDATE deaths SET released_state = ?, family_text = ?, released_by = ?, released_at = ? WHERE id = ? AND state = ? AND released_state <> state`,
		state, text, by, timeText(at), id, state)
	if err != nil {
		return fmt.Errorf("release death %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("death %s: already released or changed meanwhile", id)
	}
	return nil
}

// DeleteDeath removes a death record whose news was never released.
func (tx *Tx) DeleteDeath(ctx context.Context, id string) error {
	res, err := tx.Exec(ctx, `DELETE FROM deaths WHERE id = ? AND released_state = ''`, id)
	if err != nil {
		return fmt.Errorf("delete death %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("death %s: released or changed meanwhile", id)
	}
	return nil
}

const disputeColumns = `id, kind, list_id, root_id, row_no, run_id, by_party, to_party, reason, note, persons, person_count,
	state, answer, answer_reason, answered_by, answered_at, closed_by, closed_at, close_note, created_by, created_at`

func scanDispute(scan func(...any) error) (*disputes.Dispute, error) {
	var d disputes.Dispute
	var kind, reason, persons, state, answer, answered, closed, created string
	if err := scan(&d.ID, &kind, &d.ListID, &d.RootID, &d.Row, &d.RunID, &d.By, &d.To, &reason, &d.Note, &persons, &d.PersonCount,
		&state, &answer, &d.AnswerReason, &d.AnsweredBy, &answered, &d.ClosedBy, &closed, &d.CloseNote, &d.CreatedBy, &created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(persons), &d.Persons); err != nil {
		return nil, fmt.Errorf("decode persons of dispute %s: %w", d.ID, err)
	}
	d.Kind, d.Reason, d.State, d.Answer = disputes.Kind(kind), disputes.Reason(reason), disputes.State(state), disputes.Answer(answer)
	d.AnsweredAt, d.ClosedAt, d.CreatedAt = parseTime(answered), parseTime(closed), parseTime(created)
	return &d, nil
}

// InsertDispute stores a new dispute.
func (tx *Tx) InsertDispute(ctx context.Context, d *disputes.Dispute) error {
	persons := d.Persons
	if persons == nil {
		persons = []person.Person{}
	}
	b, err := json.Marshal(persons)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO disputes (`+disputeColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, string(d.Kind), d.ListID, d.RootID, d.Row, d.RunID, d.By, d.To, string(d.Reason), d.Note, string(b), d.PersonCount,
		string(d.State), string(d.Answer), d.AnswerReason, d.AnsweredBy, timeText(d.AnsweredAt), d.ClosedBy, timeText(d.ClosedAt), d.CloseNote, d.CreatedBy, timeText(d.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert dispute: %w", err)
	}
	if d.Row > 0 {
		// A contested row names its entry lastingly (migration 00017).
		if _, err := tx.Exec(ctx, `UPDATE disputes SET entry_id = COALESCE((SELECT e.entry_id FROM list_entries e
			WHERE e.list_id = disputes.list_id AND e.row_no = disputes.row_no), '') WHERE id = ?`, d.ID); err != nil {
			return fmt.Errorf("name the entry of dispute %s: %w", d.ID, err)
		}
	}
	return nil
}

// Dispute reads a dispute by id.
func (tx *Tx) Dispute(ctx context.Context, id string) (*disputes.Dispute, error) {
	d, err := scanDispute(tx.QueryRow(ctx, `SELECT `+disputeColumns+` FROM disputes WHERE id = ?`, id).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("dispute %q: %w", id, ErrNotFound)
	}
	return d, err
}

// DisputeFilter selects disputes; zero fields select all.
type DisputeFilter struct {
	Party        string // stated by or addressed to this party
	RootID       string // about any version of this list
	ListID       string
	UnclosedOnly bool
}

// Disputes returns disputes, oldest first.
func (tx *Tx) Disputes(ctx context.Context, f DisputeFilter) ([]*disputes.Dispute, error) {
	q := `SELECT ` + disputeColumns + ` FROM disputes WHERE 1=1`
	var args []any
	if f.Party != "" {
		q += ` AND (by_party = ? OR to_party = ?)`
		args = append(args, f.Party, f.Party)
	}
	if f.RootID != "" {
		q += ` AND root_id = ?`
		args = append(args, f.RootID)
	}
	if f.ListID != "" {
		q += ` AND list_id = ?`
		args = append(args, f.ListID)
	}
	if f.UnclosedOnly {
		q += ` AND state <> 'closed'`
	}
	rows, err := tx.Query(ctx, q+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read disputes: %w", err)
	}
	return scanAll(rows, nil, scanDispute)
}

// AnswerDispute records the answer to an open dispute. It fails when the
// dispute is no longer open.
func (tx *Tx) AnswerDispute(ctx context.Context, id string, a disputes.Answer, reason, by string, at time.Time) error {
	res, err := tx.Exec(ctx, `UPDATE disputes SET state = 'answered', answer = ?, answer_reason = ?, answered_by = ?, answered_at = ? WHERE id = ? AND state = 'open'`,
		string(a), reason, by, timeText(at), id)
	if err != nil {
		return fmt.Errorf("answer dispute %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("dispute %s is no longer open", id)
	}
	return nil
}

// CloseDispute closes a dispute, naming the list version that closed it.
func (tx *Tx) CloseDispute(ctx context.Context, id, byList, note string, at time.Time) error {
	res, err := tx.Exec(ctx, `UPDATE disputes SET state = 'closed', closed_by = ?, close_note = ?, closed_at = ? WHERE id = ? AND state <> 'closed'`,
		byList, note, timeText(at), id)
	if err != nil {
		return fmt.Errorf("close dispute %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("dispute %s is already closed", id)
	}
	return nil
}
