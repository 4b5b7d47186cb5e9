package handover

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"parley/internal/category"
	"parley/internal/negotiation"
	"parley/internal/person"
)

var agreement = negotiation.LegalBasis{Code: negotiation.BasisSpecialAgreement, Agreement: "Istanbul 2025-06-02"}

// agreedStage builds the agreed stage: A's persons on list LA and B's on
// LB, rows from 1.
func agreedStage(terms negotiation.Terms, basis negotiation.LegalBasis, a, b []person.Person) negotiation.Stage {
	st := negotiation.Stage{Terms: terms}
	for i, side := range []struct {
		party, list string
		ps          []person.Person
	}{{"A", "LA", a}, {"B", "LB", b}} {
		st.Sides[i].Party = side.party
		for j, p := range side.ps {
			st.Sides[i].Releases = append(st.Sides[i].Releases, negotiation.Release{Party: side.party, ListID: side.list, Row: j + 1, Person: p, LegalBasis: basis})
		}
	}
	return st
}

// outcome walks an agreed person to what: "handed", "refused", "not",
// "deceased", "pending", "none" (no record at all), "sub:<kind>" (a consenting
// substitute of that kind), "refused+sub" (refused, then a substitute).
func outcome(t *testing.T, r negotiation.Release, what string) (PersonState, bool) {
	t.Helper()
	s := agreedState(t, r.Party, r.ListID, r.Row, r.Person)
	living := r.Person.Kind != person.KindRemains
	consent := func() {
		if living {
			s = apply(t, s, interview(Consents, 10))
		}
	}
	switch what {
	case "none":
		return s, false
	case "pending":
	case "handed":
		consent()
		s = apply(t, s, ev(EventHandedOver, 20))
	case "refused":
		s = apply(t, s, interview(Refuses, 10))
	case "not":
		s = apply(t, s, ev(EventNotPresented, 20))
	case "deceased":
		consent()
		s = apply(t, s, ev(EventDeceased, 20))
	case "sub:pow", "sub:civilian", "refused+sub":
		kind := person.KindPOW
		if what == "sub:civilian" {
			kind = person.KindCivilian
		}
		if what == "refused+sub" {
			s = apply(t, s, interview(Refuses, 10))
		} else {
			consent()
		}
		sub := person.Person{Kind: kind, Surname: "Підміна", GivenNames: fmt.Sprintf("%s-%d", r.Party, r.Row)}
		s = apply(t, s, substitute(sub, Consents, 20))
	default:
		t.Fatalf("unknown outcome %q", what)
	}
	return s, true
}

