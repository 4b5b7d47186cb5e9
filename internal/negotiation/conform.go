package negotiation

import (
	"sort"
	"strings"

	"parley/internal/category"
	"parley/internal/msg"
	"parley/internal/person"
)

// Criteria describe the persons an agreement covers, such as the Istanbul
// approach of 2 June 2025: "seriously wounded, seriously sick, and soldiers
// aged 18–25".
//
// A person conforms when his kind is one of Kinds (any kind when empty) and
// he qualifies in one of two alternative ways: he holds any of Categories, or
// his age on RefDate lies within AgeMin..AgeMax inclusive. The age bracket is
// an alternative qualifier, not an extra condition: "wounded, sick, aged
// 18–25" takes a wounded man of 40 and a healthy man of 20. When neither
// categories nor a bracket are given, every person of the right kind
// qualifies. AgeMin 0 means no lower bound, AgeMax 0 no upper bound.
//
// A youth label is tested against the date of birth: a person labelled youth
// whose age on RefDate lies outside the catalogue's youth bracket does not
// qualify through the label, because that is precisely the dispute over a
// list that "does not correspond to the agreed approach".
type Criteria struct {
	Categories []string      `json:"categories,omitempty"` // any of; codes or labels
	AgeMin     int           `json:"age_min,omitempty"`
	AgeMax     int           `json:"age_max,omitempty"`
	RefDate    person.Date   `json:"ref_date,omitzero"`
	Kinds      []person.Kind `json:"kinds,omitempty"`
}

// Nonconformity is one row that does not fit the criteria, with every reason.
type Nonconformity struct {
	Row     int      `json:"row"`
	Name    string   `json:"name"`
	Reasons []string `json:"reasons"` // in English
	// Why holds the reasons as messages of the catalogue (package msg),
	// for each reader in his language.
	Why []msg.Msg `json:"why"`
}

// hasBracket reports whether the criteria set an age bracket.
func (c Criteria) hasBracket() bool { return c.AgeMin > 0 || c.AgeMax > 0 }

// Validate checks the criteria themselves.
func (c Criteria) Validate(cat *category.Catalogue) error {
	if cat == nil {
		cat = category.MustDefault()
	}
	var probs []msg.Msg
	if c.AgeMin < 0 || c.AgeMax < 0 {
		probs = append(probs, msg.New("err.criteria.age_negative", "min", c.AgeMin, "max", c.AgeMax))
	}
	if c.AgeMin > 0 && c.AgeMax > 0 && c.AgeMin > c.AgeMax {
		probs = append(probs, msg.New("err.criteria.age_empty", "min", c.AgeMin, "max", c.AgeMax))
	}
	if c.hasBracket() && !c.RefDate.Complete() {
		probs = append(probs, msg.New("err.criteria.ref_date", "date", c.RefDate.String()))
	}
	for _, k := range c.Kinds {
		if !k.Valid() {
			probs = append(probs, msg.New("err.criteria.kind", "kind", string(k)))
		}
	}
	for _, raw := range c.Categories {
		if _, ok := resolveCategory(raw, cat); !ok {
			probs = append(probs, msg.New("err.criteria.category", "category", raw))
		}
	}
	if len(probs) == 0 {
		return nil
	}
	return msg.NewError(nil, "err.criteria.invalid", "problems", probs)
}

func (c Criteria) bracket() msg.Msg {
	switch {
	case c.AgeMin > 0 && c.AgeMax > 0:
		return msg.New("conform.bracket", "min", msg.Plain(c.AgeMin), "max", msg.Plain(c.AgeMax))
	case c.AgeMin > 0:
		return msg.New("conform.bracket_min", "min", msg.Plain(c.AgeMin))
	default:
		return msg.New("conform.bracket_max", "max", msg.Plain(c.AgeMax))
	}
}

