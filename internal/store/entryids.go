package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Interviews, outcomes, deaths and disputes name a list entry by its
// lasting id and the person (migration 00017): the row of a list version is
// only what people cite, resolved here once at the edge of the store.

// EntryRef names one person on one version of a list.
type EntryRef struct {
	ListID   string
	Row      int    // the row people cite in this version
	EntryID  string // lasts across the versions of the list
	PersonID string // the list's root and the entry id
}

// personOf is the SQL expression of the person id of list entry e of list l.
const personOf = `l.root_id || '/' || e.entry_id`

// EntryRefOf resolves a row of a list version to its entry and person ids.
// A row the list does not have gives ErrNotFound.
func (tx *Tx) EntryRefOf(ctx context.Context, listID string, row int) (EntryRef, error) {
	r := EntryRef{ListID: listID, Row: row}
	err := tx.QueryRow(ctx, `SELECT e.entry_id, `+personOf+` FROM list_entries e JOIN lists l ON l.id = e.list_id
		WHERE e.list_id = ? AND e.row_no = ?`, listID, row).Scan(&r.EntryID, &r.PersonID)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("row %d of list %s: %w", row, listID, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("read row %d of list %s: %w", row, listID, err)
	}
	return r, nil
}

// EntryRefByID resolves an entry id of a list version to its row there.
func (tx *Tx) EntryRefByID(ctx context.Context, listID, entryID string) (EntryRef, error) {
	r := EntryRef{ListID: listID, EntryID: entryID}
	err := tx.QueryRow(ctx, `SELECT e.row_no, `+personOf+` FROM list_entries e JOIN lists l ON l.id = e.list_id
		WHERE e.list_id = ? AND e.entry_id = ?`, listID, entryID).Scan(&r.Row, &r.PersonID)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("entry %s of list %s: %w", entryID, listID, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("read entry %s of list %s: %w", entryID, listID, err)
	}
	return r, nil
}

// refOrNone resolves a row like EntryRefOf, with empty ids for a row the
// list does not have (rows stored before ids were checked).
func (tx *Tx) refOrNone(ctx context.Context, listID string, row int) (EntryRef, error) {
	r, err := tx.EntryRefOf(ctx, listID, row)
	if errors.Is(err, ErrNotFound) {
		return EntryRef{ListID: listID, Row: row}, nil
	}
	return r, err
}
