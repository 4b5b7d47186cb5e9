package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"parley/internal/ledger"
	"parley/internal/ledger/ledgertest"
	"parley/internal/lists"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

func TestInitKeys(t *testing.T) {
	dir := t.TempDir()
	if err := ledger.Init(dir, testOrigin, testParties); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("key directory mode %v, want 0700", fi.Mode().Perm())
	}
	entries, err := os.ReadDir(filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 7 { // log key pair, two witness key pairs, config
		t.Errorf("%d files in keys/, want 7", len(entries))
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", e.Name(), info.Mode().Perm())
		}
	}
	if err := ledger.Init(dir, testOrigin, testParties); !errors.Is(err, os.ErrExist) {
		t.Errorf("second Init: %v, want an error wrapping ErrExist", err)
	}
	l, err := ledger.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The verifier key is in the signed-note format with the origin as
	// key name, and the witness keys are cosignature/v1 keys (type 0x04).
	v, err := note.NewVerifier(l.VerifierKey())
	if err != nil || v.Name() != testOrigin {
		t.Errorf("verifier key %q: name %v, err %v", l.VerifierKey(), v, err)
	}
	for _, p := range testParties {
		k, err := l.WitnessVerifierKey(p)
		if err != nil {
			t.Fatal(err)
		}
		if want := ledger.WitnessName(testOrigin, p) + "+"; len(k) < len(want) || k[:len(want)] != want {
			t.Errorf("witness key of %s = %q, want name %s", p, k, want)
		}
	}
}

func TestInitRejects(t *testing.T) {
	tests := []struct {
		name    string
		origin  string
		parties []string
	}{
		{"space in origin", "parley test", testParties},
		{"plus in origin", "parley+test", testParties},
		{"empty origin", "", testParties},
		{"no parties", testOrigin, nil},
		{"bad party", testOrigin, []string{"A", "B/../C"}},
		{"duplicate party", testOrigin, []string{"A", "A"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := ledger.Init(t.TempDir(), tt.origin, tt.parties); err == nil {
				t.Error("Init succeeded")
			}
		})
	}
}

func TestOpenRefusesOpenKeyDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := ledger.Init(dir, testOrigin, testParties); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "keys"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.Open(dir); err == nil {
		t.Error("Open accepted a key directory readable by others")
	}
}

func TestAppendInTransaction(t *testing.T) {
	t.Parallel() // waits on PostgreSQL mostly; overlap the waits
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := b.Open(t)
		l := newLog(t)

		// An empty log still has a signed checkpoint (size 0).
		cp, err := l.Checkpoint(ctx, db)
		if err != nil || cp.Size != 0 {
			t.Fatalf("empty log checkpoint: %+v, %v", cp, err)
		}

		appendN(t, db, l, 0, 3)

		// A failing transaction rolls back the state change and the entry.
		boom := errors.New("boom")
		err = db.Update(ctx, func(tx *store.Tx) error {
			if err := ledgertest.EnsureParties(ctx, tx); err != nil {
				return err
			}
			if err := tx.InsertList(ctx, &lists.List{ID: "LX", From: "A", To: "B", Version: 1, RootID: "LX", State: lists.Draft}); err != nil {
				return err
			}
			if _, err := l.Append(ctx, tx, event(99)); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Update: %v", err)
		}
		n, err := db.LogSize(ctx)
		if err != nil || n != 3 {
			t.Fatalf("log size after rollback = %d, %v; want 3", n, err)
		}
		if _, err := db.CheckpointAt(ctx, 4); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("checkpoint 4 after rollback: %v", err)
		}
		if err := db.View(ctx, func(tx *store.Tx) error {
			_, err := tx.List(ctx, "LX")
			return err
		}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("list of the rolled-back transaction: %v", err)
		}

		// The next append takes index 3, and every checkpoint verifies.
		appendN(t, db, l, 3, 1)
		v, _ := note.NewVerifier(l.VerifierKey())
		for size := int64(1); size <= 4; size++ {
			row, err := db.CheckpointAt(ctx, size)
			if err != nil {
				t.Fatal(err)
			}
			cp, _, err := ledger.OpenCheckpoint(row.Note, v)
			if err != nil || cp.Size != size {
				t.Errorf("checkpoint %d: %+v, %v", size, cp, err)
			}
		}
		rep, err := ledger.Verify(ctx, ledger.NewStorageSource(db), l.VerifierKey(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() || rep.Size != 4 {
			t.Errorf("verify: %s", rep)
		}
		// (One database for several checks: creating a PostgreSQL
		// database per test is slow.)
		checkRejectsBadEvents(t, db, l, 4)
		checkOpeningProvesOneRow(t, db, l)
	})
}

