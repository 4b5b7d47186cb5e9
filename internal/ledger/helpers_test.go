package ledger_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"parley/internal/ledger"
	"parley/internal/lists"
	"parley/internal/parties"
	"parley/internal/person"
	"parley/internal/store"
)

const testOrigin = "parley.test/log"

var testParties = []string{"A", "B"}

// newLog creates keys in a fresh directory and opens the log.
func newLog(t testing.TB) *ledger.Log {
	t.Helper()
	dir := t.TempDir()
	if err := ledger.Init(dir, testOrigin, testParties); err != nil {
		t.Fatal(err)
	}
	l, err := ledger.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// event returns a simple non-personal event.
func event(i int) ledger.Event {
	return ledger.Event{
		Type:    "proposal.submitted",
		Time:    time.Date(2025, 6, 2, 10, 0, 0, i*1000, time.UTC),
		Actor:   "negotiator:A",
		Subject: fmt.Sprintf("P%d", i),
		Attrs:   map[string]string{"stage": fmt.Sprint(i)},
	}
}

// appendN appends n simple events, each in its own transaction.
func appendN(t testing.TB, db *store.DB, l *ledger.Log, from, n int) {
	t.Helper()
	ctx := context.Background()
	for i := from; i < from+n; i++ {
		err := db.Update(ctx, func(tx *store.Tx) error {
			_, err := l.Append(ctx, tx, event(i))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// testPersons reads the invented persons of testdata/persons.json.
func testPersons(t testing.TB) []person.Person {
	t.Helper()
	b, err := os.ReadFile("testdata/persons.json")
	if err != nil {
		t.Fatal(err)
	}
	var ps []person.Person
	if err := json.Unmarshal(b, &ps); err != nil {
		t.Fatal(err)
	}
	return ps
}

// ensureParties creates parties A and B once per database.
func ensureParties(ctx context.Context, tx *store.Tx) error {
	if _, err := tx.Party(ctx, "A"); err == nil {
		return nil
	}
	for _, p := range []parties.Party{{ID: "A", Name: "Party A"}, {ID: "B", Name: "Party B"}} {
		if err := tx.CreateParty(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// handOver creates list id from A to B with the test persons and hands it
// over, appending the hand-over event in the same transaction, as the
// service layer does. It returns the log index.
func handOver(t testing.TB, db *store.DB, l *ledger.Log, id string) int64 {
	t.Helper()
	ctx := context.Background()
	var idx int64
	err := db.Update(ctx, func(tx *store.Tx) error {
		if err := ensureParties(ctx, tx); err != nil {
			return err
		}
		lst := &lists.List{ID: id, From: "A", To: "B", Title: "stage 1: " + id, Version: 1, RootID: id, State: lists.Draft}
		for i, p := range testPersons(t) {
			lst.Entries = append(lst.Entries, lists.Entry{Row: i + 1, Person: p})
		}
		if err := tx.InsertList(ctx, lst); err != nil {
			return err
		}
		stored, err := tx.ListWithEntries(ctx, id)
		if err != nil {
			return err
		}
		ev, err := ledger.ListHandedOver(stored, "operator:A", time.Now())
		if err != nil {
			return err
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
