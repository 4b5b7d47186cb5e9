package mirror_test

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"parley/internal/ledger"
	"parley/internal/mirror"
	"parley/internal/store/storetest"
)

// TestConcurrentSyncs: the node's server and a "node status" run beside
// it sync the same database at once, each with its own Mirror (its own
// lock). Whichever stores a batch second starts again from what the first
// stored: both succeed, and every entry is stored once.
func TestConcurrentSyncs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		h := newHub(t, b)
		h.appendTo(h.db, 0, 600, event)
		n := newNode(t, b, h.srv.URL, h.logKey(), "A", mirror.Options{Batch: 64})
		other, err := mirror.New(n.db, n.opt)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, m := range []*mirror.Mirror{n.m, other} {
			wg.Go(func() {
				_, errs[i] = m.Sync(context.Background())
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("sync %d: %v", i, err)
			}
		}
		if st := n.state(t); st.Size != 600 || st.LogSize != 600 {
			t.Fatalf("state %+v", st)
		}
		rows, err := n.db.MirrorEntries(context.Background(), 0, 1000)
		if err != nil || len(rows) != 600 {
			t.Fatalf("%d entries stored (%v), want 600", len(rows), err)
		}
		if as := n.alarms(t); len(as) != 0 {
			t.Fatalf("alarms: %+v", as)
		}
	})
}

// armedWitnessStore is the witness state of a node's database as one
// process reads it: the first read after arm runs a hook, the other
// process's sync, right after it returns.
type armedWitnessStore struct {
	ledger.WitnessStore
	hook atomic.Pointer[func()]
}

func (s *armedWitnessStore) arm(f func()) { s.hook.Store(&f) }

func (s *armedWitnessStore) WitnessState(ctx context.Context, witness, origin string) (ledger.WitnessStateRow, bool, error) {
	row, ok, err := s.WitnessStore.WitnessState(ctx, witness, origin)
	if f := s.hook.Swap(nil); f != nil {
		(*f)()
	}
	return row, ok, err
}

// TestConcurrentCosign: the node's server and a "node status" beside it
// sync the same database, each with the node's witness key in its own
// process. One reads the witness's last cosigned size, the other cosigns
// meanwhile, and the first asks the witness to cosign from a size it no
// longer holds. The witness refuses (409, as C2SP tlog-witness wants): a
// race between two honest syncs, not a fork. No alarm is raised, the
// witness ends at the latest size, and every cosignature sent to the hub
// verifies.
func TestConcurrentCosign(t *testing.T) {
	tests := []struct {
		name string
		// before is the log's size when both processes first sync
		// (0: they have not); at is its size at the racing sync, and
		// then the size the other process sees.
		before, at, other int
	}{
		{name: "first cosignature", before: 0, at: 5, other: 5},
		{name: "same checkpoint", before: 5, at: 9, other: 9},
		{name: "the other saw a newer checkpoint", before: 5, at: 9, other: 12},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, b storetest.Backend) {
				ctx := context.Background()
				h := newHub(t, b)
				wsk, wvk, err := note.GenerateKey(nil, ledger.WitnessName(testOrigin, "A"))
				if err != nil {
					t.Fatal(err)
				}
				db := openDB(t, b)
				var mu sync.Mutex
				var pushed []string
				push := func(_ context.Context, cp []byte, line string) error {
					mu.Lock()
					defer mu.Unlock()
					pushed = append(pushed, string(cp)+line+"\n")
					return nil
				}
				// process returns the mirror of one process: its own
				// witness (its own lock) on the shared database.
				process := func(ws ledger.WitnessStore) *mirror.Mirror {
					w, err := ledger.NewWitness(wsk, h.logKey(), db)
					if err != nil {
						t.Fatal(err)
					}
					m, err := mirror.New(db, mirror.Options{HubURL: h.srv.URL, LogKey: h.logKey(), Party: "A",
						Witness: w, WitnessStore: ws, PushCosignature: push, Logger: slog.New(slog.DiscardHandler)})
					if err != nil {
						t.Fatal(err)
					}
					return m
				}
				armed := &armedWitnessStore{WitnessStore: db}
				server, status := process(armed), process(db)
				if tc.before > 0 {
					h.appendTo(h.db, 0, tc.before, event)
					for _, m := range []*mirror.Mirror{server, status} {
						if _, err := m.Sync(ctx); err != nil {
							t.Fatal(err)
						}
					}
				}
				h.appendTo(h.db, tc.before, tc.at-tc.before, event)
				var otherErr error
				armed.arm(func() {
					h.appendTo(h.db, tc.at, tc.other-tc.at, event)
					_, otherErr = status.Sync(ctx)
				})
				res, err := server.Sync(ctx)
				if err != nil || otherErr != nil {
					t.Fatalf("syncs: %v; the other: %v", err, otherErr)
				}
				if armed.hook.Load() != nil {
					t.Fatal("the other process never synced")
				}
				if as, err := db.Alarms(ctx, true); err != nil || len(as) != 0 {
					t.Fatalf("alarms after honest concurrent syncs: %+v %v", as, err)
				}
				if res.CosignedSize < int64(tc.at) {
					t.Errorf("the sync reports size %d cosigned, want at least %d", res.CosignedSize, tc.at)
				}
				cur, _, err := db.WitnessState(ctx, ledger.WitnessName(testOrigin, "A"), testOrigin)
				if err != nil || cur.Size != int64(tc.other) {
					t.Fatalf("witness at size %d (%v), want %d", cur.Size, err, tc.other)
				}
				v, err := fnote.NewVerifierForCosignatureV1(wvk)
				if err != nil {
					t.Fatal(err)
				}
				lv, err := note.NewVerifier(h.logKey())
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range pushed {
					if _, err := note.Open([]byte(p), note.VerifierList(lv, v)); err != nil {
						t.Errorf("pushed cosignature does not verify: %v\n%s", err, p)
					}
				}
				if len(pushed) == 0 {
					t.Error("no cosignature sent to the hub")
				}
			})
		})
	}
}
