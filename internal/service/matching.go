package service

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"

	"parley/internal/access"
	"parley/internal/listfile"
	"parley/internal/lists"
	"parley/internal/matching"
	"parley/internal/metrics"
	"parley/internal/msg"
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
func (s *Service) RunMatching(ctx context.Context, actor access.Actor, req MatchRequest) (*matching.Run, error) {
	if err := s.refuseOnHub(RefuseMatching); err != nil {
		return nil, err
	}
	var l *lists.List
	var reg *registryIndex
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		l, err = tx.ListWithEntries(ctx, req.ListID)
		if err != nil {
			return err
		}
		if !actor.CanReadList(listView(l)) {
			return fmt.Errorf("list %q: %w", req.ListID, ErrNotFound)
		}
		if l.State == lists.Draft {
			return Conflict("err.list.not_handed_over", "list", l.ID)
		}
		if !actor.CanReadRegistry(l.To) {
			return access.Forbid("deny.match_list", "party", l.To)
		}
		reg, err = s.registryIndexes.get(ctx, tx, l.To)
		return err
	})
	if err != nil {
		return nil, err
	}
	registry := reg.ids
	if reg.records == 0 {
		return nil, Invalid("err.match.no_registry", "party", l.To)
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
	results, err := reg.index().MatchAll(ctx, listPersons, cfg, req.Progress)
	if err != nil {
		metrics.MatchingRun("error")
		return nil, invalidErr(err)
	}
	metrics.MatchingRun("ok")
	run := &matching.Run{ID: newID("M"), ListID: l.ID, Party: l.To, ThresholdMatch: cfg.MatchThreshold, ThresholdReview: cfg.ReviewThreshold, RegistrySize: reg.records, CreatedBy: actor.String()}
	rows := make([]matching.Row, len(results))
	for i, r := range results {
		e := &l.Entries[r.ListIndex]
		m := matching.Row{EntryID: e.ID, ListRow: e.Row, Score: r.Score, Decision: string(r.Decision), Review: "pending"}
		if r.RegistryIndex >= 0 && r.Decision != matching.DecisionNone {
			m.RegistryID = registry[r.RegistryIndex]
		}
		// Stored as messages, so that each reader gets them in his language.
		m.Reason = msg.Encode(r.Reasons(func(isList bool, idx int) string {
			if isList {
				return strconv.Itoa(l.Entries[idx].Row)
			}
			return registry[idx]
		}, false))
		cands := make([]matching.RowCandidate, len(r.Candidates))
		for k, c := range r.Candidates {
			cands[k] = matching.RowCandidate{ID: registry[c.RegistryIndex], Score: c.Score}
		}
		m.Candidates = matching.CandidateText(cands)
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
	var carried, reopened int
	err = s.db.View(ctx, func(tx *store.Tx) (err error) {
		carried, reopened, err = carryReviews(ctx, tx, l, rows)
		return err
	})
	if err != nil {
		return nil, err
	}
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.InsertMatchRun(ctx, run, rows); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, actor, Event{Type: "match.run", Subject: run.ID, Attrs: map[string]string{
			"run_id": run.ID, "list_id": l.ID, "party": l.To, "registry_size": strconv.Itoa(reg.records),
			"matched": strconv.Itoa(run.Matched), "review": strconv.Itoa(run.Review), "unmatched": strconv.Itoa(run.Unmatched),
			"carried": strconv.Itoa(carried), "reopened": strconv.Itoa(reopened),
		}})
	})
	if err != nil {
		return nil, err
	}
	s.Logger.Info("matching run", "run", run.ID, "list", l.ID, "matched", run.Matched, "review", run.Review, "unmatched", run.Unmatched)
	return run, nil
}

