package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"parley/internal/access"
	"parley/internal/service"
)

// probe is one concrete request for a route.
type probe struct {
	path        string
	form        url.Values // UI: posted as a form
	body        []byte     // API: raw body
	contentType string
	// upload, for a UI form with a file: sent as multipart with the token.
	upload *upload
	// fresh asks for a new session for this request (sign-out ends it).
	fresh bool
}

type upload struct {
	name    string
	content []byte
	fields  map[string]string
}

// matrixCase tells how to call a route and what each role must get.
type matrixCase struct {
	setup func(e *env, f *fixtures) probe
	// want is the status per role; "*" covers the roles not named.
	want map[string]int
}

// fixtures are the records every probe may use.
type fixtures struct {
	draftA, draftA2 string // a draft A→B and its second version
	sentA           string // a list A→B that was handed over
	sentB           string // a list B→A that was handed over
}

var seq atomic.Int64

func uniq(prefix string) string { return fmt.Sprintf("%s%d", prefix, seq.Add(1)) }

func fileBytes(t testing.TB, name string) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// w builds a want map: anonymous, officer A, officer B, mediator,
// observer, admin.
func w(anon, a, b, med, obs, adm int) map[string]int {
	return map[string]int{roleAnon: anon, roleOfficerA: a, roleOfficerB: b, roleMediator: med, roleObserver: obs, roleAdmin: adm}
}

func all(status int) map[string]int { return map[string]int{"*": status} }

const (
	s200 = http.StatusOK
	s201 = http.StatusCreated
	s202 = http.StatusAccepted
	s204 = http.StatusNoContent
	s301 = http.StatusMovedPermanently
	s303 = http.StatusSeeOther
	s401 = http.StatusUnauthorized
	s403 = http.StatusForbidden
	s404 = http.StatusNotFound
	s422 = http.StatusUnprocessableEntity
)

func fixed(path string) func(*env, *fixtures) probe {
	return func(*env, *fixtures) probe { return probe{path: path} }
}

// freshUser creates a user for a probe that disables or enables one.
func freshUser(e *env, disabled bool) string {
	name := uniq("target")
	ctx := context.Background()
	if err := e.svc.CreateUser(ctx, access.System, service.NewUser{Username: name, Password: "target password 1", Roles: []access.Role{access.Observer}}); err != nil {
		e.t.Fatal(err)
	}
	if disabled {
		if err := e.svc.SetUserDisabled(ctx, access.System, name, true); err != nil {
			e.t.Fatal(err)
		}
	}
	return name
}

func freshToken(e *env, user string) string {
	_, info, err := e.svc.CreateToken(context.Background(), access.System, user, "probe")
	if err != nil {
		e.t.Fatal(err)
	}
	return info.ID
}

// matrix is the expected outcome of every route for every role. A route
// missing here fails the test, so that no route escapes it.
func matrix(t *testing.T) map[string]matrixCase {
	m := baseMatrix(t)
	for _, extra := range matrixExtras {
		for k, v := range extra(t) {
			if _, dup := m[k]; dup {
				t.Fatalf("matrix case %q given twice", k)
			}
			m[k] = v
		}
	}
	return m
}

// matrixExtras holds the cases of routes defined in other files; each area's
// test file appends its function from an init function.
var matrixExtras []func(t *testing.T) map[string]matrixCase

