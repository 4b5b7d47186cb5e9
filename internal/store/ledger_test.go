package store_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"parley/internal/ledger"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

func appendRow(ctx context.Context, tx *store.Tx, idx int64) error {
	return tx.AppendLog(ctx, ledger.AppendRecord{
		Entry:      ledger.EntryRow{Index: idx, Data: []byte{byte(idx)}, Type: "t", Subject: "s", Time: time.Now()},
		Hashes:     []ledger.HashRow{{Index: 2 * idx, Hash: bytes.Repeat([]byte{byte(idx)}, 32)}},
		Openings:   []ledger.OpeningRow{{Index: idx, Position: 0, ItemID: "row/1", Salt: []byte("salt"), Commitment: bytes.Repeat([]byte{1}, 32)}},
		Checkpoint: ledger.CheckpointRow{Size: idx + 1, Note: []byte("note"), Time: time.Now()},
	})
}

func TestLogStorage(t *testing.T) {
	t.Parallel() // waits on PostgreSQL mostly; overlap the waits
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := b.Open(t)

		if n, err := db.LogSize(ctx); err != nil || n != 0 {
			t.Fatalf("empty log size %d, %v", n, err)
		}
		if _, err := db.LatestCheckpoint(ctx); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("latest checkpoint of an empty log: %v", err)
		}
		err := db.Update(ctx, func(tx *store.Tx) error {
			n, err := tx.LockLog(ctx)
			if err != nil || n != 0 {
				t.Fatalf("LockLog = %d, %v", n, err)
			}
			if err := appendRow(ctx, tx, 0); err != nil {
				return err
			}
			return appendRow(ctx, tx, 1)
		})
		if err != nil {
			t.Fatal(err)
		}
		// An append at the wrong index is refused: the head moves only by one.
		err = db.Update(ctx, func(tx *store.Tx) error {
			if _, err := tx.LockLog(ctx); err != nil {
				return err
			}
			return appendRow(ctx, tx, 5)
		})
		if err == nil {
			t.Error("AppendLog at index 5 of a log of size 2 succeeded")
		}

		if n, _ := db.LogSize(ctx); n != 2 {
			t.Errorf("size %d, want 2", n)
		}
		hs, err := db.LogHashes(ctx, []int64{2, 0})
		if err != nil || len(hs) != 2 || hs[0][0] != 1 || hs[1][0] != 0 {
			t.Errorf("LogHashes = %x, %v", hs, err)
		}
		if _, err := db.LogHashes(ctx, []int64{7}); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("missing hash: %v", err)
		}
		es, err := db.LogEntries(ctx, 0, 10)
		if err != nil || len(es) != 2 || es[1].Index != 1 || es[1].Type != "t" {
			t.Errorf("LogEntries = %+v, %v", es, err)
		}
		if es, _ := db.FindLogEntries(ctx, "t", "s"); len(es) != 2 {
			t.Errorf("FindLogEntries found %d", len(es))
		}
		if cp, err := db.LatestCheckpoint(ctx); err != nil || cp.Size != 2 {
			t.Errorf("latest checkpoint %+v, %v", cp, err)
		}
		if cps, _ := db.Checkpoints(ctx, 1, 2); len(cps) != 2 {
			t.Errorf("Checkpoints found %d", len(cps))
		}
		if ops, err := db.LogOpenings(ctx, 1); err != nil || len(ops) != 1 || string(ops[0].Salt) != "salt" {
			t.Errorf("openings %+v, %v", ops, err)
		}

		// Cosignatures: one per witness and checkpoint.
		for i := 0; i < 2; i++ {
			if err := db.AddCosignature(ctx, ledger.CosignatureRow{Size: 2, Witness: "w", Line: "— w AAAA", Time: time.Now()}); err != nil {
				t.Fatal(err)
			}
		}
		if cs, _ := db.Cosignatures(ctx, 2); len(cs) != 1 {
			t.Errorf("%d cosignatures, want 1", len(cs))
		}
		if n, _ := db.LastCosignedSize(ctx, "w"); n != 2 {
			t.Errorf("last cosigned size %d", n)
		}
		if n, _ := db.LastCosignedSize(ctx, "other"); n != 0 {
			t.Errorf("last cosigned size of a stranger %d", n)
		}
		if sizes, _ := db.CosignedSizes(ctx); len(sizes) != 1 || sizes[0] != 2 {
			t.Errorf("cosigned sizes %v", sizes)
		}

		// Lists for the verifier.
		if l, err := db.AuditList(ctx, "nope"); l != nil || err != nil {
			t.Errorf("AuditList of a missing list = %v, %v", l, err)
		}
		if ids, err := db.HandedOverListIDs(ctx); err != nil || len(ids) != 0 {
			t.Errorf("handed-over lists %v, %v", ids, err)
		}
	})
}

