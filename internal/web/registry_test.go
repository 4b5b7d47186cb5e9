package web

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"parley/internal/access"
	"parley/internal/service"
)

func init() {
	matrixExtras = append(matrixExtras, func(t *testing.T) map[string]matrixCase {
		return map[string]matrixCase{
			"GET /registry/export": {fixed("/registry/export?format=csv&q=1997"), w(s303, s200, s200, s403, s403, s403)},
		}
	})
}

// bigRegistry is a registry of n records made from a few names, dates and
// categories, with one record that is unique: Ткаченко Олена, born on
// 29 December 1997, wounded.
type bigRegistry struct {
	n         int
	byCounts  map[string]int // records per test question
	uniqueRow int
}

var (
	regSurnames = []string{"Шевченко", "Коваленко", "Бондаренко", "Мельник", "Кравченко", "Олійник", "Шевчук", "Поліщук", "Бойко", "Ткачук"}
	regGiven    = []string{"Сергій", "Микола", "Андрій", "Петро", "Іван", "Юрій", "Олег", "Василь"}
)

// importBigRegistry gives party A a registry of n records.
func (e *env) importBigRegistry(n int) *bigRegistry {
	e.t.Helper()
	reg := &bigRegistry{n: n, byCounts: map[string]int{}}
	var b strings.Builder
	b.WriteString("surname,given_names,birth_date,service_number,categories,status\n")
	for i := 1; i <= n; i++ {
		sur, given := regSurnames[i%len(regSurnames)], regGiven[(i/len(regSurnames))%len(regGiven)]
		birth := fmt.Sprintf("%d-%02d-%02d", 1970+i%30, 1+i%12, 1+i%28)
		cat := ""
		if i%3 == 0 {
			cat = "wounded"
			reg.byCounts["wounded"]++
		}
		if i == n/2 {
			sur, given, birth, cat = "Ткаченко", "Олена", "1997-12-29", "wounded"
			reg.uniqueRow = i
			reg.byCounts["wounded"]++
		}
		if strings.HasPrefix(birth, "1997") {
			reg.byCounts["1997"]++
			if cat == "wounded" {
				reg.byCounts["wounded 1997"]++
			}
		}
		if sur == "Шевченко" {
			reg.byCounts["Shevchenko"]++
		}
		fmt.Fprintf(&b, "%s,%s,%s,SN-%05d,%s,missing\n", sur, given, birth, i, cat)
	}
	if _, err := e.svc.ImportRegistry(e.t.Context(), access.System, service.RegistryImportRequest{Party: "A", Format: "csv"}, strings.NewReader(b.String())); err != nil {
		e.t.Fatal(err)
	}
	return reg
}

var shownRe = regexp.MustCompile(`id="shown">[^<]*?(\d[\d,]*)–(\d[\d,]*)[^<]*?(\d[\d,]*)<`)

