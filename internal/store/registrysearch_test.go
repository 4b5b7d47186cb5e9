package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode"

	"parley/internal/category"
	"parley/internal/listfile"
	"parley/internal/lists"
	"parley/internal/matching"
	"parley/internal/names"
	"parley/internal/person"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

// registrySearchCase is testdata/registry_search.json: a registry and
// what the search box finds in it, as typed.
type registrySearchCase struct {
	Records []person.Person `json:"records"`
	Queries []struct {
		Typed string `json:"typed"`
		Rows  []int  `json:"rows"`
	} `json:"queries"`
}

// searchFilter reads typed text as the search box does (service.ParseSearch):
// dates as people write them, category words in any language, numbers,
// and names in any script.
func searchFilter(typed string) store.PersonFilter {
	var f store.PersonFilter
	var nameWords []string
	cat := category.MustDefault()
	for _, w := range strings.Fields(typed) {
		if d, err := listfile.ParseDate(w); err == nil && !d.IsZero() {
			f.Birth = d.String()
		} else if code, ok := cat.Resolve(w); ok {
			f.Categories = append(f.Categories, code)
		} else if strings.IndexFunc(w, unicode.IsDigit) >= 0 {
			f.Number = w
		} else {
			nameWords = append(nameWords, w)
		}
	}
	f.Names = names.NewQuery(strings.Join(nameWords, " ")).Patterns()
	return f
}

