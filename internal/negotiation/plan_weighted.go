package negotiation

import (
	"container/heap"
	"math"
	"sort"
	"strings"

	"parley/internal/category"
	"parley/internal/msg"
)

// selectWeighted implements the weighted rule group by group (each kind, or
// the living together, and remains apart), in the order prisoners of war,
// civilian detainees, remains: capacity left by one group goes to the next.
//
// Within a group the algorithm is planWeighted's; it always ends with equal
// sums, so the plan passes Check.
func (pl *planner) selectWeighted() {
	capLeft := [2]int{pl.cap, pl.cap}
	parties := [2]string{pl.in.Sides[0].Party, pl.in.Sides[1].Party}
	for _, g := range pl.present {
		var ws [2]*wside
		for s := range pl.ranked {
			var cs []*cand
			for _, c := range pl.ranked[s] {
				if c.group == g {
					cs = append(cs, c)
				}
			}
			ws[s] = newWSide(cs, capLeft[s])
		}
		planWeighted(ws)
		for s, w := range ws {
			capLeft[s] -= w.count
			for _, c := range w.sel {
				pl.release(c, msg.New("plan.weight", "weight", msg.Raw(formatWeight(c.weight)), "rank", msg.Raw(rankLabel(c.p.Rank, pl.t))))
			}
			for _, c := range w.all {
				if c.released {
					continue
				}
				if !c.dropped && w.count >= w.cap {
					c.why = pl.capacityOut(c, false)
					continue
				}
				code, kv := "plan.out.weighted_parity", []any{}
				if len(pl.present) > 1 {
					code, kv = "plan.out.weighted_parity_among", []any{"group", groupEnum(g, 2)}
				}
				c.out(code, append(kv, "other", msg.Raw(parties[1-s]), "sum", msg.Raw(formatWeight(ws[1-s].sum)), "weight", msg.Raw(formatWeight(c.weight)))...)
			}
		}
	}
}

// rankLabel names the scale entry a rank was priced by.
func rankLabel(rank string, t *terms) string {
	if _, ok := t.scale[category.Normalize(rank)]; ok {
		return strings.TrimSpace(rank)
	}
	if strings.TrimSpace(rank) == "" {
		return "no rank: " + DefaultScaleKey
	}
	return strings.TrimSpace(rank) + ": " + DefaultScaleKey
}

// planWeighted chooses both sides' releases in one group so that their
// weights are equal, favouring priority. Weights are whole thousandths, so
// sums compare exactly.
//
//  1. Greedy fill: the side whose releases weigh less takes its next
//     candidate in priority order (at equal weight, the side with fewer
//     releases, then the first side), until the side whose turn it is has no
//     candidate or no capacity left; at equal weight the fill stops as soon
//     as either side could not answer the other's next addition.
//  2. Balance: while the sums differ, the heavier side gives up its
//     lowest-priority releases until it weighs no more than the other, then
//     closes the gap with its best remaining candidates whose weight still
//     fits (never exceeding the other side). If the gap stays open the roles
//     swap. A person given up never returns, so the loop ends; at worst both
//     sums fall to zero.
//
// The result is exactly equal sums, at the largest total this greedy finds:
// where the two scales cannot meet exactly at the greedy total, the heavier
// side comes down to the closest total not exceeding the lighter one's.
func planWeighted(ws [2]*wside) {
	a, b := ws[0], ws[1]
	for {
		var s *wside
		switch {
		case a.sum < b.sum:
			s = a
		case b.sum < a.sum:
			s = b
		default:
			if !a.canAdd() || !b.canAdd() {
				s = nil
			} else if b.count < a.count {
				s = b
			} else {
				s = a
			}
		}
		if s == nil || !s.take(math.MaxInt64) {
			break
		}
	}
	for a.sum != b.sum {
		h, l := a, b
		if b.sum > a.sum {
			h, l = b, a
		}
		for h.sum > l.sum {
			h.drop()
		}
		for h.sum < l.sum && h.take(l.sum-h.sum) {
		}
	}
}

// wside is one side of one group during weighted planning.
type wside struct {
	all     []*cand
	classes []*wclass // by ascending weight
	sum     int64
	count   int
	cap     int
	sel     candHeap // released so far; top is the lowest priority
}

// wclass queues the candidates of one weight in priority order.
type wclass struct {
	w     int64
	items []*cand
	next  int
}

func newWSide(cs []*cand, capacity int) *wside {
	w := &wside{all: cs, cap: capacity}
	byW := map[int64]*wclass{}
	for _, c := range cs {
		cl := byW[c.weight]
		if cl == nil {
			cl = &wclass{w: c.weight}
			byW[c.weight] = cl
			w.classes = append(w.classes, cl)
		}
		cl.items = append(cl.items, c)
	}
	sort.Slice(w.classes, func(i, j int) bool { return w.classes[i].w < w.classes[j].w })
	return w
}

// peek returns the class whose next candidate has the best rank among the
// classes weighing at most maxW.
func (w *wside) peek(maxW int64) *wclass {
	var best *wclass
	for _, cl := range w.classes {
		if cl.w > maxW {
			break
		}
		if cl.next < len(cl.items) && (best == nil || cl.items[cl.next].rank < best.items[best.next].rank) {
			best = cl
		}
	}
	return best
}

func (w *wside) canAdd() bool { return w.count < w.cap && w.peek(math.MaxInt64) != nil }

// take adds the best remaining candidate weighing at most maxW.
func (w *wside) take(maxW int64) bool {
	if w.count >= w.cap {
		return false
	}
	cl := w.peek(maxW)
	if cl == nil {
		return false
	}
	c := cl.items[cl.next]
	cl.next++
	heap.Push(&w.sel, c)
	w.sum += c.weight
	w.count++
	return true
}

// drop gives up the lowest-priority release for good.
func (w *wside) drop() {
	c := heap.Pop(&w.sel).(*cand)
	c.dropped = true
	w.sum -= c.weight
	w.count--
}

// candHeap is a max-heap by rank: its top is the lowest-priority candidate.
type candHeap []*cand

func (h candHeap) Len() int           { return len(h) }
func (h candHeap) Less(i, j int) bool { return h[i].rank > h[j].rank }
func (h candHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *candHeap) Push(x any)        { *h = append(*h, x.(*cand)) }
func (h *candHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}
