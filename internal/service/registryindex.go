package service

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"parley/internal/matching"
	"parley/internal/person"
	"parley/internal/store"
)

// registryIndexCache keeps, per party, the record ids of the latest
// registry version and the matching index built over its records, so that
// a re-run of matching (or any later run against the same registry)
// neither reads a million records again nor rebuilds their index: it reads
// the version number and reuses both.
//
// A registry changes only by a new version (store.InsertRegistryVersion
// replaces its records in the same transaction that adds the version, and
// stores the version's diff with it), so the version number is a sound
// key: the cache is checked in the same read transaction as the version.
// A newer version is applied to the kept index (matching.Index.Update)
// from the diffs of the versions in between, read in that transaction —
// a few hundred changed records cost a merge of the postings, not a
// rebuild of a million records. The index is built anew when there is
// none yet, when the diffs change more than half the registry, or after
// maxIndexUpdates updates. One entry per party is kept — the newest asked
// for — which bounds the memory to one index per registry.
type registryIndexCache struct {
	mu      sync.Mutex
	parties map[string]*registryIndex
	// builds and updates count index builds and updates, for tests.
	builds, updates int
}

// maxIndexUpdates bounds the updates applied to one index: each adds a
// segment that finding a record passes through, and removed records stay
// in memory until a rebuild.
const maxIndexUpdates = 16

// registryIndex is one party's registry at one version. Its index is
// built on first use, once, by whichever run needs it first.
type registryIndex struct {
	party   string
	version int
	// ids names the record behind each number of the index; a removed
	// record's is "".
	ids []string
	// records is the number of records in this version.
	records int
	// persons are the records to build the index from; nil once built.
	persons []person.Person

	once sync.Once
	ix   *matching.Index
	c    *registryIndexCache
}

// get returns the party's registry at its latest version, read in tx, from
// the cache when the version is the one cached, by updating the cached
// index when it is older.
func (c *registryIndexCache) get(ctx context.Context, tx *store.Tx, party string) (*registryIndex, error) {
	v, err := tx.RegistryVersionNumber(ctx, party)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	old := c.parties[party]
	c.mu.Unlock()
	if old != nil && old.version == v {
		return old, nil
	}
	var r *registryIndex
	if old != nil && old.version < v && old.built() && old.ix.Updates() < maxIndexUpdates {
		if r, err = c.update(ctx, tx, old, v); err != nil {
			return nil, err
		}
	}
	if r == nil {
		entries, err := tx.Registry(ctx, party)
		if err != nil {
			return nil, err
		}
		r = &registryIndex{party: party, version: v, ids: make([]string, len(entries)), records: len(entries),
			persons: make([]person.Person, len(entries)), c: c}
		for i := range entries {
			r.ids[i], r.persons[i] = entries[i].ID, entries[i].Person
		}
	}
	return c.keep(r), nil
}

// keep stores r as the party's entry unless a newer version is there, and
// returns the entry to use.
func (c *registryIndexCache) keep(r *registryIndex) *registryIndex {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.parties == nil {
		c.parties = map[string]*registryIndex{}
	}
	// A run that read an older version must not replace a newer one.
	if old := c.parties[r.party]; old == nil || old.version <= r.version {
		if old != nil && old.version == r.version {
			return old
		}
		c.parties[r.party] = r
	}
	return r
}

// update applies the diffs of the versions after old's, up to version v,
// to old's index. It returns nil, and no error, when building anew is the
// better way: the diffs change more than half the registry, or they do not
// fit the kept ids (which a sound store never gives; the rebuild is the
// safe answer to it).
func (c *registryIndexCache) update(ctx context.Context, tx *store.Tx, old *registryIndex, v int) (*registryIndex, error) {
	ix, ids, records := old.ix, old.ids, old.records
	for ver := old.version + 1; ver <= v; ver++ {
		d, err := tx.RegistryDiff(ctx, old.party, ver)
		if err != nil {
			return nil, err
		}
		if n := len(d.Removed) + len(d.Changed) + len(d.Added); n > records/2 {
			return nil, nil
		}
		// The numbers of the removed and changed records, found in one
		// pass over the ids.
		gone := make(map[string]int, len(d.Removed)+len(d.Changed))
		for _, e := range d.Removed {
			gone[e.ID] = -1
		}
		var changedIDs []string
		for _, ch := range d.Changed {
			gone[ch.ID] = -1
			changedIDs = append(changedIDs, ch.ID)
		}
		for i, id := range ids {
			if _, ok := gone[id]; ok && id != "" {
				gone[id] = i
			}
		}
		removed := make([]int, 0, len(gone))
		for _, i := range gone {
			if i < 0 {
				return nil, nil
			}
			removed = append(removed, i)
		}
		slices.Sort(removed)
		// A changed record is taken out and put in again as it is now.
		now, err := tx.RegistryRecords(ctx, old.party, changedIDs)
		if err != nil {
			return nil, err
		}
		added := make([]person.Person, 0, len(d.Added)+len(changedIDs))
		addedIDs := make([]string, 0, cap(added))
		for _, e := range d.Added {
			added, addedIDs = append(added, e.Person), append(addedIDs, e.ID)
		}
		for _, id := range changedIDs {
			rec, ok := now[id]
			if !ok {
				return nil, nil
			}
			added, addedIDs = append(added, rec.Person), append(addedIDs, id)
		}
		if ix, err = ix.Update(removed, added); err != nil {
			return nil, fmt.Errorf("registry of %s, version %d: %w", old.party, ver, err)
		}
		// A copy (runs under way still read the older ids), made once
		// with room for the added: cloning and then appending copied a
		// million ids twice.
		ids = append(append(make([]string, 0, len(ids)+len(addedIDs)), ids...), addedIDs...)
		for _, i := range removed {
			ids[i] = ""
		}
		records += len(d.Added) - len(d.Removed)
	}
	r := &registryIndex{party: old.party, version: v, ids: ids, records: records, ix: ix, c: c}
	r.once.Do(func() {}) // built: by the update
	c.mu.Lock()
	c.updates++
	c.mu.Unlock()
	return r, nil
}

// built reports whether the index has been built.
func (r *registryIndex) built() bool {
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	return r.ix != nil
}

// index returns the matching index of the registry, building it once.
func (r *registryIndex) index() *matching.Index {
	r.once.Do(func() {
		ix := matching.NewIndex(r.persons)
		r.c.mu.Lock()
		r.ix, r.persons = ix, nil
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

// updateCount is how many registry indexes have been updated to a newer
// version.
func (c *registryIndexCache) updateCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.updates
}

// forget drops every kept index, so that the next run builds anew.
func (c *registryIndexCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.parties = nil
}
