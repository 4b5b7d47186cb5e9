package familyweb

import (
	"context"
	"sync"
	"time"
)

// lookupFlushEvery is how long look-up counts may wait in memory before
// they are written to the throttle table.
const lookupFlushEvery = 200 * time.Millisecond

// batchLimiter is the per-address look-up limit, counted in memory first
// and written to the shared throttle table in one statement per batch.
//
// A counted upsert per look-up is a write, and on SQLite every write queues
// on the one writer: at thousands of look-ups a second the limiter itself
// becomes the bottleneck. Counting here first keeps the hot path free of
// writes while the shared limit still holds:
//   - within this process the limit is exact: an address's count is the
//     table's count as last written back plus what was counted here
//     since, and the look-up that passes N is refused at once;
//   - the counts reach the table within lookupFlushEvery, so every other
//     process (and this one after a restart) sees them; across P
//     processes an address can get at most P·N look-ups in a window, and
//     only by spreading a burst over all of them within one flush.
//
// That slack is acceptable for this limit because it bounds work, not
// guessing: wrong secrets are counted per address and per reference by
// the failure limiters, which still write each failure to the table at
// once and are checked in the table before every look-up.
//
// When a write-back fails, the limiter keeps the unwritten counts and
// goes on counting in memory, where the limit stays exact for this
// process; only the sharing with other processes is late. A single slow
// write-back during a burst (the moment families crowd in after an
// exchange is announced) must not turn every family away. When no
// write-back has succeeded for lookupFailGrace, it fails closed (as
// limiter does) until one succeeds; look-ups arrange the next attempt.
type batchLimiter struct {
	*limiter

	// flushMu lets one write-back run at a time.
	flushMu sync.Mutex
	mu      sync.Mutex
	keys    map[string]*lookupCount
	pending bool      // a write-back is scheduled
	failed  bool      // the last write-back failed
	lastOK  time.Time // when a write-back last succeeded (or the limiter began)
}

// lookupFailGrace is how long the limiter counts in memory alone after
// its write-backs start failing.
const lookupFailGrace = 30 * time.Second

// lookupCount is one address's count: stored as the table last returned
// it, inFlight being written back now, local counted since.
type lookupCount struct {
	stored, inFlight, local int
	expires                 time.Time // when the table's window lapses; zero while unknown
}

func newBatchLimiter(l *limiter) *batchLimiter {
	return &batchLimiter{limiter: l, keys: map[string]*lookupCount{}, lastOK: l.now()}
}

// allow counts one look-up of key and reports whether it is within the
// limit; when it is not, retry says when the window ends.
func (b *batchLimiter) allow(_ context.Context, key string) (ok bool, retry time.Duration) {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failed {
		// Try the write-back again, driven by the look-ups that come in
		// rather than by a timer of its own, so that a closed database
		// leaves nothing running.
		b.schedule()
		if now.Sub(b.lastOK) >= lookupFailGrace {
			return false, failClosed
		}
	}
	c := b.keys[key]
	if c == nil {
		c = &lookupCount{}
		b.keys[key] = c
	}
	if !c.expires.IsZero() && !now.Before(c.expires) {
		// The window has lapsed; the table starts a new one with the
		// next write-back.
		c.stored, c.expires = 0, time.Time{}
	}
	c.local++
	b.schedule()
	if c.stored+c.inFlight+c.local > b.rate.N {
		if c.expires.IsZero() {
			return false, b.rate.Per
		}
		return false, c.expires.Sub(now)
	}
	return true, 0
}

// flush writes the counts gathered since the last write-back to the
// table in one statement per few hundred addresses, and takes back the
// table's counts, which include other processes' look-ups.
func (b *batchLimiter) flush() {
	b.flushMu.Lock()
	defer b.flushMu.Unlock()
	b.mu.Lock()
	var keys []string
	var hits []int
	for k, c := range b.keys {
		if c.local > 0 {
			keys, hits = append(keys, k), append(hits, c.local)
			c.inFlight, c.local = c.local, 0
		}
	}
	b.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now := b.now()
	st, err := b.svc.ThrottleAdd(ctx, now, b.scope, keys, hits, b.rate.Per)

	b.mu.Lock()
	defer b.mu.Unlock()
	b.failed = err != nil
	if err == nil {
		b.lastOK = now
	} else {
		b.log.Error("familyweb: rate limit", "scope", b.scope, "err", err)
	}
	for i, k := range keys {
		c := b.keys[k]
		if err != nil {
			c.local += c.inFlight
		} else {
			c.stored, c.expires = st[i].Hits, st[i].Expires
		}
		c.inFlight = 0
	}
	// Forget addresses whose window has lapsed with nothing left to write.
	for k, c := range b.keys {
		if c.local == 0 && !c.expires.IsZero() && !now.Before(c.expires) {
			delete(b.keys, k)
		}
	}
	b.pending = false
	if err == nil && b.anyLocal() {
		b.schedule()
	}
}

// schedule arranges a write-back within lookupFlushEvery unless one is
// already arranged; b.mu is held.
func (b *batchLimiter) schedule() {
	if !b.pending {
		b.pending = true
		time.AfterFunc(lookupFlushEvery, b.flush)
	}
}

func (b *batchLimiter) anyLocal() bool {
	for _, c := range b.keys {
		if c.local > 0 {
			return true
		}
	}
	return false
}
