package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"

	"parley/internal/access"
	"parley/internal/category"
	"parley/internal/handover"
	"parley/internal/negotiation"
	"parley/internal/person"
	"parley/internal/service"
)

// The negotiation history of the demo follows the course of June 2025: a
// round in Istanbul agrees "all for all" for the seriously wounded and
// seriously sick and for soldiers aged 18–25; the first list of 640 and
// the other side's counter-list are checked against that approach; a first
// stage repatriates seriously wounded and sick prisoners unilaterally
// under Art. 109; a second stage exchanges one for one, young soldiers
// first, after one counter-proposal; on the day of the second stage a few
// prisoners refuse to go home, a few are not brought, and one is replaced
// by another.

// NegotiationResult says what BuildNegotiation created.
type NegotiationResult struct {
	RoundID string `json:"round_id"`
	// Conformance of the first list and of the counter-list to the round's
	// agreed approach.
	FirstListConformance   *service.ConformanceReport `json:"first_list_conformance"`
	CounterListConformance *service.ConformanceReport `json:"counter_list_conformance"`
	FirstStage             StageHistory               `json:"first_stage"`
	SecondStage            StageHistory               `json:"second_stage"`
}

// StageHistory is one stage from proposal to report.
type StageHistory struct {
	// Proposals is the thread that led to the agreement, oldest first.
	Proposals    []string               `json:"proposals"`
	AgreementID  string                 `json:"agreement_id"`
	Refused      []service.ReleaseRef   `json:"refused,omitempty"`
	NotPresented []service.ReleaseRef   `json:"not_presented,omitempty"`
	Substitution *Substitution          `json:"substitution,omitempty"`
	Report       *handover.Report       `json:"report"`
	Plan         *negotiation.StagePlan `json:"-"`
}

// Substitution is a person brought in place of an agreed one.
type Substitution struct {
	Replaced service.ReleaseRef `json:"replaced"`
	By       service.ReleaseRef `json:"by"`
}

// stageSizes returns the capacities of the demo's stages: for the first
// list of 640, 120 in the first stage and 100 a side proposed for the
// second, which Party B's counter-proposal brings down to the 90 it says
// the crossing takes; smaller scenarios get proportionally smaller stages.
func stageSizes(sc Scenario) (first, second, counter int) {
	first = max(1, min(120, sc.FirstList*3/16))
	second = max(2, min(100, sc.FirstList*5/32))
	return first, second, second * 9 / 10
}

// The actors of the demo's negotiation.
var (
	demoOfficerA = access.Actor{Username: "demo-a", Roles: []access.Role{access.Officer}, Party: "A"}
	demoOfficerB = access.Actor{Username: "demo-b", Roles: []access.Role{access.Officer}, Party: "B"}
	demoMediator = access.Actor{Username: "demo-mediator", Roles: []access.Role{access.Mediator}}
	demoObserver = access.Actor{Username: "demo-observer", Roles: []access.Role{access.Observer}}
)

// BuildNegotiation adds the negotiation history to a scenario built by
// Build, through the same service calls the parties, the mediator and the
// observers make. The choices of the day of the handover are drawn from
// the scenario's seed, so the same scenario gives the same history.
func BuildNegotiation(ctx context.Context, s *service.Service, res *Result, sc Scenario) (*NegotiationResult, error) {
	out := &NegotiationResult{}
	approach := negotiation.Criteria{Categories: []string{category.Wounded, category.SeriouslyIll}, AgeMin: 18, AgeMax: 25, RefDate: sc.RefDate}
	round, err := s.CreateRound(ctx, demoMediator, service.RoundRequest{
		Title: "Istanbul, first round", Venue: "Istanbul",
		StartsOn: person.Date{Year: 2025, Month: 6, Day: 2}, EndsOn: person.Date{Year: 2025, Month: 6, Day: 2},
		Parties:      [2]string{"A", "B"},
		Participants: []string{"Delegation of Party A", "Delegation of Party B", "Mediator"},
		Notes:        "All for all for the seriously wounded and seriously sick and for soldiers aged 18–25.",
		Criteria:     &approach,
	})
	if err != nil {
		return nil, fmt.Errorf("round: %w", err)
	}
	out.RoundID = round.ID
	for _, id := range []string{res.FirstListID, res.CounterListID} {
		if _, err := s.AttachList(ctx, demoMediator, round.ID, id); err != nil {
			return nil, fmt.Errorf("attach list %s: %w", id, err)
		}
	}
	if out.FirstListConformance, err = s.ConformanceReport(ctx, demoMediator, round.ID, res.FirstListID); err != nil {
		return nil, err
	}
	if out.CounterListConformance, err = s.ConformanceReport(ctx, demoMediator, round.ID, res.CounterListID); err != nil {
		return nil, err
	}
	lists := [2]string{res.FirstListID, res.CounterListID}
	if out.FirstStage, err = firstStage(ctx, s, round.ID, lists, sc); err != nil {
		return nil, fmt.Errorf("first stage: %w", err)
	}
	if out.SecondStage, err = secondStage(ctx, s, round.ID, lists, sc); err != nil {
		return nil, fmt.Errorf("second stage: %w", err)
	}
	return out, nil
}

