package service_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"parley/internal/access"
	"parley/internal/listfile"
	"parley/internal/negotiation"
	"parley/internal/parties"
	"parley/internal/person"
	"parley/internal/service"
	"parley/internal/service/servicetest"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

// handoverSteps counts the committed events of the handover.
func handoverSteps(l *servicetest.Log) int {
	return l.CountFunc(func(typ string) bool { return strings.HasPrefix(typ, "handover.") })
}

// negFixture is a fresh world in a shared installation: Party A's list to
// B and Party B's list to A (both handed over and acknowledged), and a
// round between A and B with the Istanbul criteria. Each world has lists
// and a round of its own, so that the tests sharing one database (a new
// PostgreSQL database costs a second) do not see each other's records.
type negFixture struct {
	s            *service.Service
	log          *servicetest.Log
	listA, listB string
	round        *negotiation.Round
}

var istanbul = negotiation.Criteria{Categories: []string{"wounded", "seriously_ill"}, AgeMin: 18, AgeMax: 25, RefDate: person.Date{Year: 2025, Month: 6, Day: 7}}

// newNegService opens an installation with parties A, B and C.
func newNegService(t *testing.T, b storetest.Backend) *service.Service {
	t.Helper()
	ctx := context.Background()
	s, err := service.New(ctx, b.Open(t), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateParties(ctx, []parties.Party{{ID: "A", Name: "Party A"}, {ID: "B", Name: "Party B"}, {ID: "C", Name: "Party C"}}); err != nil {
		t.Fatal(err)
	}
	return s
}

// newNegFixture makes a new world in the installation, with a log of its own.
func newNegFixture(t *testing.T, s *service.Service) *negFixture {
	t.Helper()
	f := &negFixture{s: s, log: &servicetest.Log{}}
	s.Log = f.log
	f.listA = negImport(t, s, servicetest.OfficerA, servicetest.OfficerB, "testdata/negotiation/list-A.csv", "A", "B", true)
	f.listB = negImport(t, s, servicetest.OfficerB, servicetest.OfficerA, "testdata/negotiation/list-B.csv", "B", "A", true)
	crit := istanbul
	var err error
	f.round, err = s.CreateRound(context.Background(), servicetest.Mediator, service.RoundRequest{Title: "Istanbul, first round", Venue: "Istanbul",
		StartsOn: person.Date{Year: 2025, Month: 6, Day: 2}, EndsOn: person.Date{Year: 2025, Month: 6, Day: 2},
		Parties: [2]string{"A", "B"}, Participants: []string{"Delegation A", "Delegation B"}, Criteria: &crit})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestNegotiation runs the negotiation and handover tests on SQLite and
// PostgreSQL, each in a world of its own within one database per backend.
func TestNegotiation(t *testing.T) {
	tests := []struct {
		name string
		fn   func(*testing.T, *negFixture)
	}{
		{"rules", testProposalRules},
		{"defaults and input", testProposalDefaultsAndInput},
		{"conformance", testConformanceReport},
		{"rounds", testRounds},
		{"planner", testPlanThroughService},
		{"flow and roles", testProposalFlowAndRoles},
		{"concurrent accept and counter", testConcurrentAcceptAndCounter},
		{"concurrent witnesses", testConcurrentWitnesses},
		{"refusal", testRefusalInvariant},
		{"stage report", testStageReportAndCompletion},
		{"substitution", testSubstitution},
		{"handover roles", testHandoverRoles},
		{"commission", testCommissionOutcome},
	}
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s := newNegService(t, b)
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) { tc.fn(t, newNegFixture(t, s)) })
		}
	})
}

