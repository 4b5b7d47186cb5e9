package mirror_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"parley/internal/mirror"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

// exec runs a statement on a database with ? placeholders, in either
// dialect.
func exec(t testing.TB, db *store.DB, q string, args ...any) {
	t.Helper()
	if db.Dialect() == store.Postgres {
		for k := 1; strings.Contains(q, "?"); k++ {
			q = strings.Replace(q, "?", fmt.Sprintf("$%d", k), 1)
		}
	}
	if _, err := db.SQL().ExecContext(context.Background(), q, args...); err != nil {
		t.Fatal(err)
	}
}

// TestRecheckEntries: "node status" re-reads the entries the node holds
// and checks them against the tree it verified. An untouched copy passes;
// an entry changed or removed in the node's own database is named; an
// entry changed together with its stored leaf hash (the tree no longer
// gives the signed root) is reported for the whole copy.
func TestRecheckEntries(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(t *testing.T, db *store.DB)
		// key is the alarm's message key, "" for none; index the entry it
		// names.
		key, index string
	}{
		{name: "untouched"},
		{
			name: "entry changed",
			tamper: func(t *testing.T, db *store.DB) {
				exec(t, db, `UPDATE mirror_entries SET data = ? WHERE idx = 300`, []byte("not the entry"))
			},
			key: "alarm.entry_changed.held", index: "300",
		},
		{
			name: "entry removed",
			tamper: func(t *testing.T, db *store.DB) {
				exec(t, db, `DELETE FROM mirror_entries WHERE idx = 517`)
			},
			key: "alarm.entry_changed.held", index: "517",
		},
		{
			name: "entry and its leaf hash changed",
			tamper: func(t *testing.T, db *store.DB) {
				data := []byte("not the entry")
				leaf := tlog.RecordHash(data)
				exec(t, db, `UPDATE mirror_entries SET data = ? WHERE idx = 42`, data)
				exec(t, db, `UPDATE mirror_hashes SET hash = ? WHERE idx = ?`, leaf[:], tlog.StoredHashIndex(0, 42))
			},
			key: "alarm.entry_changed.held_range",
		},
	}
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		h := newHub(t, b)
		h.appendTo(h.db, 0, 600, event)
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				n := newNode(t, b, h.srv.URL, h.logKey(), "A", mirror.Options{})
				n.sync(t)
				if tc.tamper != nil {
					tc.tamper(t, n.db)
				}
				checked, err := n.m.RecheckEntries(context.Background())
				if err != nil || checked != 600 {
					t.Fatalf("recheck: %d checked, %v", checked, err)
				}
				as := n.alarms(t)
				if tc.key == "" {
					if len(as) != 0 {
						t.Fatalf("alarms on an untouched copy: %+v", as)
					}
					return
				}
				wantAlarm(t, as, mirror.KindEntryChanged, map[string]string{"index": tc.index})
				if k := as[0].MessageKey(); k != tc.key {
					t.Errorf("message %s, want %s (%v)", k, tc.key, as[0].Params)
				}
			})
		}
	})
}
