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
		return "", access.Deny("this node acts for party %s only", s.node.party)
	}
	return party, nil
}

func (s *Service) nodePropose(ctx context.Context, actor access.Actor, req ProposalRequest) (*ProposalView, error) {
	party, err := s.nodeParty(actor, req.From)
	if err != nil {
		return nil, err
	}
	if req.Draft {
		return nil, invalidf("on a party node a proposal goes to the hub at once; drafts are not kept")
	}
	if req.RoundID == "" {
		return nil, invalidf("name the round")
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
		return nil, invalidf("on a party node a proposal can be accepted, rejected or countered")
	}
	rec, hash, err := s.answerTarget(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if rec.To != party {
		return nil, access.Deny("only party %s may answer proposal %s", rec.To, id)
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
				return fmt.Errorf("%w: proposal %s is answered already; the answer (%s) waits for the hub", ErrConflict, id, o.Type)
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
			return nil, "", fmt.Errorf("%w: proposal %s is %s", ErrConflict, id, p.State)
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
		return nil, fmt.Errorf("%w: this node has no hub", ErrConflict)
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
		return nil, fmt.Errorf("%w: this node has no hub", ErrConflict)
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
		return invalidf("%s: the payload must carry the proposal", st.Type)
	}
	switch st.Type {
	case statement.ProposalSubmit, statement.ProposalCounter:
		if contentHash(p.Proposal) != st.Attrs["content_hash"] {
			return invalidf("%s: the proposal is not the one signed", st.Type)
		}
		var req ProposalRequest
		if err := json.Unmarshal(p.Proposal, &req); err != nil {
			return invalidf("%s: proposal: %v", st.Type, err)
		}
		if req.From != st.Party || req.Draft {
			return invalidf("%s: a party proposes for itself, and not as a draft", st.Type)
		}
		if r := st.Attrs["round"]; r != "" && req.RoundID != r {
			return invalidf("%s: the proposal is not for round %s", st.Type, r)
		}
		if _, err := tx.Proposal(ctx, st.Subject); err == nil {
			return fmt.Errorf("%w: proposal %s exists already", ErrConflict, st.Subject)
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
		return invalidf("%s: %v", st.Type, err)
	}
	if statement.ReservationHash(a.Reasons) != st.Attrs["reasons_hash"] {
		return invalidf("%s: the reasons are not the ones signed", st.Type)
	}
	hash, err := proposalContentHash(ctx, tx, st.Subject)
	if err != nil {
		return err
	}
	if hash != st.Attrs["content_hash"] {
		return invalidf("%s: proposal %s has content hash %s, the statement answers %s", st.Type, st.Subject, hash, st.Attrs["content_hash"])
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
	return "", fmt.Errorf("%w: proposal %s was not made by a signed statement", ErrConflict, id)
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
