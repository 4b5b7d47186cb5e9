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

func (s *PersonState) ref() msg.Msg {
	return msg.New("err.handover.ref", "row", msg.Plain(s.Row), "list", s.ListID, "name", nameParam(&s.Person))
}

// nameParam is a person's name as a message parameter.
func nameParam(p *person.Person) any {
	if n := p.FullName(); n != "" {
		return n
	}
	if n := p.FullNameLatin(); n != "" {
		return n
	}
	if p.GraveID != "" {
		return msg.New("err.handover.grave", "grave", p.GraveID)
	}
	return msg.New("err.handover.no_name")
}

// Listed starts the timeline of a person who is on a list of a party.
// Remains start as presumed identified.
func Listed(party, listID string, row int, p person.Person, at time.Time, by string) (PersonState, error) {
	s := PersonState{Party: party, ListID: listID, Row: row, Person: p, Status: StatusListed}
	if party == "" || listID == "" || row < 1 {
		return s, msg.NewError(ErrEvent, "err.handover.listed_needs", "party", party, "list", listID, "row", msg.Plain(row))
	}
	if at.IsZero() || strings.TrimSpace(by) == "" {
		return s, msg.NewError(ErrEvent, "err.handover.step_time", "ref", s.ref())
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
		return msg.NewError(ErrEvent, "err.handover.unknown_interview", "ref", s.ref(), "value", string(s.Interview))
	case remains && s.Interview != "":
		return msg.NewError(ErrEvent, "err.handover.remains_no_interview", "ref", s.ref())
	case !remains && s.Identification != "":
		return msg.NewError(ErrEvent, "err.handover.identification_remains_only", "ref", s.ref())
	case s.Identification != "" && !s.Identification.Valid():
		return msg.NewError(ErrEvent, "err.handover.unknown_identification", "ref", s.ref(), "value", string(s.Identification))
	}
	switch s.Outcome {
	case "":
	case HandedOver:
		if s.Interview == Refuses {
			return msg.NewError(ErrRefused, "err.handover.handed_over_refused", "ref", s.ref())
		}
		if !remains && s.Interview != Consents {
			return msg.NewError(ErrOrder, "err.handover.handed_over_no_consent", "ref", s.ref())
		}
	case NotPresented, Deceased:
		if s.Interview == Refuses {
			return msg.NewError(ErrRefused, "err.handover.refusal_is_outcome_not", "ref", s.ref(), "outcome", msg.Enum{Kind: "svc_handover_status", Code: string(s.Outcome)})
		}
	case Substituted:
		if s.Substitute == nil {
			return msg.NewError(ErrEvent, "err.handover.substituted_by_nobody", "ref", s.ref())
		}
		if err := s.Substitute.check(s.ref()); err != nil {
			return err
		}
	default:
		return msg.NewError(ErrEvent, "err.handover.unknown_outcome", "ref", s.ref(), "value", string(s.Outcome))
	}
	if s.Outcome != Substituted && s.Substitute != nil {
		return msg.NewError(ErrEvent, "err.handover.substitute_not_substituted", "ref", s.ref())
	}
	return nil
}

// check tests that a substitute may be handed over in place of ref.
func (sub *Substitute) check(ref msg.Msg) error {
	if isRemains(&sub.Person) {
		if sub.Interview != "" {
			return msg.NewError(ErrEvent, "err.handover.sub_remains_no_interview", "name", nameParam(&sub.Person), "ref", ref)
		}
		return nil
	}
	switch sub.Interview {
	case Consents:
		return nil
	case Refuses:
		return msg.NewError(ErrRefused, "err.handover.sub_refused", "name", nameParam(&sub.Person), "ref", ref)
	case "":
		return msg.NewError(ErrOrder, "err.handover.sub_not_interviewed", "name", nameParam(&sub.Person), "ref", ref)
	}
	return msg.NewError(ErrEvent, "err.handover.sub_unknown_interview", "name", nameParam(&sub.Person), "ref", ref, "value", string(sub.Interview))
}

