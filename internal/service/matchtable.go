package service

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"

	"parley/internal/access"
	"parley/internal/lists"
	"parley/internal/matching"
)

// A run's rows are bounded by one list, so its table is searched, filtered
// and sorted here rather than by the database; the search box is read as
// on every other table (ParseSearch), so that "Шевченко", "Shevchenko",
// "29.12.1997" or a service number find the same person on the run's page
// as on the list's.

// MatchRowQuery is what the run's table is asked: the search box (the
// listed person), a decision and a review state, the order, and a page.
type MatchRowQuery struct {
	Search   string
	Decision string // match, review, none; "" for all
	Review   string // pending, confirmed, rejected; "" for all
	Sort     string // row (""), score, decision, review
	Desc     bool
	// Page counts from 1; a page past the last is the last. PageSize is
	// at most MaxMatchPageSize; 0 puts every row under the query on one
	// page (the print view, and the API asked for no page).
	Page, PageSize int
}

// MaxMatchPageSize bounds a page of a run's rows: a run holds a list of
// thousands, and one answer of them all is what paging avoids.
const MaxMatchPageSize = 500

// Orders of the decisions and review states when sorted by them: the
// order the pages show them in.
var (
	decisionOrder = []string{"match", "review", "none"}
	reviewOrder   = []string{"pending", "confirmed", "rejected"}
)

// MatchRowSorts are the sorts the run's table takes.
var MatchRowSorts = []string{"row", "score", "decision", "review"}

// MatchesEntry reports whether a person held in memory answers the search
// as the database's tables of persons would (store.PersonFilter): every
// name word in any script, the date of birth or its beginning, every
// category, and a number that begins the service number or is the row.
func (se *Search) MatchesEntry(row int, e *lists.Entry) bool {
	if e == nil {
		return se.NameText == "" && se.Birth == "" && len(se.Categories) == 0 && (se.Number == "" || se.Number == strconv.Itoa(row))
	}
	if !se.Names.Matches(e.FullName(), e.FullNameLatin()) {
		return false
	}
	if se.Birth != "" && !strings.HasPrefix(e.BirthDate.String(), se.Birth) {
		return false
	}
	for _, c := range se.Categories {
		if !slices.Contains(e.Categories, c) {
			return false
		}
	}
	if se.Number != "" && !strings.HasPrefix(strings.ToLower(e.ServiceNumber), strings.ToLower(se.Number)) && se.Number != strconv.Itoa(row) {
		return false
	}
	return true
}

// FilterMatchRows returns the rows of a run under q, in q's order, and
// how the search box was read.
func (s *Service) FilterMatchRows(rows []MatchRowDetail, q MatchRowQuery) ([]MatchRowDetail, Search) {
	se := s.ParseSearch(q.Search)
	var out []MatchRowDetail
	for _, r := range rows {
		if (q.Decision == "" || r.Decision == q.Decision) && (q.Review == "" || r.Review == q.Review) && se.MatchesEntry(r.ListRow, r.Listed) {
			out = append(out, r)
		}
	}
	var key func(a, b *MatchRowDetail) int
	switch q.Sort {
	case "score":
		key = func(a, b *MatchRowDetail) int { return cmp.Compare(a.Score, b.Score) }
	case "decision":
		key = func(a, b *MatchRowDetail) int {
			return cmp.Compare(slices.Index(decisionOrder, a.Decision), slices.Index(decisionOrder, b.Decision))
		}
	case "review":
		key = func(a, b *MatchRowDetail) int {
			return cmp.Compare(slices.Index(reviewOrder, a.Review), slices.Index(reviewOrder, b.Review))
		}
	}
	slices.SortFunc(out, func(a, b MatchRowDetail) int {
		c := 0
		if key != nil {
			c = key(&a, &b)
		}
		if c == 0 {
			c = cmp.Compare(a.ListRow, b.ListRow)
		}
		if q.Desc {
			return -c
		}
		return c
	})
	return out, se
}

// MatchRowsPage is one page of a run's rows under a query, with the
// counts that the run's page and the API show beside it.
type MatchRowsPage struct {
	Run  *matching.Run    `json:"run"`
	Rows []MatchRowDetail `json:"rows"`
	// Total is the rows of the run, Filtered those under the query.
	Total    int `json:"total"`
	Filtered int `json:"filtered"`
	// ReviewCounts are the run's rows by review state, every state
	// present.
	ReviewCounts map[string]int `json:"review_counts"`
	// Confirmable is how many rows ConfirmAllMatches would confirm at
	// most: pending matches at or above the run's match threshold.
	Confirmable int `json:"confirmable"`
	Page        int `json:"page"`
	Pages       int `json:"pages"`
	// Size is the rows a page holds; 0 when one page holds them all.
	Size   int    `json:"page_size,omitempty"`
	Search Search `json:"search"`
}

// MatchRowsPage returns the page of a run's rows that q asks for, in q's
// order, and logs the view with the number of rows shown.
func (s *Service) MatchRowsPage(ctx context.Context, actor access.Actor, runID string, q MatchRowQuery) (*MatchRowsPage, error) {
	v, err := s.matchRun(ctx, actor, runID)
	if err != nil {
		return nil, err
	}
	pg := &MatchRowsPage{Run: v.Run, Total: len(v.Rows), ReviewCounts: make(map[string]int, len(reviewOrder))}
	for _, st := range reviewOrder {
		pg.ReviewCounts[st] = 0
	}
	for i := range v.Rows {
		pg.ReviewCounts[v.Rows[i].Review]++
		if confirmable(v.Run, &v.Rows[i].Row) {
			pg.Confirmable++
		}
	}
	rows, se := s.FilterMatchRows(v.Rows, q)
	pg.Search, pg.Filtered = se, len(rows)
	size := max(1, len(rows))
	if q.PageSize > 0 {
		pg.Size = min(q.PageSize, MaxMatchPageSize)
		size = pg.Size
	}
	pg.Pages = max(1, (len(rows)+size-1)/size)
	pg.Page = min(max(q.Page, 1), pg.Pages)
	start := (pg.Page - 1) * size
	pg.Rows = rows[start:min(start+size, len(rows))]
	if pg.Rows == nil {
		pg.Rows = []MatchRowDetail{}
	}
	if err := s.recordAccess(ctx, actor, "match.view", runID, len(pg.Rows)); err != nil {
		return nil, err
	}
	return pg, nil
}

// confirmable reports whether ConfirmAllMatches would confirm a row
// (unless the registry has since removed its record).
func confirmable(run *matching.Run, r *matching.Row) bool {
	return r.Decision == "match" && r.Review == "pending" && r.Score >= run.ThresholdMatch && r.RegistryID != ""
}

// ExportMatchRun returns a run's rows under q, in q's order, for the front
// end to write as a file or a printout, and logs the export with the
// number of persons it holds.
func (s *Service) ExportMatchRun(ctx context.Context, actor access.Actor, runID string, q MatchRowQuery) (*MatchRunView, Search, error) {
	v, err := s.matchRun(ctx, actor, runID)
	if err != nil {
		return nil, Search{}, err
	}
	var se Search
	v.Rows, se = s.FilterMatchRows(v.Rows, q)
	if err := s.recordAccess(ctx, actor, "match.export", runID, len(v.Rows)); err != nil {
		return nil, Search{}, err
	}
	return v, se, nil
}
