package handover

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"parley/internal/negotiation"
)

func corrected(o Outcome, reason string, min int) Event {
	return Event{Type: EventCorrected, At: at(min), By: "observer", Outcome: o, Reason: reason}
}

func TestCorrection(t *testing.T) {
	day := int(CorrectionWindow / time.Minute)
	tests := []struct {
		name    string
		before  []Event // after agreed
		fix     Event
		wantErr error
		outcome Outcome
		status  string
	}{
		{"handed over by mistake: not presented", []Event{interview(Consents, 10), ev(EventHandedOver, 20)},
			corrected(NotPresented, "another man of the same name", 30), nil, NotPresented, StatusNotPresented},
		{"withdrawn: awaiting again", []Event{interview(Consents, 10), ev(EventNotPresented, 20)},
			corrected("", "he arrived with the second bus", 30), nil, "", StatusInterviewed},
		{"withdrawn before any interview", []Event{ev(EventNotPresented, 20)},
			corrected("", "called too early", 30), nil, "", StatusAgreed},
		{"not presented, then handed over after consent", []Event{interview(Consents, 10), ev(EventNotPresented, 20)},
			corrected(HandedOver, "he was on the bus", 30), nil, HandedOver, StatusHandedOver},
		{"a refusal is never corrected into a handover", []Event{interview(Refuses, 10), substitute(pow("Інший", "Іван"), Consents, 20)},
			corrected(HandedOver, "typed the wrong row", 30), ErrRefused, Substituted, StatusSubstituted},
		{"a refused person is never marked not presented", []Event{interview(Refuses, 10), substitute(pow("Інший", "Іван"), Consents, 20)},
			corrected(NotPresented, "typed the wrong row", 30), ErrRefused, Substituted, StatusSubstituted},
		{"a substitution of a refused person may be withdrawn", []Event{interview(Refuses, 10), substitute(pow("Інший", "Іван"), Consents, 20)},
			corrected("", "the substitute was not brought", 30), nil, "", StatusInterviewed},
		{"handed over without consent is refused", []Event{ev(EventNotPresented, 20)},
			corrected(HandedOver, "he was there", 30), ErrOrder, NotPresented, StatusNotPresented},
		{"nothing to correct", []Event{interview(Consents, 10)},
			corrected(NotPresented, "mistake", 30), ErrOrder, "", StatusInterviewed},
		{"a reason is required", []Event{interview(Consents, 10), ev(EventHandedOver, 20)},
			corrected(NotPresented, "  ", 30), ErrEvent, HandedOver, StatusHandedOver},
		{"the same outcome is no correction", []Event{interview(Consents, 10), ev(EventHandedOver, 20)},
			corrected(HandedOver, "again", 30), ErrOrder, HandedOver, StatusHandedOver},
		{"no correction to a substitution", []Event{interview(Consents, 10), ev(EventHandedOver, 20)},
			corrected(Substituted, "another man", 30), ErrEvent, HandedOver, StatusHandedOver},
		{"within the day", []Event{interview(Consents, 10), ev(EventHandedOver, 20)},
			corrected(NotPresented, "checked at the end of the day", 20+day), nil, NotPresented, StatusNotPresented},
		{"not after the day", []Event{interview(Consents, 10), ev(EventHandedOver, 20)},
			corrected(NotPresented, "checked next week", 21+day), ErrFinal, HandedOver, StatusHandedOver},
		{"the window runs from the last correction", []Event{interview(Consents, 10), ev(EventHandedOver, 20), corrected(NotPresented, "first", 20+day)},
			corrected(HandedOver, "second thoughts", 20+day+60), nil, HandedOver, StatusHandedOver},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := apply(t, agreedState(t, "A", "LA", 3, pow("Коваль", "Петро")), tc.before...)
			got, err := Apply(s, tc.fix)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("Apply(corrected) error = %v, want %v", err, tc.wantErr)
			}
			if got.Outcome != tc.outcome || got.Status != tc.status {
				t.Errorf("outcome %q status %q, want %q %q", got.Outcome, got.Status, tc.outcome, tc.status)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("state after correction breaks an invariant: %v", err)
			}
			if err != nil {
				if len(got.Timeline) != len(s.Timeline) {
					t.Errorf("a refused correction left a step")
				}
				return
			}
			last := got.Timeline[len(got.Timeline)-1]
			want := Step{Status: StatusCorrected, At: tc.fix.At, By: "observer", Note: string(tc.outcome), From: s.Outcome, Reason: tc.fix.Reason}
			if !reflect.DeepEqual(last, want) {
				t.Errorf("correction step %+v, want %+v", last, want)
			}
			if got.Substitute != nil {
				t.Errorf("a corrected outcome keeps the substitute %+v", got.Substitute)
			}
			if len(got.Timeline) != len(s.Timeline)+1 || !reflect.DeepEqual(got.Timeline[:len(s.Timeline)], s.Timeline) {
				t.Errorf("a correction must only add a step; the timeline was edited")
			}
		})
	}
}

