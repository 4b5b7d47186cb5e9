package matching

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"parley/internal/matching/gen"
	"parley/internal/names"
	"parley/internal/person"
)

func date(y, m, d int) person.Date { return person.Date{Year: y, Month: m, Day: d} }

// crowd returns a generated registry of namesakes-rich records (common
// surnames repeat as in real registries), so that a match must beat real
// competition rather than an empty room.
var crowd = sync.OnceValue(func() []person.Person {
	d, err := gen.Generate(gen.Config{Registry: 10000, List: 0, Seed: 42, Noise: gen.DefaultNoise()})
	if err != nil {
		panic(err)
	}
	return d.Registry
})

func registryWith(targets ...person.Person) ([]person.Person, int) {
	base := crowd()
	reg := make([]person.Person, 0, len(base)+len(targets))
	reg = append(reg, base...)
	first := len(reg)
	reg = append(reg, targets...)
	return reg, first
}

// targetIndex is the crowd with target, indexed once for the tests that
// need nothing else.
var targetIndex = sync.OnceValues(func() (*Index, int) {
	reg, first := registryWith(target)
	return NewIndex(reg), first
})

var target = person.Person{
	Kind: person.KindPOW, Surname: "Шевченко", GivenNames: "Сергій", Patronymic: "Миколайович",
	BirthDate: date(1990, 3, 5), ServiceNumber: "АВ123456", Unit: "А1234", Rank: "сержант", Sex: "M",
}

