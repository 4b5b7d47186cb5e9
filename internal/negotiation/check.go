package negotiation

import (
	"fmt"
	"sort"
	"strings"

	"parley/internal/category"
	"parley/internal/person"
)

// Codes of the problems Check reports.
const (
	ProblemTerms      = "terms"       // the terms themselves are unusable
	ProblemParty      = "party"       // sides without distinct parties, a release under the wrong party
	ProblemList       = "list"        // a release that names no list row
	ProblemDuplicate  = "duplicate"   // a person released twice
	ProblemKind       = "kind"        // an unknown kind
	ProblemLegalBasis = "legal_basis" // missing or unfit legal basis
	ProblemCategory   = "category"    // a person outside the agreed or medical categories
	ProblemRank       = "rank"        // a rank the scale does not price
	ProblemCapacity   = "capacity"    // more releases than the stage can take
	ProblemParity     = "parity"      // the rule's comparison of the two sides fails
)

// Problem is one reason a stage breaks its terms.
type Problem struct {
	Code     string      `json:"code"`
	Message  string      `json:"message"`
	Party    string      `json:"party,omitempty"`
	ListID   string      `json:"list_id,omitempty"`
	Row      int         `json:"row,omitempty"`
	Category string      `json:"category,omitempty"`
	Kind     person.Kind `json:"kind,omitempty"`
}

// RuleError lists every way a stage breaks its terms, in a stable order:
// terms, parties, rows (side by side, in the order given), capacity, parity.
type RuleError struct {
	Rule     Rule      `json:"rule"`
	Problems []Problem `json:"problems"`
}

// maxShown bounds the problems Error spells out; the rest are in Problems.
const maxShown = 10

// Error joins the problems' messages; past maxShown it says how many more
// there are.
func (e *RuleError) Error() string {
	var msgs []string
	for i, p := range e.Problems {
		if i == maxShown {
			msgs = append(msgs, fmt.Sprintf("and %d more problems", len(e.Problems)-maxShown))
			break
		}
		msgs = append(msgs, p.Message)
	}
	return strings.Join(msgs, "; ")
}

// Has reports whether one of the problems has the code.
func (e *RuleError) Has(code string) bool {
	for _, p := range e.Problems {
		if p.Code == code {
			return true
		}
	}
	return false
}

// Validate checks the terms alone.
func (t Terms) Validate(cat *category.Catalogue) error {
	if cat == nil {
		cat = category.MustDefault()
	}
	if _, probs := compile(t, cat); len(probs) > 0 {
		return &RuleError{Rule: t.Rule, Problems: probs}
	}
	return nil
}

// Check tells whether a stage respects its terms. It returns nil or a
// *RuleError naming every breach with its numbers. A nil catalogue means the
// built-in categories.
//
// It checks the parties, that every release names its list row once, the
// legal basis of each release (Art. 109/110 only for prisoners of war in a
// medical category, Art. 118 only for prisoners of war, a special agreement
// by name; unilateral releases only under Art. 109/110), the categories, the
// ranks on the scale, the capacity, and the parity the rule requires, each
// kind counted apart unless the terms count the living together. What Check
// cannot see is whether an all-for-all side released everyone of its list:
// the stage does not carry the lists; Conform and Plan work on lists.
func Check(s Stage, cat *category.Catalogue) error {
	if cat == nil {
		cat = category.MustDefault()
	}
	t, probs := compile(s.Terms, cat)
	if len(probs) > 0 {
		return &RuleError{Rule: s.Terms.Rule, Problems: probs}
	}
	c := checker{t: t, cat: cat}
	c.parties(s)
	c.releases(s)
	c.capacity(s)
	switch t.Rule {
	case OneForOne:
		c.parityCount(s)
	case OneForOnePerCategory:
		c.parityPerCategory(s)
	case Weighted:
		c.parityWeighted(s)
	}
	if len(c.probs) > 0 {
		return &RuleError{Rule: t.Rule, Problems: c.probs}
	}
	return nil
}

type checker struct {
	t     *terms
	cat   *category.Catalogue
	probs []Problem
}

func (c *checker) add(p Problem, format string, args ...any) {
	p.Message = fmt.Sprintf(format, args...)
	c.probs = append(c.probs, p)
}

func (c *checker) parties(s Stage) {
	a, b := s.Sides[0].Party, s.Sides[1].Party
	if a == "" || b == "" {
		c.add(Problem{Code: ProblemParty}, "both sides must name their party")
	} else if a == b {
		c.add(Problem{Code: ProblemParty, Party: a}, "both sides are party %s", a)
	}
}

type rowKey struct {
	list string
	row  int
}

