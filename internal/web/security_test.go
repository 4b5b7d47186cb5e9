package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestCrossSiteRequestForgery(t *testing.T) {
	e := newEnv(t)
	id := e.importList("A", "B", "good.csv", "Draft", "")
	tests := []struct {
		name string
		form url.Values
		hdr  []string
		want int
	}{
		{"cross-site POST with a valid token", nil, []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
		{"foreign Origin", nil, []string{"Origin", "https://evil.example"}, http.StatusForbidden},
		{"no form token", url.Values{"csrf": {""}}, nil, http.StatusForbidden},
		{"wrong form token", url.Values{"csrf": {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}, nil, http.StatusForbidden},
		{"same-origin with the token", nil, []string{"Sec-Fetch-Site", "same-origin"}, http.StatusSeeOther},
	}
	for _, tt := range tests {
		b := e.login(roleOfficerA)
		form := tt.form
		if form == nil {
			form = url.Values{}
		}
		form.Set("confirm", "freeze")
		resp, body := b.post("/lists/"+id+"/handover", form, tt.hdr...)
		if resp.StatusCode != tt.want {
			t.Errorf("%s: status %d, want %d: %.200s", tt.name, resp.StatusCode, tt.want, body)
		}
	}
	// A refused forgery changed nothing; the accepted one handed over.
	l, err := e.svc.GetList(t.Context(), e.actor(roleOfficerA), id)
	if err != nil || l.State != "handed_over" {
		t.Fatalf("after the tests the list is %v (%v)", l.State, err)
	}

	// The API with a session cookie needs the token in a header; with a
	// bearer token (no cookie) it needs none.
	b := e.login(roleOfficerA)
	id2 := e.importList("A", "B", "good.csv", "Draft 2", "")
	req, _ := http.NewRequest("POST", e.ts.URL+"/api/v1/lists/"+id2+"/handover", nil)
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cookie API POST without X-CSRF-Token: %d, want 403", resp.StatusCode)
	}
	req, _ = http.NewRequest("POST", e.ts.URL+"/api/v1/lists/"+id2+"/handover", nil)
	req.Header.Set("X-CSRF-Token", b.csrf)
	resp, err = b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("cookie API POST with X-CSRF-Token: %d, want 200", resp.StatusCode)
	}

	// The sign-in form needs the pre-session token too.
	anon := e.newBrowser()
	resp2, _ := anon.post("/login", url.Values{"username": {roleOfficerA}, "password": {password(roleOfficerA)}})
	if resp2.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in without the pre-session token: %d, want 403", resp2.StatusCode)
	}
}

func TestLoginThrottleAndLockout(t *testing.T) {
	e := newEnv(t, envOptions{opts: Options{LoginMaxPerUser: 3, LoginMaxPerIP: 6, LoginWindow: 10 * time.Minute, LoginLockout: 15 * time.Minute}})
	b := e.newBrowser()
	b.get("/login")
	try := func(user, pw string) int {
		resp, _ := b.post("/login", url.Values{"username": {user}, "password": {pw}})
		return resp.StatusCode
	}
	for i := range 3 {
		if got := try(roleOfficerA, "wrong password"); got != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d, want 401", i+1, got)
		}
	}
	// Locked: even the right password is not checked.
	resp, body := b.post("/login", url.Values{"username": {roleOfficerA}, "password": {password(roleOfficerA)}})
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("locked account: status %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if !strings.Contains(body, "Too many failed attempts") {
		t.Errorf("lockout page does not say so: %.300s", body)
	}
	// Another user from the same address still may sign in ...
	if got := try(roleMediator, password(roleMediator)); got != http.StatusSeeOther {
		t.Fatalf("other user during lockout: %d, want 303", got)
	}
	// ... until the address itself has failed too often.
	b = e.newBrowser()
	b.get("/login")
	for i := range 3 {
		try("nobody"+string(rune('a'+i)), "wrong password")
	}
	if got := try(roleObserver, password(roleObserver)); got != http.StatusTooManyRequests {
		t.Fatalf("address over its limit: %d, want 429", got)
	}
	// The lockout ends.
	e.clock.Advance(16 * time.Minute)
	if got := try(roleOfficerA, password(roleOfficerA)); got != http.StatusSeeOther {
		t.Fatalf("after the lockout: %d, want 303", got)
	}
	if !strings.Contains(e.logs.String(), `"msg":"sign-in locked after repeated failures"`) {
		t.Error("no log line for the lockout")
	}
}

