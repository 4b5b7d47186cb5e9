package listfile

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"parley/internal/category"
	"parley/internal/msg"
)

// problemCase is one row of testdata/problems-i18n.csv: the kind of
// problem it holds and a phrase each language must use for it.
type problemCase struct {
	Row  int    `json:"row"`
	Kind string `json:"kind"`
	UK   string `json:"uk"`
	RU   string `json:"ru"`
}

// TestProblemKindsInEveryLanguage reads a file with one mistake a row and
// checks that each problem has the expected kind, and that in Ukrainian
// and Russian it reads as the translator wrote it, not as the English.
func TestProblemKindsInEveryLanguage(t *testing.T) {
	var cases []problemCase
	b, err := os.ReadFile("testdata/problems-i18n.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("testdata/problems-i18n.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cat, err := category.NewCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	res, err := Read(f, Options{Format: "csv", Catalogue: cat})
	if err != nil {
		t.Fatal(err)
	}
	byRow := map[int]Problem{}
	for _, p := range res.Problems {
		if _, seen := byRow[p.Row]; !seen {
			byRow[p.Row] = p
		}
	}
	for _, c := range cases {
		p, ok := byRow[c.Row]
		if !ok {
			t.Errorf("row %d: no problem, want %s", c.Row, c.Kind)
			continue
		}
		if p.Msg.Code != c.Kind {
			t.Errorf("row %d: kind %q, want %q (%s)", c.Row, p.Msg.Code, c.Kind, p)
			continue
		}
		en := p.ReasonIn("en")
		for lang, want := range map[string]string{"uk": c.UK, "ru": c.RU} {
			got := p.TextIn(lang)
			if !strings.Contains(got, want) {
				t.Errorf("row %d %s: %q lacks %q", c.Row, lang, got, want)
			}
			if strings.Contains(got, en) {
				t.Errorf("row %d %s: %q holds the English %q", c.Row, lang, got, en)
			}
		}
	}
	if got := msg.Text("uk", msg.New("listfile.place.row", "row", msg.Plain(1234), "reason", "x")); got != "рядок 1234: x" {
		t.Errorf("a row number is written %q, want it without grouping", got)
	}
}
