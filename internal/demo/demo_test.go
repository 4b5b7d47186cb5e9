package demo

import (
	"context"
	"testing"

	"parley/internal/access"
	"parley/internal/category"
	"parley/internal/lists"
	"parley/internal/service"
	"parley/internal/store/storetest"
)

func TestBuild(t *testing.T) {
	ctx := context.Background()
	b := storetest.Backend{Name: "sqlite", DataDir: t.TempDir()}
	s, err := service.New(ctx, b.Open(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateParties(ctx, Parties); err != nil {
		t.Fatal(err)
	}
	sc := Default()
	res, err := Build(ctx, s, b.DataDir, sc)
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.GetList(ctx, access.System, res.FirstListID)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Entries) != 640 || first.State != lists.Acknowledged || first.From != "A" {
		t.Fatalf("first list: %d entries, state %s, from %s", len(first.Entries), first.State, first.From)
	}
	counts := map[string]int{}
	for _, e := range first.Entries {
		if len(e.Categories) == 0 {
			t.Errorf("row %d has no category", e.Row)
		}
		for _, c := range e.Categories {
			counts[c]++
		}
		if e.HasCategory(category.Youth) {
			if age, ok := e.BirthDate.AgeOn(sc.RefDate); !ok || age < 18 || age > 25 {
				t.Errorf("row %d is youth but born %s", e.Row, e.BirthDate)
			}
		}
	}
	for _, c := range []string{category.Wounded, category.SeriouslyIll, category.Youth} {
		if counts[c] < 50 {
			t.Errorf("only %d persons in category %s", counts[c], c)
		}
	}
	if res.RegistrySize != sc.Registry {
		t.Errorf("registry holds %d, want %d", res.RegistrySize, sc.Registry)
	}
	counter, err := s.GetList(ctx, access.System, res.CounterListID)
	if err != nil || len(counter.Entries) != sc.CounterList || counter.From != "B" {
		t.Fatalf("counter-list: %v", err)
	}
}

func TestBuildVersions(t *testing.T) {
	ctx := context.Background()
	b := storetest.Backend{Name: "sqlite", DataDir: t.TempDir()}
	s, err := service.New(ctx, b.Open(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateParties(ctx, Parties); err != nil {
		t.Fatal(err)
	}
	sc := Default()
	sc.FirstList, sc.Registry, sc.CounterList = 120, 600, 20
	res, err := Build(ctx, s, b.DataDir, sc)
	if err != nil {
		t.Fatal(err)
	}
	officerB := access.Actor{Username: "b", Roles: []access.Role{access.Officer}, Party: "B"}
	if _, err := s.RunMatching(ctx, officerB, service.MatchRequest{ListID: res.FirstListID}); err != nil {
		t.Fatal(err)
	}
	v, err := BuildVersions(ctx, s, res)
	if err != nil {
		t.Fatal(err)
	}
	// Two confirmed pairs changed (one registry record corrected, one
	// removed), one list person dropped and one corrected.
	if v.RegistryVersion != 2 || v.Confirmed < 50 || v.Carried < v.Confirmed-4 || v.Pending < 2 {
		t.Errorf("versions demo: %+v", v)
	}
	gone, err := s.DroppedFromList(ctx, officerB, v.SecondListID)
	if err != nil || len(gone) != 1 {
		t.Errorf("dropped from version 2: %+v %v", gone, err)
	}
}
