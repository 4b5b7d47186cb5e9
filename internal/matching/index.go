package matching

import (
	"context"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"parley/internal/names"
	"parley/internal/person"
)

// Index holds a registry prepared for matching: the records' comparison
// data, the frequencies of names and dates, and the blocking keys. It is
// safe for concurrent use; the registry slice given to NewIndex must not be
// changed while the index is in use.
type Index struct {
	// segs hold the records: the registry given to NewIndex, then the
	// records each Update added, numbered on from the last. A record keeps
	// its number for the life of the index and of the indexes updated
	// from it.
	segs []segment
	// total counts the numbers given out, live the records not removed.
	total, live int
	// dead marks removed records, one bit each (see delta).
	dead []uint64
	// postings are the blocking keys with their records, sorted: the high
	// bits of each word are the key's hash, the low idBits bits the
	// record. Eight bytes a posting, and a million-record registry has
	// some twenty million of them.
	postings []uint64
	idBits   uint
	// delta holds the postings of the records that Updates added, in the
	// same form, and dead marks removed records: postings is shared with
	// the index updated from, never copied or changed, and a look-up
	// reads both and skips the dead.
	delta []uint64

	surCount, givenCount, patrCount map[string]int32
	dateCount                       map[uint32]int32
	n                               float64

	statePool sync.Pool
}

// idBitsFor is the number of low bits that hold a record number. The key
// keeps the rest (40 bits or more up to sixteen million records): two keys
// that share them only bring a few more candidates to compare.
func idBitsFor(n int) uint { return uint(max(bits.Len(uint(n)), 1)) }

// Blocking key kinds, mixed into the hash so that keys of different kinds
// never collide by construction.
const (
	kSurGiven      = iota + 1 // surname class, given-name class
	kSurInitial               // surname class, an initial of the given name
	kSurOnly                  // surname class of a record without a given name
	kService                  // service number
	kPrefixDate               // first three skeleton letters of the surname, date of birth
	kDateGiven                // date of birth, given-name class
	kPhonetic                 // Soundex-like surname code, an initial
	kGivenYear                // given-name class, year of birth
	kPhoneticGiven            // Soundex-like surname code, given-name class
	kSurDelGiven              // surname skeleton or it less one letter, given-name class
	kInitialDate              // first letter of the surname skeleton, date of birth
)

// keyHash is FNV-1a over the parts, finished with a 64-bit mix so that the
// top bits spread well for partitioning.
type keyHash uint64

func newKey(kind byte) keyHash {
	return (keyHash(14695981039346656037) ^ keyHash(kind)) * 1099511628211
}

func (h keyHash) str(s string) keyHash {
	for i := 0; i < len(s); i++ {
		h = (h ^ keyHash(s[i])) * 1099511628211
	}
	return (h ^ 0xff) * 1099511628211 // separator, so ("ab","c") ≠ ("a","bc")
}

func (h keyHash) bytes(s []byte) keyHash {
	for _, c := range s {
		h = (h ^ keyHash(c)) * 1099511628211
	}
	return (h ^ 0xff) * 1099511628211
}

func (h keyHash) num(v uint32) keyHash {
	for i := 0; i < 4; i++ {
		h = (h ^ keyHash(v&0xff)) * 1099511628211
		v >>= 8
	}
	return h
}

