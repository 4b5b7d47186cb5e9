package service

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"parley/internal/access"
	"parley/internal/disputes"
	"parley/internal/listfile"
	"parley/internal/lists"
	"parley/internal/parties"
	"parley/internal/person"
	"parley/internal/store"
)

// The tables that can grow — a registry, the lists, one list's persons,
// the left-off report — are searched, filtered, sorted and paged by the
// database, under one query type and one page type; their exports and
// printouts take the whole filtered table in the same order.

// TableQuery is what a person asks of such a table: the search box
// (ParseSearch), the filters, the order and the page. A field a table
// does not know is ignored.
type TableQuery struct {
	Search   string `json:"q,omitempty"`
	Status   string `json:"status,omitempty"` // a record's status; a list's state
	Category string `json:"category,omitempty"`
	Party    string `json:"party,omitempty"` // lists: a party on either side
	// Links: inquiries with a link in this state, or none (InquiryLinkStates).
	Links string `json:"link,omitempty"`
	// From and To bound a date (lists: the day created), ISO days, both
	// included.
	From     string `json:"from,omitempty"`
	To       string `json:"to,omitempty"`
	Sort     string `json:"sort,omitempty"`
	Desc     bool   `json:"desc,omitempty"`
	Page     int    `json:"page,omitempty"`
	PageSize int    `json:"page_size,omitempty"`
	// All asks for the whole table on one page (up to MaxExportRows), as a
	// print view shows it.
	All bool `json:"all,omitempty"`
	// After and Before, on a table that gives them (Page.After,
	// Page.Before), say where Page begins: just after the last row of the
	// page before it, or just before the first row of the page after it.
	// A deep page is then read from where its neighbour ended, not
	// counted from the start.
	After  string `json:"after,omitempty"`
	Before string `json:"before,omitempty"`
}

// RegistryQuery selects a page of a party's registry.
type RegistryQuery = TableQuery

// Page is one page of a table under a query.
type Page[T any] struct {
	Entries []T    `json:"entries"`
	Total   int    `json:"total"` // rows under the query
	Page    int    `json:"page"`
	Pages   int    `json:"pages"`
	Size    int    `json:"page_size"`
	Search  Search `json:"search"`
	// More says that more rows than Total are under the query: a table
	// that may hold a million rows stops counting at CountCap, and Pages
	// then reaches one page past the rows seen.
	More bool `json:"more,omitempty"`
	// After and Before are where the next page begins and the previous
	// one ends (TableQuery.After, Before), on a table that pages so.
	After  string `json:"after,omitempty"`
	Before string `json:"before,omitempty"`
}

// DefaultCountCap is how far a page view counts the rows under a search
// of a table that may hold a million rows (Page.More, Service.CountCap).
const DefaultCountCap = 10000

func (s *Service) countCap() int {
	if s.CountCap > 0 {
		return s.CountCap
	}
	return DefaultCountCap
}

// RegistryPage is one page of a registry under a query.
type RegistryPage = Page[lists.Entry]

// MaxExportRows bounds an export of a filtered table: a larger one is the
// registry itself, which the registry export gives whole.
const MaxExportRows = 200000

func (q TableQuery) size() int {
	switch {
	case q.All:
		return MaxExportRows
	case q.PageSize <= 0 || q.PageSize > 500:
		return 50
	}
	return q.PageSize
}

// fill reads the page q asks for with read (from an offset, at most limit
// rows, and how many rows the query selects), or the last page when q asks
// past the end.
func fill[T any](q TableQuery, pg *Page[T], read func(offset, limit int) ([]T, int, error)) error {
	pg.Size = q.size()
	pg.Page = max(q.Page, 1)
	if q.All {
		pg.Page = 1
	}
	for {
		var err error
		if pg.Entries, pg.Total, err = read((pg.Page-1)*pg.Size, pg.Size); err != nil {
			return err
		}
		pg.Pages = max(1, (pg.Total+pg.Size-1)/pg.Size)
		if pg.Page <= pg.Pages {
			return nil
		}
		pg.Page = pg.Pages
	}
}

// fillUpTo is fill for a table whose reader counts at most countCap+1
// rows: a larger count says only that there are more. The reader then
// also says whether a row follows its page (next), so that the page's own
// rows tell how far the table goes at least.
func fillUpTo[T any](q TableQuery, pg *Page[T], countCap int, read func(offset, limit int) (es []T, total int, next bool, err error)) error {
	err := fill(q, pg, func(offset, limit int) ([]T, int, error) {
		es, total, next, err := read(offset, limit)
		pg.More = false
		switch {
		case err != nil || total <= countCap:
		case next:
			// One page past the rows seen, so that the next is offered.
			pg.More = true
			total = max(countCap, offset+len(es)) + 1
		case len(es) > 0 || offset == 0:
			total = offset + len(es)
		default:
			// Past the end of a table not counted through: the last
			// counted page holds rows.
			total = countCap + 1
		}
		return es, total, err
	})
	if pg.More {
		pg.Total--
	}
	return err
}

