// Package lru is a least-recently-used cache bounded by the bytes its
// values take, safe for concurrent use.
//
// It holds values that never go stale by themselves (the pages of a
// frozen list): the cache forgets only to stay under its bound, never
// because a value changed, so a caller must key a value by everything it
// is made of.
package lru

import (
	"container/list"
	"sync"
)

// Cache maps keys to values, dropping the least recently used when the
// sizes of the values held pass Max bytes.
type Cache[K comparable, V any] struct {
	mu    sync.Mutex
	max   int64
	size  int64
	order *list.List // front: most recently used
	items map[K]*list.Element
}

type item[K comparable, V any] struct {
	key  K
	val  V
	size int64
}

// New returns a cache of at most max bytes (by the sizes Add is given).
func New[K comparable, V any](max int64) *Cache[K, V] {
	return &Cache[K, V]{max: max, order: list.New(), items: map[K]*list.Element{}}
}

// Get returns the value of key, if held, and marks it used.
func (c *Cache[K, V]) Get(key K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*item[K, V]).val, true
	}
	var zero V
	return zero, false
}

// Add holds val under key as taking size bytes, dropping the least
// recently used values until the cache is within its bound. A value
// larger than an eighth of the bound is not held: one export-sized page
// would otherwise empty the cache of everything else.
func (c *Cache[K, V]) Add(key K, val V, size int64) {
	if size > c.max/8 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		it := e.Value.(*item[K, V])
		c.size += size - it.size
		it.val, it.size = val, size
		c.order.MoveToFront(e)
	} else {
		c.items[key] = c.order.PushFront(&item[K, V]{key: key, val: val, size: size})
		c.size += size
	}
	for c.size > c.max {
		last := c.order.Back()
		it := last.Value.(*item[K, V])
		c.order.Remove(last)
		delete(c.items, it.key)
		c.size -= it.size
	}
}

// Len returns how many values the cache holds.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// Size returns the bytes the values held take, by the sizes Add was given.
func (c *Cache[K, V]) Size() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size
}
