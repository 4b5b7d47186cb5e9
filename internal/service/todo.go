package service

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"parley/internal/access"
	"parley/internal/disputes"
	"parley/internal/handover"
	"parley/internal/lists"
	"parley/internal/negotiation"
	"parley/internal/store"
)

// What waits for someone: each role has steps that only it can take, and
// a proposal nobody answers or a list nobody acknowledges stalls the
// exchange for everyone. ToDo gathers them so that the dashboard and the
// menu can say what waits and lead to the place to act.

// ToDoKind names a kind of step that waits.
type ToDoKind string

// Kinds of waiting steps.
const (
	ToAcknowledge    ToDoKind = "acknowledge_list"  // a list handed over to the officer's party
	ToReviewMatches  ToDoKind = "review_matches"    // rows of a matching run awaiting review
	ToAnswerProposal ToDoKind = "answer_proposal"   // a proposal submitted to the officer's party
	ToWitness        ToDoKind = "witness_agreement" // an accepted proposal awaiting the mediator
	ToHandOver       ToDoKind = "handover"          // an agreed stage with persons still pending
	ToAnswerDispute  ToDoKind = "answer_dispute"    // a dispute or claim the officer's party must answer
	ToCloseDispute   ToDoKind = "close_dispute"     // an answered dispute awaiting the mediator
)

// ToDoItem is one step that waits for the actor. Subject names the record
// (a list, run, proposal, agreement or dispute); Count is how many persons
// or rows it concerns.
type ToDoItem struct {
	Kind    ToDoKind  `json:"kind"`
	Subject string    `json:"subject"`
	Title   string    `json:"title,omitempty"`
	Count   int       `json:"count"`
	Since   time.Time `json:"since,omitzero"`
}

// ToDo returns what waits for the actor, oldest first: the steps his roles
// take, on the records he may see. Every page's menu counts it, so it is
// kept per process until this process changes a record (see derive).
func (s *Service) ToDo(ctx context.Context, actor access.Actor) ([]ToDoItem, error) {
	items, err := derive(ctx, s, "todo|"+scopeKey(actor), func() ([]ToDoItem, error) { return s.toDo(ctx, actor) })
	if err != nil {
		return nil, err
	}
	return slices.Clone(items), nil
}

