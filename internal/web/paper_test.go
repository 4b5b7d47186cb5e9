package web

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"parley/internal/access"
	"parley/internal/listfile"
)

func init() {
	matrixExtras = append(matrixExtras, func(*testing.T) map[string]matrixCase {
		pool := &handoverPool{}
		return map[string]matrixCase{
			// The left-off report's PDF: the receiving party's officers only.
			"GET /match-runs/{id}/left-off/print": {func(e *env, f *fixtures) probe {
				return probe{path: "/match-runs/" + newMatchRun(e, f.sentA) + "/left-off/print"}
			}, w(s303, s404, s200, s403, s403, s403)},
			// The agreement's PDF goes to those who see the agreement.
			"GET /agreements/{id}/print": {func(e *env, _ *fixtures) probe { return probe{path: "/agreements/" + pool.get(e).agreement + "/print"} }, w(s303, s200, s200, s200, s200, s404)},
			// The PDF is shown to exactly those who see the list page.
			"GET /lists/{id}/print":  {func(_ *env, f *fixtures) probe { return probe{path: "/lists/" + f.draftA + "/print"} }, w(s303, s200, s404, s404, s404, s404)},
			"GET /lists/verify-file": {fixed("/lists/verify-file"), w(s303, s200, s200, s200, s200, s200)},
			"POST /lists/verify-file": {func(e *env, _ *fixtures) probe {
				return probe{path: "/lists/verify-file", upload: &upload{"good.csv", fileBytes(e.t, "good.csv"), nil}}
			}, w(s303, s422, s422, s422, s422, s422)},
		}
	})
}

