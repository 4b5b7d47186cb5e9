package web

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"parley/internal/access"
	"parley/internal/service"
)

func init() {
	matrixExtras = append(matrixExtras, func(*testing.T) map[string]matrixCase {
		return map[string]matrixCase{
			// A run's export: the receiving party's officers only.
			"GET /match-runs/{id}/export": {func(e *env, f *fixtures) probe {
				return probe{path: "/match-runs/" + newMatchRun(e, f.sentA) + "/export?format=csv"}
			}, w(s303, s404, s200, s403, s403, s403)},
		}
	})
}

// shownRowOrder is the list rows a run page shows, in order.
func shownRowOrder(body string) []int {
	var out []int
	for _, m := range matchRowIDs.FindAllStringSubmatch(body, -1) {
		n, _ := strconv.Atoi(m[1])
		out = append(out, n)
	}
	return out
}

// TestMatchRunTable searches, sorts and exports the rows of a run as its
// page shows them: the search box reads the listed person as on every
// other table (a name in either script, a date of birth as typed, a
// service number, a row), the column headers sort, and the export holds
// the filtered rows only, in the same order.
func TestMatchRunTable(t *testing.T) {
	e, listID := matchEnv(t)
	runID := newMatchRun(e, listID)
	b := e.login(roleOfficerB)
	page := func(query string) []int {
		t.Helper()
		resp, body := b.get("/match-runs/" + runID + "?" + query)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", query, resp.StatusCode)
		}
		return shownRowOrder(body)
	}
	for _, c := range []struct {
		typed string
		want  []int
	}{
		{"", []int{1, 2, 3, 4}},
		{"Шевченко", []int{1}},
		{"Shevchenko", []int{1}},
		{"shevch taras", []int{1}},
		{"Коваль Олена", []int{2}},
		{"Koval", []int{2}},
		{"09.03.1994", []int{1}},
		{"1994-03-09", []int{1}},
		{"1985", []int{3}},
		{"АА-4455", []int{4}},
		{"2", []int{2}},
		{"Шевченко 1985", nil},
		{"Nobody", nil},
	} {
		if got := page("q=" + url.QueryEscape(c.typed)); !slices.Equal(got, c.want) {
			t.Errorf("search %q shows rows %v, want %v", c.typed, got, c.want)
		}
	}

	// Sorting by score, both ways; ties in row order.
	view := serviceRun(e, runID)
	byScore := slices.Clone(view.Rows)
	slices.SortStableFunc(byScore, func(a, b service.MatchRowDetail) int {
		if a.Score != b.Score {
			if a.Score < b.Score {
				return -1
			}
			return 1
		}
		return a.ListRow - b.ListRow
	})
	var want []int
	for _, r := range byScore {
		want = append(want, r.ListRow)
	}
	if got := page("sort=score"); !slices.Equal(got, want) {
		t.Errorf("sorted by score: %v, want %v", got, want)
	}
	slices.Reverse(want)
	if got := page("sort=score&dir=desc"); !slices.Equal(got, want) {
		t.Errorf("sorted by score, descending: %v, want %v", got, want)
	}
	// Sorting by decision: matches, then reviews, then none.
	order := map[string]int{"match": 0, "review": 1, "none": 2}
	got := page("sort=decision")
	if len(got) != 4 || !slices.IsSortedFunc(got, func(x, y int) int {
		return order[matchRowOf(view, x).Decision] - order[matchRowOf(view, y).Decision]
	}) {
		t.Errorf("sorted by decision: %v", got)
	}
	if got := page("sort=row&dir=desc"); !slices.Equal(got, []int{4, 3, 2, 1}) {
		t.Errorf("rows descending: %v", got)
	}
	// The header link of the sorted column turns the order round, keeping
	// the search.
	_, body := b.get("/match-runs/" + runID + "?sort=score&q=Shevchenko")
	if !strings.Contains(body, `href="/match-runs/`+runID+`?dir=desc&amp;q=Shevchenko&amp;sort=score"`) || !strings.Contains(body, `aria-sort="ascending"`) {
		t.Errorf("score header does not turn the order round:\n%.3000s", body[strings.Index(body, "<thead>"):])
	}
	// The print view shows every filtered row on one page.
	if got := page("view=print&decision=" + view.Rows[0].Decision); len(got) == 0 {
		t.Errorf("print view shows no rows")
	}

	// The export holds the filtered rows only, in the page's language.
	resp, csv := b.get("/match-runs/" + runID + "/export?format=csv&q=" + url.QueryEscape("Шевченко"))
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export csv: %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
	if !strings.Contains(csv, "Шевченко") || strings.Contains(csv, "Коваль") || strings.Contains(csv, "Мельник") || !strings.Contains(csv, "Score") {
		t.Errorf("export of the search for Шевченко:\n%s", csv)
	}
	resp, csv = b.get("/match-runs/"+runID+"/export?format=csv&sort=row&dir=desc", "Accept-Language", "uk")
	if lines := strings.Split(strings.TrimSpace(csv), "\n"); resp.StatusCode != http.StatusOK || len(lines) != 5 || !strings.Contains(lines[1], "Мельник") {
		t.Errorf("export of every row, descending, in Ukrainian (%d):\n%s", resp.StatusCode, csv)
	}
	resp, xlsx := b.get("/match-runs/" + runID + "/export?format=xlsx&q=Koval")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(xlsx, "PK") {
		t.Errorf("export xlsx: %d, %.4q", resp.StatusCode, xlsx)
	}
	resp, pdf := b.get("/match-runs/" + runID + "/export?format=pdf&q=1985")
	if resp.StatusCode != http.StatusOK || !bytes.HasPrefix([]byte(pdf), []byte("%PDF")) {
		t.Errorf("export pdf: %d, %.8q", resp.StatusCode, pdf)
	}
	if resp, _ := b.get("/match-runs/" + runID + "/export?format=doc"); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("export in an unknown format: %d", resp.StatusCode)
	}
	// The other party's officer reads neither the rows nor their export.
	a := e.login(roleOfficerA)
	for _, path := range []string{"/match-runs/" + runID + "/export?format=csv", "/match-runs/" + runID + "/export?format=pdf"} {
		if resp, body := a.get(path); resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusForbidden || strings.Contains(body, "Шевченко") {
			t.Errorf("officer A: %s: %d", path, resp.StatusCode)
		}
	}
	// Exports are in the access log.
	log, err := e.svc.AccessLogPage(t.Context(), access.System, service.AccessQuery{Action: "match.export", Subject: runID})
	if err != nil {
		t.Fatal(err)
	}
	if log.Total != 4 {
		t.Errorf("%d exports of the run in the access log, want 4", log.Total)
	}
}
