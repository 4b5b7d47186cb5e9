package negotiation

import (
	"math"
	"sort"
	"strconv"
	"strings"

	"parley/internal/category"
	"parley/internal/msg"
	"parley/internal/person"
)

// Rule names how the releases of the two sides in a stage are weighed
// against each other.
type Rule string

// The rules an agreement may name.
const (
	// OneForOne: equal numbers overall (per kind, see Terms.CountKindsTogether).
	OneForOne Rule = "one-for-one"
	// OneForOnePerCategory: equal numbers in each named category. A person
	// in several categories counts once, under the first of the agreement's
	// categories that he holds.
	OneForOnePerCategory Rule = "one-for-one-per-category"
	// AllForAll: each side releases every person of its list in the named
	// categories (everyone, when none are named); the numbers are not compared.
	AllForAll Rule = "all-for-all"
	// Weighted: a scale of equivalents by rank; the sums of the weights must
	// be equal on both sides.
	Weighted Rule = "weighted"
	// Unilateral: direct repatriation of the seriously wounded and seriously
	// sick under Art. 109/110, owed "regardless of number or rank", so nothing
	// is compared; one side or both may release.
	Unilateral Rule = "unilateral"
)

// Rules lists every rule in a stable order.
func Rules() []Rule { return []Rule{OneForOne, OneForOnePerCategory, AllForAll, Weighted, Unilateral} }

// Valid reports whether r is a known rule.
func (r Rule) Valid() bool {
	for _, v := range Rules() {
		if r == v {
			return true
		}
	}
	return false
}

// DefaultScaleKey is the scale entry that applies to every rank the scale
// does not name.
const DefaultScaleKey = "default"

// Terms are what the parties agreed for a stage.
type Terms struct {
	Rule Rule `json:"rule"`
	// Categories are canonical category codes (labels are resolved through
	// the catalogue). When not empty, every released person must hold at
	// least one of them; under one-for-one-per-category they are also the
	// categories compared, in this order.
	Categories []string `json:"categories,omitempty"`
	// Scale maps a rank to its weight under the weighted rule, e.g.
	// {"private":1,"sergeant":2,"officer":5,"default":1}. Ranks are matched
	// without regard to case, punctuation or ё/е. Weights must be positive
	// multiples of 0.001, so that sums are compared exactly.
	Scale map[string]float64 `json:"scale,omitempty"`
	// Capacity is the most persons one side may release in the stage, all
	// kinds together (it is the handover site's limit). 0 means the agreement
	// sets no limit.
	Capacity int `json:"capacity,omitempty"`
	// CountKindsTogether counts prisoners of war and civilian detainees
	// against each other, which happens only when the agreement says so.
	// Remains are always counted only against remains.
	CountKindsTogether bool `json:"count_kinds_together,omitempty"`
}

// Codes of legal basis.
const (
	BasisArt109           = "art109"            // GC III Art. 109: seriously wounded and sick, and long captivity by agreement
	BasisArt110           = "art110"            // GC III Art. 110: direct repatriation
	BasisArt118           = "art118"            // GC III Art. 118: release after the cessation of active hostilities
	BasisSpecialAgreement = "special_agreement" // an exchange agreed between the parties
)

// LegalBasis says under what a person is released. It matters after the
// release: under Art. 117 no repatriated person may be employed on active
// military service.
type LegalBasis struct {
	Code      string `json:"code"`                // art109, art110, art118 or special_agreement
	Agreement string `json:"agreement,omitempty"` // name of the special agreement
}

// String renders the basis for messages.
// Message names the legal basis in the reader's language.
func (b LegalBasis) Message() msg.Msg {
	switch b.Code {
	case BasisArt109, BasisArt110, BasisArt118:
		return msg.New("check.basis." + b.Code)
	case BasisSpecialAgreement:
		if b.Agreement != "" {
			return msg.New("check.basis.special_agreement_named", "name", msg.Raw(b.Agreement))
		}
		return msg.New("check.basis.special_agreement")
	}
	return msg.New("check.basis.other", "code", msg.Raw(b.Code))
}

