package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"parley/internal/pfif"
	"parley/internal/service"
)

func init() {
	matrixExtras = append(matrixExtras, func(t *testing.T) map[string]matrixCase {
		officers := w(s303, s200, s200, s403, s403, s403)
		return map[string]matrixCase{
			"GET /pfif":        {fixed("/pfif"), officers},
			"GET /pfif/export": {fixed("/pfif/export"), officers},
			"POST /pfif/import": {func(e *env, _ *fixtures) probe {
				return probe{path: "/pfif/import", upload: &upload{"inquiries.pfif.xml", fileBytes(e.t, "inquiries.pfif.xml"), map[string]string{"kind": "pow"}}}
			}, officers},
		}
	})
}

// TestPFIFPages imports a PFIF file as A's officer (a nameless record is
// left out and said why, a second import adds nothing), exports it again
// as a PFIF document the reader accepts, and shows B nothing of A's.
func TestPFIFPages(t *testing.T) {
	e := newEnv(t)
	a := e.login(roleOfficerA)
	a.get("/pfif")
	importFile := func() string {
		t.Helper()
		code, page := a.do(http.MethodPost, probe{path: "/pfif/import", upload: &upload{"inquiries.pfif.xml", fileBytes(t, "inquiries.pfif.xml"), map[string]string{"kind": "pow"}}})
		if code != http.StatusOK {
			t.Fatalf("import: %d", code)
		}
		return page
	}
	tests := []struct {
		name string
		want []string
	}{
		{"first", []string{"Inquiries imported: 2. Records left out: 1.", "example.org/person.3", "it has no name"}},
		{"again", []string{"Inquiries imported: 0. Records left out: 3.", "imported before"}},
	}
	for _, tt := range tests {
		page := importFile()
		for _, s := range tt.want {
			if !strings.Contains(page, s) {
				t.Errorf("%s import: the page lacks %q", tt.name, s)
			}
		}
	}
	resp, body := a.get("/pfif/export?domain=parley.example.org")
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), "inquiries-A.pfif.xml") {
		t.Fatalf("export: %d %s", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
	doc, err := pfif.Parse(strings.NewReader(body), pfif.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Persons) != 2 {
		t.Errorf("exported %d persons, want 2", len(doc.Persons))
	}
	b := e.login(roleOfficerB)
	if resp, body := b.get("/pfif/export"); resp.StatusCode != http.StatusOK || strings.Contains(body, "Шевченко") {
		t.Errorf("B's export: %d, holds A's inquiries: %v", resp.StatusCode, strings.Contains(body, "Шевченко"))
	}
	pg, err := e.svc.AccessLogPage(context.Background(), e.actor(roleAdmin), service.AccessQuery{Action: "inquiries.export"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.Records) != 2 {
		t.Errorf("access log holds %d exports, want 2", len(pg.Records))
	}
}
