package service

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"parley/internal/access"
	"parley/internal/ledger"
	"parley/internal/store/storetest"
)

func witnessKey(t *testing.T, name string) string {
	t.Helper()
	_, v, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	k, err := fnote.VKeyToCosignatureV1(v)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestWitnessRegistryIsLogged checks that registering and removing a
// witness and setting the policy each append one entry in the transaction
// of the change, that refusals store and log nothing, and that only the
// mediator or an administrator may change them.
func TestWitnessRegistryIsLogged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newService(t, b)
		size := func() int64 {
			n, err := s.db.LogSize(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		key := witnessKey(t, "icrc.example/witness")

		if _, err := s.AddWitness(ctx, officerA, "icrc", key, "https://icrc.example/w", ""); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("an officer registers a witness: %v", err)
		}
		before := size()
		if _, err := s.AddWitness(ctx, mediator, "icrc", key, "ftp://icrc.example/w", ""); !errors.Is(err, ErrInvalid) {
			t.Errorf("a bad URL: %v", err)
		}
		if size() != before {
			t.Error("a refused registration was logged")
		}
		w, err := s.AddWitness(ctx, mediator, "icrc", key, "https://icrc.example/w", "")
		if err != nil || w.KeyName != "icrc.example/witness" {
			t.Fatalf("AddWitness: %+v %v", w, err)
		}
		if _, err := s.AddWitness(ctx, mediator, "b-node", witnessKey(t, "b.example/w"), "https://b.example/w", "B"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetPolicy(ctx, mediator, []string{"A", "B"}, 1); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveWitness(ctx, mediator, "icrc"); !errors.Is(err, ErrConflict) {
			t.Errorf("removing the only independent witness the policy counts on: %v", err)
		}
		if err := s.RemoveWitness(ctx, mediator, "nobody"); !errors.Is(err, ErrNotFound) {
			t.Errorf("removing an unknown witness: %v", err)
		}
		if err := s.RemoveWitness(ctx, mediator, "b-node"); err != nil {
			t.Errorf("RemoveWitness: %v", err)
		}
		if got := size() - before; got != 4 {
			t.Errorf("%d entries logged, want 4 (two registrations, the policy, one removal)", got)
		}
		for _, ev := range []struct{ typ, subject, attr, want string }{
			{ledger.EventWitnessAdded, "icrc", "key", key},
			{ledger.EventWitnessAdded, "b-node", "party", "B"},
			{ledger.EventPolicySet, "agreement", "required", "A,B"},
			{ledger.EventPolicySet, "agreement", "independent", "1"},
			{ledger.EventWitnessRemoved, "b-node", "name", "b-node"},
		} {
			rows, err := s.db.FindLogEntries(ctx, ev.typ, ev.subject)
			if err != nil || len(rows) != 1 {
				t.Fatalf("%s %s: %d entries, %v", ev.typ, ev.subject, len(rows), err)
			}
			e, err := ledger.ParseEntry(rows[0].Data)
			if err != nil || e.Attrs[ev.attr] != ev.want || e.Actor != mediator.String() {
				t.Errorf("%s %s: %+v %v", ev.typ, ev.subject, e, err)
			}
		}
		ws, err := s.Witnesses(ctx)
		if err != nil || len(ws) != 1 || ws[0].Name != "icrc" {
			t.Errorf("Witnesses: %+v %v", ws, err)
		}
		p, has, err := s.db.LogPolicy(ctx)
		if err != nil || !has || p.Independent != 1 || len(p.Required) != 2 {
			t.Errorf("LogPolicy: %+v %v %v", p, has, err)
		}
	})
}
