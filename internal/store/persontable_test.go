package store_test

import (
	"context"
	"slices"
	"testing"

	"parley/internal/lists"
	"parley/internal/names"
	"parley/internal/person"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

// TestEntryAndListsPages: a list's entries are searched, filtered, sorted
// and paged by the database, alike on both; entries stored without their
// search columns are keyed once; the lists are found by a person they
// hold.
func TestEntryAndListsPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := famDB(t, b)
		ps := []person.Person{
			{Kind: person.KindPOW, Surname: "Шевченко", GivenNames: "Сергій", BirthDate: person.Date{Year: 1997, Month: 12, Day: 29}, Categories: []string{"wounded"}},
			{Kind: person.KindPOW, Surname: "Коваль", GivenNames: "Микола", BirthDate: person.Date{Year: 1980}},
			{Kind: person.KindPOW, Surname: "Жук", GivenNames: "Олег", BirthDate: person.Date{Year: 1990, Month: 5}, ServiceNumber: "SN-77", Categories: []string{"wounded"}},
		}
		l := &lists.List{ID: "L1", RootID: "L1", Version: 1, From: "A", To: "B", Title: "First stage", State: lists.HandedOver}
		for i, p := range ps {
			l.Entries = append(l.Entries, lists.Entry{Row: i + 1, Person: p})
		}
		other := &lists.List{ID: "L2", RootID: "L2", Version: 1, From: "B", To: "A", Title: "Counter-list", State: lists.Draft,
			Entries: []lists.Entry{{Row: 1, Person: ps[1]}}}
		if err := db.Update(ctx, func(tx *store.Tx) error {
			if err := tx.InsertList(ctx, l); err != nil {
				return err
			}
			if err := tx.InsertList(ctx, other); err != nil {
				return err
			}
			// A list stored before the search columns existed.
			_, err := tx.Exec(ctx, `UPDATE list_entries SET searchable = 0, name_key = '', sort_name = '', birth = '', category_codes = '' WHERE list_id = 'L1'`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		var keyed [2]int
		if err := db.Update(ctx, func(tx *store.Tx) (err error) {
			if keyed[0], err = tx.KeyEntries(ctx, "L1"); err != nil {
				return err
			}
			keyed[1], err = tx.KeyEntries(ctx, "L1")
			return err
		}); err != nil || keyed != [2]int{3, 0} {
			t.Fatalf("keyed %v, %v", keyed, err)
		}
		rows := func(q store.EntryQuery) ([]int, int) {
			t.Helper()
			q.ListID = "L1"
			var es []lists.Entry
			var total int
			if err := db.View(ctx, func(tx *store.Tx) (err error) {
				es, total, err = tx.EntryPage(ctx, q)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			var out []int
			for _, e := range es {
				out = append(out, e.Row)
			}
			return out, total
		}
		for _, c := range []struct {
			name  string
			q     store.EntryQuery
			want  []int
			total int
		}{
			{"all", store.EntryQuery{}, []int{1, 2, 3}, 3},
			{"by name, any script", store.EntryQuery{PersonFilter: store.PersonFilter{Names: names.NewQuery("Shevchenko").Patterns()}}, []int{1}, 1},
			{"born 1997-12", store.EntryQuery{PersonFilter: store.PersonFilter{Birth: "1997-12"}}, []int{1}, 1},
			{"wounded", store.EntryQuery{PersonFilter: store.PersonFilter{Categories: []string{"wounded"}}}, []int{1, 3}, 2},
			{"service number", store.EntryQuery{PersonFilter: store.PersonFilter{Number: "SN-7"}}, []int{3}, 1},
			{"by birth", store.EntryQuery{Sort: "birth"}, []int{2, 3, 1}, 3},
			{"by name, descending", store.EntryQuery{Sort: "name", Desc: true}, []int{3, 1, 2}, 3}, // by skeleton: zhuk, shevchenko, koval
			{"second page", store.EntryQuery{Offset: 2, Limit: 2}, []int{3}, 3},
		} {
			got, total := rows(c.q)
			if !slices.Equal(got, c.want) || total != c.total {
				t.Errorf("%s: rows %v of %d, want %v of %d", c.name, got, total, c.want, c.total)
			}
		}
		page := func(q store.ListsQuery) []string {
			t.Helper()
			var ls []*lists.List
			if err := db.View(ctx, func(tx *store.Tx) (err error) {
				ls, _, err = tx.ListsPage(ctx, q)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, l := range ls {
				out = append(out, l.ID)
			}
			return out
		}
		seenByA := store.ListFilter{Party: "A"}
		for _, c := range []struct {
			name string
			q    store.ListsQuery
			want []string
		}{
			{"what A sees", store.ListsQuery{ListFilter: seenByA}, []string{"L1"}}, // B's draft is B's
			{"by title", store.ListsQuery{Title: "STAGE"}, []string{"L1"}},
			{"by a person held", store.ListsQuery{Persons: store.PersonFilter{Names: names.NewQuery("Коваль").Patterns()}, Sort: "title"}, []string{"L2", "L1"}},
			{"holding the wounded", store.ListsQuery{Holds: store.PersonFilter{Categories: []string{"wounded"}}}, []string{"L1"}},
			{"drafts", store.ListsQuery{State: "draft"}, []string{"L2"}},
			{"by size", store.ListsQuery{Sort: "entries", Desc: true}, []string{"L1", "L2"}},
			{"made before 2000", store.ListsQuery{CreatedBefore: "2000-01-01T00:00:00Z"}, nil},
		} {
			if got := page(c.q); !slices.Equal(got, c.want) {
				t.Errorf("%s: %v, want %v", c.name, got, c.want)
			}
		}
	})
}