func (s *Service) toDo(ctx context.Context, actor access.Actor) ([]ToDoItem, error) {
	out := []ToDoItem{}
	officer := actor.Has(access.Officer) && actor.Party != ""
	if officer {
		ls, err := s.ListLists(ctx, actor)
		if err != nil {
			return nil, err
		}
		for _, l := range latestOf(ls) {
			if l.State == lists.HandedOver && l.To == actor.Party {
				out = append(out, ToDoItem{Kind: ToAcknowledge, Subject: l.ID, Title: l.Title, Count: l.EntryCount, Since: l.HandedOverAt})
			}
		}
		runs, err := s.pendingReviews(ctx, actor)
		if err != nil {
			return nil, err
		}
		out = append(out, runs...)
	}
	if _, err := negotiationScope(actor); err == nil {
		props, err := s.ListProposals(ctx, actor, ProposalFilter{})
		if err != nil {
			return nil, err
		}
		for _, p := range props {
			switch {
			case officer && p.State == string(negotiation.Submitted) && p.To == actor.Party:
				out = append(out, ToDoItem{Kind: ToAnswerProposal, Subject: p.ID, Count: p.Counts[0] + p.Counts[1], Since: p.SubmittedAt})
			case actor.CanMediate() && p.State == string(negotiation.Accepted):
				out = append(out, ToDoItem{Kind: ToWitness, Subject: p.ID, Count: p.Counts[0] + p.Counts[1], Since: p.AnsweredAt})
			}
		}
		stages, err := s.stagesInProgress(ctx, actor)
		if err != nil {
			return nil, err
		}
		out = append(out, stages...)
	}
	if officer || actor.CanMediate() {
		// What waits names no person: the view is not an access to record.
		ds, _, err := s.disputes(ctx, actor, DisputeQuery{Open: true})
		if err != nil && !errors.Is(err, access.ErrForbidden) {
			return nil, err
		}
		for _, d := range ds {
			switch {
			case officer && d.State == disputes.Open && d.To == actor.Party:
				out = append(out, ToDoItem{Kind: ToAnswerDispute, Subject: d.ID, Title: string(d.Kind), Count: max(d.PersonCount, 1), Since: d.CreatedAt})
			case actor.CanMediate() && d.State == disputes.Answered:
				out = append(out, ToDoItem{Kind: ToCloseDispute, Subject: d.ID, Title: string(d.Kind), Count: max(d.PersonCount, 1), Since: d.CreatedAt})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Since.Before(out[j].Since) })
	return out, nil
}

// latestOf keeps the newest version of each list: an older version is
// never acknowledged once a newer one was handed over.
func latestOf(ls []*lists.List) []*lists.List {
	best := map[string]*lists.List{}
	for _, l := range ls {
		if b := best[l.RootID]; b == nil || l.Version > b.Version {
			best[l.RootID] = l
		}
	}
	out := make([]*lists.List, 0, len(best))
	for _, l := range ls {
		if best[l.RootID] == l {
			out = append(out, l)
		}
	}
	return out
}

// pendingReviews lists, for the newest run of each list of the officer's
// party, the rows that wait for a person's review.
func (s *Service) pendingReviews(ctx context.Context, actor access.Actor) ([]ToDoItem, error) {
	if !actor.CanReadRegistry(actor.Party) {
		return nil, nil
	}
	var out []ToDoItem
	err := s.db.View(ctx, func(tx *store.Tx) error {
		runs, err := tx.MatchRuns(ctx, actor.Party, "")
		if err != nil {
			return err
		}
		newest := map[string]bool{}
		sort.SliceStable(runs, func(i, j int) bool { return runs[i].CreatedAt.After(runs[j].CreatedAt) })
		for _, r := range runs {
			if newest[r.ListID] || r.Review == 0 {
				newest[r.ListID] = true
				continue
			}
			newest[r.ListID] = true
			var n int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM match_results WHERE run_id = ? AND decision = 'review' AND review = 'pending'`, r.ID).Scan(&n); err != nil {
				return fmt.Errorf("count rows to review in run %s: %w", r.ID, err)
			}
			if n > 0 {
				out = append(out, ToDoItem{Kind: ToReviewMatches, Subject: r.ID, Title: r.ListID, Count: n, Since: r.CreatedAt})
			}
		}
		return nil
	})
	return out, err
}

// stagesInProgress lists the agreed stages with persons still pending.
func (s *Service) stagesInProgress(ctx context.Context, actor access.Actor) ([]ToDoItem, error) {
	ags, err := s.ListAgreements(ctx, actor, "")
	if err != nil {
		return nil, err
	}
	var out []ToDoItem
	err = s.db.View(ctx, func(tx *store.Tx) error {
		for _, a := range ags {
			n, err := tx.PendingHandover(ctx, a.ID)
			if err != nil {
				return err
			}
			if n > 0 {
				out = append(out, ToDoItem{Kind: ToHandOver, Subject: a.ID, Count: n, Since: a.CreatedAt})
			}
		}
		return nil
	})
	return out, err
}

// NegotiationSummary is the state of the negotiation for the dashboard:
// proposals by state, agreed stages, and every person repatriated, when
// and between which sides.
type NegotiationSummary struct {
	Proposals      map[string]int `json:"proposals"` // by state
	Agreements     int            `json:"agreements"`
	StagesComplete int            `json:"stages_complete"`
	Repatriations  []Repatriation `json:"repatriations"` // oldest first
}

// Repatriation is one person handed over (an agreed person, or a
// substitute in his place) by party From to party To.
type Repatriation struct {
	At       time.Time `json:"at"`
	From, To string
}

// NegotiationSummary sums up the proposals and agreements the actor may
// see, and the persons handed over in them. It is kept like ToDo.
func (s *Service) NegotiationSummary(ctx context.Context, actor access.Actor) (*NegotiationSummary, error) {
	sum, err := derive(ctx, s, "negotiation|"+scopeKey(actor), func() (*NegotiationSummary, error) { return s.negotiationSummary(ctx, actor) })
	if err != nil {
		return nil, err
	}
	out := *sum
	out.Proposals = maps.Clone(sum.Proposals)
	out.Repatriations = slices.Clone(sum.Repatriations)
	return &out, nil
}

func (s *Service) negotiationSummary(ctx context.Context, actor access.Actor) (*NegotiationSummary, error) {
	props, err := s.ListProposals(ctx, actor, ProposalFilter{})
	if err != nil {
		return nil, err
	}
	ags, err := s.ListAgreements(ctx, actor, "")
	if err != nil {
		return nil, err
	}
	sum := &NegotiationSummary{Proposals: map[string]int{}, Agreements: len(ags), Repatriations: []Repatriation{}}
	for _, p := range props {
		sum.Proposals[p.State]++
	}
	err = s.db.View(ctx, func(tx *store.Tx) error {
		for _, a := range ags {
			recs, err := tx.HandoverRecords(ctx, a.ID)
			if err != nil {
				return err
			}
			pending := 0
			for _, r := range recs {
				st := r.State
				if !st.Done() {
					pending++
				}
				if st.Outcome != handover.HandedOver && st.Outcome != handover.Substituted {
					continue
				}
				at, _ := st.OutcomeAt()
				to := a.Parties[0]
				if to == st.Party {
					to = a.Parties[1]
				}
				sum.Repatriations = append(sum.Repatriations, Repatriation{At: at, From: st.Party, To: to})
			}
			if pending == 0 && len(recs) > 0 {
				sum.StagesComplete++
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(sum.Repatriations, func(i, j int) bool { return sum.Repatriations[i].At.Before(sum.Repatriations[j].At) })
	return sum, nil
}
