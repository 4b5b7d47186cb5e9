package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// MatchRun is one run of matching a received list against a registry.
type MatchRun struct {
	ID              string    `json:"id"`
	ListID          string    `json:"list_id"`
	Party           string    `json:"party"` // the receiving party whose registry was searched
	ThresholdMatch  float64   `json:"threshold_match"`
	ThresholdReview float64   `json:"threshold_review"`
	RegistrySize    int       `json:"registry_size"`
	Matched         int       `json:"matched"`
	Review          int       `json:"review"`
	Unmatched       int       `json:"unmatched"`
	CreatedBy       string    `json:"created_by"`
	CreatedAt       time.Time `json:"created_at"`
}

// MatchRow is the result for one list row, with its review.
type MatchRow struct {
	ListRow     int       `json:"list_row"`
	RegistryRow int       `json:"registry_row,omitempty"` // 0 when none
	Score       float64   `json:"score"`
	Decision    string    `json:"decision"` // match, review, none
	Reason      string    `json:"reason"`
	Candidates  string    `json:"candidates,omitempty"` // "row:score" pairs, best first
	Review      string    `json:"review"`               // pending, confirmed, rejected
	ReviewedRow int       `json:"reviewed_row,omitempty"`
	ReviewedBy  string    `json:"reviewed_by,omitempty"`
	ReviewedAt  time.Time `json:"reviewed_at,omitzero"`
}

// InsertMatchRun stores a run and all its rows.
func (tx *Tx) InsertMatchRun(ctx context.Context, r *MatchRun, rows []MatchRow) error {
	r.CreatedAt = now()
	_, err := tx.Exec(ctx, `INSERT INTO match_runs (id, list_id, party, threshold_match, threshold_review, registry_size, matched, review, unmatched, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.ListID, r.Party, r.ThresholdMatch, r.ThresholdReview, r.RegistrySize, r.Matched, r.Review, r.Unmatched, r.CreatedBy, timeText(r.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert match run: %w", err)
	}
	err = tx.insertRows(ctx, "match_results", []string{"run_id", "list_row", "registry_row", "score", "decision", "reason", "candidates"}, len(rows), func(i int) ([]any, error) {
		m := &rows[i]
		return []any{r.ID, m.ListRow, m.RegistryRow, m.Score, m.Decision, m.Reason, m.Candidates}, nil
	})
	if err != nil {
		return fmt.Errorf("insert match results: %w", err)
	}
	return nil
}

const matchRunColumns = `id, list_id, party, threshold_match, threshold_review, registry_size, matched, review, unmatched, created_by, created_at`

func scanMatchRun(scan func(...any) error) (*MatchRun, error) {
	var r MatchRun
	var at string
	if err := scan(&r.ID, &r.ListID, &r.Party, &r.ThresholdMatch, &r.ThresholdReview, &r.RegistrySize, &r.Matched, &r.Review, &r.Unmatched, &r.CreatedBy, &at); err != nil {
		return nil, err
	}
	r.CreatedAt = parseTime(at)
	return &r, nil
}

// MatchRun returns a run.
func (tx *Tx) MatchRun(ctx context.Context, id string) (*MatchRun, error) {
	r, err := scanMatchRun(tx.QueryRow(ctx, `SELECT `+matchRunColumns+` FROM match_runs WHERE id = ?`, id).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("match run %q: %w", id, ErrNotFound)
	}
	return r, err
}

// MatchRuns returns the runs of a party, newest first; listID narrows them
// to one list when set.
func (tx *Tx) MatchRuns(ctx context.Context, party, listID string) ([]*MatchRun, error) {
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
	defer rows.Close()
	var out []*MatchRun
	for rows.Next() {
		r, err := scanMatchRun(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// MatchRows returns a run's rows in list order.
func (tx *Tx) MatchRows(ctx context.Context, runID string) ([]MatchRow, error) {
	rows, err := tx.Query(ctx, `SELECT list_row, registry_row, score, decision, reason, candidates, review, reviewed_row, reviewed_by, reviewed_at
		FROM match_results WHERE run_id = ? ORDER BY list_row`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []MatchRow
	for rows.Next() {
		var m MatchRow
		var at string
		if err := rows.Scan(&m.ListRow, &m.RegistryRow, &m.Score, &m.Decision, &m.Reason, &m.Candidates, &m.Review, &m.ReviewedRow, &m.ReviewedBy, &at); err != nil {
			return nil, err
		}
		m.ReviewedAt = parseTime(at)
		out = append(out, m)
	}
	return out, rows.Err()
}

// ReviewMatchRow records a person's review of one result: confirmed with the
// registry row they chose, or rejected.
func (tx *Tx) ReviewMatchRow(ctx context.Context, runID string, listRow int, review string, registryRow int, by string) error {
	res, err := tx.Exec(ctx, `UPDATE match_results SET review = ?, reviewed_row = ?, reviewed_by = ?, reviewed_at = ? WHERE run_id = ? AND list_row = ?`,
		review, registryRow, by, timeText(now()), runID, listRow)
	if err != nil {
		return fmt.Errorf("review match: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("row %d of match run %s: %w", listRow, runID, ErrNotFound)
	}
	return nil
}