// priorRun finds the latest run of the party on the list or, failing that,
// on the nearest earlier version of it, and returns it with the entries of
// its list (l's own when the run is on l: a re-run does not read its list
// twice); nil when there is none.
func priorRun(ctx context.Context, tx *store.Tx, l *lists.List) (*matching.Run, []lists.Entry, error) {
	for id := l.ID; id != ""; {
		run, err := tx.LatestMatchRun(ctx, l.To, id)
		if err != nil {
			return nil, nil, err
		}
		if run != nil {
			if id == l.ID {
				return run, l.Entries, nil
			}
			entries, err := tx.Entries(ctx, id)
			return run, entries, err
		}
		h, err := tx.List(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		id = h.PrevID
	}
	return nil, nil, nil
}

// carryReviews gives the rows of a new run the reviews of the latest
// earlier run on the list or an earlier version of it: a confirmed or
// rejected review of a person whose entry is unchanged stays as it was (a
// rejection only while the same registry record is proposed); one whose
// entry changed in who it describes (identityChanges) goes back to pending
// with the reason. Registry changes
// have already reopened the reviews they concern (see newRegistryVersion).
func carryReviews(ctx context.Context, tx *store.Tx, l *lists.List, rows []matching.Row) (carried, reopened int, err error) {
	prev, prevEntries, err := priorRun(ctx, tx, l)
	if err != nil || prev == nil {
		return 0, 0, err
	}
	// Only the rows with something to carry: a row neither reviewed nor
	// reopened stays pending with no reason, as a new row is.
	prevRows, err := tx.MatchRowsToCarry(ctx, prev.ID)
	if err != nil || len(prevRows) == 0 {
		return 0, 0, err
	}
	byEntry := make(map[string]*matching.Row, len(prevRows))
	for i := range prevRows {
		byEntry[prevRows[i].EntryID] = &prevRows[i]
	}
	oldPerson := make(map[string]*lists.Entry, len(prevRows))
	for i := range prevEntries {
		if _, ok := byEntry[prevEntries[i].ID]; ok {
			oldPerson[prevEntries[i].ID] = &prevEntries[i]
		}
	}
	entryByID := make(map[string]*lists.Entry, len(prevRows))
	for i := range l.Entries {
		if _, ok := byEntry[l.Entries[i].ID]; ok {
			entryByID[l.Entries[i].ID] = &l.Entries[i]
		}
	}
	for i := range rows {
		m := &rows[i]
		p, ok := byEntry[m.EntryID]
		if !ok {
			continue
		}
		if p.Review == "pending" {
			if p.ReviewReason != "" && p.ReviewReason != ReviewReasonRegistryRemoved {
				m.ReviewReason, m.ReviewParams = p.ReviewReason, p.ReviewParams
			}
			continue
		}
		old, cur := oldPerson[m.EntryID], entryByID[m.EntryID]
		if old != nil && cur != nil {
			if fields := identityChanges(lists.FieldChanges(&old.Person, &cur.Person)); len(fields) > 0 {
				m.ReviewReason, m.ReviewParams = changeReason("list", fields)
				reopened++
				continue
			}
		}
		if p.Review == "rejected" && p.RegistryID != m.RegistryID {
			continue // a new proposal is for a person to look at
		}
		m.Review, m.ReviewedID, m.ReviewedBy, m.ReviewedAt, m.CarriedFrom = p.Review, p.ReviewedID, p.ReviewedBy, p.ReviewedAt, prev.ID
		if p.CarriedFrom != "" {
			m.CarriedFrom = p.CarriedFrom
		}
		carried++
	}
	return carried, reopened, nil
}

// MatchRunView is a run with its rows and the persons on both sides, for
// the officers who review it.
type MatchRunView struct {
	Run  *matching.Run    `json:"run"`
	Rows []MatchRowDetail `json:"rows"`
}

// MatchRowDetail is one result with the two records it compares.
// Registered is the registry record the result stands for (the confirmed
// one, else the proposed one); RegisteredRemoved says the registry's latest
// version no longer holds it.
type MatchRowDetail struct {
	matching.Row
	Listed            *lists.Entry `json:"listed"`
	Registered        *lists.Entry `json:"registered,omitempty"`
	RegisteredRemoved bool         `json:"registered_removed,omitempty"`
}

// Shown is the registry record a result stands for: the confirmed one,
// else the proposed one; "" when none.
func Shown(r *matching.Row) string {
	if r.Review == "confirmed" && r.ReviewedID != "" {
		return r.ReviewedID
	}
	return r.RegistryID
}

func (s *Service) loadRun(ctx context.Context, tx *store.Tx, actor access.Actor, runID string) (*matching.Run, error) {
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
func (s *Service) MatchRuns(ctx context.Context, actor access.Actor, party, listID string) ([]*matching.Run, error) {
	if !actor.CanReadRegistry(party) {
		return nil, access.Forbid("deny.match_runs")
	}
	var out []*matching.Run
	err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		out, err = tx.MatchRuns(ctx, party, listID)
		return err
	})
	return out, err
}