// Each variation of how the other side writes the person must find him:
// as a match, or at least for review, and always the right row.
func TestVariationsFindThePerson(t *testing.T) {
	latinOnly := person.Person{Kind: person.KindPOW, SurnameLatin: "Kovalchuk", GivenNamesLatin: "Petro", PatronymicLatin: "Ivanovych", BirthDate: date(1985, 11, 20)}
	yoTarget := person.Person{Kind: person.KindPOW, Surname: "Ковальов", GivenNames: "Петро", Patronymic: "Федорович", BirthDate: date(1979, 1, 30)}
	apTarget := person.Person{Kind: person.KindPOW, Surname: "Григор'єв", GivenNames: "В'ячеслав", Patronymic: "Іванович", BirthDate: date(2001, 7, 14)}
	reg, first := registryWith(target, latinOnly, yoTarget, apTarget)
	want := map[string]int{"target": first, "latin-only": first + 1, "yo": first + 2, "apostrophe": first + 3}

	cases := []struct {
		name, who string
		p         person.Person
		strict    bool // must be a match, not only review
		reason    []string
	}{
		{"same", "target", target, true, []string{"surname agree", "given agree", "birth_date agree"}},
		{"russian forms", "target", person.Person{Surname: "Шевченко", GivenNames: "Сергей", Patronymic: "Николаевич", BirthDate: date(1990, 3, 5)}, true,
			[]string{"given agree (Сергей≈Сергій)", "patronymic agree (Николаевич≈Миколайович)"}},
		{"latin national system", "target", person.Person{SurnameLatin: "Shevchenko", GivenNamesLatin: "Serhii", PatronymicLatin: "Mykolaiovych", BirthDate: date(1990, 3, 5)}, true, nil},
		{"latin informal russian", "target", person.Person{SurnameLatin: "Shevchenko", GivenNamesLatin: "Sergey", PatronymicLatin: "Nikolayevich", BirthDate: date(1990, 3, 5)}, true, nil},
		{"typo in surname", "target", person.Person{Surname: "Шевчнеко", GivenNames: "Сергей", Patronymic: "Николаевич", BirthDate: date(1990, 3, 5)}, true, []string{"surname typo (Шевчнеко~Шевченко)"}},
		{"typo in given name", "target", person.Person{Surname: "Шевченко", GivenNames: "Сергнй", Patronymic: "Николаевич", BirthDate: date(1990, 3, 5)}, true, nil},
		{"missing patronymic", "target", person.Person{Surname: "Шевченко", GivenNames: "Сергей", BirthDate: date(1990, 3, 5)}, false, []string{"patronymic missing"}},
		{"initials", "target", person.Person{Surname: "Шевченко", GivenNames: "С. Н.", BirthDate: date(1990, 3, 5)}, false, []string{"given initial", "patronymic initial"}},
		{"initials without spaces", "target", person.Person{Surname: "ШЕВЧЕНКО", GivenNames: "С.Н.", BirthDate: date(1990, 3, 5)}, false, nil},
		{"given and surname swapped", "target", person.Person{Surname: "Сергей", GivenNames: "Шевченко", Patronymic: "Николаевич", BirthDate: date(1990, 3, 5)}, true, []string{"given name and surname swapped"}},
		{"day and month swapped", "target", person.Person{Surname: "Шевченко", GivenNames: "Сергей", Patronymic: "Николаевич", BirthDate: date(1990, 5, 3)}, true, []string{"birth_date day/month swapped"}},
		{"one digit of the date wrong", "target", person.Person{Surname: "Шевченко", GivenNames: "Сергей", Patronymic: "Николаевич", BirthDate: date(1991, 3, 5)}, true, []string{"birth_date one digit differs"}},
		{"year of birth only", "target", person.Person{Surname: "Шевченко", GivenNames: "Сергей", Patronymic: "Николаевич", BirthDate: person.Date{Year: 1990}}, false, []string{"birth_date year only"}},
		{"no date, service number written differently", "target", person.Person{Surname: "Шевченко", GivenNames: "Сергей", ServiceNumber: "ab 123-456"}, true, []string{"service_number agree"}},
		{"latin look-alike letters", "target", person.Person{Surname: "Шевчeнко", GivenNames: "Сергiй", Patronymic: "Миколайович", BirthDate: date(1990, 3, 5)}, true, nil},
		{"full name in one field", "target", person.Person{Surname: "Шевченко Сергей Николаевич", BirthDate: date(1990, 3, 5)}, true, nil},
		{"registry holds only Latin", "latin-only", person.Person{Surname: "Ковальчук", GivenNames: "Пётр", Patronymic: "Иванович", BirthDate: date(1985, 11, 20)}, true, nil},
		{"ё in the Russian form", "yo", person.Person{Surname: "Ковалёв", GivenNames: "Пётр", Patronymic: "Фёдорович", BirthDate: date(1979, 1, 30)}, true, nil},
		{"apostrophe variants", "apostrophe", person.Person{Surname: "Григорʼєв", GivenNames: "Вячеслав", Patronymic: "Иванович", BirthDate: date(2001, 7, 14)}, true, nil},
	}
	list := make([]person.Person, len(cases))
	for i, c := range cases {
		list[i] = c.p
	}
	results, err := Match(context.Background(), list, reg, DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		r := results[i]
		reason := r.Reason()
		if r.RegistryIndex != want[c.who] {
			t.Errorf("%s: registry row %d (%s, %.3f), want %d; %s", c.name, r.RegistryIndex, r.Decision, r.Score, want[c.who], reason)
			continue
		}
		if c.strict && r.Decision != DecisionMatch {
			t.Errorf("%s: decision %s (score %.3f), want match; %s", c.name, r.Decision, r.Score, reason)
		}
		if r.Decision == DecisionNone {
			t.Errorf("%s: decision none", c.name)
		}
		for _, part := range c.reason {
			if !strings.Contains(reason, part) {
				t.Errorf("%s: reason %q lacks %q", c.name, reason, part)
			}
		}
	}
}

