package negotiation

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"parley/internal/category"
	"parley/internal/msg"
	"parley/internal/person"
)

func TestCheck(t *testing.T) {
	soldier := pow("Шевченко", "Тарас")
	wounded := pow("Коваленко", "Олег", category.Wounded)
	ill := pow("Бондаренко", "Ігор", category.SeriouslyIll)
	both := pow("Ткаченко", "Юрій", category.Wounded, category.SeriouslyIll)
	civ := mk(person.KindCivilian, "Мельник", "Анна")
	body := mk(person.KindRemains, "", "")
	art109 := LegalBasis{Code: BasisArt109}
	scale := map[string]float64{"private": 1, "sergeant": 2, "officer": 5}
	officer := pow("Кравченко", "Віктор")
	officer.Rank = "Officer"
	private := pow("Олійник", "Петро")
	private.Rank = "private"
	colonel := pow("Лисенко", "Павло")
	colonel.Rank = "colonel"
	half := pow("Гончар", "Ілля")
	half.Rank = "cadet"

	ivanenko := pow("Іваненко", "Петро")
	ivanenkoRel := []Release{{Party: "A", ListID: "L", Row: 14, Person: ivanenko, LegalBasis: art109}}

	dupA := pow("Савченко", "Андрій")
	dupA.BirthDate = date("1990-01-02")

	tests := []struct {
		name  string
		stage Stage
		want  []string // every problem's message, in order; nil for a stage that passes
	}{
		{"one-for-one equal", stage(Terms{Rule: OneForOne}, releases("A", "LA", 1, 5, soldier, agreement), releases("B", "LB", 1, 5, soldier, agreement)), nil},
		{"one-for-one counts", stage(Terms{Rule: OneForOne}, releases("A", "LA", 1, 212, soldier, agreement), releases("B", "LB", 1, 205, soldier, agreement)),
			[]string{"A releases 212, B releases 205 under one-for-one"}},
		{"empty stage passes", stage(Terms{Rule: OneForOne}, nil, nil), nil},
		{"one-for-one with categories filters",
			stage(Terms{Rule: OneForOne, Categories: []string{"wounded"}}, releases("A", "LA", 1, 1, wounded, agreement), releases("B", "LB", 1, 1, soldier, agreement)),
			[]string{"row 1 of list LB (Шевченко Тарас-1) is in none of the agreed categories wounded"}},
		{"category labels resolve", stage(Terms{Rule: OneForOne, Categories: []string{"тяжело болен"}}, releases("A", "LA", 1, 1, ill, agreement), releases("B", "LB", 1, 1, ill, agreement)), nil},
		{"unknown category", stage(Terms{Rule: OneForOne, Categories: []string{"pilots"}}, nil, nil),
			[]string{`category "pilots" is not in the catalogue`}},
		{"per category counts",
			stage(Terms{Rule: OneForOnePerCategory, Categories: []string{"seriously_ill", "wounded"}},
				concat(releases("A", "LA", 1, 10, ill, agreement), releases("A", "LA", 11, 5, wounded, agreement)),
				concat(releases("B", "LB", 1, 7, ill, agreement), releases("B", "LB", 8, 8, wounded, agreement))),
			[]string{
				"per category seriously_ill: A releases 10, B releases 7 under one-for-one-per-category",
				"per category wounded: A releases 5, B releases 8 under one-for-one-per-category",
			}},
		{"per category: a person in two categories counts under the first agreed one",
			stage(Terms{Rule: OneForOnePerCategory, Categories: []string{"wounded", "seriously_ill"}},
				releases("A", "LA", 1, 1, both, agreement), releases("B", "LB", 1, 1, ill, agreement)),
			[]string{
				"per category wounded: A releases 1, B releases 0 under one-for-one-per-category",
				"per category seriously_ill: A releases 0, B releases 1 under one-for-one-per-category",
			}},
		{"per category: the same pair passes when seriously_ill comes first",
			stage(Terms{Rule: OneForOnePerCategory, Categories: []string{"seriously_ill", "wounded"}},
				releases("A", "LA", 1, 1, both, agreement), releases("B", "LB", 1, 1, ill, agreement)), nil},
		{"per category without categories",
			stage(Terms{Rule: OneForOnePerCategory}, nil, nil),
			[]string{"one-for-one-per-category names no categories; the agreement must say which categories are counted"}},
		{"per category: a person outside every category",
			stage(Terms{Rule: OneForOnePerCategory, Categories: []string{"wounded"}},
				releases("A", "LA", 1, 1, wounded, agreement), concat(releases("B", "LB", 1, 1, wounded, agreement), releases("B", "LB", 2, 1, soldier, agreement))),
			[]string{"row 2 of list LB (Шевченко Тарас-2) is in none of the agreed categories wounded"}},
		{"all-for-all compares nothing", stage(Terms{Rule: AllForAll, Categories: []string{"wounded", "seriously_ill"}},
			releases("A", "LA", 1, 10, wounded, agreement), releases("B", "LB", 1, 3, ill, agreement)), nil},
		{"all-for-all without categories takes anyone", stage(Terms{Rule: AllForAll},
			releases("A", "LA", 1, 4, soldier, agreement), releases("B", "LB", 1, 1, civ, agreement)), nil},
		{"all-for-all outside categories", stage(Terms{Rule: AllForAll, Categories: []string{"wounded", "seriously_ill"}},
			releases("A", "LA", 1, 1, soldier, agreement), nil),
			[]string{"row 1 of list LA (Шевченко Тарас-1) is in none of the agreed categories wounded, seriously_ill"}},
		{"unilateral by one side", stage(Terms{Rule: Unilateral}, releases("A", "LA", 1, 30, both, art109), nil), nil},
		{"unilateral by both sides, unequal", stage(Terms{Rule: Unilateral}, releases("A", "LA", 1, 30, wounded, art109), releases("B", "LB", 1, 2, ill, LegalBasis{Code: BasisArt110})), nil},
		{"unilateral non-medical", stage(Terms{Rule: Unilateral}, ivanenkoRel, nil),
			[]string{
				"row 14 of list L (Іваненко Петро) is released under Art. 109 but is not in a medical category",
				"row 14 of list L (Іваненко Петро) is not in a medical category; unilateral release under Art. 109/110 requires wounded or seriously_ill",
			}},
		{"unilateral outside the agreed medical category", stage(Terms{Rule: Unilateral, Categories: []string{"seriously_ill"}}, releases("A", "LA", 1, 1, wounded, art109), nil),
			[]string{"row 1 of list LA (Коваленко Олег-1) is in none of the agreed categories seriously_ill"}},
		{"unilateral needs Art. 109/110", stage(Terms{Rule: Unilateral}, releases("A", "LA", 1, 1, wounded, agreement), nil),
			[]string{`row 1 of list LA (Коваленко Олег-1): unilateral release rests on Art. 109 or Art. 110, not on special agreement "Istanbul 2025-06-02"`}},
		{"unilateral terms with a non-medical category", stage(Terms{Rule: Unilateral, Categories: []string{"youth"}}, nil, nil),
			[]string{"category youth is not medical; unilateral release under Art. 109/110 covers only the seriously wounded and seriously sick"}},
		{"unilateral civilian", stage(Terms{Rule: Unilateral}, releases("A", "LA", 1, 1, mk(person.KindCivilian, "Мельник", "Анна", category.Wounded), art109), nil),
			[]string{"row 1 of list LA (Мельник Анна-1) is not a prisoner of war (kind civilian); Art. 109 of the Third Geneva Convention covers prisoners of war only"}},
		{"capacity exceeded", stage(Terms{Rule: OneForOne, Capacity: 300}, releases("A", "LA", 1, 301, soldier, agreement), releases("B", "LB", 1, 301, soldier, agreement)),
			[]string{"capacity 300 exceeded: A releases 301", "capacity 300 exceeded: B releases 301"}},
		{"capacity 0 is no limit", stage(Terms{Rule: OneForOne}, releases("A", "LA", 1, 500, soldier, agreement), releases("B", "LB", 1, 500, soldier, agreement)), nil},
		{"capacity smaller than the medical group", stage(Terms{Rule: Unilateral, Capacity: 2}, releases("A", "LA", 1, 3, both, art109), nil),
			[]string{"capacity 2 exceeded: A releases 3"}},
		{"negative capacity", stage(Terms{Rule: OneForOne, Capacity: -1}, nil, nil),
			[]string{"capacity -1 is negative (0 means no limit)"}},
		{"kinds counted separately",
			stage(Terms{Rule: OneForOne}, concat(releases("A", "LA", 1, 10, soldier, agreement), releases("A", "LA", 11, 5, civ, agreement)), releases("B", "LB", 1, 15, soldier, agreement)),
			[]string{
				"prisoners of war and civilian detainees are counted separately: A releases 10 prisoners of war, B releases 15",
				"prisoners of war and civilian detainees are counted separately: A releases 5 civilian detainees, B releases 0",
			}},
		{"kinds counted together by agreement",
			stage(Terms{Rule: OneForOne, CountKindsTogether: true}, concat(releases("A", "LA", 1, 10, soldier, agreement), releases("A", "LA", 11, 5, civ, agreement)), releases("B", "LB", 1, 15, soldier, agreement)), nil},
		{"living together, unequal",
			stage(Terms{Rule: OneForOne, CountKindsTogether: true}, releases("A", "LA", 1, 1, civ, agreement), releases("B", "LB", 1, 2, soldier, agreement)),
			[]string{"A releases 1, B releases 2 under one-for-one (prisoners of war and civilian detainees counted together by agreement)"}},
		{"remains only against remains, even when the living are counted together",
			stage(Terms{Rule: OneForOne, CountKindsTogether: true}, concat(releases("A", "LA", 1, 10, soldier, agreement), releases("A", "LA", 11, 3, body, agreement)), releases("B", "LB", 1, 13, soldier, agreement)),
			[]string{
				"living persons are counted separately from remains: A releases 10 living persons, B releases 13",
				"remains are counted only against remains: A releases 3 remains, B releases 0",
			}},
		{"remains against remains", stage(Terms{Rule: OneForOne}, releases("A", "LA", 1, 6, body, agreement), releases("B", "LB", 1, 6, body, agreement)), nil},
		{"remains under Art. 118", stage(Terms{Rule: AllForAll}, releases("A", "LA", 1, 1, body, LegalBasis{Code: BasisArt118}), nil),
			[]string{"row 1 of list LA (-1) is not a prisoner of war (kind remains); Art. 118 of the Third Geneva Convention covers prisoners of war only"}},
		{"row listed twice",
			stage(Terms{Rule: OneForOne}, concat(releases("A", "LA", 3, 1, soldier, agreement), releases("A", "LA", 3, 1, soldier, agreement)), releases("B", "LB", 1, 2, soldier, agreement)),
			[]string{"row 3 of list LA (Шевченко Тарас-3) is listed twice"}},
		{"same person on two rows",
			stage(Terms{Rule: OneForOne},
				[]Release{{Party: "A", ListID: "LA", Row: 1, Person: dupA, LegalBasis: agreement}},
				[]Release{{Party: "B", ListID: "LB", Row: 9, Person: dupA, LegalBasis: agreement}}),
			[]string{"row 9 of list LB (Савченко Андрій) is the same person as row 1 of list LA"}},
		{"namesakes without birth date are not duplicates",
			stage(Terms{Rule: OneForOne},
				[]Release{{Party: "A", ListID: "LA", Row: 1, Person: ivanenko, LegalBasis: agreement}, {Party: "A", ListID: "LA", Row: 2, Person: ivanenko, LegalBasis: agreement}},
				releases("B", "LB", 1, 2, soldier, agreement)), nil},
		{"legal basis problems",
			stage(Terms{Rule: AllForAll}, []Release{
				{Party: "A", ListID: "LA", Row: 1, Person: soldier},
				{Party: "A", ListID: "LA", Row: 2, Person: soldier, LegalBasis: LegalBasis{Code: BasisSpecialAgreement}},
				{Party: "A", ListID: "LA", Row: 3, Person: soldier, LegalBasis: LegalBasis{Code: BasisArt110}},
				{Party: "A", ListID: "LA", Row: 4, Person: civ, LegalBasis: LegalBasis{Code: BasisArt118}},
				{Party: "A", ListID: "LA", Row: 5, Person: soldier, LegalBasis: LegalBasis{Code: "art999"}},
				{Party: "A", ListID: "LA", Row: 6, Person: soldier, LegalBasis: LegalBasis{Code: BasisArt118}},
			}, nil),
			[]string{
				"row 1 of list LA (Шевченко Тарас) has no legal basis",
				"row 2 of list LA (Шевченко Тарас) is released under a special agreement that is not named",
				"row 3 of list LA (Шевченко Тарас) is released under Art. 110 but is not in a medical category",
				"row 4 of list LA (Мельник Анна) is not a prisoner of war (kind civilian); Art. 118 of the Third Geneva Convention covers prisoners of war only",
				`row 5 of list LA (Шевченко Тарас) has unknown legal basis "art999" (want art109, art110, art118 or special_agreement)`,
			}},
		{"parties",
			Stage{Terms: Terms{Rule: OneForOne}, Sides: [2]SideRelease{{Party: "A", Releases: []Release{{Party: "B", ListID: "LA", Row: 1, Person: soldier, LegalBasis: agreement}}}, {Party: "A"}}},
			[]string{
				"both sides are party A",
				"row 1 of list LA (Шевченко Тарас) names party B but is released by A",
				"A releases 1, A releases 0 under one-for-one",
			}},
		{"release without list row",
			stage(Terms{Rule: AllForAll}, []Release{{Party: "A", Row: 0, Person: soldier, LegalBasis: agreement}}, nil),
			[]string{`release of Шевченко Тарас by A names no list row (list "", row 0)`}},
		{"unknown kind",
			stage(Terms{Rule: AllForAll}, releases("A", "LA", 1, 1, mk("alien", "X", "Y"), agreement), nil),
			[]string{`row 1 of list LA (X Y-1) has unknown kind "alien" (want pow, civilian or remains)`}},
		{"unknown rule", stage(Terms{Rule: "two-for-one"}, nil, nil),
			[]string{`unknown rule "two-for-one" (want one of one-for-one, one-for-one-per-category, all-for-all, weighted, unilateral)`}},

		{"weighted equal", stage(Terms{Rule: Weighted, Scale: scale}, releases("A", "LA", 1, 2, officer, agreement), releases("B", "LB", 1, 10, private, agreement)), nil},
		{"weighted unequal", stage(Terms{Rule: Weighted, Scale: scale}, releases("A", "LA", 1, 2, officer, agreement), releases("B", "LB", 1, 9, private, agreement)),
			[]string{"A releases weight 10 (2 persons), B releases weight 9 (9 persons) under the weighted scale"}},
		{"weighted rank not on the scale", stage(Terms{Rule: Weighted, Scale: scale}, releases("A", "LA", 1, 1, colonel, agreement), releases("B", "LB", 1, 1, private, agreement)),
			[]string{
				`row 1 of list LA (Лисенко Павло-1) has rank "colonel", which the agreed scale does not list, and the scale has no default`,
				"A releases weight 0 (1 person), B releases weight 1 (1 person) under the weighted scale",
			}},
		{"weighted default prices unknown ranks", stage(Terms{Rule: Weighted, Scale: map[string]float64{"officer": 5, "default": 1}},
			releases("A", "LA", 1, 1, officer, agreement), concat(releases("B", "LB", 1, 3, colonel, agreement), releases("B", "LB", 4, 2, soldier, agreement))), nil},
		{"weighted fractional weights add up exactly", stage(Terms{Rule: Weighted, Scale: map[string]float64{"cadet": 0.1, "private": 0.3}},
			releases("A", "LA", 1, 3, half, agreement), releases("B", "LB", 1, 1, private, agreement)), nil},
		{"weighted kinds separately", stage(Terms{Rule: Weighted, Scale: map[string]float64{"default": 1}},
			concat(releases("A", "LA", 1, 2, soldier, agreement), releases("A", "LA", 3, 1, body, agreement)), releases("B", "LB", 1, 3, soldier, agreement)),
			[]string{
				"among prisoners of war: A releases weight 2 (2 persons), B releases weight 3 (3 persons) under the weighted scale",
				"among remains: A releases weight 1 (1 person), B releases weight 0 (0 persons) under the weighted scale",
			}},
		{"weighted without scale", stage(Terms{Rule: Weighted}, nil, nil), []string{"weighted rule without a scale of equivalents"}},
		{"weighted bad weights", stage(Terms{Rule: Weighted, Scale: map[string]float64{"a": 0, "b": -1, "c": 0.0001, "Private": 1, "private": 2}}, nil, nil),
			[]string{
				`scale weight of "a": 0 is not a positive number`,
				`scale weight of "b": -1 is not a positive number`,
				`scale weight of "c": 0.0001 is finer than 0.001`,
				`scale names rank "private" twice with different weights`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.stage, nil)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Check() = %v, want nil", err)
				}
				return
			}
			var re *RuleError
			if !errors.As(err, &re) {
				t.Fatalf("Check() = %v, want *RuleError", err)
			}
			var got []string
			for _, p := range re.Problems {
				got = append(got, p.Message)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems:\n got %q\nwant %q", got, tt.want)
			}
			if re.Error() != strings.Join(tt.want, "; ") {
				t.Errorf("Error() = %q", re.Error())
			}
			for _, lang := range []string{"uk", "ru"} {
				text := msg.Text(lang, re.Message())
				if w := englishIn(text); w != "" || strings.Contains(text, "check.") {
					t.Errorf("%s: %q holds English (%q) or a code", lang, text, w)
				}
			}
		})
	}
}

