package mirror_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"parley/internal/ledger"
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
				exec(t, db, `UPDATE mirror_entries SET data = ? WHERE idx = 100`, []byte("not the entry"))
			},
			key: "alarm.entry_changed.held", index: "100",
		},
		{
			name: "entry removed",
			tamper: func(t *testing.T, db *store.DB) {
				exec(t, db, `DELETE FROM mirror_entries WHERE idx = 217`)
			},
			key: "alarm.entry_changed.held", index: "217",
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
		{name: "put back"},
	}
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		h := newHub(t, b)
		h.appendTo(h.db, 0, 300, event)
		n := newNode(t, b, h.srv.URL, h.logKey(), "A", mirror.Options{})
		n.sync(t)
		// The cases tamper with entries 42, 100 and 217 of one node, which
		// is put back after each.
		touched := []int64{42, 100, 217}
		var kept []ledger.EntryRow
		for _, i := range touched {
			rows, err := n.db.MirrorEntries(ctx, i, i+1)
			if err != nil || len(rows) != 1 {
				t.Fatalf("entry %d: %v", i, err)
			}
			kept = append(kept, rows[0])
		}
		restore := func() {
			for _, e := range kept {
				exec(t, n.db, `DELETE FROM mirror_entries WHERE idx = ?`, e.Index)
				exec(t, n.db, `INSERT INTO mirror_entries (idx, data, event_type, subject) VALUES (?, ?, ?, ?)`, e.Index, e.Data, e.Type, e.Subject)
				leaf := tlog.RecordHash(e.Data)
				exec(t, n.db, `UPDATE mirror_hashes SET hash = ? WHERE idx = ?`, leaf[:], tlog.StoredHashIndex(0, e.Index))
			}
			exec(t, n.db, `DELETE FROM node_alarms`)
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				defer restore()
				if tc.tamper != nil {
					tc.tamper(t, n.db)
				}
				checked, err := n.m.RecheckEntries(ctx)
				if err != nil || checked != 300 {
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
