package handover

import (
	"time"

	"parley/internal/category"
	"parley/internal/negotiation"
	"parley/internal/person"
)

// This file is the day of the handover as the observers work it: where each
// person stands, what may be recorded for him next, how far the stage has
// come and whether the agreed rule still holds. Every answer is derived from
// Apply and Discrepancies, so that a rule (a person is handed over only
// after his consent; a refusal is never undone) is written once.

// Queues of the day: where a person stands in the observers' work.
const (
	QueueAll       = ""
	QueueInterview = "interview" // living, not yet interviewed, no outcome
	QueueReady     = "ready"     // consented (or remains), awaiting the outcome
	QueueDone      = "done"      // an outcome, or a refusal
	QueueRefused   = "refused"   // refused, and no substitute yet
)

// Queues lists the queues in the order the page offers them.
var Queues = []string{QueueAll, QueueInterview, QueueReady, QueueDone, QueueRefused}

// ValidQueue reports whether q is one of Queues.
func ValidQueue(q string) bool {
	for _, x := range Queues {
		if q == x {
			return true
		}
	}
	return false
}

// QueueOf places a person in the queues.
func QueueOf(s PersonState) string {
	switch {
	case s.Refused() && s.Outcome == "":
		return QueueRefused
	case s.Done():
		return QueueDone
	case !isRemains(&s.Person) && s.Interview == "":
		return QueueInterview
	}
	return QueueReady
}

// Roles are what the person at the tablet may record: observers of the
// neutral organisation interview; observers and the mediator record
// outcomes and the identification of remains.
type Roles struct {
	Interview bool
	Record    bool
}

// Actions are the steps that may be recorded next for a person.
type Actions struct {
	Consents, Refuses bool // the interview
	HandedOver        bool
	NotPresented      bool
	Deceased          bool
	Substitute        bool
	Identify          []Identification // the identification of remains, as it may advance
	// CorrectTo lists the outcomes a recorded outcome may be corrected to
	// (the empty outcome withdraws it); empty when it may not be corrected.
	CorrectTo []Outcome
}

// Any reports whether anything may be recorded.
func (a Actions) Any() bool {
	return a.Consents || a.Refuses || a.HandedOver || a.NotPresented || a.Deceased || a.Substitute || len(a.Identify) > 0 || len(a.CorrectTo) > 0
}

// Allowed returns what may be recorded next for a person at time now, by
// trying each step with Apply: what Apply refuses is not offered. (The
// service may still refuse a step for reasons outside the person's own
// state, such as a death on record.)
func Allowed(s PersonState, r Roles, now time.Time) Actions {
	if len(s.Timeline) == 0 {
		// not started: as if just agreed
		s.Timeline = []Step{{Status: StatusAgreed, At: now, By: "-"}}
	}
	if last := s.Timeline[len(s.Timeline)-1].At; now.Before(last) {
		now = last
	}
	try := func(ev Event) bool {
		ev.At, ev.By = now, "-"
		_, err := Apply(s, ev)
		return err == nil
	}
	var a Actions
	if r.Interview && QueueOf(s) == QueueInterview {
		// A second interview (a person who changes his mind) is rare
		// enough to be recorded through the API, not offered on the day.
		a.Consents = try(Event{Type: EventInterviewed, Interview: Consents})
		a.Refuses = try(Event{Type: EventInterviewed, Interview: Refuses})
	}
	if !r.Record {
		return a
	}
	a.HandedOver = try(Event{Type: EventHandedOver})
	a.NotPresented = try(Event{Type: EventNotPresented})
	a.Deceased = try(Event{Type: EventDeceased})
	// Any substitute who consented will do for the question.
	a.Substitute = try(Event{Type: EventSubstituted, Substitute: &Substitute{Person: person.Person{Kind: person.KindPOW}, Interview: Consents}})
	for _, id := range []Identification{DNAPending, Confirmed} {
		if try(Event{Type: EventIdentified, Identification: id}) {
			a.Identify = append(a.Identify, id)
		}
	}
	for _, o := range []Outcome{HandedOver, NotPresented, Deceased, ""} {
		if try(Event{Type: EventCorrected, Outcome: o, Reason: "-"}) {
			a.CorrectTo = append(a.CorrectTo, o)
		}
	}
	return a
}

