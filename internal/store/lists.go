package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"parley/internal/lists"
)

// InsertList stores a new list with its entries. The caller sets the id,
// version and root; the store sets CreatedAt.
func (tx *Tx) InsertList(ctx context.Context, l *lists.List) error {
	l.CreatedAt = now()
	l.EntryCount = len(l.Entries)
	var prev any
	if l.PrevID != "" {
		prev = l.PrevID
	}
	_, err := tx.Exec(ctx, `INSERT INTO lists (id, from_party, to_party, title, version, prev_id, root_id, state, content_hash, entry_count, source_name, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		l.ID, l.From, l.To, l.Title, l.Version, prev, l.RootID, string(l.State), l.ContentHash, l.EntryCount, l.SourceName, l.CreatedBy, timeText(l.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert list: %w", err)
	}
	return tx.insertEntries(ctx, l.ID, l.Entries)
}

func (tx *Tx) insertEntries(ctx context.Context, listID string, entries []lists.Entry) error {
	err := tx.insertRows(ctx, "list_entries", []string{"list_id", "row_no", "entry_id", "person", "surname", "categories",
		"searchable", "name_key", "sort_name", "birth", "category_codes"}, len(entries), func(i int) ([]any, error) {
		e := &entries[i]
		if e.ID == "" {
			e.ID = fmt.Sprintf("%s-%d", listID, e.Row)
		}
		b, err := json.Marshal(e.Person)
		if err != nil {
			return nil, fmt.Errorf("encode row %d: %w", e.Row, err)
		}
		k := personKeys(&e.Person)
		return []any{listID, e.Row, e.ID, string(b), e.Surname, strings.Join(e.Categories, ";"), 1, k.nameKey, k.sortName, k.birth, k.categories}, nil
	})
	if err != nil {
		return fmt.Errorf("insert entries of list %s: %w", listID, err)
	}
	return nil
}

const listColumns = `id, from_party, to_party, title, version, COALESCE(prev_id, ''), root_id, state, content_hash, entry_count, source_name, created_by, created_at, handed_over_at, acknowledged_at`

func scanList(scan func(...any) error) (*lists.List, error) {
	var l lists.List
	var state, created, handed, acked string
	if err := scan(&l.ID, &l.From, &l.To, &l.Title, &l.Version, &l.PrevID, &l.RootID, &state, &l.ContentHash, &l.EntryCount, &l.SourceName, &l.CreatedBy, &created, &handed, &acked); err != nil {
		return nil, err
	}
	l.State = lists.State(state)
	l.CreatedAt, l.HandedOverAt, l.AcknowledgedAt = parseTime(created), parseTime(handed), parseTime(acked)
	return &l, nil
}

// List returns a list's header without entries.
func (tx *Tx) List(ctx context.Context, id string) (*lists.List, error) {
	l, err := scanList(tx.QueryRow(ctx, `SELECT `+listColumns+` FROM lists WHERE id = ?`, id).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("list %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read list %s: %w", id, err)
	}
	return l, nil
}

// ListWithEntries returns a list and all its entries in row order.
func (tx *Tx) ListWithEntries(ctx context.Context, id string) (*lists.List, error) {
	l, err := tx.List(ctx, id)
	if err != nil {
		return nil, err
	}
	l.Entries, err = tx.Entries(ctx, id)
	return l, err
}

// Entries returns a list's entries in row order.
func (tx *Tx) Entries(ctx context.Context, listID string) ([]lists.Entry, error) {
	rows, err := tx.Query(ctx, `SELECT row_no, entry_id, person FROM list_entries WHERE list_id = ? ORDER BY row_no`, listID)
	if err != nil {
		return nil, fmt.Errorf("read entries of %s: %w", listID, err)
	}
	defer rows.Close()
	out := []lists.Entry{}
	for rows.Next() {
		var e lists.Entry
		var b string
		if err := rows.Scan(&e.Row, &e.ID, &b); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(b), &e.Person); err != nil {
			return nil, fmt.Errorf("decode row %d of %s: %w", e.Row, listID, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ListFilter selects lists. Zero fields select all.
type ListFilter struct {
	// Party, when set, selects lists from that party (any state) and lists
	// to that party that have been handed over: what the party may see.
	Party string
	// HandedOverOnly selects lists that have left the draft state.
	HandedOverOnly bool
	RootID         string
}

// conds are the filter's conditions on the lists table.
func (f ListFilter) conds() (where []string, args []any) {
	if f.Party != "" {
		where, args = append(where, "(from_party = ? OR (to_party = ? AND state <> 'draft'))"), append(args, f.Party, f.Party)
	}
	if f.HandedOverOnly {
		where = append(where, "state <> 'draft'")
	}
	if f.RootID != "" {
		where, args = append(where, "root_id = ?"), append(args, f.RootID)
	}
	return where, args
}

// Lists returns list headers, newest first.
func (tx *Tx) Lists(ctx context.Context, f ListFilter) ([]*lists.List, error) {
	where, args := f.conds()
	out, err := tx.queryLists(ctx, `SELECT `+listColumns+` FROM lists WHERE `+strings.Join(append([]string{"1 = 1"}, where...), " AND ")+` ORDER BY created_at DESC, id`, args...)
	if len(out) == 0 {
		out = nil
	}
	return out, err
}

// queryLists reads the list headers a query selects.
func (tx *Tx) queryLists(ctx context.Context, q string, args ...any) ([]*lists.List, error) {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list lists: %w", err)
	}
	return scanAll(rows, []*lists.List{}, scanList)
}

// LatestVersion returns the highest version number among lists with the root.
func (tx *Tx) LatestVersion(ctx context.Context, rootID string) (int, error) {
	var v int
	err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM lists WHERE root_id = ?`, rootID).Scan(&v)
	return v, err
}

// SetListState moves a list to a new state, only from the expected state,
// so that two concurrent hand-overs cannot both succeed.
func (tx *Tx) SetListState(ctx context.Context, id string, from, to lists.State, contentHash string) error {
	var q string
	args := []any{string(to)}
	switch to {
	case lists.HandedOver:
		q = `UPDATE lists SET state = ?, content_hash = ?, handed_over_at = ? WHERE id = ? AND state = ?`
		args = append(args, contentHash, timeText(now()))
	case lists.Acknowledged:
		q = `UPDATE lists SET state = ?, acknowledged_at = ? WHERE id = ? AND state = ?`
		args = append(args, timeText(now()))
	default:
		return fmt.Errorf("cannot move list %s to state %s", id, to)
	}
	args = append(args, id, string(from))
	res, err := tx.Exec(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("update list %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("list %s is not in state %s", id, from)
	}
	return nil
}

// ReplaceDraftEntries replaces every entry of a draft list.
func (tx *Tx) ReplaceDraftEntries(ctx context.Context, id string, entries []lists.Entry) error {
	res, err := tx.Exec(ctx, `UPDATE lists SET entry_count = ? WHERE id = ? AND state = 'draft'`, len(entries), id)
	if err != nil {
		return fmt.Errorf("update list %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("list %s is not a draft", id)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM list_entries WHERE list_id = ?`, id); err != nil {
		return fmt.Errorf("clear list %s: %w", id, err)
	}
	return tx.insertEntries(ctx, id, entries)
}
