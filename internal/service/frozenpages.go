package service

import (
	"context"
	"fmt"
	"reflect"

	"parley/internal/lists"
	"parley/internal/store"
)

// FrozenPagesBytes bounds the pages of frozen lists a process keeps in
// memory (by an estimate of their decoded size).
const FrozenPagesBytes = 64 << 20

// Why the entry pages of a frozen list may be kept in memory, across
// requests and processes:
//
//   - A list version that is no longer a draft (handed over or
//     acknowledged) never changes: its entries were fixed, and their hash
//     recorded, at the hand-over; a correction is a new version with a new
//     id. The store has no statement that changes or removes the entries
//     of a list that is not a draft (ReplaceDraftEntries refuses one), so
//     a page read once, keyed by the version's id and the query, is what
//     every later read in any process sharing the database would return.
//   - Only the entries are kept. The list's header, its versions, the
//     parties and the disputes are read on every request, in the same
//     transaction as before, so the access check (readableList) runs on
//     every view, a list a party may no longer read is refused, and the
//     state that decides whether the cache may be used is the one just
//     read. Every view is still logged.
//   - Drafts are never kept: their entries can be replaced at any time.
//
// A page is keyed by everything the query that read it is made of; the
// search columns it filters and sorts on are filled (keyList) before the
// first read, and are derived from the entries alone.
type frozenPageKey struct {
	list   string
	filter string // store.PersonFilter, which is not comparable, printed
	sort   string
	desc   bool
	offset int
	limit  int
}

type frozenPage struct {
	entries []lists.Entry
	total   int
}

func newFrozenPageKey(q store.EntryQuery) frozenPageKey {
	return frozenPageKey{list: q.ListID, filter: fmt.Sprintf("%#v", q.PersonFilter), sort: q.Sort, desc: q.Desc, offset: q.Offset, limit: q.Limit}
}

// frozenEntryPage is tx.EntryPage for a list version l, answered from the
// process's cache when l is frozen. The entries returned may be shared
// with other requests: callers must not change them.
func (s *Service) frozenEntryPage(ctx context.Context, tx *store.Tx, l *lists.List, q store.EntryQuery) ([]lists.Entry, int, error) {
	if !l.Frozen() || q.ListID != l.ID {
		return tx.EntryPage(ctx, q)
	}
	k := newFrozenPageKey(q)
	if p, ok := s.frozenPages.Get(k); ok {
		return p.entries, p.total, nil
	}
	es, total, err := tx.EntryPage(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	var size int64 = 256
	for i := range es {
		size += entrySize(&es[i])
	}
	s.frozenPages.Add(k, frozenPage{entries: es, total: total}, size)
	return es, total, nil
}

// entrySize estimates the bytes a decoded entry takes: its struct and the
// strings it points to.
func entrySize(e *lists.Entry) int64 {
	n := int64(reflect.TypeFor[lists.Entry]().Size()) + int64(len(e.ID))
	v := reflect.ValueOf(&e.Person).Elem()
	for i := range v.NumField() {
		switch f := v.Field(i); f.Kind() {
		case reflect.String:
			n += int64(f.Len())
		case reflect.Slice:
			for j := range f.Len() {
				if x := f.Index(j); x.Kind() == reflect.String {
					n += 16 + int64(x.Len())
				}
			}
		case reflect.Map:
			for it := f.MapRange(); it.Next(); {
				n += 64 + int64(len(fmt.Sprint(it.Key()))+len(fmt.Sprint(it.Value())))
			}
		}
	}
	return n
}
