package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"parley/internal/matching"
)

func paramsText(p map[string]string) (string, error) {
	if len(p) == 0 {
		return "", nil
	}
	b, err := json.Marshal(p)
	return string(b), err
}

// InsertMatchRun stores a run and all its rows (with the reviews carried
// over from an earlier run, if any).
func (tx *Tx) InsertMatchRun(ctx context.Context, r *matching.Run, rows []matching.Row) error {
	r.CreatedAt = now()
	_, err := tx.Exec(ctx, `INSERT INTO match_runs (id, list_id, party, threshold_match, threshold_review, registry_size, matched, review, unmatched, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.ListID, r.Party, r.ThresholdMatch, r.ThresholdReview, r.RegistrySize, r.Matched, r.Review, r.Unmatched, r.CreatedBy, timeText(r.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert match run: %w", err)
	}
	cols := []string{"run_id", "entry_id", "list_row", "registry_id", "score", "decision", "reason", "candidates", "review", "reviewed_id", "reviewed_by", "reviewed_at", "review_reason", "review_params", "carried_from"}
	err = tx.insertRows(ctx, "match_results", cols, len(rows), func(i int) ([]any, error) {
		m := &rows[i]
		if m.Review == "" {
			m.Review = "pending"
		}
		params, err := paramsText(m.ReviewParams)
		if err != nil {
			return nil, err
		}
		at := ""
		if !m.ReviewedAt.IsZero() {
			at = timeText(m.ReviewedAt)
		}
		return []any{r.ID, m.EntryID, m.ListRow, m.RegistryID, m.Score, m.Decision, m.Reason, m.Candidates, m.Review, m.ReviewedID, m.ReviewedBy, at, m.ReviewReason, params, m.CarriedFrom}, nil
	})
	if err != nil {
		return fmt.Errorf("insert match results: %w", err)
	}
	return nil
}

const matchRunColumns = `id, list_id, party, threshold_match, threshold_review, registry_size, matched, review, unmatched, created_by, created_at`

func scanMatchRun(scan func(...any) error) (*matching.Run, error) {
	var r matching.Run
	var at string
	if err := scan(&r.ID, &r.ListID, &r.Party, &r.ThresholdMatch, &r.ThresholdReview, &r.RegistrySize, &r.Matched, &r.Review, &r.Unmatched, &r.CreatedBy, &at); err != nil {
		return nil, err
	}
	r.CreatedAt = parseTime(at)
	return &r, nil
}

// MatchRun returns a run.
func (tx *Tx) MatchRun(ctx context.Context, id string) (*matching.Run, error) {
	r, err := scanMatchRun(tx.QueryRow(ctx, `SELECT `+matchRunColumns+` FROM match_runs WHERE id = ?`, id).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("match run %q: %w", id, ErrNotFound)
	}
	return r, err
}

// MatchRuns returns the runs of a party, newest first; listID narrows them
// to one list when set.
func (tx *Tx) MatchRuns(ctx context.Context, party, listID string) ([]*matching.Run, error) {
	q := `SELECT ` + matchRunColumns + ` FROM match_runs WHERE party = ?`
	args := []any{party}
	if listID != "" {
		q += ` AND list_id = ?`
		args = append(args, listID)
	}
	rows, err := tx.Query(ctx, q+` ORDER BY created_at DESC, id`, args...)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, nil, scanMatchRun)
}

// LatestMatchRun returns the newest run of a party on a list, as the first
// of MatchRuns would, without reading the others; nil when there is none.
func (tx *Tx) LatestMatchRun(ctx context.Context, party, listID string) (*matching.Run, error) {
	r, err := scanMatchRun(tx.QueryRow(ctx, `SELECT `+matchRunColumns+` FROM match_runs WHERE party = ? AND list_id = ?
		ORDER BY created_at DESC, id LIMIT 1`, party, listID).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("latest match run of %s on %s: %w", party, listID, err)
	}
	return r, nil
}

const matchRowColumns = `entry_id, list_row, registry_id, score, decision, reason, candidates, review, reviewed_id, reviewed_by, reviewed_at, review_reason, review_params, carried_from`

func scanMatchRow(scan func(...any) error) (matching.Row, error) {
	var m matching.Row
	var at, params string
	if err := scan(&m.EntryID, &m.ListRow, &m.RegistryID, &m.Score, &m.Decision, &m.Reason, &m.Candidates, &m.Review, &m.ReviewedID, &m.ReviewedBy, &at, &m.ReviewReason, &params, &m.CarriedFrom); err != nil {
		return m, err
	}
	m.ReviewedAt = parseTime(at)
	if params != "" {
		if err := json.Unmarshal([]byte(params), &m.ReviewParams); err != nil {
			return m, fmt.Errorf("decode review reason of row %d: %w", m.ListRow, err)
		}
	}
	return m, nil
}

// MatchRows returns a run's rows in list order.
func (tx *Tx) MatchRows(ctx context.Context, runID string) ([]matching.Row, error) {
	rows, err := tx.Query(ctx, `SELECT `+matchRowColumns+` FROM match_results WHERE run_id = ? ORDER BY list_row`, runID)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, nil, scanMatchRow)
}

// MatchRowsToCarry returns the rows of a run that a later run of the list
// takes something from: those reviewed, and those pending with a reason.
// A re-run reads these instead of every row of the run before: a row
// neither reviewed nor reopened leaves the new run nothing to carry.
func (tx *Tx) MatchRowsToCarry(ctx context.Context, runID string) ([]matching.Row, error) {
	rows, err := tx.Query(ctx, `SELECT `+matchRowColumns+` FROM match_results
		WHERE run_id = ? AND (review <> 'pending' OR review_reason <> '') ORDER BY list_row`, runID)
	if err != nil {
		return nil, fmt.Errorf("read reviewed rows of match run %s: %w", runID, err)
	}
	defer rows.Close()
	var out []matching.Row
	for rows.Next() {
		m, err := scanMatchRow(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// ReviewMatchRow records a person's review of one result: confirmed with the
// registry record they chose, or rejected. Only a row in the expected
// review state changes, so that two reviewers cannot both decide it.
func (tx *Tx) ReviewMatchRow(ctx context.Context, runID string, listRow int, from, review, registryID, by string) error {
	res, err := tx.Exec(ctx, `UPDATE match_results SET review = ?, reviewed_id = ?, reviewed_by = ?, reviewed_at = ?, review_reason = '', review_params = '', carried_from = ''
		WHERE run_id = ? AND list_row = ? AND review = ?`,
		review, registryID, by, timeText(now()), runID, listRow, from)
	if err != nil {
		return fmt.Errorf("review match: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("row %d of match run %s is no longer %s: %w", listRow, runID, from, ErrNotFound)
	}
	return nil
}

// ReopenReviews puts back to pending, with a reason, the reviewed results of
// a party's runs that concern a registry record: confirmed ones that chose
// it and rejected ones that were proposed it. With all, rows not yet
// reviewed that propose it get the reason too (the record was removed). It
// returns how many rows changed.
func (tx *Tx) ReopenReviews(ctx context.Context, party, registryID, reason string, params map[string]string, all bool) (int, error) {
	p, err := paramsText(params)
	if err != nil {
		return 0, err
	}
	cond := `((review = 'confirmed' AND reviewed_id = ?) OR (review = 'rejected' AND registry_id = ?))`
	args := []any{reason, p, registryID, registryID}
	if all {
		cond = `(reviewed_id = ? OR registry_id = ?)`
	}
	args = append(args, party)
	res, err := tx.Exec(ctx, `UPDATE match_results SET review = 'pending', review_reason = ?, review_params = ?, carried_from = ''
		WHERE `+cond+` AND run_id IN (SELECT id FROM match_runs WHERE party = ?)`, args...)
	if err != nil {
		return 0, fmt.Errorf("reopen reviews of %s: %w", registryID, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