// MatchRun returns a run with its rows and both records of each row.
func (s *Service) MatchRun(ctx context.Context, actor access.Actor, runID string) (*MatchRunView, error) {
	v, err := s.matchRun(ctx, actor, runID)
	if err != nil {
		return nil, err
	}
	if err := s.recordAccess(ctx, actor, "match.view", runID, len(v.Rows)); err != nil {
		return nil, err
	}
	return v, nil
}

// matchRun reads a run with its rows, unlogged: the caller logs what it
// shows or exports.
func (s *Service) matchRun(ctx context.Context, actor access.Actor, runID string) (*MatchRunView, error) {
	v := &MatchRunView{}
	err := s.db.View(ctx, func(tx *store.Tx) error {
		run, err := s.loadRun(ctx, tx, actor, runID)
		if err != nil {
			return err
		}
		v.Run = run
		entries, err := tx.Entries(ctx, run.ListID)
		if err != nil {
			return err
		}
		byRow := make(map[int]*lists.Entry, len(entries))
		for i := range entries {
			byRow[entries[i].Row] = &entries[i]
		}
		rows, err := tx.MatchRows(ctx, runID)
		if err != nil {
			return err
		}
		var ids []string
		for i := range rows {
			if id := Shown(&rows[i]); id != "" {
				ids = append(ids, id)
			}
		}
		recs, err := tx.RegistryRecords(ctx, run.Party, ids)
		if err != nil {
			return err
		}
		for _, r := range rows {
			d := MatchRowDetail{Row: r, Listed: byRow[r.ListRow]}
			if rec, ok := recs[Shown(&r)]; ok {
				d.Registered = &rec.Entry
				d.RegisteredRemoved = rec.RemovedVersion > 0
			}
			v.Rows = append(v.Rows, d)
		}
		return nil
	})
	if err != nil {
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
// proposed registry record (or pick another with registryID), or reject.
// A "review" decision becomes a match only through this.
func (s *Service) ReviewMatch(ctx context.Context, actor access.Actor, runID string, listRow int, choice string, registryID string) error {
	if err := s.refuseOnHub(RefuseMatching); err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		run, err := s.loadRun(ctx, tx, actor, runID)
		if err != nil {
			return err
		}
		if !actor.CanActForParty(run.Party) {
			return access.Forbid("deny.review_matches", "party", run.Party)
		}
		rows, err := tx.MatchRows(ctx, runID)
		if err != nil {
			return err
		}
		var row *matching.Row
		for i := range rows {
			if rows[i].ListRow == listRow {
				row = &rows[i]
			}
		}
		if row == nil {
			return fmt.Errorf("row %d of match run %s: %w", listRow, runID, ErrNotFound)
		}
		review, chosen := "", ""
		switch choice {
		case ReviewConfirm:
			review, chosen = "confirmed", row.RegistryID
			if registryID != "" {
				chosen = registryID
			}
			if chosen == "" {
				return Invalid("err.match.no_candidate", "row", msg.Plain(listRow))
			}
			recs, err := tx.RegistryRecords(ctx, run.Party, []string{chosen})
			if err != nil {
				return err
			}
			if rec, ok := recs[chosen]; !ok || rec.RemovedVersion > 0 {
				return Invalid("err.match.unknown_record", "record", chosen)
			}
		case ReviewReject:
			review = "rejected"
		default:
			return Invalid("err.match.review", "value", choice)
		}
		return s.reviewRow(ctx, tx, actor, run, row, review, chosen)
	})
}

