package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"parley/internal/nodes"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"parley/internal/access"
	"parley/internal/handover"
	"parley/internal/lists"
	"parley/internal/negotiation"
	"parley/internal/person"
	"parley/internal/store"
)

// This file holds the negotiation: rounds convened by the mediator, the
// lists handed over in them and their conformance to the agreed approach,
// the planner, stage proposals between the parties and the agreements the
// mediator witnesses. The handover of an agreed stage is in handover.go.

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
	*store.Round
	Lists      []RoundListView    `json:"lists"`
	Proposals  []*store.Proposal  `json:"proposals"`
	Agreements []*store.Agreement `json:"agreements"`
}

// RoundListView is a list attached to a round, with its header.
type RoundListView struct {
	store.RoundList
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

// PlanRequest asks the planner for a stage composed from two handed-over
// lists, one from each side.
type PlanRequest struct {
	ListIDs            [2]string          `json:"list_ids"`
	Rule               negotiation.Rule   `json:"rule"`
	Categories         []string           `json:"categories,omitempty"`
	Capacity           int                `json:"capacity,omitempty"`
	Priority           []string           `json:"priority,omitempty"`
	RefDate            person.Date        `json:"ref_date,omitzero"`
	Scale              map[string]float64 `json:"scale,omitempty"`
	CountKindsTogether bool               `json:"count_kinds_together,omitempty"`
}

func (r PlanRequest) terms() negotiation.Terms {
	return negotiation.Terms{Rule: r.Rule, Categories: r.Categories, Scale: r.Scale, Capacity: r.Capacity, CountKindsTogether: r.CountKindsTogether}
}

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
	*store.Proposal
	Sides       [2]negotiation.SideRelease `json:"sides"`
	Totals      [2]map[string]int          `json:"totals"`
	Commission  []store.CommissionRecord   `json:"commission"`
	CounteredBy string                     `json:"countered_by,omitempty"`
	AgreementID string                     `json:"agreement_id,omitempty"`
}

