// Why not build anew: building prepares and keys every record of the
// registry — tens of seconds of CPU at a million records — where a new
// version of a registry usually changes a few hundred. Update prepares
// and keys only the added records. Their postings go to a small sorted
// delta beside the registry's postings, which the updated index shares
// with ix rather than copying 160 MB; removed records are marked dead and
// skipped by look-ups. When the delta outgrows an eighth of the shared
// postings, or the record numbers need another bit, the two are merged
// into one array in a pass. Agreement weights follow the frequencies of
// the updated registry, so Update gives the same scores as NewIndex over
// the same records; only the numbering differs (removed records leave
// gaps), which can reorder candidates that tie exactly.
package matching

import (
	"fmt"
	"maps"
	"slices"
	"sync"

	"parley/internal/person"
)

// segment is a run of records numbered from lo: the registry an index was
// built from, or the records one Update added.
type segment struct {
	lo   int
	reg  []person.Person
	recs []prepared
}

// seg returns the segment that holds record id. There are few segments (an
// index is rebuilt once updates have made many), newest last, and most
// records are in the first.
func (ix *Index) seg(id int) *segment {
	for k := len(ix.segs) - 1; k > 0; k-- {
		if id >= ix.segs[k].lo {
			return &ix.segs[k]
		}
	}
	return &ix.segs[0]
}

func (ix *Index) rec(id int) *prepared {
	s := ix.seg(id)
	return &s.recs[id-s.lo]
}

func (ix *Index) person(id int) *person.Person {
	s := ix.seg(id)
	return &s.reg[id-s.lo]
}

// Removed reports whether record id was removed by an Update.
func (ix *Index) Removed(id int) bool {
	return id/64 < len(ix.dead) && ix.dead[id/64]&(1<<(id%64)) != 0
}

// Updates is the number of Updates that made this index from the one
// NewIndex built. Each adds a segment that a look-up of a record passes;
// a caller rebuilds with NewIndex when it grows large.
func (ix *Index) Updates() int { return len(ix.segs) - 1 }

// Update returns a new index of the registry with the records numbered
// removed taken out and the records added appended, numbered from Len().
// A changed record is one removed and one added. ix itself is not
// changed and stays usable, so that runs already under way against the
// older registry version finish on it; added must not be changed while
// either index is in use.
//
// Why not build anew: building prepares and keys every record of the
// registry — tens of seconds of CPU at a million records — where a new
// version of a registry usually changes a few hundred. Update prepares
// only the added records, and filters and merges the sorted postings in
// one pass: the cost is linear in the postings, with no sorting of the
// old ones and no new keys for them. Agreement weights follow the
// frequencies of the updated registry, so Update gives the same scores as
// NewIndex over the same records; only the numbering differs (removed
// records leave gaps), which can reorder candidates that tie exactly.
func (ix *Index) Update(removed []int, added []person.Person) (*Index, error) {
	dead := slices.Clone(ix.dead)
	need := (ix.total + len(added) + 63) / 64
	dead = append(dead, make([]uint64, need-len(dead))...)
	for _, id := range removed {
		if id < 0 || id >= ix.total {
			return nil, fmt.Errorf("update of the matching index: record %d is not in an index of %d", id, ix.total)
		}
		if dead[id/64]&(1<<(id%64)) != 0 {
			return nil, fmt.Errorf("update of the matching index: record %d is removed twice", id)
		}
		dead[id/64] |= 1 << (id % 64)
	}
	nx := &Index{
		segs:  append(ix.segs[:len(ix.segs):len(ix.segs)], segment{lo: ix.total, reg: added, recs: make([]prepared, len(added))}),
		total: ix.total + len(added), live: ix.live - len(removed) + len(added), dead: dead,
		surCount: maps.Clone(ix.surCount), givenCount: maps.Clone(ix.givenCount), patrCount: maps.Clone(ix.patrCount),
		dateCount: maps.Clone(ix.dateCount),
	}
	nx.n = float64(max(nx.live, 1))
	nx.idBits = max(ix.idBits, idBitsFor(nx.total))
	count := func(r *prepared, d int32) {
		for _, kv := range []struct {
			m map[string]int32
			k string
		}{{nx.surCount, r.surC}, {nx.givenCount, r.givenC}, {nx.patrCount, r.patrC}} {
			if kv.k == "" {
				continue
			}
			if kv.m[kv.k] += d; kv.m[kv.k] <= 0 {
				delete(kv.m, kv.k)
			}
		}
		if r.dob != 0 {
			if nx.dateCount[r.dob] += d; nx.dateCount[r.dob] <= 0 {
				delete(nx.dateCount, r.dob)
			}
		}
	}
	for _, id := range removed {
		count(ix.rec(id), -1)
	}

	// Prepare and key the added records on all cores.
	newSeg := &nx.segs[len(nx.segs)-1]
	nw := min(workers(0), max(len(added)/256, 1))
	keyParts := make([][]uint64, nw)
	mask := nx.idMask()
	var wg sync.WaitGroup
	chunk := (len(added) + nw - 1) / nw
	for w := 0; w < nw; w++ {
		lo, hi := min(w*chunk, len(added)), min((w+1)*chunk, len(added))
		wg.Add(1)
		go func() {
			defer wg.Done()
			pp := newPreparer()
			var keys, out []uint64
			for i := lo; i < hi; i++ {
				newSeg.recs[i] = pp.prepare(&added[i])
				keys = recordKeys(&newSeg.recs[i], keys[:0])
				for _, k := range keys {
					out = append(out, k&^mask|uint64(newSeg.lo+i))
				}
			}
			keyParts[w] = out
		}()
	}
	wg.Wait()
	var fresh []uint64
	for _, p := range keyParts {
		fresh = append(fresh, p...)
	}
	slices.Sort(fresh)
	for i := range newSeg.recs {
		count(&newSeg.recs[i], 1)
	}

	switch {
	case nx.idBits == ix.idBits && len(ix.delta)+len(fresh) <= len(ix.postings)/8:
		// The shared postings stay as they are; the delta loses the
		// removed records' postings and takes the fresh ones.
		nx.postings = ix.postings
		nx.delta = mergeLive(ix.delta, fresh, dead, mask, mask)
	default:
		// The record numbers need more bits, or the delta has grown: one
		// array again, without the dead.
		nx.postings = mergeLive(ix.postings, mergeLive(ix.delta, fresh, dead, mask, ix.idMask()), dead, mask, ix.idMask())
	}
	return nx, nil
}

// mergeLive merges sorted postings old (under oldMask) without those of
// dead records with the sorted postings fresh (under mask, at least as
// wide, none dead). The old postings, sorted by key and record under the
// old mask, stay sorted by key under a wider one.
func mergeLive(old, fresh []uint64, dead []uint64, mask, oldMask uint64) []uint64 {
	out := make([]uint64, 0, len(old)+len(fresh))
	j := 0
	for _, p := range old {
		id := p & oldMask
		if dead[id/64]&(1<<(id%64)) != 0 {
			continue
		}
		p = p&^mask | id
		for j < len(fresh) && fresh[j]&^mask < p&^mask {
			out = append(out, fresh[j])
			j++
		}
		out = append(out, p)
	}
	return append(out, fresh[j:]...)
}