func (s *Service) reviewRow(ctx context.Context, tx *store.Tx, actor access.Actor, run *matching.Run, row *matching.Row, review, chosen string) error {
	if err := tx.ReviewMatchRow(ctx, run.ID, row.ListRow, row.Review, review, chosen, actor.String()); err != nil {
		return changedMeanwhile(err)
	}
	return s.recordEvent(ctx, tx, actor, Event{Type: "match.reviewed", Subject: run.ID, Attrs: map[string]string{
		"run_id": run.ID, "list_id": run.ListID, "list_row": strconv.Itoa(row.ListRow), "entry_id": row.EntryID, "review": review,
	}, Personal: []EventItem{{ID: "registry_id", Data: []byte(chosen)}}})
}

// ConfirmAllMatches confirms, in one transaction, every pending result of
// a run whose decision is match (its score at or above the run's match
// threshold) and whose proposed record is still in the registry; each
// confirmation is recorded in the log like a single review. It returns how
// many were confirmed.
func (s *Service) ConfirmAllMatches(ctx context.Context, actor access.Actor, runID string) (int, error) {
	if err := s.refuseOnHub(RefuseMatching); err != nil {
		return 0, err
	}
	n := 0
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		n = 0
		run, err := s.loadRun(ctx, tx, actor, runID)
		if err != nil {
			return err
		}
		if !actor.CanActForParty(run.Party) {
			return access.Forbid("deny.review_matches", "party", run.Party)
		}
		rows, err := tx.MatchRows(ctx, runID)
		if err != nil {
			return err
		}
		var ids []string
		for i := range rows {
			if rows[i].Decision == "match" && rows[i].Review == "pending" && rows[i].RegistryID != "" {
				ids = append(ids, rows[i].RegistryID)
			}
		}
		recs, err := tx.RegistryRecords(ctx, run.Party, ids)
		if err != nil {
			return err
		}
		for i := range rows {
			r := &rows[i]
			if !confirmable(run, r) {
				continue
			}
			if rec, ok := recs[r.RegistryID]; !ok || rec.RemovedVersion > 0 {
				continue
			}
			if err := s.reviewRow(ctx, tx, actor, run, r, "confirmed", r.RegistryID); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	s.Logger.Info("matches confirmed in bulk", "run", runID, "confirmed", n)
	return n, nil
}

// LeftOffEntry is a registry person believed captured whom the list leaves
// off. DroppedFrom, when set, is the earlier version of the list that held
// him (matched to this registry record) and that the run's list dropped.
type LeftOffEntry struct {
	lists.Entry
	DroppedFrom *DroppedEntry `json:"dropped_from,omitempty"`
}

// DroppedEntry is an entry of an earlier version of a list that a later
// version no longer holds.
type DroppedEntry struct {
	ListID  string `json:"list_id"`
	Version int    `json:"version"`
	EntryID string `json:"entry_id"`
	Row     int    `json:"row"`
	Name    string `json:"name"`
}

// LeftOffReport lists the registry persons flagged believed captured (or
// confirmed captured) who match nobody on the list of the run: the persons
// a negotiator will ask about ("left off the list"). Those whom an earlier
// version of the list held, by a confirmed or proposed match, say so.
func (s *Service) LeftOffReport(ctx context.Context, actor access.Actor, runID string) ([]LeftOffEntry, error) {
	var out []LeftOffEntry
	err := s.db.View(ctx, func(tx *store.Tx) error {
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

// leftOff computes the whole left-off report of a run in the caller's
// transaction (see LeftOffReport).
func leftOff(ctx context.Context, tx *store.Tx, run *matching.Run) ([]LeftOffEntry, error) {
	var pg Page[LeftOffEntry]
	err := readLeftOff(ctx, tx, run, store.PersonFilter{}, TableQuery{All: true}, &pg)
	return pg.Entries, err
}

// readLeftOff reads a page of a run's left-off report under a query, in
// the caller's transaction: the registry's query (store.RegistryQuery) of
// the persons believed or confirmed captured whom no row of the run
// stands for.
func readLeftOff(ctx context.Context, tx *store.Tx, run *matching.Run, f store.PersonFilter, q TableQuery, pg *Page[LeftOffEntry]) error {
	rows, err := tx.MatchRows(ctx, run.ID)
	if err != nil {
		return err
	}
	found := foundRecords(rows)
	dropped, err := droppedMatches(ctx, tx, run)
	if err != nil {
		return err
	}
	sq := store.RegistryQuery{Party: run.Party, PersonFilter: f, Status: q.Status, Sort: q.Sort, Desc: q.Desc,
		Statuses: []string{string(person.StatusBelievedCaptured), string(person.StatusConfirmedCaptured)}}
	for id := range found {
		sq.Exclude = append(sq.Exclude, id)
	}
	slices.Sort(sq.Exclude)
	return fill(q, pg, func(offset, limit int) ([]LeftOffEntry, int, error) {
		sq.Offset, sq.Limit = offset, limit
		es, total, err := tx.RegistryPage(ctx, sq)
		out := make([]LeftOffEntry, len(es))
		for i, e := range es {
			out[i] = LeftOffEntry{Entry: e, DroppedFrom: dropped[e.ID]}
		}
		return out, total, err
	})
}

// leftOffEntries are the registry entries of a left-off report.
func leftOffEntries(es []LeftOffEntry) []lists.Entry {
	out := make([]lists.Entry, len(es))
	for i, e := range es {
		out[i] = e.Entry
	}
	return out
}

// LeftOffPage returns one page of a run's left-off report, searched,
// filtered and sorted by the database, with the run.
func (s *Service) LeftOffPage(ctx context.Context, actor access.Actor, runID string, q TableQuery) (*Page[LeftOffEntry], *matching.Run, error) {
	pg, run, err := s.readLeftOffPage(ctx, actor, runID, q)
	if err != nil {
		return nil, nil, err
	}
	if err := s.recordAccess(ctx, actor, "match.left_off", runID, len(pg.Entries)); err != nil {
		return nil, nil, err
	}
	return pg, run, nil
}

func (s *Service) readLeftOffPage(ctx context.Context, actor access.Actor, runID string, q TableQuery) (*Page[LeftOffEntry], *matching.Run, error) {
	var run *matching.Run
	if err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		run, err = s.loadRun(ctx, tx, actor, runID)
		return err
	}); err != nil {
		return nil, nil, err
	}
	if err := s.ensureKeyed(ctx, run.Party); err != nil {
		return nil, nil, err
	}
	f, se := s.personFilter(q)
	pg := &Page[LeftOffEntry]{Search: se}
	if err := s.db.View(ctx, func(tx *store.Tx) error { return readLeftOff(ctx, tx, run, f, q, pg) }); err != nil {
		return nil, nil, err
	}
	return pg, run, nil
}

// ExportLeftOff writes a run's left-off report under q, in q's order: the
// clerk's CSV in a language (opts), or the format f (xlsx, json).
func (s *Service) ExportLeftOff(ctx context.Context, actor access.Actor, runID string, q TableQuery, f listfile.Format, opts *listfile.ExportOptions, w io.Writer) error {
	q.All = true
	pg, run, err := s.readLeftOffPage(ctx, actor, runID, q)
	if err != nil {
		return err
	}
	if err := s.recordAccess(ctx, actor, "match.left_off_export", runID, len(pg.Entries)); err != nil {
		return err
	}
	return s.writePersons(w, leftOffEntries(pg.Entries), f, opts, listfile.Meta{Title: "Left off " + runID, From: run.Party})
}

// foundRecords returns the registry records that a run's rows stand for.
func foundRecords(rows []matching.Row) map[string]bool {
	found := map[string]bool{}
	for _, r := range rows {
		switch {
		case r.Review == "confirmed":
			found[r.ReviewedID] = true
		case r.Review == "rejected":
		case r.Decision != "none":
			found[r.RegistryID] = true
		}
	}
	return found
}

// droppedMatches returns, by registry record, the entries of the version
// before the run's list that this version dropped and that the latest run
// on that version matched to the record.
func droppedMatches(ctx context.Context, tx *store.Tx, run *matching.Run) (map[string]*DroppedEntry, error) {
	out := map[string]*DroppedEntry{}
	dropped, prev, err := droppedEntries(ctx, tx, run.ListID)
	if err != nil || len(dropped) == 0 {
		return out, err
	}
	runs, err := tx.MatchRuns(ctx, run.Party, prev.ID)
	if err != nil || len(runs) == 0 {
		return out, err
	}
	rows, err := tx.MatchRows(ctx, runs[0].ID)
	if err != nil {
		return out, err
	}
	for _, r := range rows {
		d, ok := dropped[r.EntryID]
		if !ok {
			continue
		}
		if id := Shown(&r); id != "" && r.Review != "rejected" {
			out[id] = d
		}
	}
	return out, nil
}

// droppedEntries returns the entries of the version before a list that
// the list no longer holds, by entry id, and that version.
func droppedEntries(ctx context.Context, tx *store.Tx, listID string) (map[string]*DroppedEntry, *lists.List, error) {
	l, err := tx.List(ctx, listID)
	if err != nil || l.PrevID == "" {
		return nil, nil, err
	}
	prev, err := tx.ListWithEntries(ctx, l.PrevID)
	if err != nil {
		return nil, nil, err
	}
	cur, err := tx.Entries(ctx, listID)
	if err != nil {
		return nil, nil, err
	}
	have := make(map[string]bool, len(cur))
	for _, e := range cur {
		have[e.ID] = true
	}
	out := map[string]*DroppedEntry{}
	for _, e := range prev.Entries {
		if !have[e.ID] {
			out[e.ID] = &DroppedEntry{ListID: prev.ID, Version: prev.Version, EntryID: e.ID, Row: e.Row, Name: e.FullName()}
		}
	}
	return out, prev, nil
}

// DroppedFromList returns the persons of the version before a list that
// the list no longer holds, in row order. The dashboard shows them for its
// recent lists on every view, so they are kept per process until this
// process changes a record (see derive); each call that returns persons is
// still recorded in the access log.
func (s *Service) DroppedFromList(ctx context.Context, actor access.Actor, listID string) ([]DroppedEntry, error) {
	out, err := deriveLists(ctx, s, "dropped|"+scopeKey(actor)+"|"+listID, func() ([]DroppedEntry, error) { return s.droppedFromList(ctx, actor, listID) })
	if err != nil {
		return nil, err
	}
	if len(out) > 0 {
		if err := s.recordAccess(ctx, actor, "list.dropped", listID, len(out)); err != nil {
			return nil, err
		}
	}
	return slices.Clone(out), nil
}

func (s *Service) droppedFromList(ctx context.Context, actor access.Actor, listID string) ([]DroppedEntry, error) {
	var out []DroppedEntry
	err := s.db.View(ctx, func(tx *store.Tx) error {
		l, err := tx.List(ctx, listID)
		if err != nil {
			return err
		}
		if !actor.CanReadList(listView(l)) {
			return fmt.Errorf("list %q: %w", listID, ErrNotFound)
		}
		d, _, err := droppedEntries(ctx, tx, listID)
		for _, e := range d {
			out = append(out, *e)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Row < out[j].Row })
	return out, nil
}