// TestListPrintPDF fetches the printable list through the button's route.
func TestListPrintPDF(t *testing.T) {
	e, f := ledgerEnv(t)
	b := e.login(roleOfficerB)
	_, page := b.get("/lists/" + f.sentA)
	if !strings.Contains(page, `href="/lists/`+f.sentA+`/print"`) {
		t.Error("the list page has no Print / PDF button")
	}
	for _, lang := range []string{"uk", "ru", "en"} {
		resp, body := b.get("/lists/"+f.sentA+"/print", "Accept-Language", lang)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(body, "%PDF-") {
			t.Errorf("%s: status %d, type %q, body %.10q", lang, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
	if resp, _ := b.get("/lists/" + f.draftA + "/print"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("B printed A's draft: status %d", resp.StatusCode)
	}
}

// TestVerifyFilePage uploads an untouched export and an edited one with
// the receipt and reads the verdict.
func TestVerifyFilePage(t *testing.T) {
	e, f := ledgerEnv(t)
	ctx := context.Background()
	var file bytes.Buffer
	if err := e.svc.ExportListCSV(ctx, access.System, f.sentA, listfile.ExportOptions{Lang: "uk"}, &file); err != nil {
		t.Fatal(err)
	}
	r, err := e.lg.Receipt(ctx, e.db, f.sentA)
	if err != nil {
		t.Fatal(err)
	}
	receipt, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(file.String(), "\n")
	cells := strings.Split(lines[1], ",")
	cells[2] += "х"
	lines[1] = strings.Join(cells, ",")
	edited := strings.Join(lines, "")

	b := e.login(roleOfficerB)
	b.get("/lists/verify-file")
	for _, tt := range []struct {
		name, content string
		status        int
		wants         []string
	}{
		{"untouched", file.String(), http.StatusOK, []string{`class="alert ok"`, "Файл містить саме тих"}},
		{"edited", edited, http.StatusOK, []string{`class="alert error"`, `id="differences"`, "<td>1</td>", "<td>Прізвище</td>", cells[2]}},
	} {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("csrf", b.csrf)
		fw, _ := mw.CreateFormFile("file", "list.csv")
		io.WriteString(fw, tt.content)
		rw, _ := mw.CreateFormFile("receipt", "receipt.json")
		rw.Write(receipt)
		mw.Close()
		req, _ := http.NewRequest("POST", e.ts.URL+"/lists/verify-file", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Accept-Language", "uk")
		resp, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%s: status %d: %.500s", tt.name, resp.StatusCode, out)
		}
		for _, w := range tt.wants {
			if !strings.Contains(string(out), w) {
				t.Errorf("%s: page lacks %q", tt.name, w)
			}
		}
	}
}

// TestWorkbenchCSVIsTheClerks checks that the workbench's CSV button gives
// the clerk's CSV in the reader's language, while the API keeps Parley's
// own columns unless asked for a language.
func TestWorkbenchCSVIsTheClerks(t *testing.T) {
	e, f := ledgerEnv(t)
	b := e.login(roleOfficerA)
	_, body := b.get("/lists/"+f.sentA+"/export?format=csv", "Accept-Language", "ru")
	if !strings.HasPrefix(body, "\uFEFF№ п/п,") || !strings.Contains(body, "Фамилия") {
		t.Errorf("workbench CSV starts %.80q", body)
	}
	resp, api := e.api(roleOfficerA, "GET", "/api/v1/lists/"+f.sentA+"/export?format=csv", nil, "")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(api), "kind,surname,") {
		t.Errorf("API CSV: %d, starts %.80q", resp.StatusCode, api)
	}
	_, api = e.api(roleOfficerA, "GET", "/api/v1/lists/"+f.sentA+"/export?format=csv&lang=uk&no_bom=1", nil, "")
	if !strings.HasPrefix(string(api), "№ п/п,") {
		t.Errorf("API CSV in uk starts %.80q", api)
	}
}

// TestAgreementPrintPDF fetches an agreement's PDF and reads it back.
func TestAgreementPrintPDF(t *testing.T) {
	e := newEnv(t)
	pool := (&handoverPool{}).get(e)
	b := e.login(roleMediator)
	_, page := b.get("/agreements/" + pool.agreement)
	if !strings.Contains(page, `href="/agreements/`+pool.agreement+`/print"`) {
		t.Error("the agreement page has no Print / PDF button")
	}
	resp, body := b.get("/agreements/"+pool.agreement+"/print", "Accept-Language", "uk")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "%PDF-") {
		t.Fatalf("status %d, %.10q", resp.StatusCode, body)
	}
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext is missing")
	}
	f := filepath.Join(t.TempDir(), "a.pdf")
	os.WriteFile(f, []byte(body), 0o600)
	out, err := exec.Command(bin, "-enc", "UTF-8", f, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	flat := strings.Join(strings.Fields(string(out)), " ")
	for _, want := range []string{"Домовленість " + pool.agreement, "всіх на всіх", "Arcadia (A) звільняє", "Borduria (B) звільняє", "За сторону Arcadia (A)", "Посередник", pool.listA + ", рядок 1"} {
		if !strings.Contains(flat, want) {
			t.Errorf("agreement PDF lacks %q", want)
		}
	}
}

// TestLeftOffPrintPDF prints the left-off report and finds every person
// of it in the PDF.
func TestLeftOffPrintPDF(t *testing.T) {
	e, f := ledgerEnv(t)
	e.importRegistry("B", "match_registry_b.csv")
	runID := newMatchRun(e, f.sentA)
	es, err := e.svc.LeftOffReport(context.Background(), access.System, runID)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) == 0 {
		t.Fatal("the left-off report is empty; the test proves nothing")
	}
	b := e.login(roleOfficerB)
	_, page := b.get("/match-runs/" + runID + "/left-off")
	if !strings.Contains(page, `href="/match-runs/`+runID+`/left-off/print"`) {
		t.Error("the left-off page has no Print / PDF button")
	}
	resp, body := b.get("/match-runs/"+runID+"/left-off/print", "Accept-Language", "ru")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "%PDF-") {
		t.Fatalf("status %d, %.10q", resp.StatusCode, body)
	}
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext is missing")
	}
	file := filepath.Join(t.TempDir(), "l.pdf")
	os.WriteFile(file, []byte(body), 0o600)
	out, err := exec.Command(bin, "-enc", "UTF-8", file, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	flat := strings.Join(strings.Fields(string(out)), " ")
	for _, want := range []string{"Лица, которых нет в списке", "реестра", "Посредник"} {
		if !strings.Contains(flat, want) {
			t.Errorf("left-off PDF lacks %q", want)
		}
	}
	for _, e := range es {
		name := e.FullName()
		if name == "" {
			name = e.FullNameLatin()
		}
		if !strings.Contains(flat, name) {
			t.Errorf("left-off PDF lacks registry row %d, %q", e.Row, name)
		}
	}
}
