package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/internal/access"
	"parley/internal/auth"
	"parley/internal/familyweb"
	"parley/internal/ledger"
	"parley/internal/parties"
	"parley/internal/service"
	"parley/internal/store"
)

// cheapPasswords are the password hashing costs of these tests: sign-ins
// hash with cheap parameters, on the code path of the default cost.
var cheapPasswords = auth.Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// The roles of the authorization tests. Each has a user of that name whose
// password is the name followed by testPasswordSuffix.
const (
	roleAnon     = "anonymous"
	roleOfficerA = "officera"
	roleOfficerB = "officerb"
	roleMediator = "mediator"
	roleObserver = "observer"
	roleAdmin    = "admin"
)

var allRoles = []string{roleAnon, roleOfficerA, roleOfficerB, roleMediator, roleObserver, roleAdmin}

const testPasswordSuffix = "-secret-pw"

// password derives a user's test password (rot13 of the name, so that it
// does not contain the username).
func password(user string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return 'a' + (r-'a'+13)%26
		}
		return r
	}, user) + testPasswordSuffix
}

// env is a real server over a real SQLite database in a temporary data
// directory, with two parties (A and B) and one user per role.
type env struct {
	t      testing.TB
	svc    *service.Service
	db     *store.DB   // the service's database, for checks of what was stored
	lg     *ledger.Log // the signed log, when attached
	srv    *Server
	ts     *httptest.Server
	logs   *syncBuffer
	clock  *fakeClock
	tokens map[string]string // role → API token
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type envOptions struct {
	opts  Options
	mount func(s *Server)
	// ledger attaches a signed log (origin "parley.test/log", witnesses
	// for A and B) before anything is recorded.
	ledger bool
	// family adds the family site's routes, as the server does.
	family bool
	// countCap is how far a registry's page view counts (service.CountCap).
	countCap int
}

func newEnv(t testing.TB, eo ...envOptions) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc, err := service.New(ctx, db, logger, service.WithPasswordParams(cheapPasswords))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	if len(eo) > 0 {
		svc.CountCap = eo[0].countCap
	}
	if err := svc.CreateParties(ctx, []parties.Party{{ID: "A", Name: "Arcadia", Translit: "ua2010"}, {ID: "B", Name: "Borduria", Translit: "icao"}}); err != nil {
		t.Fatal(err)
	}
	var attached *ledger.Log
	if len(eo) > 0 && eo[0].ledger {
		if err := ledger.Init(dir, "parley.test/log", []string{"A", "B"}); err != nil {
			t.Fatal(err)
		}
		lg, err := ledger.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		svc.AttachLedger(lg)
		attached = lg
	}
	users := []service.NewUser{
		{Username: roleOfficerA, Roles: []access.Role{access.Officer}, Party: "A"},
		{Username: roleOfficerB, Roles: []access.Role{access.Officer}, Party: "B"},
		{Username: roleMediator, Roles: []access.Role{access.Mediator}},
		{Username: roleObserver, Roles: []access.Role{access.Observer}},
		{Username: roleAdmin, Roles: []access.Role{access.Admin}},
	}
	e := &env{t: t, svc: svc, db: db, lg: attached, logs: logs, tokens: map[string]string{}, clock: &fakeClock{t: time.Now()}}
	for _, u := range users {
		u.Password = password(u.Username)
		if err := svc.CreateUser(ctx, access.System, u); err != nil {
			t.Fatal(err)
		}
		tok, _, err := svc.CreateToken(ctx, access.System, u.Username, "test")
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[u.Username] = tok
	}
	var o envOptions
	if len(eo) > 0 {
		o = eo[0]
	}
	o.opts.Logger = logger
	if o.opts.Now == nil {
		o.opts.Now = e.clock.Now
	}
	e.srv, err = New(svc, o.opts)
	if err != nil {
		t.Fatal(err)
	}
	if o.family {
		roomy := familyweb.Rate{N: 1000, Per: time.Hour}
		fam, err := familyweb.NewHandler(svc, familyweb.Options{
			Actor:           func(r *http.Request) (access.Actor, bool) { return ActorFrom(r.Context()) },
			ReviewURL:       FamilyLinksPath,
			InsecureCookies: true,
			Limits:          familyweb.Limits{Inquiries: roomy, Lookups: roomy, LookupFailures: roomy, ReferenceFailures: roomy, NewSecrets: roomy},
			Logger:          logger,
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.srv.Adopt(fam.Routes()...); err != nil {
			t.Fatal(err)
		}
	}
	if o.mount != nil {
		o.mount(e.srv)
	}
	e.ts = httptest.NewServer(e.srv.Handler())
	t.Cleanup(e.ts.Close)
	return e
}

// actor returns the service actor of a role's user.
func (e *env) actor(role string) access.Actor {
	a, err := e.svc.TokenActor(context.Background(), e.tokens[role])
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// importList imports a test file as a draft from one party to the other.
func (e *env) importList(from, to, file, title, versionOf string) string {
	e.t.Helper()
	f, err := os.Open(filepath.Join("testdata", file))
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	res, err := e.svc.ImportList(context.Background(), access.System, service.ImportRequest{From: from, To: to, Title: title, Format: "csv", VersionOf: versionOf}, f)
	if err != nil {
		e.t.Fatal(err)
	}
	return res.List.ID
}

func (e *env) handOver(id string) {
	e.t.Helper()
	if _, err := e.svc.HandOver(context.Background(), access.System, id); err != nil {
		e.t.Fatal(err)
	}
}

// browser is an HTTP client with its own cookies that does not follow
// redirects, so that tests see them.
type browser struct {
	e    *env
	c    *http.Client
	csrf string
}

func (e *env) newBrowser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// get fetches a page and remembers its form token.
func (b *browser) get(path string, hdr ...string) (*http.Response, string) {
	b.e.t.Helper()
	req, _ := http.NewRequest("GET", b.e.ts.URL+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if m := csrfField.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return resp, string(body)
}

// post submits a form with the remembered token (unless the values carry
// their own "csrf").
func (b *browser) post(path string, form url.Values, hdr ...string) (*http.Response, string) {
	b.e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok && b.csrf != "" {
		form.Set("csrf", b.csrf)
	}
	req, _ := http.NewRequest("POST", b.e.ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if m := csrfField.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return resp, string(body)
}

// login signs a role's user in and returns the browser, holding the
// session's form token.
func (e *env) login(role string) *browser {
	e.t.Helper()
	b := e.newBrowser()
	if role == roleAnon {
		b.get("/login")
		return b
	}
	b.get("/login")
	resp, body := b.post("/login", url.Values{"username": {role}, "password": {password(role)}})
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("login %s: status %d: %.300s", role, resp.StatusCode, body)
	}
	b.get("/account")
	return b
}

// api sends an API request with a role's token (none for anonymous).
func (e *env) api(role, method, path string, body io.Reader, contentType string) (*http.Response, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.ts.URL+path, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if tok := e.tokens[role]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}
