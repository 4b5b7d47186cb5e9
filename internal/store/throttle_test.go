package store_test

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"parley/internal/store"
	"parley/internal/store/storetest"
)

func TestThrottleCounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := b.Open(t)
		t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		ip := store.ThrottleKey{Scope: "lookup", Key: "192.0.2.1"}
		other := store.ThrottleKey{Scope: "lookup", Key: "192.0.2.2"}
		sameKeyOtherScope := store.ThrottleKey{Scope: "inquiry", Key: "192.0.2.1"}

		// A fixed window: counts restart only when the window from the
		// first event has passed.
		tests := []struct {
			at       time.Duration
			wantHits int
			wantEnd  time.Duration
		}{
			{0, 1, time.Hour},
			{10 * time.Minute, 2, time.Hour},
			{59 * time.Minute, 3, time.Hour},
			{time.Hour, 1, 2 * time.Hour}, // lapsed: a new window
			{90 * time.Minute, 2, 2 * time.Hour},
		}
		for _, tt := range tests {
			got, err := db.ThrottleCount(ctx, t0.Add(tt.at), time.Hour, store.FixedWindow, ip)
			if err != nil {
				t.Fatal(err)
			}
			if got[0].Hits != tt.wantHits || !got[0].Expires.Equal(t0.Add(tt.wantEnd)) {
				t.Errorf("at +%v: %+v, want %d hits until +%v", tt.at, got[0], tt.wantHits, tt.wantEnd)
			}
		}
		// Several keys in one statement, a repeated key counted once; keys
		// of other scopes are apart.
		got, err := db.ThrottleCount(ctx, t0.Add(91*time.Minute), time.Hour, store.FixedWindow, ip, other, ip, sameKeyOtherScope)
		if err != nil {
			t.Fatal(err)
		}
		if got[0].Hits != 3 || got[1].Hits != 1 || got[2].Hits != 3 || got[3].Hits != 1 {
			t.Errorf("multi-key count = %+v", got)
		}
		st, err := db.ThrottleStates(ctx, t0.Add(92*time.Minute), ip, other, store.ThrottleKey{Scope: "lookup", Key: "never"})
		if err != nil || st[0].Hits != 3 || st[1].Hits != 1 || st[2] != (store.ThrottleState{}) {
			t.Fatalf("states = %+v, %v", st, err)
		}
		// Lapsed rows read as absent, and pruning deletes them.
		if st, _ := db.ThrottleStates(ctx, t0.Add(3*time.Hour), ip); st[0].Hits != 0 {
			t.Errorf("lapsed state read as %+v", st[0])
		}
		n, err := db.PruneThrottle(ctx, t0.Add(3*time.Hour))
		if err != nil || n != 3 {
			t.Errorf("pruned %d rows, %v; want 3", n, err)
		}

		// A sliding window lapses only after a quiet period.
		fail := store.ThrottleKey{Scope: "login_account", Key: "olena"}
		times := []time.Duration{0, 10 * time.Minute, 20 * time.Minute, 30 * time.Minute}
		for i, at := range times {
			got, err := db.ThrottleCount(ctx, t0.Add(at), 15*time.Minute, store.SlidingWindow, fail)
			if err != nil {
				t.Fatal(err)
			}
			wantPrev := time.Time{}
			if i > 0 {
				wantPrev = t0.Add(times[i-1])
			}
			if got[0].Hits != i+1 || !got[0].Last.Equal(t0.Add(at)) || !got[0].Prev.Equal(wantPrev) || !got[0].Expires.Equal(t0.Add(at+15*time.Minute)) {
				t.Errorf("sliding count %d = %+v", i+1, got[0])
			}
		}
		if err := db.UncountThrottle(ctx, fail); err != nil {
			t.Fatal(err)
		}
		if st, _ := db.ThrottleStates(ctx, t0.Add(31*time.Minute), fail); st[0].Hits != 3 {
			t.Errorf("after taking one back: %+v, want 3 hits", st[0])
		}
		if err := db.ClearThrottle(ctx, fail); err != nil {
			t.Fatal(err)
		}
		if st, _ := db.ThrottleStates(ctx, t0.Add(31*time.Minute), fail); st[0].Hits != 0 {
			t.Errorf("cleared key still counts: %+v", st[0])
		}
	})
}

// TestThrottleSharedAndDurable: two handles on one database (two server
// processes) count into the same rows, concurrently, and a count survives
// closing and reopening the database (a restart).
func TestThrottleSharedAndDurable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		one, two := b.Open(t), b.Open(t)
		now := time.Now().UTC()
		k := store.ThrottleKey{Scope: "login_address", Key: "198.51.100.7"}
		const each = 25
		var wg sync.WaitGroup
		for _, db := range []*store.DB{one, two} {
			wg.Go(func() {
				for range each {
					if _, err := db.ThrottleCount(ctx, now, time.Hour, store.SlidingWindow, k); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		for i, db := range []*store.DB{one, two} {
			st, err := db.ThrottleStates(ctx, now, k)
			if err != nil || st[0].Hits != 2*each {
				t.Fatalf("handle %d sees %+v, %v; want %d hits", i+1, st, err, 2*each)
			}
		}
		one.Close()
		two.Close()
		again := b.Open(t)
		st, err := again.ThrottleStates(ctx, now, k)
		if err != nil || st[0].Hits != 2*each {
			t.Fatalf("after reopening: %+v, %v; want %d hits", st, err, 2*each)
		}
	})
}

// BenchmarkThrottleCount measures the check-and-count of a family look-up:
// one upsert per event, from 8 concurrent clients per CPU spread over
// 10,000 addresses.
func BenchmarkThrottleCount(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			url := ""
			if backend == "postgres" {
				url = storetest.NewPostgresURL(b)
			}
			db, err := store.Open(context.Background(), b.TempDir(), url)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			ctx := context.Background()
			var n atomic.Int64
			// A web server answers many look-ups at once.
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					k := store.ThrottleKey{Scope: "family_lookup", Key: "198.51." + strconv.Itoa(int(i%100)) + "." + strconv.Itoa(int(i/100%100))}
					if _, err := db.ThrottleCount(ctx, time.Now(), time.Hour, store.FixedWindow, k); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "counts/s")
		})
	}
}
