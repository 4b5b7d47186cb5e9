package service_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"parley/internal/access"
	"parley/internal/handover"
	"parley/internal/negotiation"
	"parley/internal/service"
	"parley/internal/service/servicetest"
	"parley/internal/store/storetest"
)

// TestHandoverDay works the day of a stage through the service: a name
// called out in another script finds the person, an outcome recorded by
// mistake is corrected as a new logged step (never against a refusal, never
// after the day), and a substitute is found by name.
func TestHandoverDay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s := newNegService(t, b)
		f := newNegFixture(t, s)
		ctx := context.Background()
		ag := f.agree(t, negotiation.Terms{Rule: negotiation.OneForOne}, refs(f.listA, 1, 2), refs(f.listB, 1, 2))

		// Names as they are called out, in any script, or a row number.
		for _, c := range []struct {
			name string
			want int
		}{{"Петренко", 1}, {"petr", 2}, {"Пет", 2}, {"Сидоренко Олег", 1}, {"2", 2}, {"Shevchenko", 0}, {"", 4}} {
			d, err := s.HandoverDay(ctx, servicetest.Observer, ag.ID, service.DayQuery{Name: c.name})
			if err != nil {
				t.Fatal(err)
			}
			if d.Matched != c.want || len(d.Persons) != c.want {
				t.Errorf("name %q finds %d (%d shown), want %d", c.name, d.Matched, len(d.Persons), c.want)
			}
		}
		d, err := s.HandoverDay(ctx, servicetest.OfficerA, ag.ID, service.DayQuery{Side: "B"})
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Persons) != 2 || d.SideCounts[""] != 4 || d.Roles.Record || d.Persons[0].Actions.Any() {
			t.Errorf("officer's day: %d persons of B, %d in all, roles %+v, actions %+v", len(d.Persons), d.SideCounts[""], d.Roles, d.Persons[0].Actions)
		}

		// Handed over by mistake, corrected to not presented.
		if _, err := s.RecordInterview(ctx, servicetest.Observer, ag.ID, f.listA, 1, handover.Consents); err != nil {
			t.Fatal(err)
		}
		if _, err := f.outcome(t, servicetest.Observer, ag.ID, f.listA, 1, handover.HandedOver); err != nil {
			t.Fatal(err)
		}
		fix := func(actor access.Actor, list string, row int, o handover.Outcome, reason string) (*service.StepResult, error) {
			return s.CorrectOutcome(ctx, actor, service.CorrectionRequest{AgreementID: ag.ID, ListID: list, Row: row, Outcome: o, Reason: reason})
		}
		before := f.log.Count("handover.corrected")
		for _, c := range []struct {
			name   string
			actor  access.Actor
			row    int
			o      handover.Outcome
			reason string
			want   error
		}{
			{"an officer of a party", servicetest.OfficerA, 1, handover.NotPresented, "wrong man", access.ErrForbidden},
			{"no reason", servicetest.Observer, 1, handover.NotPresented, " ", service.ErrInvalid},
			{"nothing to correct", servicetest.Observer, 2, handover.NotPresented, "wrong row", handover.ErrOrder},
		} {
			if _, err := fix(c.actor, f.listA, c.row, c.o, c.reason); !errors.Is(err, c.want) {
				t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
			}
		}
		res, err := fix(servicetest.Observer, f.listA, 1, handover.NotPresented, "another man of the same name")
		if err != nil {
			t.Fatal(err)
		}
		if res.State.Outcome != handover.NotPresented || f.log.Count("handover.corrected") != before+1 {
			t.Errorf("corrected to %q with %d new log entries", res.State.Outcome, f.log.Count("handover.corrected")-before)
		}
		tl, err := s.PersonTimeline(ctx, servicetest.Observer, f.listA, 1)
		if err != nil {
			t.Fatal(err)
		}
		var handed, corrected bool
		for _, st := range tl.Steps {
			handed = handed || st.Status == handover.StatusHandedOver
			if st.Status == handover.StatusCorrected && st.From == handover.HandedOver && st.Reason == "another man of the same name" {
				corrected = true
			}
		}
		if !handed || !corrected {
			t.Errorf("the timeline keeps the first record (%v) and adds the correction (%v): %+v", handed, corrected, tl.Steps)
		}

		// The refusal stands through any correction.
		if _, err := s.RecordInterview(ctx, servicetest.Observer, ag.ID, f.listB, 1, handover.Refuses); err != nil {
			t.Fatal(err)
		}
		if _, err := fix(servicetest.Observer, f.listB, 1, handover.HandedOver, "he went anyway"); !errors.Is(err, handover.ErrOrder) {
			t.Errorf("correcting a refusal without an outcome: err = %v, want nothing to correct", err)
		}
		cands, err := s.SubstituteCandidates(ctx, servicetest.Observer, ag.ID, f.listB, 1, "Смирнов")
		if err != nil {
			t.Fatal(err)
		}
		if len(cands) != 1 || cands[0].ListID != f.listB || cands[0].Row != 4 {
			t.Fatalf("substitutes for Смирнов: %+v, want row 4 of B's list", cands)
		}
		if _, err := s.SubstituteCandidates(ctx, servicetest.OfficerB, ag.ID, f.listB, 1, "Смирнов"); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("an officer searched substitutes: err = %v", err)
		}
		if _, err := s.RecordOutcome(ctx, servicetest.Observer, service.OutcomeRequest{AgreementID: ag.ID, ListID: f.listB, Row: 1, Outcome: handover.Substituted,
			Substitute: &service.SubstituteRequest{ListID: cands[0].ListID, Row: cands[0].Row, Interview: handover.Consents}}); err != nil {
			t.Fatal(err)
		}
		for _, o := range []handover.Outcome{handover.HandedOver, handover.NotPresented} {
			if _, err := fix(servicetest.Observer, f.listB, 1, o, "typed the wrong row"); !errors.Is(err, handover.ErrRefused) {
				t.Errorf("correcting a refused person's substitution to %s: err = %v, want the refusal to stand", o, err)
			}
		}
		v, err := s.GetAgreement(ctx, servicetest.Mediator, ag.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range v.Handover {
			if err := st.Validate(); err != nil || (st.Refused() && st.Outcome == handover.HandedOver) {
				t.Errorf("stored state %+v breaks the refusal rule: %v", st, err)
			}
		}

		// After the day the report stands.
		now := s.Now
		defer func() { s.Now = now }()
		s.Now = func() time.Time { return now().Add(handover.CorrectionWindow + time.Hour) }
		if _, err := fix(servicetest.Mediator, f.listA, 1, handover.HandedOver, "checked next day"); !errors.Is(err, handover.ErrFinal) || !errors.Is(err, service.ErrConflict) {
			t.Errorf("a correction after the day: err = %v, want the outcome final", err)
		}
	})
}
