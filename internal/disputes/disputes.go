// Package disputes holds the statements one side makes about a list the
// other side handed over, and their answers: a reservation made on
// acknowledging receipt, a contested row ("not one of ours", "a
// civilian", "already returned", "died", "not in our custody"), and a
// claim that persons believed held are not on the list (the left-off
// report of a matching run, put to the mediator and the other side).
//
// Each is a statement on the record: the service appends it, its answer
// and its closing to the signed log. A dispute is open until the other
// side answers — accepted, rejected with a reason, or "will appear in a
// new version" — and is closed when a new version of the list settles it.
// Everything here is a pure function; storage and the log are the
// service's.
package disputes

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"parley/internal/lists"
	"parley/internal/msg"
	"parley/internal/person"
)

// Kind is what a dispute states.
type Kind string

// Kinds of dispute.
const (
	Reservation Kind = "reservation" // made when acknowledging a list
	Contest     Kind = "contest"     // one row of a received list is contested
	Claim       Kind = "claim"       // persons believed held are not on the list
)

// Reason is why a row is contested.
type Reason string

// Reasons for contesting a row.
const (
	NotOurs         Reason = "not_ours"         // not one of ours
	Civilian        Reason = "civilian"         // a civilian, not a prisoner of war
	AlreadyReturned Reason = "already_returned" // returned in an earlier exchange
	Died            Reason = "died"             // known to have died
	NotInCustody    Reason = "not_in_custody"   // not in the sender's custody
	Other           Reason = "other"            // explained in the note
)

// Reasons lists every reason, in a stable order.
func Reasons() []Reason {
	return []Reason{NotOurs, Civilian, AlreadyReturned, Died, NotInCustody, Other}
}

// Valid reports whether r is a known reason.
func (r Reason) Valid() bool {
	for _, v := range Reasons() {
		if r == v {
			return true
		}
	}
	return false
}

// Answer is the other side's answer to a dispute.
type Answer string

// Answers.
const (
	Accepted   Answer = "accepted"
	Rejected   Answer = "rejected"    // needs a reason
	NewVersion Answer = "new_version" // the list will be corrected in a new version
)

// Answers lists every answer.
func Answers() []Answer { return []Answer{Accepted, Rejected, NewVersion} }

// Valid reports whether a is a known answer.
func (a Answer) Valid() bool { return a == Accepted || a == Rejected || a == NewVersion }

// State is where a dispute stands.
type State string

// States.
const (
	Open     State = "open"
	Answered State = "answered"
	Closed   State = "closed"
)

// MaxNote bounds the texts of a dispute, in characters.
const MaxNote = 2000

// Dispute is one statement about a handed-over list.
type Dispute struct {
	ID     string `json:"id"`
	Kind   Kind   `json:"kind"`
	ListID string `json:"list_id"`
	RootID string `json:"root_id"`
	// Row is the contested row (contests only).
	Row int `json:"row,omitempty"`
	// RunID is the matching run whose left-off report a claim puts forward.
	RunID string `json:"run_id,omitempty"`
	// By states it; To must answer.
	By     string `json:"by"`
	To     string `json:"to"`
	Reason Reason `json:"reason,omitempty"`
	Note   string `json:"note,omitempty"`
	// Persons are those a claim names: the registry entries of the
	// claiming side believed held by the other.
	Persons      []person.Person `json:"persons,omitempty"`
	PersonCount  int             `json:"person_count,omitempty"`
	State        State           `json:"state"`
	Answer       Answer          `json:"answer,omitempty"`
	AnswerReason string          `json:"answer_reason,omitempty"`
	AnsweredBy   string          `json:"answered_by,omitempty"`
	AnsweredAt   time.Time       `json:"answered_at,omitzero"`
	// ClosedBy is the list version that closed it; CloseNote says why.
	ClosedBy  string    `json:"closed_by,omitempty"`
	ClosedAt  time.Time `json:"closed_at,omitzero"`
	CloseNote string    `json:"close_note,omitempty"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// CheckText checks a note or reason: bounded and printable; required when
// asked.
func CheckText(field, s string, required bool) error {
	switch {
	case strings.TrimSpace(s) == "" && required:
		return msg.NewError(nil, "err.text.required", "field", msg.Enum{Kind: "svc_input", Code: field})
	case utf8.RuneCountInString(s) > MaxNote:
		return msg.NewError(nil, "err.text.too_long", "field", msg.Enum{Kind: "svc_input", Code: field}, "max", MaxNote)
	case !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }) >= 0:
		return msg.NewError(nil, "err.text.not_text", "field", msg.Enum{Kind: "svc_input", Code: field})
	}
	return nil
}

// CheckAnswer checks an answer: a known one, a reason for a rejection.
func CheckAnswer(a Answer, reason string) error {
	if !a.Valid() {
		return msg.NewError(nil, "err.dispute.answer", "value", string(a), "choices", []string{string(Accepted), string(Rejected), string(NewVersion)})
	}
	return CheckText("reason", reason, a == Rejected)
}

// Why a new version closes a dispute: the code kept as its close note
// (the catalogues word it; the version is ClosedBy).
const (
	// ClosedNewVersion: the dispute was answered "will appear in a new
	// version" and a new version was handed over.
	ClosedNewVersion = "new_version_handed_over"
	// ClosedRowChanged: the contested row was changed or removed in the
	// new version.
	ClosedRowChanged = "row_changed"
)

// Closing says why a new version of a list closes a dispute (one of the
// Closed* codes), or "" when it does not. A dispute answered "will appear
// in a new version" is closed by the next version; a contest is also
// closed when its row was changed or removed in that version. changedRows
// are the old version's rows that the new one changed or dropped.
func Closing(d *Dispute, next *lists.List, changedRows map[int]bool) string {
	if d.State == Closed || next.RootID != d.RootID || next.ID == d.ListID {
		return ""
	}
	switch {
	case d.Answer == NewVersion:
		return ClosedNewVersion
	case d.Kind == Contest && changedRows[d.Row]:
		return ClosedRowChanged
	}
	return ""
}

// ChangedRows returns the rows of the old version that a diff shows changed
// or removed.
func ChangedRows(diff *lists.Diff) map[int]bool {
	out := map[int]bool{}
	for _, c := range diff.Changed {
		out[c.OldRow] = true
	}
	for _, e := range diff.Removed {
		out[e.Row] = true
	}
	return out
}