func outcomes(t *testing.T, st negotiation.Stage, a, b []string) []PersonState {
	t.Helper()
	var out []PersonState
	for i, whats := range [][]string{a, b} {
		for j, w := range whats {
			if s, ok := outcome(t, st.Sides[i].Releases[j], w); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

func n(count int, f func(i int) person.Person) []person.Person {
	out := make([]person.Person, count)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

func soldiers(prefix string, cats ...string) func(int) person.Person {
	return func(i int) person.Person { return pow(prefix, fmt.Sprintf("N%d", i+1), cats...) }
}

func all(what string, k int) []string {
	out := make([]string, k)
	for i := range out {
		out[i] = what
	}
	return out
}

type itemKey struct {
	Type, Party string
	Row         int
}

func TestDiscrepancies(t *testing.T) {
	oneForOne := negotiation.Terms{Rule: negotiation.OneForOne}
	// an extra person handed over by B outside the agreement
	extra := func(t *testing.T) PersonState {
		s, err := Listed("B", "LB", 99, pow("Зайвий", "Олег"), at(0), "registrar")
		if err != nil {
			t.Fatal(err)
		}
		return apply(t, s, interview(Consents, 10), ev(EventHandedOver, 20))
	}
	tests := []struct {
		name       string
		terms      negotiation.Terms
		basis      negotiation.LegalBasis
		a, b       []person.Person
		outA, outB []string
		extra      func(*testing.T) PersonState
		complete   bool
		countsA    Counts
		countsB    Counts
		items      []itemKey
		breach     []string
	}{
		{
			name: "everyone handed over", terms: oneForOne, basis: agreement,
			a: n(3, soldiers("А")), b: n(3, soldiers("Б")), outA: all("handed", 3), outB: all("handed", 3),
			complete: true,
			countsA:  Counts{Agreed: 3, HandedOver: 3, Released: 3},
			countsB:  Counts{Agreed: 3, HandedOver: 3, Released: 3},
		},
		{
			name: "a refusal is neither owed nor a breach", terms: oneForOne, basis: agreement,
			a: n(3, soldiers("А")), b: n(3, soldiers("Б")), outA: []string{"handed", "refused", "handed"}, outB: all("handed", 3),
			complete: true,
			countsA:  Counts{Agreed: 3, HandedOver: 2, Refused: 1, Released: 2},
			countsB:  Counts{Agreed: 3, HandedOver: 3, Released: 3},
			items:    []itemKey{{ItemRefused, "A", 2}},
		},
		{
			name: "not presented is owed and breaks parity", terms: oneForOne, basis: agreement,
			a: n(3, soldiers("А")), b: n(3, soldiers("Б")), outA: []string{"handed", "not", "handed"}, outB: all("handed", 3),
			complete: true,
			countsA:  Counts{Agreed: 3, HandedOver: 2, NotPresented: 1, Released: 2, Owed: 1},
			countsB:  Counts{Agreed: 3, HandedOver: 3, Released: 3},
			items:    []itemKey{{ItemNotPresented, "A", 2}},
			breach:   []string{"A releases 2, B releases 3 under one-for-one"},
		},
		{
			name: "deceased before the handover", terms: oneForOne, basis: agreement,
			a: n(2, soldiers("А")), b: n(2, soldiers("Б")), outA: []string{"deceased", "handed"}, outB: all("handed", 2),
			complete: true,
			countsA:  Counts{Agreed: 2, HandedOver: 1, Deceased: 1, Released: 1},
			countsB:  Counts{Agreed: 2, HandedOver: 2, Released: 2},
			items:    []itemKey{{ItemDeceased, "A", 1}},
			breach:   []string{"A releases 1, B releases 2 under one-for-one"},
		},
		{
			name: "a prisoner of war for a prisoner of war keeps parity", terms: oneForOne, basis: agreement,
			a: n(3, soldiers("А")), b: n(3, soldiers("Б")), outA: []string{"handed", "sub:pow", "handed"}, outB: all("handed", 3),
			complete: true,
			countsA:  Counts{Agreed: 3, HandedOver: 2, Substituted: 1, Released: 3},
			countsB:  Counts{Agreed: 3, HandedOver: 3, Released: 3},
			items:    []itemKey{{ItemSubstituted, "A", 2}},
		},
		{
			name: "a civilian in place of a prisoner of war breaks parity", terms: oneForOne, basis: agreement,
			a: n(3, soldiers("А")), b: n(3, soldiers("Б")), outA: []string{"handed", "sub:civilian", "handed"}, outB: all("handed", 3),
			complete: true,
			countsA:  Counts{Agreed: 3, HandedOver: 2, Substituted: 1, Released: 3},
			countsB:  Counts{Agreed: 3, HandedOver: 3, Released: 3},
			items:    []itemKey{{ItemSubstituted, "A", 2}},
			breach: []string{
				"prisoners of war and civilian detainees are counted separately: A releases 2 prisoners of war, B releases 3",
				"prisoners of war and civilian detainees are counted separately: A releases 1 civilian detainee, B releases 0",
			},
		},
		{
			name: "a substitute for a refusal fills his place, and an extra one breaks parity", terms: oneForOne, basis: agreement,
			a: n(2, soldiers("А")), b: n(2, soldiers("Б")), outA: []string{"refused+sub", "handed"}, outB: all("handed", 2),
			extra:    extra,
			complete: true,
			countsA:  Counts{Agreed: 2, HandedOver: 1, Substituted: 1, Released: 2},
			countsB:  Counts{Agreed: 2, HandedOver: 2, NotAgreed: 1, Released: 3},
			items:    []itemKey{{ItemSubstituted, "A", 1}, {ItemNotAgreed, "B", 99}},
			breach: []string{
				"row 99 of list LB (Зайвий Олег) has no legal basis",
				"A releases 2, B releases 3 under one-for-one",
			},
		},
		{
			name: "pending persons make the stage incomplete, not a breach", terms: oneForOne, basis: agreement,
			a: n(3, soldiers("А")), b: n(3, soldiers("Б")), outA: []string{"handed", "pending", "none"}, outB: all("handed", 3),
			complete: false,
			countsA:  Counts{Agreed: 3, HandedOver: 1, Pending: 2, Released: 1, Owed: 2},
			countsB:  Counts{Agreed: 3, HandedOver: 3, Released: 3},
			items:    []itemKey{{ItemPending, "A", 2}, {ItemPending, "A", 3}},
		},
		{
			name: "remains N for N", terms: oneForOne, basis: agreement,
			a: n(3, func(i int) person.Person { return remains(fmt.Sprintf("GA-%d", i)) }), b: n(3, func(i int) person.Person { return remains(fmt.Sprintf("GB-%d", i)) }),
			outA: all("handed", 3), outB: []string{"handed", "handed", "not"},
			complete: true,
			countsA:  Counts{Agreed: 3, HandedOver: 3, Released: 3},
			countsB:  Counts{Agreed: 3, HandedOver: 2, NotPresented: 1, Released: 2, Owed: 1},
			items:    []itemKey{{ItemNotPresented, "B", 3}},
			breach:   []string{"A releases 3, B releases 2 under one-for-one"},
		},
		{
			name: "unilateral: a substitute outside the medical categories", terms: negotiation.Terms{Rule: negotiation.Unilateral}, basis: negotiation.LegalBasis{Code: negotiation.BasisArt109},
			a: n(2, soldiers("А", category.Wounded)), outA: []string{"handed", "sub:pow"},
			complete: true,
			countsA:  Counts{Agreed: 2, HandedOver: 1, Substituted: 1, Released: 2},
			items:    []itemKey{{ItemSubstituted, "A", 2}},
			breach: []string{
				"row 2 of list LA/substitute (Підміна A-2) is released under Art. 109 but is not in a medical category",
				"row 2 of list LA/substitute (Підміна A-2) is not in a medical category; unilateral release under Art. 109/110 requires wounded or seriously_ill",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := agreedStage(tt.terms, tt.basis, tt.a, tt.b)
			if err := negotiation.Check(st, nil); err != nil {
				t.Fatalf("the agreed stage itself fails Check: %v", err)
			}
			outs := outcomes(t, st, tt.outA, tt.outB)
			if tt.extra != nil {
				outs = append(outs, tt.extra(t))
			}
			rep := Discrepancies(st, outs, nil)
			if rep.Complete != tt.complete || Complete(st, outs) != tt.complete {
				t.Errorf("complete = %v / %v, want %v", rep.Complete, Complete(st, outs), tt.complete)
			}
			if rep.Sides[0].Counts != tt.countsA {
				t.Errorf("A counts\n got %+v\nwant %+v", rep.Sides[0].Counts, tt.countsA)
			}
			if rep.Sides[1].Counts != tt.countsB {
				t.Errorf("B counts\n got %+v\nwant %+v", rep.Sides[1].Counts, tt.countsB)
			}
			var items []itemKey
			for _, it := range rep.Items {
				items = append(items, itemKey{it.Type, it.Party, it.Row})
			}
			if !reflect.DeepEqual(items, tt.items) {
				t.Errorf("items\n got %+v\nwant %+v", items, tt.items)
			}
			var breach []string
			for _, p := range rep.Breach {
				breach = append(breach, p.Message)
			}
			if !reflect.DeepEqual(breach, tt.breach) {
				t.Errorf("breach\n got %q\nwant %q", breach, tt.breach)
			}
			for s, sr := range rep.Sides {
				c := sr.Counts
				if c.Agreed != c.HandedOver+c.Refused+c.NotPresented+c.Deceased+c.Substituted+c.Pending {
					t.Errorf("side %d: agreed %d does not add up: %+v", s, c.Agreed, c)
				}
				var sum Counts
				for _, v := range sr.ByCategory {
					sum.add(v)
				}
				if sum != c {
					t.Errorf("side %d: categories add up to %+v, not %+v", s, sum, c)
				}
			}
		})
	}
}

func TestDiscrepanciesPerCategory(t *testing.T) {
	terms := negotiation.Terms{Rule: negotiation.OneForOnePerCategory, Categories: []string{category.SeriouslyIll, category.Wounded}}
	a := append(n(2, soldiers("А", category.SeriouslyIll)), n(2, soldiers("Аw", category.Wounded))...)
	b := append(n(2, soldiers("Б", category.SeriouslyIll)), n(2, soldiers("Бw", category.Wounded))...)
	st := agreedStage(terms, agreement, a, b)
	// A replaces a seriously ill prisoner with a merely wounded one: the
	// totals match, the categories do not.
	outs := outcomes(t, st, []string{"handed", "handed", "handed", "handed"}, []string{"handed", "handed", "handed", "handed"})
	s, _ := outcome(t, st.Sides[0].Releases[1], "pending")
	s = apply(t, s, interview(Consents, 10), Event{Type: EventSubstituted, At: at(20), By: "officer",
		Substitute: &Substitute{Person: pow("Підміна", "Олег", category.Wounded), Interview: Consents, ListID: "LA", Row: 77}})
	outs[1] = s
	rep := Discrepancies(st, outs, nil)
	want := map[string]Counts{
		category.SeriouslyIll: {Agreed: 2, HandedOver: 1, Substituted: 1, Released: 2},
		category.Wounded:      {Agreed: 2, HandedOver: 2, Released: 2},
	}
	if !reflect.DeepEqual(rep.Sides[0].ByCategory, want) {
		t.Errorf("A by category\n got %+v\nwant %+v", rep.Sides[0].ByCategory, want)
	}
	wantBreach := []string{
		"per category seriously_ill: A releases 1, B releases 2 under one-for-one-per-category",
		"per category wounded: A releases 3, B releases 2 under one-for-one-per-category",
	}
	var got []string
	for _, p := range rep.Breach {
		got = append(got, p.Message)
	}
	if !reflect.DeepEqual(got, wantBreach) {
		t.Errorf("breach\n got %q\nwant %q", got, wantBreach)
	}
	if len(rep.Items) != 1 || rep.Items[0].Detail != "replaced by Підміна Олег (row 77 of list LA)" || rep.Items[0].Category != category.SeriouslyIll {
		t.Errorf("items = %+v", rep.Items)
	}
}

func TestDiscrepanciesBrokenRecords(t *testing.T) {
	st := agreedStage(negotiation.Terms{Rule: negotiation.OneForOne}, agreement, n(2, soldiers("А")), n(2, soldiers("Б")))
	outs := outcomes(t, st, all("handed", 2), all("handed", 2))
	// a record that says A's row 1 refused and was handed over anyway,
	// as storage might hand back after tampering
	outs[0].Interview = Refuses
	// and a second record for B's row 2
	outs = append(outs, outs[3])
	rep := Discrepancies(st, outs, nil)
	wantA := Counts{Agreed: 2, HandedOver: 1, Refused: 1, Released: 1}
	if rep.Sides[0].Counts != wantA {
		t.Errorf("A counts %+v, want %+v: a refusal is never counted handed over nor owed", rep.Sides[0].Counts, wantA)
	}
	var types []string
	for _, it := range rep.Items {
		types = append(types, it.Type)
	}
	if want := []string{ItemInvalid, ItemRefused, ItemDuplicate}; !reflect.DeepEqual(types, want) {
		t.Errorf("items %v, want %v", types, want)
	}
	if len(rep.Breach) != 0 {
		t.Errorf("breach %v: the refusal is excused", rep.BreachMessage)
	}
}

func TestRemainsIdentification(t *testing.T) {
	st := agreedStage(negotiation.Terms{Rule: negotiation.OneForOne}, agreement,
		n(3, func(i int) person.Person { return remains(fmt.Sprintf("GA-%d", i)) }),
		n(3, func(i int) person.Person { return remains(fmt.Sprintf("GB-%d", i)) }))
	outs := outcomes(t, st, all("handed", 3), all("handed", 3))
	outs[0] = apply(t, outs[0], Event{Type: EventIdentified, At: at(30), By: "lab", Identification: DNAPending})
	outs[1] = apply(t, outs[1], Event{Type: EventIdentified, At: at(30), By: "lab", Identification: DNAPending},
		Event{Type: EventIdentified, At: at(40), By: "lab", Identification: Confirmed})
	rep := Discrepancies(st, outs, nil)
	if want := map[Identification]int{Presumed: 1, DNAPending: 1, Confirmed: 1}; !reflect.DeepEqual(rep.Sides[0].Remains, want) {
		t.Errorf("A remains %v, want %v", rep.Sides[0].Remains, want)
	}
	if want := map[Identification]int{Presumed: 3}; !reflect.DeepEqual(rep.Sides[1].Remains, want) {
		t.Errorf("B remains %v, want %v", rep.Sides[1].Remains, want)
	}
	if len(rep.Breach) != 0 || !rep.Complete {
		t.Errorf("report %+v", rep)
	}
}

func TestReportJSON(t *testing.T) {
	st := agreedStage(negotiation.Terms{Rule: negotiation.OneForOne}, agreement, n(2, soldiers("А")), n(2, soldiers("Б")))
	rep := Discrepancies(st, outcomes(t, st, []string{"handed", "not"}, all("handed", 2)), nil)
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, rep) {
		t.Errorf("round trip: %v\n%s", err, b)
	}
	var doc map[string]any
	_ = json.Unmarshal(b, &doc)
	for _, k := range []string{"complete", "sides", "items", "breach", "breach_message"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("report JSON lacks %q: %s", k, b)
		}
	}
}