func TestSessionCookie(t *testing.T) {
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tls := range []bool{false, true} {
		e := newEnv(t, envOptions{opts: Options{TLS: tls}})
		// By hand, not with a cookie jar: a jar does not send Secure
		// cookies to the plain-HTTP test server.
		resp, err := http.Get(e.ts.URL + "/login")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var pre *http.Cookie
		for _, c := range resp.Cookies() {
			pre = c
		}
		if pre == nil || !strings.HasSuffix(pre.Name, preSessionCookie) || pre.Secure != tls || !pre.HttpOnly {
			t.Fatalf("tls=%v: pre-session cookie %+v", tls, pre)
		}
		form := url.Values{"username": {roleObserver}, "password": {password(roleObserver)}, "csrf": {pre.Value}}
		req, _ := http.NewRequest("POST", e.ts.URL+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: pre.Name, Value: pre.Value})
		resp, err = noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var sess *http.Cookie
		for _, c := range resp.Cookies() {
			if strings.HasSuffix(c.Name, sessionCookie) && c.Value != "" {
				sess = c
			}
		}
		if sess == nil {
			t.Fatalf("tls=%v: no session cookie; status %d", tls, resp.StatusCode)
		}
		wantName := sessionCookie
		if tls {
			wantName = "__Host-" + sessionCookie
		}
		if sess.Name != wantName || !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.Path != "/" || sess.Domain != "" || sess.Secure != tls || len(sess.Value) != 43 {
			t.Errorf("tls=%v: session cookie %+v", tls, sess)
		}
		if hsts := resp.Header.Get("Strict-Transport-Security"); tls != (hsts != "") {
			t.Errorf("tls=%v: Strict-Transport-Security %q", tls, hsts)
		}
		// The session id is stored only as a digest.
		var n int
		if err := e.db.SQL().QueryRow(`SELECT COUNT(*) FROM sessions WHERE id_hash = ?`, sess.Value).Scan(&n); err != nil || n != 0 {
			t.Errorf("tls=%v: session id stored in the clear (%d, %v)", tls, n, err)
		}
		// The cookie works.
		req, _ = http.NewRequest("GET", e.ts.URL+"/api/v1/me", nil)
		req.AddCookie(&http.Cookie{Name: sess.Name, Value: sess.Value})
		resp, err = noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("tls=%v: session cookie not accepted: %d", tls, resp.StatusCode)
		}
	}
}

