package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"parley/internal/msg"
	"parley/internal/nodes"
	"slices"
	"sort"
	"strconv"
	"strings"

	"parley/internal/access"
	"parley/internal/lists"
	"parley/internal/negotiation"
	"parley/internal/person"
	"parley/internal/store"
)

// This file holds stage proposals between the parties of a round: drafts,
// submission, answers, counter-proposals and their threads.

// ReleaseRef names one person a proposal releases: a row of a handed-over
// list. The person is read from the stored list, never from the request.
type ReleaseRef struct {
	ListID string `json:"list_id"`
	Row    int    `json:"row"`
	// LegalBasis overrides the default basis (see ProposalRequest).
	LegalBasis *negotiation.LegalBasis `json:"legal_basis,omitempty"`
}

// ProposalRequest is a stage one party proposes to the other.
//
// The legal basis of each release defaults by rule: under the unilateral
// rule Art. 110 for a person the Mixed Medical Commission decided to
// repatriate or who holds one of Art110Categories, else Art. 109; under
// every other rule the special agreement named after the round.
type ProposalRequest struct {
	RoundID string `json:"round_id"`
	// From is the proposing party (an officer's own party by default); To
	// the addressee (by default the round's other party).
	From  string            `json:"from"`
	To    string            `json:"to"`
	Terms negotiation.Terms `json:"terms"`
	// Date is the proposed date of the stage.
	Date person.Date `json:"date,omitzero"`
	// RefDate is the day on which ages are taken: persons of the youth
	// bracket on that day count as youth (the round's criteria date by
	// default).
	RefDate  person.Date  `json:"ref_date,omitzero"`
	Releases []ReleaseRef `json:"releases,omitempty"`
	// Plan, when set, composes the releases with the planner; the terms
	// are then the plan's.
	Plan             *PlanRequest `json:"plan,omitempty"`
	Art110Categories []string     `json:"art110_categories,omitempty"`
	Note             string       `json:"note,omitempty"`
	// Draft keeps the proposal within the proposing party until
	// SubmitDraft; the other party, the mediator and observers never see it.
	Draft bool `json:"draft,omitempty"`
}

// ProposalFilter selects proposals; zero fields select all the actor may see.
type ProposalFilter struct {
	RoundID  string `json:"round_id,omitempty"`
	ThreadID string `json:"thread_id,omitempty"`
	State    string `json:"state,omitempty"`
}

// ProposalView is a proposal with the persons of both sides.
type ProposalView struct {
	*negotiation.ProposalRecord
	Sides       [2]negotiation.SideRelease `json:"sides"`
	Totals      [2]map[string]int          `json:"totals"`
	Commission  []store.CommissionRecord   `json:"commission"`
	CounteredBy string                     `json:"countered_by,omitempty"`
	AgreementID string                     `json:"agreement_id,omitempty"`
}

// mediatorRole is the name the proposal state machine gives the mediator.
const mediatorRole = "mediator"

// proposalVisible: a draft to its own party only; otherwise to both parties,
// the mediator and observers.
func proposalVisible(actor access.Actor, p *negotiation.ProposalRecord) bool {
	if p.State == negotiation.ProposalDraft {
		return actor.CanActForParty(p.From)
	}
	return actor.SeesNegotiation(p.From, p.To)
}

func (s *Service) loadProposal(ctx context.Context, tx *store.Tx, actor access.Actor, id string) (*negotiation.ProposalRecord, error) {
	p, err := tx.Proposal(ctx, id)
	if err != nil {
		return nil, err
	}
	if !proposalVisible(actor, p) {
		return nil, fmt.Errorf("proposal %q: %w", id, ErrNotFound)
	}
	return p, nil
}

// actingParty returns the party on whose behalf the actor acts: an
// officer's own (as, when given, must be it); for the local operator the
// party named by as, which may be empty. Other roles act for no party.
func actingParty(actor access.Actor, as string) (string, error) {
	switch {
	case actor.System:
		return as, nil
	case actor.Has(access.Officer) && actor.Party != "":
		if as != "" && as != actor.Party {
			return "", access.Forbid("deny.officer_other_party", "own", actor.Party, "party", as)
		}
		return actor.Party, nil
	}
	return "", access.Forbid("deny.only_officers_act")
}