func baseMatrix(t *testing.T) map[string]matrixCase {
	csv := func(t testing.TB) []byte { return fileBytes(t, "good.csv") }
	return map[string]matrixCase{
		// Operations and public pages.
		"GET /healthz": {fixed("/healthz"), all(s200)},
		"GET /readyz":  {fixed("/readyz"), all(s200)},
		// No metrics token configured: /metrics does not exist here.
		"GET /metrics":             {fixed("/metrics"), all(s404)},
		"GET /static/":             {fixed("/static/app.css"), all(s200)},
		"GET /api/v1/openapi.json": {fixed("/api/v1/openapi.json"), all(s200)},
		"GET /api/v1/docs":         {fixed("/api/v1/docs"), all(s200)},
		"GET /login":               {fixed("/login"), map[string]int{roleAnon: s200, "*": s303}},
		"POST /login": {func(*env, *fixtures) probe {
			return probe{path: "/login", form: url.Values{"username": {uniq("nobody")}, "password": {"wrong password"}}}
		}, all(s401)},
		"GET /lang/{code}": {fixed("/lang/uk?next=/lists"), all(s303)},
		"POST /logout":     {func(*env, *fixtures) probe { return probe{path: "/logout", fresh: true} }, all(s303)},
		"GET /account":     {fixed("/account"), map[string]int{roleAnon: s303, "*": s200}},
		"POST /account/language": {func(*env, *fixtures) probe {
			return probe{path: "/account/language", form: url.Values{"language": {""}}}
		}, map[string]int{roleAnon: s303, "*": s303}},
		"POST /account/password": {func(*env, *fixtures) probe {
			return probe{path: "/account/password", form: url.Values{"current": {"not the password"}, "new": {"another long one"}, "repeat": {"another long one"}}}
		}, map[string]int{roleAnon: s303, "*": s422}},
		"GET /{$}":        {fixed("/"), map[string]int{roleAnon: s303, "*": s200}},
		"GET /lists":      {fixed("/lists"), map[string]int{roleAnon: s303, "*": s200}},
		"GET /registry":   {fixed("/registry"), w(s303, s200, s200, s403, s403, s403)},
		"GET /access-log": {fixed("/access-log"), w(s303, s403, s403, s200, s403, s200)},
		"GET /users":      {fixed("/users"), w(s303, s403, s403, s403, s403, s200)},
		"GET /api/v1/me":  {fixed("/api/v1/me"), map[string]int{roleAnon: s401, "*": s200}},
		"PUT /api/v1/me/language": {func(*env, *fixtures) probe {
			return probe{path: "/api/v1/me/language", body: []byte(`{"language":""}`), contentType: "application/json"}
		}, map[string]int{roleAnon: s401, "*": s200}},
		"GET /api/v1/parties":                 {fixed("/api/v1/parties"), map[string]int{roleAnon: s401, "*": s200}},
		"GET /api/v1/categories":              {fixed("/api/v1/categories"), map[string]int{roleAnon: s401, "*": s200}},
		"GET /api/v1/lists":                   {fixed("/api/v1/lists"), w(s401, s200, s200, s200, s200, s403)},
		"GET /api/v1/registry":                {fixed("/api/v1/registry"), w(s401, s200, s200, s403, s403, s403)},
		"GET /api/v1/access-log":              {fixed("/api/v1/access-log"), w(s401, s403, s403, s200, s403, s200)},
		"GET /api/v1/users":                   {fixed("/api/v1/users"), w(s401, s403, s403, s403, s403, s200)},
		"GET /api/v1/users/{username}":        {fixed("/api/v1/users/officera"), w(s401, s200, s403, s403, s403, s200)},
		"GET /api/v1/users/{username}/tokens": {fixed("/api/v1/users/officera/tokens"), w(s401, s200, s403, s403, s403, s200)},
		// Another party's registry: refused, whoever asks.
		"GET /api/v1/parties/{party}/registry": {fixed("/api/v1/parties/A/registry"), w(s401, s200, s403, s403, s403, s403)},

		// A draft is visible to its own party only; to everyone else its id
		// does not exist (404, not 403), so that guessing ids reveals nothing.
		"GET /lists/{id}":              {func(_ *env, f *fixtures) probe { return probe{path: "/lists/" + f.draftA} }, w(s303, s200, s404, s404, s404, s404)},
		"GET /api/v1/lists/{id}":       {func(_ *env, f *fixtures) probe { return probe{path: "/api/v1/lists/" + f.draftA} }, w(s401, s200, s404, s404, s404, s404)},
		"GET /lists/{id}/diff/{other}": {func(_ *env, f *fixtures) probe { return probe{path: "/lists/" + f.draftA + "/diff/" + f.draftA2} }, w(s303, s200, s404, s404, s404, s404)},
		"GET /api/v1/lists/{id}/diff/{other}": {func(_ *env, f *fixtures) probe {
			return probe{path: "/api/v1/lists/" + f.draftA + "/diff/" + f.draftA2}
		}, w(s401, s200, s404, s404, s404, s404)},
		"GET /lists/{id}/export": {func(_ *env, f *fixtures) probe { return probe{path: "/lists/" + f.draftA + "/export?format=csv"} }, w(s303, s200, s404, s404, s404, s404)},
		"GET /api/v1/lists/{id}/export": {func(_ *env, f *fixtures) probe {
			return probe{path: "/api/v1/lists/" + f.draftA + "/export?format=xlsx"}
		}, w(s401, s200, s404, s404, s404, s404)},

		// Hand-over: only the sender's officers; the rest cannot see a draft.
		"POST /lists/{id}/handover": {func(e *env, _ *fixtures) probe {
			return probe{path: "/lists/" + e.importList("A", "B", "good.csv", "probe", "") + "/handover", form: url.Values{"confirm": {"freeze"}}}
		}, w(s303, s303, s404, s404, s404, s404)},
		"POST /api/v1/lists/{id}/handover": {func(e *env, _ *fixtures) probe {
			return probe{path: "/api/v1/lists/" + e.importList("A", "B", "good.csv", "probe", "") + "/handover"}
		}, w(s401, s200, s404, s404, s404, s404)},
		// Acknowledgement: only the receiver's officers; others who may
		// read the list are refused, administrators do not even see it.
		"POST /lists/{id}/ack": {func(e *env, _ *fixtures) probe {
			id := e.importList("A", "B", "good.csv", "probe", "")
			e.handOver(id)
			return probe{path: "/lists/" + id + "/ack"}
		}, w(s303, s403, s303, s403, s403, s404)},
		"POST /api/v1/lists/{id}/ack": {func(e *env, _ *fixtures) probe {
			id := e.importList("A", "B", "good.csv", "probe", "")
			e.handOver(id)
			return probe{path: "/api/v1/lists/" + id + "/ack"}
		}, w(s401, s403, s200, s403, s403, s404)},

		// Uploads: officers of the sending party only. In the form "from"
		// is the officer's own party, so officer B sending to B is invalid.
		"POST /lists": {func(e *env, _ *fixtures) probe {
			return probe{path: "/lists", upload: &upload{"good.csv", csv(e.t), map[string]string{"to": "B", "title": "Uploaded"}}}
		}, w(s303, s303, s422, s403, s403, s403)},
		// Through the API, "from" is explicit: officer B may not forge A.
		"POST /api/v1/lists": {func(e *env, _ *fixtures) probe {
			return probe{path: "/api/v1/lists?from=A&to=B&title=API&format=csv", body: csv(e.t), contentType: "text/csv"}
		}, w(s401, s201, s403, s403, s403, s403)},

		"POST /api/v1/categories": {func(*env, *fixtures) probe {
			code := uniq("probe_cat_")
			return probe{path: "/api/v1/categories", body: []byte(`{"code":"` + code + `","labels":{"en":"` + code + `"},"synonyms":[]}`), contentType: "application/json"}
		}, w(s401, s403, s403, s201, s403, s201)},

		// User administration: administrators only; a user sees and issues
		// their own tokens, and nobody issues anyone else's.
		"POST /users": {func(*env, *fixtures) probe {
			return probe{path: "/users", form: url.Values{"username": {uniq("newuser")}, "role": {"observer"}}}
		}, w(s303, s403, s403, s403, s403, s200)},
		"POST /api/v1/users": {func(*env, *fixtures) probe {
			return probe{path: "/api/v1/users", body: []byte(`{"username":"` + uniq("apiuser") + `","roles":["observer"]}`), contentType: "application/json"}
		}, w(s401, s403, s403, s403, s403, s201)},
		// Separation of duties: a token is issued only to its own holder;
		// an administrator asking for an officer's token is refused.
		"POST /api/v1/users/{username}/tokens": {func(*env, *fixtures) probe {
			return probe{path: "/api/v1/users/officera/tokens", body: []byte(`{"name":"probe"}`), contentType: "application/json"}
		}, w(s401, s201, s403, s403, s403, s403)},
		"POST /account/tokens": {func(*env, *fixtures) probe {
			return probe{path: "/account/tokens", form: url.Values{"name": {"probe"}}}
		}, map[string]int{roleAnon: s303, "*": s200}},
		// One's own key is revoked; anybody else's is not found here.
		"POST /account/tokens/{id}/revoke": {func(e *env, _ *fixtures) probe {
			return probe{path: "/account/tokens/" + freshToken(e, roleOfficerA) + "/revoke"}
		}, w(s303, s303, s404, s404, s404, s404)},
		"POST /users/{username}/disable": {func(e *env, _ *fixtures) probe {
			return probe{path: "/users/" + freshUser(e, false) + "/disable"}
		}, w(s303, s403, s403, s403, s403, s303)},
		"POST /users/{username}/enable": {func(e *env, _ *fixtures) probe {
			return probe{path: "/users/" + freshUser(e, true) + "/enable"}
		}, w(s303, s403, s403, s403, s403, s303)},
		"POST /api/v1/users/{username}/disable": {func(e *env, _ *fixtures) probe {
			return probe{path: "/api/v1/users/" + freshUser(e, false) + "/disable"}
		}, w(s401, s403, s403, s403, s403, s200)},
		"POST /api/v1/users/{username}/enable": {func(e *env, _ *fixtures) probe {
			return probe{path: "/api/v1/users/" + freshUser(e, true) + "/enable"}
		}, w(s401, s403, s403, s403, s403, s200)},
		"POST /tokens/{id}/revoke": {func(e *env, _ *fixtures) probe {
			return probe{path: "/tokens/" + freshToken(e, roleOfficerA) + "/revoke"}
		}, w(s303, s403, s403, s403, s403, s303)},
		// Someone else's token id is not found; one's own can be revoked.
		"DELETE /api/v1/tokens/{id}": {func(e *env, _ *fixtures) probe {
			return probe{path: "/api/v1/tokens/" + freshToken(e, roleOfficerA)}
		}, w(s401, s204, s404, s404, s404, s204)},
	}
}