// Compliance says whether the agreed rule still holds as the day goes on.
type Compliance string

// Compliance states.
const (
	// OnTrack: nothing recorded so far departs from the agreement in a way
	// the rule counts (a refusal never does), or the stage is complete and
	// keeps the rule.
	OnTrack Compliance = "on_track"
	// AtRisk: persons were not presented, died, were substituted or handed
	// over outside the agreement, but persons are still pending: the day
	// goes on, the other side's releases may still balance, and an outcome
	// recorded by mistake may still be corrected.
	AtRisk Compliance = "at_risk"
	// Broken: every agreed person has an outcome and the releases as they
	// happened break the rule; it can no longer be met (short of
	// correcting an outcome within the day).
	Broken Compliance = "broken"
)

// Compliance reads the report. Actual counts the persons still pending as
// released; a breach found that way while persons are pending is only a
// risk, since what the rule counts is settled when the last one has his
// outcome.
func (r Report) Compliance() Compliance {
	switch {
	case r.BreachMessage != "" && r.Complete:
		return Broken
	case r.BreachMessage != "":
		return AtRisk
	case r.Complete:
		return OnTrack
	}
	for _, it := range r.Items {
		switch it.Type {
		case ItemNotPresented, ItemDeceased, ItemSubstituted, ItemNotAgreed, ItemInvalid, ItemDuplicate, ItemUnknownParty:
			return AtRisk
		}
	}
	return OnTrack
}

// Progress is the count at the top of the day's page.
type Progress struct {
	Agreed, Interviewed, Done, Pending                       int
	HandedOver, Refused, NotPresented, Deceased, Substituted int
}

// DayPerson is one agreed person on the day: his state, his legal basis,
// his queue and what may be recorded next.
type DayPerson struct {
	State   PersonState            `json:"state"`
	Basis   negotiation.LegalBasis `json:"basis"`
	Queue   string                 `json:"queue"`
	Remains bool                   `json:"remains"`
	Actions Actions                `json:"actions"`
}

// Day is an agreed stage on the day of its handover.
type Day struct {
	Report     Report      `json:"report"`
	Compliance Compliance  `json:"compliance"`
	Progress   Progress    `json:"progress"`
	Persons    []DayPerson `json:"persons"` // every agreed person, in the agreement's order
	// Discrepancies are the report's items without the persons who are
	// merely still pending.
	Discrepancies []Item `json:"discrepancies"`
}

// NewDay puts together the day of an agreed stage from its handover
// states, for someone with roles r at time now. A nil catalogue means the
// built-in categories.
func NewDay(agreed negotiation.Stage, outcomes []PersonState, cat *category.Catalogue, r Roles, now time.Time) Day {
	d := Day{Report: Discrepancies(agreed, outcomes, cat), Discrepancies: []Item{}}
	d.Compliance = d.Report.Compliance()
	for _, side := range d.Report.Sides {
		c := side.Counts
		d.Progress.Agreed += c.Agreed
		d.Progress.Pending += c.Pending
		d.Progress.HandedOver += c.HandedOver
		d.Progress.Refused += c.Refused
		d.Progress.NotPresented += c.NotPresented
		d.Progress.Deceased += c.Deceased
		d.Progress.Substituted += c.Substituted
	}
	d.Progress.Done = d.Progress.Agreed - d.Progress.Pending
	for _, it := range d.Report.Items {
		if it.Type != ItemPending {
			d.Discrepancies = append(d.Discrepancies, it)
		}
	}
	idx, _ := index(outcomes)
	for _, s := range outcomes {
		if s.Interview != "" {
			d.Progress.Interviewed++
		}
	}
	for _, side := range agreed.Sides {
		for _, rel := range side.Releases {
			st := idx[key{side.Party, rel.ListID, rel.Row}]
			var s PersonState
			if st != nil {
				s = *st
			} else {
				// not started: agreed, nothing recorded
				s = PersonState{Party: side.Party, ListID: rel.ListID, Row: rel.Row, Person: rel.Person, Status: StatusAgreed}
			}
			d.Persons = append(d.Persons, DayPerson{State: s, Basis: rel.LegalBasis, Queue: QueueOf(s),
				Remains: isRemains(&rel.Person), Actions: Allowed(s, r, now)})
		}
	}
	return d
}
