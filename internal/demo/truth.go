package demo

import (
	"context"
	"fmt"

	"parley/internal/disputes"
	"parley/internal/families"
	"parley/internal/person"
	"parley/internal/service"
)

// After the second stage, the demo puts two things on the record that the
// talks of June 2025 were full of: disputes about the first list (Party B
// contests rows of it and claims the persons its registry believes held
// but the list leaves off; Party A answers), and a death in captivity that
// Party A reports and that reaches a family only when an officer of Party B
// releases it, with Party B's own words.

// TruthResult says what BuildDisputesAndDeath created.
type TruthResult struct {
	Contests []string `json:"contests"`
	ClaimID  string   `json:"claim_id"`
	DeathID  string   `json:"death_id"`
	// The family of the dead man: its inquiry's reference and secret, to
	// look at the family page.
	FamilyReference string `json:"family_reference"`
	FamilySecret    string `json:"family_secret"`
}

// The text Party B writes to the family (the family asked in Ukrainian).
const deathText = "З глибоким сумом повідомляємо вам цю звістку. Офіцер служби розшуку зателефонує вам і приїде до вас; документи про смерть передано нам, і ми передамо їх вам."

// BuildDisputesAndDeath adds disputes and a released death to a scenario
// built by Build and BuildNegotiation.
func BuildDisputesAndDeath(ctx context.Context, s *service.Service, res *Result) (*TruthResult, error) {
	out := &TruthResult{}
	l, err := s.GetList(ctx, demoOfficerB, res.FirstListID)
	if err != nil {
		return nil, err
	}
	// Rows no stage has touched: the last ones of the list.
	var free []int
	for i := len(l.Entries) - 1; i >= 0 && len(free) < 3; i-- {
		if e := l.Entries[i]; e.Kind != person.KindPOW || e.Surname == "" || e.GivenNames == "" {
			continue
		}
		t, err := s.PersonTimeline(ctx, demoMediator, l.ID, l.Entries[i].Row)
		if err != nil {
			return nil, err
		}
		if len(t.Steps) == 1 {
			free = append(free, l.Entries[i].Row)
		}
	}
	if len(free) < 3 {
		return nil, fmt.Errorf("the first list has fewer than three persons outside every stage")
	}

	// Party B contests two rows; Party A accepts one and rejects the other.
	for i, c := range []service.ContestRequest{
		{ListID: l.ID, Row: free[1], Reason: disputes.Civilian, Note: "A civilian driver of a humanitarian convoy, not a serviceman."},
		{ListID: l.ID, Row: free[2], Reason: disputes.NotInCustody, Note: "Our records show him released on 16 May 2025."},
	} {
		d, err := s.ContestRow(ctx, demoOfficerB, c)
		if err != nil {
			return nil, fmt.Errorf("contest: %w", err)
		}
		out.Contests = append(out.Contests, d.ID)
		answer, reason := disputes.Accepted, ""
		if i == 1 {
			answer, reason = disputes.Rejected, "He is held in camp 5; he was not on the May exchange."
		}
		if _, err := s.AnswerDispute(ctx, demoOfficerA, d.ID, answer, reason); err != nil {
			return nil, fmt.Errorf("answer: %w", err)
		}
	}
	// Party B puts its left-off report to the mediator and Party A.
	runs, err := s.MatchRuns(ctx, demoOfficerB, "B", l.ID)
	if err != nil {
		return nil, err
	}
	if len(runs) > 0 {
		c, err := s.ClaimLeftOff(ctx, demoOfficerB, runs[0].ID, "Persons our registry believes you hold who are not on your first list.")
		if err != nil {
			return nil, fmt.Errorf("claim: %w", err)
		}
		out.ClaimID = c.ID
	}

	// A family of Party B asks about the man of row free[0]; an officer of
	// Party B confirms the link; Party A reports his death; Party B
	// releases the news.
	e := l.Entries[0]
	for _, x := range l.Entries {
		if x.Row == free[0] {
			e = x
		}
	}
	reg, err := s.RegisterInquiry(ctx, families.Request{Surname: e.Surname, GivenNames: e.GivenNames, Patronymic: e.Patronymic, BirthDate: e.BirthDate.String(),
		Party: "B", Relationship: "parent", Email: "family@example.org", Lang: "uk", Consent: true}, service.RegisterOptions{Source: families.SourceAPI})
	if err != nil {
		return nil, fmt.Errorf("family inquiry: %w", err)
	}
	out.FamilyReference, out.FamilySecret = reg.Reference, reg.Secret
	links, err := s.PendingLinks(ctx, demoOfficerB)
	if err != nil {
		return nil, err
	}
	for _, lk := range links {
		if lk.Link.ListID == l.ID && lk.Link.Row == e.Row {
			if err := s.ConfirmLink(ctx, demoOfficerB, lk.Link.ID, "Confirmed by the unit's records."); err != nil {
				return nil, err
			}
		}
	}
	d, err := s.RecordDeath(ctx, demoOfficerA, service.DeathRequest{ListID: l.ID, Row: e.Row, DiedOn: "2025-06-03", Place: "Detention facility No. 2",
		Cause: "acute heart failure", Burial: "cemetery of the facility, plot 4", Grave: "grave 17, marked with his name",
		ReportedBy: "head of the medical unit of the facility", Documents: []string{"death certificate 114/2025", "medical report of 3 June 2025"}})
	if err != nil {
		return nil, fmt.Errorf("death: %w", err)
	}
	out.DeathID = d.ID
	if _, _, err := s.ReleaseDeath(ctx, demoOfficerB, d.ID, deathText); err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	return out, nil
}
