package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"parley/internal/msg"
	"strconv"
	"time"

	"parley/internal/access"
	"parley/internal/handover"
	"parley/internal/lists"
	"parley/internal/negotiation"
	"parley/internal/nodes"
	"parley/internal/store"
)

// This file holds the agreements the mediator witnesses: an accepted
// proposal made immutable, its content hash in the log, and the start of
// each person's handover record.

// AgreementView is an agreement with the persons of both sides and where
// each stands in the handover.
type AgreementView struct {
	*negotiation.Agreement
	Sides    [2]negotiation.SideRelease `json:"sides"`
	Totals   [2]map[string]int          `json:"totals"`
	Handover []handover.PersonState     `json:"handover"`
	Complete bool                       `json:"complete"`
}

// Stage returns the agreed stage as negotiation.Check and
// handover.Discrepancies take it.
func (a *AgreementView) Stage() negotiation.Stage {
	return negotiation.Stage{Terms: a.Terms, Sides: a.Sides}
}

// AgreementHashFormat versions the canonical encoding behind an agreement's
// content hash.
const AgreementHashFormat = "parley-agreement/v1"

type agreementContent struct {
	Format      string                   `json:"format"`
	ID          string                   `json:"id"`
	ProposalID  string                   `json:"proposal_id"`
	RoundID     string                   `json:"round_id"`
	Parties     [2]string                `json:"parties"`
	Terms       negotiation.Terms        `json:"terms"`
	Date        string                   `json:"date"`
	AcceptedBy  string                   `json:"accepted_by"`
	WitnessedBy string                   `json:"witnessed_by"`
	Sides       [2][]negotiation.Release `json:"sides"`
}

