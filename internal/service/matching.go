package service

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"parley/internal/access"
	"parley/internal/lists"
	"parley/internal/matching"
	"parley/internal/metrics"
	"parley/internal/person"
	"parley/internal/store"
)

// MatchRequest asks to match a received list against the receiving party's
// registry.
type MatchRequest struct {
	ListID string
	// Thresholds; zero values take matching.DefaultConfig's.
	ThresholdMatch, ThresholdReview float64
	Progress                        func(done, total int)
}

// RunMatching matches every entry of a handed-over list against the
// registry of the party that received it, stores the results for review,
// and returns the run. Only officers of the receiving party may run it: the
// registry never leaves its party.
func (s *Service) RunMatching(ctx context.Context, actor access.Actor, req MatchRequest) (*store.MatchRun, error) {
	var l *lists.List
	var registry []lists.Entry
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		l, err = tx.ListWithEntries(ctx, req.ListID)
		if err != nil {
			return err
		}
		if !actor.CanReadList(listView(l)) {
			return fmt.Errorf("list %q: %w", req.ListID, ErrNotFound)
		}
		if l.State == lists.Draft {
			return fmt.Errorf("%w: list %s has not been handed over", ErrConflict, l.ID)
		}
		if !actor.CanReadRegistry(l.To) {
			return access.Deny("only officers of party %s match this list against its registry", l.To)
		}
		registry, err = tx.Registry(ctx, l.To)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(registry) == 0 {
		return nil, invalidf("party %s has no registry to match against; import one first", l.To)
	}
	cfg := matching.DefaultConfig()
	if req.ThresholdMatch > 0 {
		cfg.MatchThreshold = req.ThresholdMatch
	}
	if req.ThresholdReview > 0 {
		cfg.ReviewThreshold = req.ThresholdReview
	}
	listPersons := make([]person.Person, len(l.Entries))
	for i, e := range l.Entries {
		listPersons[i] = e.Person
	}
	regPersons := make([]person.Person, len(registry))
	for i, e := range registry {
		regPersons[i] = e.Person
	}
	results, err := matching.Match(ctx, listPersons, regPersons, cfg, req.Progress)
	if err != nil {
		metrics.MatchingRun("error")
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	metrics.MatchingRun("ok")
	run := &store.MatchRun{ID: newID("M"), ListID: l.ID, Party: l.To, ThresholdMatch: cfg.MatchThreshold, ThresholdReview: cfg.ReviewThreshold, RegistrySize: len(registry), CreatedBy: actor.String()}
	rows := make([]store.MatchRow, len(results))
	listRow := func(i int) int { return l.Entries[i].Row }
	regRow := func(i int) int { return registry[i].Row }
	for i, r := range results {
		m := store.MatchRow{ListRow: listRow(r.ListIndex), Score: r.Score, Decision: string(r.Decision)}
		if r.RegistryIndex >= 0 && r.Decision != matching.DecisionNone {
			m.RegistryRow = regRow(r.RegistryIndex)
		}
		m.Reason = r.Describe(func(isList bool, idx int) string {
			if isList {
				return strconv.Itoa(listRow(idx))
			}
			return strconv.Itoa(regRow(idx))
		}, false)
		var cands []string
		for _, c := range r.Candidates {
			cands = append(cands, fmt.Sprintf("%d:%.4f", regRow(c.RegistryIndex), c.Score))
		}
		m.Candidates = strings.Join(cands, " ")
		switch r.Decision {
		case matching.DecisionMatch:
			run.Matched++
		case matching.DecisionReview:
			run.Review++
		default:
			run.Unmatched++
		}
		rows[i] = m
	}
	err = s.DB.Update(ctx, func(tx *store.Tx) error {
		if err := tx.InsertMatchRun(ctx, run, rows); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, actor, Event{Type: "match.run", Subject: run.ID, Attrs: map[string]string{
			"run_id": run.ID, "list_id": l.ID, "party": l.To, "registry_size": strconv.Itoa(len(registry)),
			"matched": strconv.Itoa(run.Matched), "review": strconv.Itoa(run.Review), "unmatched": strconv.Itoa(run.Unmatched),
		}})
	})
	if err != nil {
		return nil, err
	}
	s.Logger.Info("matching run", "run", run.ID, "list", l.ID, "matched", run.Matched, "review", run.Review, "unmatched", run.Unmatched)
	return run, nil
}

// MatchRunView is a run with its rows and the persons on both sides, for
// the officers who review it.
type MatchRunView struct {
	Run  *store.MatchRun  `json:"run"`
	Rows []MatchRowDetail `json:"rows"`
}

// MatchRowDetail is one result with the two records it compares.
type MatchRowDetail struct {
	store.MatchRow
	Listed     *lists.Entry `json:"listed"`
	Registered *lists.Entry `json:"registered,omitempty"`
}

func (s *Service) loadRun(ctx context.Context, tx *store.Tx, actor access.Actor, runID string) (*store.MatchRun, error) {
	run, err := tx.MatchRun(ctx, runID)
	if err != nil {
		return nil, err
	}
	if !actor.CanReadRegistry(run.Party) {
		return nil, fmt.Errorf("match run %q: %w", runID, ErrNotFound)
	}
	return run, nil
}