// firstStage: Party A releases the most severely wounded and sick of its
// first list unilaterally under Art. 109; all consent and are handed over.
func firstStage(ctx context.Context, s *service.Service, roundID string, lists [2]string, sc Scenario) (StageHistory, error) {
	var h StageHistory
	capacity, _, _ := stageSizes(sc)
	medical := []string{category.Wounded, category.SeriouslyIll}
	plan, err := s.PlanStage(ctx, demoOfficerA, service.PlanRequest{ListIDs: lists, Rule: negotiation.Unilateral, Categories: medical,
		Capacity: capacity, RefDate: sc.RefDate})
	if err != nil {
		return h, err
	}
	var refs []service.ReleaseRef
	for _, d := range plan.Sides[0].Released {
		refs = append(refs, service.ReleaseRef{ListID: d.ListID, Row: d.Row})
	}
	p, err := s.SubmitProposal(ctx, demoOfficerA, service.ProposalRequest{RoundID: roundID, From: "A",
		Terms: negotiation.Terms{Rule: negotiation.Unilateral, Categories: medical, Capacity: capacity},
		Date:  person.Date{Year: 2025, Month: 6, Day: 10}, RefDate: sc.RefDate, Releases: refs,
		Note: "Direct repatriation of the seriously wounded and seriously sick (GC III Art. 109)."})
	if err != nil {
		return h, err
	}
	h.Proposals = []string{p.ID}
	if _, err := s.AcceptProposal(ctx, demoOfficerB, p.ID, ""); err != nil {
		return h, err
	}
	ag, err := s.WitnessProposal(ctx, demoMediator, p.ID)
	if err != nil {
		return h, err
	}
	h.AgreementID = ag.ID
	for _, st := range ag.Handover {
		if err := handOver(ctx, s, ag.ID, st); err != nil {
			return h, err
		}
	}
	h.Report, err = s.StageReport(ctx, demoMediator, ag.ID)
	return h, err
}