func (c *checker) releases(s Stage) {
	seenRow := map[rowKey]bool{}
	seenID := map[string]Release{}
	for _, side := range s.Sides {
		for _, r := range side.Releases {
			p := &r.Person
			ref := rowRef(r.ListID, r.Row, p)
			base := Problem{Party: side.Party, ListID: r.ListID, Row: r.Row, Kind: kindOf(p)}
			if r.Party != "" && r.Party != side.Party {
				c.add(withCode(base, ProblemParty), "%s names party %s but is released by %s", ref, r.Party, side.Party)
			}
			if r.ListID == "" || r.Row < 1 {
				c.add(withCode(base, ProblemList), "release of %s by %s names no list row (list %q, row %d)", displayName(p), side.Party, r.ListID, r.Row)
			} else {
				k := rowKey{r.ListID, r.Row}
				if seenRow[k] {
					c.add(withCode(base, ProblemDuplicate), "%s is listed twice", ref)
				}
				seenRow[k] = true
			}
			if id, ok := sameIdentityKey(p); ok {
				if first, dup := seenID[id]; dup && (first.ListID != r.ListID || first.Row != r.Row) {
					c.add(withCode(base, ProblemDuplicate), "%s is the same person as row %d of list %s", ref, first.Row, first.ListID)
				} else if !dup {
					seenID[id] = r
				}
			}
			kind := kindOf(p)
			if !kind.Valid() {
				c.add(withCode(base, ProblemKind), "%s has unknown kind %q (want pow, civilian or remains)", ref, p.Kind)
			}
			c.legalBasis(base, ref, r)
			c.categories(base, ref, p)
			if c.t.Rule == Weighted {
				if _, ok := c.t.weight(p); !ok {
					c.add(withCode(base, ProblemRank), "%s has rank %q, which the agreed scale does not list, and the scale has no default", ref, p.Rank)
				}
			}
		}
	}
}

func withCode(p Problem, code string) Problem {
	p.Code = code
	return p
}

func (c *checker) legalBasis(base Problem, ref string, r Release) {
	p := &r.Person
	b := r.LegalBasis
	base.Code = ProblemLegalBasis
	switch b.Code {
	case "":
		c.add(base, "%s has no legal basis", ref)
		return
	case BasisArt109, BasisArt110, BasisArt118:
		if k := kindOf(p); k != person.KindPOW {
			c.add(base, "%s is not a prisoner of war (kind %s); %s of the Third Geneva Convention covers prisoners of war only", ref, k, b)
		} else if b.Code != BasisArt118 {
			if sev, _ := medicalSeverity(p, c.cat); sev == 0 {
				c.add(base, "%s is released under %s but is not in a medical category", ref, b)
			}
		}
	case BasisSpecialAgreement:
		if strings.TrimSpace(b.Agreement) == "" {
			c.add(base, "%s is released under a special agreement that is not named", ref)
		}
	default:
		c.add(base, "%s has unknown legal basis %q (want art109, art110, art118 or special_agreement)", ref, b.Code)
		return
	}
	if c.t.Rule == Unilateral && b.Code != BasisArt109 && b.Code != BasisArt110 {
		c.add(base, "%s: unilateral release rests on Art. 109 or Art. 110, not on %s", ref, b)
	}
}

func (c *checker) categories(base Problem, ref string, p *person.Person) {
	base.Code = ProblemCategory
	if c.t.Rule == Unilateral {
		if sev, _ := medicalSeverity(p, c.cat); sev == 0 {
			c.add(base, "%s is not in a medical category; unilateral release under Art. 109/110 requires %s", ref, orList(c.t.medical))
			return
		}
		if !c.t.isMedicalAllowed(p) {
			c.add(base, "%s is in none of the agreed categories %s", ref, strings.Join(c.t.cats, ", "))
		}
		return
	}
	if !c.t.inCategories(p) {
		c.add(base, "%s is in none of the agreed categories %s", ref, strings.Join(c.t.cats, ", "))
	}
}

func (c *checker) capacity(s Stage) {
	if c.t.Capacity == 0 {
		return
	}
	for _, side := range s.Sides {
		if n := len(side.Releases); n > c.t.Capacity {
			c.add(Problem{Code: ProblemCapacity, Party: side.Party}, "capacity %d exceeded: %s releases %d", c.t.Capacity, side.Party, n)
		}
	}
}

// tally adds up a quantity per key for both sides.
type tally map[string]*[2]int64

func (t tally) add(key string, side int, v int64) {
	if t[key] == nil {
		t[key] = &[2]int64{}
	}
	t[key][side] += v
}

