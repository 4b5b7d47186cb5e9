package ledger_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"parley/internal/ledger"
	"parley/internal/ledger/ledgertest"
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

// handOver creates list id from A to B and hands it over, as an operator
// of A does through the service layer. It returns the log index.
func handOver(t testing.TB, db *store.DB, l *ledger.Log, id string) int64 {
	t.Helper()
	return ledgertest.HandOver(t, db, l, id, "operator:A", nil)
}