func TestSignOutEndsSession(t *testing.T) {
	e := newEnv(t)
	b := e.login(roleMediator)
	if resp, _ := b.get("/account"); resp.StatusCode != http.StatusOK {
		t.Fatalf("signed in: %d", resp.StatusCode)
	}
	old := b.c.Jar.Cookies(mustURL(e.ts.URL))
	b.post("/logout", nil)
	if resp, _ := b.get("/account"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after sign-out: %d, want a redirect to sign in", resp.StatusCode)
	}
	// Replaying the old cookie does not work either.
	replay := e.newBrowser()
	replay.c.Jar.SetCookies(mustURL(e.ts.URL), old)
	if resp, _ := replay.get("/account"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("replayed session cookie accepted: %d", resp.StatusCode)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestPasswordChange(t *testing.T) {
	e := newEnv(t)
	b := e.login(roleObserver)
	other := e.login(roleObserver)
	tests := []struct {
		cur, next, repeat string
		want              int
		says              string
	}{
		{password(roleObserver), "new long password", "different long one", 422, "differ"},
		{password(roleObserver), "short", "short", 422, "at least 10"},
		{"wrong current pw", "new long password", "new long password", 422, "current password is wrong"},
		{password(roleObserver), "new long password", "new long password", 303, ""},
	}
	for _, tt := range tests {
		resp, body := b.post("/account/password", url.Values{"current": {tt.cur}, "new": {tt.next}, "repeat": {tt.repeat}})
		if resp.StatusCode != tt.want || !strings.Contains(body, tt.says) {
			t.Errorf("change %q→%q: status %d, want %d saying %q: %.300s", tt.cur, tt.next, resp.StatusCode, tt.want, tt.says, body)
		}
	}
	if resp, _ := b.get("/account"); resp.StatusCode != http.StatusOK {
		t.Errorf("the session that changed the password ended: %d", resp.StatusCode)
	}
	if resp, _ := other.get("/account"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("another session survived the password change: %d", resp.StatusCode)
	}
}

func TestJSONErrors(t *testing.T) {
	e := newEnv(t)
	id := e.importList("A", "B", "good.csv", "Draft", "")
	tests := []struct {
		name, role, method, path, body, ctype string
		want                                  int
		errSays                               string
		problems                              int
	}{
		{"anonymous", roleAnon, "GET", "/api/v1/lists", "", "", 401, "authentication required", 0},
		{"bad token", "bogus", "GET", "/api/v1/me", "", "", 401, "invalid or revoked", 0},
		{"forbidden", roleObserver, "GET", "/api/v1/users", "", "", 403, "administrators", 0},
		{"hidden draft", roleOfficerB, "GET", "/api/v1/lists/" + id, "", "", 404, "not found", 0},
		{"unknown id", roleOfficerA, "GET", "/api/v1/lists/Lnosuchlist", "", "", 404, "not found", 0},
		{"unknown route", roleOfficerA, "GET", "/api/v1/nothing", "", "", 404, "not found", 0},
		{"handover twice", roleOfficerA, "POST", "/api/v1/lists/" + e.importList("A", "B", "good.csv", "x", "") + "/handover?twice", "", "", 200, "", 0},
		{"import with problems", roleOfficerA, "POST", "/api/v1/lists?to=B&title=Bad&format=csv", "bad.csv", "text/csv", 422, "4 problem(s)", 4},
		{"bad JSON", roleAdmin, "POST", "/api/v1/users", "{", "application/json", 400, "invalid JSON", 0},
		{"unknown field", roleAdmin, "POST", "/api/v1/users", `{"username":"x1","roles":["observer"],"isAdmin":true}`, "application/json", 400, "unknown field", 0},
		{"invalid user", roleAdmin, "POST", "/api/v1/users", `{"username":"x y","roles":["observer"]}`, "application/json", 422, "username", 0},
		{"bad export format", roleOfficerA, "GET", "/api/v1/lists/" + id + "/export?format=pdf", "", "", 422, "want csv", 0},
	}
	e.tokens["bogus"] = "parley_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	for _, tt := range tests {
		var body *strings.Reader
		if strings.HasSuffix(tt.body, ".csv") {
			body = strings.NewReader(string(fileBytes(t, tt.body)))
		} else {
			body = strings.NewReader(tt.body)
		}
		resp, b := e.api(tt.role, tt.method, tt.path, body, tt.ctype)
		if resp.StatusCode != tt.want {
			t.Errorf("%s: status %d, want %d: %s", tt.name, resp.StatusCode, tt.want, b)
			continue
		}
		if tt.want < 400 {
			continue
		}
		var eb struct {
			Error    string `json:"error"`
			Problems []struct {
				Row    int    `json:"row"`
				Column string `json:"column"`
				Value  string `json:"value"`
				Reason string `json:"reason"`
			} `json:"problems"`
		}
		if err := json.Unmarshal(b, &eb); err != nil || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s: not a JSON error: %v %s", tt.name, err, b)
			continue
		}
		if !strings.Contains(eb.Error, tt.errSays) || len(eb.Problems) != tt.problems {
			t.Errorf("%s: error %q with %d problems, want %q and %d", tt.name, eb.Error, len(eb.Problems), tt.errSays, tt.problems)
		}
		if tt.problems > 0 {
			p := eb.Problems[0]
			if p.Row != 2 || p.Column != "Дата народження" || p.Value != "31.02.1990" || p.Reason == "" {
				t.Errorf("%s: first problem %+v", tt.name, p)
			}
		}
		if tt.want == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: 401 without WWW-Authenticate", tt.name)
		}
	}
	// A second hand-over is a conflict.
	resp, b := e.api(roleOfficerA, "POST", "/api/v1/lists/"+id+"/handover", nil, "")
	if resp.StatusCode != 200 {
		t.Fatalf("first hand-over: %d %s", resp.StatusCode, b)
	}
	if resp, b := e.api(roleOfficerA, "POST", "/api/v1/lists/"+id+"/handover", nil, ""); resp.StatusCode != http.StatusConflict {
		t.Errorf("second hand-over: %d %s", resp.StatusCode, b)
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	b := e.login(roleOfficerA)
	for _, path := range []string{"/login", "/", "/lists", "/static/app.css", "/api/v1/openapi.json", "/no/such/page", "/healthz"} {
		resp, _ := b.get(path)
		h := resp.Header
		if got := h.Get("Content-Security-Policy"); got != "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'" {
			t.Errorf("%s: CSP %q", path, got)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", path, h)
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS on plain HTTP", path)
		}
		cache := h.Get("Cache-Control")
		if strings.HasPrefix(path, "/static/") != strings.HasPrefix(cache, "public") {
			t.Errorf("%s: Cache-Control %q", path, cache)
		}
	}
	// No page carries inline script or style, which the CSP would block.
	for _, path := range []string{"/", "/lists", "/account", "/registry"} {
		_, body := b.get(path)
		if strings.Contains(body, "<script") || strings.Contains(body, "style=") || strings.Contains(body, "<style") || strings.Contains(body, " on") && strings.Contains(body, "onclick") {
			t.Errorf("%s has inline script or style", path)
		}
	}
}

