package service_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"parley/internal/access"
	"parley/internal/demo"
	"parley/internal/person"
	"parley/internal/service"
	"parley/internal/store/storetest"
)

func TestMatchingRunReviewAndLeftOff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s, err := service.New(ctx, b.Open(t), slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateParties(ctx, demo.Parties); err != nil {
			t.Fatal(err)
		}
		sc := demo.Default()
		sc.FirstList, sc.Registry, sc.CounterList = 150, 800, 20
		res, err := demo.Build(ctx, s, b.DataDir, sc)
		if err != nil {
			t.Fatal(err)
		}
		officerA := access.Actor{Username: "a", Roles: []access.Role{access.Officer}, Party: "A"}
		officerB := access.Actor{Username: "b", Roles: []access.Role{access.Officer}, Party: "B"}
		if _, err := s.RunMatching(ctx, officerA, service.MatchRequest{ListID: res.FirstListID}); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("the sender matching against the receiver's registry: err = %v, want forbidden", err)
		}
		run, err := s.RunMatching(ctx, officerB, service.MatchRequest{ListID: res.FirstListID})
		if err != nil {
			t.Fatal(err)
		}
		if run.Matched+run.Review+run.Unmatched != sc.FirstList {
			t.Fatalf("run covers %d rows, want %d", run.Matched+run.Review+run.Unmatched, sc.FirstList)
		}
		// About 92% of the list is in the registry; most must be found.
		if run.Matched < sc.FirstList*80/100 {
			t.Errorf("only %d of %d matched", run.Matched, sc.FirstList)
		}
		if _, err := s.MatchRun(ctx, officerA, run.ID); !errors.Is(err, service.ErrNotFound) {
			t.Errorf("party A reading B's match run: err = %v, want not found", err)
		}
		view, err := s.MatchRun(ctx, officerB, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Pages of the run: bounded, a page past the last is the last, and
		// no page size puts every row on one page.
		for _, c := range []struct {
			q                        service.MatchRowQuery
			page, pages, size, shown int
		}{
			{service.MatchRowQuery{}, 1, 1, 0, sc.FirstList},
			{service.MatchRowQuery{PageSize: 40}, 1, 4, 40, 40},
			{service.MatchRowQuery{Page: 9, PageSize: 40}, 4, 4, 40, sc.FirstList - 120},
			{service.MatchRowQuery{PageSize: 100000}, 1, 1, service.MaxMatchPageSize, sc.FirstList},
			{service.MatchRowQuery{Sort: "score", Desc: true, Page: 2, PageSize: 7}, 2, (sc.FirstList + 6) / 7, 7, 7},
		} {
			pg, err := s.MatchRowsPage(ctx, officerB, run.ID, c.q)
			if err != nil {
				t.Fatal(err)
			}
			if pg.Page != c.page || pg.Pages != c.pages || pg.Size != c.size || len(pg.Rows) != c.shown || pg.Total != sc.FirstList || pg.Filtered != sc.FirstList {
				t.Errorf("%+v: page %d of %d, size %d, %d rows (total %d, filtered %d); want page %d of %d, size %d, %d rows",
					c.q, pg.Page, pg.Pages, pg.Size, len(pg.Rows), pg.Total, pg.Filtered, c.page, c.pages, c.size, c.shown)
			}
		}
		if _, err := s.MatchRowsPage(ctx, officerA, run.ID, service.MatchRowQuery{}); !errors.Is(err, service.ErrNotFound) {
			t.Errorf("party A reading a page of B's match run: err = %v, want not found", err)
		}
		var matchRow, noneRow int
		for _, r := range view.Rows {
			if r.Listed == nil {
				t.Fatalf("row %d has no listed person", r.ListRow)
			}
			if r.Decision == "match" && matchRow == 0 {
				matchRow = r.ListRow
				if r.Registered == nil || r.Reason == "" {
					t.Errorf("match row %d lacks its registry person or reason", r.ListRow)
				}
			}
			if r.Decision == "none" && noneRow == 0 {
				noneRow = r.ListRow
			}
		}
		before, err := s.LeftOffReport(ctx, officerB, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range before {
			if e.Status != person.StatusBelievedCaptured && e.Status != person.StatusConfirmedCaptured {
				t.Errorf("left-off report holds registry row %d with status %s", e.Row, e.Status)
			}
		}
		if len(before) == 0 {
			t.Fatal("the demo registry has believed-captured persons on no list; the report found none")
		}
		// Rejecting a match puts its registry person back on the report.
		if err := s.ReviewMatch(ctx, officerB, run.ID, matchRow, service.ReviewReject, ""); err != nil {
			t.Fatal(err)
		}
		after, _ := s.LeftOffReport(ctx, officerB, run.ID)
		view2, _ := s.MatchRun(ctx, officerB, run.ID)
		var rejected service.MatchRowDetail
		for _, r := range view2.Rows {
			if r.ListRow == matchRow {
				rejected = r
			}
		}
		if rejected.Review != "rejected" || rejected.ReviewedBy == "" {
			t.Errorf("review not recorded: %+v", rejected.Row)
		}
		wantAfter := len(before)
		if st := rejected.Registered; st != nil && (st.Status == person.StatusBelievedCaptured || st.Status == person.StatusConfirmedCaptured) {
			wantAfter++
		}
		if len(after) != wantAfter {
			t.Errorf("left-off report holds %d after rejecting row %d, want %d", len(after), matchRow, wantAfter)
		}
		if err := s.ReviewMatch(ctx, officerA, run.ID, matchRow, service.ReviewConfirm, ""); err == nil {
			t.Error("the sender must not review the receiver's matches")
		}
		if noneRow != 0 {
			if err := s.ReviewMatch(ctx, officerB, run.ID, noneRow, service.ReviewConfirm, ""); !errors.Is(err, service.ErrInvalid) {
				t.Errorf("confirming a row without candidate: err = %v, want invalid", err)
			}
		}
	})
}
