package service_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"parley/internal/access"
	"parley/internal/handover"
	"parley/internal/negotiation"
	"parley/internal/person"
	"parley/internal/service"
	"parley/internal/service/servicetest"
)

func (f *negFixture) outcome(t *testing.T, actor access.Actor, ag, list string, row int, o handover.Outcome) (*service.StepResult, error) {
	t.Helper()
	return f.s.RecordOutcome(context.Background(), actor, service.OutcomeRequest{AgreementID: ag, ListID: list, Row: row, Outcome: o})
}

func testRefusalInvariant(t *testing.T, f *negFixture) {
	ctx := context.Background()
	ag := f.agree(t, negotiation.Terms{Rule: negotiation.OneForOne}, refs(f.listA, 1, 2), refs(f.listB, 1, 2))
	before := handoverSteps(f.log)
	if _, err := f.s.RecordInterview(ctx, servicetest.Observer, ag.ID, f.listA, 1, handover.Refuses); err != nil {
		t.Fatal(err)
	}
	for _, o := range []handover.Outcome{handover.HandedOver, handover.NotPresented, handover.Deceased} {
		_, err := f.outcome(t, servicetest.Observer, ag.ID, f.listA, 1, o)
		if !errors.Is(err, handover.ErrRefused) || !errors.Is(err, service.ErrConflict) {
			t.Errorf("%s after a refusal: err = %v, want the refusal to stand", o, err)
		}
	}
	if _, err := f.s.RecordInterview(ctx, servicetest.Observer, ag.ID, f.listA, 1, handover.Consents); !errors.Is(err, handover.ErrRefused) {
		t.Errorf("consent after a refusal: err = %v, want the refusal to stand", err)
	}
	if got := handoverSteps(f.log) - before; got != 1 {
		t.Errorf("%d log entries, want 1 (the interview; refused steps are neither stored nor logged)", got)
	}
	// Nobody is handed over before his consent is recorded.
	if _, err := f.outcome(t, servicetest.Observer, ag.ID, f.listB, 1, handover.HandedOver); !errors.Is(err, handover.ErrOrder) {
		t.Errorf("handing over before the interview: err = %v, want out of order", err)
	}
	rep, err := f.s.StageReport(ctx, servicetest.OfficerB, ag.ID)
	if err != nil {
		t.Fatal(err)
	}
	a := rep.Sides[0]
	if a.Party != "A" || a.Counts.Refused != 1 || a.Counts.HandedOver != 0 || a.Counts.Owed != 1 || a.Counts.Pending != 1 {
		t.Errorf("A's counts = %+v: one refusal (never owed), one pending (owed)", a.Counts)
	}
	if rep.Complete {
		t.Error("stage complete with persons pending")
	}
	// The stored state reads back with the refusal, as the agreement shows.
	v, err := f.s.GetAgreement(ctx, servicetest.Mediator, ag.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range v.Handover {
		if st.ListID == f.listA && st.Row == 1 && (st.Interview != handover.Refuses || st.Outcome != "" || !st.Done()) {
			t.Errorf("row 1 read back as %+v", st)
		}
	}
}

func testStageReportAndCompletion(t *testing.T, f *negFixture) {
	ctx := context.Background()
	ag := f.agree(t, negotiation.Terms{Rule: negotiation.OneForOne}, refs(f.listA, 1, 2, 8), refs(f.listB, 1, 3, 6))
	type step struct {
		list      string
		row       int
		interview handover.Interview
		outcome   handover.Outcome
	}
	steps := []step{
		{f.listA, 1, handover.Refuses, ""},
		{f.listA, 2, handover.Consents, handover.HandedOver},
		{f.listA, 8, handover.Consents, handover.HandedOver},
		{f.listB, 1, handover.Consents, handover.HandedOver},
		{f.listB, 3, handover.Consents, handover.NotPresented},
		{f.listB, 6, "", handover.Deceased},
	}
	before := handoverSteps(f.log)
	var last *service.StepResult
	for i, st := range steps {
		if st.interview != "" {
			r, err := f.s.RecordInterview(ctx, servicetest.Observer, ag.ID, st.list, st.row, st.interview)
			if err != nil {
				t.Fatal(err)
			}
			last = r
		}
		if st.outcome == handover.Deceased {
			// The detaining side (B, for its own list) reports the death
			// in captivity first.
			if _, err := f.s.RecordDeath(ctx, servicetest.OfficerB, service.DeathRequest{ListID: st.list, Row: st.row, ReportedBy: "camp doctor"}); err != nil {
				t.Fatal(err)
			}
		}
		if st.outcome != "" {
			r, err := f.outcome(t, servicetest.Mediator, ag.ID, st.list, st.row, st.outcome)
			if err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			last = r
		}
		if (i < len(steps)-1) == last.Complete {
			t.Errorf("after step %d complete = %v", i, last.Complete)
		}
	}
	if got := handoverSteps(f.log) - before; got != 10 {
		t.Errorf("%d log entries for 10 recorded steps", got)
	}
	if _, err := f.outcome(t, servicetest.Observer, ag.ID, f.listA, 2, handover.NotPresented); !errors.Is(err, handover.ErrFinal) {
		t.Errorf("a second outcome: err = %v, want final", err)
	}
	rep, err := f.s.StageReport(ctx, servicetest.Observer, ag.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Complete {
		t.Fatal("stage not complete")
	}
	a, bb := rep.Sides[0].Counts, rep.Sides[1].Counts
	if a.Agreed != 3 || a.HandedOver != 2 || a.Refused != 1 || a.Owed != 0 {
		t.Errorf("A = %+v", a)
	}
	if bb.Agreed != 3 || bb.HandedOver != 1 || bb.NotPresented != 1 || bb.Deceased != 1 || bb.Owed != 1 {
		t.Errorf("B = %+v", bb)
	}
	types := map[string]int{}
	for _, it := range rep.Items {
		types[it.Type]++
	}
	if types[handover.ItemRefused] != 1 || types[handover.ItemNotPresented] != 1 || types[handover.ItemDeceased] != 1 || len(rep.Items) != 3 {
		t.Errorf("items = %+v", rep.Items)
	}
	// A's refusal counts as released for parity (never owed); B's not
	// presented and dead person leave B one short of A's three.
	if !strings.Contains(rep.BreachMessage, "A releases 3, B releases 1 under one-for-one") {
		t.Errorf("breach = %q", rep.BreachMessage)
	}
	if last.BreachMessage != rep.BreachMessage {
		t.Errorf("the last step reported breach %q, the report %q", last.BreachMessage, rep.BreachMessage)
	}
	if _, err := f.s.StageReport(ctx, servicetest.OfficerC, ag.ID); !errors.Is(err, service.ErrNotFound) {
		t.Errorf("party C: err = %v, want not found", err)
	}
	// The timeline of a person handed over, step by step.
	tl, err := f.s.PersonTimeline(ctx, servicetest.OfficerB, f.listA, 2)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, s := range tl.Steps {
		got = append(got, s.Status)
		if s.By == "" || s.At.IsZero() || (i > 0 && s.At.Before(tl.Steps[i-1].At)) {
			t.Errorf("step %s: by %q at %v", s.Status, s.By, s.At)
		}
	}
	if strings.Join(got, ",") != "listed,proposed,agreed,interviewed,handed_over" || tl.Status != "handed_over" || tl.Party != "A" {
		t.Errorf("timeline = %v, status %s", got, tl.Status)
	}
	if tl.Steps[1].ProposalID != ag.ProposalID || tl.Steps[2].AgreementID != ag.ID || tl.Steps[4].By != servicetest.Mediator.String() {
		t.Errorf("timeline steps = %+v", tl.Steps)
	}
	if _, err := f.s.PersonTimeline(ctx, servicetest.OfficerC, f.listA, 2); !errors.Is(err, service.ErrNotFound) {
		t.Errorf("party C reading a timeline: err = %v, want not found", err)
	}
	// The refused and the not presented may be proposed again; the
	// handed over and the dead may not.
	oo := negotiation.Terms{Rule: negotiation.OneForOne}
	if _, err := f.propose(t, servicetest.OfficerA, oo, refs(f.listA, 1), refs(f.listB, 3)); err != nil {
		t.Errorf("proposing the refused and the not presented again: %v", err)
	}
	if _, err := f.propose(t, servicetest.OfficerA, oo, refs(f.listA, 2), refs(f.listB, 6)); !errors.Is(err, service.ErrConflict) {
		t.Errorf("proposing the handed over again: err = %v, want conflict", err)
	}
}

func testSubstitution(t *testing.T, f *negFixture) {
	ctx := context.Background()
	terms := negotiation.Terms{Rule: negotiation.OneForOnePerCategory, Categories: []string{"wounded", "youth"}}
	ag := f.agree(t, terms, refs(f.listA, 1, 3), refs(f.listB, 1, 2))
	sub := func(row int, req *service.SubstituteRequest) (*service.StepResult, error) {
		return f.s.RecordOutcome(ctx, servicetest.Observer, service.OutcomeRequest{AgreementID: ag.ID, ListID: f.listA, Row: row, Outcome: handover.Substituted, Substitute: req})
	}
	for _, c := range []struct {
		name string
		req  *service.SubstituteRequest
		want error
	}{
		{"nobody", nil, service.ErrInvalid},
		{"from the other side's list", &service.SubstituteRequest{ListID: f.listB, Row: 4, Interview: handover.Consents}, service.ErrInvalid},
		{"himself", &service.SubstituteRequest{ListID: f.listA, Row: 3, Interview: handover.Consents}, service.ErrInvalid},
		{"row not on the list", &service.SubstituteRequest{ListID: f.listA, Row: 99, Interview: handover.Consents}, service.ErrInvalid},
		{"not given in full", &service.SubstituteRequest{Person: &person.Person{Surname: "Hnatiuk"}, Interview: handover.Consents}, service.ErrInvalid},
		{"not interviewed", &service.SubstituteRequest{ListID: f.listA, Row: 8}, handover.ErrOrder},
		{"refused himself", &service.SubstituteRequest{ListID: f.listA, Row: 8, Interview: handover.Refuses}, handover.ErrRefused},
	} {
		if _, err := sub(3, c.req); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	// Row 8 (wounded) brought in place of row 3 (youth): recorded, and
	// the broken parity per category is reported.
	res, err := sub(3, &service.SubstituteRequest{ListID: f.listA, Row: 8, Interview: handover.Consents})
	if err != nil {
		t.Fatal(err)
	}
	if res.State.Outcome != handover.Substituted || res.State.Substitute.Row != 8 {
		t.Errorf("state = %+v", res.State)
	}
	if !strings.Contains(res.BreachMessage, "per category wounded: A releases 2, B releases 1") {
		t.Errorf("breach = %q, want the wounded parity", res.BreachMessage)
	}
	parity := false
	for _, p := range res.Breach {
		parity = parity || p.Code == negotiation.ProblemParity
	}
	if !parity {
		t.Errorf("breach problems %+v, want parity", res.Breach)
	}
	rep, err := f.s.StageReport(ctx, servicetest.OfficerA, ag.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rep.BreachMessage != res.BreachMessage || rep.Sides[0].Counts.Substituted != 1 {
		t.Errorf("report breach %q, counts %+v", rep.BreachMessage, rep.Sides[0].Counts)
	}
	// A person given in full, on no list, in place of row 1 (wounded),
	// after row 1 refused.
	if _, err := f.s.RecordInterview(ctx, servicetest.Observer, ag.ID, f.listA, 1, handover.Refuses); err != nil {
		t.Fatal(err)
	}
	full := &person.Person{Surname: "Hnatiuk", GivenNames: "Bohdan", BirthDate: person.Date{Year: 1991, Month: 4, Day: 4}, Categories: []string{"wounded"}}
	res, err = sub(1, &service.SubstituteRequest{Person: full, Interview: handover.Consents})
	if err != nil {
		t.Fatal(err)
	}
	if res.State.Substitute.ListID != "" || res.State.Substitute.Person.Kind != person.KindPOW {
		t.Errorf("substitute = %+v", res.State.Substitute)
	}
	// The substitute's timeline shows him handed over in another's place.
	tl, err := f.s.PersonTimeline(ctx, servicetest.Mediator, f.listA, 8)
	if err != nil {
		t.Fatal(err)
	}
	if last := tl.Steps[len(tl.Steps)-1]; last.Status != service.StatusSubstitutedFor || !strings.Contains(last.Note, "row 3") || last.AgreementID != ag.ID {
		t.Errorf("substitute's timeline = %+v", tl.Steps)
	}
}

func testHandoverRoles(t *testing.T, f *negFixture) {
	ctx := context.Background()
	ag := f.agree(t, negotiation.Terms{Rule: negotiation.AllForAll}, refs(f.listA, 1, 9), refs(f.listB, 8))
	for _, actor := range []access.Actor{servicetest.OfficerA, servicetest.OfficerB, servicetest.Mediator, servicetest.Admin} {
		if _, err := f.s.RecordInterview(ctx, actor, ag.ID, f.listA, 1, handover.Consents); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("%s interviewing: err = %v, want forbidden", actor, err)
		}
	}
	for _, actor := range []access.Actor{servicetest.OfficerA, servicetest.OfficerB, servicetest.Admin} {
		if _, err := f.outcome(t, actor, ag.ID, f.listA, 9, handover.HandedOver); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("%s recording an outcome: err = %v, want forbidden", actor, err)
		}
	}
	if _, err := f.outcome(t, servicetest.Observer, ag.ID, f.listA, 5, handover.HandedOver); !errors.Is(err, service.ErrNotFound) {
		t.Errorf("outcome of a row outside the agreement: err = %v, want not found", err)
	}
	if _, err := f.outcome(t, servicetest.Observer, ag.ID, f.listA, 9, "escaped"); !errors.Is(err, service.ErrInvalid) {
		t.Errorf("unknown outcome: err = %v, want invalid", err)
	}
	// Remains are not interviewed; they are identified, then handed over.
	if _, err := f.s.RecordInterview(ctx, servicetest.Observer, ag.ID, f.listA, 9, handover.Consents); !errors.Is(err, handover.ErrOrder) {
		t.Errorf("interviewing remains: err = %v, want out of order", err)
	}
	if _, err := f.s.RecordIdentification(ctx, servicetest.OfficerA, ag.ID, f.listA, 9, handover.DNAPending); !errors.Is(err, access.ErrForbidden) {
		t.Errorf("officer identifying: err = %v, want forbidden", err)
	}
	r, err := f.s.RecordIdentification(ctx, servicetest.Observer, ag.ID, f.listA, 9, handover.DNAPending)
	if err != nil || r.State.Identification != handover.DNAPending {
		t.Fatalf("identification: %v", err)
	}
	if _, err := f.s.RecordIdentification(ctx, servicetest.Observer, ag.ID, f.listA, 9, handover.Presumed); !errors.Is(err, handover.ErrOrder) {
		t.Errorf("identification going back: err = %v, want out of order", err)
	}
	if _, err := f.outcome(t, servicetest.Mediator, ag.ID, f.listA, 9, handover.HandedOver); err != nil {
		t.Errorf("mediator handing over remains: %v", err)
	}
	rep, err := f.s.StageReport(ctx, servicetest.Mediator, ag.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sides[0].Remains[handover.DNAPending] != 1 {
		t.Errorf("remains by identification = %v", rep.Sides[0].Remains)
	}
}

func testCommissionOutcome(t *testing.T, f *negFixture) {
	ctx := context.Background()
	art110 := &negotiation.LegalBasis{Code: negotiation.BasisArt110}
	p, err := f.s.SubmitProposal(ctx, servicetest.OfficerA, service.ProposalRequest{RoundID: f.round.ID, Terms: negotiation.Terms{Rule: negotiation.Unilateral},
		Releases: []service.ReleaseRef{{ListID: f.listA, Row: 1}, {ListID: f.listA, Row: 4, LegalBasis: art110}}})
	if err != nil {
		t.Fatal(err)
	}
	later := negotiation.CommissionOutcome{Decision: negotiation.Reexamine, DecidedOn: person.Date{Year: 2025, Month: 6, Day: 5}, ReexamineOn: person.Date{Year: 2025, Month: 9, Day: 5}}
	for _, c := range []struct {
		name  string
		actor access.Actor
		req   service.CommissionRequest
		want  error
	}{
		{"officer", servicetest.OfficerA, service.CommissionRequest{ProposalID: p.ID, ListID: f.listA, Row: 4, Outcome: later}, access.ErrForbidden},
		{"Art. 109 release", servicetest.Observer, service.CommissionRequest{ProposalID: p.ID, ListID: f.listA, Row: 1, Outcome: later}, service.ErrInvalid},
		{"not in the proposal", servicetest.Observer, service.CommissionRequest{ProposalID: p.ID, ListID: f.listA, Row: 2, Outcome: later}, service.ErrInvalid},
		{"re-examination without date", servicetest.Observer, service.CommissionRequest{ProposalID: p.ID, ListID: f.listA, Row: 4, Outcome: negotiation.CommissionOutcome{Decision: negotiation.Reexamine}}, service.ErrInvalid},
		{"outsider", servicetest.OfficerC, service.CommissionRequest{ProposalID: p.ID, ListID: f.listA, Row: 4, Outcome: later}, access.ErrForbidden},
	} {
		if _, err := f.s.RecordCommissionOutcome(ctx, c.actor, c.req); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := f.s.RecordCommissionOutcome(ctx, servicetest.Observer, service.CommissionRequest{ProposalID: p.ID, ListID: f.listA, Row: 4, Outcome: later}); err != nil {
		t.Fatal(err)
	}
	repatriate := negotiation.CommissionOutcome{Decision: negotiation.Repatriate, DecidedOn: person.Date{Year: 2025, Month: 9, Day: 5}}
	if _, err := f.s.RecordCommissionOutcome(ctx, servicetest.Mediator, service.CommissionRequest{ProposalID: p.ID, ListID: f.listA, Row: 4, Outcome: repatriate}); err != nil {
		t.Fatal(err)
	}
	v, err := f.s.GetProposal(ctx, servicetest.OfficerB, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Commission) != 2 || v.Commission[1].Outcome.Decision != negotiation.Repatriate {
		t.Errorf("commission = %+v", v.Commission)
	}
	// A later unilateral proposal releases him under Art. 110 by default.
	if _, err := f.s.WithdrawProposal(ctx, servicetest.OfficerA, p.ID, ""); err != nil {
		t.Fatal(err)
	}
	q, err := f.s.SubmitProposal(ctx, servicetest.OfficerA, service.ProposalRequest{RoundID: f.round.ID, Terms: negotiation.Terms{Rule: negotiation.Unilateral}, Releases: refs(f.listA, 4, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if got := q.Sides[0].Releases[0].LegalBasis.Code; got != negotiation.BasisArt110 {
		t.Errorf("basis after the commission's repatriation = %s, want art110", got)
	}
	if got := q.Sides[0].Releases[1].LegalBasis.Code; got != negotiation.BasisArt109 {
		t.Errorf("basis without a decision = %s, want art109", got)
	}
	tl, err := f.s.PersonTimeline(ctx, servicetest.Observer, f.listA, 4)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range tl.Steps {
		if s.Status == service.StatusCommission {
			n++
		}
	}
	if n != 2 || tl.Status != "proposed" {
		t.Errorf("timeline has %d commission steps, status %s", n, tl.Status)
	}
}
