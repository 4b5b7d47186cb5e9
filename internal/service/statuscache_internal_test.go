package service

import (
	"fmt"
	"testing"
	"time"

	"parley/internal/store"
)

// TestStatusCacheBounded: however many inquiries are looked up, the cache
// holds at most statusCacheRows, keeps the ones in use, and stops
// answering rather than forget a block when too many keys are blocked.
func TestStatusCacheBounded(t *testing.T) {
	var c statusCache
	hot := "PX-HOT"
	c.put(hot, &statusEntry{version: 1})
	for i := range 3 * statusCacheRows {
		c.put(fmt.Sprintf("PX-%07d", i), &statusEntry{version: 1})
		if i%1000 == 0 && c.get(hot) == nil {
			t.Fatalf("the inquiry in use was dropped after %d others", i)
		}
		if n := len(c.cur) + len(c.old); n > statusCacheRows {
			t.Fatalf("%d rows cached, bound %d", n, statusCacheRows)
		}
	}
	if c.get("PX-0000000") != nil {
		t.Error("the least recently used row is still cached")
	}

	now := time.Now()
	lim := func(key string) []ThrottleLimit { return []ThrottleLimit{{Scope: "f", Key: key, N: 1}} }
	for i := range blockedKeys {
		c.block(store.ThrottleKey{Scope: "f", Key: fmt.Sprint(i)}, store.ThrottleState{Hits: 1, Expires: now.Add(time.Hour)}, 1, now)
	}
	if c.open(now, lim("0")) || !c.open(now, lim("x")) {
		t.Fatal("blocked keys are not told from others")
	}
	c.block(store.ThrottleKey{Scope: "f", Key: "one too many"}, store.ThrottleState{Hits: 1, Expires: now.Add(time.Minute)}, 1, now)
	if c.open(now, lim("x")) {
		t.Error("a block that did not fit left the cache answering")
	}
	if !c.open(now.Add(2*time.Minute), lim("x")) {
		t.Error("the cache stays closed after the overflowing block lapsed")
	}
	if len(c.blocked) > blockedKeys {
		t.Errorf("%d blocked keys kept, bound %d", len(c.blocked), blockedKeys)
	}
}