// stateMachine returns the proposal as negotiation.Proposal sees it; the
// acting party stands for the actor.
func stateMachine(p *negotiation.ProposalRecord) negotiation.Proposal {
	np := negotiation.Proposal{ID: p.ID, From: p.From, To: p.To, Mediator: mediatorRole, State: negotiation.ProposalState(p.State), CounterOf: p.CounterOf}
	if p.State == string(negotiation.Accepted) {
		np.AcceptedBy = p.To
	}
	return np
}

func transitionError(err error) error {
	if errors.Is(err, negotiation.ErrTransition) {
		return conflictErr(err)
	}
	return err
}

// stateChanged turns a lost race into a conflict.
func stateChanged(err error) error {
	if errors.Is(err, store.ErrStateChanged) {
		return conflictErr(err)
	}
	return err
}

// SubmitProposal stores a stage proposed by one party to the other in a
// round, or a draft of it. The persons are read from the handed-over lists;
// negotiation.Check runs on the stage, and a breach of its rule is refused
// with ErrInvalid wrapping the *negotiation.RuleError. A person whom an
// agreement already binds cannot be proposed again.
func (s *Service) SubmitProposal(ctx context.Context, actor access.Actor, req ProposalRequest) (*ProposalView, error) {
	if s.Mode() == nodes.Node {
		return s.nodePropose(ctx, actor, req)
	}
	var id string
	err := s.db.Update(ctx, func(tx *store.Tx) (err error) {
		id, err = s.submitProposal(ctx, tx, actor, req, "")
		return err
	})
	if err != nil {
		return nil, err
	}
	s.Logger.Info("stage proposed", "proposal", id, "round", req.RoundID, "from", req.From, "draft", req.Draft)
	return s.GetProposal(ctx, actor, id)
}

// submitProposal is SubmitProposal in the caller's transaction; id names
// the new proposal ("" draws one; a hub applying a party's statement uses
// the id the party signed).
func (s *Service) submitProposal(ctx context.Context, tx *store.Tx, actor access.Actor, req ProposalRequest, id string) (string, error) {
	party, err := actingParty(actor, req.From)
	if err != nil {
		return "", err
	}
	if party == "" {
		return "", Invalid("err.proposal.no_party")
	}
	req.From = party
	r, err := s.loadRound(ctx, tx, actor, req.RoundID)
	if err != nil {
		return "", err
	}
	if !r.HasParty(req.From) {
		return "", Invalid("err.round.not_party", "party", req.From, "round", r.ID)
	}
	if req.To == "" {
		req.To = otherParty(r, req.From)
	}
	if !r.HasParty(req.To) || req.To == req.From {
		return "", Invalid("err.proposal.addressee", "party", req.From, "round", r.ID, "to", otherParty(r, req.From))
	}
	if id == "" {
		id = newID("P")
	}
	p := &negotiation.ProposalRecord{ID: id, RoundID: r.ID, From: req.From, To: req.To, State: string(negotiation.Submitted),
		Note: strings.TrimSpace(req.Note), CreatedBy: actor.String()}
	p.ThreadID = p.ID
	if req.Draft {
		p.State = negotiation.ProposalDraft
	}
	return p.ID, s.insertProposal(ctx, tx, actor, r, p, req)
}

func otherParty(r *negotiation.Round, p string) string {
	if r.Parties[0] == p {
		return r.Parties[1]
	}
	return r.Parties[0]
}

// composed is a stage being proposed, with the lists it was read from.
type composed struct {
	terms   negotiation.Terms
	refDate person.Date
	sides   [2][]negotiation.Release
	lists   map[string]*lists.List
}

// insertProposal composes, checks and stores the proposal p (whose round,
// parties, thread and state are set) from the request, with its log entry.
func (s *Service) insertProposal(ctx context.Context, tx *store.Tx, actor access.Actor, r *negotiation.Round, p *negotiation.ProposalRecord, req ProposalRequest) error {
	if err := req.Date.Validate(); err != nil {
		return invalidBecause("err.field", err, "field", input("date"))
	}
	c, err := s.compose(ctx, tx, actor, r, p.From, p.To, req)
	if err != nil {
		return err
	}
	p.Terms, p.Date, p.RefDate = c.terms, req.Date, c.refDate
	if err := tx.InsertProposal(ctx, p, c.sides); err != nil {
		return err
	}
	if p.State == negotiation.ProposalDraft {
		return s.recordEvent(ctx, tx, actor, Event{Type: "proposal.drafted", Subject: p.ID, Attrs: map[string]string{
			"proposal_id": p.ID, "round_id": p.RoundID, "from": p.From}})
	}
	return s.submitted(ctx, tx, actor, r, p, c)
}

