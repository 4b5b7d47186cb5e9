package store_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"

	"parley/internal/lists"
	"parley/internal/matching"
	"parley/internal/person"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

// TestRegistryVersionWritesOnlyChanges: a version that changes a few
// records of a registry read in the same transaction rewrites those
// records only — a changed one, a renumbered one, a new one, a removed
// one — and leaves the rows of the others as they were; the search index
// follows the changed name. A version that moves every record one row
// down (a record added at the top) gives them their new row numbers and
// writes nothing else of them. A version whose records were not read from
// the store still replaces the registry whole.
func TestRegistryVersionWritesOnlyChanges(t *testing.T) {
	t.Parallel()
	surnames := []string{"Шевченко", "Бондаренко", "Коваленко", "Ткаченко", "Кравченко", "Олійник", "Шевчук", "Поліщук", "Лисенко", "Мельник"}
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := famDB(t, b)
		entries := make([]lists.Entry, len(surnames))
		versions := make([]store.RecordVersions, len(surnames))
		for i, s := range surnames {
			entries[i] = lists.Entry{ID: fmt.Sprintf("r%d", i+1), Row: i + 2, Person: person.Person{Kind: person.KindPOW, Surname: s, GivenNames: "Іван",
				BirthDate: person.Date{Year: 1990, Month: 1, Day: i + 1}}}
			versions[i] = store.RecordVersions{Added: 1, Changed: 1}
		}
		const untouched = "2000-01-01T00:00:00Z"
		if err := db.Update(ctx, func(tx *store.Tx) error {
			v := &matching.RegistryVersion{Party: "A", Version: 1, Records: len(entries), Added: len(entries)}
			if err := tx.InsertRegistryVersion(ctx, v, entries, versions, nil, nil, &lists.Diff{}); err != nil {
				return err
			}
			// Mark every row, to see which ones the next version writes.
			_, err := tx.Exec(ctx, `UPDATE registry_entries SET updated_at = ?`, untouched)
			return err
		}); err != nil {
			t.Fatal(err)
		}

		// Version 2: r2 renamed, r3 removed, r4 moved up into its row,
		// r11 added; the rest as they were.
		if err := db.Update(ctx, func(tx *store.Tx) error {
			cur, vers, _, err := tx.RegistryCurrent(ctx, "A")
			if err != nil {
				return err
			}
			var next []lists.Entry
			var nextVers []store.RecordVersions
			var gone []store.RegistryRecord
			for i, e := range cur {
				switch e.ID {
				case "r2":
					e.Surname = "Гончаренко"
					vers[i].Changed = 2
				case "r3":
					gone = append(gone, store.RegistryRecord{Entry: e, AddedVersion: vers[i].Added, ChangedVersion: vers[i].Changed, RemovedVersion: 2})
					continue
				case "r4":
					e.Row = 4
				}
				next, nextVers = append(next, e), append(nextVers, vers[i])
			}
			next = append(next, lists.Entry{ID: "r11", Row: 12, Person: person.Person{Kind: person.KindPOW, Surname: "Савченко", GivenNames: "Петро"}})
			nextVers = append(nextVers, store.RecordVersions{Added: 2, Changed: 2})
			v := &matching.RegistryVersion{Party: "A", Version: 2, Records: len(next), Added: 1, Changed: 1, Removed: 1}
			return tx.InsertRegistryVersion(ctx, v, next, nextVers, gone, nil, &lists.Diff{})
		}); err != nil {
			t.Fatal(err)
		}

		written := map[string]bool{}
		state := map[string]string{}
		if err := db.View(ctx, func(tx *store.Tx) error {
			rows, err := tx.Query(ctx, `SELECT record_id, row_no, removed_version, changed_version, updated_at FROM registry_entries WHERE party = 'A'`)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id, at string
				var row, removedIn, changed int
				if err := rows.Scan(&id, &row, &removedIn, &changed, &at); err != nil {
					return err
				}
				written[id] = at != untouched
				state[id] = fmt.Sprintf("row %d removed %d changed %d", row, removedIn, changed)
			}
			return rows.Err()
		}); err != nil {
			t.Fatal(err)
		}
		var rewritten []string
		for id, w := range written {
			if w {
				rewritten = append(rewritten, id)
			}
		}
		slices.Sort(rewritten)
		if want := []string{"r11", "r2", "r3", "r4"}; !slices.Equal(rewritten, want) {
			t.Errorf("rows written by version 2: %v, want %v", rewritten, want)
		}
		for id, want := range map[string]string{"r1": "row 2 removed 0 changed 1", "r2": "row 3 removed 0 changed 2", "r3": "row 4 removed 2 changed 1",
			"r4": "row 4 removed 0 changed 1", "r11": "row 12 removed 0 changed 2"} {
			if state[id] != want {
				t.Errorf("%s: %s, want %s", id, state[id], want)
			}
		}
		search := func(typed string) []string {
			t.Helper()
			var es []lists.Entry
			if err := db.View(ctx, func(tx *store.Tx) (err error) {
				es, _, err = tx.RegistryPage(ctx, store.RegistryQuery{Party: "A", PersonFilter: searchFilter(typed)})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			ids := []string{}
			for _, e := range es {
				ids = append(ids, e.ID)
			}
			return ids
		}
		for typed, want := range map[string][]string{"Гончаренко": {"r2"}, "Бондаренко": {}, "Коваленко": {}, "Ткаченко": {"r4"}, "Савченко": {"r11"}} {
			if got := search(typed); !slices.Equal(got, want) {
				t.Errorf("search %q: %v, want %v", typed, got, want)
			}
		}

		// Version 3: a record added at the top moves every other one down a
		// row. The moved ones keep what is stored of them but the row
		// number: a mark put in a key column survives.
		if err := db.Update(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `UPDATE registry_entries SET category_codes = 'kept'`); err != nil {
				return err
			}
			cur, vers, _, err := tx.RegistryCurrent(ctx, "A")
			if err != nil {
				return err
			}
			next := []lists.Entry{{ID: "r12", Row: 2, Person: person.Person{Kind: person.KindPOW, Surname: "Руденко", GivenNames: "Олег"}}}
			nextVers := []store.RecordVersions{{Added: 3, Changed: 3}}
			for i, e := range cur {
				e.Row++
				next, nextVers = append(next, e), append(nextVers, vers[i])
			}
			v := &matching.RegistryVersion{Party: "A", Version: 3, Records: len(next), Added: 1}
			return tx.InsertRegistryVersion(ctx, v, next, nextVers, nil, nil, &lists.Diff{})
		}); err != nil {
			t.Fatal(err)
		}
		if err := db.View(ctx, func(tx *store.Tx) error {
			rows, err := tx.Query(ctx, `SELECT record_id, row_no, category_codes FROM registry_entries WHERE party = 'A' AND removed_version = 0`)
			if err != nil {
				return err
			}
			defer rows.Close()
			got := map[string]string{}
			for rows.Next() {
				var id, codes string
				var row int
				if err := rows.Scan(&id, &row, &codes); err != nil {
					return err
				}
				got[id] = fmt.Sprintf("row %d %s", row, codes)
			}
			for id, want := range map[string]string{"r12": "row 2 ", "r1": "row 3 kept", "r2": "row 4 kept", "r4": "row 5 kept", "r10": "row 12 kept", "r11": "row 13 kept"} {
				if got[id] != want {
					t.Errorf("after a record added at the top, %s: %q, want %q", id, got[id], want)
				}
			}
			if len(got) != 11 {
				t.Errorf("%d current records, want 11", len(got))
			}
			return rows.Err()
		}); err != nil {
			t.Fatal(err)
		}
		if got := search("Ткаченко"); !slices.Equal(got, []string{"r4"}) {
			t.Errorf("search Ткаченко after the move: %v, want r4", got)
		}

		// Records not read from the store: the registry is replaced whole.
		if err := db.Update(ctx, func(tx *store.Tx) error {
			v := &matching.RegistryVersion{Party: "A", Version: 4, Records: 2}
			return tx.InsertRegistryVersion(ctx, v, entries[:2], versions[:2], nil, nil, &lists.Diff{})
		}); err != nil {
			t.Fatal(err)
		}
		if err := db.View(ctx, func(tx *store.Tx) error {
			cur, _, removed, err := tx.RegistryCurrent(ctx, "A")
			if err != nil {
				return err
			}
			var ids []string
			for _, e := range cur {
				ids = append(ids, e.ID)
			}
			if !slices.Equal(ids, []string{"r1", "r2"}) || cur[1].Surname != "Бондаренко" {
				t.Errorf("after a whole version: %v (r2 %q), want r1, r2 Бондаренко", ids, cur[1].Surname)
			}
			if got := slices.Sorted(maps.Keys(removed)); !slices.Equal(got, []string{"r3"}) {
				t.Errorf("removed records kept: %v, want r3", got)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}