// mayTake says whether the person may get outcome o (handed over, not
// presented or deceased), whether recorded at once or as a correction. It
// holds the refusal rule: a person who refused is never handed over, and
// his refusal is his outcome.
func (s *PersonState) mayTake(o Outcome) error {
	remains := isRemains(&s.Person)
	switch {
	case o == HandedOver && s.Interview == Refuses:
		return msg.NewError(ErrRefused, "err.handover.refused_never", "ref", s.ref())
	case o == HandedOver && !remains && s.Interview != Consents:
		return msg.NewError(ErrOrder, "err.handover.consent_first", "ref", s.ref())
	case s.Interview == Refuses:
		return msg.NewError(ErrRefused, "err.handover.refusal_is_outcome", "ref", s.ref())
	case o == Deceased && remains:
		return msg.NewError(ErrOrder, "err.handover.remains_deceased", "ref", s.ref())
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
		return msg.NewError(ErrEvent, "err.handover.correction_reason_ref", "ref", s.ref())
	case s.Outcome == "":
		return msg.NewError(ErrOrder, "err.handover.nothing_to_correct", "ref", s.ref())
	case ev.Outcome == s.Outcome:
		return msg.NewError(ErrOrder, "err.handover.already", "ref", s.ref(), "status", msg.Enum{Kind: "svc_handover_status", Code: string(s.Outcome)})
	}
	if at, ok := s.OutcomeAt(); ok && ev.At.Sub(at) > CorrectionWindow {
		return msg.NewError(ErrFinal, "err.handover.correction_late", "ref", s.ref(), "at", msg.Raw(at.UTC().Format("2006-01-02 15:04 UTC")), "hours", int(CorrectionWindow.Hours()))
	}
	switch ev.Outcome {
	case "":
		return nil
	case HandedOver, NotPresented, Deceased:
		return s.mayTake(ev.Outcome)
	}
	return msg.NewError(ErrEvent, "err.handover.correct_to", "ref", s.ref(), "value", string(ev.Outcome), "choices", []string{string(HandedOver), string(NotPresented), string(Deceased), "withdrawn"})
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
		return s, msg.NewError(ErrEvent, "err.handover.no_timeline", "ref", s.ref())
	}
	if ev.At.IsZero() || strings.TrimSpace(ev.By) == "" {
		return s, msg.NewError(ErrEvent, "err.handover.step_time", "ref", s.ref())
	}
	if last := s.Timeline[len(s.Timeline)-1].At; ev.At.Before(last) {
		return s, msg.NewError(ErrOrder, "err.handover.step_earlier", "ref", s.ref(), "step", string(ev.Type), "at", msg.Raw(ev.At.UTC().Format(time.RFC3339)), "last", msg.Raw(last.UTC().Format(time.RFC3339)))
	}
	remains := isRemains(&s.Person)
	next := s
	next.Timeline = append(append([]Step(nil), s.Timeline...), Step{Status: string(ev.Type), At: ev.At, By: ev.By})
	step := &next.Timeline[len(next.Timeline)-1]
	outcome := func(o Outcome) error {
		if s.Outcome != "" {
			return msg.NewError(ErrFinal, "err.handover.already", "ref", s.ref(), "status", msg.Enum{Kind: "svc_handover_status", Code: string(s.Outcome)})
		}
		next.Outcome = o
		next.Status = string(o)
		return nil
	}
	var err error
	switch ev.Type {
	case EventProposed:
		if s.Status != StatusListed && s.Status != StatusProposed {
			err = msg.NewError(ErrOrder, "err.handover.propose_listed", "ref", s.ref(), "status", msg.Enum{Kind: "svc_handover_status", Code: string(s.Status)})
		}
		next.Status = StatusProposed
	case EventAgreed:
		if s.Status != StatusProposed {
			err = msg.NewError(ErrOrder, "err.handover.agree_proposed", "ref", s.ref(), "status", msg.Enum{Kind: "svc_handover_status", Code: string(s.Status)})
		}
		next.Status = StatusAgreed
	case EventInterviewed:
		switch {
		case remains:
			err = msg.NewError(ErrOrder, "err.handover.remains_no_interview", "ref", s.ref())
		case !ev.Interview.Valid():
			err = msg.NewError(ErrEvent, "err.handover.interview_value", "ref", s.ref(), "value", string(ev.Interview))
		case s.Interview == Refuses:
			err = msg.NewError(ErrRefused, "err.handover.refusal_stands", "ref", s.ref())
		case s.Outcome != "":
			err = msg.NewError(ErrFinal, "err.handover.already", "ref", s.ref(), "status", msg.Enum{Kind: "svc_handover_status", Code: string(s.Outcome)})
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
			err = msg.NewError(ErrEvent, "err.handover.substitution_names", "ref", s.ref())
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
			err = msg.NewError(ErrOrder, "err.handover.identify_remains_only", "ref", s.ref())
		case !ev.Identification.Valid():
			err = msg.NewError(ErrEvent, "err.handover.identification_value", "ref", s.ref(), "value", string(ev.Identification), "choices", []string{string(Presumed), string(DNAPending), string(Confirmed)})
		case ev.Identification.level() <= s.Identification.level():
			err = msg.NewError(ErrOrder, "err.handover.identification_advances", "ref", s.ref(), "status", msg.Enum{Kind: "svc_identification", Code: string(s.Identification)})
		}
		next.Identification = ev.Identification
		step.Note = string(ev.Identification)
	default:
		err = msg.NewError(ErrEvent, "err.handover.unknown_event", "ref", s.ref(), "value", string(ev.Type))
	}
	if err != nil {
		return s, err
	}
	return next, nil
}
