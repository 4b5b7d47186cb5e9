package service

import (
	"context"
	"strconv"
	"strings"

	"parley/internal/access"
	"parley/internal/families"
	"parley/internal/handover"
	"parley/internal/lists"
	"parley/internal/msg"
	"parley/internal/names"
	"parley/internal/negotiation"
	"parley/internal/person"
	"parley/internal/store"
)

// This file serves the day of the handover as the observers work it on a
// tablet: the persons of a stage filtered by side, queue and a name as it
// is called out, what each may get next (handover.Allowed), corrections of
// an outcome recorded by mistake, and the search for a substitute.

// DayQuery selects the persons of a stage shown on the day's page.
type DayQuery struct {
	Side  string `json:"side,omitempty"`  // a party, or "" for both
	Queue string `json:"queue,omitempty"` // one of handover.Queues
	// Name is a name as it is called out, in any script, or a row number.
	Name     string `json:"name,omitempty"`
	Page     int    `json:"page,omitempty"`      // from 1
	PageSize int    `json:"page_size,omitempty"` // 0 for DefaultDayPage
}

// DefaultDayPage is the number of persons on a page of the day.
const DefaultDayPage = 50

// HandoverDay is an agreed stage on the day of its handover, with one page
// of its persons under a query.
type HandoverDay struct {
	A *AgreementView `json:"agreement"`
	handover.Day
	Query DayQuery       `json:"query"`
	Roles handover.Roles `json:"roles"`
	// SideCounts counts the persons per party ("" for both) under the
	// name; QueueCounts per queue under the side and the name.
	SideCounts  map[string]int `json:"side_counts"`
	QueueCounts map[string]int `json:"queue_counts"`
	Matched     int            `json:"matched"` // persons under the whole query
	Pages       int            `json:"pages"`
}

// dayRoles is what an actor may record on the day.
func dayRoles(actor access.Actor) handover.Roles {
	return handover.Roles{Interview: actor.CanObserve(), Record: actor.CanObserve() || actor.CanMediate()}
}

// HandoverDay returns the day of an agreed stage for the actor: progress,
// whether the agreed rule holds, the discrepancies, and the persons under
// q with what the actor may record for each.
func (s *Service) HandoverDay(ctx context.Context, actor access.Actor, agreementID string, q DayQuery) (*HandoverDay, error) {
	a, err := s.GetAgreement(ctx, actor, agreementID)
	if err != nil {
		return nil, err
	}
	if q.Side != a.Parties[0] && q.Side != a.Parties[1] {
		q.Side = ""
	}
	if !handover.ValidQueue(q.Queue) {
		q.Queue = handover.QueueAll
	}
	if q.PageSize <= 0 {
		q.PageSize = DefaultDayPage
	}
	d := &HandoverDay{A: a, Roles: dayRoles(actor), SideCounts: map[string]int{}, QueueCounts: map[string]int{}}
	d.Day = handover.NewDay(a.Stage(), a.Handover, s.Catalogue(), d.Roles, s.Now().UTC())
	match := personMatcher(q.Name)
	var page []handover.DayPerson
	for _, p := range d.Persons {
		if !match(p.State.Row, &p.State) {
			continue
		}
		d.SideCounts[""]++
		d.SideCounts[p.State.Party]++
		if q.Side != "" && q.Side != p.State.Party {
			continue
		}
		d.QueueCounts[handover.QueueAll]++
		d.QueueCounts[p.Queue]++
		if q.Queue == handover.QueueAll || q.Queue == p.Queue {
			page = append(page, p)
		}
	}
	d.Matched = len(page)
	d.Pages = max(1, (len(page)+q.PageSize-1)/q.PageSize)
	q.Page = min(max(q.Page, 1), d.Pages)
	start := (q.Page - 1) * q.PageSize
	d.Persons = page[start:min(start+q.PageSize, len(page))]
	d.Query = q
	return d, nil
}

// personMatcher matches a person by a name as it is called out (any
// script, beginnings of words) or, when only digits are typed, by his row.
func personMatcher(typed string) func(row int, st *handover.PersonState) bool {
	typed = strings.TrimSpace(typed)
	if n, err := strconv.Atoi(typed); err == nil {
		return func(row int, _ *handover.PersonState) bool { return row == n }
	}
	nq := names.NewQuery(typed)
	return func(_ int, st *handover.PersonState) bool {
		return nq.Matches(st.Person.FullName(), st.Person.FullNameLatin())
	}
}

// CorrectionRequest corrects the outcome of one person of an agreed stage,
// recorded by mistake, within handover.CorrectionWindow.
type CorrectionRequest struct {
	AgreementID string `json:"agreement_id"`
	ListID      string `json:"list_id"`
	Row         int    `json:"row"`
	// Outcome is the right one: handed_over, not_presented, deceased, or
	// empty to withdraw the outcome so that the person awaits one again
	// (as to correct a substitution: withdraw it and record it anew).
	Outcome handover.Outcome `json:"outcome"`
	Reason  string           `json:"reason"`
}

