package negotiation

import (
	"errors"
	"fmt"
	"parley/internal/msg"
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

// state is a state as a message parameter, shown by its label.
func state(s ProposalState) msg.Enum { return msg.Enum{Kind: "svc_proposal_state", Code: string(s)} }

// Validate checks that the three roles are filled by three different actors.
func (p Proposal) Validate() error {
	switch {
	case p.From == "" || p.To == "" || p.Mediator == "":
		return msg.NewError(nil, "err.proposal.roles", "proposal", p.ID)
	case p.From == p.To:
		return msg.NewError(nil, "err.proposal.to_itself", "proposal", p.ID, "party", p.From)
	case p.Mediator == p.From || p.Mediator == p.To:
		return msg.NewError(nil, "err.proposal.mediator_party", "proposal", p.ID, "mediator", p.Mediator)
	case !p.State.Valid():
		return msg.NewError(nil, "err.proposal.unknown_state", "proposal", p.ID, "state", string(p.State))
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
		return p, msg.NewError(ErrTransition, "err.proposal.transition", "proposal", p.ID, "from", state(p.State), "to", state(to))
	}
	var want, role string
	switch to {
	case Accepted, Rejected, Countered:
		want, role = p.To, "addressee"
	case Withdrawn:
		want, role = p.From, "proposer"
	case Agreed:
		want, role = p.Mediator, "mediator"
		if p.AcceptedBy != p.To {
			return p, msg.NewError(ErrTransition, "err.proposal.not_accepted", "proposal", p.ID, "party", p.To)
		}
	}
	if actor != want {
		return p, msg.NewError(ErrTransition, "err.proposal.only_role", "proposal", p.ID, "role", msg.Enum{Kind: "svc_proposal_role", Code: role}, "who", want, "to", state(to), "actor", actor)
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
		return p, Proposal{}, msg.NewError(ErrTransition, "err.proposal.counter_id")
	}
	counter = Proposal{ID: newID, From: p.To, To: p.From, Mediator: p.Mediator, State: Submitted, CounterOf: p.ID}
	return countered, counter, nil
}
