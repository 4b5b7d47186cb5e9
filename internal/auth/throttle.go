package auth

import (
	"sync"
	"time"
)

// Throttle counts failed sign-ins per key (a username, a client address)
// and locks the key for a while once too many failures fall within a
// window. It lives in memory: a restart lifts every lockout, which is
// acceptable for a temporary measure and keeps a locked-out attacker from
// filling the database.
type Throttle struct {
	MaxFailures int           // failures within Window that lock the key
	Window      time.Duration // how long a failure counts
	Lockout     time.Duration // how long a locked key stays locked
	// Now is the clock; tests may replace it.
	Now func() time.Time
	// MaxKeys bounds memory: beyond it, stale keys are dropped, and if none
	// is stale the oldest window is forgotten.
	MaxKeys int

	mu   sync.Mutex
	keys map[string]*throttleEntry
}

type throttleEntry struct {
	failures    int
	windowStart time.Time
	lockedUntil time.Time
}

// NewThrottle returns a throttle.
func NewThrottle(maxFailures int, window, lockout time.Duration) *Throttle {
	return &Throttle{MaxFailures: maxFailures, Window: window, Lockout: lockout, Now: time.Now, MaxKeys: 100_000}
}

func (t *Throttle) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// Locked returns how long the key stays locked, or 0 when it may try.
func (t *Throttle) Locked(key string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.keys[key]
	if e == nil {
		return 0
	}
	if d := e.lockedUntil.Sub(t.now()); d > 0 {
		return d
	}
	return 0
}

// Fail records a failed attempt and reports whether the key is now locked.
func (t *Throttle) Fail(key string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if t.keys == nil {
		t.keys = map[string]*throttleEntry{}
	}
	e := t.keys[key]
	if e == nil {
		if t.MaxKeys > 0 && len(t.keys) >= t.MaxKeys {
			t.prune(now)
		}
		e = &throttleEntry{windowStart: now}
		t.keys[key] = e
	}
	if now.Sub(e.windowStart) > t.Window {
		e.failures, e.windowStart = 0, now
	}
	e.failures++
	if e.failures >= t.MaxFailures {
		e.lockedUntil = now.Add(t.Lockout)
		e.failures, e.windowStart = 0, now
		return true
	}
	return false
}

// Succeed forgets the key's failures after a successful sign-in.
func (t *Throttle) Succeed(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := t.keys[key]; e != nil && !e.lockedUntil.After(t.now()) {
		delete(t.keys, key)
	}
}

func (t *Throttle) prune(now time.Time) {
	var oldestKey string
	var oldest time.Time
	for k, e := range t.keys {
		if now.Sub(e.windowStart) > t.Window && !e.lockedUntil.After(now) {
			delete(t.keys, k)
			continue
		}
		if oldestKey == "" || e.windowStart.Before(oldest) {
			oldestKey, oldest = k, e.windowStart
		}
	}
	if len(t.keys) >= t.MaxKeys && oldestKey != "" {
		delete(t.keys, oldestKey)
	}
}
