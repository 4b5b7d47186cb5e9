package store

import (
	"context"
	"fmt"
	"strings"

	"parley/internal/families"
)

// The officers' table of the family inquiries about their side, searched,
// filtered, sorted and paged by the database (migration 00027): after an
// exchange is announced a side may hold tens of thousands of inquiries,
// and a page must answer without reading them.

// KeyInquiries fills the search columns of a party's inquiries that lack
// them (stored before the columns existed, or by a path that does not key
// them), and reports how many it keyed.
func (tx *Tx) KeyInquiries(ctx context.Context, party string) (int, error) {
	return tx.keyRows(ctx, "inquiries of "+party,
		`SELECT id, relative FROM inquiries WHERE party = ? AND searchable = 0`,
		`UPDATE inquiries SET searchable = 1, name_key = ?, sort_name = ?, birth = ?, category_codes = ? WHERE party = ? AND id = ?`, party)
}

// UnkeyedInquiries reports whether any inquiry of a party lacks its
// search columns, so that a reader need not take a write transaction when
// none does.
func (tx *Tx) UnkeyedInquiries(ctx context.Context, party string) (bool, error) {
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM inquiries WHERE party = ? AND searchable = 0 LIMIT 1) u`, party).Scan(&n); err != nil {
		return false, fmt.Errorf("look for unkeyed inquiries of %s: %w", party, err)
	}
	return n > 0, nil
}

// InquiryQuery selects and orders the inquiries about one party's people.
type InquiryQuery struct {
	Party string
	// PersonFilter reads the relative; its Number is also compared with
	// the inquiry's reference.
	PersonFilter
	Status string // the status the family sees, coarse (families.Statuses)
	// Links keeps the inquiries with a link in this state ("pending",
	// "confirmed", "rejected"), or with none at all ("none").
	Links string
	// CreatedFrom and CreatedBefore bound the day the inquiry was made
	// (stored times as text, RFC 3339 in UTC, which sort as text).
	CreatedFrom, CreatedBefore string
	Sort                       string // "" or "created" (newest first by default), "name", "birth", "status", "reference"
	Desc                       bool
	Offset, Limit              int
}

// InquiryRow is one row of the table: the inquiry and its links' counts.
type InquiryRow struct {
	*families.Inquiry
	PendingLinks, ConfirmedLinks int
}

// InquiryLinkStates are the values of InquiryQuery.Links.
var InquiryLinkStates = []string{"pending", "confirmed", "rejected", "none"}

// InquiryPage returns one page of a party's inquiries under q, and how many
// q selects in all; only the page's inquiries are decoded.
func (tx *Tx) InquiryPage(ctx context.Context, q InquiryQuery) ([]InquiryRow, int, error) {
	where, args := q.PersonFilter.condsOn([]string{"party = ?"}, []any{q.Party}, "relative", "UPPER(reference) = UPPER(?)")
	if q.Status != "" {
		where, args = append(where, "status = ?"), append(args, q.Status)
	}
	switch q.Links {
	case "pending", "confirmed", "rejected":
		where, args = append(where, "EXISTS (SELECT 1 FROM inquiry_links l WHERE l.inquiry_id = inquiries.id AND l.state = ?)"), append(args, q.Links)
	case "none":
		where = append(where, "NOT EXISTS (SELECT 1 FROM inquiry_links l WHERE l.inquiry_id = inquiries.id)")
	}
	if q.CreatedFrom != "" {
		where, args = append(where, "created_at >= ?"), append(args, q.CreatedFrom)
	}
	if q.CreatedBefore != "" {
		where, args = append(where, "created_at < ?"), append(args, q.CreatedBefore)
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM inquiries WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count inquiries of %s: %w", q.Party, err)
	}
	// Newest first unless another order is asked for; the id breaks ties
	// so that pages neither repeat nor skip a row.
	dir := ""
	if q.Desc {
		dir = " DESC"
	}
	order := "created_at DESC, id DESC"
	if col := map[string]string{"created": "created_at", "name": "sort_name", "birth": "birth", "status": "status", "reference": "reference"}[q.Sort]; col != "" {
		order = col + dir + ", id" + dir
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	rows, err := tx.Query(ctx, `SELECT `+inquiryColumns+`,
		(SELECT COUNT(*) FROM inquiry_links l WHERE l.inquiry_id = inquiries.id AND l.state = 'pending'),
		(SELECT COUNT(*) FROM inquiry_links l WHERE l.inquiry_id = inquiries.id AND l.state = 'confirmed')
		FROM inquiries WHERE `+cond+` ORDER BY `+order+` LIMIT ? OFFSET ?`, append(args, limit, max(q.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("read inquiries of %s: %w", q.Party, err)
	}
	defer rows.Close()
	out := []InquiryRow{}
	for rows.Next() {
		var r InquiryRow
		if r.Inquiry, err = scanInquiry(func(dest ...any) error {
			return rows.Scan(append(dest, &r.PendingLinks, &r.ConfirmedLinks)...)
		}); err != nil {
			return nil, 0, fmt.Errorf("read inquiries of %s: %w", q.Party, err)
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}
