// Package ledgertest holds the fixtures that the tests of the ledger and of
// the mirror share: invented persons and a list from party A to party B
// handed over with its event appended to the log, as the service layer and
// the hub do it. It is imported by tests only.
package ledgertest

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"parley/internal/ledger"
	"parley/internal/lists"
	"parley/internal/parties"
	"parley/internal/person"
	"parley/internal/store"
)

//go:embed testdata/persons.json
var personsJSON []byte

// Persons returns the invented persons of testdata/persons.json.
func Persons(t testing.TB) []person.Person {
	t.Helper()
	var ps []person.Person
	if err := json.Unmarshal(personsJSON, &ps); err != nil {
		t.Fatal(err)
	}
	return ps
}

// EnsureParties creates parties A and B once per database.
func EnsureParties(ctx context.Context, tx *store.Tx) error {
	if _, err := tx.Party(ctx, "A"); err == nil {
		return nil
	}
	for _, p := range []parties.Party{{ID: "A", Name: "Party A"}, {ID: "B", Name: "Party B"}} {
		if err := tx.CreateParty(ctx, p); err != nil {
			return fmt.Errorf("create party %s: %w", p.ID, err)
		}
	}
	return nil
}

// HandOver creates list id from A to B with the Persons, hands it over by
// actor and appends the hand-over event to l, all in one transaction as
// the service layer does. annotate, when not nil, adds to the event before
// it is appended (the hub adds the party's signed statement). It returns
// the log index.
func HandOver(t testing.TB, db *store.DB, l *ledger.Log, id, actor string, annotate func(ev *ledger.Event, lst *lists.List)) int64 {
	t.Helper()
	ctx := context.Background()
	var idx int64
	err := db.Update(ctx, func(tx *store.Tx) error {
		if err := EnsureParties(ctx, tx); err != nil {
			return err
		}
		lst := &lists.List{ID: id, From: "A", To: "B", Title: "stage 1: " + id, Version: 1, RootID: id, State: lists.Draft}
		for i, p := range Persons(t) {
			lst.Entries = append(lst.Entries, lists.Entry{Row: i + 1, Person: p})
		}
		if err := tx.InsertList(ctx, lst); err != nil {
			return err
		}
		stored, err := tx.ListWithEntries(ctx, id)
		if err != nil {
			return err
		}
		ev, err := ledger.ListHandedOver(stored, actor, time.Now())
		if err != nil {
			return err
		}
		if annotate != nil {
			annotate(&ev, lst)
		}
		if err := tx.SetListState(ctx, id, lists.Draft, lists.HandedOver, ev.Attrs["content_hash"]); err != nil {
			return err
		}
		idx, err = l.Append(ctx, tx, ev)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return idx
}
