package service

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode"

	"parley/internal/access"
	"parley/internal/listfile"
	"parley/internal/lists"
	"parley/internal/names"
	"parley/internal/person"
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

// RegistryQuery selects a page of a party's registry.
type RegistryQuery struct {
	Search   string `json:"q,omitempty"`
	Status   string `json:"status,omitempty"`
	Category string `json:"category,omitempty"`
	Sort     string `json:"sort,omitempty"` // row, name, birth, status
	Desc     bool   `json:"desc,omitempty"`
	Page     int    `json:"page,omitempty"`
	PageSize int    `json:"page_size,omitempty"`
}

// RegistryPage is one page of a registry under a query.
type RegistryPage struct {
	Entries []lists.Entry `json:"entries"`
	Total   int           `json:"total"` // records under the query
	Page    int           `json:"page"`
	Pages   int           `json:"pages"`
	Search  Search        `json:"search"`
}

// keyedRegistries remembers the registries whose records all carry their
// search columns, per service, so that the check is made once a process.
var keyedRegistries sync.Map

func (s *Service) storeQuery(party string, q RegistryQuery) (store.RegistryQuery, Search) {
	se := s.ParseSearch(q.Search)
	sq := store.RegistryQuery{Party: party, Names: se.Names.Patterns(), Birth: se.Birth, Categories: se.Categories, Number: se.Number,
		Status: q.Status, Sort: q.Sort, Desc: q.Desc}
	if q.Category != "" {
		sq.Categories = append(sq.Categories, q.Category)
	}
	return sq, se
}

// ensureKeyed gives the records of a registry stored before its search
// columns existed their keys, once.
func (s *Service) ensureKeyed(ctx context.Context, party string) error {
	key := fmt.Sprintf("%p/%s", s, party)
	if _, ok := keyedRegistries.Load(key); ok {
		return nil
	}
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		n, err := tx.KeyRegistry(ctx, party)
		if n > 0 {
			s.Logger.Info("registry keyed for search", "party", party, "records", n)
		}
		return err
	})
	if err == nil {
		keyedRegistries.Store(key, true)
	}
	return err
}

// RegistryPage returns one page of a party's registry, searched, filtered
// and sorted by the database, for its own officers.
func (s *Service) RegistryPage(ctx context.Context, actor access.Actor, party string, q RegistryQuery) (*RegistryPage, error) {
	if !actor.CanReadRegistry(party) {
		return nil, access.Forbid("deny.registry_own")
	}
	if q.PageSize <= 0 || q.PageSize > 500 {
		q.PageSize = 50
	}
	if err := s.ensureKeyed(ctx, party); err != nil {
		return nil, err
	}
	sq, se := s.storeQuery(party, q)
	page := &RegistryPage{Search: se, Page: max(q.Page, 1)}
	err := s.db.View(ctx, func(tx *store.Tx) error {
		if _, err := tx.Party(ctx, party); err != nil {
			return err
		}
		for {
			sq.Offset, sq.Limit = (page.Page-1)*q.PageSize, q.PageSize
			var err error
			if page.Entries, page.Total, err = tx.RegistryPage(ctx, sq); err != nil {
				return err
			}
			page.Pages = max(1, (page.Total+q.PageSize-1)/q.PageSize)
			if page.Page <= page.Pages {
				return nil
			}
			page.Page = page.Pages // past the end: the last page
		}
	})
	if err != nil {
		return nil, err
	}
	if err := s.recordAccess(ctx, actor, "registry.view", party, len(page.Entries)); err != nil {
		return nil, err
	}
	return page, nil
}

// MaxExportRows bounds an export of a filtered table: a larger one is the
// registry itself, which the registry export gives whole.
const MaxExportRows = 200000

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
	sq.Limit = MaxExportRows
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
	ps := make([]person.Person, len(es))
	for i, e := range es {
		ps[i] = e.Person
	}
	if opts != nil {
		if opts.Catalogue == nil {
			opts.Catalogue = s.Catalogue()
		}
		return listfile.WriteClerkCSV(w, ps, *opts)
	}
	return listfile.WriteTemp(w, f, listfile.Meta{Title: "Registry " + party, From: party}, ps, s.Limits.TempDir)
}