// secondStage: one for one, young soldiers first. Party A proposes what
// the planner composes; Party B counters with a smaller stage; Party A
// accepts and the mediator witnesses. On the day a few refuse, a few are
// not brought, and one of Party A's prisoners is replaced by another.
func secondStage(ctx context.Context, s *service.Service, roundID string, lists [2]string, sc Scenario) (StageHistory, error) {
	var h StageHistory
	_, capacity, counterCapacity := stageSizes(sc)
	cats := []string{category.Youth, category.Wounded, category.SeriouslyIll}
	youngFirst := []string{negotiation.PriorityYoungest, negotiation.PriorityMedical, negotiation.PriorityLongestCaptivity}
	req := service.PlanRequest{ListIDs: lists, Rule: negotiation.OneForOne, Categories: cats, Capacity: capacity, Priority: youngFirst, RefDate: sc.RefDate}
	date := person.Date{Year: 2025, Month: 6, Day: 14}
	p, err := s.SubmitProposal(ctx, demoOfficerA, service.ProposalRequest{RoundID: roundID, From: "A", Date: date, Plan: &req,
		Note: "One for one, young soldiers first, then the wounded."})
	if err != nil {
		return h, err
	}
	counter := req
	counter.Capacity = counterCapacity
	counter.Priority = []string{negotiation.PriorityYoungest, negotiation.PriorityLongestCaptivity}
	c, err := s.CounterProposal(ctx, demoOfficerB, p.ID, service.ProposalRequest{Date: date, Plan: &counter,
		Note: fmt.Sprintf("The crossing takes %d a side; the youngest first, then the longest in captivity.", counterCapacity)})
	if err != nil {
		return h, err
	}
	h.Proposals = []string{p.ID, c.ID}
	if _, err := s.AcceptProposal(ctx, demoOfficerA, c.ID, ""); err != nil {
		return h, err
	}
	ag, err := s.WitnessProposal(ctx, demoMediator, c.ID)
	if err != nil {
		return h, err
	}
	h.AgreementID = ag.ID

	// The day of the handover, drawn from the seed.
	r := rand.New(rand.NewPCG(sc.Seed, 11))
	bySide := map[string][]handover.PersonState{}
	for _, st := range ag.Handover {
		bySide[st.Party] = append(bySide[st.Party], st)
	}
	fate := map[string]string{}
	key := func(st handover.PersonState) string { return fmt.Sprintf("%s/%d", st.ListID, st.Row) }
	pick := func(party string, n int, what string) []handover.PersonState {
		var chosen []handover.PersonState
		for _, i := range r.Perm(len(bySide[party])) {
			if len(chosen) == n {
				break
			}
			st := bySide[party][i]
			if fate[key(st)] == "" {
				fate[key(st)] = what
				chosen = append(chosen, st)
			}
		}
		slices.SortFunc(chosen, func(a, b handover.PersonState) int { return a.Row - b.Row })
		return chosen
	}
	refused := append(pick("A", 2, "refused"), pick("B", 2, "refused")...)
	notPresented := append(pick("A", 1, "not_presented"), pick("B", 2, "not_presented")...)
	replaced := pick("A", 1, "substituted")
	for _, st := range ag.Handover {
		switch fate[key(st)] {
		case "refused":
			if _, err := s.RecordInterview(ctx, demoObserver, ag.ID, st.ListID, st.Row, handover.Refuses); err != nil {
				return h, err
			}
			h.Refused = append(h.Refused, service.ReleaseRef{ListID: st.ListID, Row: st.Row})
		case "not_presented":
			if _, err := s.RecordOutcome(ctx, demoObserver, service.OutcomeRequest{AgreementID: ag.ID, ListID: st.ListID, Row: st.Row, Outcome: handover.NotPresented}); err != nil {
				return h, err
			}
			h.NotPresented = append(h.NotPresented, service.ReleaseRef{ListID: st.ListID, Row: st.Row})
		case "substituted":
			by, err := substituteFor(ctx, s, st, lists, sc)
			if err != nil {
				return h, err
			}
			if _, err := s.RecordOutcome(ctx, demoObserver, service.OutcomeRequest{AgreementID: ag.ID, ListID: st.ListID, Row: st.Row, Outcome: handover.Substituted,
				Substitute: &service.SubstituteRequest{ListID: by.ListID, Row: by.Row, Interview: handover.Consents}}); err != nil {
				return h, err
			}
			h.Substitution = &Substitution{Replaced: service.ReleaseRef{ListID: st.ListID, Row: st.Row}, By: by}
		default:
			if err := handOver(ctx, s, ag.ID, st); err != nil {
				return h, err
			}
		}
	}
	if len(refused) != len(h.Refused) || len(notPresented) != len(h.NotPresented) || (len(replaced) > 0) != (h.Substitution != nil) {
		return h, fmt.Errorf("the day of the handover did not go as drawn")
	}
	h.Report, err = s.StageReport(ctx, demoMediator, ag.ID)
	return h, err
}

// handOver records a consenting interview and the handover of one person;
// remains are handed over without an interview.
func handOver(ctx context.Context, s *service.Service, agreementID string, st handover.PersonState) error {
	if st.Person.Kind != person.KindRemains {
		if _, err := s.RecordInterview(ctx, demoObserver, agreementID, st.ListID, st.Row, handover.Consents); err != nil {
			return err
		}
	}
	_, err := s.RecordOutcome(ctx, demoObserver, service.OutcomeRequest{AgreementID: agreementID, ListID: st.ListID, Row: st.Row, Outcome: handover.HandedOver})
	return err
}

// substituteFor finds the person Party A brings in place of st: the first
// row of its list, in row order, that no agreement holds and that fits the
// stage's categories on the reference date, as the planner sees it.
func substituteFor(ctx context.Context, s *service.Service, st handover.PersonState, lists [2]string, sc Scenario) (service.ReleaseRef, error) {
	free, err := s.PlanStage(ctx, demoOfficerA, service.PlanRequest{ListIDs: lists, Rule: negotiation.AllForAll,
		Categories: []string{category.Youth, category.Wounded, category.SeriouslyIll}, RefDate: sc.RefDate})
	if err != nil {
		return service.ReleaseRef{}, err
	}
	var rows []int
	for _, d := range free.Sides[0].Released {
		rows = append(rows, d.Row)
	}
	if len(rows) == 0 {
		return service.ReleaseRef{}, fmt.Errorf("no one on list %s is free to replace row %d", st.ListID, st.Row)
	}
	return service.ReleaseRef{ListID: lists[0], Row: slices.Min(rows)}, nil
}
