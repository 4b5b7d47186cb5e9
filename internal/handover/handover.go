// Package handover records what happens to each person of an agreed stage on
// the day of the handover, and compares it with the agreement.
//
// Before the handover an observer of a neutral humanitarian organisation
// meets each living person privately and records whether he consents to go
// home. None may be repatriated against his will (GC III Art. 109), so a
// person who refused can never be marked handed over, and his refusal is
// never counted as something his side owes. Then each person gets one
// outcome: handed over, not presented, deceased, or substituted by a named
// other person. Remains carry an identification status instead of an
// interview.
//
// Everything here is a pure function of its inputs; storage keeps the
// states and applies events in a transaction.
package handover

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"parley/internal/msg"
	"parley/internal/person"
)

// Interview is the outcome of the private interview before the handover.
type Interview string

// Interview outcomes.
const (
	Consents Interview = "consents"
	Refuses  Interview = "refuses"
)

// Valid reports whether i is a known interview outcome.
func (i Interview) Valid() bool { return i == Consents || i == Refuses }

// Outcome is what became of a person at the handover.
type Outcome string

// Handover outcomes.
const (
	HandedOver   Outcome = "handed_over"
	NotPresented Outcome = "not_presented" // the releasing side did not bring him
	Deceased     Outcome = "deceased"      // died before the handover
	Substituted  Outcome = "substituted"   // another person was brought in his place
)

// Identification is how far remains are identified.
type Identification string

// Identification statuses, in the order they advance.
const (
	Presumed   Identification = "presumed"
	DNAPending Identification = "dna_pending"
	Confirmed  Identification = "confirmed"
)

func (i Identification) level() int {
	switch i {
	case Presumed:
		return 1
	case DNAPending:
		return 2
	case Confirmed:
		return 3
	}
	return 0
}

// Valid reports whether i is a known identification status.
func (i Identification) Valid() bool { return i.level() > 0 }

// Statuses of the timeline. A person moves listed → proposed → agreed →
// interviewed → one outcome; remains skip the interview.
const (
	StatusListed       = "listed"
	StatusProposed     = "proposed"
	StatusAgreed       = "agreed"
	StatusInterviewed  = "interviewed"
	StatusHandedOver   = string(HandedOver)
	StatusNotPresented = string(NotPresented)
	StatusDeceased     = string(Deceased)
	StatusSubstituted  = string(Substituted)
	StatusIdentified   = "identified" // a change of the identification of remains
	// StatusCorrected is the step that corrects an outcome recorded by
	// mistake; the person's status is then his corrected outcome.
	StatusCorrected = "corrected"
)

// Step is one entry of a person's timeline: what was recorded, when and by
// whom. Note carries the detail (the interview outcome, the substitute, the
// identification status).
type Step struct {
	Status string    `json:"status"`
	At     time.Time `json:"at"`
	By     string    `json:"by"`
	Note   string    `json:"note,omitempty"`
	// Why says the detail as a message of the catalogue (package msg) when
	// it is more than a code: the substitute of a substitution.
	Why msg.Msg `json:"why,omitzero"`
	// From and Reason belong to a correction: the outcome it replaced and
	// why (the new outcome is in Note, empty when the person is back to
	// awaiting his outcome).
	From   Outcome `json:"from,omitempty"`
	Reason string  `json:"reason,omitempty"`
}

// Substitute is the person brought in place of an agreed one. ListID and
// Row name him when he is on a list; Interview is his own interview, which
// must be consent for a living person, as for anyone handed over.
type Substitute struct {
	ListID    string        `json:"list_id,omitempty"`
	Row       int           `json:"row,omitempty"`
	Person    person.Person `json:"person"`
	Interview Interview     `json:"interview,omitempty"`
}

// PersonState is one person of a stage as the handover goes on.
type PersonState struct {
	Party          string         `json:"party"`
	ListID         string         `json:"list_id"`
	Row            int            `json:"row"`
	Person         person.Person  `json:"person"`
	Status         string         `json:"status"`
	Interview      Interview      `json:"interview,omitempty"`
	Outcome        Outcome        `json:"outcome,omitempty"`
	Substitute     *Substitute    `json:"substitute,omitempty"`
	Identification Identification `json:"identification,omitempty"` // remains only
	// DiscloseRefusal: the person, refusing repatriation, agreed that his
	// family be told that he declined; without it the family is told only
	// that he was not repatriated in this stage.
	DiscloseRefusal bool   `json:"disclose_refusal,omitempty"`
	Timeline        []Step `json:"timeline"`
}

// EventType names what an event records.
type EventType string

// Event types.
const (
	EventProposed     EventType = "proposed"
	EventAgreed       EventType = "agreed"
	EventInterviewed  EventType = "interviewed"
	EventHandedOver   EventType = "handed_over"
	EventNotPresented EventType = "not_presented"
	EventDeceased     EventType = "deceased"
	EventSubstituted  EventType = "substituted"
	EventIdentified   EventType = "identified"
	EventCorrected    EventType = "corrected"
)

