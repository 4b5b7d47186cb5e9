package service_test

import (
	"context"
	"log/slog"
	"os"
	"testing"

	"parley/internal/access"
	"parley/internal/parties"
	"parley/internal/service"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

// TestRegistryPage asks a registry the questions of its page on both
// databases: names in any script, dates as typed, category words in three
// languages, sort and paging; records stored before the search columns
// existed are keyed on first use.
func TestRegistryPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := b.Open(t)
		s, err := service.New(ctx, db, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateParties(ctx, []parties.Party{{ID: "A", Name: "Party A"}, {ID: "B", Name: "Party B"}}); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open("testdata/registry-search.csv")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := s.ImportRegistry(ctx, access.System, service.RegistryImportRequest{Party: "A", Format: "csv"}, f); err != nil {
			t.Fatal(err)
		}
		// As if stored before migration 00025.
		if err := db.Update(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE registry_entries SET searchable = 0, name_key = '', sort_name = '', birth = '', category_codes = ''`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		officer := access.Actor{UserID: "oa", Username: "oa", Roles: []access.Role{access.Officer}, Party: "A"}
		rows := func(q service.RegistryQuery) []int {
			t.Helper()
			pg, err := s.RegistryPage(ctx, officer, "A", q)
			if err != nil {
				t.Fatal(err)
			}
			out := []int{}
			for _, e := range pg.Entries {
				out = append(out, e.Row)
			}
			return out
		}
		tests := []struct {
			q    service.RegistryQuery
			want []int
		}{
			{service.RegistryQuery{}, []int{1, 2, 3, 4, 5, 6}},
			{service.RegistryQuery{Search: "Shevchenko"}, []int{1, 4}},
			{service.RegistryQuery{Search: "Шевченко Сергей"}, []int{1}},
			{service.RegistryQuery{Search: "Николай"}, []int{2}}, // Микола, by the table of names
			{service.RegistryQuery{Search: "zhuk"}, []int{3}},
			{service.RegistryQuery{Search: "29.12.1997"}, []int{1}},
			{service.RegistryQuery{Search: "1997-12"}, []int{1}},
			{service.RegistryQuery{Search: "1997"}, []int{1, 2}},
			{service.RegistryQuery{Search: "поранений"}, []int{1, 3}},
			{service.RegistryQuery{Search: "раненый шевченко"}, []int{1}},
			{service.RegistryQuery{Search: "wounded", Status: "returned"}, []int{3}},
			{service.RegistryQuery{Category: "youth"}, []int{5}},
			{service.RegistryQuery{Search: "SN-4"}, []int{4}},
			{service.RegistryQuery{Sort: "birth"}, []int{6, 5, 4, 3, 2, 1}},
			{service.RegistryQuery{Sort: "name"}, []int{2, 5, 6, 4, 1, 3}}, // koval, melnik, moroz, shevchenko oleh, shevchenko serhii, zhuk
			{service.RegistryQuery{Sort: "name", Desc: true}, []int{3, 1, 4, 6, 5, 2}},
			{service.RegistryQuery{PageSize: 4, Page: 2}, []int{5, 6}},
			{service.RegistryQuery{PageSize: 4, Page: 9}, []int{5, 6}}, // past the end: the last page
		}
		for _, tc := range tests {
			got := rows(tc.q)
			if len(got) != len(tc.want) {
				t.Errorf("%+v: rows %v, want %v", tc.q, got, tc.want)
				continue
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("%+v: rows %v, want %v", tc.q, got, tc.want)
					break
				}
			}
		}
		stranger := access.Actor{UserID: "ob", Username: "ob", Roles: []access.Role{access.Officer}, Party: "B"}
		if _, err := s.RegistryPage(ctx, stranger, "A", service.RegistryQuery{}); err == nil {
			t.Error("another party's officer read the registry")
		}
	})
}