// negImport imports a list and, when handOver is set, hands it over and
// has it acknowledged.
func negImport(t *testing.T, s *service.Service, sender, receiver access.Actor, path, from, to string, handOver bool) string {
	t.Helper()
	ctx := context.Background()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	res, err := s.ImportList(ctx, sender, service.ImportRequest{From: from, To: to, Title: path, Format: listfile.Format("csv")}, fh)
	if err != nil {
		var ie *service.ImportError
		if errors.As(err, &ie) {
			t.Fatalf("import %s: %v", path, ie.Problems)
		}
		t.Fatalf("import %s: %v", path, err)
	}
	if handOver {
		if _, err := s.HandOver(ctx, sender, res.List.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Acknowledge(ctx, receiver, res.List.ID); err != nil {
			t.Fatal(err)
		}
	}
	return res.List.ID
}

// refs names rows of a list.
func refs(list string, rows ...int) []service.ReleaseRef {
	out := make([]service.ReleaseRef, len(rows))
	for i, r := range rows {
		out[i] = service.ReleaseRef{ListID: list, Row: r}
	}
	return out
}

func (f *negFixture) propose(t *testing.T, actor access.Actor, terms negotiation.Terms, rs ...[]service.ReleaseRef) (*service.ProposalView, error) {
	t.Helper()
	var all []service.ReleaseRef
	for _, r := range rs {
		all = append(all, r...)
	}
	return f.s.SubmitProposal(context.Background(), actor, service.ProposalRequest{RoundID: f.round.ID, From: actor.Party, Terms: terms,
		Date: person.Date{Year: 2025, Month: 6, Day: 10}, Releases: all})
}

// agree proposes a stage from A, has B accept it and the mediator witness it.
func (f *negFixture) agree(t *testing.T, terms negotiation.Terms, rs ...[]service.ReleaseRef) *service.AgreementView {
	t.Helper()
	ctx := context.Background()
	p, err := f.propose(t, servicetest.OfficerA, terms, rs...)
	if err != nil {
		t.Fatalf("propose: %v", err)
	}
	if _, err := f.s.AcceptProposal(ctx, servicetest.OfficerB, p.ID, ""); err != nil {
		t.Fatalf("accept: %v", err)
	}
	a, err := f.s.WitnessProposal(ctx, servicetest.Mediator, p.ID)
	if err != nil {
		t.Fatalf("witness: %v", err)
	}
	return a
}

func testProposalRules(t *testing.T, f *negFixture) {
	A, B := f.listA, f.listB
	scale := map[string]float64{"private": 1, "sergeant": 2, "officer": 5}
	cases := []struct {
		name  string
		terms negotiation.Terms
		rs    [][]service.ReleaseRef
		want  string // substring of the refusal; "" when the proposal must pass
		code  string // problem code expected in the RuleError
	}{
		{"one-for-one", negotiation.Terms{Rule: negotiation.OneForOne}, [][]service.ReleaseRef{refs(A, 1, 2), refs(B, 1, 2)}, "", ""},
		{"one-for-one breach", negotiation.Terms{Rule: negotiation.OneForOne}, [][]service.ReleaseRef{refs(A, 1, 2, 3), refs(B, 1, 2)},
			"A releases 3, B releases 2 under one-for-one", negotiation.ProblemParity},
		{"one-for-one capacity", negotiation.Terms{Rule: negotiation.OneForOne, Capacity: 1}, [][]service.ReleaseRef{refs(A, 1, 2), refs(B, 1, 2)},
			"capacity 1 exceeded: A releases 2", negotiation.ProblemCapacity},
		{"remains only against remains", negotiation.Terms{Rule: negotiation.OneForOne}, [][]service.ReleaseRef{refs(A, 9), refs(B, 1)},
			"remains are counted only against remains", negotiation.ProblemParity},
		{"per category", negotiation.Terms{Rule: negotiation.OneForOnePerCategory, Categories: []string{"wounded", "youth"}},
			[][]service.ReleaseRef{refs(A, 1, 3), refs(B, 1, 2)}, "", ""},
		{"per category breach", negotiation.Terms{Rule: negotiation.OneForOnePerCategory, Categories: []string{"wounded", "youth"}},
			[][]service.ReleaseRef{refs(A, 1, 8), refs(B, 1, 2)}, "per category wounded: A releases 2, B releases 1", negotiation.ProblemParity},
		{"per category without categories", negotiation.Terms{Rule: negotiation.OneForOnePerCategory},
			[][]service.ReleaseRef{refs(A, 1), refs(B, 1)}, "names no categories", negotiation.ProblemTerms},
		{"all for all", negotiation.Terms{Rule: negotiation.AllForAll, Categories: []string{"youth"}}, [][]service.ReleaseRef{refs(A, 3), refs(B, 2, 4)}, "", ""},
		{"all for all without categories", negotiation.Terms{Rule: negotiation.AllForAll}, [][]service.ReleaseRef{refs(A, 5), refs(B, 5, 7)}, "", ""},
		{"all for all outside categories", negotiation.Terms{Rule: negotiation.AllForAll, Categories: []string{"youth"}}, [][]service.ReleaseRef{refs(A, 5), refs(B, 2)},
			"in none of the agreed categories youth", negotiation.ProblemCategory},
		{"weighted", negotiation.Terms{Rule: negotiation.Weighted, Scale: scale}, [][]service.ReleaseRef{refs(A, 4), refs(B, 1, 2, 3, 4)}, "", ""},
		{"weighted breach", negotiation.Terms{Rule: negotiation.Weighted, Scale: scale}, [][]service.ReleaseRef{refs(A, 4), refs(B, 1)},
			"A releases weight 5 (1 person), B releases weight 1 (1 person)", negotiation.ProblemParity},
		{"unilateral", negotiation.Terms{Rule: negotiation.Unilateral}, [][]service.ReleaseRef{refs(A, 1, 2, 4)}, "", ""},
		{"unilateral not medical", negotiation.Terms{Rule: negotiation.Unilateral}, [][]service.ReleaseRef{refs(A, 1, 5)},
			"is not in a medical category", negotiation.ProblemCategory},
		{"unilateral civilian", negotiation.Terms{Rule: negotiation.Unilateral}, [][]service.ReleaseRef{refs(A, 6)},
			"covers prisoners of war only", negotiation.ProblemLegalBasis},
		{"unilateral on art118", negotiation.Terms{Rule: negotiation.Unilateral}, [][]service.ReleaseRef{{{ListID: A, Row: 1, LegalBasis: &negotiation.LegalBasis{Code: negotiation.BasisArt118}}}},
			"unilateral release rests on Art. 109 or Art. 110", negotiation.ProblemLegalBasis},
		{"same row twice", negotiation.Terms{Rule: negotiation.AllForAll}, [][]service.ReleaseRef{refs(A, 1, 1)}, "is listed twice", negotiation.ProblemDuplicate},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := f.propose(t, servicetest.OfficerA, c.terms, c.rs...)
			if c.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				n := 0
				for _, r := range c.rs {
					n += len(r)
				}
				if p.Counts[0]+p.Counts[1] != n || p.Totals[0][negotiation.TotalKey]+p.Totals[1][negotiation.TotalKey] != n {
					t.Errorf("counts %v totals %v, want %d persons", p.Counts, p.Totals, n)
				}
				for _, side := range p.Sides {
					for _, r := range side.Releases {
						if r.Person.ServiceNumber == "" && r.Person.Kind == person.KindPOW {
							t.Errorf("row %d of %s: person not read from the list", r.Row, r.ListID)
						}
					}
				}
				return
			}
			if !errors.Is(err, service.ErrInvalid) {
				t.Fatalf("err = %v, want invalid", err)
			}
			var re *negotiation.RuleError
			if !errors.As(err, &re) || !re.Has(c.code) {
				t.Fatalf("err = %v, want a RuleError with %s", err, c.code)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %q, want it to say %q", err, c.want)
			}
			if p != nil {
				t.Error("a refused proposal was returned")
			}
		})
	}
	// Nothing refused was stored or logged.
	ps, err := f.s.ListProposals(context.Background(), servicetest.Mediator, service.ProposalFilter{RoundID: f.round.ID})
	if err != nil {
		t.Fatal(err)
	}
	passed := 0
	for _, c := range cases {
		if c.want == "" {
			passed++
		}
	}
	if len(ps) != passed || f.log.Count("proposal.submitted") != passed {
		t.Errorf("%d proposals stored, %d logged, want %d", len(ps), f.log.Count("proposal.submitted"), passed)
	}
}

