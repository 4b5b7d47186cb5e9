package demo

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"parley/internal/access"
	"parley/internal/category"
	"parley/internal/handover"
	"parley/internal/negotiation"
	"parley/internal/service"
	"parley/internal/store/storetest"
)

// buildHistory builds the scenario and its negotiation in a fresh SQLite
// installation.
func buildHistory(t *testing.T, sc Scenario) (*service.Service, *Result, *NegotiationResult) {
	t.Helper()
	ctx := context.Background()
	b := storetest.Backend{Name: "sqlite", DataDir: t.TempDir()}
	s, err := service.New(ctx, b.Open(t), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateParties(ctx, Parties); err != nil {
		t.Fatal(err)
	}
	res, err := Build(ctx, s, b.DataDir, sc)
	if err != nil {
		t.Fatal(err)
	}
	neg, err := BuildNegotiation(ctx, s, res, sc)
	if err != nil {
		t.Fatal(err)
	}
	return s, res, neg
}

// rowsOf returns the rows of an agreement by party.
func rowsOf(ag *service.AgreementView) map[string][]int {
	out := map[string][]int{}
	for _, side := range ag.Sides {
		for _, r := range side.Releases {
			out[side.Party] = append(out[side.Party], r.Row)
		}
	}
	return out
}

func TestBuildNegotiation(t *testing.T) {
	ctx := context.Background()
	// A smaller first list than the report's 640 keeps the test short; the
	// stages shrink in proportion (see stageSizes).
	sc := Default()
	sc.FirstList, sc.CounterList, sc.Registry = 160, 120, 300
	firstCap, _, counterCap := stageSizes(sc)
	s, res, neg := buildHistory(t, sc)
	sys := access.System

	// Both lists are checked against "seriously wounded, seriously sick,
	// aged 18–25"; the counter-list holds persons outside it.
	fc, cc := neg.FirstListConformance, neg.CounterListConformance
	if fc.Entries != sc.FirstList || fc.Conforming+len(fc.Nonconforming) != fc.Entries {
		t.Errorf("first list conformance: %d + %d of %d", fc.Conforming, len(fc.Nonconforming), fc.Entries)
	}
	if cc.Entries != sc.CounterList || len(cc.Nonconforming) == 0 {
		t.Errorf("counter-list conformance: %d nonconforming of %d", len(cc.Nonconforming), cc.Entries)
	}
	round, err := s.GetRound(ctx, sys, neg.RoundID)
	if err != nil {
		t.Fatal(err)
	}
	if len(round.Lists) != 2 || len(round.Agreements) != 2 || len(round.Proposals) != 3 || round.Criteria == nil {
		t.Errorf("round: %d lists, %d proposals, %d agreements", len(round.Lists), len(round.Proposals), len(round.Agreements))
	}

	// First stage: Party A alone, seriously wounded and sick, Art. 109,
	// within capacity, all handed over.
	first, err := s.GetAgreement(ctx, sys, neg.FirstStage.AgreementID)
	if err != nil {
		t.Fatal(err)
	}
	a1 := first.Sides[0].Releases
	if first.Terms.Rule != negotiation.Unilateral || len(a1) == 0 || len(a1) > firstCap || len(first.Sides[1].Releases) != 0 {
		t.Fatalf("first stage: rule %s, A releases %d, B %d", first.Terms.Rule, len(a1), len(first.Sides[1].Releases))
	}
	for _, r := range a1 {
		if r.LegalBasis.Code != negotiation.BasisArt109 || (!r.Person.HasCategory(category.Wounded) && !r.Person.HasCategory(category.SeriouslyIll)) {
			t.Errorf("first stage row %d: basis %s, categories %v", r.Row, r.LegalBasis, r.Person.Categories)
		}
	}
	r1 := neg.FirstStage.Report
	if !r1.Complete || r1.Sides[0].Counts.HandedOver != len(a1) || len(r1.Items) != 0 || r1.BreachMessage != "" {
		t.Errorf("first stage report: %+v", r1)
	}

	// Second stage: proposed by A, countered once by B, accepted, witnessed.
	thread, err := s.ProposalThread(ctx, sys, neg.SecondStage.Proposals[1])
	if err != nil {
		t.Fatal(err)
	}
	if len(thread) != 2 || thread[0].From != "A" || thread[0].State != "countered" || thread[1].From != "B" || thread[1].State != "agreed" {
		t.Fatalf("second stage thread: %d proposals", len(thread))
	}
	second, err := s.GetAgreement(ctx, sys, neg.SecondStage.AgreementID)
	if err != nil {
		t.Fatal(err)
	}
	if second.ProposalID != thread[1].ID || second.Terms.Rule != negotiation.OneForOne || second.Terms.Capacity != counterCap {
		t.Errorf("second stage terms %+v from %s", second.Terms, second.ProposalID)
	}
	n := len(second.Sides[0].Releases)
	if n == 0 || n != len(second.Sides[1].Releases) || n > counterCap {
		t.Fatalf("second stage: %d and %d", n, len(second.Sides[1].Releases))
	}
	youth := 0
	for _, side := range second.Sides {
		for _, r := range side.Releases {
			youth += len(slices.DeleteFunc(slices.Clone(r.Person.Categories), func(c string) bool { return c != category.Youth }))
		}
	}
	if youth == 0 {
		t.Error("the second stage includes no youth")
	}
	// Nobody is released twice.
	for _, row := range rowsOf(second)["A"] {
		if slices.Contains(rowsOf(first)["A"], row) {
			t.Errorf("row %d of the first list is in both stages", row)
		}
	}

	// The day of the second stage.
	h := neg.SecondStage
	if len(h.Refused) != 4 || len(h.NotPresented) != 3 || h.Substitution == nil {
		t.Fatalf("refused %d, not presented %d, substitution %v", len(h.Refused), len(h.NotPresented), h.Substitution)
	}
	refused := map[string]bool{}
	for _, r := range h.Refused {
		refused[fmt.Sprintf("%s/%d", r.ListID, r.Row)] = true
	}
	for _, st := range second.Handover {
		if refused[fmt.Sprintf("%s/%d", st.ListID, st.Row)] && (st.Outcome == handover.HandedOver || st.Interview != handover.Refuses) {
			t.Errorf("row %d of %s refused but is %s", st.Row, st.ListID, st.Status)
		}
	}
	r2 := h.Report
	counts := map[string]handover.Counts{}
	for _, side := range r2.Sides {
		counts[side.Party] = side.Counts
	}
	a, b := counts["A"], counts["B"]
	if !r2.Complete || a.Refused != 2 || b.Refused != 2 || a.NotPresented != 1 || b.NotPresented != 2 || a.Substituted != 1 || a.Owed != 1 || b.Owed != 2 {
		t.Errorf("second stage counts: A %+v, B %+v", a, b)
	}
	if a.HandedOver != n-4 || b.HandedOver != n-4 || a.Released != n-3 {
		t.Errorf("handed over %d and %d of %d", a.HandedOver, b.HandedOver, n)
	}
	// Refusals count as released (never owed), the substitute replaces his
	// man; what is owed breaks the parity, in the agreement's order of sides.
	released := map[string]int{"A": n - 1, "B": n - 2}
	p0, p1 := second.Parties[0], second.Parties[1]
	if want := fmt.Sprintf("%s releases %d, %s releases %d under one-for-one", p0, released[p0], p1, released[p1]); !strings.Contains(r2.BreachMessage, want) {
		t.Errorf("breach %q, want %q", r2.BreachMessage, want)
	}
	tl, err := s.PersonTimeline(ctx, sys, h.Substitution.By.ListID, h.Substitution.By.Row)
	if err != nil {
		t.Fatal(err)
	}
	if tl.Status != service.StatusSubstitutedFor || h.Substitution.By.ListID != res.FirstListID {
		t.Errorf("substitute's timeline ends %s", tl.Status)
	}

	// The same scenario gives the same history.
	s2, _, neg2 := buildHistory(t, sc)
	second2, err := s2.GetAgreement(ctx, sys, neg2.SecondStage.AgreementID)
	if err != nil {
		t.Fatal(err)
	}
	first2, err := s2.GetAgreement(ctx, sys, neg2.FirstStage.AgreementID)
	if err != nil {
		t.Fatal(err)
	}
	same := func(x, y any) bool { return fmt.Sprint(x) == fmt.Sprint(y) }
	if !same(rowsOf(first), rowsOf(first2)) || !same(rowsOf(second), rowsOf(second2)) {
		t.Error("the stages differ between two builds of one scenario")
	}
	rowsOnly := func(h StageHistory) string {
		var parts []string
		for _, r := range append(append([]service.ReleaseRef(nil), h.Refused...), h.NotPresented...) {
			parts = append(parts, fmt.Sprint(r.Row))
		}
		return strings.Join(parts, ",") + fmt.Sprintf(" %d→%d", h.Substitution.Replaced.Row, h.Substitution.By.Row)
	}
	if rowsOnly(neg.SecondStage) != rowsOnly(neg2.SecondStage) {
		t.Errorf("the day of the handover differs: %s vs %s", rowsOnly(neg.SecondStage), rowsOnly(neg2.SecondStage))
	}
}