// groupsOf returns the counting groups present in the stage, in report order.
func (c *checker) groupsOf(s Stage) []string {
	seen := map[string]bool{}
	var gs []string
	for _, side := range s.Sides {
		for _, r := range side.Releases {
			k := kindOf(&r.Person)
			if !k.Valid() {
				continue
			}
			g := groupOf(k, c.t.CountKindsTogether)
			if !seen[g] {
				seen[g] = true
				gs = append(gs, g)
			}
		}
	}
	sort.Slice(gs, func(i, j int) bool { return groupOrder(gs[i]) < groupOrder(gs[j]) })
	return gs
}

// separately introduces a parity breach in one group when several groups
// are present, saying why the groups are not added up.
func separately(g string, present []string) string {
	if len(present) < 2 {
		return ""
	}
	has := map[string]bool{}
	for _, p := range present {
		has[p] = true
	}
	switch {
	case g == string(person.KindRemains):
		return "remains are counted only against remains: "
	case (g == string(person.KindPOW) || g == string(person.KindCivilian)) && has[string(person.KindPOW)] && has[string(person.KindCivilian)]:
		return "prisoners of war and civilian detainees are counted separately: "
	}
	return groupNoun(g, 2) + " are counted separately from remains: "
}

func (c *checker) parityCount(s Stage) {
	present := c.groupsOf(s)
	counts := tally{}
	for i, side := range s.Sides {
		for _, r := range side.Releases {
			if k := kindOf(&r.Person); k.Valid() {
				counts.add(groupOf(k, c.t.CountKindsTogether), i, 1)
			}
		}
	}
	a, b := s.Sides[0].Party, s.Sides[1].Party
	for _, g := range present {
		n := counts[g]
		if n[0] == n[1] {
			continue
		}
		p := Problem{Code: ProblemParity}
		if g != groupLiving {
			p.Kind = person.Kind(g)
		}
		if pre := separately(g, present); pre != "" {
			c.add(p, "%s%s releases %d %s, %s releases %d", pre, a, n[0], groupNoun(g, int(n[0])), b, n[1])
			continue
		}
		suffix := ""
		if g == groupLiving {
			suffix = " (prisoners of war and civilian detainees counted together by agreement)"
		}
		c.add(p, "%s releases %d, %s releases %d under %s%s", a, n[0], b, n[1], c.t.Rule, suffix)
	}
}

func (c *checker) parityPerCategory(s Stage) {
	present := c.groupsOf(s)
	counts := tally{}
	for i, side := range s.Sides {
		for _, r := range side.Releases {
			k := kindOf(&r.Person)
			if !k.Valid() || !c.t.inCategories(&r.Person) {
				continue // already reported
			}
			cc := CountingCategory(&r.Person, c.t.cats, c.cat)
			counts.add(groupOf(k, c.t.CountKindsTogether)+"\x00"+cc, i, 1)
		}
	}
	a, b := s.Sides[0].Party, s.Sides[1].Party
	for _, g := range present {
		for _, cc := range c.t.cats {
			n := counts[g+"\x00"+cc]
			if n == nil || n[0] == n[1] {
				continue
			}
			scope := ""
			if len(present) > 1 {
				scope = " among " + groupNoun(g, 2)
			}
			p := Problem{Code: ProblemParity, Category: cc}
			if g != groupLiving {
				p.Kind = person.Kind(g)
			}
			c.add(p, "per category %s%s: %s releases %d, %s releases %d under %s", cc, scope, a, n[0], b, n[1], c.t.Rule)
		}
	}
}

func (c *checker) parityWeighted(s Stage) {
	present := c.groupsOf(s)
	sums, counts := tally{}, tally{}
	for i, side := range s.Sides {
		for _, r := range side.Releases {
			k := kindOf(&r.Person)
			if !k.Valid() {
				continue // already reported
			}
			g := groupOf(k, c.t.CountKindsTogether)
			counts.add(g, i, 1)
			w, _ := c.t.weight(&r.Person) // an unpriced rank weighs nothing; already reported
			sums.add(g, i, w)
		}
	}
	a, b := s.Sides[0].Party, s.Sides[1].Party
	for _, g := range present {
		w, n := sums[g], counts[g]
		if w == nil || w[0] == w[1] {
			continue
		}
		scope := ""
		if len(present) > 1 {
			scope = "among " + groupNoun(g, 2) + ": "
		}
		p := Problem{Code: ProblemParity}
		if g != groupLiving {
			p.Kind = person.Kind(g)
		}
		c.add(p, "%s%s releases weight %s (%s), %s releases weight %s (%s) under the weighted scale",
			scope, a, formatWeight(w[0]), persons(n[0]), b, formatWeight(w[1]), persons(n[1]))
	}
}

func persons(n int64) string {
	if n == 1 {
		return "1 person"
	}
	return fmt.Sprintf("%d persons", n)
}