func TestOpenAPIDocument(t *testing.T) {
	e := newEnv(t)
	resp, body := e.api(roleAnon, "GET", "/api/v1/openapi.json", nil, "")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("not valid JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi = %q", doc.OpenAPI)
	}
	n := 0
	ids := map[string]bool{}
	for _, rt := range e.srv.Routes() {
		if !rt.IsAPI() {
			if _, ok := doc.Paths[rt.Pattern]; ok {
				t.Errorf("page route %s is in the API document", rt.Pattern)
			}
			continue
		}
		n++
		op, ok := doc.Paths[rt.Pattern][strings.ToLower(rt.Method)]
		if !ok {
			t.Errorf("%s %s is missing from the OpenAPI document", rt.Method, rt.Pattern)
			continue
		}
		id, _ := op["operationId"].(string)
		if id == "" || ids[id] {
			t.Errorf("%s %s: operationId %q empty or repeated", rt.Method, rt.Pattern, id)
		}
		ids[id] = true
		if strings.Contains(rt.Pattern, "{") && op["parameters"] == nil {
			t.Errorf("%s %s: path parameters not described", rt.Method, rt.Pattern)
		}
	}
	count := 0
	for _, ops := range doc.Paths {
		count += len(ops)
	}
	if count != n || n < 20 {
		t.Errorf("document has %d operations, route table %d API routes", count, n)
	}
}

func TestLogsHoldNoSecrets(t *testing.T) {
	e := newEnv(t)
	b := e.login(roleOfficerA)
	b.get("/lists?q=Шевченко")
	e.api(roleOfficerA, "GET", "/api/v1/me", nil, "")
	resp, body := e.api(roleAdmin, "POST", "/api/v1/users", strings.NewReader(`{"username":"newbie","roles":["observer"]}`), "application/json")
	if resp.StatusCode != 201 {
		t.Fatalf("create user: %d %s", resp.StatusCode, body)
	}
	var created struct {
		Password string `json:"password"`
	}
	_ = json.Unmarshal(body, &created)
	logs := e.logs.String()
	var session string
	for _, c := range b.c.Jar.Cookies(mustURL(e.ts.URL)) {
		if c.Name == sessionCookie {
			session = c.Value
		}
	}
	secrets := map[string]string{
		"password":           password(roleOfficerA),
		"generated password": created.Password,
		"API token":          e.tokens[roleOfficerA],
		"session id":         session,
		"CSRF token":         b.csrf,
		"searched name":      "Шевченко",
	}
	for what, s := range secrets {
		if s == "" {
			t.Fatalf("test setup: no %s", what)
		}
		if strings.Contains(logs, s) {
			t.Errorf("the log contains the %s", what)
		}
	}
	if !strings.Contains(logs, `"route":"/lists"`) || !strings.Contains(logs, `"user_id":"`+e.actor(roleOfficerA).UserID+`"`) {
		t.Errorf("request log lines lack route or user id:\n%s", logs)
	}
}

