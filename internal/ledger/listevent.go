package ledger

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"parley/internal/lists"
)

// ListItemID names a list row as a personal item: "row/<row number>".
func ListItemID(row int) string { return "row/" + strconv.Itoa(row) }

// ListItems returns a list's rows as personal items: one per row, with id
// "row/N" and as data the row's JSON, the same bytes that
// lists.CanonicalBytes hashes for that row. The verifier recomputes them
// from the database the same way, so the service layer must use this
// function (through ListHandedOver) rather than its own encoding.
func ListItems(l *lists.List) ([]Item, error) {
	items := make([]Item, 0, len(l.Entries))
	for _, e := range l.Entries {
		b, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("encode row %d of list %s: %w", e.Row, l.ID, err)
		}
		items = append(items, Item{ID: ListItemID(e.Row), Data: b})
	}
	return items, nil
}

// ListHandedOver builds the "list.handed_over" event of a list with its
// entries: the list's non-personal header and content hash as attributes,
// and one committed personal item per row. actor is "role:party" or a user
// id.
func ListHandedOver(l *lists.List, actor string, at time.Time) (Event, error) {
	h, err := lists.ContentHash(l)
	if err != nil {
		return Event{}, err
	}
	if l.ContentHash != "" && l.ContentHash != h {
		return Event{}, fmt.Errorf("list %s: recorded content hash %s is not the hash of its entries %s", l.ID, l.ContentHash, h)
	}
	items, err := ListItems(l)
	if err != nil {
		return Event{}, err
	}
	attrs := map[string]string{
		"from":         l.From,
		"to":           l.To,
		"title":        l.Title,
		"version":      strconv.Itoa(l.Version),
		"root_id":      l.RootID,
		"content_hash": h,
		"entry_count":  strconv.Itoa(len(l.Entries)),
	}
	if l.PrevID != "" {
		attrs["prev_id"] = l.PrevID
	}
	return Event{Type: EventListHandedOver, Time: at, Actor: actor, Subject: l.ID, Attrs: attrs, Personal: items}, nil
}

// OpenListRow opens the commitment to one row of a handed-over list: with
// the list's receipt it proves that this person, exactly as given, was on
// the list when it was handed over, and discloses no one else. lst must
// carry its entries as stored.
func (l *Log) OpenListRow(ctx context.Context, st ReadStorage, lst *lists.List, row int) (*Opening, error) {
	rows, err := st.FindLogEntries(ctx, EventListHandedOver, lst.ID)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("list %s: no hand-over in the log: %w", lst.ID, ErrNotFound)
	}
	items, err := ListItems(lst)
	if err != nil {
		return nil, err
	}
	id := ListItemID(row)
	for _, it := range items {
		if it.ID == id {
			return l.Open(ctx, st, rows[len(rows)-1].Index, it)
		}
	}
	return nil, fmt.Errorf("list %s has no row %d: %w", lst.ID, row, ErrNotFound)
}
