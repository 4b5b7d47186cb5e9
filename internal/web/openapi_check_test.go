package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// apiContract checks real responses against the server's OpenAPI document
// with an independent validator (kin-openapi), so that the document's
// schemas — made by reflection from the routes' types — are held to what
// the handlers really write.
type apiContract struct {
	doc *openapi3.T
}

func newAPIContract(t *testing.T, s *Server) *apiContract {
	t.Helper()
	b, err := json.Marshal(s.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(b)
	if err != nil {
		t.Fatalf("load the OpenAPI document: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("the OpenAPI document is not valid: %v", err)
	}
	return &apiContract{doc: doc}
}

// check validates one response of the route rt: its status and, for JSON,
// its body against the operation's schema.
func (c *apiContract) check(rt Route, resp *http.Response, body []byte) error {
	path := openAPIPath(rt.Pattern)
	item := c.doc.Paths.Value(path)
	if item == nil {
		return errNotDocumented
	}
	op := item.GetOperation(rt.Method)
	if op == nil {
		return errNotDocumented
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: resp.Request,
			Route:   &routers.Route{Spec: c.doc, Path: path, PathItem: item, Method: rt.Method, Operation: op},
		},
		Status:  resp.StatusCode,
		Header:  resp.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(context.Background(), in)
}

type contractError string

func (e contractError) Error() string { return string(e) }

const errNotDocumented = contractError("the route is not in the OpenAPI document")

// TestAPIContractCanFail: the contract check refuses a body that does not
// fit the schema made from the route's type, and a status the route does
// not document.
func TestAPIContractCanFail(t *testing.T) {
	e := newEnv(t, envOptions{family: true})
	c := newAPIContract(t, e.srv)
	var me, figures Route
	for _, rt := range e.srv.Routes() {
		switch rt.Method + " " + rt.Pattern {
		case "GET /api/v1/me":
			me = rt
		case "GET /api/v1/public/figures":
			figures = rt
		}
	}
	resp, body := e.api(roleOfficerA, "GET", "/api/v1/me", nil, "")
	if err := c.check(me, resp, body); err != nil {
		t.Fatalf("a real answer: %v", err)
	}
	for _, tc := range []struct {
		name string
		rt   Route
		body string
	}{
		{"a number for a string", me, `{"user_id":"a","username":5,"roles":[],"via":"token"}`},
		{"a member missing", me, `{"user_id":"a","roles":[],"via":"token"}`},
		{"a member the type does not have", me, `{"user_id":"a","username":"a","roles":[],"via":"token","extra":1}`},
		{"a suppressed count with its value", figures, withMember(t, e, "/api/v1/public/figures", "lists", `{"suppressed":true,"below":10,"count":3}`)},
	} {
		r, _ := e.api(roleAnon, "GET", tc.rt.Pattern, nil, "")
		r.StatusCode = http.StatusOK
		if err := c.check(tc.rt, r, []byte(tc.body)); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	resp.StatusCode = http.StatusTeapot
	resp.Header.Set("Content-Type", "text/plain")
	if err := c.check(me, resp, []byte("tea")); err == nil {
		t.Error("an undocumented status and type: accepted")
	}
}

// withMember returns the body of a real GET answer with one member replaced.
func withMember(t *testing.T, e *env, path, name, value string) string {
	t.Helper()
	_, body := e.api(roleAnon, "GET", path, nil, "")
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m[name]; !ok {
		t.Fatalf("%s has no member %q: %s", path, name, body)
	}
	m[name] = json.RawMessage(value)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAPIDocs: the reference page names every operation of the document,
// with an anchor each, and every type; it is a page like the others, in
// the reader's language and without script.
func TestAPIDocs(t *testing.T) {
	e := newEnv(t, envOptions{family: true})
	for _, lang := range []string{"en", "uk"} {
		req, _ := http.NewRequest("GET", e.ts.URL+"/api/v1/docs", nil)
		req.Header.Set("Accept-Language", lang)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		page := string(body)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("%s: %d %s", lang, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src") || strings.Contains(page, "<script") {
			t.Errorf("%s: the page must be served under the CSP, without script", lang)
		}
		title := map[string]string{"en": "API reference", "uk": "Довідник API"}[lang]
		if !strings.Contains(page, title) {
			t.Errorf("%s: no title %q", lang, title)
		}
		for _, rt := range e.srv.Routes() {
			if rt.IsAPI() && !strings.Contains(page, `id="op-`+operationID(rt)+`"`) {
				t.Errorf("%s: %s %s is not on the page", lang, rt.Method, rt.Pattern)
			}
		}
		for _, name := range []string{"Error", "families.Figures", "service.ProposalView", "negotiation.Round"} {
			if !strings.Contains(page, `id="schema-`+name+`"`) {
				t.Errorf("%s: type %s is not on the page", lang, name)
			}
		}
	}
}
