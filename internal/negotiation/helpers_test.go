package negotiation

import (
	"fmt"

	"parley/internal/person"
)

// mk builds a person of a kind with categories.
func mk(kind person.Kind, surname, given string, cats ...string) person.Person {
	p := person.Person{Kind: kind, Surname: surname, GivenNames: given}
	for _, c := range cats {
		p.AddCategory(c)
	}
	return p
}

func pow(surname, given string, cats ...string) person.Person {
	return mk(person.KindPOW, surname, given, cats...)
}

var agreement = LegalBasis{Code: BasisSpecialAgreement, Agreement: "Istanbul 2025-06-02"}

// releases builds n releases of one party from list, rows from start, all
// of the same shape as the template, under the basis.
func releases(party, list string, start, n int, tmpl person.Person, basis LegalBasis) []Release {
	out := make([]Release, n)
	for i := range out {
		p := tmpl
		p.Categories = append([]string(nil), tmpl.Categories...)
		p.GivenNames = fmt.Sprintf("%s-%d", tmpl.GivenNames, start+i)
		out[i] = Release{Party: party, ListID: list, Row: start + i, Person: p, LegalBasis: basis}
	}
	return out
}

// stage builds a stage of two parties A and B.
func stage(t Terms, a, b []Release) Stage {
	return Stage{Terms: t, Sides: [2]SideRelease{{Party: "A", Releases: a}, {Party: "B", Releases: b}}}
}

func concat(rs ...[]Release) []Release {
	var out []Release
	for _, r := range rs {
		out = append(out, r...)
	}
	return out
}

func date(s string) person.Date {
	d, err := person.ParseISODate(s)
	if err != nil {
		panic(err)
	}
	return d
}