// CorrectOutcome corrects an outcome recorded by mistake. The correction is
// a new step of the person's timeline and a new entry of the log, with its
// reason; nothing is edited. The rules of the outcome it sets hold as when
// it is recorded at once: a person who refused is never handed over, a
// person with a death on record is never handed over alive, a death needs
// its record. Observers and the mediator correct, as they record.
func (s *Service) CorrectOutcome(ctx context.Context, actor access.Actor, req CorrectionRequest) (*StepResult, error) {
	if !dayRoles(actor).Record {
		return nil, access.Forbid("deny.correct_outcomes")
	}
	req.Reason = strings.TrimSpace(req.Reason)
	if req.Reason == "" {
		return nil, Invalid("err.handover.correction_reason")
	}
	var from handover.Outcome
	var fromSub *handover.Substitute
	res, err := s.recordStep(ctx, actor, req.AgreementID, req.ListID, req.Row, func(ctx context.Context, tx *store.Tx, _ *negotiation.Agreement, rec *store.HandoverRecord) (handover.Event, error) {
		from, fromSub = rec.State.Outcome, rec.State.Substitute
		ev := handover.Event{Type: handover.EventCorrected, Outcome: req.Outcome, Reason: req.Reason}
		switch req.Outcome {
		case handover.HandedOver:
			return ev, noDeath(ctx, tx, rec.State.ListID, rec.State.Row)
		case handover.Deceased:
			if _, ok, err := deathOf(ctx, tx, rec.State.ListID, rec.State.Row); err != nil {
				return ev, err
			} else if !ok && rec.State.Person.Kind != person.KindRemains {
				return ev, Conflict("err.handover.record_death_first", "row", msg.Plain(rec.State.Row), "list", rec.State.ListID)
			}
		}
		return ev, nil
	})
	if err != nil {
		return nil, err
	}
	s.Logger.Info("handover outcome corrected", "agreement", req.AgreementID, "from", string(from), "to", string(req.Outcome))
	// The families see the corrected status (families.Table); a death
	// still waits for its release by an officer of the person's side.
	st := res.State
	switch req.Outcome {
	case handover.HandedOver:
		s.informFamilies(ctx, actor, req.ListID, req.Row, families.FamilyStatus(families.PersonHandedOver, false), s.Now())
	case handover.NotPresented:
		s.informFamilies(ctx, actor, req.ListID, req.Row, families.FamilyStatus(families.PersonNotPresented, false), s.Now())
	case "":
		if st.Refused() {
			s.informFamilies(ctx, actor, req.ListID, req.Row, families.FamilyStatus(families.PersonRefused, st.DiscloseRefusal), s.Now())
		} else {
			s.informFamilies(ctx, actor, req.ListID, req.Row, families.FamilyStatus(families.PersonAgreed, false), s.Now())
		}
	}
	if fromSub != nil && fromSub.ListID != "" {
		// the substitute was not handed over after all
		s.informFamilies(ctx, actor, fromSub.ListID, fromSub.Row, families.FamilyStatus(families.PersonListed, false), s.Now())
	}
	return res, nil
}

// Candidate is a person who may be brought as a substitute: a row of a
// handed-over list of the side that releases the person he replaces.
type Candidate struct {
	ListID    string `json:"list_id"`
	ListTitle string `json:"list_title"`
	Version   int    `json:"version"`
	Row       int    `json:"row"`
	Entry     lists.Entry
}

// MaxCandidates bounds the substitutes offered for one search: the name
// called out narrows them; more would not be read on a tablet.
const MaxCandidates = 20

// SubstituteCandidates finds substitutes for one person of an agreed
// stage by a name as it is called out (any script) or a row number, on the
// handed-over lists of his releasing side to the other side. The rules of
// a substitution (a person held by another agreement, his own consent) are
// checked when it is recorded; this only finds him.
func (s *Service) SubstituteCandidates(ctx context.Context, actor access.Actor, agreementID, listID string, row int, typed string) ([]Candidate, error) {
	if !dayRoles(actor).Record {
		return nil, access.Forbid("deny.record_substitutions")
	}
	if strings.TrimSpace(typed) == "" {
		return nil, nil
	}
	match := personMatcher(typed)
	var out []Candidate
	err := s.db.View(ctx, func(tx *store.Tx) error {
		a, err := s.loadAgreement(ctx, tx, actor, agreementID)
		if err != nil {
			return err
		}
		rec, err := tx.HandoverRecord(ctx, agreementID, listID, row)
		if err != nil {
			return err
		}
		party := rec.State.Party
		other := a.Parties[0]
		if other == party {
			other = a.Parties[1]
		}
		ls, err := tx.Lists(ctx, store.ListFilter{Party: party, HandedOverOnly: true})
		if err != nil {
			return err
		}
		for _, l := range ls {
			if l.From != party || l.To != other || !actor.CanReadList(listView(l)) {
				continue
			}
			es, err := tx.Entries(ctx, l.ID)
			if err != nil {
				return err
			}
			for _, e := range es {
				if l.ID == listID && e.Row == row {
					continue
				}
				st := handover.PersonState{Row: e.Row, Person: e.Person}
				if match(e.Row, &st) {
					out = append(out, Candidate{ListID: l.ID, ListTitle: l.Title, Version: l.Version, Row: e.Row, Entry: e})
					if len(out) == MaxCandidates {
						return nil
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, s.recordAccess(ctx, actor, "handover.substitutes", agreementID, len(out))
}
