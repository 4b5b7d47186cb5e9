package lru

import (
	"sync"
	"testing"
)

func TestCache(t *testing.T) {
	type op struct {
		add  string // key to add, or "" to get
		size int64
		get  string
		want bool
	}
	tests := []struct {
		name     string
		max      int64
		ops      []op
		wantLen  int
		wantSize int64
	}{
		{"held", 800, []op{{add: "a", size: 10}, {get: "a", want: true}, {get: "b"}}, 1, 10},
		{"least recently used goes first", 800, []op{
			{add: "a", size: 100}, {add: "b", size: 100}, {get: "a", want: true},
			{add: "c", size: 100}, {add: "d", size: 100}, {add: "e", size: 100},
			{add: "f", size: 100}, {add: "g", size: 100}, {add: "h", size: 100}, {add: "i", size: 100},
			{get: "b"}, {get: "a", want: true}, {get: "h", want: true},
		}, 8, 800},
		{"too large for the bound", 800, []op{{add: "a", size: 101}, {get: "a"}}, 0, 0},
		{"replaced, counted once", 800, []op{{add: "a", size: 10}, {add: "a", size: 30}, {get: "a", want: true}}, 1, 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New[string, int](tt.max)
			for i, o := range tt.ops {
				if o.add != "" {
					c.Add(o.add, i, o.size)
					continue
				}
				if _, ok := c.Get(o.get); ok != o.want {
					t.Errorf("op %d: Get(%q) held %v, want %v", i, o.get, ok, o.want)
				}
			}
			if c.Len() != tt.wantLen || c.Size() != tt.wantSize {
				t.Errorf("len %d size %d, want %d and %d", c.Len(), c.Size(), tt.wantLen, tt.wantSize)
			}
		})
	}
}

func TestCacheConcurrent(t *testing.T) {
	c := New[int, int](1 << 10)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				c.Add((g*1000+i)%300, i, 16)
				c.Get(i % 300)
			}
		}()
	}
	wg.Wait()
	if c.Size() > 1<<10 || c.Size() != int64(c.Len())*16 {
		t.Fatalf("size %d for %d values, bound %d", c.Size(), c.Len(), 1<<10)
	}
}
