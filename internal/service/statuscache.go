package service

import (
	"context"
	"sync"
	"time"

	"parley/internal/families"
	"parley/internal/store"
)

// statusCache serves the family status look-up without a statement when
// the same family looks again: after an exchange is announced, families
// reload their status page over and over, and each look-up that reads the
// database costs a read transaction on SQLite and a round trip on
// PostgreSQL, most of a look-up's CPU.
//
// What it may answer, and why that is still only what is confirmed:
//   - it holds an inquiry's row only after a look-up proved its secret,
//     tagged with the look-up version the row was read at (the same
//     snapshot). A row is used only while that version is the current
//     one (store.DB.LookupVersion): every change to an inquiry's status,
//     secrets or reference moves it in the same transaction, so a change
//     committed by this process shows at the next look-up, and one by
//     another process within the version's poll interval (100 ms).
//   - the secret is checked on every request, against the cached keyed
//     hash, in constant time. Anything but a match — a wrong secret, a
//     replacement secret, an unknown reference — goes the way of the
//     database as before, which counts the failure; an unknown reference
//     costs the same keyed check first, so the two failures take the same
//     work and get the same answer.
//   - the failure limits are checked before the answer: blocked holds the
//     failure counts that reached their limit as this process wrote or
//     read them. A key blocked only by another process's failures is seen
//     at the first look-up from it that misses here; for a holder of the
//     right secret that only means the status is shown a little longer.
//
// Memory is bounded: rows live in two generations of at most half of
// statusCacheRows each; a row used in the old generation moves to the
// new one, and when the new one is full the old one is dropped (an
// approximate least-recently-used policy without a list to maintain). The
// blocked keys are at most blockedKeys; beyond that the cache stops
// answering until enough of them have lapsed.
type statusCache struct {
	mu       sync.Mutex
	cur, old map[string]*statusEntry
	blocked  map[store.ThrottleKey]store.ThrottleState
	// closedUntil: the blocked map overflowed; answer nothing from memory
	// before then.
	closedUntil time.Time
}

// statusEntry is one inquiry as a look-up that proved its secret read it.
type statusEntry struct {
	version int64
	hash    string // the keyed secret hash
	status  families.PublicStatus
}

const (
	// statusCacheRows bounds the cached inquiries: a few hundred bytes
	// each, so some 30 MB at most, whatever the number of inquiries.
	statusCacheRows = 1 << 16
	// blockedKeys bounds the failure counts kept.
	blockedKeys = 1 << 16
)

// get returns the cached row of ref, or nil.
func (c *statusCache) get(ref string) *statusEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.cur[ref]; e != nil {
		return e
	}
	e := c.old[ref]
	if e != nil {
		delete(c.old, ref)
		c.putLocked(ref, e)
	}
	return e
}

// put caches the row of ref.
func (c *statusCache) put(ref string, e *statusEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(ref, e)
}

func (c *statusCache) putLocked(ref string, e *statusEntry) {
	if c.cur == nil {
		c.cur = map[string]*statusEntry{}
	}
	if _, ok := c.cur[ref]; !ok && len(c.cur) >= statusCacheRows/2 {
		c.old, c.cur = c.cur, map[string]*statusEntry{}
	}
	c.cur[ref] = e
}

// block records a failure count that reached its limit n.
func (c *statusCache) block(k store.ThrottleKey, st store.ThrottleState, n int, now time.Time) {
	if st.Hits < n || !st.Expires.After(now) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.blocked == nil {
		c.blocked = map[store.ThrottleKey]store.ThrottleState{}
	}
	if _, ok := c.blocked[k]; !ok && len(c.blocked) >= blockedKeys {
		for key, s := range c.blocked {
			if !s.Expires.After(now) {
				delete(c.blocked, key)
			}
		}
		if len(c.blocked) >= blockedKeys {
			c.closedUntil = maxTime(c.closedUntil, st.Expires)
			return
		}
	}
	c.blocked[k] = st
}

// open reports whether none of limits is known blocked at now and the
// cache may answer.
func (c *statusCache) open(now time.Time, limits []ThrottleLimit) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Before(c.closedUntil) {
		return false
	}
	for _, l := range limits {
		st, ok := c.blocked[store.ThrottleKey{Scope: l.Scope, Key: l.Key}]
		if !ok {
			continue
		}
		if !st.Expires.After(now) {
			delete(c.blocked, store.ThrottleKey{Scope: l.Scope, Key: l.Key})
			continue
		}
		if st.Hits >= l.N {
			return false
		}
	}
	return true
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// cachedStatus answers a look-up from memory when it can: the row of ref
// is cached at the current look-up version, secret matches its keyed hash
// and no limit is known blocked. Otherwise it reports false having done
// the same keyed check, and the caller reads the database.
//
// A known block is checked first and sends the look-up to the database
// without a secret check there, as the database's way refuses a blocked
// look-up before the secret: a blocked client learns nothing from the
// time either way.
func (s *Service) cachedStatus(ctx context.Context, ref, secret string, now time.Time, limits []ThrottleLimit) (*families.PublicStatus, bool) {
	if !s.statuses.open(now, limits) {
		return nil, false
	}
	e := s.statuses.get(ref)
	if e == nil {
		families.SpendCheckWith(s.familyKey, secret, s.secretParams)
		return nil, false
	}
	if ok, _ := families.CheckSecret(s.familyKey, e.hash, secret); !ok {
		return nil, false
	}
	if v, err := s.db.LookupVersion(ctx); err != nil || v != e.version {
		return nil, false
	}
	st := e.status
	return &st, true
}