func TestRuleErrorFields(t *testing.T) {
	s := stage(Terms{Rule: OneForOnePerCategory, Categories: []string{"wounded"}},
		releases("A", "LA", 1, 2, pow("К", "О", category.Wounded), agreement), releases("B", "LB", 1, 1, pow("К", "О", category.Wounded), agreement))
	err := Check(s, nil)
	var re *RuleError
	if !errors.As(err, &re) {
		t.Fatalf("Check() = %v", err)
	}
	want := Problem{Code: ProblemParity, Category: "wounded", Kind: person.KindPOW,
		Message: "per category wounded: A releases 2, B releases 1 under one-for-one-per-category"}
	if len(re.Problems) != 1 {
		t.Fatalf("problems = %+v, want %+v", re.Problems, want)
	}
	got := re.Problems[0]
	if got.Why.Code != "check.parity_category" {
		t.Errorf("Why = %+v, want the code check.parity_category", got.Why)
	}
	got.Why = msg.Msg{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems = %+v, want %+v", re.Problems, want)
	}
	for lang, text := range map[string]string{
		"uk": "у категорії «поранені»: сторона A звільняє 2, сторона B — 1 за правилом «один за одного в кожній категорії»",
		"ru": "в категории «раненые»: сторона A освобождает 2, сторона B — 1 по правилу «один за одного в каждой категории»",
	} {
		if m := msg.Text(lang, re.Message()); m != text {
			t.Errorf("%s: %q, want %q", lang, m, text)
		}
	}
	if !re.Has(ProblemParity) || re.Has(ProblemCapacity) {
		t.Errorf("Has() wrong for %+v", re.Problems)
	}
}

