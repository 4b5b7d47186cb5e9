package negotiation

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"

	"parley/internal/category"
	"parley/internal/msg"
	"parley/internal/person"
)

// Priority keys of the planner.
const (
	// PriorityMedical puts the more severe first: a person both seriously
	// ill and wounded before one who is either, before one who is neither.
	PriorityMedical = "medical"
	// PriorityYoungest puts the latest date of birth first; unknown dates last.
	PriorityYoungest = "youngest"
	// PriorityLongestCaptivity puts the earliest capture date first; unknown
	// dates last.
	PriorityLongestCaptivity = "longest_captivity"
	// PriorityRow keeps the operator's order of the list; it ends the
	// comparison.
	PriorityRow = "row"
)

// DefaultPriority is the order the planner uses when the input names none.
func DefaultPriority() []string {
	return []string{PriorityMedical, PriorityYoungest, PriorityLongestCaptivity}
}

// SideList is one side's list handed to the planner.
type SideList struct {
	Party   string  `json:"party"`
	ListID  string  `json:"list_id"`
	Entries []Entry `json:"entries"`
}

// PlanInput is what the planner composes a stage from.
type PlanInput struct {
	Rule       Rule        `json:"rule"`
	Categories []string    `json:"categories,omitempty"`
	Capacity   int         `json:"capacity,omitempty"` // per side; 0 means no limit
	Sides      [2]SideList `json:"sides"`
	// Priority orders the candidates of each side; the default is
	// DefaultPriority. Ties are always broken by row.
	Priority []string `json:"priority,omitempty"`
	// RefDate is the day on which ages are taken: persons of the youth age
	// bracket on that day are counted as youth even when the list does not
	// say so (a label is never removed; disputes over labels are Conform's).
	RefDate            person.Date        `json:"ref_date,omitzero"`
	Scale              map[string]float64 `json:"scale,omitempty"`
	CountKindsTogether bool               `json:"count_kinds_together,omitempty"`
}

// Terms returns the terms the plan is composed under.
func (in PlanInput) Terms() Terms {
	return Terms{Rule: in.Rule, Categories: in.Categories, Scale: in.Scale, Capacity: in.Capacity, CountKindsTogether: in.CountKindsTogether}
}

// StagePlan is a composed stage with the reason for every person.
type StagePlan struct {
	Rule     Rule       `json:"rule"`
	Capacity int        `json:"capacity"`
	Sides    []PlanSide `json:"sides"`
}

// PlanSide is one side of a plan. Released is in priority order, LeftOut in
// row order. Totals counts the released per category (each person once, see
// CountingCategory; "none" for persons without category) and "total".
type PlanSide struct {
	Party    string         `json:"party"`
	Released []Decision     `json:"released"`
	LeftOut  []Decision     `json:"left_out"`
	Totals   map[string]int `json:"totals"`
}

// Decision is the planner's decision on one row, with its reason.
type Decision struct {
	ListID     string   `json:"list_id"`
	Row        int      `json:"row"`
	Name       string   `json:"name"`
	Categories []string `json:"categories"`
	// Why is the reason as messages of the catalogue (package msg), for
	// each reader in his language; Reason is its English text.
	Why    []msg.Msg `json:"why,omitempty"`
	Reason string    `json:"reason"`
}

// TotalKey is the key of the sum in PlanSide.Totals.
const TotalKey = "total"

// ErrPlanInput is wrapped by every refusal of Plan to plan.
var ErrPlanInput = errors.New("invalid plan input")

// cand is one row of a side's list during planning.
type cand struct {
	side     int
	row      int
	idx      int           // position in the input
	birth    int           // dateKey of the date of birth
	capture  int           // dateKey of the capture date
	p        person.Person // with youth derived from RefDate
	derived  bool          // youth was derived
	name     string
	kind     person.Kind
	group    string
	severity int
	medical  []string
	weight   int64
	eligible bool
	rank     int // 1-based among the side's eligible, 0 when not eligible
	released bool
	dropped  bool // removed to balance the weighted sums
	why      []msg.Msg
}