func (h keyHash) sum() uint64 {
	x := uint64(h)
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// dateKey packs a complete date with day and month in sorted order, so that
// a day/month swap still finds its candidates; 0 for a partial date.
func dateKey(dob uint32) uint32 {
	y, m, d := unpackDate(dob)
	if y == 0 || m == 0 || d == 0 {
		return 0
	}
	if d < m {
		m, d = d, m
	}
	return uint32(y)<<10 | uint32(m)<<5 | uint32(d)
}

func prefix3(s string) string {
	if len(s) > 3 {
		return s[:3]
	}
	return s
}

// appendVariantKeys appends the keys of the surname skeleton and, for a
// skeleton of four letters or more, of the skeletons it gives with one
// letter deleted (doubled letters that this makes collapsed, as skeletons
// do), each with the given-name class. A list row and a registry record
// share such a key when their surnames are one deletion, insertion or
// substitution apart: the blocking key that finds a surname typo when the
// date of birth cannot (it is missing or wrong too). The variants are
// hashed from a stack buffer, not made into strings: a million records
// have eight million of them.
func appendVariantKeys(out []uint64, sur, givenC string) []uint64 {
	if len(sur) < 3 || len(sur) > 24 {
		return out
	}
	first := len(out)
	out = append(out, newKey(kSurDelGiven).str(sur).str(givenC).sum())
	if len(sur) < 4 {
		return out
	}
	var buf [24]byte
	for i := 0; i < len(sur); i++ {
		if i > 0 && sur[i] == sur[i-1] {
			continue
		}
		v := collapseBytes(append(append(buf[:0], sur[:i]...), sur[i+1:]...))
		if len(v) < 3 {
			continue
		}
		k := newKey(kSurDelGiven).bytes(v).str(givenC).sum()
		if !slices.Contains(out[first:], k) {
			out = append(out, k)
		}
	}
	return out
}

// recordKeys appends the blocking keys of a registry record.
func recordKeys(r *prepared, out []uint64) []uint64 {
	if r.sur != "" && r.givenC != "" {
		out = appendVariantKeys(out, r.sur, r.givenC)
	}
	if r.sur != "" {
		if r.givenC != "" {
			out = append(out, newKey(kSurGiven).str(r.surC).str(r.givenC).sum())
		}
		if r.givenInit != "" {
			for i := 0; i < len(r.givenInit); i++ {
				out = append(out, newKey(kSurInitial).str(r.surC).num(uint32(r.givenInit[i])).sum())
			}
		} else {
			out = append(out, newKey(kSurOnly).str(r.surC).sum())
		}
		if ph := names.PhoneticKey(r.sur); ph != "" {
			if r.givenInit == "" {
				out = append(out, newKey(kPhonetic).str(ph).num(0).sum())
			}
			for i := 0; i < len(r.givenInit); i++ {
				out = append(out, newKey(kPhonetic).str(ph).num(uint32(r.givenInit[i])).sum())
			}
			if r.givenC != "" {
				out = append(out, newKey(kPhoneticGiven).str(ph).str(r.givenC).sum())
			}
		}
	}
	if r.svc != "" {
		out = append(out, newKey(kService).str(r.svc).sum())
	}
	if dk := dateKey(r.dob); dk != 0 {
		if r.sur != "" {
			out = append(out, newKey(kPrefixDate).str(prefix3(r.sur)).num(dk).sum())
			out = append(out, newKey(kInitialDate).str(r.sur[:1]).num(dk).sum())
		}
		if r.givenC != "" {
			out = append(out, newKey(kDateGiven).num(dk).str(r.givenC).sum())
		}
	}
	if y, _, _ := unpackDate(r.dob); y != 0 && r.givenC != "" {
		out = append(out, newKey(kGivenYear).str(r.givenC).num(uint32(y)).sum())
	}
	return out
}

// queryKeys appends the keys under which a list record (in one name order)
// looks for candidates.
func queryKeys(q *prepared, out []uint64) []uint64 {
	if q.sur != "" && q.givenC != "" {
		out = appendVariantKeys(out, q.sur, q.givenC)
	}
	if q.sur != "" {
		if q.givenC != "" {
			out = append(out, newKey(kSurGiven).str(q.surC).str(q.givenC).sum())
		}
		// Surname with an initial: for an initial on the list, or a given
		// name that the table does not know (perhaps a typo).
		if q.givenIsInit || (q.given != "" && names.ClassKeys(q.givenC) == nil) {
			for i := 0; i < len(q.givenInit); i++ {
				out = append(out, newKey(kSurInitial).str(q.surC).num(uint32(q.givenInit[i])).sum())
			}
		}
		out = append(out, newKey(kSurOnly).str(q.surC).sum())
		// A surname that sounds alike: with the given name's class when it
		// is known (selective), else with its initials.
		if ph := names.PhoneticKey(q.sur); ph != "" {
			switch {
			case q.givenInit == "":
				out = append(out, newKey(kPhonetic).str(ph).num(0).sum())
			case q.givenIsInit || names.ClassKeys(q.givenC) == nil:
				for i := 0; i < len(q.givenInit); i++ {
					out = append(out, newKey(kPhonetic).str(ph).num(uint32(q.givenInit[i])).sum())
				}
			default:
				out = append(out, newKey(kPhoneticGiven).str(ph).str(q.givenC).sum())
			}
		}
	}
	if q.svc != "" {
		out = append(out, newKey(kService).str(q.svc).sum())
	}
	if dk := dateKey(q.dob); dk != 0 {
		if q.sur != "" {
			out = append(out, newKey(kPrefixDate).str(prefix3(q.sur)).num(dk).sum())
			// A surname with a slip after its first letter, when the given
			// name is only an initial and so no other key finds it.
			out = append(out, newKey(kInitialDate).str(q.sur[:1]).num(dk).sum())
		}
		if q.givenC != "" {
			out = append(out, newKey(kDateGiven).num(dk).str(q.givenC).sum())
		}
	} else if y, _, _ := unpackDate(q.dob); y != 0 && q.givenC != "" {
		// Only a year: the date keys cannot help, so look wider.
		out = append(out, newKey(kGivenYear).str(q.givenC).num(uint32(y)).sum())
	}
	return out
}

func workers(n int) int {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	return max(n, 1)
}

// NewIndex prepares a registry for matching, using all CPUs.
func NewIndex(registry []person.Person) *Index { return newIndex(registry, 0) }

func newIndex(registry []person.Person, nworkers int) *Index {
	recs := make([]prepared, len(registry))
	ix := &Index{segs: []segment{{reg: registry, recs: recs}}, total: len(registry), live: len(registry),
		n: float64(max(len(registry), 1)), idBits: idBitsFor(len(registry))}
	idMask := uint64(1)<<ix.idBits - 1
	nw := workers(nworkers)
	// Two passes, so that the postings are held once: the first prepares
	// the records and counts their keys per bucket (the top byte of the
	// key), the second computes the keys again and writes each straight
	// into its place in the one array, which is then sorted bucket by
	// bucket. Computing a key costs less than keeping it twice.
	type part struct {
		lo, hi                          int
		buckets                         [256]int // keys per bucket; then where the part writes next
		surCount, givenCount, patrCount map[string]int32
		dateCount                       map[uint32]int32
	}
	parts := make([]part, nw)
	chunk := (len(registry) + nw - 1) / nw
	var wg sync.WaitGroup
	for w := 0; w < nw; w++ {
		p := &parts[w]
		p.lo, p.hi = min(w*chunk, len(registry)), min((w+1)*chunk, len(registry))
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.surCount, p.givenCount, p.patrCount = map[string]int32{}, map[string]int32{}, map[string]int32{}
			p.dateCount = map[uint32]int32{}
			var keys []uint64
			pp := newPreparer()
			for i := p.lo; i < p.hi; i++ {
				recs[i] = pp.prepare(&registry[i])
				r := &recs[i]
				if r.surC != "" {
					p.surCount[r.surC]++
				}
				if r.givenC != "" {
					p.givenCount[r.givenC]++
				}
				if r.patrC != "" {
					p.patrCount[r.patrC]++
				}
				if r.dob != 0 {
					p.dateCount[r.dob]++
				}
				keys = recordKeys(r, keys[:0])
				for _, k := range keys {
					p.buckets[k>>56]++
				}
			}
		}()
	}
	wg.Wait()

	ix.surCount, ix.givenCount, ix.patrCount, ix.dateCount = map[string]int32{}, map[string]int32{}, map[string]int32{}, map[uint32]int32{}
	for _, p := range parts {
		mergeCounts(ix.surCount, p.surCount)
		mergeCounts(ix.givenCount, p.givenCount)
		mergeCounts(ix.patrCount, p.patrCount)
		for k, v := range p.dateCount {
			ix.dateCount[k] += v
		}
	}
	var starts [257]int
	total := 0
	for b := 0; b < 256; b++ {
		starts[b] = total
		for w := range parts {
			n := parts[w].buckets[b]
			parts[w].buckets[b] = total
			total += n
		}
	}
	starts[256] = total
	ix.postings = make([]uint64, total)
	for w := range parts {
		p := &parts[w]
		wg.Add(1)
		go func() {
			defer wg.Done()
			var keys []uint64
			for i := p.lo; i < p.hi; i++ {
				keys = recordKeys(&recs[i], keys[:0])
				for _, k := range keys {
					b := k >> 56
					ix.postings[p.buckets[b]] = k&^idMask | uint64(i)
					p.buckets[b]++
				}
			}
		}()
	}
	wg.Wait()
	sortBuckets(ix.postings, &starts, nw)
	return ix
}