// CorrectionWindow is how long after an outcome it may still be corrected:
// the day of the handover, while the observers are still at the crossing
// point and the mistake can be checked with the person in front of them.
// Later the stage report stands and a disagreement goes to a dispute.
const CorrectionWindow = 24 * time.Hour

// Event is one thing recorded about a person.
type Event struct {
	Type           EventType      `json:"type"`
	At             time.Time      `json:"at"`
	By             string         `json:"by"`
	Interview      Interview      `json:"interview,omitempty"`      // for interviewed
	Disclose       bool           `json:"disclose,omitempty"`       // for interviewed: a refusal may be told to the family
	Substitute     *Substitute    `json:"substitute,omitempty"`     // for substituted
	Identification Identification `json:"identification,omitempty"` // for identified
	// For corrected: the right outcome (empty to withdraw the outcome, so
	// that the person awaits one again) and why the first was wrong.
	Outcome Outcome `json:"outcome,omitempty"`
	Reason  string  `json:"reason,omitempty"`
}

// Errors that Apply wraps, so that callers can tell a breach of the refusal
// rule from an event out of order.
var (
	// ErrRefused: the person (or his substitute) refused repatriation.
	ErrRefused = errors.New("refusal of repatriation stands")
	// ErrOrder: the event does not fit where the person stands.
	ErrOrder = errors.New("event out of order")
	// ErrFinal: the person already has an outcome.
	ErrFinal = errors.New("outcome already recorded")
	// ErrEvent: the event or state is malformed.
	ErrEvent = errors.New("malformed event")
)

func isRemains(p *person.Person) bool { return p.Kind == person.KindRemains }

// name names a person for errors and notes.
func name(p *person.Person) string {
	if n := p.FullName(); n != "" {
		return n
	}
	if n := p.FullNameLatin(); n != "" {
		return n
	}
	if p.GraveID != "" {
		return "grave " + p.GraveID
	}
	return "no name"
}

func (s *PersonState) ref() string {
	return fmt.Sprintf("row %d of list %s (%s)", s.Row, s.ListID, name(&s.Person))
}

// Listed starts the timeline of a person who is on a list of a party.
// Remains start as presumed identified.
func Listed(party, listID string, row int, p person.Person, at time.Time, by string) (PersonState, error) {
	s := PersonState{Party: party, ListID: listID, Row: row, Person: p, Status: StatusListed}
	if party == "" || listID == "" || row < 1 {
		return s, fmt.Errorf("%w: a listed person needs party, list and row (got %q, %q, %d)", ErrEvent, party, listID, row)
	}
	if at.IsZero() || strings.TrimSpace(by) == "" {
		return s, fmt.Errorf("%w: %s: every step needs its time and who recorded it", ErrEvent, s.ref())
	}
	if isRemains(&p) {
		s.Identification = Presumed
	}
	s.Timeline = []Step{{Status: StatusListed, At: at, By: by}}
	return s, nil
}

// Done reports whether the person has an outcome; a refusal is one.
func (s PersonState) Done() bool { return s.Outcome != "" || s.Interview == Refuses }

// Refused reports whether the person refused repatriation.
func (s PersonState) Refused() bool { return s.Interview == Refuses }

// Validate checks the invariants of a state, such as one read back from
// storage: above all, that nobody who refused is marked handed over.
func (s PersonState) Validate() error {
	remains := isRemains(&s.Person)
	switch {
	case s.Interview != "" && !s.Interview.Valid():
		return fmt.Errorf("%w: %s: unknown interview outcome %q", ErrEvent, s.ref(), s.Interview)
	case remains && s.Interview != "":
		return fmt.Errorf("%w: %s: remains are not interviewed", ErrEvent, s.ref())
	case !remains && s.Identification != "":
		return fmt.Errorf("%w: %s: only remains carry an identification status", ErrEvent, s.ref())
	case s.Identification != "" && !s.Identification.Valid():
		return fmt.Errorf("%w: %s: unknown identification status %q", ErrEvent, s.ref(), s.Identification)
	}
	switch s.Outcome {
	case "":
	case HandedOver:
		if s.Interview == Refuses {
			return fmt.Errorf("%w: %s is marked handed over but refused repatriation", ErrRefused, s.ref())
		}
		if !remains && s.Interview != Consents {
			return fmt.Errorf("%w: %s is marked handed over without a recorded consent", ErrOrder, s.ref())
		}
	case NotPresented, Deceased:
		if s.Interview == Refuses {
			return fmt.Errorf("%w: %s refused repatriation; the refusal is his outcome, not %s", ErrRefused, s.ref(), s.Outcome)
		}
	case Substituted:
		if s.Substitute == nil {
			return fmt.Errorf("%w: %s is substituted by nobody", ErrEvent, s.ref())
		}
		if err := s.Substitute.check(s.ref()); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%w: %s: unknown outcome %q", ErrEvent, s.ref(), s.Outcome)
	}
	if s.Outcome != Substituted && s.Substitute != nil {
		return fmt.Errorf("%w: %s names a substitute without being substituted", ErrEvent, s.ref())
	}
	return nil
}

