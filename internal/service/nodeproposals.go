package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"parley/internal/access"
	"parley/internal/hubclient"
	"parley/internal/msg"
	"parley/internal/negotiation"
	"parley/internal/statement"
	"parley/internal/store"
)

// Negotiation between party nodes. Rounds, proposals and agreements are
// the shared record and live on the hub; a node keeps none of them. A
// node's officer proposes, counters, accepts or rejects by a signed
// statement the node queues for the hub (sent at once when the hub is
// reachable), and reads the negotiation from the node's mirror of the
// hub's log (nodereads.go), the persons of a proposal from the hub
// (GET /hub/v1/proposals).

// proposalQueued is the state a node shows for a proposal or an answer
// still on its way to the hub.
const proposalQueued = "queued"

// contentHash is the hex SHA-256 of a statement's payload bytes.
func contentHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func (s *Service) nodeParty(actor access.Actor, as string) (string, error) {
	party, err := actingParty(actor, as)
	if err != nil {
		return "", err
	}
	if party == "" {
		party = s.node.party
	}
	if party != s.node.party {
		return "", access.Forbid("deny.node_party", "party", s.node.party)
	}
	return party, nil
}

func (s *Service) nodePropose(ctx context.Context, actor access.Actor, req ProposalRequest) (*ProposalView, error) {
	party, err := s.nodeParty(actor, req.From)
	if err != nil {
		return nil, err
	}
	if req.Draft {
		return nil, Invalid("err.node.no_drafts")
	}
	if req.RoundID == "" {
		return nil, Invalid("err.proposal.no_round")
	}
	req.From = party
	b, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode the proposal: %w", err)
	}
	id := newID("P")
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		return s.queueStatement(ctx, tx, statement.ProposalSubmit, id, map[string]string{"round": req.RoundID, "content_hash": contentHash(b)},
			hubclient.ProposalPayload{Proposal: b})
	})
	if err != nil {
		return nil, err
	}
	return &ProposalView{ProposalRecord: &negotiation.ProposalRecord{ID: id, RoundID: req.RoundID, ThreadID: id, From: party, To: req.To, State: proposalQueued}}, nil
}

func (s *Service) nodeCounter(ctx context.Context, actor access.Actor, parent string, req ProposalRequest) (*ProposalView, error) {
	party, err := s.nodeParty(actor, req.From)
	if err != nil {
		return nil, err
	}
	req.From = party
	b, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode the proposal: %w", err)
	}
	id := newID("P")
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		return s.queueStatement(ctx, tx, statement.ProposalCounter, id,
			map[string]string{"round": req.RoundID, "content_hash": contentHash(b), "parent": parent}, hubclient.ProposalPayload{Proposal: b})
	})
	if err != nil {
		return nil, err
	}
	return &ProposalView{ProposalRecord: &negotiation.ProposalRecord{ID: id, RoundID: req.RoundID, CounterOf: parent, From: party, State: proposalQueued}}, nil
}

// maxOutboxScan bounds the statements a node looks through for an answer
// already queued.
const maxOutboxScan = 10000

// answerPayload is the payload of proposal.accept and proposal.reject.
type answerPayload struct {
	Reasons string `json:"reasons,omitempty"`
}