// sortBuckets sorts each of the 256 buckets of postings (by the top byte of
// the key; the keys are well mixed) in parallel.
func sortBuckets(out []uint64, starts *[257]int, nw int) {
	var wg sync.WaitGroup
	var bucket atomic.Int32
	bucket.Store(-1)
	for w := 0; w < nw; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				b := int(bucket.Add(1))
				if b >= 256 {
					return
				}
				slices.Sort(out[starts[b]:starts[b+1]])
			}
		}()
	}
	wg.Wait()
}

func mergeCounts(dst, src map[string]int32) {
	for k, v := range src {
		dst[k] += v
	}
}

// lookup returns the postings of a key; the record of a posting is
// p&ix.idMask().
func (ix *Index) lookup(key uint64) []uint64 { return ix.lookupIn(ix.postings, key) }

func (ix *Index) lookupIn(p []uint64, key uint64) []uint64 {
	lo := key &^ ix.idMask()
	hi := lo | ix.idMask()
	i := sort.Search(len(p), func(i int) bool { return p[i] >= lo })
	j := i
	for j < len(p) && p[j] <= hi {
		j++
	}
	return p[i:j]
}

func (ix *Index) idMask() uint64 { return uint64(1)<<ix.idBits - 1 }

// Len returns the number of registry records, removed ones included: the
// numbers a result's RegistryIndex may take are 0 to Len()-1.
func (ix *Index) Len() int { return ix.total }

