package negotiation

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"parley/internal/category"
)

// bigInput draws n persons per side with random categories, dates and ranks.
func bigInput(rule Rule, n int) PlanInput {
	rng := rand.New(rand.NewPCG(10000, uint64(len(rule))))
	in := PlanInput{Rule: rule, Capacity: n / 3, RefDate: date("2025-06-02")}
	for s, party := range []string{"A", "B"} {
		es := make([]Entry, n)
		for i := range es {
			p := randomPerson(rng)
			p.GivenNames = fmt.Sprintf("%s %d", p.GivenNames, i) // few namesakes
			es[i] = Entry{Row: i + 1, Person: p}
		}
		in.Sides[s] = SideList{Party: party, ListID: "L" + party, Entries: es}
	}
	switch rule {
	case OneForOnePerCategory, AllForAll:
		in.Categories = []string{category.SeriouslyIll, category.Wounded, category.Youth}
	case Weighted:
		in.Scale = map[string]float64{"private": 1, "sergeant": 2, "officer": 5, "default": 1}
	}
	return in
}

// BenchmarkPlan10k plans 10,000 persons per side under each rule.
func BenchmarkPlan10k(b *testing.B) {
	cat := category.MustDefault()
	for _, rule := range Rules() {
		in := bigInput(rule, 10000)
		b.Run(string(rule), func(b *testing.B) {
			start := cpuTime()
			for b.Loop() {
				if _, err := Plan(in, cat); err != nil {
					b.Fatal(err)
				}
			}
			// wall time suffers on a shared machine; CPU time says what the
			// planner itself costs
			b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkCheck10k checks a planned stage of 10,000 persons per side.
func BenchmarkCheck10k(b *testing.B) {
	cat := category.MustDefault()
	in := bigInput(OneForOne, 10000)
	in.Capacity = 0
	p, err := Plan(in, cat)
	if err != nil {
		b.Fatal(err)
	}
	st, err := p.Stage(in, agreement, cat)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := Check(st, cat); err != nil {
			b.Fatal(err)
		}
	}
}