func (b LegalBasis) String() string {
	switch b.Code {
	case BasisArt109:
		return "Art. 109"
	case BasisArt110:
		return "Art. 110"
	case BasisArt118:
		return "Art. 118"
	case BasisSpecialAgreement:
		if b.Agreement != "" {
			return "special agreement " + strconv.Quote(b.Agreement)
		}
		return "special agreement"
	}
	return b.Code
}

// Release is one person one side releases in a stage, identified by the list
// and row on which the parties exchanged him.
type Release struct {
	Party      string        `json:"party"`
	ListID     string        `json:"list_id"`
	Row        int           `json:"row"`
	Person     person.Person `json:"person"`
	LegalBasis LegalBasis    `json:"legal_basis"`
}

// SideRelease is what one party releases in a stage.
type SideRelease struct {
	Party    string    `json:"party"`
	Releases []Release `json:"releases"`
}

// Stage is one stage of an exchange: the terms and both sides' releases.
type Stage struct {
	Terms Terms          `json:"terms"`
	Sides [2]SideRelease `json:"sides"`
}

// Entry is one row of a list.
type Entry struct {
	Row    int           `json:"row"`
	Person person.Person `json:"person"`
}

// terms is the compiled form of Terms: categories resolved, scale in
// thousandths so that weights add up exactly.
type terms struct {
	Terms
	cats    []string        // canonical codes, in the agreement's order, unique
	catSet  map[string]bool // cats as a set
	medical []string        // the medical codes a unilateral release may hold
	scale   map[string]int64
	defW    int64
	hasDefW bool
}

// compile resolves and validates the terms; the problems are returned with
// code "terms".
func compile(t Terms, cat *category.Catalogue) (*terms, []Problem) {
	c := &terms{Terms: t, catSet: map[string]bool{}}
	var probs []Problem
	add := func(code string, kv ...any) {
		probs = append(probs, withWhy(Problem{Code: ProblemTerms}, msg.New(code, kv...)))
	}
	if !t.Rule.Valid() {
		add("check.terms.unknown_rule", "rule", msg.Raw(t.Rule), "rules", msg.Raw(joinRules()))
	}
	if t.Capacity < 0 {
		add("check.terms.capacity_negative", "capacity", t.Capacity)
	}
	for _, raw := range t.Categories {
		code, ok := resolveCategory(raw, cat)
		if !ok {
			add("check.terms.unknown_category", "category", msg.Raw(raw))
			continue
		}
		if !c.catSet[code] {
			c.catSet[code] = true
			c.cats = append(c.cats, code)
		}
	}
	switch t.Rule {
	case OneForOnePerCategory:
		if len(t.Categories) == 0 {
			add("check.terms.no_categories")
		}
	case Unilateral:
		for _, code := range c.cats {
			if !cat.IsMedical(code) {
				add("check.terms.not_medical", "category", categoryEnum(code))
			}
		}
		if len(c.cats) > 0 {
			c.medical = c.cats
		} else {
			for _, k := range cat.All() {
				if k.Medical {
					c.medical = append(c.medical, k.Code)
				}
			}
		}
	case Weighted:
		if len(t.Scale) == 0 {
			add("check.terms.no_scale")
		}
		c.scale = map[string]int64{}
		keys := make([]string, 0, len(t.Scale))
		for k := range t.Scale {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			w := t.Scale[k]
			mw, why := milli(w)
			if !why.IsZero() {
				add("check.terms.bad_weight", "rank", msg.Raw(k), "why", why)
				continue
			}
			nk := category.Normalize(k)
			if nk == DefaultScaleKey {
				c.defW, c.hasDefW = mw, true
				continue
			}
			if prev, ok := c.scale[nk]; ok && prev != mw {
				add("check.terms.rank_twice", "rank", msg.Raw(k))
				continue
			}
			c.scale[nk] = mw
		}
	}
	return c, probs
}

