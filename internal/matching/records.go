package matching

import (
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The records of matching as the service returns them and storage keeps
// them: runs, their rows with reviews, and the registry's versions.

// Run is one run of matching a received list against a registry.
type Run struct {
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

// Row is the result for one entry of the list, with its review. The
// entry and the registry records are named by their lasting ids; ListRow
// is the entry's row in the run's version of the list, for people to read.
type Row struct {
	EntryID    string  `json:"entry_id"`
	ListRow    int     `json:"list_row"`
	RegistryID string  `json:"registry_id,omitempty"` // "" when none
	Score      float64 `json:"score"`
	Decision   string  `json:"decision"` // match, review, none
	Reason     string  `json:"reason"`
	// Candidates are "id:score" pairs, best first, separated by spaces;
	// ids are path-escaped (see CandidateList).
	Candidates string    `json:"candidates,omitempty"`
	Review     string    `json:"review"` // pending, confirmed, rejected
	ReviewedID string    `json:"reviewed_id,omitempty"`
	ReviewedBy string    `json:"reviewed_by,omitempty"`
	ReviewedAt time.Time `json:"reviewed_at,omitzero"`
	// ReviewReason says, as a code, why a review is pending again (see
	// service.ReviewReason*), with ReviewParams.
	ReviewReason string            `json:"review_reason,omitempty"`
	ReviewParams map[string]string `json:"review_params,omitempty"`
	// CarriedFrom is the run on an earlier version of the list whose review
	// this row carries.
	CarriedFrom string `json:"carried_from,omitempty"`
}

// RowCandidate is one registry record the matcher considered for a
// stored row.
type RowCandidate struct {
	ID    string  `json:"registry_id"`
	Score float64 `json:"score"`
}

// CandidateText encodes candidates for Row.Candidates.
func CandidateText(cs []RowCandidate) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = url.PathEscape(c.ID) + ":" + strconv.FormatFloat(c.Score, 'f', 4, 64)
	}
	return strings.Join(parts, " ")
}

// CandidateList decodes Row.Candidates.
func CandidateList(s string) []RowCandidate {
	var out []RowCandidate
	for _, f := range strings.Fields(s) {
		i := strings.LastIndexByte(f, ':')
		if i <= 0 {
			continue
		}
		id, err := url.PathUnescape(f[:i])
		if err != nil {
			continue
		}
		sc, err := strconv.ParseFloat(f[i+1:], 64)
		if err != nil {
			continue
		}
		out = append(out, RowCandidate{ID: id, Score: sc})
	}
	return out
}

// RegistryVersion is one import of a party's registry of missing people.
type RegistryVersion struct {
	Party      string    `json:"party"`
	Version    int       `json:"version"`
	SourceName string    `json:"source_name,omitempty"`
	Records    int       `json:"records"`
	Added      int       `json:"added"`
	Changed    int       `json:"changed"`
	Removed    int       `json:"removed"`
	CreatedBy  string    `json:"created_by,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}
