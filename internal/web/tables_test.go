package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"parley/internal/access"
	"parley/internal/listfile"
	"parley/internal/service"
)

func init() {
	matrixExtras = append(matrixExtras, func(*testing.T) map[string]matrixCase {
		return map[string]matrixCase{
			// The left-off report's export: the receiving party's officers only.
			"GET /match-runs/{id}/left-off/export": {func(e *env, f *fixtures) probe {
				return probe{path: "/match-runs/" + newMatchRun(e, f.sentA) + "/left-off/export?format=csv"}
			}, w(s303, s404, s200, s403, s403, s403)},
		}
	})
}

// bigList is a list A→B of n persons made from a few names, dates and
// categories, with one person who is unique: Ткаченко Олена, born on
// 29 December 1997, wounded.
type bigList struct {
	id       string
	byCounts map[string]int
}

func (e *env) importBigList(n int) *bigList {
	e.t.Helper()
	l := &bigList{byCounts: map[string]int{}}
	var b strings.Builder
	b.WriteString("surname,given_names,birth_date,service_number,categories\n")
	for i := 1; i <= n; i++ {
		sur, given := regSurnames[i%len(regSurnames)], regGiven[(i/len(regSurnames))%len(regGiven)]
		birth := fmt.Sprintf("%d-%02d-%02d", 1970+i%30, 1+i%12, 1+i%28)
		cat := ""
		if i%3 == 0 {
			cat = "wounded"
		}
		if i == n/2 {
			sur, given, birth, cat = "Ткаченко", "Олена", "1997-12-29", "wounded"
		}
		if cat == "wounded" {
			l.byCounts["wounded"]++
			if strings.HasPrefix(birth, "1997") {
				l.byCounts["wounded 1997"]++
			}
		}
		if strings.HasPrefix(birth, "1997") {
			l.byCounts["1997"]++
		}
		if sur == "Шевченко" {
			l.byCounts["Shevchenko"]++
		}
		fmt.Fprintf(&b, "%s,%s,%s,SN-%05d,%s\n", sur, given, birth, i, cat)
	}
	res, err := e.svc.ImportList(e.t.Context(), access.System, service.ImportRequest{From: "A", To: "B", Title: "Big list", Format: "csv"}, strings.NewReader(b.String()))
	if err != nil {
		e.t.Fatal(err)
	}
	l.id = res.List.ID
	return l
}