// submitted attaches the lists of a submitted proposal to its round and
// logs the submission.
func (s *Service) submitted(ctx context.Context, tx *store.Tx, actor access.Actor, r *negotiation.Round, p *negotiation.ProposalRecord, c *composed) error {
	ids := make([]string, 0, len(c.lists))
	for id := range c.lists {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	actx, attacher := ctx, actor
	if statementOf(ctx) != nil {
		// A hub attaches the lists a party's signed proposal uses on its
		// own account: the mediator's act, not an entry in the party's
		// name that the party did not sign (docs/nodes.md).
		actx, attacher = mediatorAct(ctx)
	}
	for _, id := range ids {
		if _, err := s.attachList(actx, tx, attacher, r, c.lists[id]); err != nil {
			return err
		}
	}
	ev := Event{Type: "proposal.submitted", Subject: p.ID, Attrs: proposalAttrs(p)}
	ev.Personal = releaseItems(c.sides)
	return s.recordEvent(ctx, tx, actor, ev)
}

func proposalAttrs(p *negotiation.ProposalRecord) map[string]string {
	return map[string]string{
		"proposal_id": p.ID, "round_id": p.RoundID, "thread_id": p.ThreadID, "counter_of": p.CounterOf,
		"from": p.From, "to": p.To, "rule": string(p.Terms.Rule), "categories": strings.Join(p.Terms.Categories, ","),
		"capacity": strconv.Itoa(p.Terms.Capacity), "date": p.Date.String(),
		"count_from": strconv.Itoa(p.Counts[0]), "count_to": strconv.Itoa(p.Counts[1]),
	}
}

// releaseItems commits to each released person separately, so that a party
// can later prove one person's inclusion without disclosing the others.
func releaseItems(sides [2][]negotiation.Release) []EventItem {
	var out []EventItem
	for _, side := range sides {
		for _, r := range side {
			b, _ := json.Marshal(r)
			out = append(out, EventItem{ID: fmt.Sprintf("release/%s/%d", r.ListID, r.Row), Data: b})
		}
	}
	return out
}

// compose reads the releases of a proposal from the stored lists, sets
// their legal basis, and checks the stage against its rule and against the
// agreements already made.
func (s *Service) compose(ctx context.Context, tx *store.Tx, actor access.Actor, r *negotiation.Round, from, to string, req ProposalRequest) (*composed, error) {
	c := &composed{terms: req.Terms, refDate: req.RefDate, lists: map[string]*lists.List{}}
	refs := req.Releases
	if req.Plan != nil {
		if len(refs) > 0 {
			return nil, Invalid("err.proposal.releases_or_plan")
		}
		if req.Terms.Rule != "" && req.Terms.Rule != req.Plan.Rule {
			return nil, Invalid("err.proposal.rule_mismatch", "terms", msg.Enum{Kind: "rule", Code: string(req.Terms.Rule)}, "plan", msg.Enum{Kind: "rule", Code: string(req.Plan.Rule)})
		}
		plan, read, err := s.planStage(ctx, tx, actor, *req.Plan)
		if err != nil {
			return nil, err
		}
		for _, side := range plan.Sides {
			for _, d := range side.Released {
				refs = append(refs, ReleaseRef{ListID: d.ListID, Row: d.Row})
			}
		}
		c.terms = req.Plan.terms()
		if c.refDate.IsZero() {
			c.refDate = req.Plan.RefDate
		}
		c.lists = read
	}
	if c.refDate.IsZero() && r.Criteria != nil {
		c.refDate = r.Criteria.RefDate
	}
	if err := c.refDate.Validate(); err != nil {
		return nil, invalidBecause("err.field", err, "field", input("ref_date"))
	}
	if len(refs) == 0 {
		return nil, Invalid("err.proposal.empty")
	}
	art110 := map[string]bool{}
	for _, raw := range req.Art110Categories {
		code, ok := s.Catalogue().Resolve(raw)
		if _, known := s.Catalogue().Get(raw); known {
			code, ok = raw, true
		}
		if !ok {
			return nil, Invalid("err.proposal.art110_category", "category", raw)
		}
		art110[code] = true
	}
	c.sides = [2][]negotiation.Release{{}, {}}
	held := map[string]map[int][]store.EntryAgreement{}
	for _, ref := range refs {
		l := c.lists[ref.ListID]
		if l == nil {
			var err error
			if l, err = s.loadHandedOverList(ctx, tx, actor, ref.ListID); err != nil {
				return nil, err
			}
			c.lists[l.ID] = l
		}
		side := -1
		switch {
		case l.From == from && l.To == to:
			side = 0
		case l.From == to && l.To == from:
			side = 1
		default:
			return nil, Invalid("err.proposal.list_sides", "list", l.ID, "from", l.From, "to", l.To, "a", from, "b", to)
		}
		e, ok := entryAt(l, ref.Row)
		if !ok {
			return nil, Invalid("err.row_not_on_list", "row", msg.Plain(ref.Row), "list", l.ID)
		}
		if held[l.ID] == nil {
			h, err := tx.ListAgreements(ctx, l.ID)
			if err != nil {
				return nil, err
			}
			held[l.ID] = h
		}
		if ag, why := boundBy(held[l.ID][ref.Row]); ag != "" {
			return nil, Conflict("err.row_bound", "row", msg.Plain(ref.Row), "list", l.ID, "why", why, "agreement", ag)
		}
		if d, ok, err := deathOf(ctx, tx, l.ID, ref.Row); err != nil {
			return nil, err
		} else if ok && e.Kind != person.KindRemains {
			return nil, Conflict("err.row_died", "row", msg.Plain(ref.Row), "list", l.ID, "death", d.ID)
		}
		p := e.Person
		p.Categories = slices.Clone(e.Categories)
		if c.refDate.Complete() && p.Kind != person.KindRemains {
			s.Catalogue().DeriveYouth(&p, c.refDate)
		}
		rel := negotiation.Release{Party: l.From, ListID: l.ID, Row: e.Row, Person: p}
		if ref.LegalBasis != nil {
			rel.LegalBasis = *ref.LegalBasis
		} else {
			b, err := s.defaultBasis(ctx, tx, c.terms.Rule, r, &rel, art110)
			if err != nil {
				return nil, err
			}
			rel.LegalBasis = b
		}
		c.sides[side] = append(c.sides[side], rel)
	}
	stage := negotiation.Stage{Terms: c.terms, Sides: [2]negotiation.SideRelease{{Party: from, Releases: c.sides[0]}, {Party: to, Releases: c.sides[1]}}}
	if err := negotiation.Check(stage, s.Catalogue()); err != nil {
		return nil, invalidErr(err)
	}
	return c, nil
}

func entryAt(l *lists.List, row int) (lists.Entry, bool) {
	i := sort.Search(len(l.Entries), func(i int) bool { return l.Entries[i].Row >= row })
	if i < len(l.Entries) && l.Entries[i].Row == row {
		return l.Entries[i], true
	}
	return lists.Entry{}, false
}

// defaultBasis is the legal basis of a release the request left open: see
// ProposalRequest.
func (s *Service) defaultBasis(ctx context.Context, tx *store.Tx, rule negotiation.Rule, r *negotiation.Round, rel *negotiation.Release, art110 map[string]bool) (negotiation.LegalBasis, error) {
	if rule != negotiation.Unilateral {
		return negotiation.LegalBasis{Code: negotiation.BasisSpecialAgreement, Agreement: r.Title}, nil
	}
	decisions, err := tx.EntryCommission(ctx, rel.ListID, rel.Row)
	if err != nil {
		return negotiation.LegalBasis{}, err
	}
	if n := len(decisions); n > 0 {
		if b, ok := decisions[n-1].Outcome.LegalBasis(); ok {
			return b, nil
		}
	}
	for _, c := range rel.Person.Categories {
		if art110[c] {
			return negotiation.LegalBasis{Code: negotiation.BasisArt110}, nil
		}
	}
	return negotiation.LegalBasis{Code: negotiation.BasisArt109}, nil
}

// SubmitDraft submits a party's draft to the other party: the stage is
// checked again, since agreements made meanwhile may bind its persons.
func (s *Service) SubmitDraft(ctx context.Context, actor access.Actor, id string) (*ProposalView, error) {
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		p, err := s.loadProposal(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		if !actor.CanActForParty(p.From) {
			return access.Forbid("deny.submit_drafts", "party", p.From)
		}
		if p.State != negotiation.ProposalDraft {
			return Conflict("err.proposal.not_draft", "proposal", id, "state", msg.Enum{Kind: "svc_proposal_state", Code: string(p.State)})
		}
		r, err := tx.Round(ctx, p.RoundID)
		if err != nil {
			return err
		}
		sides, err := tx.ProposalReleases(ctx, id)
		if err != nil {
			return err
		}
		req := ProposalRequest{Terms: p.Terms, RefDate: p.RefDate, Date: p.Date}
		for _, side := range sides {
			for _, rel := range side {
				b := rel.LegalBasis
				req.Releases = append(req.Releases, ReleaseRef{ListID: rel.ListID, Row: rel.Row, LegalBasis: &b})
			}
		}
		c, err := s.compose(ctx, tx, actor, r, p.From, p.To, req)
		if err != nil {
			return err
		}
		if _, err := tx.SetProposalState(ctx, store.ProposalChange{ID: id, From: negotiation.ProposalDraft, To: string(negotiation.Submitted), Submitted: true}); err != nil {
			return stateChanged(err)
		}
		p.State = string(negotiation.Submitted)
		return s.submitted(ctx, tx, actor, r, p, c)
	})
	if err != nil {
		return nil, err
	}
	return s.GetProposal(ctx, actor, id)
}