type planner struct {
	in      PlanInput
	t       *terms
	cat     *category.Catalogue
	keys    []string
	cap     int // math.MaxInt when unlimited
	all     [2][]*cand
	ranked  [2][]*cand
	present []string // counting groups among the eligible of both sides
}

// Plan composes a stage from two lists under a rule and explains, for every
// row, why it is in or out. The result passes Check (see StagePlan.Stage).
// It is deterministic: the same input gives the same plan, whatever the
// order of the entries (of a row listed twice, the first occurrence counts).
//
// Each side's eligible persons are ranked by the priority keys (by default
// medical severity, then youngest, then longest in captivity) and then by
// row. Eligible means: of a known kind, in one of the agreed categories (for
// unilateral: a prisoner of war in a medical category), priced by the scale
// (weighted), and not the same person as an earlier eligible row of either
// list. Then, per rule:
//
//   - one-for-one: in each counting group (each kind, or the living together
//     and remains apart) both sides release min(|A|, |B|), within capacity.
//   - one-for-one-per-category: the same per counting group and category, a
//     person counted once under the first agreed category he holds.
//   - When capacity cannot take every pair, pairs (the k-th of A and the
//     k-th of B in one bucket) are taken in order of their more urgent
//     member's rank, so capacity goes to the most urgent across categories
//     and kinds, and each bucket keeps its top candidates.
//   - all-for-all and unilateral: each side releases its top candidates up
//     to capacity; the rest waits for the next stage.
//   - weighted: see planWeighted.
//
// A nil catalogue means the built-in categories.
func Plan(in PlanInput, cat *category.Catalogue) (*StagePlan, error) {
	if cat == nil {
		cat = category.MustDefault()
	}
	pl, err := newPlanner(in, cat)
	if err != nil {
		return nil, err
	}
	pl.eligibility()
	pl.rank()
	switch pl.t.Rule {
	case OneForOne, OneForOnePerCategory:
		pl.selectParity()
	case AllForAll, Unilateral:
		pl.selectEach()
	case Weighted:
		pl.selectWeighted()
	}
	return pl.result(), nil
}

func newPlanner(in PlanInput, cat *category.Catalogue) (*planner, error) {
	t, probs := compile(in.Terms(), cat)
	if len(probs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrPlanInput, &RuleError{Rule: in.Rule, Problems: probs})
	}
	pl := &planner{in: in, t: t, cat: cat, keys: in.Priority, cap: in.Capacity}
	if len(pl.keys) == 0 {
		pl.keys = DefaultPriority()
	}
	for _, k := range pl.keys {
		switch k {
		case PriorityMedical, PriorityYoungest, PriorityLongestCaptivity, PriorityRow:
		default:
			return nil, msg.NewError(ErrPlanInput, "err.plan.priority", "value", string(k), "choices", []string{string(PriorityMedical), string(PriorityYoungest), string(PriorityLongestCaptivity), string(PriorityRow)})
		}
	}
	if pl.cap == 0 {
		pl.cap = math.MaxInt
	}
	a, b := in.Sides[0], in.Sides[1]
	switch {
	case a.Party == "" || b.Party == "":
		return nil, msg.NewError(ErrPlanInput, "err.plan.no_party")
	case a.Party == b.Party:
		return nil, msg.NewError(ErrPlanInput, "err.plan.same_party", "party", a.Party)
	case a.ListID == "" || b.ListID == "":
		return nil, msg.NewError(ErrPlanInput, "err.plan.no_list")
	case a.ListID == b.ListID:
		return nil, msg.NewError(ErrPlanInput, "err.plan.same_list_sides", "list", a.ListID)
	}
	for s, side := range in.Sides {
		for i, e := range side.Entries {
			if e.Row < 1 {
				return nil, msg.NewError(ErrPlanInput, "err.plan.row_number", "list", side.ListID, "entry", msg.Plain(i+1), "row", msg.Plain(e.Row))
			}
		}
		pl.all[s] = prepareSide(s, side, in.RefDate, cat)
	}
	return pl, nil
}

