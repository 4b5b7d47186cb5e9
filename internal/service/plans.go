package service

import (
	"context"
	"parley/internal/msg"
	"sort"

	"parley/internal/access"
	"parley/internal/handover"
	"parley/internal/lists"
	"parley/internal/negotiation"
	"parley/internal/person"
	"parley/internal/store"
)

// This file holds the stage planner: a stage composed from two handed-over
// lists under a rule, and the persons an earlier agreement already binds.

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
		return nil, nil, Invalid("err.plan.two_lists")
	}
	if req.ListIDs[0] == req.ListIDs[1] {
		return nil, nil, Invalid("err.plan.same_list", "list", req.ListIDs[0])
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
				why := msg.New("svc.plan.out_died", "death", d)
				bound[i] = append(bound[i], negotiation.Decision{ListID: l.ID, Row: e.Row, Name: entryName(&e.Person), Categories: cats,
					Why: []msg.Msg{why}, Reason: why.String()})
				continue
			}
			if ag, why := boundBy(held[e.Row]); ag != "" {
				cats := e.Categories
				if cats == nil {
					cats = []string{}
				}
				out := msg.New("svc.plan.out_bound", "why", why, "agreement", ag)
				bound[i] = append(bound[i], negotiation.Decision{ListID: l.ID, Row: e.Row, Name: entryName(&e.Person), Categories: cats,
					Why: []msg.Msg{out}, Reason: out.String()})
				continue
			}
			side.Entries = append(side.Entries, negotiation.Entry{Row: e.Row, Person: e.Person})
		}
		in.Sides[i] = side
	}
	a, b := read[req.ListIDs[0]], read[req.ListIDs[1]]
	if a.From == b.From || a.To != b.From || b.To != a.From {
		return nil, nil, Invalid("err.plan.sides", "a", a.ID, "a_from", a.From, "a_to", a.To, "b", b.ID, "b_from", b.From, "b_to", b.To)
	}
	plan, err := negotiation.Plan(in, s.Catalogue())
	if err != nil {
		return nil, nil, invalidErr(err)
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
func boundBy(held []store.EntryAgreement) (agreement string, why msg.Msg) {
	for _, e := range held {
		switch {
		case e.Outcome == string(handover.HandedOver):
			return e.AgreementID, msg.New("svc.bound.handed_over")
		case e.Outcome == string(handover.Deceased):
			return e.AgreementID, msg.New("svc.bound.deceased")
		case e.Outcome == "" && e.Interview != string(handover.Refuses):
			return e.AgreementID, msg.New("svc.bound.pending")
		}
	}
	return "", msg.Msg{}
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