// TestRegistrySearchAlike: a registry's search finds the same rows on
// both databases — SQLite through its full-text index, PostgreSQL
// through its trigram index — and the rows the names package's own
// matching finds, for names in either script, partial names, dates as
// typed and category words in three languages; the index follows a new
// version, keying of old records and a failed import; keyset pages are
// the pages by offset; a capped count stops where it is told.
func TestRegistrySearchAlike(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("testdata/registry_search.json")
	if err != nil {
		t.Fatal(err)
	}
	var tc registrySearchCase
	if err := json.Unmarshal(raw, &tc); err != nil {
		t.Fatal(err)
	}
	entries := make([]lists.Entry, len(tc.Records))
	versions := make([]store.RecordVersions, len(tc.Records))
	for i, p := range tc.Records {
		entries[i] = lists.Entry{ID: fmt.Sprintf("r%d", i+1), Row: i + 1, Person: p}
		versions[i] = store.RecordVersions{Added: 1, Changed: 1}
	}
	found := map[string][][]int{}
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := famDB(t, b)
		if err := db.Update(ctx, func(tx *store.Tx) error {
			v := &matching.RegistryVersion{Party: "A", Version: 1, Records: len(entries), Added: len(entries)}
			return tx.InsertRegistryVersion(ctx, v, entries, versions, nil, nil, &lists.Diff{})
		}); err != nil {
			t.Fatal(err)
		}
		page := func(q store.RegistryQuery) ([]int, int) {
			t.Helper()
			q.Party = "A"
			var es []lists.Entry
			var total int
			if err := db.View(ctx, func(tx *store.Tx) (err error) {
				es, total, err = tx.RegistryPage(ctx, q)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			rows := []int{}
			for _, e := range es {
				rows = append(rows, e.Row)
			}
			return rows, total
		}
		var got [][]int
		for i, c := range append(tc.Queries, tc.Queries...) {
			// The second time SQLite's page walks the order's index and
			// keeps the full-text index's hits, as for a common name.
			if i == len(tc.Queries) {
				old := store.SetFTSDriveMax(1)
				defer store.SetFTSDriveMax(old)
			}
			f := searchFilter(c.Typed)
			rows, total := page(store.RegistryQuery{PersonFilter: f, Limit: 100})
			got = append(got, rows)
			// The names package's own reading of the same records.
			ref := []int{}
			for _, e := range entries {
				p := e.Person
				q := names.NewQuery(strings.Join(strings.Fields(typedNames(c.Typed)), " "))
				if q.Matches(p.FullName(), p.FullNameLatin()) && strings.HasPrefix(p.BirthDate.String(), f.Birth) &&
					!slices.ContainsFunc(f.Categories, func(c string) bool { return !slices.Contains(p.Categories, c) }) &&
					(f.Number == "" || strings.HasPrefix(p.ServiceNumber, f.Number)) {
					ref = append(ref, e.Row)
				}
			}
			want := c.Rows
			if want == nil {
				want = []int{}
			}
			if !slices.Equal(rows, want) || total != len(want) {
				t.Errorf("%q: rows %v of %d, want %v", c.Typed, rows, total, want)
			}
			if !slices.Equal(rows, ref) {
				t.Errorf("%q: rows %v, the names package finds %v", c.Typed, rows, ref)
			}
		}
		found[b.Name] = got

		// Keyset pages are the pages by offset, forwards and back, in
		// every order.
		for _, sort := range []string{"", "name", "birth", "status"} {
			for _, desc := range []bool{false, true} {
				all, _ := page(store.RegistryQuery{Sort: sort, Desc: desc, Limit: 100})
				var es []lists.Entry
				if err := db.View(ctx, func(tx *store.Tx) (err error) {
					es, _, err = tx.RegistryPage(ctx, store.RegistryQuery{Party: "A", Sort: sort, Desc: desc, Limit: 100})
					return err
				}); err != nil {
					t.Fatal(err)
				}
				for i := 0; i+1 < len(es); i++ {
					k := store.RegistryKeyOf(&es[i], sort)
					next, _ := page(store.RegistryQuery{Sort: sort, Desc: desc, After: &k, Limit: 3})
					if want := all[i+1 : min(i+4, len(all))]; !slices.Equal(next, want) {
						t.Errorf("sort %q desc %v: after row %d %v, want %v", sort, desc, es[i].Row, next, want)
					}
					k = store.RegistryKeyOf(&es[i+1], sort)
					prev, _ := page(store.RegistryQuery{Sort: sort, Desc: desc, Before: &k, Limit: 2})
					if want := all[max(0, i-1) : i+1]; !slices.Equal(prev, want) {
						t.Errorf("sort %q desc %v: before row %d %v, want %v", sort, desc, es[i+1].Row, prev, want)
					}
				}
			}
		}

		// A capped count stops one past its bound.
		if _, total := page(store.RegistryQuery{PersonFilter: searchFilter("wounded"), CountUpTo: 2, Limit: 1}); total != 3 {
			t.Errorf("count up to 2: %d, want 3", total)
		}

		// A failed import leaves the index as the table is; a new version
		// is found and the old one is not; so are records keyed late.
		boom := errors.New("boom")
		renamed := slices.Clone(entries[:2])
		renamed[0].Person.Surname, renamed[1].Person.Surname = "Гончаренко", "Гончаренко"
		if err := db.Update(ctx, func(tx *store.Tx) error {
			v := &matching.RegistryVersion{Party: "A", Version: 2, Records: 2}
			if err := tx.InsertRegistryVersion(ctx, v, renamed, versions[:2], nil, nil, &lists.Diff{}); err != nil {
				return err
			}
			return boom
		}); !errors.Is(err, boom) {
			t.Fatalf("failed import: %v", err)
		}
		if rows, _ := page(store.RegistryQuery{PersonFilter: searchFilter("Shevchenko")}); !slices.Equal(rows, []int{1, 2, 12}) {
			t.Errorf("after a failed import: %v", rows)
		}
		if err := db.Update(ctx, func(tx *store.Tx) error {
			v := &matching.RegistryVersion{Party: "A", Version: 2, Records: 2}
			return tx.InsertRegistryVersion(ctx, v, renamed, versions[:2], nil, nil, &lists.Diff{})
		}); err != nil {
			t.Fatal(err)
		}
		for typed, want := range map[string][]int{"Honcharenko": {1, 2}, "Shevchenko": {2}, "Kovalenko": {}} { // row 2 keeps its Latin spelling
			if rows, _ := page(store.RegistryQuery{PersonFilter: searchFilter(typed)}); !slices.Equal(rows, want) {
				t.Errorf("after a new version, %q: %v, want %v", typed, rows, want)
			}
		}
		if err := db.Update(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE registry_entries SET searchable = 0, name_key = '' WHERE party = 'A'`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if rows, _ := page(store.RegistryQuery{PersonFilter: searchFilter("Honcharenko")}); len(rows) != 0 {
			t.Errorf("unkeyed records found: %v", rows)
		}
		if err := db.Update(ctx, func(tx *store.Tx) error { _, err := tx.KeyRegistry(ctx, "A"); return err }); err != nil {
			t.Fatal(err)
		}
		if rows, _ := page(store.RegistryQuery{PersonFilter: searchFilter("Honcharenko")}); !slices.Equal(rows, []int{1, 2}) {
			t.Errorf("keyed late: %v", rows)
		}
		if b.URL == "" {
			if err := db.Update(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO registry_search(registry_search, rank) VALUES ('integrity-check', 1)`)
				return err
			}); err != nil {
				t.Errorf("full-text index out of step with the registry: %v", err)
			}
		}
	})
	if s, p := found["sqlite"], found["postgres"]; p != nil && !slices.EqualFunc(s, p, slices.Equal) {
		t.Errorf("the databases differ:\nsqlite   %v\npostgres %v", s, p)
	}
}

// typedNames is the part of typed text read as names (searchFilter).
func typedNames(typed string) string {
	var out []string
	cat := category.MustDefault()
	for _, w := range strings.Fields(typed) {
		if d, err := listfile.ParseDate(w); err == nil && !d.IsZero() {
			continue
		}
		if _, ok := cat.Resolve(w); ok || strings.IndexFunc(w, unicode.IsDigit) >= 0 {
			continue
		}
		out = append(out, w)
	}
	return strings.Join(out, " ")
}