// prepareSide turns the entries into candidates in row order, each person
// copied with kind defaulted and youth derived.
func prepareSide(s int, side SideList, ref person.Date, cat *category.Catalogue) []*cand {
	out := make([]*cand, len(side.Entries))
	store := make([]cand, len(side.Entries))
	for i := range side.Entries {
		e := &side.Entries[i]
		c := &store[i]
		c.side, c.row, c.idx = s, e.Row, i
		c.birth, c.capture = dateKey(e.Person.BirthDate), dateKey(e.Person.CaptureDate)
		c.p, c.derived = preparePerson(e.Person, ref, cat)
		c.name, c.kind = displayName(&c.p), c.p.Kind
		c.severity, c.medical = medicalSeverity(&c.p, cat)
		out[i] = c
	}
	// rows first, then the order given, so that a row listed twice keeps
	// its first occurrence
	slices.SortFunc(out, func(a, b *cand) int {
		if c := cmp.Compare(a.row, b.row); c != 0 {
			return c
		}
		return cmp.Compare(a.idx, b.idx)
	})
	return out
}

// preparePerson copies the person with the kind defaulted and, when the
// reference date is complete, youth derived from the date of birth (not for
// remains).
func preparePerson(p person.Person, ref person.Date, cat *category.Catalogue) (person.Person, bool) {
	q := p
	q.Categories = append([]string(nil), p.Categories...)
	q.Kind = kindOf(&p)
	derived := false
	if ref.Complete() && q.Kind != person.KindRemains {
		derived = cat.DeriveYouth(&q, ref)
	}
	return q, derived
}

// eligibility decides who may be released at all, and why not.
func (pl *planner) eligibility() {
	t := pl.t
	for s := range pl.all {
		seen := map[int]bool{}
		for _, c := range pl.all[s] {
			p := &c.p
			switch {
			case seen[c.row]:
				c.out("plan.out.listed_twice", "row", msg.Plain(c.row), "list", msg.Raw(pl.in.Sides[s].ListID))
				continue
			case !c.kind.Valid():
				c.out("plan.out.unknown_kind", "kind", msg.Raw(strconv.Quote(string(c.kind))))
			case t.Rule == Unilateral && c.kind != person.KindPOW:
				c.out("plan.out.unilateral_not_pow", "kind", groupEnum(string(c.kind), 2))
			case t.Rule == Unilateral && c.severity == 0:
				c.out("plan.out.unilateral_not_medical", "categories", orMsg(t.medical))
			case t.Rule == Unilateral && !t.isMedicalAllowed(p):
				c.out("plan.out.not_in_categories", "categories", categoryList(t.cats))
			case t.Rule != Unilateral && !t.inCategories(p):
				c.out("plan.out.not_in_categories", "categories", categoryList(t.cats))
			default:
				c.eligible = true
			}
			seen[c.row] = true
			if c.eligible && t.Rule == Weighted {
				w, ok := t.weight(p)
				if !ok {
					c.eligible = false
					c.out("plan.out.rank_not_on_scale", "rank", msg.Raw(strconv.Quote(p.Rank)))
				}
				c.weight = w
			}
			c.group = groupOf(c.kind, t.CountKindsTogether)
		}
	}
	// The same person must not be released twice, whether he appears twice
	// on one list or on both.
	first := map[string]*cand{}
	for s := range pl.all {
		for _, c := range pl.all[s] {
			if !c.eligible {
				continue
			}
			id, ok := sameIdentityKey(&c.p)
			if !ok {
				continue
			}
			if f, dup := first[id]; dup {
				c.eligible = false
				c.out("plan.out.same_person", "row", msg.Plain(f.row), "list", msg.Raw(pl.in.Sides[f.side].ListID))
				continue
			}
			first[id] = c
		}
	}
	seen := map[string]bool{}
	for s := range pl.all {
		for _, c := range pl.all[s] {
			if c.eligible && !seen[c.group] {
				seen[c.group] = true
				pl.present = append(pl.present, c.group)
			}
		}
	}
	sort.Slice(pl.present, func(i, j int) bool { return groupOrder(pl.present[i]) < groupOrder(pl.present[j]) })
}

