package negotiation

import (
	"errors"
	"testing"
)

func TestProposalCan(t *testing.T) {
	allowed := map[[2]ProposalState]bool{
		{Submitted, Accepted}: true, {Submitted, Rejected}: true, {Submitted, Countered}: true, {Submitted, Withdrawn}: true,
		{Accepted, Agreed}: true, {Accepted, Withdrawn}: true,
	}
	for _, from := range ProposalStates() {
		for _, to := range append(ProposalStates(), "draft") {
			if got := from.Can(to); got != allowed[[2]ProposalState{from, to}] {
				t.Errorf("%s.Can(%s) = %v", from, to, got)
			}
		}
	}
	for _, s := range []ProposalState{Rejected, Countered, Withdrawn, Agreed} {
		if !s.Final() {
			t.Errorf("%s should be final", s)
		}
	}
	if Submitted.Final() || Accepted.Final() || ProposalState("draft").Final() {
		t.Error("submitted, accepted and unknown states are not final")
	}
}

func TestProposalAdvance(t *testing.T) {
	p := Proposal{ID: "P1", From: "UA", To: "RU", Mediator: "TR", State: Submitted}
	steps := []struct {
		name  string
		from  Proposal
		to    ProposalState
		actor string
		ok    bool
	}{
		{"proposer cannot accept its own proposal", p, Accepted, "UA", false},
		{"mediator cannot accept for a party", p, Accepted, "TR", false},
		{"addressee accepts", p, Accepted, "RU", true},
		{"addressee rejects", p, Rejected, "RU", true},
		{"proposer cannot reject", p, Rejected, "UA", false},
		{"proposer withdraws", p, Withdrawn, "UA", true},
		{"addressee cannot withdraw another's proposal", p, Withdrawn, "RU", false},
		{"agreement needs acceptance first", p, Agreed, "TR", false},
		{"agreement without recorded acceptance", Proposal{ID: "P1", From: "UA", To: "RU", Mediator: "TR", State: Accepted}, Agreed, "TR", false},
		{"party cannot witness", Proposal{ID: "P1", From: "UA", To: "RU", Mediator: "TR", State: Accepted, AcceptedBy: "RU"}, Agreed, "RU", false},
		{"mediator witnesses", Proposal{ID: "P1", From: "UA", To: "RU", Mediator: "TR", State: Accepted, AcceptedBy: "RU"}, Agreed, "TR", true},
		{"nothing leaves agreed", Proposal{ID: "P1", From: "UA", To: "RU", Mediator: "TR", State: Agreed, AcceptedBy: "RU", WitnessedBy: "TR"}, Withdrawn, "UA", false},
		{"mediator must not be a party", Proposal{ID: "P1", From: "UA", To: "RU", Mediator: "RU", State: Submitted}, Accepted, "RU", false},
		{"roles must be named", Proposal{ID: "P1", From: "UA", State: Submitted}, Accepted, "", false},
	}
	for _, tt := range steps {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.from.Advance(tt.to, tt.actor)
			if tt.ok {
				if err != nil {
					t.Fatalf("Advance: %v", err)
				}
				if got.State != tt.to {
					t.Errorf("state %s, want %s", got.State, tt.to)
				}
				return
			}
			if !errors.Is(err, ErrTransition) {
				t.Fatalf("Advance = %v, want ErrTransition", err)
			}
			if got != tt.from {
				t.Errorf("a refused transition changed the proposal: %+v", got)
			}
		})
	}
	// the whole happy path records who accepted and who witnessed
	acc, err := p.Advance(Accepted, "RU")
	if err != nil {
		t.Fatal(err)
	}
	agreed, err := acc.Advance(Agreed, "TR")
	if err != nil {
		t.Fatal(err)
	}
	if agreed.AcceptedBy != "RU" || agreed.WitnessedBy != "TR" || agreed.State != Agreed {
		t.Errorf("agreed = %+v", agreed)
	}
}

func TestProposalCounter(t *testing.T) {
	p := Proposal{ID: "P1", From: "UA", To: "RU", Mediator: "AE", State: Submitted}
	old, counter, err := p.Counter("P2", "RU")
	if err != nil {
		t.Fatal(err)
	}
	want := Proposal{ID: "P2", From: "RU", To: "UA", Mediator: "AE", State: Submitted, CounterOf: "P1"}
	if old.State != Countered || counter != want {
		t.Errorf("Counter = %+v, %+v", old, counter)
	}
	if _, _, err := p.Counter("P2", "UA"); !errors.Is(err, ErrTransition) {
		t.Errorf("the proposer cannot counter its own proposal: %v", err)
	}
	if _, _, err := p.Counter("P1", "RU"); !errors.Is(err, ErrTransition) {
		t.Errorf("a counter needs an id of its own: %v", err)
	}
}