// personFilter reads the search box and the category filter of a table of
// persons.
func (s *Service) personFilter(q TableQuery) (store.PersonFilter, Search) {
	se := s.ParseSearch(q.Search)
	f := store.PersonFilter{Names: se.Names.Patterns(), Birth: se.Birth, Categories: se.Categories, Number: se.Number}
	if q.Category != "" {
		f.Categories = append(f.Categories, q.Category)
	}
	return f, se
}

// keyed remembers the tables whose rows all carry their search columns,
// per service, so that the check is made once a process.
var keyed sync.Map

// keyOnce gives the rows of a table stored before its search columns
// existed their keys, once a process (what names the table).
func (s *Service) keyOnce(ctx context.Context, what string, key func(tx *store.Tx) (int, error)) error {
	id := fmt.Sprintf("%p/%s", s, what)
	if _, ok := keyed.Load(id); ok {
		return nil
	}
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		n, err := key(tx)
		if n > 0 {
			s.Logger.Info("rows keyed for search", "table", what, "rows", n)
		}
		return err
	})
	if err == nil {
		keyed.Store(id, true)
	}
	return err
}

func (s *Service) keyList(ctx context.Context, id string) error {
	return s.keyOnce(ctx, "list/"+id, func(tx *store.Tx) (int, error) { return tx.KeyEntries(ctx, id) })
}

// writePersons writes an exported table: the clerk's CSV in a language
// (opts), or the format f.
func (s *Service) writePersons(w io.Writer, es []lists.Entry, f listfile.Format, opts *listfile.ExportOptions, meta listfile.Meta) error {
	ps := entryPersons(es)
	if opts != nil {
		if opts.Catalogue == nil {
			opts.Catalogue = s.Catalogue()
		}
		return listfile.WriteClerkCSV(w, ps, *opts)
	}
	return listfile.WriteTemp(w, f, meta, ps, s.Limits.TempDir)
}

func entryPersons(es []lists.Entry) []person.Person {
	ps := make([]person.Person, len(es))
	for i, e := range es {
		ps[i] = e.Person
	}
	return ps
}

// ListPage is one page of a list's entries, with the list's header (its
// Entries empty).
type ListPage struct {
	List *lists.List `json:"list"`
	// Versions are the list's other versions the actor may see, newest
	// first.
	Versions []*lists.List `json:"versions"`
	Page[lists.Entry]
	// With ListEntries' ListPageOptions, read in the same snapshot: the
	// parties of the exchange, and the disputes about the list and its
	// versions the actor may see (nil when not asked for).
	Parties  []parties.Party     `json:"parties,omitempty"`
	Disputes []*disputes.Dispute `json:"disputes,omitempty"`
}

// ListPageOptions asks ListEntries for what the list's page shows besides
// the entries, so that the page reads the database in one transaction.
type ListPageOptions struct {
	Parties bool
	// Disputes, for an actor who takes part in disputes (an officer or a
	// mediator); the view is logged as Disputes logs it.
	Disputes bool
}

// readListPage reads a list's header, if the actor may read the list,
// and one page of its entries under q.
func (s *Service) readListPage(ctx context.Context, actor access.Actor, id string, q TableQuery, o ListPageOptions) (*ListPage, error) {
	if err := s.keyList(ctx, id); err != nil {
		return nil, err
	}
	f, se := s.personFilter(q)
	pg := &ListPage{Page: Page[lists.Entry]{Search: se}}
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		if pg.List, err = s.readableList(ctx, tx, actor, id); err != nil {
			return err
		}
		if pg.Versions, err = s.versions(ctx, tx, actor, pg.List); err != nil {
			return err
		}
		if o.Parties {
			if pg.Parties, err = tx.Parties(ctx); err != nil {
				return err
			}
		}
		if o.Disputes {
			if pg.Disputes, err = disputesTx(ctx, tx, actor, pg.List.RootID, false); err != nil {
				return err
			}
		}
		return fill(q, &pg.Page, func(offset, limit int) ([]lists.Entry, int, error) {
			eq := store.EntryQuery{ListID: id, PersonFilter: f, Sort: q.Sort, Desc: q.Desc, Offset: offset, Limit: limit, Count: pg.List.EntryCount}
			if q.All {
				// An export or a print view: the whole list, rarely
				// asked for, not kept.
				return tx.EntryPage(ctx, eq)
			}
			return s.frozenEntryPage(ctx, tx, pg.List, eq)
		})
	})
	if err != nil {
		return nil, err
	}
	return pg, nil
}