// rank orders each side's eligible candidates by the priority keys, then
// row; eligible rows are unique, so the order is total.
func (pl *planner) rank() {
	for s := range pl.all {
		var r []*cand
		for _, c := range pl.all[s] {
			if c.eligible {
				r = append(r, c)
			}
		}
		slices.SortFunc(r, pl.compare)
		for i, c := range r {
			c.rank = i + 1
		}
		pl.ranked[s] = r
	}
}

// compare orders a before b (-1) when a has priority.
func (pl *planner) compare(a, b *cand) int {
	for _, k := range pl.keys {
		switch k {
		case PriorityMedical:
			if c := cmp.Compare(b.severity, a.severity); c != 0 {
				return c
			}
		case PriorityYoungest:
			// later birth first; unknown (0) last
			if c := cmpKnown(a.birth, b.birth, true); c != 0 {
				return c
			}
		case PriorityLongestCaptivity:
			if c := cmpKnown(a.capture, b.capture, false); c != 0 {
				return c
			}
		case PriorityRow:
			return cmp.Compare(a.row, b.row)
		}
	}
	return cmp.Compare(a.row, b.row)
}

// dateKey turns a possibly partial date into a number that sorts as
// Date.Before does (unknown parts first); 0 means unknown.
func dateKey(d person.Date) int {
	if d.IsZero() {
		return 0
	}
	return d.Year*10000 + d.Month*100 + d.Day
}

// cmpKnown orders date keys with unknown ones last, known ones latest first
// when latestFirst, else earliest first.
func cmpKnown(a, b int, latestFirst bool) int {
	switch {
	case a == b:
		return 0
	case a == 0:
		return 1
	case b == 0:
		return -1
	case latestFirst:
		return cmp.Compare(b, a)
	}
	return cmp.Compare(a, b)
}

// capacityPhrase says where a released person stands.
func (pl *planner) capacityPhrase(c *cand) msg.Msg {
	n := len(pl.ranked[c.side])
	if pl.in.Capacity == 0 {
		return msg.New("plan.no_capacity_limit", "rank", msg.Plain(c.rank), "of", msg.Plain(n))
	}
	return msg.New("plan.within_capacity", "capacity", msg.Plain(pl.in.Capacity), "rank", msg.Plain(c.rank), "of", msg.Plain(n))
}

// capacityOut says why a person did not fit.
func (pl *planner) capacityOut(c *cand, waits bool) []msg.Msg {
	out := []msg.Msg{msg.New("plan.out.capacity", "capacity", msg.Plain(pl.in.Capacity), "rank", msg.Plain(c.rank), "of", msg.Plain(len(pl.ranked[c.side])))}
	if waits {
		out = append(out, msg.New("plan.waits"))
	}
	return out
}

// out sets why a candidate is left out.
func (c *cand) out(code string, kv ...any) { c.why = []msg.Msg{msg.New(code, kv...)} }

// why names the first priority key that placed the person.
func (pl *planner) why(c *cand) msg.Msg {
	for _, k := range pl.keys {
		switch k {
		case PriorityMedical:
			if c.severity > 0 {
				return msg.New("plan.medical_priority", "categories", categoryList(c.medical))
			}
		case PriorityYoungest:
			if !c.p.BirthDate.IsZero() {
				if age, ok := c.p.BirthDate.AgeOn(pl.in.RefDate); ok {
					return msg.New("plan.by_age", "age", msg.Plain(age), "date", isoDate(pl.in.RefDate))
				}
				return msg.New("plan.by_age_born", "date", isoDate(c.p.BirthDate))
			}
		case PriorityLongestCaptivity:
			if !c.p.CaptureDate.IsZero() {
				return msg.New("plan.by_captivity", "date", isoDate(c.p.CaptureDate))
			}
		case PriorityRow:
			return msg.New("plan.operator_order", "row", msg.Plain(c.row))
		}
	}
	return msg.New("plan.row_order", "row", msg.Plain(c.row))
}

