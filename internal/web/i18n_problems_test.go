package web

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
)

// TestAPIImportProblemsInLanguage posts a file with one mistake a row
// (../listfile/testdata/problems-i18n.csv) with Accept-Language set, and
// checks that the error body carries the stable code and the message in
// that language, and every problem its kind and its reason in that
// language.
func TestAPIImportProblemsInLanguage(t *testing.T) {
	var cases []struct {
		Row    int
		Kind   string
		UK, RU string
	}
	b, err := os.ReadFile("../listfile/testdata/problems-i18n.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile("../listfile/testdata/problems-i18n.csv")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	tests := []struct {
		accept, message string
		phrase          func(i int) string
	}{
		{"uk-UA,uk;q=0.9,en;q=0.5", "нічого не імпортовано", func(i int) string { return cases[i].UK }},
		{"ru", "ничего не импортировано", func(i int) string { return cases[i].RU }},
		{"en-US", "nothing was imported", nil},
	}
	for _, tt := range tests {
		t.Run(tt.accept, func(t *testing.T) {
			req, _ := http.NewRequest("POST", e.ts.URL+APIPrefix+"/lists?to=B&title=x&format=csv", bytes.NewReader(file))
			req.Header.Set("Content-Type", "text/csv")
			req.Header.Set("Authorization", "Bearer "+e.tokens[roleOfficerA])
			req.Header.Set("Accept-Language", tt.accept)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d: %s", resp.StatusCode, raw)
			}
			var body struct {
				Code     string `json:"code"`
				Message  string `json:"message"`
				Problems []struct {
					Row    int    `json:"row"`
					Kind   string `json:"kind"`
					Reason string `json:"reason"`
				} `json:"problems"`
			}
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Fatal(err)
			}
			if body.Code != "import.refused" || !strings.Contains(body.Message, tt.message) {
				t.Errorf("code %q, message %q; want import.refused and %q", body.Code, body.Message, tt.message)
			}
			for i, c := range cases {
				found := false
				for _, p := range body.Problems {
					if p.Row != c.Row || p.Kind != c.Kind {
						continue
					}
					found = true
					if tt.phrase != nil && !strings.Contains(p.Reason, tt.phrase(i)) {
						t.Errorf("row %d (%s): %q lacks %q", c.Row, c.Kind, p.Reason, tt.phrase(i))
					}
				}
				if !found {
					t.Errorf("row %d: no problem of kind %s in %s", c.Row, c.Kind, raw)
				}
			}
		})
	}
}
