package mirror_test

import (
	"context"
	"sync"
	"testing"

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
