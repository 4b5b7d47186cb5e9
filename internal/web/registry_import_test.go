package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

func init() {
	matrixExtras = append(matrixExtras, func(*testing.T) map[string]matrixCase {
		return uploadCases("/registry/import", "registry_v1.csv", nil)
	})
}

// TestRegistryImportForm imports two versions of a registry through the
// page: each is previewed (nothing changes), then confirmed; the second
// preview shows what it adds, changes and removes. A token is good once,
// and for its uploader only.
func TestRegistryImportForm(t *testing.T) {
	e := newEnv(t)
	a := e.login(roleOfficerA)
	preview := func(file string) string {
		t.Helper()
		code, body := a.do(http.MethodPost, probe{path: "/registry/import", upload: &upload{file, fileBytes(t, file), nil}})
		if code != http.StatusOK {
			t.Fatalf("preview of %s: %d", file, code)
		}
		m := tokenRe.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("preview of %s has no confirmation", file)
		}
		return body
	}
	body := preview("registry_v1.csv")
	if !strings.Contains(body, `id="n-added">3<`) {
		t.Error("the first version does not add its 3 records")
	}
	if _, reg := a.get("/registry"); strings.Contains(reg, "data-row=") {
		t.Fatal("a preview changed the registry")
	}
	token := tokenRe.FindStringSubmatch(body)[1]
	b := e.login(roleOfficerB)
	if resp, _ := b.post("/registry/import", url.Values{"token": {token}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("another party's officer confirmed A's preview: %d", resp.StatusCode)
	}
	// The failed attempt spent the token.
	body = preview("registry_v1.csv")
	token = tokenRe.FindStringSubmatch(body)[1]
	resp, _ := a.post("/registry/import", url.Values{"token": {token}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: %d", resp.StatusCode)
	}
	if resp, _ := a.post("/registry/import", url.Values{"token": {token}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a token confirmed twice: %d", resp.StatusCode)
	}
	if _, reg := a.get("/registry"); strings.Count(reg, "<tr data-row=") != 3 {
		t.Error("the registry does not hold the 3 records")
	}
	body = preview("registry_v2.csv")
	for _, want := range []string{`id="n-added">1<`, `id="n-changed">1<`, `id="n-removed">1<`, "Мельник", "Жук"} {
		if !strings.Contains(body, want) {
			t.Errorf("preview of version 2 lacks %s", want)
		}
	}
}

// TestBrowserRegistryImport fills an empty registry from the page.
func TestBrowserRegistryImport(t *testing.T) {
	e, c, file := uploadTab(t, "registry_v1.csv")
	run(t, c, "import",
		chromedp.Navigate(e.ts.URL+"/registry"),
		chromedp.Click(chromedp.CSS("#import-registry")),
		chromedp.WaitVisible(chromedp.CSS("#registry-upload")),
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{file}),
		chromedp.Click(chromedp.CSS("#preview-import")),
		chromedp.WaitVisible(chromedp.CSS("#confirm-import")),
	)
	if got := strings.TrimSpace(text(t, c, "#n-added")); got != "3" {
		t.Errorf("preview adds %q", got)
	}
	screenshot(t, c, "registry-import")
	run(t, c, "confirm",
		chromedp.Click(chromedp.CSS("#confirm-import")),
		chromedp.WaitVisible(chromedp.CSS("#registry")),
	)
	if n := eval[int](t, c, `document.querySelectorAll("#registry tbody tr").length`); n != 3 {
		t.Errorf("the registry shows %d records after the import", n)
	}
}
