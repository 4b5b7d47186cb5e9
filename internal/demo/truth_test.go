package demo

import (
	"context"
	"testing"

	"parley/internal/disputes"
	"parley/internal/families"
	"parley/internal/service"
)

// TestBuildDisputesAndDeath: the demo's disputes are on the record with
// their answers, its claim names persons, and the family of the dead man
// sees the death with Party B's text.
func TestBuildDisputesAndDeath(t *testing.T) {
	ctx := context.Background()
	sc := Default()
	sc.FirstList, sc.CounterList, sc.Registry = 160, 120, 300
	s, res, _ := buildHistory(t, sc)
	if _, err := s.RunMatching(ctx, demoOfficerB, service.MatchRequest{ListID: res.FirstListID}); err != nil {
		t.Fatal(err)
	}
	out, err := BuildDisputesAndDeath(ctx, s, res)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := s.Disputes(ctx, demoMediator, service.DisputeQuery{})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[disputes.Kind]int{}
	for _, d := range ds {
		kinds[d.Kind]++
		if d.Kind == disputes.Contest && d.State != disputes.Answered {
			t.Errorf("contest %s is %s, want answered", d.ID, d.State)
		}
	}
	if kinds[disputes.Contest] != 2 || kinds[disputes.Claim] != 1 || out.ClaimID == "" {
		t.Errorf("disputes %v, claim %q", kinds, out.ClaimID)
	}
	st, err := s.InquiryStatus(ctx, out.FamilyReference, out.FamilySecret)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != families.StatusDeceased || st.Wording != deathText || st.Date != "2025-06-03" {
		t.Errorf("the family sees %+v", st)
	}
}
