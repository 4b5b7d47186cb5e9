package negotiation

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"parley/internal/category"
	"parley/internal/person"
)

var (
	surnames = []string{"Шевченко", "Коваленко", "Бондаренко", "Ткаченко", "Кравченко", "Іваненко"}
	givens   = []string{"Петро", "Олег", "Ігор", "Юрій", "Андрій", "Микола"}
	ranks    = []string{"private", "sergeant", "officer", "colonel", "", "Рядовой"}
)

// randomPerson draws a person with dirty, partial data: unknown dates,
// year-only dates, several categories, odd ranks.
func randomPerson(rng *rand.Rand) person.Person {
	p := person.Person{Surname: surnames[rng.IntN(len(surnames))], GivenNames: givens[rng.IntN(len(givens))]}
	switch r := rng.IntN(10); {
	case r < 8:
		p.Kind = person.KindPOW
	case r < 9:
		p.Kind = person.KindCivilian
	default:
		p.Kind = person.KindRemains
	}
	if rng.IntN(5) == 0 {
		p.Kind = "" // read as a prisoner of war
	}
	for _, c := range []string{category.Wounded, category.SeriouslyIll, category.Youth} {
		if rng.IntN(3) == 0 {
			p.AddCategory(c)
		}
	}
	switch rng.IntN(4) {
	case 0:
	case 1:
		p.BirthDate = person.Date{Year: 1960 + rng.IntN(48)}
	default:
		p.BirthDate = person.Date{Year: 1960 + rng.IntN(48), Month: 1 + rng.IntN(12), Day: 1 + rng.IntN(28)}
	}
	if rng.IntN(3) > 0 {
		p.CaptureDate = person.Date{Year: 2022 + rng.IntN(4), Month: 1 + rng.IntN(12), Day: 1 + rng.IntN(28)}
	}
	if rng.IntN(2) == 0 {
		p.ServiceNumber = fmt.Sprintf("SN%d", rng.IntN(1000))
	}
	p.Rank = ranks[rng.IntN(len(ranks))]
	return p
}

// randomInput draws a plan input of up to n rows per side for the rule.
func randomInput(rng *rand.Rand, rule Rule, n int) PlanInput {
	in := PlanInput{Rule: rule}
	for s, party := range []string{"A", "B"} {
		m := rng.IntN(n + 1)
		es := make([]Entry, 0, m)
		for i := 0; i < m; i++ {
			p := randomPerson(rng)
			if i > 0 && rng.IntN(20) == 0 {
				// the same person again on another row
				p = es[rng.IntN(len(es))].Person
			}
			es = append(es, Entry{Row: i + 1 + rng.IntN(3)*1000, Person: p})
		}
		// keep rows unique
		seen := map[int]bool{}
		out := es[:0]
		for _, e := range es {
			if !seen[e.Row] {
				seen[e.Row] = true
				out = append(out, e)
			}
		}
		in.Sides[s] = SideList{Party: party, ListID: "L" + party, Entries: out}
	}
	if rng.IntN(3) > 0 {
		in.Capacity = rng.IntN(n + 1)
	}
	in.CountKindsTogether = rng.IntN(2) == 0
	if rng.IntN(2) == 0 {
		in.RefDate = person.Date{Year: 2025, Month: 6, Day: 2}
	}
	keys := []string{PriorityMedical, PriorityYoungest, PriorityLongestCaptivity, PriorityRow}
	if rng.IntN(2) == 0 {
		rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		in.Priority = keys[:1+rng.IntN(len(keys))]
	}
	pool := []string{category.Wounded, category.SeriouslyIll, category.Youth}
	if rule == Unilateral {
		pool = pool[:2]
	}
	rng.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	k := rng.IntN(len(pool) + 1)
	if rule == OneForOnePerCategory && k == 0 {
		k = 1
	}
	in.Categories = pool[:k]
	if rule == Weighted {
		in.Scale = map[string]float64{"private": 1, "sergeant": 2, "officer": 5}
		switch rng.IntN(3) {
		case 0:
			in.Scale["default"] = 1
		case 1:
			in.Scale = map[string]float64{"private": 0.5, "sergeant": 1.5, "officer": 4.25, "default": 0.75}
		}
	}
	return in
}

// TestPlanProperties plans many random inputs under every rule and checks
// what must always hold: the plan passes Check, every row is decided once
// with a reason, totals add up, capacity holds, and nothing that could be
// released is left out for capacity while capacity remains.
func TestPlanProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(2025, 6))
	cat := category.MustDefault()
	runs := 150
	if testing.Short() {
		runs = 30
	}
	for _, rule := range Rules() {
		for run := 0; run < runs; run++ {
			in := randomInput(rng, rule, 60)
			name := fmt.Sprintf("%s/%d", rule, run)
			p, err := Plan(in, cat)
			if err != nil {
				t.Fatalf("%s: Plan: %v", name, err)
			}
			st, err := p.Stage(in, basisFor(rule), cat)
			if err != nil {
				t.Fatalf("%s: Stage: %v", name, err)
			}
			if err := Check(st, cat); err != nil {
				t.Fatalf("%s: plan fails Check: %v\n(capacity %d, categories %v, priority %v, together %v, %d and %d rows)",
					name, err, in.Capacity, in.Categories, in.Priority, in.CountKindsTogether, len(in.Sides[0].Entries), len(in.Sides[1].Entries))
			}
			for s, side := range p.Sides {
				decided := map[int]int{}
				for _, d := range side.Released {
					decided[d.Row]++
					if strings.HasPrefix(d.Reason, "left out") || d.Reason == "" {
						t.Errorf("%s: released row %d with reason %q", name, d.Row, d.Reason)
					}
				}
				capacityOut := 0
				for _, d := range side.LeftOut {
					decided[d.Row]++
					if !strings.HasPrefix(d.Reason, "left out: ") {
						t.Errorf("%s: left-out row %d with reason %q", name, d.Row, d.Reason)
					}
					if strings.HasPrefix(d.Reason, "left out: capacity") {
						capacityOut++
					}
				}
				for _, e := range in.Sides[s].Entries {
					if decided[e.Row] != 1 {
						t.Errorf("%s: side %s row %d decided %d times", name, side.Party, e.Row, decided[e.Row])
					}
				}
				if len(decided) != len(in.Sides[s].Entries) {
					t.Errorf("%s: side %s: %d decisions for %d rows", name, side.Party, len(decided), len(in.Sides[s].Entries))
				}
				sum := 0
				for k, v := range side.Totals {
					if k != TotalKey {
						sum += v
					}
				}
				if sum != len(side.Released) || side.Totals[TotalKey] != len(side.Released) {
					t.Errorf("%s: totals %v for %d released", name, side.Totals, len(side.Released))
				}
				if in.Capacity > 0 && len(side.Released) > in.Capacity {
					t.Errorf("%s: %d released over capacity %d", name, len(side.Released), in.Capacity)
				}
				if capacityOut > 0 && len(side.Released) != in.Capacity {
					t.Errorf("%s: %d left out for capacity while only %d of %d are used", name, capacityOut, len(side.Released), in.Capacity)
				}
			}
			if rule == OneForOne && in.CountKindsTogether && len(p.Sides[0].Released) != len(p.Sides[1].Released) {
				// with the living counted together, remains still pair with remains,
				// so overall numbers are equal under one-for-one
				t.Errorf("%s: one-for-one released %d and %d", name, len(p.Sides[0].Released), len(p.Sides[1].Released))
			}
		}
	}
}