// release marks a candidate released with its reason.
func (pl *planner) release(c *cand, extra ...msg.Msg) {
	c.released = true
	parts := []msg.Msg{pl.why(c), pl.capacityPhrase(c)}
	parts = append(parts, extra...)
	if c.derived {
		age, _ := c.p.BirthDate.AgeOn(pl.in.RefDate)
		parts = append(parts, msg.New("plan.youth_derived", "age", msg.Plain(age), "date", isoDate(pl.in.RefDate)))
	}
	c.why = parts
}

type bucket struct {
	group, cat string
	order      [2]int
	sides      [2][]*cand
	n          int
}

// selectParity implements one-for-one and one-for-one-per-category.
func (pl *planner) selectParity() {
	perCat := pl.t.Rule == OneForOnePerCategory
	index := map[string]*bucket{}
	var buckets []*bucket
	for s := range pl.ranked {
		for _, c := range pl.ranked[s] {
			cc := ""
			if perCat {
				cc = CountingCategory(&c.p, pl.t.cats, pl.cat)
			}
			key := c.group + "\x00" + cc
			b := index[key]
			if b == nil {
				b = &bucket{group: c.group, cat: cc, order: [2]int{groupOrder(c.group), indexOf(pl.t.cats, cc)}}
				index[key] = b
				buckets = append(buckets, b)
			}
			b.sides[s] = append(b.sides[s], c)
		}
	}
	sort.Slice(buckets, func(i, j int) bool {
		if buckets[i].order[0] != buckets[j].order[0] {
			return buckets[i].order[0] < buckets[j].order[0]
		}
		return buckets[i].order[1] < buckets[j].order[1]
	})
	total := 0
	for _, b := range buckets {
		b.n = min(len(b.sides[0]), len(b.sides[1]))
		total += b.n
	}
	if total > pl.cap {
		type pair struct{ lo, hi, b, k int }
		pairs := make([]pair, 0, total)
		for bi, b := range buckets {
			for k := 0; k < b.n; k++ {
				ra, rb := b.sides[0][k].rank, b.sides[1][k].rank
				pairs = append(pairs, pair{min(ra, rb), max(ra, rb), bi, k})
			}
			b.n = 0
		}
		sort.Slice(pairs, func(i, j int) bool {
			x, y := pairs[i], pairs[j]
			if x.lo != y.lo {
				return x.lo < y.lo
			}
			if x.hi != y.hi {
				return x.hi < y.hi
			}
			if x.b != y.b {
				return x.b < y.b
			}
			return x.k < y.k
		})
		for _, p := range pairs[:pl.cap] {
			buckets[p.b].n++
		}
	}
	parties := [2]string{pl.in.Sides[0].Party, pl.in.Sides[1].Party}
	for _, b := range buckets {
		m := min(len(b.sides[0]), len(b.sides[1]))
		for s := range b.sides {
			for k, c := range b.sides[s] {
				switch {
				case k < b.n:
					if perCat {
						pl.release(c, msg.New("plan.counted_under", "category", categoryEnum(b.cat)))
					} else {
						pl.release(c)
					}
				case b.n < m:
					// capacity cut this bucket before parity did
					c.why = pl.capacityOut(c, false)
				default:
					c.why = []msg.Msg{pl.parityOut(b, parties[1-s])}
				}
			}
		}
	}
}

