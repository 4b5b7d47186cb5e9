package service

import (
	"context"
	"io"
	"strconv"
	"strings"
	"unicode"

	"parley/internal/access"
	"parley/internal/families"
	"parley/internal/listfile"
	"parley/internal/lists"
	"parley/internal/names"
	"parley/internal/store"
)

// Search is what a person typed into the search box of a table, read the
// way people type: names in any script (names.Query), a date of birth as
// it is written (29.12.1997, 1997-12-29, 12.1997, 1997), category words in
// any of the catalogue's languages ("wounded", "поранений", "раненый"),
// and numbers (a service number or a row).
type Search struct {
	Names      names.Query `json:"-"`
	NameText   string      `json:"names,omitempty"` // the words read as names
	Birth      string      `json:"birth,omitempty"` // ISO, possibly partial
	Categories []string    `json:"categories,omitempty"`
	Number     string      `json:"number,omitempty"`
}

// ParseSearch reads a search box. A word is a date when it parses as one,
// a category when the catalogue knows it (alone or with the next word, as
// "seriously ill"), a number when it has digits, and otherwise part of a
// name.
func (s *Service) ParseSearch(typed string) Search {
	var out Search
	var nameWords []string
	words := strings.Fields(typed)
	cat := s.Catalogue()
	for i := 0; i < len(words); i++ {
		w := words[i]
		if i+1 < len(words) {
			if code, ok := cat.Resolve(w + " " + words[i+1]); ok {
				out.Categories = append(out.Categories, code)
				i++
				continue
			}
		}
		if d, err := listfile.ParseDate(w); err == nil && !d.IsZero() {
			out.Birth = d.String()
			continue
		}
		if code, ok := cat.Resolve(w); ok {
			out.Categories = append(out.Categories, code)
			continue
		}
		// An inquiry's reference is a number even when its random
		// characters happen to be all letters ("PX-QSAX-NWKC").
		if ref, err := families.NormalizeReference(w); err == nil && strings.Contains(w, "-") &&
			strings.HasPrefix(strings.ToUpper(w), families.ReferencePrefix) {
			out.Number = ref
			continue
		}
		if strings.IndexFunc(w, unicode.IsDigit) >= 0 {
			out.Number = w
			continue
		}
		nameWords = append(nameWords, w)
	}
	out.NameText = strings.Join(nameWords, " ")
	out.Names = names.NewQuery(out.NameText)
	return out
}

func (s *Service) storeQuery(party string, q RegistryQuery) (store.RegistryQuery, Search) {
	f, se := s.personFilter(q)
	return store.RegistryQuery{Party: party, PersonFilter: f, Status: q.Status, Sort: q.Sort, Desc: q.Desc}, se
}

// ensureKeyed gives the records of a registry stored before its search
// columns existed their keys, once.
func (s *Service) ensureKeyed(ctx context.Context, party string) error {
	return s.keyOnce(ctx, "registry/"+party, func(tx *store.Tx) (int, error) { return tx.KeyRegistry(ctx, party) })
}

// RegistryPage returns one page of a party's registry, searched, filtered
// and sorted by the database, for its own officers.
func (s *Service) RegistryPage(ctx context.Context, actor access.Actor, party string, q RegistryQuery) (*RegistryPage, error) {
	if !actor.CanReadRegistry(party) {
		return nil, access.Forbid("deny.registry_own")
	}
	if err := s.ensureKeyed(ctx, party); err != nil {
		return nil, err
	}
	sq, se := s.storeQuery(party, q)
	page := &RegistryPage{Search: se}
	after, afterOK := parseRegistryKey(q.After)
	before, beforeOK := parseRegistryKey(q.Before)
	err := s.db.View(ctx, func(tx *store.Tx) error {
		if _, err := tx.Party(ctx, party); err != nil {
			return err
		}
		return fillUpTo(q, page, s.countCap(), func(offset, limit int) ([]lists.Entry, int, bool, error) {
			// One row more than the page says whether another follows.
			sq.Offset, sq.Limit, sq.CountUpTo = offset, limit+1, s.countCap()
			read := func(q store.RegistryQuery) ([]lists.Entry, int, bool, error) {
				es, total, err := tx.RegistryPage(ctx, q)
				if len(es) > limit {
					return es[:limit], total, true, err
				}
				return es, total, false, err
			}
			// The page asked for is read from its neighbour's edge when
			// the link gave it; a stale edge that finds no full page falls
			// back to the offset.
			if q.Page > 1 && offset == (q.Page-1)*limit && (afterOK || beforeOK) {
				kq := sq
				if afterOK {
					kq.After = &after
					if es, total, next, err := read(kq); err != nil || len(es) > 0 {
						return es, total, next, err
					}
				} else {
					// Read backwards, the extra row is the one before the
					// page; the page after it is where the link came from.
					kq.Before = &before
					es, total, err := tx.RegistryPage(ctx, kq)
					if err != nil || len(es) > limit {
						return es[min(len(es), 1):], total, true, err
					}
				}
			}
			return read(sq)
		})
	})
	if err != nil {
		return nil, err
	}
	if n := len(page.Entries); n > 0 {
		page.Before = formatRegistryKey(store.RegistryKeyOf(&page.Entries[0], q.Sort))
		page.After = formatRegistryKey(store.RegistryKeyOf(&page.Entries[n-1], q.Sort))
	}
	if err := s.recordAccess(ctx, actor, "registry.view", party, len(page.Entries)); err != nil {
		return nil, err
	}
	return page, nil
}

// formatRegistryKey writes a record's place in an order as a page's
// edge (Page.After, Before): its row, a dot, and its sort value.
func formatRegistryKey(k store.RegistryKey) string {
	return strconv.Itoa(k.Row) + "." + k.Value
}

// parseRegistryKey reads formatRegistryKey's text; not ok when empty or
// not such a text.
func parseRegistryKey(s string) (store.RegistryKey, bool) {
	row, value, ok := strings.Cut(s, ".")
	if !ok {
		return store.RegistryKey{}, false
	}
	n, err := strconv.Atoi(row)
	if err != nil {
		return store.RegistryKey{}, false
	}
	return store.RegistryKey{Row: n, Value: value}, true
}

// ExportRegistry writes the records of a party's registry under a query,
// in the query's order: the clerk's CSV in a language (opts), or the
// format f (xlsx, json).
func (s *Service) ExportRegistry(ctx context.Context, actor access.Actor, party string, q RegistryQuery, f listfile.Format, opts *listfile.ExportOptions, w io.Writer) error {
	if !actor.CanReadRegistry(party) {
		return access.Forbid("deny.registry_own")
	}
	if err := s.ensureKeyed(ctx, party); err != nil {
		return err
	}
	sq, _ := s.storeQuery(party, q)
	sq.Limit, sq.CountUpTo = MaxExportRows, 1 // the export needs no count
	var es []lists.Entry
	err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		es, _, err = tx.RegistryPage(ctx, sq)
		return err
	})
	if err != nil {
		return err
	}
	if err := s.recordAccess(ctx, actor, "registry.export", party, len(es)); err != nil {
		return err
	}
	return s.writePersons(w, es, f, opts, listfile.Meta{Title: "Registry " + party, From: party})
}