// answerVerbs words the answers in refusals.
var answerVerbs = map[negotiation.ProposalState]msg.Enum{
	negotiation.Accepted:  {Kind: "deny_verb", Code: "accept"},
	negotiation.Rejected:  {Kind: "deny_verb", Code: "reject"},
	negotiation.Withdrawn: {Kind: "deny_verb", Code: "withdraw"},
}

// answerProposal moves a proposal on behalf of a party, through the state machine
// of negotiation.Proposal and a conditional update, in one transaction.
func (s *Service) answerProposal(ctx context.Context, actor access.Actor, id, as string, to negotiation.ProposalState, reasons string) (*ProposalView, error) {
	if s.Mode() == nodes.Node {
		return s.nodeAnswer(ctx, actor, id, as, to, reasons)
	}
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		return s.answerProposalTx(ctx, tx, actor, id, as, to, reasons)
	})
	if err != nil {
		return nil, err
	}
	s.Logger.Info("proposal answered", "proposal", id, "state", string(to))
	return s.GetProposal(ctx, actor, id)
}

// answerProposalTx is answerProposal in the caller's transaction.
func (s *Service) answerProposalTx(ctx context.Context, tx *store.Tx, actor access.Actor, id, as string, to negotiation.ProposalState, reasons string) error {
	party, err := actingParty(actor, as)
	if err != nil {
		return err
	}
	p, err := s.loadProposal(ctx, tx, actor, id)
	if err != nil {
		return err
	}
	need, verb := p.To, answerVerbs[to]
	if to == negotiation.Withdrawn {
		need = p.From
	}
	acting := party
	if acting == "" {
		acting = need // the local operator acts for whichever party the step belongs to
	}
	if acting != need {
		if acting == p.From && to != negotiation.Withdrawn {
			return access.Forbid("deny.answer_own", "party", acting, "verb", verb, "to", p.To)
		}
		return access.Forbid("deny.answer_only", "party", need, "verb", verb, "proposal", id)
	}
	from := p.State
	if p.State == negotiation.ProposalDraft {
		if to != negotiation.Withdrawn {
			return Conflict("err.proposal.draft_submit_first", "proposal", id)
		}
	} else if _, err := stateMachine(p).Advance(to, acting); err != nil {
		return transitionError(err)
	}
	if _, err := tx.SetProposalState(ctx, store.ProposalChange{ID: id, From: from, To: string(to), By: actor.String(), Reasons: reasons}); err != nil {
		return stateChanged(err)
	}
	ev := Event{Type: "proposal." + string(to), Subject: id, Attrs: map[string]string{
		"proposal_id": id, "round_id": p.RoundID, "thread_id": p.ThreadID, "from": p.From, "to": p.To, "party": acting, "state": string(to)}}
	if reasons != "" {
		// An officer's words may name persons: committed, not shown.
		ev.Personal = []EventItem{{ID: "reasons", Data: []byte(reasons)}}
	}
	return s.recordEvent(ctx, tx, actor, ev)
}