// milli converts a weight to thousandths, refusing what cannot be added up
// exactly or makes no sense as a weight.
func milli(w float64) (int64, msg.Msg) {
	v := msg.Raw(strconv.FormatFloat(w, 'g', -1, 64))
	if math.IsNaN(w) || math.IsInf(w, 0) || w <= 0 {
		return 0, msg.New("check.weight.not_positive", "weight", v)
	}
	if w > 1e9 {
		return 0, msg.New("check.weight.too_large", "weight", v)
	}
	m := math.Round(w * 1000)
	if math.Abs(m-w*1000) > 1e-6 || m == 0 {
		return 0, msg.New("check.weight.too_fine", "weight", v)
	}
	return int64(m), msg.Msg{}
}

// formatWeight renders a weight in thousandths as a plain number.
func formatWeight(m int64) string {
	if m%1000 == 0 {
		return strconv.FormatInt(m/1000, 10)
	}
	return strconv.FormatFloat(float64(m)/1000, 'f', -1, 64)
}

// weight returns the person's weight on the scale, in thousandths.
func (t *terms) weight(p *person.Person) (int64, bool) {
	if w, ok := t.scale[category.Normalize(p.Rank)]; ok {
		return w, true
	}
	return t.defW, t.hasDefW
}

// inCategories reports whether the person holds one of the agreed categories
// (true when none are named).
func (t *terms) inCategories(p *person.Person) bool {
	if len(t.cats) == 0 {
		return true
	}
	for _, c := range t.cats {
		if p.HasCategory(c) {
			return true
		}
	}
	return false
}

// isMedicalAllowed reports whether the person holds one of the categories a
// unilateral release may rest on.
func (t *terms) isMedicalAllowed(p *person.Person) bool {
	for _, c := range t.medical {
		if p.HasCategory(c) {
			return true
		}
	}
	return false
}

func resolveCategory(raw string, cat *category.Catalogue) (string, bool) {
	if _, ok := cat.Get(raw); ok {
		return raw, true
	}
	return cat.Resolve(raw)
}

func joinRules() string {
	var s []string
	for _, r := range Rules() {
		s = append(s, string(r))
	}
	return strings.Join(s, ", ")
}

// CountingCategory returns the one category under which a person is counted
// when numbers are given per category: the first of the agreement's
// categories he holds; failing that, the first he holds in catalogue order;
// failing that, the first of his own; "none" when he holds none. Counting
// each person once makes the per-category figures add up to the total.
func CountingCategory(p *person.Person, ruleCategories []string, cat *category.Catalogue) string {
	if cat == nil {
		cat = category.MustDefault()
	}
	for _, c := range ruleCategories {
		if p.HasCategory(c) {
			return c
		}
	}
	for _, c := range cat.All() {
		if p.HasCategory(c.Code) {
			return c.Code
		}
	}
	if len(p.Categories) > 0 {
		own := append([]string(nil), p.Categories...)
		sort.Strings(own)
		return own[0]
	}
	return NoCategory
}

// NoCategory is the counting category of a person without categories.
const NoCategory = "none"

// kindOf returns the person's kind, with the empty kind read as a prisoner
// of war as person.Normalize does.
func kindOf(p *person.Person) person.Kind {
	if p.Kind == "" {
		return person.KindPOW
	}
	return p.Kind
}

// Counting groups: each kind on its own, or the living together.
const groupLiving = "living"

// groupOf returns the group in which a kind is counted.
func groupOf(k person.Kind, together bool) string {
	if together && (k == person.KindPOW || k == person.KindCivilian) {
		return groupLiving
	}
	return string(k)
}