// TestRegistryTable searches, filters, sorts and pages a registry of
// 4,000 records through the page, and exports what the page shows.
func TestRegistryTable(t *testing.T) {
	e := newEnv(t)
	reg := e.importBigRegistry(4000)
	off := e.login(roleOfficerA)
	count := func(q url.Values) (rows int, total string) {
		t.Helper()
		resp, body := off.get("/registry?" + q.Encode())
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("registry?%s: %d", q.Encode(), resp.StatusCode)
		}
		m := shownRe.FindStringSubmatch(body)
		if m == nil {
			if strings.Contains(body, `id="shown"`) {
				return 0, "0"
			}
			t.Fatalf("registry?%s shows no count", q.Encode())
		}
		return strings.Count(body, `<tr data-row=`), strings.ReplaceAll(m[3], ",", "")
	}
	for _, c := range []struct {
		q    string
		want int
	}{
		{"", 4000},
		{"Shevchenko", reg.byCounts["Shevchenko"]},
		{"шевченко", reg.byCounts["Shevchenko"]},
		{"Tkachenko Olena", 1},
		{"Ткаченко Елена", 1}, // the Russian form of the name
		{"29.12.1997", 1},
		{"1997-12-29", 1},
		{"1997", reg.byCounts["1997"]},
		{"wounded", reg.byCounts["wounded"]},
		{"поранений", reg.byCounts["wounded"]},
		{"раненый 1997", reg.byCounts["wounded 1997"]},
		{"SN-00007", 1},
	} {
		rows, total := count(url.Values{"q": {c.q}})
		if total != fmt.Sprint(c.want) || rows != min(c.want, 50) {
			t.Errorf("search %q: %d rows of %s, want %d of %d", c.q, rows, total, min(c.want, 50), c.want)
		}
	}
	if _, total := count(url.Values{"category": {"wounded"}, "status": {"missing"}}); total != fmt.Sprint(reg.byCounts["wounded"]) {
		t.Errorf("category filter: %s", total)
	}
	// The last page and the sort by date of birth, both ways.
	_, body := off.get("/registry?page=80")
	if m := shownRe.FindStringSubmatch(body); m == nil || m[1] != "3,951" || m[2] != "4,000" {
		t.Errorf("page 80 shows %v", m)
	}
	births := func(q string) []string {
		_, body := off.get("/registry?" + q)
		var out []string
		for _, m := range regexp.MustCompile(`data-birth="([^"]*)"`).FindAllStringSubmatch(body, -1) {
			out = append(out, m[1])
		}
		return out
	}
	asc, desc := births("sort=birth"), births("sort=birth&dir=desc")
	if len(asc) != 50 || asc[0] != "1970-01-01" && asc[0] > asc[49] || desc[0] < desc[49] || asc[0] >= desc[0] {
		t.Errorf("sort by birth: ascending %v…, descending %v…", asc[:2], desc[:2])
	}
	// The export takes the whole filtered table, not the page.
	resp, csv := off.get("/registry/export?format=csv&q=" + url.QueryEscape("wounded"))
	if resp.StatusCode != http.StatusOK || strings.Count(strings.TrimSpace(csv), "\n") != reg.byCounts["wounded"] {
		t.Errorf("export of the wounded: %d, %d lines", resp.StatusCode, strings.Count(strings.TrimSpace(csv), "\n"))
	}
}