// AcceptProposal accepts a proposal on behalf of its addressee; as names
// the acting party (an officer's own by default; for the local operator the
// addressee by default). A party never accepts its own proposal. Of two
// concurrent answers to one proposal exactly one wins; the other gets
// ErrConflict.
func (s *Service) AcceptProposal(ctx context.Context, actor access.Actor, id, as string) (*ProposalView, error) {
	return s.answerProposal(ctx, actor, id, as, negotiation.Accepted, "")
}

// RejectProposal rejects a proposal on behalf of its addressee, with the
// reasons, which the proposer sees.
func (s *Service) RejectProposal(ctx context.Context, actor access.Actor, id, as, reasons string) (*ProposalView, error) {
	reasons = strings.TrimSpace(reasons)
	if reasons == "" {
		return nil, Invalid("err.proposal.reject_reasons")
	}
	return s.answerProposal(ctx, actor, id, as, negotiation.Rejected, reasons)
}

// WithdrawProposal withdraws a proposal (or discards a draft) on behalf of
// its proposer, until the mediator has witnessed it.
func (s *Service) WithdrawProposal(ctx context.Context, actor access.Actor, id, as string) (*ProposalView, error) {
	return s.answerProposal(ctx, actor, id, as, negotiation.Withdrawn, "")
}