// MatchRuns lists the runs of the actor's party (for one list when listID
// is set).
func (s *Service) MatchRuns(ctx context.Context, actor access.Actor, party, listID string) ([]*store.MatchRun, error) {
	if !actor.CanReadRegistry(party) {
		return nil, access.Deny("matching runs belong to the receiving party")
	}
	var out []*store.MatchRun
	err := s.DB.View(ctx, func(tx *store.Tx) (err error) {
		out, err = tx.MatchRuns(ctx, party, listID)
		return err
	})
	return out, err
}

// MatchRun returns a run with its rows and both records of each row.
func (s *Service) MatchRun(ctx context.Context, actor access.Actor, runID string) (*MatchRunView, error) {
	v := &MatchRunView{}
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		run, err := s.loadRun(ctx, tx, actor, runID)
		if err != nil {
			return err
		}
		v.Run = run
		entries, err := tx.Entries(ctx, run.ListID)
		if err != nil {
			return err
		}
		registry, err := tx.Registry(ctx, run.Party)
		if err != nil {
			return err
		}
		byRow := func(es []lists.Entry, row int) *lists.Entry {
			for i := range es {
				if es[i].Row == row {
					return &es[i]
				}
			}
			return nil
		}
		rows, err := tx.MatchRows(ctx, runID)
		if err != nil {
			return err
		}
		for _, r := range rows {
			d := MatchRowDetail{MatchRow: r, Listed: byRow(entries, r.ListRow)}
			shown := r.RegistryRow
			if r.Review == "confirmed" {
				shown = r.ReviewedRow
			}
			if shown > 0 {
				d.Registered = byRow(registry, shown)
			}
			v.Rows = append(v.Rows, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.recordAccess(ctx, actor, "match.view", runID, len(v.Rows)); err != nil {
		return nil, err
	}
	return v, nil
}

// Review choices.
const (
	ReviewConfirm = "confirm"
	ReviewReject  = "reject"
)

// ReviewMatch records an officer's decision on one row: confirm the
// proposed registry row (or pick another with registryRow > 0), or reject.
// A "review" decision becomes a match only through this.
func (s *Service) ReviewMatch(ctx context.Context, actor access.Actor, runID string, listRow int, choice string, registryRow int) error {
	return s.DB.Update(ctx, func(tx *store.Tx) error {
		run, err := s.loadRun(ctx, tx, actor, runID)
		if err != nil {
			return err
		}
		if !actor.CanActForParty(run.Party) {
			return access.Deny("only officers of party %s review its matches", run.Party)
		}
		rows, err := tx.MatchRows(ctx, runID)
		if err != nil {
			return err
		}
		var row *store.MatchRow
		for i := range rows {
			if rows[i].ListRow == listRow {
				row = &rows[i]
			}
		}
		if row == nil {
			return fmt.Errorf("row %d of match run %s: %w", listRow, runID, ErrNotFound)
		}
		review, chosen := "", 0
		switch choice {
		case ReviewConfirm:
			review, chosen = "confirmed", row.RegistryRow
			if registryRow > 0 {
				chosen = registryRow
			}
			if chosen == 0 {
				return invalidf("row %d has no proposed registry person; pick one to confirm", listRow)
			}
			reg, err := tx.Registry(ctx, run.Party)
			if err != nil {
				return err
			}
			found := false
			for _, e := range reg {
				found = found || e.Row == chosen
			}
			if !found {
				return invalidf("registry row %d does not exist", chosen)
			}
		case ReviewReject:
			review = "rejected"
		default:
			return invalidf("review must be confirm or reject, not %q", choice)
		}
		if err := tx.ReviewMatchRow(ctx, runID, listRow, review, chosen, actor.String()); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, actor, Event{Type: "match.reviewed", Subject: runID, Attrs: map[string]string{
			"run_id": runID, "list_id": run.ListID, "list_row": strconv.Itoa(listRow), "review": review,
		}, Personal: []EventItem{{ID: "registry_row", Data: []byte(strconv.Itoa(chosen))}}})
	})
}

// LeftOffReport lists the registry persons flagged believed captured (or
// confirmed captured) who match nobody on the list of the run: the persons
// a negotiator will ask about ("left off the list").
func (s *Service) LeftOffReport(ctx context.Context, actor access.Actor, runID string) ([]lists.Entry, error) {
	var out []lists.Entry
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		run, err := s.loadRun(ctx, tx, actor, runID)
		if err != nil {
			return err
		}
		out, err = leftOff(ctx, tx, run)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := s.recordAccess(ctx, actor, "match.left_off", runID, len(out)); err != nil {
		return nil, err
	}
	return out, nil
}

// leftOff computes the left-off report of a run in the caller's
// transaction (see LeftOffReport).
func leftOff(ctx context.Context, tx *store.Tx, run *store.MatchRun) ([]lists.Entry, error) {
	var out []lists.Entry
	err := func() error {
		rows, err := tx.MatchRows(ctx, run.ID)
		if err != nil {
			return err
		}
		found := map[int]bool{}
		for _, r := range rows {
			switch {
			case r.Review == "confirmed":
				found[r.ReviewedRow] = true
			case r.Review == "rejected":
			case r.Decision != "none":
				found[r.RegistryRow] = true
			}
		}
		reg, err := tx.Registry(ctx, run.Party)
		if err != nil {
			return err
		}
		out = []lists.Entry{}
		for _, e := range reg {
			if (e.Status == person.StatusBelievedCaptured || e.Status == person.StatusConfirmedCaptured) && !found[e.Row] {
				out = append(out, e)
			}
		}
		return nil
	}()
	return out, err
}
