package service

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"parley/internal/access"
	"parley/internal/lists"
	"parley/internal/msg"
	"parley/internal/negotiation"
	"parley/internal/nodes"
	"parley/internal/person"
	"parley/internal/store"
)

// This file holds the rounds of the negotiation: convened by the mediator,
// the lists handed over in them and their conformance to the agreed
// approach. The planner is in plans.go, stage proposals in proposals.go,
// the agreements the mediator witnesses in agreements.go, the medical
// commission in commission.go and the handover of an agreed stage in
// handover.go.

// RoundRequest asks the mediator to convene a round.
type RoundRequest struct {
	Title        string                `json:"title"`
	Venue        string                `json:"venue,omitempty"`
	StartsOn     person.Date           `json:"starts_on,omitzero"`
	EndsOn       person.Date           `json:"ends_on,omitzero"`
	Parties      [2]string             `json:"parties"`
	Participants []string              `json:"participants,omitempty"`
	Notes        string                `json:"notes,omitempty"`
	Criteria     *negotiation.Criteria `json:"criteria,omitempty"`
}

// RoundView is a round with what happened in it, as far as the actor may
// see it.
type RoundView struct {
	*negotiation.Round
	Lists      []RoundListView               `json:"lists"`
	Proposals  []*negotiation.ProposalRecord `json:"proposals"`
	Agreements []*negotiation.Agreement      `json:"agreements"`
}

// RoundListView is a list attached to a round, with its header.
type RoundListView struct {
	negotiation.RoundList
	From        string `json:"from"`
	To          string `json:"to"`
	Title       string `json:"title"`
	EntryCount  int    `json:"entry_count"`
	ContentHash string `json:"content_hash"`
}

// ConformanceReport names every entry of a list that does not fit the
// round's agreed approach, and why.
type ConformanceReport struct {
	RoundID       string                      `json:"round_id"`
	ListID        string                      `json:"list_id"`
	From          string                      `json:"from"`
	To            string                      `json:"to"`
	Criteria      negotiation.Criteria        `json:"criteria"`
	Entries       int                         `json:"entries"`
	Conforming    int                         `json:"conforming"`
	Nonconforming []negotiation.Nonconformity `json:"nonconforming"`
}

func (s *Service) loadRound(ctx context.Context, tx *store.Tx, actor access.Actor, id string) (*negotiation.Round, error) {
	r, err := tx.Round(ctx, id)
	if err != nil {
		return nil, err
	}
	if !actor.SeesNegotiation(r.Parties[0], r.Parties[1]) {
		return nil, fmt.Errorf("round %q: %w", id, ErrNotFound)
	}
	return r, nil
}

// CreateRound convenes a round between two parties. Only the mediator
// convenes; criteria, when given, are the agreed approach every list of the
// round is checked against.
func (s *Service) CreateRound(ctx context.Context, actor access.Actor, req RoundRequest) (*negotiation.Round, error) {
	if !actor.CanMediate() {
		return nil, access.Forbid("deny.convene_rounds")
	}
	req.Title = strings.TrimSpace(req.Title)
	if req.Title == "" {
		return nil, Invalid("err.round.no_title")
	}
	// Title and venue go to the signed log in clear, which bounds a field.
	if utf8.RuneCountInString(req.Title) > 200 || utf8.RuneCountInString(req.Venue) > 200 {
		return nil, Invalid("err.round.too_long", "max", 200)
	}
	if req.Parties[0] == "" || req.Parties[1] == "" || req.Parties[0] == req.Parties[1] {
		return nil, Invalid("err.round.same_parties", "a", req.Parties[0], "b", req.Parties[1])
	}
	for _, d := range []struct {
		name string
		d    person.Date
	}{{"starts_on", req.StartsOn}, {"ends_on", req.EndsOn}} {
		if err := d.d.Validate(); err != nil {
			return nil, invalidBecause("err.field", err, "field", input(d.name))
		}
	}
	if !req.StartsOn.IsZero() && !req.EndsOn.IsZero() && req.EndsOn.Before(req.StartsOn) {
		return nil, Invalid("err.round.ends_before", "ends", day(req.EndsOn), "starts", day(req.StartsOn))
	}
	if req.Criteria != nil {
		if err := req.Criteria.Validate(s.Catalogue()); err != nil {
			return nil, invalidBecause("err.field", err, "field", input("criteria"))
		}
	}
	var participants []string
	for _, p := range req.Participants {
		if p = strings.TrimSpace(p); p != "" {
			participants = append(participants, p)
		}
	}
	r := &negotiation.Round{
		ID: newID("R"), Title: req.Title, Venue: strings.TrimSpace(req.Venue), StartsOn: req.StartsOn, EndsOn: req.EndsOn,
		Parties: req.Parties, Participants: participants, Notes: req.Notes, Criteria: req.Criteria, ConvenedBy: actor.String(),
	}
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		for _, p := range r.Parties {
			if _, err := tx.Party(ctx, p); err != nil {
				return Invalid("err.unknown_party", "party", p)
			}
		}
		if err := tx.InsertRound(ctx, r); err != nil {
			return err
		}
		attrs := map[string]string{
			"round_id": r.ID, "title": r.Title, "venue": r.Venue, "starts_on": r.StartsOn.String(), "ends_on": r.EndsOn.String(),
			"party_a": r.Parties[0], "party_b": r.Parties[1], "participants": strconv.Itoa(len(r.Participants)),
		}
		if r.Criteria != nil {
			b, _ := json.Marshal(r.Criteria)
			attrs["criteria"] = string(b)
		}
		return s.recordEvent(ctx, tx, actor, Event{Type: "round.convened", Subject: r.ID, Attrs: attrs})
	})
	if err != nil {
		return nil, err
	}
	s.Logger.Info("round convened", "round", r.ID, "parties", r.Parties[0]+","+r.Parties[1])
	return r, nil
}