// AgreementHash returns "sha256:<hex>" of the agreement's canonical content:
// JSON in the field order of the Go types with map keys sorted, covering
// the terms and every person of both sides with his legal basis.
func AgreementHash(a *negotiation.Agreement, sides [2][]negotiation.Release) (string, error) {
	for i := range sides {
		if sides[i] == nil {
			sides[i] = []negotiation.Release{}
		}
	}
	b, err := json.Marshal(agreementContent{Format: AgreementHashFormat, ID: a.ID, ProposalID: a.ProposalID, RoundID: a.RoundID, Parties: a.Parties,
		Terms: a.Terms, Date: a.Date.String(), AcceptedBy: a.AcceptedBy, WitnessedBy: a.WitnessedBy, Sides: sides})
	if err != nil {
		return "", fmt.Errorf("encode agreement %s: %w", a.ID, err)
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// WitnessProposal is the mediator's witnessing of an accepted proposal: it
// becomes an immutable agreement holding the exact persons of both sides
// with their legal basis, its content hash goes to the log, and every
// person starts his handover record (listed → proposed → agreed).
func (s *Service) WitnessProposal(ctx context.Context, actor access.Actor, id string) (*AgreementView, error) {
	if !actor.CanMediate() {
		return nil, access.Forbid("deny.witness_agreements")
	}
	var agreed *negotiation.Agreement
	var persons []handover.PersonState
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		p, err := s.loadProposal(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		if p.State == negotiation.ProposalDraft {
			return Conflict("err.proposal.is_draft", "proposal", id)
		}
		if _, err := stateMachine(p).Advance(negotiation.Agreed, mediatorRole); err != nil {
			return transitionError(err)
		}
		if _, err := tx.SetProposalState(ctx, store.ProposalChange{ID: id, From: p.State, To: string(negotiation.Agreed), By: actor.String(), Witnessed: true}); err != nil {
			return stateChanged(err)
		}
		sides, err := tx.ProposalReleases(ctx, id)
		if err != nil {
			return err
		}
		// Another stage agreed since the proposal was made may have bound
		// some of its persons.
		headers := map[string]*lists.List{}
		for _, side := range sides {
			for _, r := range side {
				held, err := tx.EntryAgreements(ctx, r.ListID, r.Row)
				if err != nil {
					return err
				}
				if ag, why := boundBy(held); ag != "" {
					return Conflict("err.row_bound", "row", msg.Plain(r.Row), "list", r.ListID, "why", why, "agreement", ag)
				}
				if headers[r.ListID] == nil {
					if headers[r.ListID], err = tx.List(ctx, r.ListID); err != nil {
						return err
					}
				}
			}
		}
		a := &negotiation.Agreement{ID: newID("G"), ProposalID: p.ID, RoundID: p.RoundID, Parties: [2]string{p.From, p.To}, Terms: p.Terms, Date: p.Date,
			AcceptedBy: p.AnsweredBy, WitnessedBy: actor.String(), CreatedAt: s.Now().UTC().Truncate(time.Microsecond)}
		if a.ContentHash, err = AgreementHash(a, sides); err != nil {
			return err
		}
		if err := tx.InsertAgreement(ctx, a, sides); err != nil {
			return err
		}
		var recs []store.HandoverRecord
		for i, side := range sides {
			for _, r := range side {
				l := headers[r.ListID]
				st, err := startTimeline(r, l, p, a, actor)
				if err != nil {
					return err
				}
				recs = append(recs, store.HandoverRecord{AgreementID: a.ID, Side: i, State: st, UpdatedBy: actor.String()})
				persons = append(persons, st)
			}
		}
		if err := tx.InsertHandoverRecords(ctx, recs); err != nil {
			if errors.Is(err, store.ErrBound) {
				// another agreement, witnessed at the same moment, took one of them
				return conflictErr(err)
			}
			return err
		}
		agreed = a
		ev := Event{Type: "agreement.witnessed", Subject: a.ID, Attrs: map[string]string{
			"agreement_id": a.ID, "proposal_id": p.ID, "round_id": a.RoundID, "party_a": a.Parties[0], "party_b": a.Parties[1],
			"rule": string(a.Terms.Rule), "date": a.Date.String(), "content_hash": a.ContentHash,
			"count_a": strconv.Itoa(len(sides[0])), "count_b": strconv.Itoa(len(sides[1])),
		}, Personal: releaseItems(sides)}
		return s.recordEvent(ctx, tx, actor, ev)
	})
	if err != nil {
		return nil, err
	}
	s.Logger.Info("agreement witnessed", "agreement", agreed.ID, "proposal", id, "persons", len(persons))
	s.afterAgreed(ctx, actor, agreed, persons)
	return s.GetAgreement(ctx, actor, agreed.ID)
}

// startTimeline builds a person's handover record as it stands when the
// agreement is witnessed: listed when his list was handed over, proposed
// with the proposal, agreed now.
func startTimeline(r negotiation.Release, l *lists.List, p *negotiation.ProposalRecord, a *negotiation.Agreement, actor access.Actor) (handover.PersonState, error) {
	by := l.CreatedBy
	if by == "" {
		by = l.From
	}
	st, err := handover.Listed(r.Party, r.ListID, r.Row, r.Person, l.HandedOverAt, by)
	if err != nil {
		return st, fmt.Errorf("agreement of row %d of list %s: %w", r.Row, r.ListID, err)
	}
	proposedAt := p.SubmittedAt
	if proposedAt.IsZero() {
		proposedAt = p.CreatedAt
	}
	for _, ev := range []handover.Event{
		{Type: handover.EventProposed, At: proposedAt, By: p.CreatedBy},
		{Type: handover.EventAgreed, At: a.CreatedAt, By: actor.String()},
	} {
		ev.At = notBefore(ev.At, st)
		if st, err = handover.Apply(st, ev); err != nil {
			return st, fmt.Errorf("agreement of row %d of list %s: %w", r.Row, r.ListID, err)
		}
	}
	return st, nil
}

// notBefore keeps a person's timeline in order when clocks disagree
// slightly (the database's and the service's): a step is never dated before
// the step it follows.
func notBefore(t time.Time, st handover.PersonState) time.Time {
	if n := len(st.Timeline); n > 0 && t.Before(st.Timeline[n-1].At) {
		return st.Timeline[n-1].At
	}
	return t
}

func (s *Service) loadAgreement(ctx context.Context, tx *store.Tx, actor access.Actor, id string) (*negotiation.Agreement, error) {
	a, err := tx.Agreement(ctx, id)
	if err != nil {
		return nil, err
	}
	if !actor.SeesNegotiation(a.Parties[0], a.Parties[1]) {
		return nil, fmt.Errorf("agreement %q: %w", id, ErrNotFound)
	}
	return a, nil
}

// ErrTampered is returned when a stored agreement no longer matches the
// content hash recorded when it was witnessed.
var ErrTampered = errors.New("agreement does not match its content hash")

// GetAgreement returns an agreement with its persons and their handover,
// after checking it against its content hash.
func (s *Service) GetAgreement(ctx context.Context, actor access.Actor, id string) (*AgreementView, error) {
	if s.Mode() == nodes.Node {
		return nil, s.nodeHubOnly(ctx, actor, id)
	}
	var v *AgreementView
	err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		v, err = s.agreementView(ctx, tx, actor, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := s.recordAccess(ctx, actor, "agreement.view", id, len(v.Handover)); err != nil {
		return nil, err
	}
	return v, nil
}

func (s *Service) agreementView(ctx context.Context, tx *store.Tx, actor access.Actor, id string) (*AgreementView, error) {
	a, err := s.loadAgreement(ctx, tx, actor, id)
	if err != nil {
		return nil, err
	}
	sides, err := tx.AgreementReleases(ctx, id)
	if err != nil {
		return nil, err
	}
	hash, err := AgreementHash(a, sides)
	if err != nil {
		return nil, err
	}
	if hash != a.ContentHash {
		return nil, fmt.Errorf("agreement %s: %w (recorded %s, now %s)", id, ErrTampered, a.ContentHash, hash)
	}
	v := &AgreementView{Agreement: a, Totals: s.totals(a.Terms, sides)}
	v.Sides = [2]negotiation.SideRelease{{Party: a.Parties[0], Releases: sides[0]}, {Party: a.Parties[1], Releases: sides[1]}}
	recs, err := tx.HandoverRecords(ctx, id)
	if err != nil {
		return nil, err
	}
	v.Handover = make([]handover.PersonState, len(recs))
	for i, r := range recs {
		v.Handover[i] = r.State
	}
	v.Complete = handover.Complete(v.Stage(), v.Handover)
	return v, nil
}

// ListAgreements returns the agreements the actor may see, in the order
// made; roundID narrows them to one round.
func (s *Service) ListAgreements(ctx context.Context, actor access.Actor, roundID string) ([]*negotiation.Agreement, error) {
	party, err := negotiationScope(actor)
	if err != nil {
		return nil, err
	}
	if s.Mode() == nodes.Node {
		return s.nodeAgreements(ctx, actor, roundID)
	}
	var out []*negotiation.Agreement
	err = s.db.View(ctx, func(tx *store.Tx) (err error) {
		out, err = tx.Agreements(ctx, roundID, party)
		return err
	})
	return out, err
}
