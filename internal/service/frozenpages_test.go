package service

import (
	"context"
	"testing"

	"parley/internal/access"
	"parley/internal/store/storetest"
)

// TestFrozenPagesKept: a page of a draft is never kept; a handed-over
// version's pages are, one per query, within a bound on their size; and a
// reader who may not see the list is refused although its page is held.
func TestFrozenPagesKept(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newService(t, b)
		res, err := importFile(t, s, officerA, "testdata/first-list.csv", ImportRequest{From: "A", To: "B", Title: "First list"})
		if err != nil {
			t.Fatal(err)
		}
		id := res.List.ID
		read := func(actor access.Actor, q TableQuery) (*ListPage, error) {
			t.Helper()
			return s.ListEntries(ctx, actor, id, q, ListPageOptions{Parties: true, Disputes: true})
		}
		if _, err := read(officerA, TableQuery{}); err != nil {
			t.Fatal(err)
		}
		if n := s.frozenPages.Len(); n != 0 {
			t.Fatalf("a draft's page kept: %d pages held", n)
		}
		if _, err := s.HandOver(ctx, officerA, id); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name  string
			actor access.Actor
			q     TableQuery
			held  int // pages held after the read
			fails bool
		}{
			{"first view", officerB, TableQuery{}, 1, false},
			{"same page again", officerA, TableQuery{}, 1, false},
			{"sorted otherwise", officerB, TableQuery{Sort: "name"}, 2, false},
			{"searched", officerB, TableQuery{Search: "Бондаренко"}, 3, false},
			{"a third party, page held", access.Actor{Username: "oc", Roles: []access.Role{access.Officer}, Party: "C"}, TableQuery{}, 3, true},
			{"no role", access.Actor{Username: "x"}, TableQuery{}, 3, true},
		}
		var want *ListPage
		for _, tt := range tests {
			pg, err := read(tt.actor, tt.q)
			if (err != nil) != tt.fails {
				t.Fatalf("%s: err %v, want failure %v", tt.name, err, tt.fails)
			}
			if n := s.frozenPages.Len(); n != tt.held {
				t.Errorf("%s: %d pages held, want %d", tt.name, n, tt.held)
			}
			if err != nil || tt.q != (TableQuery{}) {
				continue
			}
			if want == nil {
				want = pg
			} else if len(pg.Entries) != len(want.Entries) || pg.Total != want.Total || pg.Entries[2].Surname != want.Entries[2].Surname {
				t.Errorf("%s: page %d rows of %d, want %d of %d", tt.name, len(pg.Entries), pg.Total, len(want.Entries), want.Total)
			}
		}
		if len(want.Entries) != 3 || want.Total != 3 {
			t.Fatalf("page: %d rows of %d, want 3 of 3", len(want.Entries), want.Total)
		}
		// Three small pages (3, 3 and 1 rows) are estimated at a few
		// hundred bytes a row, not at nothing nor at the whole bound.
		if sz := s.frozenPages.Size(); sz < 7*200 || sz > 64<<10 {
			t.Errorf("pages held estimated at %d bytes", sz)
		}
	})
}
