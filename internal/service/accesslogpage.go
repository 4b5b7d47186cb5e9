package service

import (
	"context"
	"fmt"
	"strings"
	"time"

	"parley/internal/access"
	"parley/internal/store"
)

// AccessQuery selects a page of the access log: who read or exported what
// (GC III Art. 13 asks that the persons be protected; the log shows who
// looked at them). Every field narrows; an empty one does not.
type AccessQuery struct {
	Actor   string    `json:"actor,omitempty"`   // the user, exactly
	Action  string    `json:"action,omitempty"`  // e.g. list.view, registry.export
	Subject string    `json:"subject,omitempty"` // the beginning of the subject (a list, party, agreement)
	From    time.Time `json:"from,omitzero"`     // at or after
	To      time.Time `json:"to,omitzero"`       // before
	Page    int       `json:"page,omitempty"`
	// PageSize is 100 when not set.
	PageSize int `json:"page_size,omitempty"`
	// Sort orders by "at" (the default, newest first unless asked
	// otherwise), "actor", "action" or "subject"; ties newest first.
	Sort string `json:"sort,omitempty"`
	Desc bool   `json:"desc,omitempty"`
	// All asks for every record under the filter (up to MaxExportRows) on
	// one page, for an export or a print view.
	All bool `json:"all,omitempty"`
}

// AccessPage is one page of the access log, newest first.
type AccessPage struct {
	Records []AccessRecord `json:"records"`
	Total   int            `json:"total"`
	Page    int            `json:"page"`
	Pages   int            `json:"pages"`
	Actions []string       `json:"actions"` // every action the log holds, for the filter
}

// AccessLogPage returns one page of the access log under q.
func (s *Service) AccessLogPage(ctx context.Context, actor access.Actor, q AccessQuery) (*AccessPage, error) {
	if !actor.CanReviewAccessLog() {
		return nil, access.Forbid("deny.access_log")
	}
	if q.PageSize <= 0 || q.PageSize > 1000 {
		q.PageSize = 100
	}
	if q.All {
		q.Page, q.PageSize = 1, MaxExportRows
	}
	order := "at DESC"
	dir := ""
	if q.Desc {
		dir = " DESC"
	}
	switch q.Sort {
	case "at":
		order = "at" + dir
	case "actor", "action", "subject":
		order = q.Sort + dir + ", at DESC"
	}
	where, args := []string{"1 = 1"}, []any{}
	if q.Actor != "" {
		where, args = append(where, "actor = ?"), append(args, q.Actor)
	}
	if q.Action != "" {
		where, args = append(where, "action = ?"), append(args, q.Action)
	}
	if q.Subject != "" {
		where, args = append(where, "subject LIKE ?"), append(args, strings.NewReplacer("%", "", "_", "").Replace(q.Subject)+"%")
	}
	// Times are stored as RFC 3339 in UTC, which sorts as text.
	if !q.From.IsZero() {
		where, args = append(where, "at >= ?"), append(args, q.From.UTC().Format(time.RFC3339Nano))
	}
	if !q.To.IsZero() {
		where, args = append(where, "at < ?"), append(args, q.To.UTC().Format(time.RFC3339Nano))
	}
	cond := strings.Join(where, " AND ")
	page := &AccessPage{Records: []AccessRecord{}, Page: max(q.Page, 1)}
	err := s.db.View(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM access_log WHERE `+cond, args...).Scan(&page.Total); err != nil {
			return fmt.Errorf("count the access log: %w", err)
		}
		page.Pages = max(1, (page.Total+q.PageSize-1)/q.PageSize)
		page.Page = min(page.Page, page.Pages)
		rows, err := tx.Query(ctx, `SELECT at, actor, action, subject, detail FROM access_log WHERE `+cond+` ORDER BY `+order+` LIMIT ? OFFSET ?`,
			append(args, q.PageSize, (page.Page-1)*q.PageSize)...)
		if err != nil {
			return fmt.Errorf("read the access log: %w", err)
		}
		for rows.Next() {
			var r AccessRecord
			var at string
			if err := rows.Scan(&at, &r.Actor, &r.Action, &r.Subject, &r.Detail); err != nil {
				rows.Close()
				return err
			}
			r.At, _ = time.Parse(time.RFC3339Nano, at)
			page.Records = append(page.Records, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		acts, err := tx.Query(ctx, `SELECT DISTINCT action FROM access_log ORDER BY action`)
		if err != nil {
			return fmt.Errorf("read the access log's actions: %w", err)
		}
		defer acts.Close()
		for acts.Next() {
			var a string
			if err := acts.Scan(&a); err != nil {
				return err
			}
			page.Actions = append(page.Actions, a)
		}
		return acts.Err()
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}