func (s *Service) nodeAnswer(ctx context.Context, actor access.Actor, id, as string, to negotiation.ProposalState, reasons string) (*ProposalView, error) {
	party, err := s.nodeParty(actor, as)
	if err != nil {
		return nil, err
	}
	typ := map[negotiation.ProposalState]string{negotiation.Accepted: statement.ProposalAccept, negotiation.Rejected: statement.ProposalReject}[to]
	if typ == "" {
		return nil, Invalid("err.node.answers")
	}
	rec, hash, err := s.answerTarget(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if rec.To != party {
		return nil, access.Forbid("deny.answer_only", "party", rec.To, "verb", msg.Enum{Kind: "deny_verb", Code: "answer"}, "proposal", id)
	}
	b, err := json.Marshal(answerPayload{Reasons: reasons})
	if err != nil {
		return nil, err
	}
	attrs := map[string]string{"content_hash": hash}
	if reasons != "" {
		attrs["reasons_hash"] = statement.ReservationHash(reasons)
	}
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		// One answer a proposal: a second one, while the first waits for
		// the hub, is refused here rather than by the hub.
		waiting, err := tx.PendingNodeOutbox(ctx, maxOutboxScan)
		if err != nil {
			return err
		}
		for _, o := range waiting {
			if o.Subject == id && (o.Type == statement.ProposalAccept || o.Type == statement.ProposalReject) {
				return Conflict("node.answer.queued_already", "id", id, "type", o.Type)
			}
		}
		return s.queueStatement(ctx, tx, typ, id, attrs, hubclient.ProposalPayload{Proposal: b})
	})
	if err != nil {
		return nil, err
	}
	rec.State = proposalQueued
	return &ProposalView{ProposalRecord: rec}, nil
}

// answerTarget returns the proposal a node's party answers and the content
// hash its answer signs: the one the proposing party's statement signed.
// It is read from the node's mirror, which holds it verified, so that a
// party answers with the hub down (the answer waits in the outbox); only a
// proposal the mirror does not hold yet is read from the hub.
func (s *Service) answerTarget(ctx context.Context, actor access.Actor, id string) (*negotiation.ProposalRecord, string, error) {
	p, hash, ok, err := s.mirrorProposalHash(ctx, actor, id)
	if err != nil {
		return nil, "", err
	}
	if ok {
		if p.State != string(negotiation.Submitted) {
			return nil, "", Conflict("node.answer.not_open", "id", id, "state", p.State)
		}
		rec := *p
		return &rec, hash, nil
	}
	all, err := s.hubProposalRecords(ctx)
	if errors.Is(err, hubclient.ErrUnreachable) {
		e := msg.NewError(ErrConflict, "node.answer.offline_unknown", "id", id, "hub", s.node.hubURL)
		e.Cause = err
		return nil, "", e
	}
	if he := (*hubclient.HubError)(nil); errors.As(err, &he) {
		e := msg.NewError(ErrConflict, "node.answer.hub_failed", "id", id, "hub", s.node.hubURL, "status", msg.Plain(he.Status), "reason", he.Reason())
		e.Cause = err
		return nil, "", e
	}
	if err != nil {
		return nil, "", err
	}
	for i := range all {
		if all[i].ID == id {
			rec := all[i].ProposalRecord
			return &rec, all[i].ContentHash, nil
		}
	}
	return nil, "", fmt.Errorf("proposal %q: %w", id, ErrNotFound)
}

// nodeProposalRecord is one element of GET /hub/v1/proposals: the
// proposal as the hub shows it to the party, with the content hash its
// statement signed.
type nodeProposalRecord struct {
	negotiation.ProposalRecord
	ContentHash string `json:"content_hash"`
}

// hubProposalRecords reads the proposals this node's party may see from
// the hub.
func (s *Service) hubProposalRecords(ctx context.Context) ([]nodeProposalRecord, error) {
	if s.node.hub == nil {
		return nil, Conflict("err.node.no_hub")
	}
	raws, err := s.node.hub.Proposals(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the proposals from the hub: %w", err)
	}
	out := make([]nodeProposalRecord, 0, len(raws))
	for _, r := range raws {
		var rec nodeProposalRecord
		if err := json.Unmarshal(r, &rec); err != nil {
			return nil, fmt.Errorf("a proposal from the hub: %w", err)
		}
		out = append(out, rec)
	}
	return out, nil
}

// nodeProposal reads one proposal from the hub, as GetProposal shows it.
func (s *Service) nodeProposal(ctx context.Context, id string) (*ProposalView, error) {
	if s.node.hub == nil {
		return nil, Conflict("err.node.no_hub")
	}
	raws, err := s.node.hub.Proposals(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the proposals from the hub: %w", err)
	}
	for _, r := range raws {
		var v ProposalView
		if err := json.Unmarshal(r, &v); err != nil {
			return nil, fmt.Errorf("a proposal from the hub: %w", err)
		}
		if v.ProposalRecord != nil && v.ID == id {
			return &v, nil
		}
	}
	return nil, fmt.Errorf("proposal %q: %w", id, ErrNotFound)
}