// CounterProposal answers a proposal with another: the original becomes
// countered and the counter-proposal, from the addressee to the proposer in
// the same round and thread, is submitted at once. req.From, when set, is
// the acting party and must be the addressee; round and parties are the
// original's. The counter-proposal is checked like any other; when it
// breaks its rule nothing changes.
func (s *Service) CounterProposal(ctx context.Context, actor access.Actor, id string, req ProposalRequest) (*ProposalView, error) {
	if req.Draft {
		return nil, Invalid("err.proposal.counter_draft")
	}
	if s.Mode() == nodes.Node {
		return s.nodeCounter(ctx, actor, id, req)
	}
	var counterID string
	err := s.db.Update(ctx, func(tx *store.Tx) (err error) {
		counterID, err = s.counterProposal(ctx, tx, actor, id, req, "")
		return err
	})
	if err != nil {
		return nil, err
	}
	s.Logger.Info("proposal countered", "proposal", id, "counter", counterID)
	return s.GetProposal(ctx, actor, counterID)
}

// counterProposal is CounterProposal in the caller's transaction;
// counterID names the counter-proposal ("" draws one).
func (s *Service) counterProposal(ctx context.Context, tx *store.Tx, actor access.Actor, id string, req ProposalRequest, counterID string) (string, error) {
	party, err := actingParty(actor, req.From)
	if err != nil {
		return "", err
	}
	if counterID == "" {
		counterID = newID("P")
	}
	orig, err := s.loadProposal(ctx, tx, actor, id)
	if err != nil {
		return "", err
	}
	acting := party
	if acting == "" {
		acting = orig.To
	}
	if acting != orig.To {
		if acting == orig.From {
			return "", access.Forbid("deny.answer_own", "party", acting, "verb", msg.Enum{Kind: "deny_verb", Code: "counter"}, "to", orig.To)
		}
		return "", access.Forbid("deny.answer_only", "party", orig.To, "verb", msg.Enum{Kind: "deny_verb", Code: "counter"}, "proposal", id)
	}
	if orig.State == negotiation.ProposalDraft {
		return "", Conflict("err.proposal.is_draft", "proposal", id)
	}
	if req.RoundID != "" && req.RoundID != orig.RoundID {
		return "", Invalid("err.proposal.counter_round", "round", orig.RoundID)
	}
	if req.To != "" && req.To != orig.From {
		return "", Invalid("err.proposal.counter_to", "party", orig.From)
	}
	p := &negotiation.ProposalRecord{ID: counterID, RoundID: orig.RoundID, ThreadID: orig.ThreadID, CounterOf: orig.ID, From: orig.To, To: orig.From,
		State: string(negotiation.Submitted), Note: strings.TrimSpace(req.Note), CreatedBy: actor.String()}
	if _, _, err := stateMachine(orig).Counter(p.ID, acting); err != nil {
		return "", transitionError(err)
	}
	if _, err := tx.SetProposalState(ctx, store.ProposalChange{ID: id, From: orig.State, To: string(negotiation.Countered), By: actor.String()}); err != nil {
		return "", stateChanged(err)
	}
	if err := s.recordEvent(ctx, tx, actor, Event{Type: "proposal.countered", Subject: id, Attrs: map[string]string{
		"proposal_id": id, "round_id": orig.RoundID, "thread_id": orig.ThreadID, "from": orig.From, "to": orig.To, "party": acting, "counter_id": p.ID,
	}}); err != nil {
		return "", err
	}
	r, err := tx.Round(ctx, orig.RoundID)
	if err != nil {
		return "", err
	}
	return counterID, s.insertProposal(ctx, tx, actor, r, p, req)
}