// TestListTable searches, filters, sorts and pages one list's persons
// through its page, and exports and prints what the page shows.
func TestListTable(t *testing.T) {
	e := newEnv(t)
	l := e.importBigList(640)
	off := e.login(roleOfficerA)
	page := func(q url.Values) (rows int, total, body string) {
		t.Helper()
		resp, body := off.get("/lists/" + l.id + "?" + q.Encode())
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("list?%s: %d", q.Encode(), resp.StatusCode)
		}
		total = "0"
		if m := shownRe.FindStringSubmatch(body); m != nil {
			total = strings.ReplaceAll(m[3], ",", "")
		} else if !strings.Contains(body, `id="shown"`) {
			t.Fatalf("list?%s shows no count", q.Encode())
		}
		return strings.Count(body, `<tr data-row=`), total, body
	}
	for _, c := range []struct {
		q    url.Values
		want int
	}{
		{url.Values{}, 640},
		{url.Values{"q": {"Shevchenko"}}, l.byCounts["Shevchenko"]},
		{url.Values{"q": {"шевченко"}}, l.byCounts["Shevchenko"]},
		{url.Values{"q": {"Ткаченко Елена"}}, 1}, // the Russian form of the name
		{url.Values{"q": {"29.12.1997"}}, 1},
		{url.Values{"q": {"1997"}}, l.byCounts["1997"]},
		{url.Values{"q": {"поранений"}}, l.byCounts["wounded"]},
		{url.Values{"q": {"1997"}, "category": {"wounded"}}, l.byCounts["wounded 1997"]},
		{url.Values{"q": {"SN-00007"}}, 1},
		{url.Values{"q": {"Nobody-at-all"}}, 0},
	} {
		rows, total, _ := page(c.q)
		if total != fmt.Sprint(c.want) || rows != min(c.want, 50) {
			t.Errorf("%v: %d rows of %s, want %d of %d", c.q, rows, total, min(c.want, 50), c.want)
		}
	}
	// The last page, past the end, and the print view with every row.
	if _, _, body := page(url.Values{"page": {"99"}}); !strings.Contains(body, `id="shown">`) || shownRe.FindStringSubmatch(body)[1] != "601" {
		t.Errorf("past the end: %v", shownRe.FindStringSubmatch(body))
	}
	if rows, _, body := page(url.Values{"view": {"print"}, "category": {"wounded"}}); rows != l.byCounts["wounded"] || strings.Contains(body, `class="pager"`) {
		t.Errorf("print view: %d rows, want %d, without a pager", rows, l.byCounts["wounded"])
	}
	births := func(body string) []string {
		var out []string
		for _, m := range regexp.MustCompile(`data-birth="([^"]*)"`).FindAllStringSubmatch(body, -1) {
			out = append(out, m[1])
		}
		return out
	}
	_, _, asc := page(url.Values{"sort": {"birth"}})
	_, _, desc := page(url.Values{"sort": {"birth"}, "dir": {"desc"}})
	if a, d := births(asc), births(desc); len(a) != 50 || !slices.IsSorted(a) || a[0] >= d[0] || d[0] < d[49] {
		t.Errorf("sort by birth: ascending %v…, descending %v…", a[:2], d[:2])
	}

	// The export takes the whole filtered table in the page's order: the
	// clerk's CSV with a BOM in the page's language, or XLSX.
	q := "q=" + url.QueryEscape("поранений") + "&sort=birth&dir=desc"
	resp, csv := off.get("/lists/"+l.id+"/export?format=csv&"+q, "Accept-Language", "uk")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(csv, "\ufeff") {
		t.Fatalf("CSV export: %d, starts %q", resp.StatusCode, csv[:min(len(csv), 10)])
	}
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if len(lines)-1 != l.byCounts["wounded"] {
		t.Errorf("CSV export of the wounded: %d rows, want %d", len(lines)-1, l.byCounts["wounded"])
	}
	if !strings.Contains(lines[0], "Прізвище") || !strings.Contains(strings.ToLower(csv), "поранен") {
		t.Errorf("CSV export is not the clerk's in Ukrainian: %q", lines[0])
	}
	read := func(format listfile.Format, body string) []string {
		t.Helper()
		res, err := listfile.Read(strings.NewReader(body), listfile.Options{Format: format})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range res.Rows {
			if !slices.Contains(r.Person.Categories, "wounded") {
				t.Errorf("%s export holds %s, who is not wounded", format, r.Person.FullName())
			}
			out = append(out, r.Person.BirthDate.String())
		}
		return out
	}
	if got := read(listfile.CSV, csv); len(got) != l.byCounts["wounded"] || !slices.IsSortedFunc(got, func(a, b string) int { return strings.Compare(b, a) }) {
		t.Errorf("CSV export: %d rows, in order of birth descending: %v", len(got), slices.IsSortedFunc(got, func(a, b string) int { return strings.Compare(b, a) }))
	}
	resp, xlsx := off.get("/lists/" + l.id + "/export?format=xlsx&" + q)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != exportTypes[listfile.XLSX] || !bytes.HasPrefix([]byte(xlsx), []byte("PK")) {
		t.Fatalf("XLSX export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if got := read(listfile.XLSX, xlsx); len(got) != l.byCounts["wounded"] {
		t.Errorf("XLSX export: %d rows, want %d", len(got), l.byCounts["wounded"])
	}
	// Whoever may not see the list gets nothing from its export.
	if resp, _ := e.login(roleOfficerB).get("/lists/" + l.id + "/export?format=csv&q=1997"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("export of a draft to the other side: %d", resp.StatusCode)
	}
}

// TestListsTable filters the lists page by state, party and a person a
// list holds, and sorts it.
func TestListsTable(t *testing.T) {
	e := newEnv(t)
	l := e.importBigList(60)
	other := e.importList("A", "B", "good.csv", "Second list", "")
	off := e.login(roleOfficerA)
	titles := func(q string) []string {
		t.Helper()
		resp, body := off.get("/lists?" + q)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("lists?%s: %d", q, resp.StatusCode)
		}
		var out []string
		for _, m := range regexp.MustCompile(`<td><a href="/lists/([^"]+)">`).FindAllStringSubmatch(body, -1) {
			out = append(out, m[1])
		}
		return out
	}
	if got := titles(""); len(got) != 2 {
		t.Errorf("all lists: %v", got)
	}
	if got := titles("q=" + url.QueryEscape("Ткаченко Олена")); !slices.Equal(got, []string{l.id}) {
		t.Errorf("lists holding Ткаченко Олена: %v, want %s", got, l.id)
	}
	if got := titles("q=" + url.QueryEscape("second")); !slices.Equal(got, []string{other}) {
		t.Errorf("lists titled second: %v, want %s", got, other)
	}
	if got := titles("sort=entries&dir=desc"); !slices.Equal(got, []string{l.id, other}) {
		t.Errorf("lists by size: %v", got)
	}
	if got := titles("status=acknowledged"); len(got) != 0 {
		t.Errorf("acknowledged lists: %v", got)
	}
	if got := titles("from=2000-01-01&to=2000-12-31"); len(got) != 0 {
		t.Errorf("lists made in 2000: %v", got)
	}
}

