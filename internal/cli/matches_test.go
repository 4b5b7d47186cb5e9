package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestMatchesCommands(t *testing.T) {
	g := initDir(t, "")
	if code, _, errOut := run(t, append(g, "registry", "import", "testdata/registry-B.csv", "--party", "B")...); code != 0 {
		t.Fatal(errOut)
	}
	_, out, _ := run(t, append(g, "list", "import", "../service/testdata/first-list.csv", "--from", "A", "--to", "B", "--title", "first")...)
	id := strings.TrimSpace(out)
	if code, _, errOut := run(t, append(g, "matches", "run", id)...); code == 0 || !strings.Contains(errOut, "not been handed over") {
		t.Errorf("matching a draft: exit %d, %q", code, errOut)
	}
	run(t, append(g, "list", "handover", id)...)
	code, out, errOut := run(t, append(g, "matches", "run", id)...)
	if code != 0 {
		t.Fatalf("matches run: %s", errOut)
	}
	runID := strings.TrimSpace(out)
	_, out, _ = run(t, append(g, "matches", "show", runID, "--json")...)
	var v struct {
		Rows []struct {
			ListRow    int    `json:"list_row"`
			Decision   string `json:"decision"`
			Registered struct {
				Row int `json:"row"`
			} `json:"registered"`
		}
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("show --json: %v", err)
	}
	// Шевченко Сергей Николаевич ↔ Шевченко Сергій Миколайович, and so on:
	// the same three persons in Russian and Ukrainian forms.
	want := map[int]int{1: 1, 2: 2, 3: 3}
	for _, r := range v.Rows {
		if r.Decision != "match" || r.Registered.Row != want[r.ListRow] {
			t.Errorf("list row %d → registry row %d (%s), want %d match", r.ListRow, r.Registered.Row, r.Decision, want[r.ListRow])
		}
	}
	_, out, _ = run(t, append(g, "matches", "left-off", runID, "--json")...)
	var left []struct {
		Row     int
		Surname string
	}
	if err := json.Unmarshal([]byte(out), &left); err != nil || len(left) != 1 || left[0].Surname != "Ткаченко" {
		t.Errorf("left-off = %s, want Ткаченко alone (Коваленко is only missing, the others are on the list)", out)
	}
	if code, _, _ := run(t, append(g, "matches", "review", runID, "1", "--reject")...); code != 0 {
		t.Error("review failed")
	}
	_, out, _ = run(t, append(g, "matches", "left-off", runID, "--json")...)
	if err := json.Unmarshal([]byte(out), &left); err != nil || len(left) != 2 {
		t.Errorf("after rejecting row 1, left-off = %s, want Шевченко back", out)
	}
}