// checkRejectsBadEvents appends invalid events to a log of size n and
// checks that none is written.
func checkRejectsBadEvents(t *testing.T, db *store.DB, l *ledger.Log, n int64) {
	t.Run("rejects bad events", func(t *testing.T) {
		ctx := context.Background()
		big := make([]byte, ledger.MaxEntrySize)
		for i := range big {
			big[i] = 'x'
		}
		tests := []struct {
			name string
			ev   ledger.Event
		}{
			{"no type", ledger.Event{Actor: "a"}},
			{"upper-case type", ledger.Event{Type: "List.Handed", Actor: "a"}},
			{"no actor", ledger.Event{Type: "list.handed_over"}},
			{"bad attribute name", ledger.Event{Type: "x", Actor: "a", Attrs: map[string]string{"Bad Key": "v"}}},
			{"too large", ledger.Event{Type: "x", Actor: "a", Attrs: map[string]string{"title": string(big)}}},
			{"duplicate item", ledger.Event{Type: "x", Actor: "a", Personal: []ledger.Item{{ID: "row/1"}, {ID: "row/1"}}}},
			{"empty item id", ledger.Event{Type: "x", Actor: "a", Personal: []ledger.Item{{ID: ""}}}},
		}
		for _, tt := range tests {
			err := db.Update(ctx, func(tx *store.Tx) error {
				_, err := l.Append(ctx, tx, tt.ev)
				return err
			})
			if err == nil {
				t.Errorf("%s: Append succeeded", tt.name)
			}
		}
		if got, _ := db.LogSize(ctx); got != n {
			t.Errorf("log size %d after rejected events, want %d", got, n)
		}
	})
}

// TestConcurrentAppendersNeverFork appends from many goroutines through two
// database handles (as two server processes would) and checks that every
// index was taken once and that the final tree verifies.
func TestConcurrentAppendersNeverFork(t *testing.T) {
	t.Parallel() // waits on PostgreSQL mostly; overlap the waits
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		dbs := []*store.DB{b.Open(t), b.Open(t)}
		l := newLog(t)
		const workers, each = 8, 6
		var mu sync.Mutex
		var got []int64
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				db := dbs[w%2]
				for i := 0; i < each; i++ {
					var idx int64
					err := db.Update(ctx, func(tx *store.Tx) error {
						var err error
						idx, err = l.Append(ctx, tx, event(w*100+i))
						return err
					})
					if err != nil {
						errs <- fmt.Errorf("worker %d: %w", w, err)
						return
					}
					mu.Lock()
					got = append(got, idx)
					mu.Unlock()
				}
			}(w)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
		for i, idx := range got {
			if idx != int64(i) {
				t.Fatalf("indexes %v: want each of 0..%d once", got, workers*each-1)
			}
		}
		rep, err := ledger.Verify(ctx, ledger.NewStorageSource(dbs[0]), l.VerifierKey(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() || rep.Size != workers*each {
			t.Errorf("verify after concurrent appends: %s", rep)
		}
	})
}

// checkOpeningProvesOneRow hands a list over and opens one of its rows.
func checkOpeningProvesOneRow(t *testing.T, db *store.DB, l *ledger.Log) {
	t.Run("opening proves one row", func(t *testing.T) {
		ctx := context.Background()
		idx := handOver(t, db, l, "L1")
		var lst *lists.List
		if err := db.View(ctx, func(tx *store.Tx) error {
			var err error
			lst, err = tx.ListWithEntries(ctx, "L1")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		items, err := ledger.ListItems(lst)
		if err != nil {
			t.Fatal(err)
		}
		entries, err := db.LogEntries(ctx, idx, idx+1)
		if err != nil || len(entries) != 1 {
			t.Fatal(entries, err)
		}
		// The public entry names no one.
		for _, p := range ledgertest.Persons(t) {
			if strings.Contains(string(entries[0].Data), p.Surname) || p.ServiceNumber != "" && strings.Contains(string(entries[0].Data), p.ServiceNumber) {
				t.Fatalf("entry discloses %s", p.Surname)
			}
		}
		op, err := l.Open(ctx, db, idx, items[4])
		if err != nil {
			t.Fatal(err)
		}
		if err := op.Check(entries[0].Data); err != nil {
			t.Errorf("opening of row 5 does not check: %v", err)
		}
		// Another row's data, or another row's id, under this opening fails.
		forged := *op
		forged.Data = items[5].Data
		if forged.Check(entries[0].Data) == nil {
			t.Error("opening with another row's data checks")
		}
		forged = *op
		forged.ItemID = items[5].ID
		if forged.Check(entries[0].Data) == nil {
			t.Error("opening relabelled as another row checks")
		}
		// The server refuses to open data that was not committed.
		if _, err := l.Open(ctx, db, idx, ledger.Item{ID: items[4].ID, Data: []byte(`{"row":5}`)}); err == nil {
			t.Error("Open accepted data that was not committed")
		}
	})
}

// TestOpenTightensKeyFiles: a key file left readable by others (copied in
// by hand, say) is made 0600 when the log opens.
func TestOpenTightensKeyFiles(t *testing.T) {
	dir := t.TempDir()
	if err := ledger.Init(dir, testOrigin, testParties); err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(dir, "keys")
	entries, err := os.ReadDir(keys)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := os.Chmod(filepath.Join(keys, e.Name()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ledger.Open(dir); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		fi, err := os.Stat(filepath.Join(keys, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v after Open, want 0600", e.Name(), fi.Mode().Perm())
		}
	}
}