func TestAllowed(t *testing.T) {
	both := Roles{Interview: true, Record: true}
	agreed := func(t *testing.T) PersonState { return agreedState(t, "A", "LA", 1, pow("Коваль", "Петро")) }
	tests := []struct {
		name  string
		state func(t *testing.T) PersonState
		roles Roles
		now   int
		want  Actions
	}{
		{"agreed, observer", agreed, both, 5,
			Actions{Consents: true, Refuses: true, NotPresented: true, Deceased: true, Substitute: true}},
		{"agreed, mediator records but does not interview", agreed, Roles{Record: true}, 5,
			Actions{NotPresented: true, Deceased: true, Substitute: true}},
		{"agreed, a party's officer records nothing", agreed, Roles{}, 5, Actions{}},
		{"consented: handed over needs the consent", func(t *testing.T) PersonState { return apply(t, agreed(t), interview(Consents, 10)) }, both, 15,
			Actions{HandedOver: true, NotPresented: true, Deceased: true, Substitute: true}},
		{"refused: only a substitute", func(t *testing.T) PersonState { return apply(t, agreed(t), interview(Refuses, 10)) }, both, 15,
			Actions{Substitute: true}},
		{"handed over: corrected within the day", func(t *testing.T) PersonState {
			return apply(t, agreed(t), interview(Consents, 10), ev(EventHandedOver, 20))
		}, both, 30, Actions{CorrectTo: []Outcome{NotPresented, Deceased, ""}}},
		{"handed over: not corrected after the day", func(t *testing.T) PersonState {
			return apply(t, agreed(t), interview(Consents, 10), ev(EventHandedOver, 20))
		}, both, 30 + int(CorrectionWindow/time.Minute), Actions{}},
		{"refused and substituted: the substitution may be withdrawn, nothing else", func(t *testing.T) PersonState {
			return apply(t, agreed(t), interview(Refuses, 10), substitute(pow("Інший", "Іван"), Consents, 20))
		}, both, 30, Actions{CorrectTo: []Outcome{""}}},
		{"remains: handed over without interview, identification advances", func(t *testing.T) PersonState {
			return agreedState(t, "A", "LA", 2, remains("G-7"))
		}, both, 5, Actions{HandedOver: true, NotPresented: true, Substitute: true, Identify: []Identification{DNAPending, Confirmed}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Allowed(tc.state(t), tc.roles, at(tc.now))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Allowed\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestCompliance(t *testing.T) {
	oneForOne := negotiation.Terms{Rule: negotiation.OneForOne}
	thirty := func(what string, k int) []string { return append(all(what, k), all("pending", 30-k)...) }
	tests := []struct {
		name       string
		outA, outB []string
		want       Compliance
	}{
		{"nothing yet", all("pending", 30), all("pending", 30), OnTrack},
		{"one refusal among the first three", append([]string{"handed", "refused", "handed"}, all("pending", 27)...), thirty("handed", 3), OnTrack},
		{"one not presented, the rest pending", append([]string{"not"}, all("pending", 29)...), all("pending", 30), AtRisk},
		{"one not presented, all else done", append([]string{"not"}, all("handed", 29)...), all("handed", 30), Broken},
		{"complete with refusals", append(all("refused", 2), all("handed", 28)...), all("handed", 30), OnTrack},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := agreedStage(oneForOne, agreement, n(30, soldiers("А")), n(30, soldiers("Б")))
			d := NewDay(st, outcomes(t, st, tc.outA, tc.outB), nil, Roles{Record: true}, at(60))
			if d.Compliance != tc.want {
				t.Errorf("compliance %s, want %s (breach %q)", d.Compliance, tc.want, d.Report.BreachMessage)
			}
			if len(d.Persons) != 60 {
				t.Errorf("%d persons on the day, want 60", len(d.Persons))
			}
		})
	}
}
