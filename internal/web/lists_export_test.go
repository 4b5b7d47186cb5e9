package web

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func init() {
	matrixExtras = append(matrixExtras, func(*testing.T) map[string]matrixCase {
		return map[string]matrixCase{
			// The lists page's table as a file: whoever sees the lists
			// page, each the lists it shows them.
			"GET /lists/export": {fixed("/lists/export?format=csv&status=handed_over"), w(s303, s200, s200, s200, s200, s403)},
		}
	})
}

// TestListsTableExport exports and prints the lists page's table as
// filtered and sorted there: every list under the filter, not only the
// page shown, in the page's language.
func TestListsTableExport(t *testing.T) {
	e := newEnv(t)
	big := e.importBigList(60)
	other := e.importList("A", "B", "good.csv", "Second list", "")
	off := e.login(roleOfficerA)
	_, page := off.get("/lists")
	for _, id := range []string{"export-csv", "export-xlsx", "export-pdf", "view-print"} {
		if !strings.Contains(page, `id="`+id+`"`) {
			t.Errorf("the lists page has no %s", id)
		}
	}
	for _, c := range []struct {
		name, q string
		want    []string // list ids, in order
	}{
		{"all, largest first", "sort=entries&dir=desc", []string{big.id, other}},
		{"all, smallest first", "sort=entries", []string{other, big.id}},
		{"holding a person", "q=" + url.QueryEscape("Ткаченко Олена"), []string{big.id}},
		{"by title", "q=second", []string{other}},
		{"none acknowledged", "status=acknowledged", nil},
	} {
		resp, csv := off.get("/lists/export?format=csv&" + c.q)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(csv, "\ufeff") {
			t.Errorf("%s: %d", c.name, resp.StatusCode)
			continue
		}
		lines := strings.Split(strings.TrimSpace(csv), "\n")
		if !strings.Contains(lines[0], "Persons") || len(lines) != len(c.want)+1 {
			t.Errorf("%s: %q", c.name, lines)
			continue
		}
		for i, id := range c.want {
			if !strings.Contains(lines[i+1], id) {
				t.Errorf("%s: row %d is %q, want list %s", c.name, i+1, lines[i+1], id)
			}
		}
	}
	resp, csv := off.get("/lists/export?format=csv", "Accept-Language", "ru")
	if resp.StatusCode != http.StatusOK || !strings.Contains(csv, "Идентификатор") || !strings.Contains(csv, "Big list") {
		t.Errorf("the export in Russian: %d\n%s", resp.StatusCode, csv)
	}
	resp, xlsx := off.get("/lists/export?format=xlsx&q=" + url.QueryEscape("Ткаченко Олена"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("xlsx: %d", resp.StatusCode)
	}
	x, err := excelize.OpenReader(bytes.NewReader([]byte(xlsx)))
	if err != nil {
		t.Fatal(err)
	}
	if rows, err := x.GetRows("Table"); err != nil || len(rows) != 2 || rows[1][0] != "Big list" {
		t.Errorf("xlsx: %q, %v", rows, err)
	}
	resp, pdf := off.get("/lists/export?format=pdf&status=draft")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf, "%PDF") {
		t.Errorf("pdf: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp, _ := off.get("/lists/export?format=doc"); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("an unknown format: %d", resp.StatusCode)
	}
	// The print view holds every list under the filter on one page.
	_, printView := off.get("/lists?view=print&sort=title")
	if !strings.Contains(printView, `id="view-pages"`) || !strings.Contains(printView, big.id) || !strings.Contains(printView, other) {
		t.Error("the print view lacks a list")
	}
	// Officer B sees no draft of A's in the file.
	if _, csv := e.login(roleOfficerB).get("/lists/export?format=csv"); strings.Contains(csv, big.id) || strings.Contains(csv, other) {
		t.Errorf("officer B's export holds A's drafts:\n%s", csv)
	}
}