// TestRegistryTableBeyondCount: a search with more rows than a page view
// counts says "more than" and its pager goes on past the count; the
// pager's links, which read a page from the edge of the page they leave,
// show the same rows as the pages by number, forwards and back, in every
// order.
func TestRegistryTableBeyondCount(t *testing.T) {
	e := newEnv(t, envOptions{countCap: 60})
	reg := e.importBigRegistry(602) // its unique record, wounded, is one of 201
	off := e.login(roleOfficerA)
	rowRe := regexp.MustCompile(`<tr data-row="(\d+)"`)
	linkRe := func(rel string) *regexp.Regexp { return regexp.MustCompile(`href="([^"]*)" rel="` + rel + `"`) }
	get := func(path string) (string, []string) {
		t.Helper()
		resp, body := off.get(path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		var rows []string
		for _, m := range rowRe.FindAllStringSubmatch(body, -1) {
			rows = append(rows, m[1])
		}
		return body, rows
	}
	for _, sort := range []string{"", "name", "birth"} {
		q := url.Values{"q": {"wounded"}}
		if sort != "" {
			q.Set("sort", sort)
		}
		body, rows := get("/registry?" + q.Encode())
		if !strings.Contains(body, "of more than 60") {
			t.Errorf("sort %q: the first page does not say there are more than 60: %s", sort, shownRe.FindString(body))
		}
		all := rows
		for page := 2; ; page++ {
			m := linkRe("next").FindStringSubmatch(body)
			if m == nil {
				break
			}
			link := html.UnescapeString(m[1])
			if !strings.Contains(link, "after=") {
				t.Errorf("sort %q: the next page's link has no edge: %s", sort, link)
			}
			body, rows = get(link)
			q.Set("page", fmt.Sprint(page))
			if _, want := get("/registry?" + q.Encode()); !slices.Equal(rows, want) {
				t.Fatalf("sort %q, page %d: %v by the link, %v by number", sort, page, rows, want)
			}
			all = append(all, rows...)
			// The first page needs no edge.
			if m := linkRe("prev").FindStringSubmatch(body); m == nil || strings.Contains(m[1], "before=") != (page > 2) {
				t.Errorf("sort %q, page %d: previous link %v", sort, page, m)
			} else if _, back := get(html.UnescapeString(m[1])); !slices.Equal(back, all[len(all)-len(rows)-50:len(all)-len(rows)]) {
				t.Errorf("sort %q, page %d: the page before by the link is %v", sort, page, back)
			}
		}
		if len(all) != reg.byCounts["wounded"] || !strings.Contains(body, fmt.Sprintf("of %d<", reg.byCounts["wounded"])) {
			t.Errorf("sort %q: %d rows paged, want %d; the last page says %s", sort, len(all), reg.byCounts["wounded"], shownRe.FindString(body))
		}
	}
}

// TestBrowserRegistryTable pages, filters and sorts a registry of 4,000
// records in Chromium.
func TestBrowserRegistryTable(t *testing.T) {
	// The registry is imported before the browser's time starts.
	e := newEnv(t)
	reg := e.importBigRegistry(4000)
	bctx := newChromium(t)
	c := tab(t, bctx)
	signIn(t, c, e.ts.URL, roleOfficerA)
	run(t, c, "registry",
		chromedp.Navigate(e.ts.URL+"/registry"),
		chromedp.WaitVisible(chromedp.CSS("#registry")),
	)
	rows := func() int { return eval[int](t, c, `document.querySelectorAll("#registry tbody tr").length`) }
	if n := rows(); n != 50 {
		t.Errorf("first page shows %d rows", n)
	}
	if got := text(t, c, "#shown"); !strings.Contains(got, "4,000") {
		t.Errorf("count %q", got)
	}
	if h := eval[float64](t, c, `document.documentElement.scrollHeight`); h > 8000 {
		t.Errorf("the page is %.0f px tall", h)
	}
	run(t, c, "next page",
		chromedp.Click(chromedp.CSS("#next-page")),
		chromedp.WaitVisible(chromedp.CSS(`#registry tbody tr[data-row="51"]`)),
	)
	run(t, c, "filter",
		chromedp.SetValue(chromedp.CSS("#q"), "раненый 1997"),
		chromedp.Click(chromedp.CSS(`#table-search button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#search-read")),
	)
	if n := rows(); n != min(reg.byCounts["wounded 1997"], 50) {
		t.Errorf("the wounded born in 1997: %d rows, want %d", n, reg.byCounts["wounded 1997"])
	}
	if n := eval[int](t, c, `[...document.querySelectorAll("#registry tbody tr")].filter(tr => !tr.querySelector("[data-birth^='1997']") || !tr.querySelector(".cat-wounded")).length`); n != 0 {
		t.Errorf("%d rows outside the filter", n)
	}
	run(t, c, "sort",
		chromedp.Click(chromedp.CSS("#sort-birth")),
		chromedp.WaitVisible(chromedp.CSS(`th[aria-sort="ascending"] #sort-birth`)),
	)
	if !eval[bool](t, c, `(() => { const b = [...document.querySelectorAll("#registry [data-birth]")].map(n => n.dataset.birth); return b.every((x, i) => i == 0 || b[i-1] <= x) })()`) {
		t.Error("rows are not in order of birth")
	}
	if got := eval[string](t, c, `location.search`); !strings.Contains(got, "q=") || !strings.Contains(got, "sort=birth") {
		t.Errorf("the sort lost the filter: %s", got)
	}
	if href := eval[string](t, c, `document.querySelector("#export-csv").getAttribute("href")`); !strings.Contains(href, "sort=birth") || !strings.Contains(href, "q=") {
		t.Errorf("the export does not follow the table: %s", href)
	}
	screenshot(t, c, "registry")
}
