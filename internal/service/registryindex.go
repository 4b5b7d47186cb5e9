package service

import (
	"context"
	"sync"

	"parley/internal/lists"
	"parley/internal/matching"
	"parley/internal/person"
	"parley/internal/store"
)

// registryIndexCache keeps, per party, the records of the latest registry
// version and the matching index built over them, so that a re-run of
// matching (or any later run against the same registry) neither reads a
// million records again nor rebuilds their index: it reads the version
// number and reuses both.
//
// A registry changes only by a new version (store.InsertRegistryVersion
// replaces its records in the same transaction that adds the version), so
// the version number is a sound key: the cache is checked in the same
// read transaction as the version, and a new version misses and rebuilds.
// One entry per party is kept — the newest asked for — which bounds the
// memory to one index per registry.
type registryIndexCache struct {
	mu      sync.Mutex
	parties map[string]*registryIndex
	// builds counts index builds, for tests.
	builds int
}

// registryIndex is one party's registry at one version. Its index is
// built on first use, once, by whichever run needs it first.
type registryIndex struct {
	party   string
	version int
	entries []lists.Entry

	once sync.Once
	ix   *matching.Index
	c    *registryIndexCache
}

// get returns the party's registry at its latest version, read in tx, from
// the cache when the version is the one cached.
func (c *registryIndexCache) get(ctx context.Context, tx *store.Tx, party string) (*registryIndex, error) {
	v, err := tx.RegistryVersionNumber(ctx, party)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	r := c.parties[party]
	c.mu.Unlock()
	if r != nil && r.version == v {
		return r, nil
	}
	entries, err := tx.Registry(ctx, party)
	if err != nil {
		return nil, err
	}
	r = &registryIndex{party: party, version: v, entries: entries, c: c}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.parties == nil {
		c.parties = map[string]*registryIndex{}
	}
	// A run that read an older version must not replace a newer one.
	if old := c.parties[party]; old == nil || old.version <= v {
		if old != nil && old.version == v {
			return old, nil
		}
		c.parties[party] = r
	}
	return r, nil
}

// index returns the matching index of the registry, building it once.
func (r *registryIndex) index() *matching.Index {
	r.once.Do(func() {
		persons := make([]person.Person, len(r.entries))
		for i, e := range r.entries {
			persons[i] = e.Person
		}
		r.ix = matching.NewIndex(persons)
		r.c.mu.Lock()
		r.c.builds++
		r.c.mu.Unlock()
	})
	return r.ix
}

// buildCount is how many registry indexes have been built.
func (c *registryIndexCache) buildCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.builds
}