// A different person with the same common surname and given name must not
// be reported as a match.
func TestNamesakeIsNotAMatch(t *testing.T) {
	ix, first := targetIndex()
	list := []person.Person{
		{Surname: "Шевченко", GivenNames: "Сергей", Patronymic: "Петрович", BirthDate: date(1985, 11, 20)},
		{Surname: "Шевченко", GivenNames: "Сергей", BirthDate: date(1972, 8, 9)},
		{Surname: "Шевченко", GivenNames: "Сергей", Patronymic: "Николаевич", BirthDate: date(1972, 8, 19), ServiceNumber: "КМ998877"},
	}
	results, err := ix.MatchAll(context.Background(), list, DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		if r.Decision == DecisionMatch {
			t.Errorf("row %d: %s matched registry row %d with score %.3f: %s", i, list[i].FullName(), r.RegistryIndex, r.Score, r.Reason())
		}
		if r.Decision == DecisionNone && r.RegistryIndex != -1 {
			t.Errorf("row %d: decision none but registry row %d", i, r.RegistryIndex)
		}
		if len(r.Candidates) > 0 && r.Candidates[0].RegistryIndex == first && !strings.Contains(r.Reason(), "birth_date disagree") {
			t.Errorf("row %d: reason does not say the date disagrees: %s", i, r.Reason())
		}
	}
}