func (ix *Index) share(m map[string]int32, k string) float64 { return float64(m[k]) / ix.n }

func (ix *Index) surnameShare(c string) float64    { return ix.share(ix.surCount, c) }
func (ix *Index) givenShare(c string) float64      { return ix.share(ix.givenCount, c) }
func (ix *Index) patronymicShare(c string) float64 { return ix.share(ix.patrCount, c) }
func (ix *Index) dateShare(d uint32) float64       { return float64(ix.dateCount[d]) / ix.n }

// state is the scratch space of one matching goroutine.
type state struct {
	pp    *preparer
	seen  []uint32 // generation stamp per registry record
	gen   uint32
	cands []int32
	keys  []uint64
	top   []scored
}

type scored struct {
	id  int32
	cmp comparison
}

// putState returns scratch space to the pool; the interned strings of
// queries are dropped now and then, so that an index serving inquiries for
// months does not keep every name it was ever asked about.
func (ix *Index) putState(st *state) {
	if len(st.pp.strs) > 1<<16 {
		st.pp = newPreparer()
	}
	ix.statePool.Put(st)
}

func (ix *Index) getState() *state {
	if s, ok := ix.statePool.Get().(*state); ok {
		return s
	}
	return &state{seen: make([]uint32, ix.total), pp: newPreparer()}
}

// Best returns the best registry row for one person (an inquiry), with the
// same scoring as Match.
func (ix *Index) Best(p person.Person, cfg Config) Result {
	st := ix.getState()
	defer ix.putState(st)
	q := st.pp.prepare(&p)
	r := ix.best(&q, &p, &cfg, st)
	ix.fill(&r, &p)
	return r
}

// MatchAll matches every list row against the index; see Match.
func (ix *Index) MatchAll(ctx context.Context, list []person.Person, cfg Config, progress func(done, total int)) ([]Result, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	results := make([]Result, len(list))
	var next, done atomic.Int64
	var mu sync.Mutex
	report := func(force bool) {
		if progress == nil {
			return
		}
		d := done.Load()
		if !force && d%256 != 0 {
			return
		}
		mu.Lock()
		progress(int(d), len(list))
		mu.Unlock()
	}
	var wg sync.WaitGroup
	nw := workers(cfg.Workers)
	errs := make([]error, nw)
	for w := 0; w < nw; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			st := ix.getState()
			defer ix.putState(st)
			for {
				i := int(next.Add(1) - 1)
				if i >= len(list) {
					return
				}
				if i%64 == 0 {
					if err := ctx.Err(); err != nil {
						errs[w] = fmt.Errorf("matching interrupted after %d of %d rows: %w", done.Load(), len(list), err)
						return
					}
				}
				q := st.pp.prepare(&list[i])
				r := ix.best(&q, &list[i], &cfg, st)
				r.ListIndex = i
				ix.fill(&r, &list[i])
				results[i] = r
				done.Add(1)
				report(false)
			}
		}(w)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	report(true)
	flagShared(results)
	return results, nil
}

// flagShared records, for results that point at the same registry row,
// which other list rows do so.
func flagShared(results []Result) {
	byReg := map[int][]int{}
	for i, r := range results {
		if r.RegistryIndex >= 0 {
			byReg[r.RegistryIndex] = append(byReg[r.RegistryIndex], i)
		}
	}
	for _, rows := range byReg {
		if len(rows) < 2 {
			continue
		}
		for _, i := range rows {
			for _, j := range rows {
				if j != i {
					results[i].AlsoBestFor = append(results[i].AlsoBestFor, results[j].ListIndex)
				}
			}
		}
	}
}

