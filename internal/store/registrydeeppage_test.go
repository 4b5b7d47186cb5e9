package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"parley/internal/lists"
	"parley/internal/matching"
	"parley/internal/parties"
	"parley/internal/person"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

// TestRegistryDeepPage: a page asked for by number in an unfiltered
// registry holds the rows an offset into the row order gives, whether the
// version's rows run without a gap (the page seeks to its first row), start
// after a header line, or have gaps (the page walks to its offset), in
// either direction.
func TestRegistryDeepPage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		rows []int
	}{
		{"rows 1 to 250", seq(1, 250)},
		{"rows 2 to 251", seq(2, 251)},
		{"a gap after row 100", append(seq(1, 100), seq(140, 289)...)},
		{"rows out of file order", reversed(seq(1, 250))},
	}
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := famDB(t, b)
		for ci, c := range cases {
			party := fmt.Sprintf("P%d", ci)
			entries := make([]lists.Entry, len(c.rows))
			versions := make([]store.RecordVersions, len(c.rows))
			for i, r := range c.rows {
				entries[i] = lists.Entry{ID: fmt.Sprintf("%s-r%d", party, r), Row: r,
					Person: person.Person{Surname: fmt.Sprintf("Surname%04d", r), GivenNames: "Ivan"}}
				versions[i] = store.RecordVersions{Added: 1, Changed: 1}
			}
			if err := db.Update(ctx, func(tx *store.Tx) error {
				if err := tx.CreateParty(ctx, parties.Party{ID: party, Name: party}); err != nil {
					return err
				}
				v := &matching.RegistryVersion{Party: party, Version: 1, Records: len(entries), Added: len(entries)}
				return tx.InsertRegistryVersion(ctx, v, entries, versions, nil, nil, &lists.Diff{})
			}); err != nil {
				t.Fatal(err)
			}
			order := slices.Sorted(slices.Values(c.rows))
			for _, desc := range []bool{false, true} {
				want := slices.Clone(order)
				if desc {
					slices.Reverse(want)
				}
				for _, offset := range []int{0, 1, 49, 50, 100, 101, 199, 245, 249, 250, 400} {
					var es []lists.Entry
					var total int
					if err := db.View(ctx, func(tx *store.Tx) (err error) {
						es, total, err = tx.RegistryPage(ctx, store.RegistryQuery{Party: party, Desc: desc, Offset: offset, Limit: 50})
						return err
					}); err != nil {
						t.Fatal(err)
					}
					got := []int{}
					for _, e := range es {
						got = append(got, e.Row)
					}
					w := want[min(offset, len(want)):min(offset+50, len(want))]
					if !slices.Equal(got, w) || total != len(c.rows) {
						t.Errorf("%s, desc %v, offset %d: rows %v (total %d), want %v (total %d)", c.name, desc, offset, got, total, w, len(c.rows))
					}
				}
			}
		}
	})
}

func seq(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func reversed(s []int) []int {
	s = slices.Clone(s)
	slices.Reverse(s)
	return s
}