// AgreementView is an agreement with the persons of both sides and where
// each stands in the handover.
type AgreementView struct {
	*store.Agreement
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

// mediatorRole is the name the proposal state machine gives the mediator.
const mediatorRole = "mediator"

// --- rounds ---------------------------------------------------------------

func (s *Service) loadRound(ctx context.Context, tx *store.Tx, actor access.Actor, id string) (*store.Round, error) {
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
func (s *Service) CreateRound(ctx context.Context, actor access.Actor, req RoundRequest) (*store.Round, error) {
	if !actor.CanMediate() {
		return nil, access.Deny("only the mediator convenes rounds")
	}
	req.Title = strings.TrimSpace(req.Title)
	if req.Title == "" {
		return nil, invalidf("a round needs a title")
	}
	// Title and venue go to the signed log in clear, which bounds a field.
	if utf8.RuneCountInString(req.Title) > 200 || utf8.RuneCountInString(req.Venue) > 200 {
		return nil, invalidf("title and venue are at most 200 characters")
	}
	if req.Parties[0] == "" || req.Parties[1] == "" || req.Parties[0] == req.Parties[1] {
		return nil, invalidf("a round is held between two different parties, got %q and %q", req.Parties[0], req.Parties[1])
	}
	for _, d := range []struct {
		name string
		d    person.Date
	}{{"starts_on", req.StartsOn}, {"ends_on", req.EndsOn}} {
		if err := d.d.Validate(); err != nil {
			return nil, invalidf("%s: %v", d.name, err)
		}
	}
	if !req.StartsOn.IsZero() && !req.EndsOn.IsZero() && req.EndsOn.Before(req.StartsOn) {
		return nil, invalidf("the round ends on %s, before it starts on %s", req.EndsOn, req.StartsOn)
	}
	if req.Criteria != nil {
		if err := req.Criteria.Validate(s.Catalogue()); err != nil {
			return nil, fmt.Errorf("%w: criteria: %w", ErrInvalid, err)
		}
	}
	var participants []string
	for _, p := range req.Participants {
		if p = strings.TrimSpace(p); p != "" {
			participants = append(participants, p)
		}
	}
	r := &store.Round{
		ID: newID("R"), Title: req.Title, Venue: strings.TrimSpace(req.Venue), StartsOn: req.StartsOn, EndsOn: req.EndsOn,
		Parties: req.Parties, Participants: participants, Notes: req.Notes, Criteria: req.Criteria, ConvenedBy: actor.String(),
	}
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		for _, p := range r.Parties {
			if _, err := tx.Party(ctx, p); err != nil {
				return invalidf("unknown party %q", p)
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
func (s *Service) ListRounds(ctx context.Context, actor access.Actor) ([]*store.Round, error) {
	party, err := negotiationScope(actor)
	if err != nil {
		return nil, err
	}
	var out []*store.Round
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
	return "", access.Deny("this role sees no negotiation records")
}

// GetRound returns a round with its lists, and the proposals and
// agreements the actor may see.
func (s *Service) GetRound(ctx context.Context, actor access.Actor, id string) (*RoundView, error) {
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
		v.Proposals = []*store.Proposal{}
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
func (s *Service) AttachList(ctx context.Context, actor access.Actor, roundID, listID string) (*store.RoundList, error) {
	var out *store.RoundList
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
			return access.Deny("only the mediator or the officers of parties %s and %s attach this list", l.From, l.To)
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
		return nil, fmt.Errorf("%w: list %s has not been handed over", ErrConflict, id)
	}
	l.Entries, err = tx.Entries(ctx, id)
	return l, err
}

func (s *Service) attachList(ctx context.Context, tx *store.Tx, actor access.Actor, r *store.Round, l *lists.List) (*store.RoundList, error) {
	if !r.HasParty(l.From) || !r.HasParty(l.To) {
		return nil, invalidf("list %s goes from %s to %s; round %s is held between %s and %s", l.ID, l.From, l.To, r.ID, r.Parties[0], r.Parties[1])
	}
	rl := &store.RoundList{RoundID: r.ID, ListID: l.ID, Nonconforming: -1, AttachedBy: actor.String()}
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
	err := s.db.View(ctx, func(tx *store.Tx) error {
		r, err := s.loadRound(ctx, tx, actor, roundID)
		if err != nil {
			return err
		}
		if r.Criteria == nil {
			return invalidf("round %s agreed no criteria for lists", roundID)
		}
		l, err := s.loadHandedOverList(ctx, tx, actor, listID)
		if err != nil {
			return err
		}
		rls, err := tx.RoundLists(ctx, roundID)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(rls, func(rl store.RoundList) bool { return rl.ListID == listID }) {
			return fmt.Errorf("list %s in round %s: %w", listID, roundID, ErrNotFound)
		}
		non := negotiation.Conform(negotiationEntries(l), *r.Criteria, s.Catalogue())
		if non == nil {
			non = []negotiation.Nonconformity{}
		}
		rep = &ConformanceReport{RoundID: roundID, ListID: listID, From: l.From, To: l.To, Criteria: *r.Criteria,
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

// --- planner ----------------------------------------------------------------

// PlanStage composes a stage from two handed-over lists, one from each
// side, with negotiation.Plan, and explains every row. Persons already
// bound by an agreement (handed over, dead, or agreed and not yet carried
// out) are not planned again; they appear among the left out with the
// agreement that holds them. The result is deterministic.
func (s *Service) PlanStage(ctx context.Context, actor access.Actor, req PlanRequest) (*negotiation.StagePlan, error) {
	var plan *negotiation.StagePlan
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		plan, _, err = s.planStage(ctx, tx, actor, req)
		return err
	})
	if err != nil {
		return nil, err
	}
	n := 0
	for _, side := range plan.Sides {
		n += len(side.Released) + len(side.LeftOut)
	}
	if err := s.recordAccess(ctx, actor, "stage.plan", req.ListIDs[0]+","+req.ListIDs[1], n); err != nil {
		return nil, err
	}
	return plan, nil
}

// planStage runs the planner inside a transaction and also returns the lists it
// read, by id.
func (s *Service) planStage(ctx context.Context, tx *store.Tx, actor access.Actor, req PlanRequest) (*negotiation.StagePlan, map[string]*lists.List, error) {
	if req.ListIDs[0] == "" || req.ListIDs[1] == "" {
		return nil, nil, invalidf("the planner needs two lists, one from each side")
	}
	if req.ListIDs[0] == req.ListIDs[1] {
		return nil, nil, invalidf("both lists are %s; give one list from each side", req.ListIDs[0])
	}
	in := negotiation.PlanInput{Rule: req.Rule, Categories: req.Categories, Capacity: req.Capacity, Priority: req.Priority,
		RefDate: req.RefDate, Scale: req.Scale, CountKindsTogether: req.CountKindsTogether}
	read := map[string]*lists.List{}
	var bound [2][]negotiation.Decision
	for i, id := range req.ListIDs {
		l, err := s.loadHandedOverList(ctx, tx, actor, id)
		if err != nil {
			return nil, nil, err
		}
		read[id] = l
		held, err := tx.ListAgreements(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		dead, err := deadRows(ctx, tx, id)
		if err != nil {
			return nil, nil, err
		}
		side := negotiation.SideList{Party: l.From, ListID: l.ID}
		for _, e := range l.Entries {
			if d := dead[e.Row]; d != "" {
				cats := e.Categories
				if cats == nil {
					cats = []string{}
				}
				bound[i] = append(bound[i], negotiation.Decision{ListID: l.ID, Row: e.Row, Name: entryName(&e.Person), Categories: cats,
					Reason: fmt.Sprintf("left out: died in captivity (death %s)", d)})
				continue
			}
			if ag, why := boundBy(held[e.Row]); ag != "" {
				cats := e.Categories
				if cats == nil {
					cats = []string{}
				}
				bound[i] = append(bound[i], negotiation.Decision{ListID: l.ID, Row: e.Row, Name: entryName(&e.Person), Categories: cats,
					Reason: fmt.Sprintf("left out: %s in agreement %s", why, ag)})
				continue
			}
			side.Entries = append(side.Entries, negotiation.Entry{Row: e.Row, Person: e.Person})
		}
		in.Sides[i] = side
	}
	a, b := read[req.ListIDs[0]], read[req.ListIDs[1]]
	if a.From == b.From || a.To != b.From || b.To != a.From {
		return nil, nil, invalidf("the planner needs one list from each side: list %s goes from %s to %s, list %s from %s to %s", a.ID, a.From, a.To, b.ID, b.From, b.To)
	}
	plan, err := negotiation.Plan(in, s.Catalogue())
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	for i := range plan.Sides {
		if len(bound[i]) == 0 {
			continue
		}
		left := append(plan.Sides[i].LeftOut, bound[i]...)
		sort.SliceStable(left, func(x, y int) bool { return left[x].Row < left[y].Row })
		plan.Sides[i].LeftOut = left
	}
	return plan, read, nil
}

// boundBy says whether a person is bound by an earlier agreement, which,
// and in what words: handed over, dead, or agreed and not yet carried out.
// A person not presented, refused, or replaced by a substitute stays where
// he was and may be proposed again.
func boundBy(held []store.EntryAgreement) (agreement, why string) {
	for _, e := range held {
		switch {
		case e.Outcome == string(handover.HandedOver):
			return e.AgreementID, "already handed over"
		case e.Outcome == string(handover.Deceased):
			return e.AgreementID, "died before the handover"
		case e.Outcome == "" && e.Interview != string(handover.Refuses):
			return e.AgreementID, "already agreed, handover pending,"
		}
	}
	return "", ""
}

func entryName(p *person.Person) string {
	if n := p.FullName(); n != "" {
		return n
	}
	if n := p.FullNameLatin(); n != "" {
		return n
	}
	if p.GraveID != "" {
		return "grave " + p.GraveID
	}
	return "no name"
}

// --- proposals ------------------------------------------------------------

// proposalVisible: a draft to its own party only; otherwise to both parties,
// the mediator and observers.
func proposalVisible(actor access.Actor, p *store.Proposal) bool {
	if p.State == store.ProposalDraft {
		return actor.CanActForParty(p.From)
	}
	return actor.SeesNegotiation(p.From, p.To)
}

func (s *Service) loadProposal(ctx context.Context, tx *store.Tx, actor access.Actor, id string) (*store.Proposal, error) {
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
			return "", access.Deny("an officer of party %s cannot act for party %s", actor.Party, as)
		}
		return actor.Party, nil
	}
	return "", access.Deny("only a party's officers act for the party")
}

// stateMachine returns the proposal as negotiation.Proposal sees it; the
// acting party stands for the actor.
func stateMachine(p *store.Proposal) negotiation.Proposal {
	np := negotiation.Proposal{ID: p.ID, From: p.From, To: p.To, Mediator: mediatorRole, State: negotiation.ProposalState(p.State), CounterOf: p.CounterOf}
	if p.State == string(negotiation.Accepted) {
		np.AcceptedBy = p.To
	}
	return np
}

func transitionError(err error) error {
	if errors.Is(err, negotiation.ErrTransition) {
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	return err
}

// stateChanged turns a lost race into a conflict.
func stateChanged(err error) error {
	if errors.Is(err, store.ErrStateChanged) {
		return fmt.Errorf("%w: %w", ErrConflict, err)
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
		return "", invalidf("name the proposing party")
	}
	req.From = party
	r, err := s.loadRound(ctx, tx, actor, req.RoundID)
	if err != nil {
		return "", err
	}
	if !r.HasParty(req.From) {
		return "", invalidf("party %s is not a party to round %s", req.From, r.ID)
	}
	if req.To == "" {
		req.To = otherParty(r, req.From)
	}
	if !r.HasParty(req.To) || req.To == req.From {
		return "", invalidf("a proposal of %s in round %s goes to %s", req.From, r.ID, otherParty(r, req.From))
	}
	if id == "" {
		id = newID("P")
	}
	p := &store.Proposal{ID: id, RoundID: r.ID, From: req.From, To: req.To, State: string(negotiation.Submitted),
		Note: strings.TrimSpace(req.Note), CreatedBy: actor.String()}
	p.ThreadID = p.ID
	if req.Draft {
		p.State = store.ProposalDraft
	}
	return p.ID, s.insertProposal(ctx, tx, actor, r, p, req)
}

func otherParty(r *store.Round, p string) string {
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
func (s *Service) insertProposal(ctx context.Context, tx *store.Tx, actor access.Actor, r *store.Round, p *store.Proposal, req ProposalRequest) error {
	if err := req.Date.Validate(); err != nil {
		return invalidf("date: %v", err)
	}
	c, err := s.compose(ctx, tx, actor, r, p.From, p.To, req)
	if err != nil {
		return err
	}
	p.Terms, p.Date, p.RefDate = c.terms, req.Date, c.refDate
	if err := tx.InsertProposal(ctx, p, c.sides); err != nil {
		return err
	}
	if p.State == store.ProposalDraft {
		return s.recordEvent(ctx, tx, actor, Event{Type: "proposal.drafted", Subject: p.ID, Attrs: map[string]string{
			"proposal_id": p.ID, "round_id": p.RoundID, "from": p.From}})
	}
	return s.submitted(ctx, tx, actor, r, p, c)
}

// submitted attaches the lists of a submitted proposal to its round and
// logs the submission.
func (s *Service) submitted(ctx context.Context, tx *store.Tx, actor access.Actor, r *store.Round, p *store.Proposal, c *composed) error {
	ids := make([]string, 0, len(c.lists))
	for id := range c.lists {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if _, err := s.attachList(ctx, tx, actor, r, c.lists[id]); err != nil {
			return err
		}
	}
	ev := Event{Type: "proposal.submitted", Subject: p.ID, Attrs: proposalAttrs(p)}
	ev.Personal = releaseItems(c.sides)
	return s.recordEvent(ctx, tx, actor, ev)
}

func proposalAttrs(p *store.Proposal) map[string]string {
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
func (s *Service) compose(ctx context.Context, tx *store.Tx, actor access.Actor, r *store.Round, from, to string, req ProposalRequest) (*composed, error) {
	c := &composed{terms: req.Terms, refDate: req.RefDate, lists: map[string]*lists.List{}}
	refs := req.Releases
	if req.Plan != nil {
		if len(refs) > 0 {
			return nil, invalidf("give the releases or a plan, not both")
		}
		if req.Terms.Rule != "" && req.Terms.Rule != req.Plan.Rule {
			return nil, invalidf("the terms name rule %s but the plan %s", req.Terms.Rule, req.Plan.Rule)
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
		return nil, invalidf("ref_date: %v", err)
	}
	if len(refs) == 0 {
		return nil, invalidf("the proposal releases nobody")
	}
	art110 := map[string]bool{}
	for _, raw := range req.Art110Categories {
		code, ok := s.Catalogue().Resolve(raw)
		if _, known := s.Catalogue().Get(raw); known {
			code, ok = raw, true
		}
		if !ok {
			return nil, invalidf("art110 category %q is not in the catalogue", raw)
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
			return nil, invalidf("list %s goes from %s to %s; a proposal between %s and %s releases persons from their lists to each other", l.ID, l.From, l.To, from, to)
		}
		e, ok := entryAt(l, ref.Row)
		if !ok {
			return nil, invalidf("row %d is not on list %s", ref.Row, l.ID)
		}
		if held[l.ID] == nil {
			h, err := tx.ListAgreements(ctx, l.ID)
			if err != nil {
				return nil, err
			}
			held[l.ID] = h
		}
		if ag, why := boundBy(held[l.ID][ref.Row]); ag != "" {
			return nil, fmt.Errorf("%w: row %d of list %s: %s in agreement %s", ErrConflict, ref.Row, l.ID, strings.TrimSuffix(why, ","), ag)
		}
		if d, ok, err := deathOf(ctx, tx, l.ID, ref.Row); err != nil {
			return nil, err
		} else if ok && e.Kind != person.KindRemains {
			return nil, fmt.Errorf("%w: row %d of list %s: died in captivity (death %s); he cannot be released alive", ErrConflict, ref.Row, l.ID, d.ID)
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
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
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
func (s *Service) defaultBasis(ctx context.Context, tx *store.Tx, rule negotiation.Rule, r *store.Round, rel *negotiation.Release, art110 map[string]bool) (negotiation.LegalBasis, error) {
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
			return access.Deny("only officers of party %s submit its drafts", p.From)
		}
		if p.State != store.ProposalDraft {
			return fmt.Errorf("%w: proposal %s is %s, not a draft", ErrConflict, id, p.State)
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
		if _, err := tx.SetProposalState(ctx, store.ProposalChange{ID: id, From: store.ProposalDraft, To: string(negotiation.Submitted), Submitted: true}); err != nil {
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
var answerVerbs = map[negotiation.ProposalState]string{negotiation.Accepted: "accept", negotiation.Rejected: "reject", negotiation.Withdrawn: "withdraw"}

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
	{
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
				return access.Deny("party %s cannot %s its own proposal; only %s may", acting, verb, p.To)
			}
			return access.Deny("only party %s may %s proposal %s", need, verb, id)
		}
		from := p.State
		if p.State == store.ProposalDraft {
			if to != negotiation.Withdrawn {
				return fmt.Errorf("%w: proposal %s is a draft; submit it first", ErrConflict, id)
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
		return nil, invalidf("a rejection gives its reasons")
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
		return nil, invalidf("a counter-proposal is submitted at once, not kept as a draft")
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

// counterProposal is CounterProposal in the caller's transaction; newID
// names the counter-proposal ("" draws one).
func (s *Service) counterProposal(ctx context.Context, tx *store.Tx, actor access.Actor, id string, req ProposalRequest, counterID string) (string, error) {
	party, err := actingParty(actor, req.From)
	if err != nil {
		return "", err
	}
	if counterID == "" {
		counterID = newID("P")
	}
	{
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
				return "", access.Deny("party %s cannot counter its own proposal; only %s may", acting, orig.To)
			}
			return "", access.Deny("only party %s may counter proposal %s", orig.To, id)
		}
		if orig.State == store.ProposalDraft {
			return "", fmt.Errorf("%w: proposal %s is a draft", ErrConflict, id)
		}
		if req.RoundID != "" && req.RoundID != orig.RoundID {
			return "", invalidf("a counter-proposal stays in round %s", orig.RoundID)
		}
		if req.To != "" && req.To != orig.From {
			return "", invalidf("a counter-proposal goes back to %s", orig.From)
		}
		p := &store.Proposal{ID: counterID, RoundID: orig.RoundID, ThreadID: orig.ThreadID, CounterOf: orig.ID, From: orig.To, To: orig.From,
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
}

// GetProposal returns a proposal with the persons of both sides, the
// commission's decisions, and what became of it.
func (s *Service) GetProposal(ctx context.Context, actor access.Actor, id string) (*ProposalView, error) {
	if s.Mode() == nodes.Node {
		return s.nodeProposal(ctx, id)
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
	v := &ProposalView{Proposal: p}
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
func (s *Service) ListProposals(ctx context.Context, actor access.Actor, f ProposalFilter) ([]*store.Proposal, error) {
	party, err := negotiationScope(actor)
	if err != nil {
		return nil, err
	}
	if s.Mode() == nodes.Node {
		return s.nodeListProposals(ctx, f)
	}
	sf := store.ProposalFilter{RoundID: f.RoundID, ThreadID: f.ThreadID, State: f.State, Party: party}
	if party == "" && !actor.System {
		sf.NoDrafts = true
	}
	var out []*store.Proposal
	err = s.db.View(ctx, func(tx *store.Tx) (err error) {
		out, err = tx.Proposals(ctx, sf)
		return err
	})
	return out, err
}

// ProposalThread returns the whole chain of proposals and counter-proposals
// that the proposal belongs to, oldest first, as far as the actor may see it.
func (s *Service) ProposalThread(ctx context.Context, actor access.Actor, id string) ([]*ProposalView, error) {
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

// --- agreements -------------------------------------------------------------

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
func AgreementHash(a *store.Agreement, sides [2][]negotiation.Release) (string, error) {
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
		return nil, access.Deny("only the mediator witnesses agreements")
	}
	var agreed *store.Agreement
	var persons []handover.PersonState
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		p, err := s.loadProposal(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		if p.State == store.ProposalDraft {
			return fmt.Errorf("%w: proposal %s is a draft", ErrConflict, id)
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
					return fmt.Errorf("%w: row %d of list %s: %s in agreement %s", ErrConflict, r.Row, r.ListID, strings.TrimSuffix(why, ","), ag)
				}
				if headers[r.ListID] == nil {
					if headers[r.ListID], err = tx.List(ctx, r.ListID); err != nil {
						return err
					}
				}
			}
		}
		a := &store.Agreement{ID: newID("G"), ProposalID: p.ID, RoundID: p.RoundID, Parties: [2]string{p.From, p.To}, Terms: p.Terms, Date: p.Date,
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
				return fmt.Errorf("%w: %w", ErrConflict, err)
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
func startTimeline(r negotiation.Release, l *lists.List, p *store.Proposal, a *store.Agreement, actor access.Actor) (handover.PersonState, error) {
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

func (s *Service) loadAgreement(ctx context.Context, tx *store.Tx, actor access.Actor, id string) (*store.Agreement, error) {
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
func (s *Service) ListAgreements(ctx context.Context, actor access.Actor, roundID string) ([]*store.Agreement, error) {
	party, err := negotiationScope(actor)
	if err != nil {
		return nil, err
	}
	var out []*store.Agreement
	err = s.db.View(ctx, func(tx *store.Tx) (err error) {
		out, err = tx.Agreements(ctx, roundID, party)
		return err
	})
	return out, err
}

// --- medical commission -----------------------------------------------------

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
		return nil, access.Deny("only observers and the mediator record the medical commission's decisions")
	}
	if err := req.Outcome.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	rec := &store.CommissionRecord{ID: newID("C"), ProposalID: req.ProposalID, ListID: req.ListID, Row: req.Row, Outcome: req.Outcome, RecordedBy: actor.String()}
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		p, err := s.loadProposal(ctx, tx, actor, req.ProposalID)
		if err != nil {
			return err
		}
		if p.State == store.ProposalDraft {
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
			return invalidf("proposal %s does not release row %d of list %s", p.ID, req.Row, req.ListID)
		}
		if rel.LegalBasis.Code != negotiation.BasisArt110 {
			return invalidf("row %d of list %s is proposed under %s, not Art. 110; the commission decides on Art. 110 cases", req.Row, req.ListID, rel.LegalBasis)
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
