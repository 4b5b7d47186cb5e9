package families

import (
	"strings"
	"testing"
	"time"

	"parley/internal/pfif"
)

// TestTableCoversEveryState: every state of a person has one row, every
// family status of the table is valid, and death news waits for a release.
func TestTableCoversEveryState(t *testing.T) {
	states := []PersonState{PersonListed, PersonAgreed, PersonInterviewed, PersonRefused, PersonNotPresented,
		PersonHandedOver, PersonSubstituted, PersonDeceased, PersonRemainsIdentified}
	seen := map[PersonState]int{}
	for _, r := range Table {
		seen[r.State]++
		if !r.Family.Valid() || (r.Consented != "" && !r.Consented.Valid()) {
			t.Errorf("%s: invalid status %q / %q", r.State, r.Family, r.Consented)
		}
		if r.Family.Death() != r.Release {
			t.Errorf("%s: news of a death must wait for a release, and only it", r.State)
		}
	}
	for _, s := range states {
		if seen[s] != 1 {
			t.Errorf("state %s has %d rows", s, seen[s])
		}
	}
	tests := []struct {
		state     PersonState
		consented bool
		want      Status
	}{
		{PersonRefused, false, StatusNotRepatriated},
		{PersonRefused, true, StatusDeclined},
		{PersonNotPresented, true, StatusNotRepatriated},
		{PersonSubstituted, false, StatusNotRepatriated},
		{PersonHandedOver, false, StatusRepatriated},
		{PersonDeceased, false, StatusDeceased},
		{"unknown", false, StatusNone},
	}
	for _, tt := range tests {
		if got := FamilyStatus(tt.state, tt.consented); got != tt.want {
			t.Errorf("FamilyStatus(%s, %v) = %s, want %s", tt.state, tt.consented, got, tt.want)
		}
	}
}

// TestPFIFTellsDeathsTruthfully: a released death is exported as
// believed_dead, never believed_alive; "not repatriated" makes no claim.
func TestPFIFTellsDeathsTruthfully(t *testing.T) {
	day := time.Date(2025, 5, 20, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		o        Outcome
		status   string
		contains string
	}{
		{Outcome{Status: StatusAgreed}, pfif.StatusBelievedAlive, "agreed stage"},
		{Outcome{Status: StatusDeceased, Date: day, Wording: "Call us."}, pfif.StatusBelievedDead, "Died in captivity on 2025-05-20. Call us."},
		{Outcome{Status: StatusRemainsIdentified, Wording: "Call us."}, pfif.StatusBelievedDead, "remains have been identified"},
		{Outcome{Status: StatusNotRepatriated}, "", "Not repatriated in this stage"},
		{Outcome{Status: StatusDeclined}, pfif.StatusBelievedAlive, "Declined"},
	}
	for _, tt := range tests {
		q := &Inquiry{ID: "Q1", Outcome: tt.o, StatusVersion: 3}
		doc := ToPFIF([]*Inquiry{q}, "example.org", "Parley", day)
		notes := doc.Persons[0].Notes
		if len(notes) != 1 || notes[0].Status != tt.status || !strings.Contains(notes[0].Text, tt.contains) {
			t.Errorf("%s: notes %+v, want status %q with %q", tt.o.Status, notes, tt.status, tt.contains)
		}
	}
}

// TestDeathIsNeverAnAutomaticStep: no automatic step replaces a death, and
// a released death replaces any status of the normal course.
func TestDeathIsNeverAnAutomaticStep(t *testing.T) {
	dead := Outcome{Status: StatusDeceased}
	if dead.Advances(Outcome{Status: StatusRepatriated}) {
		t.Error("repatriated replaced a death")
	}
	if !(Outcome{Status: StatusAgreed}).Advances(dead) {
		t.Error("a released death did not replace agreed")
	}
	if !(Outcome{Status: StatusNotRepatriated}).Advances(Outcome{Status: StatusRepatriated}) {
		t.Error("repatriated did not follow not repatriated in an earlier stage")
	}
}