// TestLeftOffTable pages and exports the left-off report.
func TestLeftOffTable(t *testing.T) {
	e, listID := matchEnv(t)
	runID := newMatchRun(e, listID)
	off := e.login(roleOfficerB)
	all, err := e.svc.LeftOffReport(t.Context(), access.System, runID)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		t.Fatal("the fixture leaves nobody off")
	}
	resp, body := off.get("/match-runs/" + runID + "/left-off?view=print")
	if resp.StatusCode != http.StatusOK || strings.Count(body, "<tr>\n      <td><code>") != len(all) {
		t.Errorf("left-off print view: %d, %d rows, want %d", resp.StatusCode, strings.Count(body, "<tr>\n      <td><code>"), len(all))
	}
	resp, csv := off.get("/match-runs/" + runID + "/left-off/export?format=csv")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(csv, "\ufeff") || strings.Count(strings.TrimSpace(csv), "\n") != len(all) {
		t.Errorf("left-off export: %d, %d lines, want %d", resp.StatusCode, strings.Count(strings.TrimSpace(csv), "\n"), len(all))
	}
	first := all[0].Person.Surname
	resp, csv = off.get("/match-runs/" + runID + "/left-off/export?format=csv&q=" + url.QueryEscape(first))
	if resp.StatusCode != http.StatusOK || !strings.Contains(csv, first) || strings.Count(strings.TrimSpace(csv), "\n") > len(all) {
		t.Errorf("left-off export of %s: %d\n%s", first, resp.StatusCode, csv)
	}
	if resp, _ := off.get("/match-runs/" + runID + "/left-off/export?format=pdf"); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("an unknown format: %d", resp.StatusCode)
	}
}

// TestBrowserListTable pages, filters and sorts a list of 640 persons in
// Chromium.
func TestBrowserListTable(t *testing.T) {
	bctx := newChromium(t)
	e := newEnv(t)
	l := e.importBigList(640)
	c := tab(t, bctx)
	signIn(t, c, e.ts.URL, roleOfficerA)
	run(t, c, "list",
		chromedp.Navigate(e.ts.URL+"/lists/"+l.id),
		chromedp.WaitVisible(chromedp.CSS("#entries")),
	)
	rows := func() int { return eval[int](t, c, `document.querySelectorAll("#entries tbody tr").length`) }
	if n := rows(); n != 50 {
		t.Errorf("first page shows %d rows", n)
	}
	if got := text(t, c, "#shown"); !strings.Contains(got, "640") {
		t.Errorf("count %q", got)
	}
	run(t, c, "next page",
		chromedp.Click(chromedp.CSS("#next-page")),
		chromedp.WaitVisible(chromedp.CSS(`#entries tbody tr[data-row="51"]`)),
	)
	run(t, c, "filter",
		chromedp.SetValue(chromedp.CSS("#q"), "1997"),
		chromedp.SetValue(chromedp.CSS("#f-category"), "wounded"),
		chromedp.Click(chromedp.CSS(`#table-search button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#search-clear")),
	)
	if n := rows(); n != l.byCounts["wounded 1997"] {
		t.Errorf("the wounded born in 1997: %d rows, want %d", n, l.byCounts["wounded 1997"])
	}
	if n := eval[int](t, c, `[...document.querySelectorAll("#entries tbody tr")].filter(tr => !tr.querySelector("[data-birth^='1997']") || !tr.querySelector(".cat-wounded")).length`); n != 0 {
		t.Errorf("%d rows outside the filter", n)
	}
	run(t, c, "sort",
		chromedp.Click(chromedp.CSS("#sort-birth")),
		chromedp.WaitVisible(chromedp.CSS(`th[aria-sort="ascending"] #sort-birth`)),
		chromedp.Click(chromedp.CSS("#sort-birth")),
		chromedp.WaitVisible(chromedp.CSS(`th[aria-sort="descending"] #sort-birth`)),
	)
	if !eval[bool](t, c, `(() => { const b = [...document.querySelectorAll("#entries [data-birth]")].map(n => n.dataset.birth); return b.length > 1 && b.every((x, i) => i == 0 || b[i-1] >= x) })()`) {
		t.Error("rows are not in descending order of birth")
	}
	if got := eval[string](t, c, `location.search`); !strings.Contains(got, "q=1997") || !strings.Contains(got, "category=wounded") || !strings.Contains(got, "dir=desc") {
		t.Errorf("the sort lost the filter: %s", got)
	}
	if href := eval[string](t, c, `document.querySelector("#export-xlsx").getAttribute("href")`); !strings.Contains(href, "category=wounded") || !strings.Contains(href, "dir=desc") {
		t.Errorf("the export does not follow the table: %s", href)
	}
	run(t, c, "print view",
		chromedp.Click(chromedp.CSS("#view-print")),
		chromedp.WaitVisible(chromedp.CSS("#view-pages")),
	)
	if n := rows(); n != l.byCounts["wounded 1997"] {
		t.Errorf("print view: %d rows", n)
	}
	screenshot(t, c, "list-table")
}