// best finds and scores the candidates of one prepared list record.
//
// lp is the list row as written (nil when unknown), for the one check that
// needs the letters rather than the skeleton (surnameSlip).
func (ix *Index) best(q *prepared, lp *person.Person, cfg *Config, st *state) Result {
	res := Result{RegistryIndex: -1, Decision: DecisionNone}
	st.gen++
	if st.gen == 0 { // wrapped: clear the stamps
		clear(st.seen)
		st.gen = 1
	}
	st.cands = st.cands[:0]
	qs, hasSwap := q.swapped()
	st.keys = queryKeys(q, st.keys[:0])
	if hasSwap {
		st.keys = queryKeys(&qs, st.keys)
	}
	maxBlock := cfg.MaxBlock
	if maxBlock <= 0 {
		maxBlock = DefaultConfig().MaxBlock
	}
	for _, k := range st.keys {
		ps := ix.lookup(k)
		var ds []uint64
		if len(ix.delta) > 0 {
			ds = ix.lookupIn(ix.delta, k)
		}
		if len(ps)+len(ds) > maxBlock {
			continue
		}
		mask := ix.idMask()
		for _, p := range ps {
			id := int32(p & mask)
			if st.seen[id] != st.gen && (ix.dead == nil || !ix.Removed(int(id))) {
				st.seen[id] = st.gen
				st.cands = append(st.cands, id)
			}
		}
		for _, p := range ds {
			id := int32(p & mask)
			if st.seen[id] != st.gen {
				st.seen[id] = st.gen
				st.cands = append(st.cands, id)
			}
		}
	}
	if len(st.cands) == 0 {
		return res
	}
	w := &cfg.Weights
	logPrior := math.Log2(cfg.PriorPresent / ix.n)
	logNone := math.Log2(1 - cfg.PriorPresent)
	st.top = st.top[:0]
	// Sum of 2^(W+logPrior) over the candidates, kept relative to the best
	// so far to stay within floating-point range.
	var sum float64
	ref := math.Inf(-1)
	for _, id := range st.cands {
		r := ix.rec(int(id))
		c := compare(q, r, w, ix)
		if hasSwap {
			if c2 := compare(&qs, r, w, ix); c2.total+w.NameOrderSwapped > c.total {
				c2.total += w.NameOrderSwapped
				c2.swapped = true
				c = c2
			}
		}
		if lp != nil && c.lv[fBirthDate] != lvDisagree {
			near := func(l level) bool { return l == lvAgree || l == lvTypo }
			switch {
			case c.lv[fSurname] == lvDisagree && near(c.lv[fGiven]) && nameSlip(lp, ix.person(int(id)), fSurname, c.swapped):
				c.total += w.SurnamePartial - c.w[fSurname]
				c.lv[fSurname], c.w[fSurname] = lvTypo, w.SurnamePartial
			case c.lv[fGiven] == lvDisagree && near(c.lv[fSurname]) && nameSlip(lp, ix.person(int(id)), fGiven, c.swapped):
				c.total += w.GivenPartial - c.w[fGiven]
				c.lv[fGiven], c.w[fGiven] = lvTypo, w.GivenPartial
			}
		}
		l := c.total + logPrior
		if l > ref {
			sum = sum*math.Exp2(ref-l) + 1
			ref = l
		} else {
			sum += math.Exp2(l - ref)
		}
		st.top = insertTop(st.top, scored{id: id, cmp: c}, 3)
	}
	// score = 2^(l-ref) / (2^(logNone-ref) + sum)
	denom := math.Exp2(logNone-ref) + sum
	plausible := Rule("")
	for _, t := range st.top {
		rule := t.cmp.rule()
		if plausible == "" {
			plausible = rule
		}
		res.Candidates = append(res.Candidates, Candidate{RegistryIndex: int(t.id), Score: math.Exp2(t.cmp.total+logPrior-ref) / denom,
			Reasons: t.cmp.reasons(rule), Rule: rule})
	}
	b := st.top[0]
	// A person entered twice in the registry (sameEntry) is one candidate,
	// not two: the probability that the row is the best candidate's person
	// is the sum over his records, so that his second record does not push
	// a clear match down to review.
	res.Score = res.Candidates[0].Score
	for i := 1; i < len(st.top); i++ {
		if sameEntry(ix.rec(int(b.id)), ix.rec(int(st.top[i].id)), w, ix) {
			c := &res.Candidates[i]
			res.Score += c.Score
			c.SameAsBest = true
			c.Reasons = append(c.Reasons, "same_entry")
			res.SameEntries = append(res.SameEntries, c.RegistryIndex)
		}
	}
	res.Score = min(res.Score, 1)
	res.NameOrderSwapped = b.cmp.swapped
	res.Fields = make([]FieldComparison, numFields)
	for i := range res.Fields {
		res.Fields[i] = FieldComparison{Field: fieldNames[i], Outcome: b.cmp.lv[i].outcome(), Weight: b.cmp.w[i], Detail: b.cmp.lv[i].detail()}
	}
	switch {
	case res.Score >= cfg.MatchThreshold:
		res.Decision = DecisionMatch
	case res.Score >= cfg.ReviewThreshold:
		res.Decision = DecisionReview
	case plausible != "":
		res.Decision, res.Rule = DecisionReview, plausible
	case namesakeMass(res.Candidates) >= cfg.ReviewThreshold:
		// Namesakes in the registry (same name and date of birth) share the
		// probability between them, so that none alone reaches review:
		// together they do, and a person must choose.
		res.Decision = DecisionReview
	}
	if res.Decision != DecisionNone {
		res.RegistryIndex = int(b.id)
	}
	return res
}

