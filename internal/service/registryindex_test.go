package service_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"testing"

	"parley/internal/access"
	"parley/internal/demo"
	"parley/internal/listfile"
	"parley/internal/person"
	"parley/internal/service"
	"parley/internal/store/storetest"
)

// TestRegistryIndexKeptBetweenRuns: a re-run of matching reuses the
// registry's index; a new registry version of a few changes is applied to
// it and decides as a rebuilt one; a version that replaces the registry
// rebuilds it, and the next run matches against the new records.
func TestRegistryIndexKeptBetweenRuns(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s, err := service.New(ctx, b.Open(t), slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateParties(ctx, demo.Parties); err != nil {
			t.Fatal(err)
		}
		sc := demo.Default()
		sc.FirstList, sc.Registry, sc.CounterList = 60, 300, 10
		res, err := demo.Build(ctx, s, b.DataDir, sc)
		if err != nil {
			t.Fatal(err)
		}
		officerB := access.Actor{Username: "b", Roles: []access.Role{access.Officer}, Party: "B"}
		first, err := s.RunMatching(ctx, officerB, service.MatchRequest{ListID: res.FirstListID})
		if err != nil {
			t.Fatal(err)
		}
		builds := service.RegistryIndexBuilds(s)
		second, err := s.RunMatching(ctx, officerB, service.MatchRequest{ListID: res.FirstListID})
		if err != nil {
			t.Fatal(err)
		}
		if got := service.RegistryIndexBuilds(s); got != builds {
			t.Errorf("a re-run built the registry index again: %d builds, want %d", got, builds)
		}
		if first.Matched != second.Matched || first.Review != second.Review || first.RegistrySize != second.RegistrySize {
			t.Errorf("re-run differs: %+v then %+v", first, second)
		}

		// A version that changes a few records is applied to the kept
		// index, and decides as an index built anew would.
		cur, err := s.Registry(ctx, officerB, "B")
		if err != nil {
			t.Fatal(err)
		}
		var next []person.Person
		for i, e := range cur {
			switch {
			case i%50 == 7: // removed
				continue
			case i%50 == 11: // changed
				e.Person.BirthDate.Day = e.Person.BirthDate.Day%28 + 1
			}
			next = append(next, e.Person)
		}
		next = append(next, person.Person{Kind: person.KindPOW, Surname: "Гнатюк", GivenNames: "Тарас", Patronymic: "Іванович",
			BirthDate: person.Date{Year: 1991, Month: 4, Day: 2}, Status: person.StatusMissing})
		var buf bytes.Buffer
		if err := listfile.Write(&buf, listfile.CSV, listfile.Meta{}, next); err != nil {
			t.Fatal(err)
		}
		imp, err := s.ImportRegistry(ctx, officerB, service.RegistryImportRequest{Party: "B", Format: listfile.CSV}, &buf)
		if err != nil {
			t.Fatal(err)
		}
		if imp.Registry.Removed == 0 || imp.Registry.Changed == 0 || imp.Registry.Added == 0 {
			t.Fatalf("the version should remove, change and add records: %+v", imp.Registry)
		}
		updates := service.RegistryIndexUpdates(s)
		updated, err := s.RunMatching(ctx, officerB, service.MatchRequest{ListID: res.FirstListID})
		if err != nil {
			t.Fatal(err)
		}
		if got := service.RegistryIndexBuilds(s); got != builds {
			t.Errorf("a version of a few changes rebuilt the index: %d builds, want %d", got, builds)
		}
		if got := service.RegistryIndexUpdates(s); got != updates+1 {
			t.Errorf("%d index updates, want %d", got, updates+1)
		}
		service.ForgetRegistryIndexes(s)
		rebuilt, err := s.RunMatching(ctx, officerB, service.MatchRequest{ListID: res.FirstListID})
		if err != nil {
			t.Fatal(err)
		}
		if updated.Matched != rebuilt.Matched || updated.Review != rebuilt.Review || updated.Unmatched != rebuilt.Unmatched ||
			updated.RegistrySize != rebuilt.RegistrySize || updated.RegistrySize != len(next) {
			t.Errorf("updated index decided %+v, rebuilt %+v (registry of %d)", updated, rebuilt, len(next))
		}
		builds = service.RegistryIndexBuilds(s)

		f, err := os.Open("testdata/disputes/registry-B.csv")
		if err != nil {
			t.Fatal(err)
		}
		imp, err = s.ImportRegistry(ctx, officerB, service.RegistryImportRequest{Party: "B", Format: listfile.Format("csv")}, f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		third, err := s.RunMatching(ctx, officerB, service.MatchRequest{ListID: res.FirstListID})
		if err != nil {
			t.Fatal(err)
		}
		if got := service.RegistryIndexBuilds(s); got != builds+1 {
			t.Errorf("after a new registry version: %d builds, want %d", got, builds+1)
		}
		reg, err := s.Registry(ctx, officerB, "B")
		if err != nil {
			t.Fatal(err)
		}
		if third.RegistrySize != len(reg) || third.RegistrySize == first.RegistrySize {
			t.Errorf("run after version %+v matched against %d records, want the new registry's %d (was %d)", imp, third.RegistrySize, len(reg), first.RegistrySize)
		}
		if third.Matched >= first.Matched {
			t.Errorf("the new registry is smaller, yet %d matched (was %d): the old index was used", third.Matched, first.Matched)
		}
	})
}