// TestWitnessStateSwap checks the compare-and-swap that keeps a witness
// from ever being rolled back.
func TestWitnessStateSwap(t *testing.T) {
	t.Parallel() // waits on PostgreSQL mostly; overlap the waits
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := b.Open(t)
		r := func(size int64, root byte) ledger.WitnessStateRow {
			return ledger.WitnessStateRow{Size: size, Root: bytes.Repeat([]byte{root}, 32), Checkpoint: []byte("cp")}
		}
		if _, ok, err := db.WitnessState(ctx, "w", "o"); ok || err != nil {
			t.Fatalf("state of a new witness: %v %v", ok, err)
		}
		s5, s9, s9b := r(5, 1), r(9, 2), r(9, 3)
		steps := []struct {
			name string
			old  *ledger.WitnessStateRow
			next ledger.WitnessStateRow
			ok   bool
		}{
			{"first", nil, s5, true},
			{"first again", nil, s9, false},
			{"stale size", &s9, s9b, false},
			{"wrong root", &ledger.WitnessStateRow{Size: 5, Root: s9.Root}, s9, false},
			{"advance", &s5, s9, true},
			{"advance from the old state again", &s5, s9b, false},
		}
		for _, s := range steps {
			ok, err := db.SwapWitnessState(ctx, "w", "o", s.old, s.next)
			if err != nil || ok != s.ok {
				t.Errorf("%s: swapped %v, %v; want %v", s.name, ok, err, s.ok)
			}
		}
		got, ok, err := db.WitnessState(ctx, "w", "o")
		if err != nil || !ok || got.Size != 9 || !bytes.Equal(got.Root, s9.Root) {
			t.Errorf("final state %+v %v %v", got, ok, err)
		}
	})
}

// TestLockLogSerialises checks that a second appender waits for the first
// to commit, across two handles (two processes on one database).
func TestLockLogSerialises(t *testing.T) {
	t.Parallel() // waits on PostgreSQL mostly; overlap the waits
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db1, db2 := b.Open(t), b.Open(t)
		locked, release := make(chan struct{}), make(chan struct{})
		first := make(chan error, 1)
		go func() {
			first <- db1.Update(ctx, func(tx *store.Tx) error {
				if _, err := tx.LockLog(ctx); err != nil {
					return err
				}
				close(locked)
				<-release
				return appendRow(ctx, tx, 0)
			})
		}()
		<-locked
		second := make(chan int64, 1)
		go func() {
			var n int64
			err := db2.Update(ctx, func(tx *store.Tx) error {
				var err error
				n, err = tx.LockLog(ctx)
				if err != nil {
					return err
				}
				return appendRow(ctx, tx, n)
			})
			if err != nil {
				t.Error(err)
			}
			second <- n
		}()
		select {
		case n := <-second:
			t.Fatalf("second appender got the lock at size %d while the first held it", n)
		case <-time.After(300 * time.Millisecond):
		}
		close(release)
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		if n := <-second; n != 1 {
			t.Errorf("second appender saw size %d, want 1", n)
		}
	})
}

// TestIssuedRecords records issued checkpoints and receipts (the same one
// twice is one record) and prunes the checkpoints below the largest.
func TestIssuedRecords(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := b.Open(t)
		root := bytes.Repeat([]byte{7}, 32)
		for _, r := range []ledger.IssuedRow{
			{Kind: ledger.IssuedCheckpoint, Size: 3, Index: -1, Root: root, Leaf: []byte{}},
			{Kind: ledger.IssuedCheckpoint, Size: 5, Index: -1, Root: root, Leaf: []byte{}},
			{Kind: ledger.IssuedCheckpoint, Size: 5, Index: -1, Root: root, Leaf: []byte{}},
			{Kind: ledger.IssuedReceipt, Size: 3, Index: 2, Root: root, Leaf: root, Subject: "L1"},
		} {
			r.Time = time.Now()
			if err := db.RecordIssued(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := db.IssuedRows(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 || rows[2].Subject != "L1" || !bytes.Equal(rows[2].Leaf, root) || rows[0].Size != 3 {
			t.Fatalf("issued rows: %+v", rows)
		}
		if err := db.PruneIssuedCheckpoints(ctx); err != nil {
			t.Fatal(err)
		}
		rows, err = db.IssuedRows(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0].Kind != ledger.IssuedCheckpoint || rows[0].Size != 5 || rows[1].Kind != ledger.IssuedReceipt {
			t.Fatalf("after pruning: %+v", rows)
		}
	})
}
