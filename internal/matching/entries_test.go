package matching

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"parley/internal/person"
)

// TestSameEntryDoesNotCompete reads testdata/same_entries.json: a person
// entered twice in the registry is one candidate, so that a row fitting
// both of his records is decided as if he were entered once; records that
// something recorded tells apart (service numbers, a date on one side
// only) still compete, and the row goes to review with both shown.
func TestSameEntryDoesNotCompete(t *testing.T) {
	b, err := os.ReadFile("testdata/same_entries.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		Cases []struct {
			Name     string          `json:"name"`
			Registry []person.Person `json:"registry"`
			List     person.Person   `json:"list"`
			Same     []int           `json:"same"`
			Want     Decision        `json:"want"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	if len(fx.Cases) < 5 {
		t.Fatalf("only %d cases read", len(fx.Cases))
	}
	for _, c := range fx.Cases {
		t.Run(c.Name, func(t *testing.T) {
			reg, first := registryWith(c.Registry...)
			r := NewIndex(reg).Best(c.List, DefaultConfig())
			if r.Decision != c.Want {
				t.Fatalf("decision %s (score %.3f), want %s: %s", r.Decision, r.Score, c.Want, r.Reason())
			}
			same := make([]int, len(c.Same))
			for i, k := range c.Same {
				same[i] = first + k
			}
			if !slices.Contains(same, r.RegistryIndex) {
				t.Fatalf("best candidate %d, want one of %v: %s", r.RegistryIndex, same, r.Reason())
			}
			var want []int
			for _, k := range same {
				if k != r.RegistryIndex {
					want = append(want, k)
				}
			}
			if !slices.Equal(r.SameEntries, want) {
				t.Errorf("same entries %v, want %v: %s", r.SameEntries, want, r.Reason())
			}
			var sum float64
			for _, cand := range r.Candidates {
				if slices.Contains(same, cand.RegistryIndex) {
					sum += cand.Score
				}
				if cand.SameAsBest != slices.Contains(r.SameEntries, cand.RegistryIndex) || cand.SameAsBest != slices.Contains(cand.Reasons, "same_entry") {
					t.Errorf("candidate %d: SameAsBest %v, reasons %v", cand.RegistryIndex, cand.SameAsBest, cand.Reasons)
				}
			}
			if diff := r.Score - sum; diff > 1e-9 || diff < -1e-9 {
				t.Errorf("score %.6f, want the sum %.6f over the person's records", r.Score, sum)
			}
			if len(want) > 0 && !strings.Contains(r.Reason(), "records the same person") {
				t.Errorf("reason does not name the second record: %s", r.Reason())
			}
			for i := range c.Registry {
				if k := first + i; !slices.Contains(same, k) && !slices.ContainsFunc(r.Candidates, func(cand Candidate) bool { return cand.RegistryIndex == k }) {
					t.Errorf("registry row %d, another person, is not among the candidates shown: %s", k, r.Reason())
				}
			}
		})
	}
}
