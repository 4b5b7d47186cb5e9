package negotiation

import (
	"errors"
	"fmt"
)

// ProposalState is where a proposed stage stands between the parties.
//
// A proposal is submitted by one party to the other through the mediator.
// The addressee accepts, rejects or counters it (a counter is a new proposal
// in the other direction); the proposer may withdraw it until the mediator
// witnesses the acceptance, which makes it agreed. Rejected, countered,
// withdrawn and agreed are final.
type ProposalState string

// Proposal states.
const (
	Submitted ProposalState = "submitted"
	Accepted  ProposalState = "accepted"
	Rejected  ProposalState = "rejected"
	Countered ProposalState = "countered"
	Withdrawn ProposalState = "withdrawn"
	Agreed    ProposalState = "agreed"
)

// transitions is the whole state machine: from → allowed targets.
var transitions = map[ProposalState][]ProposalState{
	Submitted: {Accepted, Rejected, Countered, Withdrawn},
	Accepted:  {Agreed, Withdrawn},
}

// ProposalStates lists every state in a stable order.
func ProposalStates() []ProposalState {
	return []ProposalState{Submitted, Accepted, Rejected, Countered, Withdrawn, Agreed}
}

// Valid reports whether s is a known state.
func (s ProposalState) Valid() bool {
	for _, v := range ProposalStates() {
		if s == v {
			return true
		}
	}
	return false
}

// Final reports whether no transition leaves s.
func (s ProposalState) Final() bool { return s.Valid() && len(transitions[s]) == 0 }

// Can reports whether the state machine allows moving from s to to.
func (s ProposalState) Can(to ProposalState) bool {
	for _, t := range transitions[s] {
		if t == to {
			return true
		}
	}
	return false
}

// Proposal is the state of one proposed stage between two parties and the
// mediator who brokers it. The proposed stage itself is kept beside it by
// storage; the state machine needs only who is who.
type Proposal struct {
	ID          string        `json:"id"`
	From        string        `json:"from"`     // the proposing party
	To          string        `json:"to"`       // the addressee
	Mediator    string        `json:"mediator"` // who witnesses the agreement
	State       ProposalState `json:"state"`
	AcceptedBy  string        `json:"accepted_by,omitempty"`
	WitnessedBy string        `json:"witnessed_by,omitempty"`
	CounterOf   string        `json:"counter_of,omitempty"` // the proposal this one counters
}

// ErrTransition is wrapped by every refusal of Advance.
var ErrTransition = errors.New("proposal transition refused")

// Validate checks that the three roles are filled by three different actors.
func (p Proposal) Validate() error {
	switch {
	case p.From == "" || p.To == "" || p.Mediator == "":
		return fmt.Errorf("proposal %s: proposer, addressee and mediator must all be named", p.ID)
	case p.From == p.To:
		return fmt.Errorf("proposal %s: %s cannot propose to itself", p.ID, p.From)
	case p.Mediator == p.From || p.Mediator == p.To:
		return fmt.Errorf("proposal %s: the mediator %s cannot be a party to it", p.ID, p.Mediator)
	case !p.State.Valid():
		return fmt.Errorf("proposal %s: unknown state %q", p.ID, p.State)
	}
	return nil
}

// Advance moves the proposal to the state on behalf of actor, or says why
// not: accepting, rejecting and countering belong to the addressee,
// withdrawing to the proposer, and only the mediator turns an accepted
// proposal into an agreed one.
func (p Proposal) Advance(to ProposalState, actor string) (Proposal, error) {
	if err := p.Validate(); err != nil {
		return p, fmt.Errorf("%w: %w", ErrTransition, err)
	}
	if !p.State.Can(to) {
		return p, fmt.Errorf("%w: proposal %s cannot go from %s to %s", ErrTransition, p.ID, p.State, to)
	}
	var want, role string
	switch to {
	case Accepted, Rejected, Countered:
		want, role = p.To, "the addressee"
	case Withdrawn:
		want, role = p.From, "the proposer"
	case Agreed:
		want, role = p.Mediator, "the mediator"
		if p.AcceptedBy != p.To {
			return p, fmt.Errorf("%w: proposal %s has not been accepted by the addressee %s", ErrTransition, p.ID, p.To)
		}
	}
	if actor != want {
		return p, fmt.Errorf("%w: proposal %s: only %s (%s) may make it %s, not %q", ErrTransition, p.ID, role, want, to, actor)
	}
	switch to {
	case Accepted:
		p.AcceptedBy = actor
	case Agreed:
		p.WitnessedBy = actor
	}
	p.State = to
	return p, nil
}

// Counter marks p countered by its addressee and returns the counter
// proposal, submitted in the other direction under the same mediator.
func (p Proposal) Counter(newID, actor string) (countered, counter Proposal, err error) {
	countered, err = p.Advance(Countered, actor)
	if err != nil {
		return p, Proposal{}, err
	}
	if newID == "" || newID == p.ID {
		return p, Proposal{}, fmt.Errorf("%w: counter proposal needs an id of its own", ErrTransition)
	}
	counter = Proposal{ID: newID, From: p.To, To: p.From, Mediator: p.Mediator, State: Submitted, CounterOf: p.ID}
	return countered, counter, nil
}
