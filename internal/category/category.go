// Package category defines the categories that lists give their persons
// (wounded, seriously ill, youth, and any an operator adds), with labels in
// English, Ukrainian and Russian and the synonyms that real spreadsheets use.
//
// The built-in synonyms include the exact labels of the first list of 640
// prisoners handed over at Istanbul in June 2025: 'wounded', 'тяжело болен',
// 'юность'.
package category

import (
	"sort"
	"strings"
	"unicode"

	"parley/internal/msg"
	"parley/internal/person"
)

// Canonical codes of the built-in categories.
const (
	Wounded      = "wounded"
	SeriouslyIll = "seriously_ill"
	Youth        = "youth"
)

// Category is one category with its labels and import synonyms.
type Category struct {
	Code     string            `json:"code"`
	Labels   map[string]string `json:"labels"`   // language ("en", "uk", "ru") → label
	Synonyms []string          `json:"synonyms"` // import forms in any language
	// Medical marks categories that qualify for direct repatriation under
	// Art. 109–110 (seriously wounded and seriously sick).
	Medical bool `json:"medical"`
}

// Label returns the label in the language, falling back to English and then
// the code.
func (c Category) Label(lang string) string {
	if l := c.Labels[lang]; l != "" {
		return l
	}
	if l := c.Labels["en"]; l != "" {
		return l
	}
	return c.Code
}

// Builtin returns the built-in categories.
func Builtin() []Category {
	return []Category{
		{
			Code:    Wounded,
			Labels:  map[string]string{"en": "Wounded", "uk": "Поранений", "ru": "Раненый"},
			Medical: true,
			Synonyms: []string{
				"wounded", "seriously wounded", "severely wounded", "injured", "seriously injured",
				"раненый", "ранен", "ранена", "раненая", "раненые", "ранение", "тяжелораненый", "тяжелораненая", "тяжело ранен", "тяжело ранена", "тяжело раненый", "тяжелое ранение",
				"поранений", "поранена", "поранені", "поранення", "важкопоранений", "важкопоранена", "важко поранений", "тяжкопоранений",
			},
		},
		{
			Code:    SeriouslyIll,
			Labels:  map[string]string{"en": "Seriously ill", "uk": "Важкохворий", "ru": "Тяжелобольной"},
			Medical: true,
			Synonyms: []string{
				"seriously ill", "severely ill", "seriously sick", "severely sick", "ill", "sick", "gravely ill",
				"тяжело болен", "тяжело больна", "тяжело больной", "тяжелобольной", "тяжелобольная", "тяжелобольные", "болен", "больной", "больна", "тяжелое заболевание",
				"важкохворий", "важкохвора", "важкохворі", "важко хворий", "важко хвора", "тяжкохворий", "хворий", "хвора", "тяжко хворий",
			},
		},
		{
			Code:   Youth,
			Labels: map[string]string{"en": "Youth (18–25)", "uk": "Молодь (18–25)", "ru": "Молодёжь (18–25)"},
			Synonyms: []string{
				"youth", "young", "young people", "young soldier", "young soldiers", "aged 18-25", "18-25",
				"юность", "молодёжь", "молодежь", "молодой", "молодые", "юноша", "юноши",
				"молодь", "молодий", "молоді", "юнак", "юнаки", "юність",
			},
		},
	}
}

// Catalogue resolves category labels to canonical codes. The zero value is
// not usable; build one with NewCatalogue.
type Catalogue struct {
	cats  []Category
	index map[string]string // normalised synonym → code
	// YouthMin and YouthMax bound the age, inclusive, at which a person
	// counts as youth when the category is derived from the date of birth.
	YouthMin, YouthMax int
}

// NewCatalogue returns a catalogue with the built-in categories and any
// extra ones. An extra category whose synonym is already taken is an error.
func NewCatalogue(extra ...Category) (*Catalogue, error) {
	c := &Catalogue{index: map[string]string{}, YouthMin: 18, YouthMax: 25}
	for _, cat := range append(Builtin(), extra...) {
		if err := c.add(cat); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// MustDefault returns the catalogue of built-in categories.
func MustDefault() *Catalogue {
	c, err := NewCatalogue()
	if err != nil {
		panic(err)
	}
	return c
}

func (c *Catalogue) add(cat Category) error {
	if cat.Code == "" || strings.ContainsAny(cat.Code, " ;,") {
		return msg.NewError(nil, "err.category.code", "code", cat.Code)
	}
	for _, existing := range c.cats {
		if existing.Code == cat.Code {
			return msg.NewError(nil, "err.category.exists", "code", cat.Code)
		}
	}
	forms := append([]string{cat.Code}, cat.Synonyms...)
	for _, l := range cat.Labels {
		forms = append(forms, l)
	}
	for _, s := range forms {
		k := Normalize(s)
		if k == "" {
			continue
		}
		if other, ok := c.index[k]; ok && other != cat.Code {
			return msg.NewError(nil, "err.category.synonym", "code", cat.Code, "synonym", s, "other", other)
		}
		c.index[k] = cat.Code
	}
	c.cats = append(c.cats, cat)
	return nil
}

// All returns the categories, built-in first.
func (c *Catalogue) All() []Category { return c.cats }

// Get returns the category with the code.
func (c *Catalogue) Get(code string) (Category, bool) {
	for _, cat := range c.cats {
		if cat.Code == code {
			return cat, true
		}
	}
	return Category{}, false
}

// Resolve maps a label as found in a file to its canonical code.
func (c *Catalogue) Resolve(label string) (code string, ok bool) {
	code, ok = c.index[Normalize(label)]
	return code, ok
}

// ResolveAll splits a cell that may hold several labels (separated by ";",
// ",", "/", "|" or "+") and resolves each. Unknown labels are returned
// separately so that the caller can report them.
func (c *Catalogue) ResolveAll(cell string) (codes, unknown []string) {
	seen := map[string]bool{}
	for _, part := range strings.FieldsFunc(cell, func(r rune) bool {
		return r == ';' || r == ',' || r == '/' || r == '|' || r == '+' || r == '\n'
	}) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		code, ok := c.Resolve(part)
		if !ok {
			unknown = append(unknown, part)
			continue
		}
		if !seen[code] {
			seen[code] = true
			codes = append(codes, code)
		}
	}
	sort.Strings(codes)
	return codes, unknown
}

// IsMedical reports whether the code names a category that qualifies for
// direct repatriation (Art. 109–110).
func (c *Catalogue) IsMedical(code string) bool {
	cat, ok := c.Get(code)
	return ok && cat.Medical
}

// DeriveYouth adds the youth category when the person's age on the reference
// date lies within the catalogue's bracket. It reports whether it added it.
func (c *Catalogue) DeriveYouth(p *person.Person, ref person.Date) bool {
	age, ok := p.BirthDate.AgeOn(ref)
	if !ok || age < c.YouthMin || age > c.YouthMax || p.HasCategory(Youth) {
		return false
	}
	p.AddCategory(Youth)
	return true
}

// Normalize folds a label for lookup: lower case, ё as е, Latin look-alike
// letters inside Cyrillic words as Cyrillic, punctuation as spaces, runs of
// space as one.
func Normalize(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.ReplaceAll(s, "ё", "е")
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		case r == '-' || r == '–':
			// "18-25" and "18–25" are the same label
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteByte('-')
		default:
			space = true
		}
	}
	return b.String()
}
