package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"parley/internal/access"
	"parley/internal/hubclient"
	"parley/internal/ledger"
	"parley/internal/msg"
	"parley/internal/negotiation"
	"parley/internal/person"
	"parley/internal/statement"
	"parley/internal/store"
)

// Reading the negotiation on a party's node. Rounds, proposals and
// agreements are the shared record and live on the hub; the node holds the
// hub's log as it verified it (its mirror), whose round.convened,
// round.list_attached, proposal.* and agreement.witnessed entries carry
// what the summaries show. A node reads them there: what it shows is what
// the hub signed and the node verified, and it shows it with the hub down.
// The persons of a proposal are read from the hub when it answers (the
// log commits to them without showing them); the persons and handover of
// an agreement are the hub's alone, and a node says so.

// mirrorNegotiation is the negotiation as the node's mirror records it,
// as far as an actor may see it, in log order.
type mirrorNegotiation struct {
	rounds     []*negotiation.Round
	lists      map[string][]RoundListView // by round
	proposals  []*negotiation.ProposalRecord
	agreements []*negotiation.Agreement
	hashes     map[string]string // proposal → the content hash its statement signed
}

// negotiationEventTypes are the log entries a node reads the negotiation from.
var negotiationEventTypes = []string{"round.convened", "round.list_attached", "proposal.submitted", "proposal.countered",
	"proposal.accepted", "proposal.rejected", "proposal.withdrawn", "agreement.witnessed"}

func (s *Service) mirrorNegotiation(ctx context.Context, actor access.Actor) (*mirrorNegotiation, error) {
	if _, err := negotiationScope(actor); err != nil {
		return nil, err
	}
	rows, err := s.db.MirrorEntriesOfType(ctx, negotiationEventTypes...)
	if err != nil {
		return nil, err
	}
	out := &mirrorNegotiation{lists: map[string][]RoundListView{}, hashes: map[string]string{}}
	byID := map[string]*negotiation.ProposalRecord{}
	for _, row := range rows {
		e, err := ledger.ParseEntry(row.Data)
		if err != nil {
			return nil, fmt.Errorf("mirrored entry %d: %w", row.Index, err)
		}
		a := e.Attrs
		switch e.Type {
		case "round.convened":
			r := &negotiation.Round{ID: e.Subject, Title: a["title"], Venue: a["venue"], Parties: [2]string{a["party_a"], a["party_b"]},
				Participants: []string{}, ConvenedBy: e.Actor, CreatedAt: e.Time}
			r.StartsOn, _ = person.ParseISODate(a["starts_on"])
			r.EndsOn, _ = person.ParseISODate(a["ends_on"])
			if c := a["criteria"]; c != "" {
				r.Criteria = &negotiation.Criteria{}
				if err := json.Unmarshal([]byte(c), r.Criteria); err != nil {
					return nil, fmt.Errorf("mirrored entry %d: criteria: %w", row.Index, err)
				}
			}
			if actor.SeesNegotiation(r.Parties[0], r.Parties[1]) {
				out.rounds = append(out.rounds, r)
			}
		case "round.list_attached":
			if !actor.SeesNegotiation(a["from"], a["to"]) || slices.ContainsFunc(out.lists[e.Subject], func(l RoundListView) bool { return l.ListID == a["list_id"] }) {
				continue
			}
			n, _ := strconv.Atoi(a["entries"])
			non, err := strconv.Atoi(a["nonconforming"])
			if err != nil {
				non = -1
			}
			out.lists[e.Subject] = append(out.lists[e.Subject], RoundListView{
				RoundList: negotiation.RoundList{RoundID: e.Subject, ListID: a["list_id"], Nonconforming: non, AttachedBy: e.Actor, AttachedAt: e.Time},
				From:      a["from"], To: a["to"], EntryCount: n, ContentHash: a["content_hash"]})
		case "proposal.submitted":
			p := &negotiation.ProposalRecord{ID: e.Subject, RoundID: a["round_id"], ThreadID: a["thread_id"], CounterOf: a["counter_of"],
				From: a["from"], To: a["to"], State: string(negotiation.Submitted), CreatedBy: e.Actor, CreatedAt: e.Time, SubmittedAt: e.Time}
			p.Terms.Rule = negotiation.Rule(a["rule"])
			if c := a["categories"]; c != "" {
				p.Terms.Categories = strings.Split(c, ",")
			}
			p.Terms.Capacity, _ = strconv.Atoi(a["capacity"])
			p.Date, _ = person.ParseISODate(a["date"])
			p.Counts[0], _ = strconv.Atoi(a["count_from"])
			p.Counts[1], _ = strconv.Atoi(a["count_to"])
			if !proposalVisible(actor, p) {
				continue
			}
			byID[p.ID] = p
			out.proposals = append(out.proposals, p)
			if st, err := statement.Text([]byte(a["statement"])); err == nil && st.Subject == p.ID {
				out.hashes[p.ID] = st.Attrs["content_hash"]
			}
		case "proposal.countered", "proposal.accepted", "proposal.rejected", "proposal.withdrawn":
			if p := byID[e.Subject]; p != nil {
				p.State = strings.TrimPrefix(e.Type, "proposal.")
				p.AnsweredBy, p.AnsweredAt = e.Actor, e.Time
			}
		case "agreement.witnessed":
			g := &negotiation.Agreement{ID: e.Subject, ProposalID: a["proposal_id"], RoundID: a["round_id"], Parties: [2]string{a["party_a"], a["party_b"]},
				ContentHash: a["content_hash"], WitnessedBy: e.Actor, CreatedAt: e.Time}
			g.Terms.Rule = negotiation.Rule(a["rule"])
			g.Date, _ = person.ParseISODate(a["date"])
			if p := byID[g.ProposalID]; p != nil {
				p.State = string(negotiation.Agreed)
				p.WitnessedBy, p.WitnessedAt = e.Actor, e.Time
				g.Terms, g.AcceptedBy = p.Terms, p.AnsweredBy
			}
			if actor.SeesNegotiation(g.Parties[0], g.Parties[1]) {
				out.agreements = append(out.agreements, g)
			}
		}
	}
	return out, nil
}

