package families

import "parley/internal/pfif"

// Statuses beyond the normal course of an exchange. They are what a family
// is told when its relative did not come home with the stage, or died.
const (
	// StatusNotRepatriated: the relative was in an agreed stage and did
	// not come home with it — he was not presented, another person came in
	// his place, or he declined to go and did not agree that his family
	// be told so. The family is told no more than that.
	StatusNotRepatriated Status = "not_repatriated"
	// StatusDeclined: the relative declined repatriation in this stage and
	// agreed, at his private interview, that his family be told so.
	StatusDeclined Status = "declined_repatriation"
	// StatusDeceased: the relative died in captivity. Shown only after an
	// officer of the relative's own side has released the news, with the
	// text that side wrote.
	StatusDeceased Status = "deceased"
	// StatusRemainsIdentified: the relative died in captivity and his
	// remains have been identified. Released like StatusDeceased.
	StatusRemainsIdentified Status = "remains_identified"
)

// FamilyStatuses lists every status a family can be shown, in a stable
// order. Statuses() lists only those kept in the coarse status column and
// counted in the public figures; the others are counted there as "other".
func FamilyStatuses() []Status {
	return []Status{StatusNone, StatusListed, StatusAgreed, StatusRepatriated, StatusNotRepatriated, StatusDeclined, StatusDeceased, StatusRemainsIdentified, StatusOther}
}

// Detailed reports whether s is one of the statuses beyond the normal
// course, stored as "other" with the detail beside it.
func (s Status) Detailed() bool {
	switch s {
	case StatusNotRepatriated, StatusDeclined, StatusDeceased, StatusRemainsIdentified:
		return true
	}
	return false
}

// Death reports whether s tells the family of a death: such news is never
// derived or sent automatically, only released by an officer.
func (s Status) Death() bool { return s == StatusDeceased || s == StatusRemainsIdentified }

// PersonState is where a person on a list stands in the workbench: the
// states of the timeline of package handover and the death record.
type PersonState string

// The states of a person that the table maps.
const (
	PersonListed            PersonState = "listed"
	PersonAgreed            PersonState = "agreed"
	PersonInterviewed       PersonState = "interviewed" // consented to go home
	PersonRefused           PersonState = "refused_repatriation"
	PersonNotPresented      PersonState = "not_presented"
	PersonHandedOver        PersonState = "handed_over"
	PersonSubstituted       PersonState = "substituted" // another person came in his place
	PersonDeceased          PersonState = "deceased"
	PersonRemainsIdentified PersonState = "remains_identified"
)

// Shown is one row of the table: what a family sees about a person in one
// state.
type Shown struct {
	State PersonState `json:"state"`
	// Family is the status shown to the family.
	Family Status `json:"family"`
	// Consented is the status shown instead when the person agreed that
	// his family be told more (a refusal); "" when no such choice exists.
	Consented Status `json:"consented,omitempty"`
	// Release: the family sees Family only after an officer of the
	// person's own side released the news, with that side's text; until
	// then it sees what it saw before.
	Release bool `json:"release"`
	// Unchanged: the state is not told to the family at all; it keeps
	// seeing the status of the step before (an interview is private).
	Unchanged bool `json:"unchanged,omitempty"`
}

// Table maps every state of a person to what the family sees. It is the
// one place of that rule: the service takes the status to show from it,
// and docs/family-status.md prints it with the texts of the catalogues.
var Table = []Shown{
	{State: PersonListed, Family: StatusListed},
	{State: PersonAgreed, Family: StatusAgreed},
	{State: PersonInterviewed, Family: StatusAgreed, Unchanged: true},
	{State: PersonRefused, Family: StatusNotRepatriated, Consented: StatusDeclined},
	{State: PersonNotPresented, Family: StatusNotRepatriated},
	{State: PersonHandedOver, Family: StatusRepatriated},
	{State: PersonSubstituted, Family: StatusNotRepatriated},
	{State: PersonDeceased, Family: StatusDeceased, Release: true},
	{State: PersonRemainsIdentified, Family: StatusRemainsIdentified, Release: true},
}

// ShownFor returns the row of the table for a state.
func ShownFor(st PersonState) (Shown, bool) {
	for _, r := range Table {
		if r.State == st {
			return r, true
		}
	}
	return Shown{}, false
}

// FamilyStatus returns the status a family sees for a person in a state;
// consented says whether the person agreed that his family be told more.
func FamilyStatus(st PersonState, consented bool) Status {
	r, ok := ShownFor(st)
	if !ok {
		return StatusNone
	}
	if consented && r.Consented != "" {
		return r.Consented
	}
	return r.Family
}

// PFIFStatus is the PFIF note status exported for a family status. A
// status that makes no claim about whether the relative is alive ("not
// repatriated in this stage" covers a refusal as well as a person not
// brought, and must not tell them apart; an officer's own wording) has
// none.
func PFIFStatus(s Status) string {
	switch s {
	case StatusListed, StatusAgreed, StatusRepatriated, StatusDeclined:
		return pfif.StatusBelievedAlive
	case StatusDeceased, StatusRemainsIdentified:
		return pfif.StatusBelievedDead
	}
	return ""
}