// Conform lists the rows that do not fit the criteria, in row order, each
// with every reason, so that the dispute "your list does not correspond to
// the agreed approach" becomes a list of rows. Rows that fit are left out of
// the result. A nil catalogue means the built-in categories.
func Conform(entries []Entry, c Criteria, cat *category.Catalogue) []Nonconformity {
	if cat == nil {
		cat = category.MustDefault()
	}
	var codes []string
	for _, raw := range c.Categories {
		if code, ok := resolveCategory(raw, cat); ok {
			codes = append(codes, code)
		} else {
			codes = append(codes, raw) // an unknown code can still match a record as written
		}
	}
	var out []Nonconformity
	for _, e := range entries {
		if why := nonconforming(&e.Person, c, codes, cat); len(why) > 0 {
			reasons := make([]string, len(why))
			for i, m := range why {
				reasons[i] = m.String()
			}
			out = append(out, Nonconformity{Row: e.Row, Name: displayName(&e.Person), Reasons: reasons, Why: why})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Row < out[j].Row })
	return out
}

func nonconforming(p *person.Person, c Criteria, codes []string, cat *category.Catalogue) []msg.Msg {
	var reasons []msg.Msg
	if k := kindOf(p); len(c.Kinds) > 0 && !containsKind(c.Kinds, k) {
		reasons = append(reasons, msg.New("conform.kind", "kind", msg.Enum{Kind: "kind", Code: string(k)}, "kinds", kindList(c.Kinds)))
	}
	if len(codes) == 0 && !c.hasBracket() {
		return reasons
	}
	var why []msg.Msg
	if len(codes) > 0 {
		ok, r := qualifiesByCategory(p, c, codes, cat)
		if ok {
			return reasons
		}
		why = append(why, r...)
	}
	if c.hasBracket() {
		ok, r := qualifiesByAge(p, c)
		if ok {
			return reasons
		}
		why = append(why, r)
	}
	return append(reasons, why...)
}

func qualifiesByCategory(p *person.Person, c Criteria, codes []string, cat *category.Catalogue) (bool, []msg.Msg) {
	var notes []msg.Msg
	for _, code := range codes {
		if !p.HasCategory(code) {
			continue
		}
		if code == category.Youth {
			if age, known := p.BirthDate.AgeOn(c.RefDate); known && (age < cat.YouthMin || age > cat.YouthMax) {
				notes = append(notes, msg.New("conform.youth_age", "category", categoryEnum(code), "age", msg.Plain(age), "date", isoDate(c.RefDate), "min", msg.Plain(cat.YouthMin), "max", msg.Plain(cat.YouthMax)))
				continue
			}
		}
		return true, nil
	}
	if len(notes) == 0 {
		notes = append(notes, msg.New("conform.no_category", "categories", categoryList(codes)))
	}
	return false, notes
}

func qualifiesByAge(p *person.Person, c Criteria) (bool, msg.Msg) {
	if !c.RefDate.Complete() {
		return false, msg.New("conform.no_ref_date", "bracket", c.bracket())
	}
	age, ok := p.BirthDate.AgeOn(c.RefDate)
	if !ok {
		if p.BirthDate.IsZero() {
			return false, msg.New("conform.birth_unknown", "date", isoDate(c.RefDate), "bracket", c.bracket())
		}
		return false, msg.New("conform.birth_incomplete", "birth", msg.Raw(p.BirthDate.String()), "date", isoDate(c.RefDate), "bracket", c.bracket())
	}
	if (c.AgeMin > 0 && age < c.AgeMin) || (c.AgeMax > 0 && age > c.AgeMax) {
		return false, msg.New("conform.outside", "age", msg.Plain(age), "date", isoDate(c.RefDate), "bracket", c.bracket())
	}
	return true, msg.Msg{}
}

// kindList is a list of kinds, shown by their names.
func kindList(ks []person.Kind) []any {
	out := make([]any, len(ks))
	for i, k := range ks {
		out[i] = msg.Enum{Kind: "kind", Code: string(k)}
	}
	return out
}

func containsKind(ks []person.Kind, k person.Kind) bool {
	for _, v := range ks {
		if v == k {
			return true
		}
	}
	return false
}

func joinKinds(ks []person.Kind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}
