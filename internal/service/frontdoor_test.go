package service

import (
	"context"
	"errors"
	"testing"

	"parley/internal/access"
	"parley/internal/store/storetest"
)

// TestFrontDoorChecksAccess: what the front ends read besides the use
// cases (one list's header, receipts, category totals) answers each actor
// exactly as ListLists would, before and after the hand-over.
func TestFrontDoorChecksAccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newService(t, b)
		res, err := importFile(t, s, officerA, "testdata/first-list.csv", ImportRequest{From: "A", To: "B", Title: "First list"})
		if err != nil {
			t.Fatalf("import: %v", err)
		}
		id := res.List.ID
		observer := access.Actor{Username: "obs", Roles: []access.Role{access.Observer}}
		admin := access.Actor{Username: "adm", Roles: []access.Role{access.Admin}}
		check := func(stage string, want map[string]bool) {
			t.Helper()
			for _, a := range []access.Actor{officerA, officerB, mediator, observer, admin, access.System} {
				_, err := s.ReadableList(ctx, a, id)
				if got := err == nil; got != want[a.Username] {
					t.Errorf("%s: %s reads the list: %v (err %v), want %v", stage, a.Username, got, err, want[a.Username])
				}
				if err != nil && !errors.Is(err, ErrNotFound) {
					t.Errorf("%s: %s: err = %v, want not found", stage, a.Username, err)
				}
				counts, err := s.CategoryCounts(ctx, a, []string{id})
				total := 0
				for _, n := range counts {
					total += n
				}
				if got := err == nil && total > 0; got != want[a.Username] {
					t.Errorf("%s: %s counts the list's persons: %v (%v, err %v)", stage, a.Username, got, counts, err)
				}
				_, err = s.ListReceipt(ctx, a, id)
				if err == nil && (stage == "draft" || !want[a.Username]) {
					t.Errorf("%s: %s got a receipt", stage, a.Username)
				}
				if err != nil && stage == "handed over" && want[a.Username] {
					t.Errorf("%s: %s: receipt: %v", stage, a.Username, err)
				}
			}
		}
		check("draft", map[string]bool{"oa": true, "system": true})
		if _, err := s.HandOver(ctx, officerA, id); err != nil {
			t.Fatal(err)
		}
		check("handed over", map[string]bool{"oa": true, "ob": true, "med": true, "obs": true, "system": true})
		if _, err := s.ReadableList(ctx, officerA, "no-such-list"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown list: %v", err)
		}
		if _, err := s.LogState(ctx); err != nil {
			t.Errorf("log state: %v", err)
		}
		if err := s.Ready(ctx); err != nil {
			t.Errorf("ready: %v", err)
		}
	})
}
