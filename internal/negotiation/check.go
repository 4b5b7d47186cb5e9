package negotiation

import (
	"sort"
	"strings"

	"parley/internal/category"
	"parley/internal/msg"
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

// Problem is one reason a stage breaks its terms. Why says it as a message
// of the catalogue (package msg), for each reader in his language; Message
// is its English text, for logs.
type Problem struct {
	Code     string      `json:"code"`
	Message  string      `json:"message"`
	Why      msg.Msg     `json:"why"`
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

// Error joins the problems' messages in English; past maxShown it says how
// many more there are.
func (e *RuleError) Error() string { return e.Message().String() }

// Message says the breaches as one message of the catalogue: the first
// maxShown problems, then how many more there are.
func (e *RuleError) Message() msg.Msg {
	var ms []msg.Msg
	for i, p := range e.Problems {
		if i == maxShown {
			ms = append(ms, msg.New("check.more", "n", len(e.Problems)-maxShown))
			break
		}
		ms = append(ms, p.Why)
	}
	return msg.New("check.problems", "problems", ms)
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

// add records a problem saying the message code with its parameters.
func (c *checker) add(p Problem, code string, kv ...any) {
	c.probs = append(c.probs, withWhy(p, msg.New(code, kv...)))
}

func withWhy(p Problem, m msg.Msg) Problem {
	p.Why, p.Message = m, m.String()
	return p
}

func (c *checker) parties(s Stage) {
	a, b := s.Sides[0].Party, s.Sides[1].Party
	if a == "" || b == "" {
		c.add(Problem{Code: ProblemParty}, "check.party_missing")
	} else if a == b {
		c.add(Problem{Code: ProblemParty, Party: a}, "check.party_same", "party", msg.Raw(a))
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
				c.add(withCode(base, ProblemParty), "check.party_mismatch", "ref", ref, "named", msg.Raw(r.Party), "party", msg.Raw(side.Party))
			}
			if r.ListID == "" || r.Row < 1 {
				c.add(withCode(base, ProblemList), "check.no_list_row", "name", nameParam(p), "party", msg.Raw(side.Party), "list", msg.Raw(r.ListID), "row", msg.Plain(r.Row))
			} else {
				k := rowKey{r.ListID, r.Row}
				if seenRow[k] {
					c.add(withCode(base, ProblemDuplicate), "check.listed_twice", "ref", ref)
				}
				seenRow[k] = true
			}
			if id, ok := sameIdentityKey(p); ok {
				if first, dup := seenID[id]; dup && (first.ListID != r.ListID || first.Row != r.Row) {
					c.add(withCode(base, ProblemDuplicate), "check.same_person", "ref", ref, "row", msg.Plain(first.Row), "list", msg.Raw(first.ListID))
				} else if !dup {
					seenID[id] = r
				}
			}
			kind := kindOf(p)
			if !kind.Valid() {
				c.add(withCode(base, ProblemKind), "check.unknown_kind", "ref", ref, "kind", msg.Raw(p.Kind))
			}
			c.legalBasis(base, ref, r)
			c.categories(base, ref, p)
			if c.t.Rule == Weighted {
				if _, ok := c.t.weight(p); !ok {
					c.add(withCode(base, ProblemRank), "check.rank_unpriced", "ref", ref, "rank", msg.Raw(p.Rank))
				}
			}
		}
	}
}

func withCode(p Problem, code string) Problem {
	p.Code = code
	return p
}

func (c *checker) legalBasis(base Problem, ref msg.Msg, r Release) {
	p := &r.Person
	b := r.LegalBasis
	base.Code = ProblemLegalBasis
	switch b.Code {
	case "":
		c.add(base, "check.basis_missing", "ref", ref)
		return
	case BasisArt109, BasisArt110, BasisArt118:
		if k := kindOf(p); k != person.KindPOW {
			c.add(base, "check.basis_not_pow", "ref", ref, "kind", msg.Enum{Kind: "kind", Code: string(k)}, "basis", b.Message())
		} else if b.Code != BasisArt118 {
			if sev, _ := medicalSeverity(p, c.cat); sev == 0 {
				c.add(base, "check.basis_not_medical", "ref", ref, "basis", b.Message())
			}
		}
	case BasisSpecialAgreement:
		if strings.TrimSpace(b.Agreement) == "" {
			c.add(base, "check.basis_unnamed", "ref", ref)
		}
	default:
		c.add(base, "check.basis_unknown", "ref", ref, "basis", msg.Raw(b.Code))
		return
	}
	if c.t.Rule == Unilateral && b.Code != BasisArt109 && b.Code != BasisArt110 {
		c.add(base, "check.basis_unilateral", "ref", ref, "basis", b.Message())
	}
}

func (c *checker) categories(base Problem, ref msg.Msg, p *person.Person) {
	base.Code = ProblemCategory
	if c.t.Rule == Unilateral {
		if sev, _ := medicalSeverity(p, c.cat); sev == 0 {
			c.add(base, "check.unilateral_not_medical", "ref", ref, "categories", orMsg(c.t.medical))
			return
		}
		if !c.t.isMedicalAllowed(p) {
			c.add(base, "check.no_category", "ref", ref, "categories", categoryList(c.t.cats))
		}
		return
	}
	if !c.t.inCategories(p) {
		c.add(base, "check.no_category", "ref", ref, "categories", categoryList(c.t.cats))
	}
}

func (c *checker) capacity(s Stage) {
	if c.t.Capacity == 0 {
		return
	}
	for _, side := range s.Sides {
		if n := len(side.Releases); n > c.t.Capacity {
			c.add(Problem{Code: ProblemCapacity, Party: side.Party}, "check.capacity", "capacity", c.t.Capacity, "party", msg.Raw(side.Party), "n", n)
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

// separately says why the groups of a parity breach are not added up,
// when several groups are present; the zero Msg otherwise.
func separately(g string, present []string) msg.Msg {
	if len(present) < 2 {
		return msg.Msg{}
	}
	has := map[string]bool{}
	for _, p := range present {
		has[p] = true
	}
	switch {
	case g == string(person.KindRemains):
		return msg.New("check.apart.remains")
	case (g == string(person.KindPOW) || g == string(person.KindCivilian)) && has[string(person.KindPOW)] && has[string(person.KindCivilian)]:
		return msg.New("check.apart.pow_civilian")
	}
	return msg.New("check.apart.from_remains", "group", groupEnum(g, 2))
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
		if why := separately(g, present); !why.IsZero() {
			c.add(p, "check.parity_apart", "why", why, "a", msg.Raw(a), "na", int(n[0]), "ga", groupEnum(g, int(n[0])), "b", msg.Raw(b), "nb", int(n[1]))
			continue
		}
		code := "check.parity"
		if g == groupLiving {
			code = "check.parity_living"
		}
		c.add(p, code, "a", msg.Raw(a), "na", int(n[0]), "b", msg.Raw(b), "nb", int(n[1]), "rule", ruleEnum(c.t.Rule))
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
			p := Problem{Code: ProblemParity, Category: cc}
			if g != groupLiving {
				p.Kind = person.Kind(g)
			}
			kv := []any{"category", categoryEnum(cc), "a", msg.Raw(a), "na", int(n[0]), "b", msg.Raw(b), "nb", int(n[1]), "rule", ruleEnum(c.t.Rule)}
			if len(present) > 1 {
				c.add(p, "check.parity_category_among", append(kv, "group", groupEnum(g, 2))...)
				continue
			}
			c.add(p, "check.parity_category", kv...)
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
		p := Problem{Code: ProblemParity}
		if g != groupLiving {
			p.Kind = person.Kind(g)
		}
		kv := []any{"a", msg.Raw(a), "wa", weightParam(w[0]), "pa", personsMsg(n[0]), "b", msg.Raw(b), "wb", weightParam(w[1]), "pb", personsMsg(n[1])}
		if len(present) > 1 {
			c.add(p, "check.parity_weighted_among", append(kv, "group", groupEnum(g, 2))...)
			continue
		}
		c.add(p, "check.parity_weighted", kv...)
	}
}

// personsMsg counts persons: "1 person", "3 persons".
func personsMsg(n int64) msg.Msg {
	if n == 1 {
		return msg.New("check.persons_one")
	}
	return msg.New("check.persons", "n", int(n))
}

// weightParam is a weight in thousandths as a number in the reader's
// locale, with no more decimals than it has.
func weightParam(m int64) any {
	if m%1000 == 0 {
		return int(m / 1000)
	}
	prec := 3
	for v := m; v%10 == 0; v /= 10 {
		prec--
	}
	return msg.Float{V: float64(m) / 1000, Prec: prec}
}

// ruleEnum is a rule shown by its name in the reader's language.
func ruleEnum(r Rule) msg.Enum { return msg.Enum{Kind: "rule", Code: string(r)} }