func testProposalDefaultsAndInput(t *testing.T, f *negFixture) {
	ctx := context.Background()
	// Unilateral releases default to Art. 109, others to the special
	// agreement named after the round; Art110Categories moves a
	// category to Art. 110.
	p, err := f.s.SubmitProposal(ctx, servicetest.OfficerA, service.ProposalRequest{RoundID: f.round.ID, Terms: negotiation.Terms{Rule: negotiation.Unilateral},
		Releases: refs(f.listA, 1, 2), Art110Categories: []string{"seriously ill"}})
	if err != nil {
		t.Fatal(err)
	}
	basis := map[int]string{}
	for _, r := range p.Sides[0].Releases {
		basis[r.Row] = r.LegalBasis.Code
	}
	if basis[1] != negotiation.BasisArt109 || basis[2] != negotiation.BasisArt110 {
		t.Errorf("unilateral bases = %v, want row 1 art109 (wounded), row 2 art110 (seriously ill by request)", basis)
	}
	if p.To != "B" || p.From != "A" {
		t.Errorf("proposal goes from %s to %s", p.From, p.To)
	}
	q, err := f.propose(t, servicetest.OfficerA, negotiation.Terms{Rule: negotiation.OneForOne}, refs(f.listA, 1), refs(f.listB, 1))
	if err != nil {
		t.Fatal(err)
	}
	for _, side := range q.Sides {
		for _, r := range side.Releases {
			if r.LegalBasis.Code != negotiation.BasisSpecialAgreement || r.LegalBasis.Agreement != f.round.Title {
				t.Errorf("one-for-one basis = %+v, want the special agreement %q", r.LegalBasis, f.round.Title)
			}
		}
	}
	// Youth is derived from the date of birth on the round's reference
	// date: row 7 (aged 23, labelled wounded only) counts as youth.
	y, err := f.propose(t, servicetest.OfficerA, negotiation.Terms{Rule: negotiation.OneForOnePerCategory, Categories: []string{"youth"}}, refs(f.listA, 7), refs(f.listB, 2))
	if err != nil {
		t.Fatalf("youth by date of birth refused: %v", err)
	}
	if !y.Sides[0].Releases[0].Person.HasCategory("youth") {
		t.Error("row 7 was not counted as youth")
	}
	bad := []struct {
		name string
		req  service.ProposalRequest
		want error
	}{
		{"row not on list", service.ProposalRequest{RoundID: f.round.ID, Terms: negotiation.Terms{Rule: negotiation.AllForAll}, Releases: refs(f.listA, 99)}, service.ErrInvalid},
		{"nobody", service.ProposalRequest{RoundID: f.round.ID, Terms: negotiation.Terms{Rule: negotiation.AllForAll}}, service.ErrInvalid},
		{"unknown round", service.ProposalRequest{RoundID: "Rnone", Terms: negotiation.Terms{Rule: negotiation.AllForAll}, Releases: refs(f.listA, 1)}, service.ErrNotFound},
		{"outsider addressee", service.ProposalRequest{RoundID: f.round.ID, To: "C", Terms: negotiation.Terms{Rule: negotiation.AllForAll}, Releases: refs(f.listA, 1)}, service.ErrInvalid},
		{"acting for the other party", service.ProposalRequest{RoundID: f.round.ID, From: "B", Terms: negotiation.Terms{Rule: negotiation.AllForAll}, Releases: refs(f.listA, 1)}, access.ErrForbidden},
		{"unknown list", service.ProposalRequest{RoundID: f.round.ID, Terms: negotiation.Terms{Rule: negotiation.AllForAll}, Releases: refs("Lnone", 1)}, service.ErrNotFound},
	}
	for _, c := range bad {
		if _, err := f.s.SubmitProposal(ctx, servicetest.OfficerA, c.req); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	// The other party's draft list is invisible; one's own draft list
	// cannot be proposed from.
	draftB := negImport(t, f.s, servicetest.OfficerB, servicetest.OfficerA, "testdata/negotiation/list-B.csv", "B", "A", false)
	if _, err := f.propose(t, servicetest.OfficerA, negotiation.Terms{Rule: negotiation.AllForAll}, refs(draftB, 1)); !errors.Is(err, service.ErrNotFound) {
		t.Errorf("proposing from B's draft: err = %v, want not found", err)
	}
	if _, err := f.propose(t, servicetest.OfficerB, negotiation.Terms{Rule: negotiation.AllForAll}, refs(draftB, 1)); !errors.Is(err, service.ErrConflict) {
		t.Errorf("proposing from one's own draft: err = %v, want conflict", err)
	}
	// A proposal attaches its lists to the round, with the conformance
	// count of the round's criteria.
	rv, err := f.s.GetRound(ctx, servicetest.OfficerB, f.round.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rv.Lists) != 2 {
		t.Fatalf("round holds %d lists, want both", len(rv.Lists))
	}
	for _, rl := range rv.Lists {
		if rl.Nonconforming < 1 {
			t.Errorf("list %s: %d nonconforming, want the rows without category outside 18–25", rl.ListID, rl.Nonconforming)
		}
	}
}

func testConformanceReport(t *testing.T, f *negFixture) {
	ctx := context.Background()
	if _, err := f.s.ConformanceReport(ctx, servicetest.Mediator, f.round.ID, f.listA); !errors.Is(err, service.ErrNotFound) {
		t.Errorf("report on a list not attached: err = %v, want not found", err)
	}
	if _, err := f.s.AttachList(ctx, servicetest.Observer, f.round.ID, f.listA); !errors.Is(err, access.ErrForbidden) {
		t.Errorf("observer attaching: err = %v, want forbidden", err)
	}
	rl, err := f.s.AttachList(ctx, servicetest.Mediator, f.round.ID, f.listA)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.AttachList(ctx, servicetest.OfficerB, f.round.ID, f.listA); err != nil {
		t.Fatalf("attaching again: %v", err)
	}
	if n := f.log.Count("round.list_attached"); n != 1 {
		t.Errorf("%d attach events, want 1 (attaching twice changes nothing)", n)
	}
	rep, err := f.s.ConformanceReport(ctx, servicetest.OfficerB, f.round.ID, f.listA)
	if err != nil {
		t.Fatal(err)
	}
	l, err := f.s.GetList(ctx, servicetest.OfficerB, f.listA)
	if err != nil {
		t.Fatal(err)
	}
	// Recompute who fits "seriously wounded, seriously sick, aged 18–25"
	// from the list itself.
	want := map[int]bool{}
	for _, e := range l.Entries {
		age, ok := e.BirthDate.AgeOn(istanbul.RefDate)
		fits := e.HasCategory("wounded") || e.HasCategory("seriously_ill") || (ok && age >= 18 && age <= 25)
		if !fits {
			want[e.Row] = true
		}
	}
	got := map[int]bool{}
	for _, n := range rep.Nonconforming {
		got[n.Row] = true
		if len(n.Reasons) == 0 || n.Name == "" {
			t.Errorf("row %d: no name or reason", n.Row)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || len(want) == 0 {
		t.Errorf("nonconforming rows %v, want %v", got, want)
	}
	if rep.Entries != len(l.Entries) || rep.Conforming != len(l.Entries)-len(want) || rl.Nonconforming != len(want) {
		t.Errorf("report counts %d/%d, attach count %d, want %d nonconforming of %d", rep.Conforming, rep.Entries, rl.Nonconforming, len(want), len(l.Entries))
	}
	if _, err := f.s.ConformanceReport(ctx, servicetest.OfficerC, f.round.ID, f.listA); !errors.Is(err, service.ErrNotFound) {
		t.Errorf("party C: err = %v, want not found", err)
	}
	// A round without criteria has no conformance report.
	plain, err := f.s.CreateRound(ctx, servicetest.Mediator, service.RoundRequest{Title: "Second round", Parties: [2]string{"A", "B"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.AttachList(ctx, servicetest.Mediator, plain.ID, f.listA); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.ConformanceReport(ctx, servicetest.Mediator, plain.ID, f.listA); !errors.Is(err, service.ErrInvalid) {
		t.Errorf("report without criteria: err = %v, want invalid", err)
	}
}

func testRounds(t *testing.T, f *negFixture) {
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		actor access.Actor
		req   service.RoundRequest
		want  error
	}{
		{"officer", servicetest.OfficerA, service.RoundRequest{Title: "x", Parties: [2]string{"A", "B"}}, access.ErrForbidden},
		{"no title", servicetest.Mediator, service.RoundRequest{Parties: [2]string{"A", "B"}}, service.ErrInvalid},
		{"title too long", servicetest.Mediator, service.RoundRequest{Title: strings.Repeat("x", 201), Parties: [2]string{"A", "B"}}, service.ErrInvalid},
		{"one party", servicetest.Mediator, service.RoundRequest{Title: "x", Parties: [2]string{"A", "A"}}, service.ErrInvalid},
		{"unknown party", servicetest.Mediator, service.RoundRequest{Title: "x", Parties: [2]string{"A", "Z"}}, service.ErrInvalid},
		{"ends before it starts", servicetest.Mediator, service.RoundRequest{Title: "x", Parties: [2]string{"A", "B"}, StartsOn: person.Date{Year: 2025, Month: 6, Day: 3}, EndsOn: person.Date{Year: 2025, Month: 6, Day: 2}}, service.ErrInvalid},
		{"empty age bracket", servicetest.Mediator, service.RoundRequest{Title: "x", Parties: [2]string{"A", "B"}, Criteria: &negotiation.Criteria{AgeMin: 30, AgeMax: 20, RefDate: istanbul.RefDate}}, service.ErrInvalid},
	} {
		if _, err := f.s.CreateRound(ctx, c.actor, c.req); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	got, err := f.s.GetRound(ctx, servicetest.Observer, f.round.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Criteria == nil || got.Criteria.AgeMax != 25 || got.Venue != "Istanbul" || len(got.Participants) != 2 || got.StartsOn.String() != "2025-06-02" {
		t.Errorf("round read back as %+v", got.Round)
	}
	for _, c := range []struct {
		actor access.Actor
		sees  bool
	}{{servicetest.OfficerA, true}, {servicetest.OfficerB, true}, {servicetest.Mediator, true}, {servicetest.Observer, true}, {servicetest.OfficerC, false}} {
		rs, err := f.s.ListRounds(ctx, c.actor)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range rs {
			found = found || r.ID == f.round.ID
		}
		if found != c.sees || (!c.sees && len(rs) > 0) {
			t.Errorf("%s sees the round: %v (of %d), want %v", c.actor, found, len(rs), c.sees)
		}
	}
	if _, err := f.s.GetRound(ctx, servicetest.OfficerC, f.round.ID); !errors.Is(err, service.ErrNotFound) {
		t.Errorf("party C reading the round: err = %v, want not found", err)
	}
	if _, err := f.s.ListRounds(ctx, servicetest.Admin); !errors.Is(err, access.ErrForbidden) {
		t.Errorf("admin listing rounds: err = %v, want forbidden", err)
	}
}

func testPlanThroughService(t *testing.T, f *negFixture) {
	ctx := context.Background()
	req := service.PlanRequest{ListIDs: [2]string{f.listA, f.listB}, Rule: negotiation.Unilateral, Capacity: 2, RefDate: istanbul.RefDate}
	plan, err := f.s.PlanStage(ctx, servicetest.OfficerA, req)
	if err != nil {
		t.Fatal(err)
	}
	// Capacity 2 is smaller than A's seriously wounded and sick (rows
	// 1, 2, 4, 7, 8): the two most severe go, the rest wait.
	a := plan.Sides[0]
	if a.Party != "A" || len(a.Released) != 2 || a.Totals[negotiation.TotalKey] != 2 {
		t.Fatalf("side A = %+v", a)
	}
	if a.Released[0].Row != 4 {
		t.Errorf("first released row %d, want 4 (both wounded and seriously ill)", a.Released[0].Row)
	}
	waiting := 0
	for _, d := range a.LeftOut {
		if strings.Contains(d.Reason, "capacity 2 reached") {
			waiting++
		}
	}
	if waiting != 3 {
		t.Errorf("%d persons wait for capacity, want 3: %+v", waiting, a.LeftOut)
	}
	again, _ := f.s.PlanStage(ctx, servicetest.Mediator, req)
	if fmt.Sprint(again) != fmt.Sprint(plan) {
		t.Error("the plan is not deterministic")
	}
	// One-for-one without categories pairs everyone of a kind.
	oo, err := f.s.PlanStage(ctx, servicetest.Observer, service.PlanRequest{ListIDs: [2]string{f.listA, f.listB}, Rule: negotiation.OneForOne})
	if err != nil {
		t.Fatal(err)
	}
	if len(oo.Sides[0].Released) != len(oo.Sides[1].Released) || len(oo.Sides[0].Released) < 6 {
		t.Errorf("one-for-one released %d and %d", len(oo.Sides[0].Released), len(oo.Sides[1].Released))
	}
	for _, c := range []struct {
		name  string
		actor access.Actor
		req   service.PlanRequest
		want  error
	}{
		{"same list twice", servicetest.OfficerA, service.PlanRequest{ListIDs: [2]string{f.listA, f.listA}, Rule: negotiation.OneForOne}, service.ErrInvalid},
		{"one list", servicetest.OfficerA, service.PlanRequest{ListIDs: [2]string{f.listA}, Rule: negotiation.OneForOne}, service.ErrInvalid},
		{"unknown rule", servicetest.OfficerA, service.PlanRequest{ListIDs: [2]string{f.listA, f.listB}, Rule: "two-for-one"}, service.ErrInvalid},
		{"per category without categories", servicetest.OfficerA, service.PlanRequest{ListIDs: [2]string{f.listA, f.listB}, Rule: negotiation.OneForOnePerCategory}, service.ErrInvalid},
		{"outsider", servicetest.OfficerC, req, service.ErrNotFound},
		{"administrator", servicetest.Admin, req, service.ErrNotFound},
	} {
		if _, err := f.s.PlanStage(ctx, c.actor, c.req); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	// Two lists from the same side are refused.
	secondA := negImport(t, f.s, servicetest.OfficerA, servicetest.OfficerB, "testdata/negotiation/list-A.csv", "A", "B", true)
	if _, err := f.s.PlanStage(ctx, servicetest.OfficerA, service.PlanRequest{ListIDs: [2]string{f.listA, secondA}, Rule: negotiation.OneForOne}); !errors.Is(err, service.ErrInvalid) {
		t.Errorf("two lists of A: err = %v, want invalid", err)
	}
	// Proposing the plan gives the same persons, and passes the check.
	p, err := f.s.SubmitProposal(ctx, servicetest.OfficerA, service.ProposalRequest{RoundID: f.round.ID, Plan: &req})
	if err != nil {
		t.Fatal(err)
	}
	if p.Counts[0] != 2 || p.Sides[0].Releases[0].Row != plan.Sides[0].Released[0].Row || p.Terms.Capacity != 2 {
		t.Errorf("proposal from plan: counts %v, terms %+v", p.Counts, p.Terms)
	}
	// Once agreed, those persons are not planned again.
	if _, err := f.s.AcceptProposal(ctx, servicetest.OfficerB, p.ID, ""); err != nil {
		t.Fatal(err)
	}
	ag, err := f.s.WitnessProposal(ctx, servicetest.Mediator, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	next, err := f.s.PlanStage(ctx, servicetest.OfficerA, req)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range next.Sides[0].Released {
		if d.Row == plan.Sides[0].Released[0].Row || d.Row == plan.Sides[0].Released[1].Row {
			t.Errorf("row %d planned again after agreement %s", d.Row, ag.ID)
		}
	}
	held := 0
	for _, d := range next.Sides[0].LeftOut {
		if strings.Contains(d.Reason, "in agreement "+ag.ID) {
			held++
		}
	}
	if held != 2 {
		t.Errorf("%d rows left out for agreement %s, want 2", held, ag.ID)
	}
}

func testProposalFlowAndRoles(t *testing.T, f *negFixture) {
	ctx := context.Background()
	oo := negotiation.Terms{Rule: negotiation.OneForOne}
	p1, err := f.propose(t, servicetest.OfficerA, oo, refs(f.listA, 1, 2), refs(f.listB, 1, 2))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.AcceptProposal(ctx, servicetest.OfficerA, p1.ID, ""); !errors.Is(err, access.ErrForbidden) || !strings.Contains(err.Error(), "its own proposal") {
		t.Errorf("A accepting its own proposal: err = %v", err)
	}
	if _, err := f.s.AcceptProposal(ctx, access.System, p1.ID, "A"); !errors.Is(err, access.ErrForbidden) {
		t.Errorf("the operator acting as A accepting A's proposal: err = %v, want forbidden", err)
	}
	if _, err := f.s.AcceptProposal(ctx, servicetest.OfficerB, p1.ID, "A"); !errors.Is(err, access.ErrForbidden) {
		t.Errorf("an officer of B acting as A: err = %v, want forbidden", err)
	}
	if _, err := f.s.AcceptProposal(ctx, servicetest.Mediator, p1.ID, ""); !errors.Is(err, access.ErrForbidden) {
		t.Errorf("the mediator accepting for a party: err = %v, want forbidden", err)
	}
	if _, err := f.s.WitnessProposal(ctx, servicetest.Mediator, p1.ID); !errors.Is(err, service.ErrConflict) {
		t.Errorf("witnessing before acceptance: err = %v, want conflict", err)
	}
	if _, err := f.s.RejectProposal(ctx, servicetest.OfficerB, p1.ID, "", "  "); !errors.Is(err, service.ErrInvalid) {
		t.Errorf("rejection without reasons: err = %v, want invalid", err)
	}
	if _, err := f.s.WithdrawProposal(ctx, servicetest.OfficerB, p1.ID, ""); !errors.Is(err, access.ErrForbidden) {
		t.Errorf("B withdrawing A's proposal: err = %v, want forbidden", err)
	}
	// B counters with another composition; the counter is checked too.
	if _, err := f.s.CounterProposal(ctx, servicetest.OfficerB, p1.ID, service.ProposalRequest{Terms: oo, Releases: append(refs(f.listB, 3), refs(f.listA, 1, 2)...)}); !errors.Is(err, service.ErrInvalid) {
		t.Fatalf("a counter that breaks its rule: err = %v, want invalid", err)
	}
	if _, err := f.s.CounterProposal(ctx, servicetest.OfficerA, p1.ID, service.ProposalRequest{Terms: oo, Releases: append(refs(f.listB, 3), refs(f.listA, 3)...)}); !errors.Is(err, access.ErrForbidden) {
		t.Errorf("A countering its own proposal: err = %v, want forbidden", err)
	}
	p2, err := f.s.CounterProposal(ctx, servicetest.OfficerB, p1.ID, service.ProposalRequest{Terms: oo, Releases: append(refs(f.listB, 3, 4), refs(f.listA, 3, 7)...),
		Note: "youth first"})
	if err != nil {
		t.Fatal(err)
	}
	if p2.From != "B" || p2.To != "A" || p2.CounterOf != p1.ID || p2.ThreadID != p1.ThreadID || p2.Sides[0].Party != "B" || p2.Counts != [2]int{2, 2} {
		t.Errorf("counter = %+v", p2.ProposalRecord)
	}
	thread, err := f.s.ProposalThread(ctx, servicetest.OfficerA, p2.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(thread) != 2 || thread[0].ID != p1.ID || thread[0].State != "countered" || thread[0].CounteredBy != p2.ID || thread[1].ID != p2.ID {
		t.Fatalf("thread = %d proposals", len(thread))
	}
	if _, err := f.s.AcceptProposal(ctx, servicetest.OfficerB, p1.ID, ""); !errors.Is(err, service.ErrConflict) {
		t.Errorf("accepting a countered proposal: err = %v, want conflict", err)
	}
	acc, err := f.s.AcceptProposal(ctx, servicetest.OfficerA, p2.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if acc.State != "accepted" || acc.AnsweredBy != servicetest.OfficerA.String() {
		t.Errorf("accepted = %s by %s", acc.State, acc.AnsweredBy)
	}
	for _, actor := range []access.Actor{servicetest.OfficerA, servicetest.OfficerB, servicetest.Observer} {
		if _, err := f.s.WitnessProposal(ctx, actor, p2.ID); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("%s witnessing: err = %v, want forbidden", actor, err)
		}
	}
	ag, err := f.s.WitnessProposal(ctx, servicetest.Mediator, p2.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ag.ProposalID != p2.ID || ag.Parties != [2]string{"B", "A"} || len(ag.Sides[0].Releases) != 2 || len(ag.Handover) != 4 || ag.Complete {
		t.Errorf("agreement = %+v, %d in handover", ag.Agreement, len(ag.Handover))
	}
	for _, st := range ag.Handover {
		var steps []string
		for _, s := range st.Timeline {
			steps = append(steps, s.Status)
			if s.By == "" || s.At.IsZero() {
				t.Errorf("row %d: step %s without who or when", st.Row, s.Status)
			}
		}
		if strings.Join(steps, ",") != "listed,proposed,agreed" || st.Status != "agreed" {
			t.Errorf("row %d of %s: timeline %v", st.Row, st.ListID, steps)
		}
	}
	if got, _ := f.s.GetProposal(ctx, servicetest.OfficerA, p2.ID); got.State != "agreed" || got.AgreementID != ag.ID || got.WitnessedBy != servicetest.Mediator.String() {
		t.Errorf("proposal after witnessing: %s, agreement %q", got.State, got.AgreementID)
	}
	if f.log.Count("agreement.witnessed") != 1 {
		t.Errorf("%d agreement events", f.log.Count("agreement.witnessed"))
	}
	// Agreed persons cannot be proposed again.
	if _, err := f.propose(t, servicetest.OfficerA, negotiation.Terms{Rule: negotiation.AllForAll}, refs(f.listA, 3)); !errors.Is(err, service.ErrConflict) || !strings.Contains(err.Error(), ag.ID) {
		t.Errorf("proposing an agreed person: err = %v, want a conflict naming %s", err, ag.ID)
	}
	// Reject with reasons; withdraw.
	p3, err := f.propose(t, servicetest.OfficerA, oo, refs(f.listA, 8), refs(f.listB, 6))
	if err != nil {
		t.Fatal(err)
	}
	rej, err := f.s.RejectProposal(ctx, servicetest.OfficerB, p3.ID, "", "row 6 is not on the agreed approach")
	if err != nil || rej.State != "rejected" || rej.Reasons != "row 6 is not on the agreed approach" {
		t.Fatalf("reject: %v %+v", err, rej)
	}
	p4, err := f.propose(t, servicetest.OfficerA, oo, refs(f.listA, 8), refs(f.listB, 6))
	if err != nil {
		t.Fatal(err)
	}
	if w, err := f.s.WithdrawProposal(ctx, servicetest.OfficerA, p4.ID, ""); err != nil || w.State != "withdrawn" {
		t.Fatalf("withdraw: %v", err)
	}
	// Outsiders see nothing; drafts stay within their party.
	draft, err := f.s.SubmitProposal(ctx, servicetest.OfficerA, service.ProposalRequest{RoundID: f.round.ID, Terms: oo, Releases: append(refs(f.listA, 10), refs(f.listB, 5)...), Draft: true})
	if err != nil {
		t.Fatal(err)
	}
	if draft.State != "draft" {
		t.Fatalf("draft state %s", draft.State)
	}
	for _, actor := range []access.Actor{servicetest.OfficerB, servicetest.Mediator, servicetest.Observer, servicetest.OfficerC} {
		if _, err := f.s.GetProposal(ctx, actor, draft.ID); !errors.Is(err, service.ErrNotFound) {
			t.Errorf("%s reading A's draft: err = %v, want not found", actor, err)
		}
		ps, _ := f.s.ListProposals(ctx, actor, service.ProposalFilter{})
		for _, p := range ps {
			if p.ID == draft.ID {
				t.Errorf("%s lists A's draft", actor)
			}
		}
	}
	if _, err := f.s.AcceptProposal(ctx, servicetest.OfficerB, draft.ID, ""); !errors.Is(err, service.ErrNotFound) {
		t.Errorf("B accepting a draft it cannot see: err = %v", err)
	}
	for _, c := range []struct {
		actor access.Actor
		n     int
	}{{servicetest.OfficerA, 5}, {servicetest.OfficerB, 4}, {servicetest.Mediator, 4}, {servicetest.Observer, 4}, {servicetest.OfficerC, 0}} {
		ps, err := f.s.ListProposals(ctx, c.actor, service.ProposalFilter{RoundID: f.round.ID})
		if err != nil || len(ps) != c.n {
			t.Errorf("%s lists %d proposals (%v), want %d", c.actor, len(ps), err, c.n)
		}
	}
	for _, id := range []string{p1.ID, p2.ID} {
		if _, err := f.s.GetProposal(ctx, servicetest.OfficerC, id); !errors.Is(err, service.ErrNotFound) {
			t.Errorf("party C reading %s: err = %v, want not found", id, err)
		}
	}
	if _, err := f.s.GetAgreement(ctx, servicetest.OfficerC, ag.ID); !errors.Is(err, service.ErrNotFound) {
		t.Errorf("party C reading the agreement: err = %v, want not found", err)
	}
	if as, _ := f.s.ListAgreements(ctx, servicetest.OfficerC, ""); len(as) != 0 {
		t.Errorf("party C lists %d agreements", len(as))
	}
	if as, _ := f.s.ListAgreements(ctx, servicetest.Observer, f.round.ID); len(as) != 1 {
		t.Errorf("the observer lists %d agreements, want 1", len(as))
	}
	if _, err := f.s.SubmitDraft(ctx, servicetest.OfficerB, draft.ID); !errors.Is(err, service.ErrNotFound) {
		t.Errorf("B submitting A's draft: err = %v", err)
	}
	sub, err := f.s.SubmitDraft(ctx, servicetest.OfficerA, draft.ID)
	if err != nil || sub.State != "submitted" {
		t.Fatalf("submit draft: %v", err)
	}
	if _, err := f.s.GetProposal(ctx, servicetest.OfficerB, draft.ID); err != nil {
		t.Errorf("B cannot read the submitted draft: %v", err)
	}
	if _, err := f.s.SubmitDraft(ctx, servicetest.OfficerA, draft.ID); !errors.Is(err, service.ErrConflict) {
		t.Errorf("submitting twice: err = %v, want conflict", err)
	}
}

// TestConcurrentAcceptAndCounter answers one proposal many times at once,
// half accepting and half countering: exactly one answer wins, on both
// databases.
func testConcurrentAcceptAndCounter(t *testing.T, f *negFixture) {
	ctx := context.Background()
	oo := negotiation.Terms{Rule: negotiation.OneForOne}
	for round := range 3 {
		p, err := f.propose(t, servicetest.OfficerA, oo, refs(f.listA, 1+round), refs(f.listB, 1+round))
		if err != nil {
			t.Fatal(err)
		}
		const n = 12
		var wg sync.WaitGroup
		errs := make([]error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if i%2 == 0 {
					_, errs[i] = f.s.AcceptProposal(ctx, servicetest.OfficerB, p.ID, "")
				} else {
					_, errs[i] = f.s.CounterProposal(ctx, servicetest.OfficerB, p.ID, service.ProposalRequest{Terms: oo, Releases: append(refs(f.listB, 5), refs(f.listA, 10)...)})
				}
			}()
		}
		close(start)
		wg.Wait()
		won, accepted := 0, false
		for i, err := range errs {
			switch {
			case err == nil:
				won++
				accepted = i%2 == 0
			case !errors.Is(err, service.ErrConflict):
				t.Errorf("answer %d: err = %v, want conflict", i, err)
			}
		}
		if won != 1 {
			t.Fatalf("%d answers won, want exactly 1", won)
		}
		got, err := f.s.GetProposal(ctx, servicetest.Mediator, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		thread, err := f.s.ProposalThread(ctx, servicetest.Mediator, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case accepted && (got.State != "accepted" || len(thread) != 1):
			t.Errorf("accept won but state %s, thread of %d", got.State, len(thread))
		case !accepted && (got.State != "countered" || len(thread) != 2 || got.CounteredBy == ""):
			t.Errorf("counter won but state %s, thread of %d", got.State, len(thread))
		}
		if accepted {
			if _, err := f.s.WithdrawProposal(ctx, servicetest.OfficerA, p.ID, ""); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.s.WithdrawProposal(ctx, servicetest.OfficerB, got.CounteredBy, ""); err != nil {
			t.Fatal(err)
		}
	}
}

// testConcurrentWitnesses witnesses at once two accepted proposals that
// release the same persons: one agreement takes them, the other is refused.
func testConcurrentWitnesses(t *testing.T, f *negFixture) {
	ctx := context.Background()
	oo := negotiation.Terms{Rule: negotiation.OneForOne}
	var ids []string
	for range 4 {
		p, err := f.propose(t, servicetest.OfficerA, oo, refs(f.listA, 8), refs(f.listB, 6))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.AcceptProposal(ctx, servicetest.OfficerB, p.ID, ""); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = f.s.WitnessProposal(ctx, servicetest.Mediator, id)
		}()
	}
	close(start)
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, service.ErrConflict):
			t.Errorf("witness %d: err = %v, want conflict", i, err)
		}
	}
	if ags, _ := f.s.ListAgreements(ctx, servicetest.Mediator, f.round.ID); won != 1 || len(ags) != 1 {
		t.Errorf("%d witnesses won, %d agreements, want exactly 1", won, len(ags))
	}
}

// TestAgreementImmutable has a database of its own: it disables the
// triggers that guard agreements.
func TestAgreementImmutable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newNegFixture(t, newNegService(t, b))
		ag := f.agree(t, negotiation.Terms{Rule: negotiation.OneForOne}, refs(f.listA, 1, 2), refs(f.listB, 1, 2))
		if !strings.HasPrefix(ag.ContentHash, "sha256:") {
			t.Fatalf("content hash %q", ag.ContentHash)
		}
		raw := ag.Sides
		sides := [2][]negotiation.Release{raw[0].Releases, raw[1].Releases}
		if h, err := service.AgreementHash(ag.Agreement, sides); err != nil || h != ag.ContentHash {
			t.Errorf("recomputed hash %s, stored %s", h, ag.ContentHash)
		}
		if _, err := f.s.WitnessProposal(ctx, servicetest.Mediator, ag.ProposalID); !errors.Is(err, service.ErrConflict) {
			t.Errorf("witnessing twice: err = %v, want conflict", err)
		}
		if _, err := f.s.WithdrawProposal(ctx, servicetest.OfficerA, ag.ProposalID, ""); !errors.Is(err, service.ErrConflict) {
			t.Errorf("withdrawing an agreed proposal: err = %v, want conflict", err)
		}
		db := service.StoreOf(f.s).SQL()
		q := func(s string) string {
			if service.StoreOf(f.s).Dialect() == store.Postgres {
				return strings.ReplaceAll(s, "?", "$1")
			}
			return s
		}
		for _, stmt := range []string{
			`UPDATE agreements SET terms = '{}' WHERE id = ?`,
			`DELETE FROM agreements WHERE id = ?`,
			`UPDATE agreement_releases SET basis = 'art118' WHERE agreement_id = ?`,
			`DELETE FROM agreement_releases WHERE agreement_id = ?`,
		} {
			if _, err := db.ExecContext(ctx, q(stmt), ag.ID); err == nil || !strings.Contains(err.Error(), "immutable") {
				t.Errorf("%s: err = %v, want refused as immutable", stmt, err)
			}
		}
		// Behind the triggers' back, a changed person is caught by the hash.
		disable := `DROP TRIGGER agreement_releases_no_update`
		if service.StoreOf(f.s).Dialect() == store.Postgres {
			disable = `ALTER TABLE agreement_releases DISABLE TRIGGER agreement_releases_immutable`
		}
		if _, err := db.ExecContext(ctx, disable); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, q(`UPDATE agreement_releases SET basis = 'art118' WHERE agreement_id = ?`), ag.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.GetAgreement(ctx, servicetest.Mediator, ag.ID); !errors.Is(err, service.ErrTampered) {
			t.Errorf("reading a tampered agreement: err = %v, want ErrTampered", err)
		}
	})
}
