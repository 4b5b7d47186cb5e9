package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

func init() {
	// B's preview says that a list cannot go from B to B.
	matrixExtras = append(matrixExtras, func(*testing.T) map[string]matrixCase {
		return uploadCases("/lists/upload", "good.csv", map[string]string{"to": "B", "title": "Previewed"})
	})
}

// uploadCases are the matrix cases of a page that takes a file: its form,
// and a preview of testdata/file, which stores nothing and answers with
// the page.
func uploadCases(path, file string, fields map[string]string) map[string]matrixCase {
	return map[string]matrixCase{
		"GET " + path: {fixed(path), w(s303, s200, s200, s403, s403, s403)},
		"POST " + path: {func(e *env, _ *fixtures) probe {
			return probe{path: path, upload: &upload{file, fileBytes(e.t, file), fields}}
		}, w(s303, s200, s200, s403, s403, s403)},
	}
}

// uploadTab starts a workbench and a browser tab signed in to it as
// officer A, and returns them with the absolute path of testdata/file for
// the page's file input.
func uploadTab(t *testing.T, file string) (*env, context.Context, string) {
	t.Helper()
	bctx := newChromium(t)
	e := newEnv(t)
	c := tab(t, bctx)
	signIn(t, c, e.ts.URL, roleOfficerA)
	path, err := filepath.Abs(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	return e, c, path
}

var (
	tokenRe  = regexp.MustCompile(`name="token" value="([0-9a-f]+)"`)
	columnRe = regexp.MustCompile(`name="h(\d+)" value="([^"]*)"`)
)

// mappingForm is the mapping form of a preview as the page shows it, with
// the header named changed to field.
func mappingForm(t *testing.T, page, header, field string) url.Values {
	t.Helper()
	f := url.Values{"token": {tokenRe.FindStringSubmatch(page)[1]}}
	found := false
	for _, m := range columnRe.FindAllStringSubmatch(page, -1) {
		h := html.UnescapeString(m[2])
		f.Set("h"+m[1], h)
		sel := regexp.MustCompile(`(?s)<select id="f` + m[1] + `" name="f` + m[1] + `">.*?<option value="([^"]+)" selected>`).FindStringSubmatch(page)
		if sel == nil {
			t.Fatalf("column %q has no field chosen", h)
		}
		f.Set("f"+m[1], sel[1])
		if h == header {
			f.Set("f"+m[1], field)
			found = true
		}
	}
	if !found {
		t.Fatalf("no column %q in the preview", header)
	}
	return f
}

// TestUploadPreview: a column whose header is not recognised goes to the
// field the officer chooses; problems are listed with their rows; the
// import is all or nothing unless the officer chooses to leave out the
// rows listed.
func TestUploadPreview(t *testing.T) {
	e := newEnv(t)
	a := e.login(roleOfficerA)
	a.get("/lists/upload")
	code, page := a.do(http.MethodPost, probe{path: "/lists/upload", upload: &upload{"remap.csv", fileBytes(t, "remap.csv"), map[string]string{"to": "B", "title": "Remapped"}}})
	if code != http.StatusOK {
		t.Fatalf("preview: %d %s", code, regexp.MustCompile(`(?s)<section class="card upload">.*?</section>`).FindString(page))
	}
	if !strings.Contains(page, `data-column="Фамилия бойца"`) || !strings.Contains(page, `id="n-valid">0<`) {
		t.Fatalf("first preview: the unrecognised column or the count is wrong")
	}
	lists, _ := e.svc.ListLists(context.Background(), e.actor(roleOfficerA))
	before := len(lists)

	form := mappingForm(t, page, "Фамилия бойца", "surname")
	form.Set("action", "check")
	resp, page := a.post("/lists/upload", form)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("check again: %d", resp.StatusCode)
	}
	for _, want := range []string{`id="n-valid">3<`, `id="n-skipped">1<`, `<tr data-column="Фамилия бойца" class="changed">`, `<option value="surname" selected>`, "31.02.1990", `id="skip-invalid"`} {
		if !strings.Contains(page, want) {
			t.Errorf("after remapping the page lacks %s", want)
		}
	}
	form = mappingForm(t, page, "Фамилия бойца", "surname")
	form.Set("action", "import")
	if resp, page := a.post("/lists/upload", form); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="upload-preview"`) {
		t.Fatalf("import with a problem and without the choice: %d", resp.StatusCode)
	}
	if l, _ := e.svc.ListLists(context.Background(), e.actor(roleOfficerA)); len(l) != before {
		t.Fatal("a refused import stored a list")
	}
	// Another officer cannot use the token.
	b := e.login(roleOfficerB)
	b.get("/lists/upload")
	form.Del("csrf") // each browser sends its own
	if resp, _ := b.post("/lists/upload", form); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("B used A's preview: %d", resp.StatusCode)
	}
	form.Del("csrf")
	form.Set("skip_invalid", "1")
	resp, _ = a.post("/lists/upload", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("import with skip: %d", resp.StatusCode)
	}
	id := strings.TrimPrefix(resp.Header.Get("Location"), "/lists/")
	l, err := e.svc.GetList(context.Background(), e.actor(roleOfficerA), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Entries) != 3 || l.Entries[0].Person.Surname != "Шевченко" || l.Title != "Remapped" {
		t.Errorf("imported %d entries, first %q, title %q", len(l.Entries), l.Entries[0].Person.Surname, l.Title)
	}
	if resp, _ := a.post("/lists/upload", form); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a preview imported twice: %d", resp.StatusCode)
	}
}

// TestBrowserUploadRemap uploads a list whose name column is not
// recognised, maps it to the surname in the page, and imports the valid
// rows after choosing to leave out the one with a problem.
func TestBrowserUploadRemap(t *testing.T) {
	e, c, file := uploadTab(t, "remap.csv")
	run(t, c, "preview",
		chromedp.Navigate(e.ts.URL+"/lists"),
		chromedp.WaitVisible(chromedp.CSS("#upload-preview-button")),
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{file}),
		chromedp.SetValue(chromedp.CSS("#title"), "Remapped in the browser"),
		chromedp.Click(chromedp.CSS("#upload-preview-button")),
		chromedp.WaitVisible(chromedp.CSS("#upload-mapping")),
	)
	if got := strings.TrimSpace(text(t, c, "#n-valid")); got != "0" {
		t.Errorf("valid rows before remapping: %q", got)
	}
	run(t, c, "remap and check",
		chromedp.SetValue(chromedp.CSS(`tr[data-column="Фамилия бойца"] select`), "surname"),
		chromedp.Click(chromedp.CSS("#check-again")),
		chromedp.WaitVisible(chromedp.CSS("tr.changed")),
	)
	if got := strings.TrimSpace(text(t, c, "#n-valid")); got != "3" {
		t.Errorf("valid rows after remapping: %q", got)
	}
	if got := text(t, c, "#skipped-rows"); !strings.Contains(got, "2") {
		t.Errorf("skipped rows: %q", got)
	}
	screenshot(t, c, "upload-remap")
	run(t, c, "import, leaving out the bad row",
		chromedp.Click(chromedp.CSS("#skip-invalid")),
		chromedp.Click(chromedp.CSS("#confirm-upload")),
		chromedp.WaitVisible(chromedp.CSS("#handover")),
	)
	if got := text(t, c, "h1"); !strings.Contains(got, "Remapped in the browser") {
		t.Errorf("after the import the page is %q", got)
	}
}
