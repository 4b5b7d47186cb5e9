package service_test

import (
	"context"
	"testing"

	"parley/internal/service"
	"parley/internal/service/servicetest"
	"parley/internal/store/storetest"
)

// A re-run of the same list reads only the rows of the run before that
// have something to carry (reviewed, or reopened with a reason): a
// confirmation and a rejection stay, a reason given by a registry version
// stays with its row, and rows never reviewed start pending with no reason
// — on the re-run and on the one after it.
func TestReRunCarriesReviews(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := idService(t, b)
		idRegistry(t, s, "registry-v1.csv")
		l := idList(t, s, "list-v1.csv", "")
		run1 := matchAndConfirm(t, s, l, 4)
		if err := s.ReviewMatch(ctx, servicetest.OfficerB, run1, rowsBySurname(t, s, run1)["Коваленко"].ListRow, service.ReviewReject, ""); err != nil {
			t.Fatal(err)
		}
		// Бондар's date of birth changes and Мельник is removed: both go
		// back to pending, with a reason.
		idRegistry(t, s, "registry-v2.csv")
		type want struct {
			review, reason, carriedFrom string
		}
		wants := map[string]want{
			"Шевченко":  {"confirmed", "", run1},
			"Коваленко": {"rejected", "", run1},
			"Бондар":    {"pending", service.ReviewReasonDOBChanged, ""},
			"Мельник":   {"pending", "", ""}, // the removal is said by the record, not carried
		}
		for i := range 2 {
			run, err := s.RunMatching(ctx, servicetest.OfficerB, service.MatchRequest{ListID: l})
			if err != nil {
				t.Fatal(err)
			}
			if n := run.Matched + run.Review + run.Unmatched; n != len(wants) {
				t.Fatalf("re-run %d: %d rows, want %d", i+1, n, len(wants))
			}
			got := rowsBySurname(t, s, run.ID)
			for name, w := range wants {
				r, ok := got[name]
				if !ok {
					t.Errorf("re-run %d: no row for %s", i+1, name)
					continue
				}
				if r.Review != w.review || r.ReviewReason != w.reason || r.CarriedFrom != w.carriedFrom {
					t.Errorf("re-run %d, %s: review %q reason %q carried from %q; want %q %q %q",
						i+1, name, r.Review, r.ReviewReason, r.CarriedFrom, w.review, w.reason, w.carriedFrom)
				}
			}
		}
	})
}