// ListEntries returns one page of a list's entries, searched, filtered
// and sorted by the database, if the actor may read the list; only the
// page is read, and the view is logged with the persons it shows. With
// o, it reads the parties and the list's disputes in the same snapshot;
// the two views (the list's, the disputes') are logged in one
// transaction. The page of a frozen version may come from the process's
// memory (frozenpages.go), after the same access check: its entries are
// shared and must not be changed.
func (s *Service) ListEntries(ctx context.Context, actor access.Actor, id string, q TableQuery, o ListPageOptions) (*ListPage, error) {
	if o.Disputes && !actor.System && !actor.Has(access.Mediator) && !actor.Has(access.Officer) {
		return nil, access.Forbid("deny.see_disputes")
	}
	pg, err := s.readListPage(ctx, actor, id, q, o)
	if err != nil {
		return nil, err
	}
	if actor.System {
		return pg, nil
	}
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		if err := s.recordAccessTx(ctx, tx, actor, "list.view", id, personsDetail(len(pg.Entries))); err != nil {
			return err
		}
		if o.Disputes {
			return s.recordAccessTx(ctx, tx, actor, "disputes.view", id, personsDetail(disputedPersons(pg.Disputes)))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return pg, nil
}

// ExportListTable writes a list's entries under q, in q's order: the
// clerk's CSV in a language (opts), or the format f (xlsx, json).
func (s *Service) ExportListTable(ctx context.Context, actor access.Actor, id string, q TableQuery, f listfile.Format, opts *listfile.ExportOptions, w io.Writer) error {
	q.All = true
	pg, err := s.readListPage(ctx, actor, id, q, ListPageOptions{})
	if err != nil {
		return err
	}
	if err := s.recordAccess(ctx, actor, "list.export", id, len(pg.Entries)); err != nil {
		return err
	}
	l := pg.List
	return s.writePersons(w, pg.Entries, f, opts, listfile.Meta{Title: l.Title, From: l.From, To: l.To, Version: l.Version})
}

// ListsPage returns one page of the lists the actor may see: searched (by
// title, or by a person a list holds), filtered by state, party and the
// day created, and sorted, by the database.
func (s *Service) ListsPage(ctx context.Context, actor access.Actor, q TableQuery) (*Page[*lists.List], error) {
	lf, err := listFilter(actor)
	if err != nil {
		return nil, err
	}
	sq := store.ListsQuery{ListFilter: lf, State: q.Status, Other: q.Party, Title: q.Search, Sort: q.Sort, Desc: q.Desc}
	var se Search
	if q.Search != "" || q.Category != "" {
		sq.Persons, se = s.personFilter(TableQuery{Search: q.Search})
		sq.Holds, _ = s.personFilter(TableQuery{Category: q.Category})
		if err := s.keyVisibleLists(ctx, lf); err != nil {
			return nil, err
		}
	}
	if sq.CreatedFrom, sq.CreatedBefore, err = dayRange(q.From, q.To); err != nil {
		return nil, err
	}
	pg := &Page[*lists.List]{Search: se}
	err = s.db.View(ctx, func(tx *store.Tx) error {
		return fill(q, pg, func(offset, limit int) ([]*lists.List, int, error) {
			sq.Offset, sq.Limit = offset, limit
			return tx.ListsPage(ctx, sq)
		})
	})
	if err != nil {
		return nil, err
	}
	return pg, nil
}

// keyVisibleLists keys the entries of every list a filter shows, so that
// a search for a person finds the lists stored before the search columns.
func (s *Service) keyVisibleLists(ctx context.Context, f store.ListFilter) error {
	var ls []*lists.List
	if err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		ls, err = tx.Lists(ctx, f)
		return err
	}); err != nil {
		return err
	}
	for _, l := range ls {
		if err := s.keyList(ctx, l.ID); err != nil {
			return err
		}
	}
	return nil
}

// dayRange turns a range of ISO days, both included, into the stored
// times at or after from and before the day after to.
func dayRange(from, to string) (string, string, error) {
	var a, b string
	if from != "" {
		d, err := time.Parse(time.DateOnly, from)
		if err != nil {
			return "", "", Invalid("table.bad_date", "value", from)
		}
		a = d.UTC().Format(time.RFC3339Nano)
	}
	if to != "" {
		d, err := time.Parse(time.DateOnly, to)
		if err != nil {
			return "", "", Invalid("table.bad_date", "value", to)
		}
		b = d.AddDate(0, 0, 1).UTC().Format(time.RFC3339Nano)
	}
	return a, b, nil
}
