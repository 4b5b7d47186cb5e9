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
	"github.com/xuri/excelize/v2"

	"parley/internal/access"
	"parley/internal/families"
	"parley/internal/service"
)

func init() {
	matrixExtras = append(matrixExtras, func(*testing.T) map[string]matrixCase {
		// The inquiries name the relatives: the officers of a side see
		// those about their side, nobody else any.
		officers := w(s303, s200, s200, s403, s403, s403)
		return map[string]matrixCase{
			"GET /inquiries":        {fixed("/inquiries?q=1997&status=none&link=none&from=2000-01-01"), officers},
			"GET /inquiries/export": {fixed("/inquiries/export?format=csv&q=1997"), officers},
		}
	})
}

// inquiryFamily registers n inquiries about persons of party A, made from
// a few names and dates, with one who is unique (Ткаченко Олена, born on
// 29 December 1997), and two about persons of party B. It returns the
// reference of the unique one.
func (e *env) inquiryFamily(n int) string {
	e.t.Helper()
	ref := ""
	reg := func(party, sur, given, birth string, i int) string {
		r, err := e.svc.RegisterInquiry(e.t.Context(), families.Request{Surname: sur, GivenNames: given, BirthDate: birth, Party: party,
			Relationship: "parent", InquirerName: "Мати", Email: fmt.Sprintf("family%d@example.org", i), Consent: true}, service.RegisterOptions{})
		if err != nil {
			e.t.Fatal(err)
		}
		return r.Reference
	}
	for i := 1; i <= n; i++ {
		sur, given := regSurnames[i%len(regSurnames)], regGiven[(i/len(regSurnames))%len(regGiven)]
		birth := fmt.Sprintf("%d-%02d-%02d", 1970+i%25, 1+i%12, 1+i%28)
		if i == n/2 {
			ref = reg("A", "Ткаченко", "Олена", "1997-12-29", i)
			continue
		}
		reg("A", sur, given, birth, i)
	}
	reg("B", "Ткаченко", "Ганна", "1997-12-29", n+1)
	reg("B", "Петренко", "Іван", "1980", n+2)
	return ref
}

// inquiryRefs are the references of the inquiries a page shows, in order.
func inquiryRefs(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<tr data-ref="([^"]+)">`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestInquiriesTable searches, filters, sorts and pages the inquiries
// about a side through their page, and exports and prints what the page
// shows; the other side's inquiries never show.
func TestInquiriesTable(t *testing.T) {
	e := newEnv(t)
	ref := e.inquiryFamily(61)
	off := e.login(roleOfficerA)
	page := func(q string) []string {
		t.Helper()
		resp, body := off.get("/inquiries?" + q)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("inquiries?%s: %d", q, resp.StatusCode)
		}
		return inquiryRefs(body)
	}
	today := e.svc.Now().UTC().Format("2006-01-02")
	for _, c := range []struct {
		name, q string
		want    int
	}{
		{"first page", "", 50},
		{"second page", "page=2", 11},
		{"a name in Latin", "q=Tkachenko", 1},
		{"a name in Russian", "q=" + url.QueryEscape("Ткаченко Елена"), 1},
		{"a date as typed", "q=29.12.1997", 1},
		{"a date in ISO order", "q=1997-12-29", 1},
		{"a reference", "q=" + url.QueryEscape(strings.ToLower(ref)), 1},
		{"what the family is told", "status=none", 50},
		{"what no family is told yet", "status=repatriated", 0},
		{"without links", "link=none", 50},
		{"with links waiting", "link=pending", 0},
		{"made today", "from=" + today + "&to=" + today + "&page=2", 11},
		{"made long ago", "from=2000-01-01&to=2000-12-31", 0},
	} {
		if got := page(c.q); len(got) != c.want {
			t.Errorf("%s (%s): %d rows, want %d", c.name, c.q, len(got), c.want)
		}
	}
	if got := page("q=Tkachenko"); !slices.Equal(got, []string{ref}) {
		t.Errorf("Tkachenko: %v, want %s (not the other side's)", got, ref)
	}
	_, body := off.get("/inquiries?q=29.12.1997")
	if !strings.Contains(body, "Ткаченко") || strings.Contains(body, "Ганна") || strings.Contains(body, "@example.org") {
		t.Error("the search shows another side's inquiry or a family's contact")
	}
	// Sorted by birth, both ways, across pages.
	_, body = off.get("/inquiries?sort=birth")
	births := regexp.MustCompile(`data-birth="([^"]*)"`).FindAllStringSubmatch(body, -1)
	if len(births) != 50 || !slices.IsSortedFunc(births, func(a, b []string) int { return strings.Compare(a[1], b[1]) }) {
		t.Errorf("by birth: %d rows, sorted %v", len(births), births)
	}
	if asc, desc := page("sort=birth"), page("sort=birth&dir=desc&page=2"); len(desc) != 11 || desc[10] != asc[0] {
		t.Errorf("the earliest born %s is not last in descending order: %v", asc[0], desc)
	}
	// The export follows the filter and the order.
	resp, csv := off.get("/inquiries/export?format=csv&sort=name")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(csv, "\ufeff") || strings.Count(strings.TrimSpace(csv), "\n") != 61 {
		t.Errorf("export: %d, %d lines, want 62", resp.StatusCode, strings.Count(strings.TrimSpace(csv), "\n")+1)
	}
	resp, csv = off.get("/inquiries/export?format=csv&q=" + url.QueryEscape("Ткаченко Олена"))
	if lines := strings.Split(strings.TrimSpace(csv), "\n"); resp.StatusCode != http.StatusOK || len(lines) != 2 || !strings.Contains(lines[1], ref) || !strings.Contains(lines[1], "29 Dec 1997") {
		t.Errorf("filtered export: %d\n%s", resp.StatusCode, csv)
	}
	resp, csv = off.get("/inquiries/export?format=csv&q=Tkachenko", "Accept-Language", "uk")
	if resp.StatusCode != http.StatusOK || !strings.Contains(csv, "Номер запиту") || !strings.Contains(csv, "29.12.1997") {
		t.Errorf("the export in Ukrainian:\n%s", csv)
	}
	resp, xlsx := off.get("/inquiries/export?format=xlsx&status=none")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("xlsx: %d", resp.StatusCode)
	}
	x, err := excelize.OpenReader(bytes.NewReader([]byte(xlsx)))
	if err != nil {
		t.Fatal(err)
	}
	if rows, err := x.GetRows("Table"); err != nil || len(rows) != 62 {
		t.Errorf("xlsx: %d rows, %v", len(rows), err)
	}
	resp, pdf := off.get("/inquiries/export?format=pdf&q=1997")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf, "%PDF") {
		t.Errorf("pdf: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp, _ := off.get("/inquiries/export?format=doc"); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("an unknown format: %d", resp.StatusCode)
	}
	// The print view shows the whole filtered table.
	if got := page("view=print"); len(got) != 61 {
		t.Errorf("print view: %d rows", len(got))
	}
	// The other side sees its own two.
	resp, body = e.login(roleOfficerB).get("/inquiries")
	if got := inquiryRefs(body); resp.StatusCode != http.StatusOK || len(got) != 2 || slices.Contains(got, ref) {
		t.Errorf("officer B: %d, %v", resp.StatusCode, got)
	}
	// Views and exports are in the access log.
	for _, action := range []string{"inquiries.view", "inquiries.export"} {
		log, err := e.svc.AccessLogPage(t.Context(), access.System, service.AccessQuery{Action: action, Subject: "A"})
		if err != nil {
			t.Fatal(err)
		}
		if log.Total == 0 {
			t.Errorf("no %s in the access log", action)
		}
	}
}