func TestMetrics(t *testing.T) {
	const token = "metrics-token-for-the-scraper"
	e := newEnv(t, envOptions{opts: Options{MetricsToken: token}})
	e.api(roleOfficerA, "POST", "/api/v1/lists?to=B&title=M&format=csv", strings.NewReader(string(fileBytes(t, "good.csv"))), "text/csv")
	e.api(roleOfficerA, "POST", "/api/v1/lists?to=B&title=M&format=csv", strings.NewReader(string(fileBytes(t, "bad.csv"))), "text/csv")
	Metrics.MatchingRun("ok")
	Metrics.SetLogSize(42)
	get := func(auth string) (int, string) {
		req, _ := http.NewRequest("GET", e.ts.URL+"/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// Without the metrics token, nothing: not anonymously, not with a
	// wrong token, not with a user's API token.
	for _, auth := range []string{"", "Bearer wrong", "Basic " + token, "Bearer " + e.tokens[roleAdmin]} {
		if code, body := get(auth); code != http.StatusUnauthorized || strings.Contains(body, "go_goroutines") {
			t.Errorf("metrics with %.12q: status %d", auth, code)
		}
	}
	code, body := get("Bearer " + token)
	if code != http.StatusOK {
		t.Fatalf("metrics with the token: status %d", code)
	}
	for _, want := range []string{
		`parley_http_request_duration_seconds_count{method="POST",route="/api/v1/lists",status="201"}`,
		`parley_http_request_duration_seconds_count{method="POST",route="/api/v1/lists",status="422"}`,
		`parley_imports_total{kind="list",result="ok"}`,
		`parley_imports_total{kind="list",result="refused"}`,
		`parley_matching_runs_total{result="ok"}`,
		`parley_log_entries 42`,
		`go_goroutines`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestMountAndLateRoutes(t *testing.T) {
	e := newEnv(t, envOptions{mount: func(s *Server) {
		err := s.Mount("/log/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a, ok := ActorFrom(r.Context())
			w.Write([]byte("tiles for " + a.Username + " " + map[bool]string{true: "signed-in", false: "anonymous"}[ok]))
		}))
		if err != nil {
			t.Fatal(err)
		}
	}})
	resp, body := e.newBrowser().get("/log/tile/0/000")
	if resp.StatusCode != 200 || body != "tiles for  anonymous" || resp.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("mounted handler: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	resp, body = e.login(roleObserver).get("/log/checkpoint")
	if body != "tiles for observer signed-in" {
		t.Errorf("mounted handler does not see the actor: %q", body)
	}
	if err := e.srv.Handle(Route{Method: "GET", Pattern: "/late", Handler: func(http.ResponseWriter, *http.Request) error { return nil }}); err == nil {
		t.Error("a route added after Handler() was accepted")
	}
	if err := e.srv.Mount("/late/", http.NotFoundHandler()); err == nil {
		t.Error("a mount after Handler() was accepted")
	}
	s2, err := New(e.svc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Handle(Route{Method: "GET", Pattern: "/api/v1/me", Handler: s2.apiMe}); err == nil {
		t.Error("a duplicate route was accepted")
	}
}

func TestOpenRedirectRefused(t *testing.T) {
	for in, want := range map[string]string{
		"/lists":           "/lists",
		"/lists?q=a":       "/lists?q=a",
		"":                 "/",
		"//evil.example":   "/",
		"/\\evil.example":  "/",
		"https://evil":     "/",
		"/x\r\nSet-Cookie": "/",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestUploadFormWithoutScript runs the upload as a browser without
// JavaScript would: a refused file comes back with every problem, the
// fixed one leads to the new list, and the other party sees it only once
// it has been handed over.
func TestUploadFormWithoutScript(t *testing.T) {
	e := newEnv(t)
	a := e.login(roleOfficerA)
	post := func(file string) (int, string, string) {
		body, ct := multipartFile(t, file, fileBytes(t, file), map[string]string{"csrf": a.csrf, "to": "B", "title": "Stage one"})
		req, _ := http.NewRequest("POST", e.ts.URL+"/lists", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", ct)
		resp, err := a.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b := new(strings.Builder)
		_, _ = io.Copy(b, resp.Body)
		return resp.StatusCode, b.String(), resp.Header.Get("Location")
	}
	code, page, _ := post("bad.csv")
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("bad file: status %d", code)
	}
	rows := regexp.MustCompile(`(?s)<table class="problems">.*?</table>`).FindString(page)
	if n := strings.Count(rows, "<tr>") - 1; n != 4 {
		t.Errorf("problem rows: %d, want 4", n)
	}
	for _, want := range []string{"31.02.1990", "missing surname", "хоробрий", `value="Stage one"`} {
		if !strings.Contains(page, want) {
			t.Errorf("refused upload page lacks %q", want)
		}
	}
	code, _, loc := post("good.csv")
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/lists/L") {
		t.Fatalf("good file: %d to %q", code, loc)
	}
	b := e.login(roleOfficerB)
	if resp, _ := b.get(loc); resp.StatusCode != http.StatusNotFound {
		t.Errorf("officer B reads the draft: %d", resp.StatusCode)
	}
	a.get(loc)
	if resp, _ := a.post(loc+"/handover", url.Values{"confirm": {"freeze"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("hand over: %d", resp.StatusCode)
	}
	resp, page := b.get(loc)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Шевченко Тарас Григорович") || !strings.Contains(page, "Acknowledge receipt") {
		t.Fatalf("officer B after hand-over: %d", resp.StatusCode)
	}
	if resp, _ := b.post(loc+"/ack", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("acknowledge: %d", resp.StatusCode)
	}
	if _, page := b.get(loc + "?q=SHEVCHENKO"); !strings.Contains(page, "Rows 1–1 of 1") {
		t.Error("search by Latin name in capitals finds nobody")
	}
}
