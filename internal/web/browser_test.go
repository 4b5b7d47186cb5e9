package web

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds Debian's Chromium: $PARLEY_CHROMIUM (set by the test
// command), /usr/bin/chromium, or chromium on $PATH.
func chromiumPath() string {
	if p := os.Getenv("PARLEY_CHROMIUM"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	p, _ := exec.LookPath("chromium")
	return p
}

// newChromium starts a headless Chromium with a fresh profile. Without
// Chromium the browser tests are skipped, except in CI, where they must run.
func newChromium(t *testing.T) context.Context {
	t.Helper()
	return newChromiumFor(t, 90*time.Second)
}

// newChromiumFor is newChromium for a test that needs longer than 90 s.
func newChromiumFor(t *testing.T, limit time.Duration) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("Chromium is required in CI for the browser tests (apt-get install chromium)")
		}
		t.Skip("Chromium not installed; apt-get install chromium to run the browser tests")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start Chromium at %s: %v", path, err)
	}
	return bctx
}

// tab opens a tab in a browser context of its own: its own cookies, so
// each role signs in separately.
func tab(t *testing.T, browserCtx context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	return ctx
}

func run(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	st := time.Now()
	defer func() { t.Logf("%-30s %v", what, time.Since(st).Round(time.Millisecond)) }()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	// textContent, not innerText: the latter applies CSS text-transform.
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(`+strconv.Quote(sel)+`).textContent`))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func signIn(t *testing.T, ctx context.Context, base, role string) {
	t.Helper()
	run(t, ctx, "sign in as "+role,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SetValue(chromedp.CSS("#username"), role),
		chromedp.SetValue(chromedp.CSS("#password"), password(role)),
		chromedp.Click(chromedp.CSS("form.card button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("nav.menu")),
	)
}

func signOut(t *testing.T, ctx context.Context) {
	t.Helper()
	run(t, ctx, "sign out",
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#username")),
	)
}

// screenshot saves a PNG of the page in $PARLEY_SCREENSHOTS (when set) and
// checks that it is a real picture of the expected size.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	st := time.Now()
	defer func() { t.Logf("%-30s %v", "screenshot "+name, time.Since(st).Round(time.Millisecond)) }()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(buf))
	if err != nil {
		t.Fatalf("screenshot %s is not a PNG: %v", name, err)
	}
	if cfg.Width < 600 || cfg.Height < 400 {
		t.Errorf("screenshot %s is only %dx%d", name, cfg.Width, cfg.Height)
	}
	if dir := os.Getenv("PARLEY_SCREENSHOTS"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBrowser drives the workbench in a real headless Chromium: each role
// signs in; officer A uploads a list with errors and sees every problem,
// fixes it and hands it over; officer B sees it arrive and acknowledges
// it; the pages switch to Ukrainian and Russian; the mediator's dashboard
// draws the progress chart; the administrator creates a user.
func TestBrowser(t *testing.T) {
	start := time.Now()
	bctx := newChromium(t)
	t.Logf("Chromium started in %v", time.Since(start).Round(time.Millisecond))
	e := newEnv(t)
	base := e.ts.URL
	// Two earlier hand-overs by B, dated back so that the progress chart
	// spans days as in a real exchange.
	for i, title := range []string{"Borduria: wounded, first stage", "Borduria: youth, second stage"} {
		id := e.importList("B", "A", "list_b.csv", title, "")
		e.handOver(id)
		at := time.Now().UTC().Add(-time.Duration(3-i) * 24 * time.Hour).Format(time.RFC3339Nano)
		if _, err := e.db.SQL().Exec(`UPDATE lists SET handed_over_at = ?, created_at = ? WHERE id = ?`, at, at, id); err != nil {
			t.Fatal(err)
		}
	}
	testdata, _ := filepath.Abs("testdata")

	// Officer A: a refused upload shows every problem; the fixed file goes
	// through and is handed over.
	// One tab for everyone, signing out between roles: a fresh renderer
	// per role would cost seconds each.
	a := tab(t, bctx)
	signIn(t, a, base, roleOfficerA)
	run(t, a, "open the lists", chromedp.Navigate(base+"/lists"), chromedp.WaitVisible(chromedp.CSS("#file")))
	run(t, a, "upload a file with errors",
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{filepath.Join(testdata, "bad.csv")}),
		chromedp.SetValue(chromedp.CSS("#title"), "Arcadia: wounded and youth"),
		chromedp.Click(chromedp.CSS("form.grid-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("table.problems")),
	)
	if n := eval[int](t, a, `document.querySelectorAll("table.problems tbody tr").length`); n != 4 {
		t.Errorf("problem rows shown: %d, want 4", n)
	}
	report := text(t, a, "table.problems")
	for _, want := range []string{"31.02.1990", "missing surname", "хоробрий", "Стать"} {
		if !strings.Contains(report, want) {
			t.Errorf("problem report lacks %q:\n%s", want, report)
		}
	}
	screenshot(t, a, "upload-errors")
	if v := eval[string](t, a, `document.querySelector("#title").value`); v != "Arcadia: wounded and youth" {
		t.Errorf("the form lost the title: %q", v)
	}
	run(t, a, "upload the fixed file",
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{filepath.Join(testdata, "good.csv")}),
		chromedp.Click(chromedp.CSS("form.grid-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("table.entries")),
	)
	page := text(t, a, "main")
	for _, want := range []string{"Шевченко Тарас Григорович", "Shevchenko Taras", "Draft", "Hand over"} {
		if !strings.Contains(page, want) {
			t.Errorf("new list page lacks %q", want)
		}
	}
	run(t, a, "search the list",
		chromedp.SetValue(chromedp.CSS("#q"), "koval"),
		chromedp.Submit(chromedp.CSS("#q")),
		chromedp.WaitVisible(chromedp.CSS("p[role=status]")),
	)
	if n := eval[int](t, a, `document.querySelectorAll("table.entries tbody tr").length`); n != 1 {
		t.Errorf("search for a Latin name found %d rows, want 1", n)
	}
	run(t, a, "tablet view", chromedp.EmulateViewport(1024, 768))
	screenshot(t, a, "list-draft")
	run(t, a, "hand over",
		chromedp.Click(chromedp.CSS(`#handover-confirm`)),
		chromedp.Click(chromedp.CSS(`form[action$="/handover"] button`)),
		chromedp.WaitVisible(chromedp.CSS("h1 .badge.state-handed_over")),
	)
	listURL := eval[string](t, a, `location.pathname`)
	if !strings.Contains(text(t, a, "main"), "sha256:") {
		t.Error("handed-over list shows no content hash")
	}

	// Officer B: the list has arrived; acknowledge it; the pages speak
	// Ukrainian and Russian.
	signOut(t, a)
	b := a
	signIn(t, b, base, roleOfficerB)
	run(t, b, "open the lists", chromedp.Navigate(base+"/lists"), chromedp.WaitVisible(chromedp.CSS("table.lists")))
	if !strings.Contains(text(t, b, "table.lists"), "Arcadia: wounded and youth") {
		t.Fatal("officer B does not see the handed-over list")
	}
	run(t, b, "open and acknowledge",
		chromedp.Navigate(base+listURL),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/ack"] button`)),
		chromedp.Click(chromedp.CSS(`form[action$="/ack"] button`)),
		chromedp.WaitVisible(chromedp.CSS("h1 .badge.state-acknowledged")),
	)
	run(t, b, "switch to Ukrainian",
		chromedp.Click(chromedp.CSS(`.langs [lang="uk"]`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="uk"] h1`)),
	)
	uk := text(t, b, "body")
	for _, want := range []string{"Отримання підтверджено", "Списки", "Вийти", "Дата народження"} {
		if !strings.Contains(uk, want) {
			t.Errorf("Ukrainian page lacks %q", want)
		}
	}
	screenshot(t, b, "list-uk")
	if eval[string](t, b, `location.pathname`) != listURL {
		t.Error("the language switch did not return to the same page")
	}
	run(t, b, "switch to Russian",
		chromedp.Click(chromedp.CSS(`.langs [lang="ru"]`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="ru"] h1`)),
	)
	ru := text(t, b, "body")
	for _, want := range []string{"Получение подтверждено", "Списки", "Выйти", "Дата рождения"} {
		if !strings.Contains(ru, want) {
			t.Errorf("Russian page lacks %q", want)
		}
	}
	run(t, b, "Russian dashboard", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	if !strings.Contains(text(t, b, "main"), "Ход обмена") {
		t.Error("Russian dashboard lacks its chart title")
	}

	// Mediator: the dashboard with its chart.
	// Signed in, the choice is saved with the account and wins over the
	// cookie of /lang/en: the menu's button changes it back.
	run(t, b, "back to English", chromedp.Click(chromedp.CSS(`.langs [lang="en"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] h1`)))
	signOut(t, b)
	m := a
	signIn(t, m, base, roleMediator)
	run(t, m, "dashboard", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("svg.chart polyline")))
	if n := eval[int](t, m, `document.querySelectorAll("svg.chart polyline").length`); n != 3 {
		t.Errorf("chart lines: %d, want 3 (A→B handed and acknowledged, B→A handed)", n)
	}
	if eval[int](t, m, `document.querySelectorAll("nav.menu a[href='/users']").length`) != 0 {
		t.Error("the mediator sees the users menu")
	}
	screenshot(t, m, "dashboard")
	run(t, m, "access log", chromedp.Navigate(base+"/access-log"), chromedp.WaitVisible(chromedp.CSS("table.data")))
	if !strings.Contains(text(t, m, "table.data"), "officera@A") {
		t.Error("the access log does not show officer A's views")
	}

	// Observer: reads lists, may not upload.
	signOut(t, m)
	o := a
	signIn(t, o, base, roleObserver)
	run(t, o, "lists", chromedp.Navigate(base+"/lists"), chromedp.WaitVisible(chromedp.CSS("table.lists")))
	if eval[int](t, o, `document.querySelectorAll("#file").length`) != 0 {
		t.Error("the observer is offered the upload form")
	}

	// Administrator: creates a user and sees the generated password once;
	// sees no lists.
	signOut(t, o)
	ad := a
	signIn(t, ad, base, roleAdmin)
	run(t, ad, "users page", chromedp.Navigate(base+"/users"), chromedp.WaitVisible(chromedp.CSS("#nu-name")))
	run(t, ad, "create a user",
		chromedp.SetValue(chromedp.CSS("#nu-name"), "petro"),
		chromedp.Click(chromedp.CSS(`input[name=role][value=officer]`)),
		chromedp.SetValue(chromedp.CSS("#nu-party"), "A"),
		chromedp.Click(chromedp.CSS(`form[action="/users"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".secret-value")),
	)
	if pw := text(t, ad, ".secret-value"); len(pw) != 20 {
		t.Errorf("generated password shown as %q", pw)
	}
	screenshot(t, ad, "users")
	if eval[int](t, ad, `document.querySelectorAll("nav.menu a[href='/lists']").length`) != 0 {
		t.Error("the administrator is offered the lists")
	}
	signOut(t, ad)
	run(t, ad, "signed out", chromedp.Navigate(base+"/users"), chromedp.WaitVisible(chromedp.CSS("#username")))
	t.Logf("browser test took %v", time.Since(start).Round(time.Millisecond))
}
