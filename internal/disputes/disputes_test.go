package disputes

import (
	"strings"
	"testing"

	"parley/internal/lists"
)

func TestClosing(t *testing.T) {
	next := &lists.List{ID: "L2", RootID: "L1", Version: 2}
	changed := map[int]bool{3: true}
	tests := []struct {
		name string
		d    Dispute
		want string // substring; "" for not closed
	}{
		{"answered new version", Dispute{Kind: Reservation, ListID: "L1", RootID: "L1", State: Answered, Answer: NewVersion}, ClosedNewVersion},
		{"contested row changed", Dispute{Kind: Contest, ListID: "L1", RootID: "L1", Row: 3, State: Open}, ClosedRowChanged},
		{"contested row unchanged", Dispute{Kind: Contest, ListID: "L1", RootID: "L1", Row: 4, State: Open}, ""},
		{"rejected, row unchanged", Dispute{Kind: Contest, ListID: "L1", RootID: "L1", Row: 4, State: Answered, Answer: Rejected}, ""},
		{"another list", Dispute{Kind: Contest, ListID: "M1", RootID: "M1", Row: 3, State: Open}, ""},
		{"already closed", Dispute{Kind: Contest, ListID: "L1", RootID: "L1", Row: 3, State: Closed}, ""},
		{"about this very version", Dispute{Kind: Claim, ListID: "L2", RootID: "L1", State: Answered, Answer: NewVersion}, ""},
	}
	for _, tt := range tests {
		got := Closing(&tt.d, next, changed)
		if got != tt.want {
			t.Errorf("%s: Closing = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestChangedRows(t *testing.T) {
	d := &lists.Diff{Changed: []lists.Change{{OldRow: 2, NewRow: 2}}, Removed: []lists.Entry{{Row: 5}}, Added: []lists.Entry{{Row: 7}}}
	got := ChangedRows(d)
	if !got[2] || !got[5] || got[7] || len(got) != 2 {
		t.Errorf("ChangedRows = %v", got)
	}
}

func TestChecks(t *testing.T) {
	for _, r := range Reasons() {
		if !r.Valid() {
			t.Errorf("reason %s invalid", r)
		}
	}
	if Reason("dislike").Valid() {
		t.Error("an unknown reason is valid")
	}
	tests := []struct {
		a      Answer
		reason string
		ok     bool
	}{
		{Accepted, "", true},
		{Rejected, "", false},
		{Rejected, "he is held in camp 5", true},
		{NewVersion, "", true},
		{"maybe", "", false},
		{Accepted, "bad\x00text", false},
		{Accepted, strings.Repeat("x", MaxNote+1), false},
	}
	for _, tt := range tests {
		if err := CheckAnswer(tt.a, tt.reason); (err == nil) != tt.ok {
			t.Errorf("CheckAnswer(%q, %.20q) = %v", tt.a, tt.reason, err)
		}
	}
}