func (pl *planner) parityOut(b *bucket, other string) msg.Msg {
	count := msg.New("plan.count.none")
	if b.n > 0 {
		count = msg.New("plan.count.only", "n", msg.Plain(b.n))
	}
	several := len(pl.present) > 1
	rule := msg.Enum{Kind: "rule", Code: string(pl.t.Rule)}
	if b.cat != "" {
		if several {
			return msg.New("plan.out.parity_category_among", "category", categoryEnum(b.cat), "group", groupEnum(b.group, 2), "other", msg.Raw(other), "count", count, "rule", rule)
		}
		return msg.New("plan.out.parity_category", "category", categoryEnum(b.cat), "other", msg.Raw(other), "count", count, "rule", rule)
	}
	if several {
		if b.n == 0 {
			count = msg.New("plan.count.none_of", "group", groupEnum(b.group, 2))
		} else {
			count = msg.New("plan.count.only_of", "n", msg.Plain(b.n), "group", groupEnum(b.group, b.n))
		}
	}
	return msg.New("plan.out.parity", "other", msg.Raw(other), "count", count, "rule", rule)
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return len(list)
}

// selectEach implements all-for-all and unilateral: no comparison, each
// side its top candidates within capacity.
func (pl *planner) selectEach() {
	for s := range pl.ranked {
		for i, c := range pl.ranked[s] {
			if i < pl.cap {
				pl.release(c)
			} else {
				c.why = pl.capacityOut(c, true)
			}
		}
	}
}

func (pl *planner) result() *StagePlan {
	out := &StagePlan{Rule: pl.t.Rule, Capacity: pl.in.Capacity}
	for s, side := range pl.in.Sides {
		ps := PlanSide{Party: side.Party, Released: []Decision{}, LeftOut: []Decision{}, Totals: map[string]int{TotalKey: 0}}
		for _, c := range pl.ranked[s] {
			if c.released {
				ps.Released = append(ps.Released, pl.decision(c))
				ps.Totals[CountingCategory(&c.p, pl.t.cats, pl.cat)]++
				ps.Totals[TotalKey]++
			}
		}
		for _, c := range pl.all[s] {
			if !c.released {
				ps.LeftOut = append(ps.LeftOut, pl.decision(c))
			}
		}
		out.Sides = append(out.Sides, ps)
	}
	return out
}

func (pl *planner) decision(c *cand) Decision {
	cats := c.p.Categories
	if cats == nil {
		cats = []string{}
	}
	return Decision{ListID: pl.in.Sides[c.side].ListID, Row: c.row, Name: c.name, Categories: cats, Why: c.why, Reason: msg.Join(msg.English, c.why)}
}

// Stage turns the plan into the stage it proposes: the released rows of
// each side, with the persons as the planner saw them (youth derived from
// RefDate) and the legal basis given. in must be the input the plan was
// made from.
func (sp *StagePlan) Stage(in PlanInput, basis LegalBasis, cat *category.Catalogue) (Stage, error) {
	if cat == nil {
		cat = category.MustDefault()
	}
	st := Stage{Terms: in.Terms()}
	if len(sp.Sides) != 2 {
		return st, fmt.Errorf("plan has %d sides, want 2", len(sp.Sides))
	}
	for s, side := range in.Sides {
		if sp.Sides[s].Party != side.Party {
			return st, fmt.Errorf("plan side %d is party %s, input says %s", s+1, sp.Sides[s].Party, side.Party)
		}
		byRow := map[int]Entry{}
		for _, e := range side.Entries {
			if _, dup := byRow[e.Row]; !dup {
				byRow[e.Row] = e
			}
		}
		st.Sides[s].Party = side.Party
		st.Sides[s].Releases = []Release{}
		for _, d := range sp.Sides[s].Released {
			e, ok := byRow[d.Row]
			if !ok || d.ListID != side.ListID {
				return st, fmt.Errorf("plan releases row %d of list %s, which the input of %s does not hold", d.Row, d.ListID, side.Party)
			}
			p, _ := preparePerson(e.Person, in.RefDate, cat)
			st.Sides[s].Releases = append(st.Sides[s].Releases, Release{Party: side.Party, ListID: side.ListID, Row: e.Row, Person: p, LegalBasis: basis})
		}
	}
	return st, nil
}