func TestEveryListRowOnceAndSharedRowsFlagged(t *testing.T) {
	ix, first := targetIndex()
	twin := person.Person{Surname: "Шевченко", GivenNames: "Сергей", Patronymic: "Николаевич", BirthDate: date(1990, 3, 5)}
	list := []person.Person{
		twin,
		{Surname: "Зюзюкало", GivenNames: "Вітольд", BirthDate: date(1950, 1, 1)}, // nobody
		{},   // an empty row
		twin, // the same person listed twice
	}
	var calls []int
	results, err := ix.MatchAll(context.Background(), list, Config{
		MatchThreshold: 0.9, ReviewThreshold: 0.5, Weights: DefaultWeights(), PriorPresent: 0.5, MaxBlock: 5000, Workers: 2,
	}, func(done, total int) {
		if total != len(list) {
			t.Errorf("progress total %d, want %d", total, len(list))
		}
		calls = append(calls, done)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != len(list) {
		t.Fatalf("%d results for %d rows", len(results), len(list))
	}
	for i, r := range results {
		if r.ListIndex != i {
			t.Errorf("result %d has list index %d", i, r.ListIndex)
		}
	}
	if len(calls) == 0 || calls[len(calls)-1] != len(list) {
		t.Errorf("progress calls %v, want a last call with %d", calls, len(list))
	}
	if results[0].RegistryIndex != first || results[3].RegistryIndex != first {
		t.Fatalf("twins matched %d and %d, want %d", results[0].RegistryIndex, results[3].RegistryIndex, first)
	}
	if got := results[0].AlsoBestFor; len(got) != 1 || got[0] != 3 {
		t.Errorf("AlsoBestFor of row 0 = %v, want [3]", got)
	}
	if !strings.Contains(results[3].Reason(), "registry row also best for list row 1") {
		t.Errorf("reason of row 3 = %q", results[3].Reason())
	}
	for _, i := range []int{1, 2} {
		if results[i].Decision != DecisionNone || results[i].RegistryIndex != -1 {
			t.Errorf("row %d: %s %d, want none -1", i, results[i].Decision, results[i].RegistryIndex)
		}
	}
	if results[2].Reason() != "no candidate in the registry" {
		t.Errorf("reason of an empty row = %q", results[2].Reason())
	}
}

func TestIndexBestAndCompare(t *testing.T) {
	ix, first := targetIndex()
	if ix.Len() != len(crowd())+1 {
		t.Fatalf("Len = %d", ix.Len())
	}
	inquiry := person.Person{SurnameLatin: "Shevchenko", GivenNamesLatin: "Sergei", BirthDate: date(1990, 3, 5)}
	r := ix.Best(inquiry, DefaultConfig())
	if r.RegistryIndex != first || r.Decision != DecisionMatch {
		t.Fatalf("Best = %d %s %.3f: %s", r.RegistryIndex, r.Decision, r.Score, r.Reason())
	}
	if len(r.Candidates) == 0 || len(r.Candidates) > 3 || r.Candidates[0].RegistryIndex != first || r.Candidates[0].Score != r.Score {
		t.Errorf("candidates %v", r.Candidates)
	}
	for i := 1; i < len(r.Candidates); i++ {
		if r.Candidates[i].Score > r.Candidates[i-1].Score {
			t.Errorf("candidates not sorted: %v", r.Candidates)
		}
	}
	explained := r.Describe(func(list bool, i int) string {
		if list {
			return "L"
		}
		return "R"
	}, true)
	if !strings.Contains(explained, "surname agree (Shevchenko≈Шевченко) +") || !strings.Contains(explained, "unit missing +0.0") {
		t.Errorf("explained reason %q", explained)
	}
	fields := ix.Compare(inquiry, first, DefaultConfig())
	if len(fields) != 8 || fields[0].Field != "surname" || fields[0].Outcome != OutcomeAgree || fields[3].Outcome != OutcomeAgree {
		t.Errorf("Compare = %+v", fields)
	}
	var sum float64
	for _, f := range r.Fields {
		sum += f.Weight
	}
	if sum < 10 {
		t.Errorf("total weight of a clear match = %.1f", sum)
	}
}

func TestConfigAndCancellation(t *testing.T) {
	reg := []person.Person{target}
	bad := []Config{
		{MatchThreshold: 0.5, ReviewThreshold: 0.9, PriorPresent: 0.5},
		{MatchThreshold: 0.9, ReviewThreshold: 0.5, PriorPresent: 0},
		{MatchThreshold: 1.5, ReviewThreshold: 0.5, PriorPresent: 0.5},
	}
	for _, c := range bad {
		if _, err := Match(context.Background(), []person.Person{target}, reg, c, nil); err == nil {
			t.Errorf("config %+v accepted", c)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Match(ctx, []person.Person{target}, reg, DefaultConfig(), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v", err)
	}
}

// A small end-to-end check of quality on generated data (the benchmark
// under bench/matching measures the large sizes).
func TestF1OnGeneratedData(t *testing.T) {
	d, err := gen.Generate(gen.Config{Registry: 20000, List: 2000, Seed: 7, Noise: gen.DefaultNoise()})
	if err != nil {
		t.Fatal(err)
	}
	results, err := Match(context.Background(), d.List, d.Registry, DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var tp, fp, present int
	for i, r := range results {
		if d.Truth[i] >= 0 {
			present++
		}
		if r.Decision != DecisionMatch {
			continue
		}
		if r.RegistryIndex == d.Truth[i] {
			tp++
		} else {
			fp++
		}
	}
	precision, recall := float64(tp)/float64(tp+fp), float64(tp)/float64(present)
	f1 := 2 * precision * recall / (precision + recall)
	t.Logf("precision %.4f recall %.4f F1 %.4f", precision, recall, f1)
	if f1 < 0.97 {
		t.Errorf("F1 %.4f < 0.97 (precision %.4f, recall %.4f)", f1, precision, recall)
	}
	if precision < 0.99 {
		t.Errorf("precision %.4f < 0.99: wrong matches tell families the wrong thing", precision)
	}
}

func BenchmarkMatch10kx100k(b *testing.B) {
	d, err := gen.Generate(gen.Config{Registry: 100000, List: 10000, Seed: 1, Noise: gen.DefaultNoise()})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Match(context.Background(), d.List, d.Registry, DefaultConfig(), nil); err != nil {
			b.Fatal(err)
		}
	}
}

// TestHardCasesSurfaced reads testdata/hard_cases.json: rows whose record
// scores too low for a match (a missing date of birth among namesakes, a
// swapped or one-digit date, a one-letter slip in the surname) must go at
// least to review, with the right registry row as the best candidate and
// reason codes for every candidate shown.
func TestHardCasesSurfaced(t *testing.T) {
	b, err := os.ReadFile("testdata/hard_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		Cases []struct {
			Name     string          `json:"name"`
			Registry []person.Person `json:"registry"`
			List     person.Person   `json:"list"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	if len(fx.Cases) < 5 {
		t.Fatalf("only %d cases read", len(fx.Cases))
	}
	for _, c := range fx.Cases {
		t.Run(c.Name, func(t *testing.T) {
			reg, first := registryWith(c.Registry...)
			ix := NewIndex(reg)
			r := ix.Best(c.List, DefaultConfig())
			if r.Decision == DecisionNone {
				t.Fatalf("decision none (score %.3f): %s", r.Score, r.Reason())
			}
			if r.RegistryIndex != first {
				t.Fatalf("best candidate %d, want %d: %s", r.RegistryIndex, first, r.Reason())
			}
			if r.Decision == DecisionReview && r.Score < DefaultConfig().ReviewThreshold && r.Rule == "" {
				t.Errorf("review below the threshold without a rule")
			}
			if len(r.Candidates) == 0 || len(r.Candidates) > 3 {
				t.Fatalf("%d candidates", len(r.Candidates))
			}
			for _, cand := range r.Candidates {
				if len(cand.Reasons) == 0 {
					t.Errorf("candidate %d has no reason codes", cand.RegistryIndex)
				}
				for _, code := range cand.Reasons {
					if strings.ContainsAny(code, " ;") {
						t.Errorf("reason %q is not a code", code)
					}
				}
			}
			t.Logf("%s score %.3f rule %q reasons %v", r.Decision, r.Score, r.Rule, r.Candidates[0].Reasons)

			// In a registry of a million with more namesakes the same row
			// scores far lower; the rules must carry it on their own.
			strict := DefaultConfig()
			strict.MatchThreshold, strict.ReviewThreshold = 1, 1
			if r := ix.Best(c.List, strict); r.Decision == DecisionNone || (r.Decision == DecisionReview && r.Rule == "") || r.RegistryIndex != first {
				t.Errorf("with thresholds of 1: decision %s rule %q best %d, want review of %d by a rule", r.Decision, r.Rule, r.RegistryIndex, first)
			}
		})
	}
}

// Without a plausible candidate a row stays at none: a stranger whose
// names share nothing with the registry must not fill the review queue.
func TestImplausibleStaysNone(t *testing.T) {
	ix, _ := targetIndex()
	for _, p := range []person.Person{
		{Surname: "Квітчастий", GivenNames: "Еммануїл", Patronymic: "Ферапонтович", BirthDate: date(1950, 1, 1)},
		{Surname: "Шевченко", GivenNames: "Сергій", Patronymic: "Миколайович", BirthDate: date(1970, 12, 28)}, // a namesake born 20 years apart
	} {
		if r := ix.Best(p, DefaultConfig()); r.Decision != DecisionNone {
			t.Errorf("%s %s: decision %s (rule %q): %s", p.Surname, p.BirthDate, r.Decision, r.Rule, r.Reason())
		}
	}
}

func TestSurnameSlips(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"Зиин", "Зимин", true}, {"Ббаев", "Бабаєв", true}, {"Зиин", "Зімін", true}, {"Зиин", "Зуев", false}, {"Шевченко", "Шевчук", false},
	} {
		ka, kb := names.KeyJoined(c.a), names.KeyJoined(c.b)
		if got := typoLike(ka, kb); got != c.want {
			t.Errorf("typoLike(%s %s, %s %s) = %v", c.a, ka, c.b, kb, got)
		}
	}
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"Франк", "Франя", true}, {"Зиин", "Зімін", true}, {"Зиин", "Зуев", false}, {"ОЛЕЙНИК", "Олійник", true}, {"Коваль", "Ковальчук", false},
	} {
		if got := surnameSlip(&person.Person{Surname: c.a}, &person.Person{Surname: c.b}); got != c.want {
			t.Errorf("surnameSlip(%s, %s) = %v", c.a, c.b, got)
		}
	}
}

// TestRuleRefusesChanceAgreement: the review rules must not lift a
// candidate that agrees only as chance makes namesakes agree in a large
// registry — a patronymic naming another father beside a date merely near.
// With thresholds of 1, nothing but a rule can send the row to review.
func TestRuleRefusesChanceAgreement(t *testing.T) {
	tests := []struct {
		name     string
		registry person.Person
		list     person.Person
		want     Rule
	}{
		{
			name:     "another father, date one digit off",
			registry: person.Person{Kind: person.KindPOW, Surname: "Коваль", GivenNames: "Леонід", Patronymic: "Ігорович", BirthDate: date(1983, 9, 10), Sex: "M"},
			list:     person.Person{Kind: person.KindPOW, Surname: "Коваль", GivenNames: "Леонид", Patronymic: "Анатольевич", BirthDate: date(1983, 1, 10)},
			want:     "",
		},
		{
			name:     "another father, day and month swapped",
			registry: person.Person{Kind: person.KindPOW, Surname: "Коваль", GivenNames: "Леонід", Patronymic: "Ігорович", BirthDate: date(1983, 9, 10), Sex: "M"},
			list:     person.Person{Kind: person.KindPOW, Surname: "Коваль", GivenNames: "Леонид", Patronymic: "Анатольевич", BirthDate: date(1983, 10, 9)},
			want:     "",
		},
		{
			name:     "another father, date agreeing to the day",
			registry: person.Person{Kind: person.KindPOW, Surname: "Коваль", GivenNames: "Леонід", Patronymic: "Ігорович", BirthDate: date(1983, 9, 10), Sex: "M"},
			list:     person.Person{Kind: person.KindPOW, Surname: "Коваль", GivenNames: "Леонид", Patronymic: "Анатольевич", BirthDate: date(1983, 9, 10)},
			want:     RuleNamesBirthDate,
		},
		{
			name:     "full name agreeing, no date on the list, another service number",
			registry: person.Person{Kind: person.KindPOW, Surname: "Крюгер", GivenNames: "Дмитро", Patronymic: "Романович", BirthDate: date(2004, 10, 31), ServiceNumber: "АТ954788", Sex: "M"},
			list:     person.Person{Kind: person.KindPOW, Surname: "Крюгер", GivenNames: "Дмитро", ServiceNumber: "КМ130226"},
			want:     "",
		},
		{
			name:     "full name agreeing, no date on the list, service number one digit off",
			registry: person.Person{Kind: person.KindPOW, Surname: "Крюгер", GivenNames: "Дмитро", Patronymic: "Романович", BirthDate: date(2004, 10, 31), ServiceNumber: "АТ954788", Sex: "M"},
			list:     person.Person{Kind: person.KindPOW, Surname: "Крюгер", GivenNames: "Дмитро", ServiceNumber: "АТ954789"},
			want:     RuleFullName,
		},
		{
			name:     "no patronymic on the list, date one digit off",
			registry: person.Person{Kind: person.KindPOW, Surname: "Коваль", GivenNames: "Леонід", Patronymic: "Ігорович", BirthDate: date(1983, 9, 10), Sex: "M"},
			list:     person.Person{Kind: person.KindPOW, Surname: "Коваль", GivenNames: "Леонид", BirthDate: date(1983, 9, 19)},
			want:     RuleFullName,
		},
	}
	strict := DefaultConfig()
	strict.MatchThreshold, strict.ReviewThreshold = 1, 1
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg, first := registryWith(tt.registry)
			r := NewIndex(reg).Best(tt.list, strict)
			if tt.want == "" {
				if r.Decision != DecisionNone {
					t.Fatalf("decision %s rule %q, want none: %s", r.Decision, r.Rule, r.Reason())
				}
				return
			}
			if r.Decision != DecisionReview || r.Rule != tt.want || r.RegistryIndex != first {
				t.Fatalf("decision %s rule %q best %d, want review by %q of %d: %s", r.Decision, r.Rule, r.RegistryIndex, tt.want, first, r.Reason())
			}
		})
	}
}