// GetProposal returns a proposal with the persons of both sides, the
// commission's decisions, and what became of it.
func (s *Service) GetProposal(ctx context.Context, actor access.Actor, id string) (*ProposalView, error) {
	if s.Mode() == nodes.Node {
		return s.nodeGetProposal(ctx, actor, id)
	}
	var v *ProposalView
	err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		v, err = s.proposalView(ctx, tx, actor, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := s.recordAccess(ctx, actor, "proposal.view", id, v.Counts[0]+v.Counts[1]); err != nil {
		return nil, err
	}
	return v, nil
}

func (s *Service) proposalView(ctx context.Context, tx *store.Tx, actor access.Actor, id string) (*ProposalView, error) {
	p, err := s.loadProposal(ctx, tx, actor, id)
	if err != nil {
		return nil, err
	}
	v := &ProposalView{ProposalRecord: p}
	sides, err := tx.ProposalReleases(ctx, id)
	if err != nil {
		return nil, err
	}
	v.Sides = [2]negotiation.SideRelease{{Party: p.From, Releases: sides[0]}, {Party: p.To, Releases: sides[1]}}
	v.Totals = s.totals(p.Terms, sides)
	if v.Commission, err = tx.ProposalCommission(ctx, id); err != nil {
		return nil, err
	}
	thread, err := tx.Proposals(ctx, store.ProposalFilter{ThreadID: p.ThreadID})
	if err != nil {
		return nil, err
	}
	for _, q := range thread {
		if q.CounterOf == id && proposalVisible(actor, q) {
			v.CounteredBy = q.ID
		}
	}
	if p.State == string(negotiation.Agreed) {
		a, err := tx.AgreementOfProposal(ctx, id)
		if err != nil {
			return nil, err
		}
		v.AgreementID = a.ID
	}
	return v, nil
}

// totals counts each side's releases per counting category, with "total".
func (s *Service) totals(t negotiation.Terms, sides [2][]negotiation.Release) [2]map[string]int {
	var out [2]map[string]int
	for i, side := range sides {
		out[i] = map[string]int{negotiation.TotalKey: len(side)}
		for _, r := range side {
			out[i][negotiation.CountingCategory(&r.Person, t.Categories, s.Catalogue())]++
		}
	}
	return out
}

// ListProposals returns the proposals the actor may see, without their
// persons: an officer those from and to his party (the other party's
// drafts never), the mediator and observers every submitted one.
func (s *Service) ListProposals(ctx context.Context, actor access.Actor, f ProposalFilter) ([]*negotiation.ProposalRecord, error) {
	party, err := negotiationScope(actor)
	if err != nil {
		return nil, err
	}
	if s.Mode() == nodes.Node {
		return s.nodeListProposals(ctx, actor, f)
	}
	sf := store.ProposalFilter{RoundID: f.RoundID, ThreadID: f.ThreadID, State: f.State, Party: party}
	if party == "" && !actor.System {
		sf.NoDrafts = true
	}
	var out []*negotiation.ProposalRecord
	err = s.db.View(ctx, func(tx *store.Tx) (err error) {
		out, err = tx.Proposals(ctx, sf)
		return err
	})
	return out, err
}

// ProposalThread returns the whole chain of proposals and counter-proposals
// that the proposal belongs to, oldest first, as far as the actor may see it.
func (s *Service) ProposalThread(ctx context.Context, actor access.Actor, id string) ([]*ProposalView, error) {
	if s.Mode() == nodes.Node {
		return s.nodeThread(ctx, actor, id)
	}
	var out []*ProposalView
	n := 0
	err := s.db.View(ctx, func(tx *store.Tx) error {
		p, err := s.loadProposal(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		thread, err := tx.Proposals(ctx, store.ProposalFilter{ThreadID: p.ThreadID})
		if err != nil {
			return err
		}
		for _, q := range thread {
			if !proposalVisible(actor, q) {
				continue
			}
			v, err := s.proposalView(ctx, tx, actor, q.ID)
			if err != nil {
				return err
			}
			n += v.Counts[0] + v.Counts[1]
			out = append(out, v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.recordAccess(ctx, actor, "proposal.thread", id, n); err != nil {
		return nil, err
	}
	return out, nil
}