// TestBrowserInquiriesTable pages and filters the inquiries about a side
// in Chromium.
func TestBrowserInquiriesTable(t *testing.T) {
	bctx := newChromium(t)
	e := newEnv(t)
	ref := e.inquiryFamily(61)
	c := tab(t, bctx)
	signIn(t, c, e.ts.URL, roleOfficerA)
	run(t, c, "inquiries",
		chromedp.Navigate(e.ts.URL+"/inquiries"),
		chromedp.WaitVisible(chromedp.CSS("#inquiries")),
	)
	rows := func() int { return eval[int](t, c, `document.querySelectorAll("#inquiries tbody tr").length`) }
	if n := rows(); n != 50 {
		t.Errorf("first page shows %d rows", n)
	}
	if got := text(t, c, "#shown"); !strings.Contains(got, "61") {
		t.Errorf("count %q", got)
	}
	run(t, c, "next page",
		chromedp.Click(chromedp.CSS("#next-page")),
		chromedp.WaitVisible(chromedp.CSS("#prev-page")),
	)
	if n := rows(); n != 11 {
		t.Errorf("second page shows %d rows", n)
	}
	run(t, c, "filter",
		chromedp.SetValue(chromedp.CSS("#q"), "Tkachenko 29.12.1997"),
		chromedp.SetValue(chromedp.CSS("#f-status"), "none"),
		chromedp.Click(chromedp.CSS(`#table-search button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#search-clear")),
	)
	if got := eval[[]string](t, c, `[...document.querySelectorAll("#inquiries tbody tr")].map(tr => tr.dataset.ref)`); !slices.Equal(got, []string{ref}) {
		t.Errorf("filtered: %v, want %s", got, ref)
	}
	if href := eval[string](t, c, `document.querySelector("#export-csv").getAttribute("href")`); !strings.Contains(href, "status=none") || !strings.Contains(href, "q=Tkachenko") {
		t.Errorf("the export does not follow the table: %s", href)
	}
	run(t, c, "clear",
		chromedp.Click(chromedp.CSS("#search-clear")),
		chromedp.WaitNotPresent(chromedp.CSS("#search-clear")),
	)
	run(t, c, "sort",
		chromedp.Click(chromedp.CSS("#sort-birth")),
		chromedp.WaitVisible(chromedp.CSS(`th[aria-sort="ascending"] #sort-birth`)),
	)
	if !eval[bool](t, c, `(() => { const b = [...document.querySelectorAll("#inquiries [data-birth]")].map(n => n.dataset.birth); return b.length == 50 && b.every((x, i) => i == 0 || b[i-1] <= x) })()`) {
		t.Error("rows are not in ascending order of birth")
	}
	screenshot(t, c, "inquiries-table")
}