func (m *mirrorNegotiation) round(id string) *negotiation.Round {
	for _, r := range m.rounds {
		if r.ID == id {
			return r
		}
	}
	return nil
}

func (m *mirrorNegotiation) proposal(id string) *negotiation.ProposalRecord {
	for _, p := range m.proposals {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// nodeRounds lists the rounds of the node's mirror, newest first, as
// ListRounds does.
func (s *Service) nodeRounds(ctx context.Context, actor access.Actor) ([]*negotiation.Round, error) {
	m, err := s.mirrorNegotiation(ctx, actor)
	if err != nil {
		return nil, err
	}
	out := slices.Clone(m.rounds)
	slices.Reverse(out)
	return out, nil
}

// nodeRound is GetRound on a node: the round, its lists (with the titles
// of those the node holds), proposals and agreements, from the mirror.
func (s *Service) nodeRound(ctx context.Context, actor access.Actor, id string) (*RoundView, error) {
	m, err := s.mirrorNegotiation(ctx, actor)
	if err != nil {
		return nil, err
	}
	r := m.round(id)
	if r == nil {
		return nil, fmt.Errorf("round %q: %w", id, ErrNotFound)
	}
	v := &RoundView{Round: r, Lists: []RoundListView{}, Proposals: []*negotiation.ProposalRecord{}, Agreements: []*negotiation.Agreement{}}
	err = s.db.View(ctx, func(tx *store.Tx) error {
		for _, l := range m.lists[id] {
			if held, err := tx.List(ctx, l.ListID); err == nil {
				l.Title = held.Title
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
			v.Lists = append(v.Lists, l)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, p := range m.proposals {
		if p.RoundID == id {
			v.Proposals = append(v.Proposals, p)
		}
	}
	for _, g := range m.agreements {
		if g.RoundID == id {
			v.Agreements = append(v.Agreements, g)
		}
	}
	return v, nil
}

// nodeRoundCriteria returns, for ConformanceReport on a node, the round's
// agreed approach and whether the list is attached to it.
func (s *Service) nodeRoundCriteria(ctx context.Context, actor access.Actor, roundID, listID string) (*negotiation.Criteria, error) {
	m, err := s.mirrorNegotiation(ctx, actor)
	if err != nil {
		return nil, err
	}
	r := m.round(roundID)
	switch {
	case r == nil:
		return nil, fmt.Errorf("round %q: %w", roundID, ErrNotFound)
	case r.Criteria == nil:
		return nil, Invalid("err.round.no_criteria", "round", roundID)
	case !slices.ContainsFunc(m.lists[roundID], func(l RoundListView) bool { return l.ListID == listID }):
		return nil, fmt.Errorf("list %s in round %s: %w", listID, roundID, ErrNotFound)
	}
	return r.Criteria, nil
}

// nodeListProposals lists the proposals of the node's mirror.
func (s *Service) nodeListProposals(ctx context.Context, actor access.Actor, f ProposalFilter) ([]*negotiation.ProposalRecord, error) {
	m, err := s.mirrorNegotiation(ctx, actor)
	if err != nil {
		return nil, err
	}
	out := []*negotiation.ProposalRecord{}
	for _, p := range m.proposals {
		if (f.RoundID == "" || p.RoundID == f.RoundID) && (f.ThreadID == "" || p.ThreadID == f.ThreadID) && (f.State == "" || p.State == f.State) {
			out = append(out, p)
		}
	}
	return out, nil
}

// nodeAgreements lists the agreements of the node's mirror.
func (s *Service) nodeAgreements(ctx context.Context, actor access.Actor, roundID string) ([]*negotiation.Agreement, error) {
	m, err := s.mirrorNegotiation(ctx, actor)
	if err != nil {
		return nil, err
	}
	out := []*negotiation.Agreement{}
	for _, g := range m.agreements {
		if roundID == "" || g.RoundID == roundID {
			out = append(out, g)
		}
	}
	return out, nil
}

// nodeThread is ProposalThread on a node: the thread from the mirror,
// with the persons of the proposal asked for read from the hub when it
// answers. With the hub down the proposal shows without its persons.
func (s *Service) nodeThread(ctx context.Context, actor access.Actor, id string) ([]*ProposalView, error) {
	m, err := s.mirrorNegotiation(ctx, actor)
	if err != nil {
		return nil, err
	}
	p := m.proposal(id)
	detail, err := s.nodeProposal(ctx, id)
	switch {
	case err == nil:
	case p != nil && (hubclient.Transient(err) || errors.Is(err, ErrNotFound)):
		s.Logger.Warn("proposal shown from the mirror without its persons", "proposal", id, "err", err)
		detail = nil
	default:
		return nil, err
	}
	if p == nil { // on the hub, not yet in the mirror
		return []*ProposalView{detail}, nil
	}
	var out []*ProposalView
	for _, q := range m.proposals {
		switch {
		case q.ThreadID != p.ThreadID:
		case q.ID == id && detail != nil:
			out = append(out, detail)
		default:
			out = append(out, &ProposalView{ProposalRecord: q})
		}
	}
	return out, nil
}

// nodeGetProposal is GetProposal on a node (see nodeThread).
func (s *Service) nodeGetProposal(ctx context.Context, actor access.Actor, id string) (*ProposalView, error) {
	thread, err := s.nodeThread(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	for _, v := range thread {
		if v.ID == id {
			return v, nil
		}
	}
	return nil, fmt.Errorf("proposal %q: %w", id, ErrNotFound)
}

// nodeHubOnly refuses, on a node, to show what only the hub keeps: an
// agreement's persons and handover. An agreement the mirror knows gets a
// catalogue message saying where it is; any other is not found.
func (s *Service) nodeHubOnly(ctx context.Context, actor access.Actor, agreementID string) error {
	m, err := s.mirrorNegotiation(ctx, actor)
	if err != nil {
		return err
	}
	for _, g := range m.agreements {
		if g.ID == agreementID {
			return msg.NewError(ErrWrongMode, "node.hub_only.agreement", "id", agreementID, "commands", "parley stage ls, parley round show")
		}
	}
	return fmt.Errorf("agreement %q: %w", agreementID, ErrNotFound)
}

// mirrorProposalHash returns the addressee and the content hash of a
// proposal as the node's mirror recorded them, and its state there; ok
// is false when the mirror does not hold it yet.
func (s *Service) mirrorProposalHash(ctx context.Context, actor access.Actor, id string) (p *negotiation.ProposalRecord, hash string, ok bool, err error) {
	m, err := s.mirrorNegotiation(ctx, actor)
	if err != nil {
		return nil, "", false, err
	}
	p = m.proposal(id)
	if p == nil || m.hashes[id] == "" {
		return nil, "", false, nil
	}
	return p, m.hashes[id], true, nil
}