// check tests that a substitute may be handed over in place of ref.
func (sub *Substitute) check(ref string) error {
	if isRemains(&sub.Person) {
		if sub.Interview != "" {
			return fmt.Errorf("%w: substitute %s for %s: remains are not interviewed", ErrEvent, name(&sub.Person), ref)
		}
		return nil
	}
	switch sub.Interview {
	case Consents:
		return nil
	case Refuses:
		return fmt.Errorf("%w: substitute %s for %s refused repatriation and cannot be handed over", ErrRefused, name(&sub.Person), ref)
	case "":
		return fmt.Errorf("%w: substitute %s for %s has not been interviewed", ErrOrder, name(&sub.Person), ref)
	}
	return fmt.Errorf("%w: substitute %s for %s: unknown interview outcome %q", ErrEvent, name(&sub.Person), ref, sub.Interview)
}

// mayTake says whether the person may get outcome o (handed over, not
// presented or deceased), whether recorded at once or as a correction. It
// holds the refusal rule: a person who refused is never handed over, and
// his refusal is his outcome.
func (s *PersonState) mayTake(o Outcome) error {
	remains := isRemains(&s.Person)
	switch {
	case o == HandedOver && s.Interview == Refuses:
		return fmt.Errorf("%w: %s refused repatriation and can never be handed over", ErrRefused, s.ref())
	case o == HandedOver && !remains && s.Interview != Consents:
		return fmt.Errorf("%w: %s cannot be handed over before an observer has recorded his consent", ErrOrder, s.ref())
	case s.Interview == Refuses:
		return fmt.Errorf("%w: %s refused repatriation; the refusal is his outcome", ErrRefused, s.ref())
	case o == Deceased && remains:
		return fmt.Errorf("%w: %s: remains cannot be recorded as deceased again", ErrOrder, s.ref())
	}
	return nil
}

// mayCorrect says whether ev may correct the person's outcome: there is one,
// it was recorded within CorrectionWindow, the reason is given, and the
// right outcome is one the person may take. A substitution is corrected by
// withdrawing it and recording the substitution anew.
func (s *PersonState) mayCorrect(ev Event) error {
	switch {
	case strings.TrimSpace(ev.Reason) == "":
		return fmt.Errorf("%w: %s: a correction gives its reason", ErrEvent, s.ref())
	case s.Outcome == "":
		return fmt.Errorf("%w: %s has no outcome to correct", ErrOrder, s.ref())
	case ev.Outcome == s.Outcome:
		return fmt.Errorf("%w: %s is already %s", ErrOrder, s.ref(), s.Outcome)
	}
	if at, ok := s.OutcomeAt(); ok && ev.At.Sub(at) > CorrectionWindow {
		return fmt.Errorf("%w: %s: the outcome was recorded at %s, more than %s before; the stage report stands", ErrFinal, s.ref(), at.Format(time.RFC3339), CorrectionWindow)
	}
	switch ev.Outcome {
	case "":
		return nil
	case HandedOver, NotPresented, Deceased:
		return s.mayTake(ev.Outcome)
	}
	return fmt.Errorf("%w: %s: an outcome is corrected to handed_over, not_presented, deceased or withdrawn, not %q", ErrEvent, s.ref(), ev.Outcome)
}

// OutcomeAt is when the person's present outcome was recorded (by its
// first recording or its last correction).
func (s PersonState) OutcomeAt() (time.Time, bool) {
	if s.Outcome == "" {
		return time.Time{}, false
	}
	for i := len(s.Timeline) - 1; i >= 0; i-- {
		switch st := s.Timeline[i]; st.Status {
		case StatusHandedOver, StatusNotPresented, StatusDeceased, StatusSubstituted, StatusCorrected:
			return st.At, true
		}
	}
	return time.Time{}, false
}

// awaiting is the status of a person whose outcome was withdrawn: the last
// step before any outcome.
func (s PersonState) awaiting() string {
	if s.Interview != "" {
		return StatusInterviewed
	}
	return StatusAgreed
}

