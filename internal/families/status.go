package families

import (
	"parley/internal/msg"
	"time"
)

// Status is the short status a family may see about its inquiry.
type Status string

// The statuses, in the order an exchange normally runs.
const (
	// StatusNone: no confirmed information yet.
	StatusNone Status = "none"
	// StatusListed: the relative is on a list that the detaining party
	// handed over (the date is that of the hand-over).
	StatusListed Status = "listed"
	// StatusAgreed: the relative is included in an agreed stage of an
	// exchange.
	StatusAgreed Status = "agreed"
	// StatusRepatriated: the relative has come home (the date is that of
	// the repatriation).
	StatusRepatriated Status = "repatriated"
	// StatusOther: an outcome that an officer words (for example news that
	// must be given in person); the wording is shown to the family.
	StatusOther Status = "other"
)

// Statuses lists every status in a stable order.
func Statuses() []Status {
	return []Status{StatusNone, StatusListed, StatusAgreed, StatusRepatriated, StatusOther}
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case StatusNone, StatusListed, StatusAgreed, StatusRepatriated, StatusOther:
		return true
	}
	return s.Detailed()
}

// rank orders the statuses of the normal course of an exchange; StatusOther
// has no place in it.
func (s Status) rank() int {
	switch s {
	case StatusListed:
		return 1
	case StatusAgreed:
		return 2
	case StatusNotRepatriated, StatusDeclined:
		return 3
	case StatusRepatriated:
		return 4
	}
	return 0
}

// MaxWordingLen bounds an officer's wording of an outcome: a status is a
// short message, not a report.
const MaxWordingLen = 500

// Outcome is the status of an inquiry as the family sees it.
type Outcome struct {
	Status Status
	// Date is the day of the event (the hand-over of the list, the
	// repatriation); zero when unknown. Only the calendar day is shown.
	Date time.Time
	// Wording is an officer's short text, shown to the family as written.
	Wording string
}

// Validate checks an outcome that an officer records.
func (o Outcome) Validate() error {
	if !o.Status.Valid() {
		return msg.NewError(nil, "err.family.unknown_status", "value", string(o.Status))
	}
	if o.Status == StatusOther && o.Wording == "" {
		return msg.NewError(nil, "err.family.other_needs_wording")
	}
	if len([]rune(o.Wording)) > MaxWordingLen {
		return msg.NewError(nil, "err.text.too_long", "field", msg.Enum{Kind: "svc_input", Code: "wording"}, "max", MaxWordingLen)
	}
	return nil
}

// Equal reports whether two outcomes say the same to a family.
func (o Outcome) Equal(p Outcome) bool {
	return o.Status == p.Status && o.Wording == p.Wording && DateString(o.Date) == DateString(p.Date)
}

// Advances reports whether a proposed outcome, which follows automatically
// from a link being confirmed, may replace the current one. It never moves a
// status backwards and never overrides an officer's own wording: an
// automatic step only fills in what is not yet known.
func (o Outcome) Advances(proposed Outcome) bool {
	if o.Status == StatusNone || o.Status == "" {
		return proposed.Status != StatusNone
	}
	if o.Status == StatusOther || proposed.Status == StatusOther || o.Status.Death() {
		return false
	}
	if proposed.Status.Death() {
		// Only a released death reaches an entry's outcome; a link
		// confirmed later shows it.
		return true
	}
	return proposed.Status.rank() > o.Status.rank()
}

// DateString formats a status date as the calendar day in UTC, "" when zero.
func DateString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// PublicStatus is everything a family is told: its reference, the short
// status, the day it refers to and an officer's wording. It carries no
// name, no list, no score and no other person, by construction.
type PublicStatus struct {
	Reference    string `json:"reference"`
	Status       Status `json:"status"`
	Date         string `json:"date,omitempty"`
	Wording      string `json:"wording,omitempty"`
	RegisteredOn string `json:"registered_on"`
}
