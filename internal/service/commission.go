package service

import (
	"context"
	"encoding/json"
	"fmt"
	"parley/internal/msg"

	"parley/internal/access"
	"parley/internal/negotiation"
	"parley/internal/store"
)

// This file holds the Mixed Medical Commission's decisions on persons
// proposed under Art. 110.

// CommissionRequest records the Mixed Medical Commission's decision on a
// person proposed under Art. 110.
type CommissionRequest struct {
	ProposalID string                        `json:"proposal_id"`
	ListID     string                        `json:"list_id"`
	Row        int                           `json:"row"`
	Outcome    negotiation.CommissionOutcome `json:"outcome"`
}

// RecordCommissionOutcome records the commission's decision (repatriate,
// reject, or re-examine on a later date) on a person whom the proposal
// releases under Art. 110. Observers and the mediator record it. A later
// unilateral proposal takes Art. 110 by default for a person the commission
// decided to repatriate.
func (s *Service) RecordCommissionOutcome(ctx context.Context, actor access.Actor, req CommissionRequest) (*store.CommissionRecord, error) {
	if !actor.CanObserve() && !actor.CanMediate() {
		return nil, access.Forbid("deny.commission")
	}
	if err := req.Outcome.Validate(); err != nil {
		return nil, invalidErr(err)
	}
	rec := &store.CommissionRecord{ID: newID("C"), ProposalID: req.ProposalID, ListID: req.ListID, Row: req.Row, Outcome: req.Outcome, RecordedBy: actor.String()}
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		p, err := s.loadProposal(ctx, tx, actor, req.ProposalID)
		if err != nil {
			return err
		}
		if p.State == negotiation.ProposalDraft {
			return fmt.Errorf("proposal %q: %w", req.ProposalID, ErrNotFound)
		}
		sides, err := tx.ProposalReleases(ctx, p.ID)
		if err != nil {
			return err
		}
		var rel *negotiation.Release
		for i := range sides {
			for j := range sides[i] {
				if r := &sides[i][j]; r.ListID == req.ListID && r.Row == req.Row {
					rel = r
				}
			}
		}
		if rel == nil {
			return Invalid("err.commission.not_released", "proposal", p.ID, "row", msg.Plain(req.Row), "list", req.ListID)
		}
		if rel.LegalBasis.Code != negotiation.BasisArt110 {
			return Invalid("err.commission.not_art110", "row", msg.Plain(req.Row), "list", req.ListID, "basis", msg.Enum{Kind: "svc_basis", Code: rel.LegalBasis.Code})
		}
		if err := tx.InsertCommissionRecord(ctx, rec); err != nil {
			return err
		}
		data, _ := json.Marshal(map[string]any{"list_id": req.ListID, "row": req.Row, "outcome": req.Outcome})
		return s.recordEvent(ctx, tx, actor, Event{Type: "commission.decided", Subject: p.ID,
			Attrs:    map[string]string{"proposal_id": p.ID, "round_id": p.RoundID, "record_id": rec.ID},
			Personal: []EventItem{{ID: fmt.Sprintf("release/%s/%d", req.ListID, req.Row), Data: data}}})
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}