// Apply records an event and returns the new state, or the unchanged state
// and an error that wraps ErrRefused, ErrOrder, ErrFinal or ErrEvent.
//
// The refusal rule holds on every path: a person who refused cannot be
// handed over, re-interviewed into consent, marked not presented or
// deceased, whether at once or by a correction; only a substitution
// (another person, who must consent himself) may follow a refusal. A
// correction replaces an outcome recorded by mistake within
// CorrectionWindow, as a new step with its reason: nothing is edited.
// Facts that break the agreement but not the law, such
// as handing over someone who was never agreed, are recorded and left to
// Discrepancies.
func Apply(s PersonState, ev Event) (PersonState, error) {
	if err := s.Validate(); err != nil {
		return s, err
	}
	if len(s.Timeline) == 0 {
		return s, fmt.Errorf("%w: %s has no timeline; start it with Listed", ErrEvent, s.ref())
	}
	if ev.At.IsZero() || strings.TrimSpace(ev.By) == "" {
		return s, fmt.Errorf("%w: %s: every step needs its time and who recorded it", ErrEvent, s.ref())
	}
	if last := s.Timeline[len(s.Timeline)-1].At; ev.At.Before(last) {
		return s, fmt.Errorf("%w: %s: %s at %s is earlier than the last step at %s", ErrOrder, s.ref(), ev.Type, ev.At.Format(time.RFC3339), last.Format(time.RFC3339))
	}
	remains := isRemains(&s.Person)
	next := s
	next.Timeline = append(append([]Step(nil), s.Timeline...), Step{Status: string(ev.Type), At: ev.At, By: ev.By})
	step := &next.Timeline[len(next.Timeline)-1]
	outcome := func(o Outcome) error {
		if s.Outcome != "" {
			return fmt.Errorf("%w: %s is already %s", ErrFinal, s.ref(), s.Outcome)
		}
		next.Outcome = o
		next.Status = string(o)
		return nil
	}
	var err error
	switch ev.Type {
	case EventProposed:
		if s.Status != StatusListed && s.Status != StatusProposed {
			err = fmt.Errorf("%w: %s is %s; only a listed person can be proposed", ErrOrder, s.ref(), s.Status)
		}
		next.Status = StatusProposed
	case EventAgreed:
		if s.Status != StatusProposed {
			err = fmt.Errorf("%w: %s is %s; only a proposed person can be agreed", ErrOrder, s.ref(), s.Status)
		}
		next.Status = StatusAgreed
	case EventInterviewed:
		switch {
		case remains:
			err = fmt.Errorf("%w: %s: remains are not interviewed", ErrOrder, s.ref())
		case !ev.Interview.Valid():
			err = fmt.Errorf("%w: %s: interview outcome must be consents or refuses, not %q", ErrEvent, s.ref(), ev.Interview)
		case s.Interview == Refuses:
			err = fmt.Errorf("%w: %s refused repatriation; the refusal stands for this stage", ErrRefused, s.ref())
		case s.Outcome != "":
			err = fmt.Errorf("%w: %s is already %s", ErrFinal, s.ref(), s.Outcome)
		}
		next.Interview = ev.Interview
		next.DiscloseRefusal = ev.Interview == Refuses && ev.Disclose
		next.Status = StatusInterviewed
		step.Note = string(ev.Interview)
	case EventHandedOver, EventNotPresented, EventDeceased:
		if err = s.mayTake(Outcome(ev.Type)); err == nil {
			err = outcome(Outcome(ev.Type))
		}
	case EventCorrected:
		err = s.mayCorrect(ev)
		if err == nil {
			next.Outcome, next.Status = ev.Outcome, string(ev.Outcome)
			if ev.Outcome == "" {
				next.Status = s.awaiting()
			}
			next.Substitute = nil
			step.Note, step.From, step.Reason = string(ev.Outcome), s.Outcome, strings.TrimSpace(ev.Reason)
		}
	case EventSubstituted:
		switch {
		case ev.Substitute == nil:
			err = fmt.Errorf("%w: %s: a substitution must name the substitute", ErrEvent, s.ref())
		default:
			sub := *ev.Substitute
			if err = sub.check(s.ref()); err == nil {
				if err = outcome(Substituted); err == nil {
					next.Substitute = &sub
					step.Why = substituteMsg("timeline.substituted_by", &sub)
					step.Note = step.Why.String()
				}
			}
		}
	case EventIdentified:
		switch {
		case !remains:
			err = fmt.Errorf("%w: %s: only remains are identified", ErrOrder, s.ref())
		case !ev.Identification.Valid():
			err = fmt.Errorf("%w: %s: identification must be presumed, dna_pending or confirmed, not %q", ErrEvent, s.ref(), ev.Identification)
		case ev.Identification.level() <= s.Identification.level():
			err = fmt.Errorf("%w: %s is already %s; identification only advances", ErrOrder, s.ref(), s.Identification)
		}
		next.Identification = ev.Identification
		step.Note = string(ev.Identification)
	default:
		err = fmt.Errorf("%w: %s: unknown event %q", ErrEvent, s.ref(), ev.Type)
	}
	if err != nil {
		return s, err
	}
	return next, nil
}
