package service

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"

	"parley/internal/access"
	"parley/internal/lists"
)

// A run's rows are bounded by one list, so its table is searched, filtered
// and sorted here rather than by the database; the search box is read as
// on every other table (ParseSearch), so that "Шевченко", "Shevchenko",
// "29.12.1997" or a service number find the same person on the run's page
// as on the list's.

// MatchRowQuery is what the run's table is asked: the search box (the
// listed person), a decision and a review state, and the order.
type MatchRowQuery struct {
	Search   string
	Decision string // match, review, none; "" for all
	Review   string // pending, confirmed, rejected; "" for all
	Sort     string // row (""), score, decision, review
	Desc     bool
}

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