// applyProposal applies a proposal.* statement on the hub.
func (s *Service) applyProposal(ctx context.Context, tx *store.Tx, actor access.Actor, st *statement.Statement, payload json.RawMessage) error {
	var p hubclient.ProposalPayload
	if err := json.Unmarshal(payload, &p); err != nil || len(p.Proposal) == 0 {
		return Invalid("err.statement.no_proposal", "type", st.Type)
	}
	switch st.Type {
	case statement.ProposalSubmit, statement.ProposalCounter:
		if contentHash(p.Proposal) != st.Attrs["content_hash"] {
			return Invalid("err.statement.proposal_not_signed", "type", st.Type)
		}
		var req ProposalRequest
		if err := json.Unmarshal(p.Proposal, &req); err != nil {
			return invalidBecause("err.statement.bad_proposal", err, "type", st.Type)
		}
		if req.From != st.Party || req.Draft {
			return Invalid("err.statement.proposes_itself", "type", st.Type)
		}
		if r := st.Attrs["round"]; r != "" && req.RoundID != r {
			return Invalid("err.statement.round", "type", st.Type, "round", r)
		}
		if _, err := tx.Proposal(ctx, st.Subject); err == nil {
			return Conflict("err.proposal.exists", "proposal", st.Subject)
		}
		if st.Type == statement.ProposalSubmit {
			_, err := s.submitProposal(ctx, tx, actor, req, st.Subject)
			return err
		}
		_, err := s.counterProposal(ctx, tx, actor, st.Attrs["parent"], req, st.Subject)
		return err
	}
	var a answerPayload
	if err := json.Unmarshal(p.Proposal, &a); err != nil {
		return invalidBecause("err.field", err, "field", st.Type)
	}
	if statement.ReservationHash(a.Reasons) != st.Attrs["reasons_hash"] {
		return Invalid("err.statement.reasons_not_signed", "type", st.Type)
	}
	hash, err := proposalContentHash(ctx, tx, st.Subject)
	if err != nil {
		return err
	}
	if hash != st.Attrs["content_hash"] {
		return Invalid("err.statement.proposal_hash", "type", st.Type, "proposal", st.Subject, "hash", hash, "signed", st.Attrs["content_hash"])
	}
	to := negotiation.Accepted
	if st.Type == statement.ProposalReject {
		to = negotiation.Rejected
	}
	return s.answerProposalTx(ctx, tx, actor, st.Subject, "", to, a.Reasons)
}

// proposalContentHash returns the content hash the proposing party signed
// for a proposal (its proposal.submit or proposal.counter statement).
func proposalContentHash(ctx context.Context, tx *store.Tx, id string) (string, error) {
	hs, err := tx.HubStatementsAbout(ctx, id)
	if err != nil {
		return "", err
	}
	for _, h := range hs {
		if h.Type != statement.ProposalSubmit && h.Type != statement.ProposalCounter {
			continue
		}
		st, err := statement.Text([]byte(h.Note))
		if err != nil {
			return "", err
		}
		return st.Attrs["content_hash"], nil
	}
	return "", Conflict("err.proposal.unsigned", "proposal", id)
}

// hubProposalJSON is a proposal as GET /hub/v1/proposals shows it: the
// view a party's officer gets, with the content hash its statement signed.
func (s *Service) hubProposalJSON(ctx context.Context, v *ProposalView) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	var hash string
	err = s.db.View(ctx, func(tx *store.Tx) (err error) {
		hash, err = proposalContentHash(ctx, tx, v.ID)
		if errors.Is(err, ErrConflict) {
			hash, err = "", nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	m["content_hash"], _ = json.Marshal(hash)
	return json.Marshal(m)
}