// namesakeMass is the probability that the person is one of the
// candidates scored (nearly) as well as the best: registry namesakes.
func namesakeMass(cs []Candidate) float64 {
	if len(cs) < 2 {
		return 0
	}
	sum := 0.0
	for _, c := range cs {
		if c.Score >= 0.9*cs[0].Score {
			sum += c.Score
		}
	}
	return sum
}

// insertTop keeps the k best candidates, best first; ties keep the lower
// registry index first so that results do not depend on scheduling.
func insertTop(top []scored, s scored, k int) []scored {
	better := func(a, b scored) bool {
		if a.cmp.total != b.cmp.total {
			return a.cmp.total > b.cmp.total
		}
		return a.id < b.id
	}
	if len(top) == k && !better(s, top[k-1]) {
		return top
	}
	if len(top) < k {
		top = append(top, s)
	} else {
		top[k-1] = s
	}
	for i := len(top) - 1; i > 0 && better(top[i], top[i-1]); i-- {
		top[i], top[i-1] = top[i-1], top[i]
	}
	return top
}

// fill adds the spellings to the details of agreeing names, so that a
// reader sees "Сергей≈Сергій" rather than a bare "agree".
func (ix *Index) fill(r *Result, p *person.Person) {
	if len(r.Fields) == 0 || len(r.Candidates) == 0 {
		return
	}
	reg := ix.person(r.Candidates[0].RegistryIndex)
	ls, lg, lp := nameParts(p)
	rs, rg, rp := nameParts(reg)
	if r.NameOrderSwapped {
		ls, lg = lg, ls
	}
	for i := range r.Fields {
		f := &r.Fields[i]
		var a, b string
		switch f.Field {
		case "surname":
			a, b = ls, rs
		case "given":
			a, b = lg, rg
		case "patronymic":
			a, b = lp, rp
		default:
			continue
		}
		if a == b || (f.Outcome != OutcomeAgree && f.Outcome != OutcomePartial) {
			continue
		}
		if f.Outcome == OutcomeAgree {
			f.Detail = a + "≈" + b
		} else {
			f.Detail = f.Detail + ": " + a + "~" + b
		}
	}
}

// Compare compares a person with one registry row (an index into the
// registry given to NewIndex), field by field, in the better of the two
// name orders, with the weights of cfg; it explains a pair that blocking did
// not propose or that a reviewer asks about.
func (ix *Index) Compare(p person.Person, registryIndex int, cfg Config) []FieldComparison {
	q := newPreparer().prepare(&p)
	r := ix.rec(registryIndex)
	c := compare(&q, r, &cfg.Weights, ix)
	if qs, ok := q.swapped(); ok {
		if c2 := compare(&qs, r, &cfg.Weights, ix); c2.total+cfg.Weights.NameOrderSwapped > c.total {
			c = c2
		}
	}
	out := make([]FieldComparison, numFields)
	for i := range out {
		out[i] = FieldComparison{Field: fieldNames[i], Outcome: c.lv[i].outcome(), Weight: c.w[i], Detail: c.lv[i].detail()}
	}
	return out
}
