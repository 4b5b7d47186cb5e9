package matching

import (
	"testing"

	"parley/internal/person"
)

func TestCompareDates(t *testing.T) {
	p := func(y, m, d int) uint32 { return packDate(person.Date{Year: y, Month: m, Day: d}) }
	cases := []struct {
		a, b uint32
		want level
	}{
		{p(1990, 3, 5), p(1990, 3, 5), lvAgree},
		{p(1990, 3, 5), p(1990, 5, 3), lvSwapDM},
		{p(1990, 3, 5), p(1991, 3, 5), lvOneDigit},
		{p(1990, 3, 5), p(1990, 3, 15), lvOneDigit},
		{p(1987, 3, 5), p(1978, 3, 5), lvOneDigit}, // neighbouring digits transposed
		{p(1990, 3, 5), p(1990, 4, 6), lvDisagree},
		{p(1990, 0, 0), p(1990, 3, 5), lvYear},
		{p(1990, 3, 0), p(1990, 3, 5), lvYear},
		{p(1990, 4, 0), p(1990, 3, 5), lvDisagree},
		{p(1991, 0, 0), p(1990, 3, 5), lvDisagree},
		{p(1990, 0, 0), p(1990, 0, 0), lvYear},
		{0, p(1990, 3, 5), lvMissing},
		{p(1990, 3, 3), p(1990, 3, 3), lvAgree},
	}
	for _, c := range cases {
		if got := compareDates(c.a, c.b); got != c.want {
			y, m, d := unpackDate(c.a)
			y2, m2, d2 := unpackDate(c.b)
			t.Errorf("compareDates(%d-%d-%d, %d-%d-%d) = %v, want %v", y, m, d, y2, m2, d2, got, c.want)
		}
	}
}

func TestEditDistances(t *testing.T) {
	cases := []struct {
		a, b    string
		osa     int
		within1 bool
		typo    bool
	}{
		{"SevCenko", "SevCenko", 0, true, true},
		{"SevCenko", "SevCneko", 1, true, true},
		{"SevCenko", "SevCnko", 1, true, true},
		{"SevCenko", "SevCeenko", 1, true, true},
		{"pavli", "paiali", 2, false, false},      // too short for two edits
		{"kolosmai", "kialosmai", 2, false, true}, // Колошмай typed Кялошмай: я is two letters
		{"lazarev", "lazrev", 1, true, true},
		{"SevCenko", "SevCuk", 3, false, false},
		{"bondarenko", "kovalenko", 4, false, false},
		{"iakimenko", "akimenko", 1, true, true},
		{"gritsenko", "grinCenko", 2, false, true},
	}
	for _, c := range cases {
		if got := osaDistance(c.a, c.b); got != c.osa {
			t.Errorf("osaDistance(%s, %s) = %d, want %d", c.a, c.b, got, c.osa)
		}
		if got := osaWithin1(c.a, c.b); got != c.within1 {
			t.Errorf("osaWithin1(%s, %s) = %v", c.a, c.b, got)
		}
		if got := typoLike(c.a, c.b); got != c.typo {
			t.Errorf("typoLike(%s, %s) = %v, want %v", c.a, c.b, got, c.typo)
		}
		if bagDistance(c.a, c.b) > c.osa {
			t.Errorf("bagDistance(%s, %s) = %d exceeds the edit distance %d", c.a, c.b, bagDistance(c.a, c.b), c.osa)
		}
	}
}

func TestNormalisation(t *testing.T) {
	numbers := map[string]string{"АВ 123-456": "AB123456", "ab123456": "AB123456", " ХТ-12/34 ": "XT1234", "": ""}
	for in, want := range numbers {
		if got := normNumber(in); got != want {
			t.Errorf("normNumber(%q) = %q, want %q", in, got, want)
		}
	}
	units := map[string]string{"в/ч А1234": "A1234", "А1234": "A1234", "військова частина А1234": "A1234", "military unit A-1234": "A1234"}
	for in, want := range units {
		if got := normUnit(in); got != want {
			t.Errorf("normUnit(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNameParts(t *testing.T) {
	cases := []struct {
		p                      person.Person
		sur, given, patronymic string
	}{
		{person.Person{Surname: "Шевченко", GivenNames: "Сергій", Patronymic: "Миколайович"}, "Шевченко", "Сергій", "Миколайович"},
		{person.Person{Surname: "Шевченко Сергій Миколайович"}, "Шевченко", "Сергій", "Миколайович"},
		{person.Person{Surname: "Шевченко", GivenNames: "Сергій Миколайович"}, "Шевченко", "Сергій", "Миколайович"},
		{person.Person{Surname: "Шевченко", GivenNames: "С.М."}, "Шевченко", "С.", "М."},
		{person.Person{SurnameLatin: "Shevchenko", GivenNamesLatin: "Serhii"}, "Shevchenko", "Serhii", ""},
		{person.Person{Surname: "Шевченко", SurnameLatin: "Shevchenko", GivenNamesLatin: "Serhii"}, "Шевченко", "Serhii", ""},
		{person.Person{Surname: "Корж-Марченко", GivenNames: "Анна Марія"}, "Корж-Марченко", "Анна Марія", ""},
	}
	for _, c := range cases {
		s, g, p := nameParts(&c.p)
		if s != c.sur || g != c.given || p != c.patronymic {
			t.Errorf("nameParts(%+v) = %q %q %q, want %q %q %q", c.p, s, g, p, c.sur, c.given, c.patronymic)
		}
	}
	// A full name in one field prepares like the same name in three.
	r := newPreparer().prepare(&person.Person{Surname: "Шевченко Сергій Миколайович"})
	want := newPreparer().prepare(&person.Person{Surname: "Шевченко", GivenNames: "Сергій", Patronymic: "Миколайович"})
	if r.given != want.given || r.patrC != want.patrC || r.patrC == "" {
		t.Errorf("full name in one field: given %q patronymic %q, want %q %q", r.given, r.patrC, want.given, want.patrC)
	}
}

func TestInsertTopKeepsBestFirst(t *testing.T) {
	var top []scored
	for i, w := range []float64{3, 9, 1, 9, 7, 2} {
		top = insertTop(top, scored{id: int32(i), cmp: comparison{total: w}}, 3)
	}
	if len(top) != 3 || top[0].id != 1 || top[1].id != 3 || top[2].id != 4 {
		t.Errorf("top = %+v", top)
	}
}