func TestRuleErrorTruncates(t *testing.T) {
	// 15 persons outside the categories: the message names ten and counts the rest.
	s := stage(Terms{Rule: AllForAll, Categories: []string{"wounded"}}, releases("A", "LA", 1, 15, pow("Ш", "Т"), agreement), nil)
	var re *RuleError
	if !errors.As(Check(s, nil), &re) {
		t.Fatal("want a RuleError")
	}
	if len(re.Problems) != 15 {
		t.Fatalf("%d problems, want 15", len(re.Problems))
	}
	if msg := re.Error(); !strings.HasSuffix(msg, "; and 5 more problems") || strings.Count(msg, "row ") != 10 {
		t.Errorf("Error() = %q", msg)
	}
}

func TestTermsValidate(t *testing.T) {
	if err := (Terms{Rule: Weighted, Scale: map[string]float64{"default": 1}}).Validate(nil); err != nil {
		t.Errorf("valid terms: %v", err)
	}
	if err := (Terms{Rule: OneForOnePerCategory}).Validate(nil); err == nil {
		t.Error("per-category terms without categories must be refused")
	}
}

func TestCountingCategory(t *testing.T) {
	cat := category.MustDefault()
	tests := []struct {
		cats, rule []string
		want       string
	}{
		{[]string{"seriously_ill", "wounded"}, []string{"wounded", "seriously_ill"}, "wounded"},
		{[]string{"seriously_ill", "wounded"}, nil, "wounded"}, // catalogue order
		{[]string{"youth"}, []string{"wounded"}, "youth"},
		{[]string{"zz", "aa"}, nil, "aa"},
		{nil, []string{"wounded"}, NoCategory},
	}
	for _, tt := range tests {
		p := person.Person{Categories: tt.cats}
		if got := CountingCategory(&p, tt.rule, cat); got != tt.want {
			t.Errorf("CountingCategory(%v, %v) = %q, want %q", tt.cats, tt.rule, got, tt.want)
		}
	}
}

// englishIn returns the first word of the checker's English texts found in
// text: a breach rendered in Ukrainian or Russian must hold none.
func englishIn(text string) string {
	for _, w := range strings.Fields("releases release under list row persons person weight scale categories agreed legal basis party twice same unknown capacity exceeded") {
		for _, f := range strings.FieldsFunc(text, func(r rune) bool { return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') }) {
			if f == w {
				return w
			}
		}
	}
	return ""
}