func multipartFile(t testing.TB, name string, content []byte, fields map[string]string) ([]byte, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(content)
	_ = mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

// TestAuthorizationMatrix walks every route of the route table for every
// role and checks the outcome; every response of an API route is checked
// against the OpenAPI document too (see apiContract), so that each route of
// the table is held to its documented schemas at least once per role. It runs on SQLite; the store's own suite
// covers PostgreSQL.
func TestAuthorizationMatrix(t *testing.T) {
	e := newEnv(t, envOptions{family: true})
	f := &fixtures{}
	f.draftA = e.importList("A", "B", "good.csv", "Draft of A", "")
	f.draftA2 = e.importList("A", "B", "good_v2.csv", "", f.draftA)
	f.sentA = e.importList("A", "B", "good.csv", "Sent by A", "")
	e.handOver(f.sentA)
	f.sentB = e.importList("B", "A", "list_b.csv", "Sent by B", "")
	e.handOver(f.sentB)
	ctx := context.Background()
	for _, p := range []string{"A", "B"} {
		if _, err := e.svc.ImportRegistry(ctx, access.System, service.RegistryImportRequest{Party: p, Format: "csv"}, strings.NewReader("Прізвище,Ім'я,Статус\nМельник,Андрій,зник безвісти\n")); err != nil {
			t.Fatal(err)
		}
	}

	browsers := map[string]*browser{}
	for _, role := range allRoles {
		browsers[role] = e.login(role)
	}
	cases := matrix(t)
	contract := newAPIContract(t, e.srv)
	seen := map[string]bool{}
	for _, rt := range e.srv.Routes() {
		key := rt.Method + " " + rt.Pattern
		seen[key] = true
		mc, ok := cases[key]
		if !ok {
			t.Errorf("route %s has no entry in the authorization matrix", key)
			continue
		}
		for _, role := range allRoles {
			want, ok := mc.want[role]
			if !ok {
				want = mc.want["*"]
			}
			p := mc.setup(e, f)
			var got int
			var body string
			if rt.IsAPI() {
				var rd io.Reader
				if p.body != nil {
					rd = bytes.NewReader(p.body)
				}
				resp, b := e.api(role, rt.Method, p.path, rd, p.contentType)
				got, body = resp.StatusCode, string(b)
				if err := contract.check(rt, resp, b); err != nil {
					t.Errorf("%s as %s: the response (%d) does not fit the OpenAPI document: %v", key, role, got, err)
				}
				if got >= 400 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
					t.Errorf("%s as %s: error %d is not JSON (%s)", key, role, got, resp.Header.Get("Content-Type"))
				}
			} else {
				b := browsers[role]
				if p.fresh {
					b = e.login(role)
				}
				got, body = b.do(rt.Method, p)
			}
			if got != want {
				t.Errorf("%s %s as %s: status %d, want %d: %.200s", rt.Method, p.path, role, got, want, body)
			}
		}
	}
	for key := range cases {
		if !seen[key] {
			t.Errorf("matrix entry %s matches no route", key)
		}
	}
}

// do sends a UI request with the browser's session and form token.
func (b *browser) do(method string, p probe) (int, string) {
	b.e.t.Helper()
	switch {
	case method == "GET":
		resp, body := b.get(p.path)
		return resp.StatusCode, body
	case p.upload != nil:
		fields := map[string]string{"csrf": b.csrf}
		for k, v := range p.upload.fields {
			fields[k] = v
		}
		body, ct := multipartFile(b.e.t, p.upload.name, p.upload.content, fields)
		req, _ := http.NewRequest(method, b.e.ts.URL+p.path, bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		resp, err := b.c.Do(req)
		if err != nil {
			b.e.t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(out)
	default:
		resp, body := b.post(p.path, p.form)
		return resp.StatusCode, body
	}
}