// ListRounds returns the rounds the actor may see, newest first.
func (s *Service) ListRounds(ctx context.Context, actor access.Actor) ([]*negotiation.Round, error) {
	party, err := negotiationScope(actor)
	if err != nil {
		return nil, err
	}
	if s.Mode() == nodes.Node {
		return s.nodeRounds(ctx, actor)
	}
	var out []*negotiation.Round
	err = s.db.View(ctx, func(tx *store.Tx) (err error) {
		out, err = tx.Rounds(ctx, party)
		return err
	})
	return out, err
}

// negotiationScope returns the party whose records an actor sees ("" for
// all), or refuses an actor who sees none.
func negotiationScope(actor access.Actor) (string, error) {
	switch {
	case actor.System, actor.Has(access.Mediator), actor.Has(access.Observer):
		return "", nil
	case actor.Has(access.Officer) && actor.Party != "":
		return actor.Party, nil
	}
	return "", access.Forbid("deny.no_negotiation")
}

// GetRound returns a round with its lists, and the proposals and
// agreements the actor may see.
func (s *Service) GetRound(ctx context.Context, actor access.Actor, id string) (*RoundView, error) {
	if s.Mode() == nodes.Node {
		return s.nodeRound(ctx, actor, id)
	}
	v := &RoundView{}
	err := s.db.View(ctx, func(tx *store.Tx) error {
		r, err := s.loadRound(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		v.Round = r
		rls, err := tx.RoundLists(ctx, id)
		if err != nil {
			return err
		}
		v.Lists = []RoundListView{}
		for _, rl := range rls {
			l, err := tx.List(ctx, rl.ListID)
			if err != nil {
				return err
			}
			v.Lists = append(v.Lists, RoundListView{RoundList: rl, From: l.From, To: l.To, Title: l.Title, EntryCount: l.EntryCount, ContentHash: l.ContentHash})
		}
		ps, err := tx.Proposals(ctx, store.ProposalFilter{RoundID: id})
		if err != nil {
			return err
		}
		v.Proposals = []*negotiation.ProposalRecord{}
		for _, p := range ps {
			if proposalVisible(actor, p) {
				v.Proposals = append(v.Proposals, p)
			}
		}
		v.Agreements, err = tx.Agreements(ctx, id, "")
		return err
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// AttachList records that a handed-over list belongs to a round. When the
// round has criteria, the conformance check runs at once and its count is
// kept (and logged); ConformanceReport gives the entries. The mediator and
// the officers of the two parties of the list may attach it. Attaching a
// list twice changes nothing.
//
// Between party nodes a round is the hub's: a node does not attach (the
// hub attaches the lists a party's signed proposal uses), and on the hub
// only the mediator does, so that every round.list_attached entry is the
// mediator's act, never one in a party's name without its signature.
func (s *Service) AttachList(ctx context.Context, actor access.Actor, roundID, listID string) (*negotiation.RoundList, error) {
	switch {
	case s.Mode() == nodes.Node:
		return nil, msg.NewError(ErrWrongMode, "node.round_attach")
	case s.Mode() == nodes.Hub && !actor.CanMediate():
		return nil, access.Forbid("node.hub.attach_mediator")
	}
	var out *negotiation.RoundList
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		r, err := s.loadRound(ctx, tx, actor, roundID)
		if err != nil {
			return err
		}
		l, err := s.loadHandedOverList(ctx, tx, actor, listID)
		if err != nil {
			return err
		}
		if !actor.CanMediate() && !actor.CanActForParty(l.From) && !actor.CanActForParty(l.To) {
			return access.Forbid("deny.attach_list", "a", l.From, "b", l.To)
		}
		out, err = s.attachList(ctx, tx, actor, r, l)
		return err
	})
	return out, err
}

// loadHandedOverList reads a list with its entries that the actor may read
// and that has been handed over.
func (s *Service) loadHandedOverList(ctx context.Context, tx *store.Tx, actor access.Actor, id string) (*lists.List, error) {
	l, err := tx.List(ctx, id)
	if err != nil {
		return nil, err
	}
	if !actor.CanReadList(listView(l)) {
		return nil, fmt.Errorf("list %q: %w", id, ErrNotFound)
	}
	if l.State == lists.Draft {
		return nil, Conflict("err.list.not_handed_over", "list", id)
	}
	l.Entries, err = tx.Entries(ctx, id)
	return l, err
}

func (s *Service) attachList(ctx context.Context, tx *store.Tx, actor access.Actor, r *negotiation.Round, l *lists.List) (*negotiation.RoundList, error) {
	if !r.HasParty(l.From) || !r.HasParty(l.To) {
		return nil, Invalid("err.round.list_sides", "list", l.ID, "from", l.From, "to", l.To, "round", r.ID, "a", r.Parties[0], "b", r.Parties[1])
	}
	rl := &negotiation.RoundList{RoundID: r.ID, ListID: l.ID, Nonconforming: -1, AttachedBy: actor.String()}
	if r.Criteria != nil {
		rl.Nonconforming = len(negotiation.Conform(negotiationEntries(l), *r.Criteria, s.Catalogue()))
	}
	added, err := tx.AttachList(ctx, rl)
	if err != nil {
		return nil, err
	}
	if !added {
		rls, err := tx.RoundLists(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		for i := range rls {
			if rls[i].ListID == l.ID {
				return &rls[i], nil
			}
		}
		return nil, fmt.Errorf("list %s attached to round %s but not found", l.ID, r.ID)
	}
	err = s.recordEvent(ctx, tx, actor, Event{Type: "round.list_attached", Subject: r.ID, Attrs: map[string]string{
		"round_id": r.ID, "list_id": l.ID, "from": l.From, "to": l.To, "content_hash": l.ContentHash,
		"entries": strconv.Itoa(len(l.Entries)), "nonconforming": strconv.Itoa(rl.Nonconforming),
	}})
	return rl, err
}

func negotiationEntries(l *lists.List) []negotiation.Entry {
	out := make([]negotiation.Entry, len(l.Entries))
	for i, e := range l.Entries {
		out[i] = negotiation.Entry{Row: e.Row, Person: e.Person}
	}
	return out
}

// ConformanceReport checks a list attached to a round against the round's
// agreed approach and names each entry that does not fit, with every reason.
func (s *Service) ConformanceReport(ctx context.Context, actor access.Actor, roundID, listID string) (*ConformanceReport, error) {
	var rep *ConformanceReport
	var criteria *negotiation.Criteria
	if s.Mode() == nodes.Node {
		// The round is the hub's; its agreed approach is in the node's mirror.
		var err error
		if criteria, err = s.nodeRoundCriteria(ctx, actor, roundID, listID); err != nil {
			return nil, err
		}
	}
	err := s.db.View(ctx, func(tx *store.Tx) error {
		if criteria == nil {
			r, err := s.loadRound(ctx, tx, actor, roundID)
			if err != nil {
				return err
			}
			if r.Criteria == nil {
				return Invalid("err.round.no_criteria", "round", roundID)
			}
			rls, err := tx.RoundLists(ctx, roundID)
			if err != nil {
				return err
			}
			if !slices.ContainsFunc(rls, func(rl negotiation.RoundList) bool { return rl.ListID == listID }) {
				return fmt.Errorf("list %s in round %s: %w", listID, roundID, ErrNotFound)
			}
			criteria = r.Criteria
		}
		l, err := s.loadHandedOverList(ctx, tx, actor, listID)
		if err != nil {
			return err
		}
		non := negotiation.Conform(negotiationEntries(l), *criteria, s.Catalogue())
		if non == nil {
			non = []negotiation.Nonconformity{}
		}
		rep = &ConformanceReport{RoundID: roundID, ListID: listID, From: l.From, To: l.To, Criteria: *criteria,
			Entries: len(l.Entries), Conforming: len(l.Entries) - len(non), Nonconforming: non}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.recordAccess(ctx, actor, "round.conformance", listID, len(rep.Nonconforming)); err != nil {
		return nil, err
	}
	return rep, nil
}
