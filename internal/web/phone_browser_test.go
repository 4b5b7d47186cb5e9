package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"parley/internal/access"
	"parley/internal/familyweb"
	"parley/internal/service"
)

// phoneWidth is the CSS width of a common phone (iPhone 12 to 15).
const phoneWidth = 390

// TestBrowserPhone opens, at a 390 px wide viewport, every page of the
// route table that each role may open (the ids come from the same
// fixtures as the authorization matrix), the family site's pages and the
// public figures, and checks that none is wider than the screen: the menu
// folds, tables scroll inside their card, long hashes wrap.
func TestBrowserPhone(t *testing.T) {
	start := time.Now()
	bctx := newChromiumFor(t, 5*time.Minute)
	e := newEnv(t, envOptions{ledger: true, mount: mountFamily})
	f := &fixtures{}
	f.draftA = e.importList("A", "B", "good.csv", "Draft of A", "")
	f.draftA2 = e.importList("A", "B", "good_v2.csv", "", f.draftA)
	f.sentA = e.importList("A", "B", "good.csv", "Sent by A", "")
	e.handOver(f.sentA)
	f.sentB = e.importList("B", "A", "list_b.csv", "Sent by B", "")
	e.handOver(f.sentB)
	for _, p := range []string{"A", "B"} {
		if _, err := e.svc.ImportRegistry(t.Context(), access.System, service.RegistryImportRequest{Party: p, Format: "csv"}, strings.NewReader("Прізвище,Ім'я,Статус\nМельник,Андрій,зник безвісти\n")); err != nil {
			t.Fatal(err)
		}
	}

	// Which pages each role can open: the matrix's probe for every GET
	// page route, kept where the server answers that role with an HTML
	// page (downloads and PDFs are not pages).
	cases := matrix(t)
	pages := map[string][]string{}
	roles := []string{roleOfficerA, roleOfficerB, roleMediator, roleObserver, roleAdmin}
	clients := map[string]*browser{}
	for _, role := range roles {
		clients[role] = e.login(role)
	}
	routes := 0
	for _, rt := range e.srv.Routes() {
		if rt.Method != http.MethodGet || rt.IsAPI() || rt.Auth != SignedIn {
			continue
		}
		mc, ok := cases[rt.Method+" "+rt.Pattern]
		if !ok {
			t.Errorf("route %s has no probe", rt.Pattern)
			continue
		}
		routes++
		for _, role := range roles {
			p := mc.setup(e, f)
			resp, _ := clients[role].get(p.path)
			if resp.StatusCode == http.StatusOK && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				pages[role] = append(pages[role], p.path)
			}
		}
	}
	total := 0
	for _, role := range roles {
		total += len(pages[role])
	}
	if routes < 25 || total < 60 {
		t.Fatalf("only %d page routes and %d pages to visit: %v", routes, total, pages)
	}

	c := tab(t, bctx)
	// EmulateViewport is emulation.SetDeviceMetricsOverride: a phone's
	// width, pixel ratio, portrait, touch, and the mobile meta viewport.
	phone := chromedp.EmulateViewport(phoneWidth, 844, chromedp.EmulateScale(3), chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch)
	check := func(who, path string) {
		t.Helper()
		if err := chromedp.Do(c, chromedp.Navigate(e.ts.URL+path), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
			t.Fatalf("%s %s: %v", who, path, err)
		}
		if w := eval[int](t, c, `document.documentElement.scrollWidth`); w > phoneWidth {
			wide := eval[string](t, c, `[...document.querySelectorAll("body *")].filter(n => n.getBoundingClientRect().right > `+strconv.Itoa(phoneWidth+1)+`).slice(0, 5).map(n => n.tagName + "." + n.className + " " + Math.round(n.getBoundingClientRect().left) + "-" + Math.round(n.getBoundingClientRect().right)).join(", ")`)
			t.Errorf("%s %s: page is %d px wide at %d px (%s)", who, path, w, phoneWidth, wide)
		}
	}
	run(t, c, "phone", phone)
	for _, role := range roles {
		run(t, c, "sign in on a phone as "+role,
			chromedp.Navigate(e.ts.URL+"/login"),
			chromedp.WaitVisible(chromedp.CSS("#username")),
			chromedp.SetValue(chromedp.CSS("#username"), role),
			chromedp.SetValue(chromedp.CSS("#password"), password(role)),
			chromedp.Click(chromedp.CSS("form.card button[type=submit]")),
			chromedp.WaitVisible(chromedp.CSS("details.menu-small summary")),
		)
		for _, path := range pages[role] {
			check(role, path)
		}
		if role == roleMediator {
			for _, path := range []string{"/family/review", "/public"} {
				check(role, path)
			}
		}
		// The folded menu opens and leads on.
		run(t, c, "menu on a phone", chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitReady(chromedp.CSS("body")))
		if eval[bool](t, c, `getComputedStyle(document.querySelector("nav.menu")).display !== "none"`) {
			t.Errorf("%s: the full menu shows on a phone", role)
		}
		if h := eval[float64](t, c, `document.querySelector("header.top").getBoundingClientRect().height`); h > 140 {
			t.Errorf("%s: the header with the menu folded is %.0f px tall", role, h)
		}
		run(t, c, "open the menu", chromedp.Click(chromedp.CSS("details.menu-small summary")),
			chromedp.WaitVisible(chromedp.CSS("details.menu-small nav a")))
		signOut(t, c)
	}
	// Anonymous: the sign-in page and the family site.
	for _, path := range []string{"/login", "/family/", "/family/inquire", "/family/status", "/family/new-secret", "/public"} {
		check("anonymous", path)
	}
	if n := eval[int](t, c, `document.querySelectorAll('link[rel="icon"]').length`); n != 1 {
		t.Errorf("family page has %d favicons", n)
	}
	if !slices.Contains(pages[roleOfficerA], FamilyLinksPath) {
		t.Errorf("officer A cannot open %s", FamilyLinksPath)
	}
	if !slices.Contains(pages[roleOfficerA], "/log") {
		t.Error("officer A cannot open /log")
	}
	t.Logf("phone test: %d pages of %d routes in %v", total, routes, time.Since(start).Round(time.Millisecond))
}

// mountFamily serves the family site beside the workbench, as the
// serve command does.
func mountFamily(s *Server) {
	fam, err := familyweb.NewHandler(s.svc, familyweb.Options{
		Actor:           func(r *http.Request) (access.Actor, bool) { return ActorFrom(r.Context()) },
		ReviewURL:       FamilyLinksPath,
		InsecureCookies: true,
	})
	if err != nil {
		panic(err)
	}
	for _, p := range []string{"/family/", "/public", "/api/v1/inquiries", "/api/v1/inquiries/", "/api/v1/inquiry-links", "/api/v1/inquiry-links/", "/api/v1/public/"} {
		if err := s.Mount(p, fam); err != nil {
			panic(err)
		}
	}
}
