package service

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"parley/internal/access"
)

// Figures derived from many records (what waits for each role, the
// negotiation's summary, the dashboard's totals) are asked for on every
// page (the menu's count) and by every dashboard, and computing them reads
// several tables. They are kept per process, per key, while the store's
// content version stays the same: any commit of this process that changes
// records moves it before the commit returns, so nothing kept here is ever
// older than a change this process made. Changes of another process on
// the same database (the command line) are not seen by that version, so a
// kept figure is also recomputed once it is derivedMaxAge old, unless it
// is derived from lists and their entries alone: then the figures version
// (store.DB.FiguresVersion), which every change to a list moves in the
// database itself and which is read at most every 100 ms, tells whether
// another process changed them.

// derivedMaxAge bounds the age of a kept figure, for the changes of other
// processes.
const derivedMaxAge = 100 * time.Millisecond

// derivedCache holds the kept figures. It is bounded: the keys are scopes
// of actors (roles and party) and list identifiers, and when it grows past
// derivedMaxEntries it starts afresh.
type derivedCache struct {
	mu sync.Mutex
	m  map[string]*derivedEntry
}

const derivedMaxEntries = 4096

type derivedEntry struct {
	version int64 // the store's content version
	// figures is the figures version, for figures derived from lists
	// alone; -1 for the others, which age instead.
	figures int64
	at      time.Time
	done    chan struct{} // closed once val and err are set
	val     any
	err     error
}

// derive returns the figure kept under key, or computes and keeps it.
// Concurrent callers of one key wait for the first one's computation
// rather than repeat it. The content version is read before computing, so
// a change that lands during the computation makes the next caller
// compute again. compute's result is shared: callers must copy what they
// hand on to be changed.
func derive[T any](ctx context.Context, s *Service, key string, compute func() (T, error)) (T, error) {
	return deriveVersioned(ctx, s, key, false, compute)
}

// deriveLists is derive for figures derived from lists and their entries
// alone, which the figures version covers (see derivedMaxAge).
func deriveLists[T any](ctx context.Context, s *Service, key string, compute func() (T, error)) (T, error) {
	return deriveVersioned(ctx, s, key, true, compute)
}

func deriveVersioned[T any](ctx context.Context, s *Service, key string, lists bool, compute func() (T, error)) (T, error) {
	c := &s.derived
	version := s.db.ContentVersion()
	figures := int64(-1)
	if lists {
		v, err := s.db.FiguresVersion(ctx)
		if err != nil {
			var zero T
			return zero, err
		}
		figures = v
	}
	now := time.Now()
	c.mu.Lock()
	if e := c.m[key]; e != nil && e.version == version && e.figures == figures && (lists || now.Sub(e.at) < derivedMaxAge) {
		c.mu.Unlock()
		<-e.done
		if e.err == nil {
			return e.val.(T), nil
		}
		// The first caller failed (perhaps its request ended): compute
		// this caller's own.
		return compute()
	}
	if c.m == nil || len(c.m) >= derivedMaxEntries {
		c.m = map[string]*derivedEntry{}
	}
	e := &derivedEntry{version: version, figures: figures, at: now, done: make(chan struct{})}
	c.m[key] = e
	c.mu.Unlock()
	v, err := compute()
	e.val, e.err = v, err
	close(e.done)
	if err != nil {
		c.mu.Lock()
		if c.m[key] == e {
			delete(c.m, key)
		}
		c.mu.Unlock()
	}
	return v, err
}

// scopeKey names what an actor may see and do: his roles and party. Two
// users of the same roles and party see the same derived figures.
func scopeKey(a access.Actor) string {
	if a.System {
		return "system"
	}
	roles := make([]string, len(a.Roles))
	for i, r := range a.Roles {
		roles[i] = string(r)
	}
	slices.Sort(roles)
	return a.Party + "|" + strings.Join(roles, ",")
}
