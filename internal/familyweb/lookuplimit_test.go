package familyweb

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"parley/internal/service"
	"parley/internal/store/storetest"
)

// TestBatchLimiterSharedLimit: look-ups counted in memory are exact within
// a process, reach the shared table when written back, and another
// process (a second limiter on the same database) then refuses the
// address; a new window lifts the limit.
func TestBatchLimiterSharedLimit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		svc, err := service.New(ctx, b.Open(t), slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		// The limiter's background write-back reads the clock while the
		// test moves it, so the time is held atomically.
		var nowNS atomic.Int64
		nowNS.Store(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).UnixNano())
		clock := func() time.Time { return time.Unix(0, nowNS.Load()).UTC() }
		rate := Rate{N: 5, Per: time.Hour}
		one := newBatchLimiter(newLimiter(svc, "family_lookup", rate, clock, slog.New(slog.DiscardHandler)))
		two := newBatchLimiter(newLimiter(svc, "family_lookup", rate, clock, slog.New(slog.DiscardHandler)))

		for i := range 5 {
			if ok, _ := one.allow(ctx, "203.0.113.9"); !ok {
				t.Fatalf("look-up %d of 5 refused", i+1)
			}
		}
		if ok, retry := one.allow(ctx, "203.0.113.9"); ok || retry <= 0 {
			t.Errorf("the 6th look-up in one process: ok=%v retry=%v, want refused with a wait", ok, retry)
		}
		if ok, _ := one.allow(ctx, "203.0.113.10"); !ok {
			t.Error("another address was refused")
		}
		one.flush()

		// The other process learns the table's count with its first
		// write-back and refuses from then on.
		if ok, _ := two.allow(ctx, "203.0.113.9"); !ok {
			t.Error("first look-up in the second process refused before it could know")
		}
		two.flush()
		if ok, retry := two.allow(ctx, "203.0.113.9"); ok || retry <= 0 || retry > time.Hour {
			t.Errorf("second process after write-back: ok=%v retry=%v, want refused within the hour", ok, retry)
		}
		st, err := svc.ThrottleBlocked(ctx, clock(), service.ThrottleLimit{Scope: "family_lookup", Key: "203.0.113.9", N: 5})
		if err != nil || st <= 0 {
			t.Errorf("the table does not hold the address's look-ups: wait %v, %v", st, err)
		}

		nowNS.Add(int64(61 * time.Minute))
		if ok, _ := two.allow(ctx, "203.0.113.9"); !ok {
			t.Error("refused in a new window")
		}
		two.flush()
		if ok, _ := one.allow(ctx, "203.0.113.9"); !ok {
			t.Error("first process refused in a new window")
		}
	})
}

// TestBatchLimiterFailsClosed: when the counts cannot be written back,
// look-ups are still counted in memory — the limit holding exactly within
// the process — for lookupFailGrace, and refused after it until a
// write-back succeeds.
func TestBatchLimiterFailsClosed(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := b.Open(t)
		svc, err := service.New(ctx, db, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		clock := time.Now()
		now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
		l := newBatchLimiter(newLimiter(svc, "family_lookup", Rate{N: 3, Per: time.Hour}, now, slog.New(slog.DiscardHandler)))
		if ok, _ := l.allow(ctx, "203.0.113.9"); !ok {
			t.Fatal("first look-up refused")
		}
		db.Close()
		l.flush()
		// Within the grace the limit holds in memory: two more pass, the
		// fourth is refused for the window, not for the failure.
		for i := 2; i <= 4; i++ {
			ok, retry := l.allow(ctx, "203.0.113.9")
			if want := i <= 3; ok != want || !ok && retry == failClosed {
				t.Errorf("look-up %d after a failed write-back: ok=%v retry=%v, want ok=%v", i, ok, retry, want)
			}
		}
		if ok, _ := l.allow(ctx, "198.51.100.1"); !ok {
			t.Error("another address refused within the grace")
		}
		mu.Lock()
		clock = clock.Add(lookupFailGrace)
		mu.Unlock()
		l.flush()
		if ok, retry := l.allow(ctx, "198.51.100.1"); ok || retry != failClosed {
			t.Errorf("after the grace: ok=%v retry=%v, want refused for %v", ok, retry, failClosed)
		}
		if ok, _ := l.allow(ctx, "192.0.2.7"); ok {
			t.Error("a new address passed while the counts have not been written for the grace")
		}
	})
}