// groupOrder fixes the order in which groups are reported.
func groupOrder(g string) int {
	switch g {
	case string(person.KindPOW):
		return 0
	case string(person.KindCivilian):
		return 1
	case groupLiving:
		return 2
	case string(person.KindRemains):
		return 3
	}
	return 4
}

// groupEnum names a counting group as an enumerated value of the catalogue: the
// group in the singular (n == 1) or the plural.
func groupEnum(g string, n int) msg.Enum {
	if n == 1 {
		return msg.Enum{Kind: "group_one", Code: g}
	}
	return msg.Enum{Kind: "group", Code: g}
}

// categoryEnum is a category code as an enumerated value, shown by its
// label in the reader's language.
func categoryEnum(code string) msg.Enum { return msg.Enum{Kind: "category", Code: code} }

// categoryList is a list of category codes, shown by their labels.
func categoryList(codes []string) []any {
	out := make([]any, len(codes))
	for i, c := range codes {
		out[i] = categoryEnum(c)
	}
	return out
}

// orMsg lists categories as alternatives: "wounded or seriously_ill".
func orMsg(codes []string) msg.Msg {
	switch len(codes) {
	case 0:
		return msg.New("plan.any_medical")
	case 1:
		return msg.New("plan.one", "item", categoryEnum(codes[0]))
	}
	return msg.New("plan.or", "items", categoryList(codes[:len(codes)-1]), "last", categoryEnum(codes[len(codes)-1]))
}

// isoDate is a date as the planner's reasons give it.
// A complete date is written the reader's way (ISO in English).
func isoDate(d person.Date) any {
	if d.Complete() {
		return msg.CalendarDate{Y: d.Year, M: d.Month, D: d.Day}
	}
	return msg.Raw(d.String())
}

// medicalSeverity counts the medical categories a person holds: both
// seriously ill and wounded is the most severe.
func medicalSeverity(p *person.Person, cat *category.Catalogue) (int, []string) {
	var held []string
	for _, c := range p.Categories {
		if cat.IsMedical(c) {
			held = append(held, c)
		}
	}
	return len(held), held
}

// displayName names a person for messages: the name as written, else the
// Latin form, else what identifies remains.
func displayName(p *person.Person) string {
	if n := p.FullName(); n != "" {
		return n
	}
	if n := p.FullNameLatin(); n != "" {
		return n
	}
	if p.GraveID != "" {
		return "grave " + p.GraveID
	}
	if kindOf(p) == person.KindRemains {
		return "unidentified remains"
	}
	return "no name"
}

// sameIdentityKey returns the identity key when it is specific enough to
// say that two rows are the same person: surname and given names with a
// complete date of birth or a service number. Namesakes without either are
// common and are not taken for one person.
func sameIdentityKey(p *person.Person) (string, bool) {
	if strings.TrimSpace(p.Surname) == "" || strings.TrimSpace(p.GivenNames) == "" {
		return "", false
	}
	if !p.BirthDate.Complete() && strings.TrimSpace(p.ServiceNumber) == "" {
		return "", false
	}
	q := *p
	q.Kind = kindOf(p)
	return q.IdentityKey(), true
}

// rowRef renders "row 14 of list L (Name)".
func rowRef(listID string, row int, p *person.Person) msg.Msg {
	return msg.New("check.row_ref", "row", msg.Plain(row), "list", msg.Raw(listID), "name", nameParam(p))
}

// nameParam is displayName as a message parameter: the name as written,
// or words in the reader's language for a person without one.
func nameParam(p *person.Person) any {
	if n := p.FullName(); n != "" {
		return msg.Raw(n)
	}
	if n := p.FullNameLatin(); n != "" {
		return msg.Raw(n)
	}
	if p.GraveID != "" {
		return msg.New("check.name_grave", "grave", msg.Raw(p.GraveID))
	}
	if kindOf(p) == person.KindRemains {
		return msg.New("check.name_remains")
	}
	return msg.New("check.name_none")
}
