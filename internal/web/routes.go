package web

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"slices"
	"strings"

	"parley/internal/access"
	"parley/internal/httpx"
	"parley/internal/msg"
)

// Auth says who may reach a route at all; what they may then see or change
// is the service layer's decision.
type Auth int

const (
	// Public routes need no sign-in (the sign-in page, health checks,
	// static files, the OpenAPI document).
	Public Auth = iota
	// SignedIn routes need a session or an API token. Anonymous API calls
	// get 401; anonymous page requests are sent to the sign-in page.
	SignedIn
)

// HandlerFunc handles a request and returns an error for the wrapper to
// turn into the right status and body: JSON for the API, a page otherwise.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Route is one entry of the route table.
type Route struct {
	Method  string // GET, POST, DELETE, ...
	Pattern string // a net/http ServeMux path pattern, e.g. /api/v1/lists/{id}
	Auth    Auth
	// Roles, when set, admits only actors holding one of the roles; others
	// get 403. It is a coarse gate for pages that make no sense for other
	// roles; the service layer checks again.
	Roles   []access.Role
	Summary string // one line, for the OpenAPI document
	// API documentation (routes under /api/ only).
	Query    []httpx.Param // query parameters
	Body     []string      // accepted request body media types
	Response string        // response media types, comma-separated; default application/json
	// Status is the success status when it is always the same one; by
	// default GET answers 200 and other methods some 2XX. 204 has no body.
	Status int
	// In and Out are values of the types the handler decodes from a JSON
	// body and writes on success; the OpenAPI document's schemas are made
	// from them (see httpx.Schemas). Nil when there is no JSON body.
	In, Out any
	Handler HandlerFunc
	// Own, set instead of Handler, is the handler of a route another front
	// end serves (see Adopt): it keeps its own gates, and the route table
	// only carries it.
	Own http.Handler
}

// IsAPI reports whether the route belongs to the JSON API.
func (r Route) IsAPI() bool { return isAPIPath(r.Pattern) }

func isAPIPath(p string) bool { return strings.HasPrefix(p, "/api/") }

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// wrapRoute puts the route's gates in front of its handler: sign-in,
// roles, the form token of state-changing requests, the size of request
// bodies, and the mapping of errors to responses.
func (s *Server) wrapRoute(rt Route) http.Handler {
	if rt.Own != nil {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requestInfoFrom(r.Context()).route = rt.Pattern
			if mustChangeFirst(w, r, rt) {
				return
			}
			rt.Own.ServeHTTP(w, r)
		})
	}
	api := rt.IsAPI()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := requestInfoFrom(r.Context())
		info.route = rt.Pattern
		id := identityFrom(r.Context())
		if rt.Auth == SignedIn && id == nil {
			if api {
				w.Header().Set("WWW-Authenticate", `Bearer realm="parley"`)
				s.fail(w, r, api, access.ErrUnauthenticated)
				return
			}
			next := r.URL.Path
			if r.Method == http.MethodGet && r.URL.RawQuery != "" {
				next += "?" + r.URL.RawQuery
			}
			http.Redirect(w, r, "/login?next="+urlQueryEscape(next), http.StatusSeeOther)
			return
		}
		if mustChangeFirst(w, r, rt) {
			return
		}
		if len(rt.Roles) > 0 && (id == nil || !slices.ContainsFunc(rt.Roles, id.Actor.Has)) {
			s.fail(w, r, api, access.Forbid("deny.page_roles", "roles", roleLabels(rt.Roles)))
			return
		}
		if !safeMethod(r.Method) {
			r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxUploadBytes)
			if err := s.checkFormToken(r, id); err != nil {
				s.fail(w, r, api, err)
				return
			}
		}
		if err := rt.Handler(w, r); err != nil {
			s.fail(w, r, api, err)
		}
	})
}

// mustChangeFirst sends a user signed in with a one-time password, set by
// an administrator, to the account page until it is replaced, and reports
// whether it did.
func mustChangeFirst(w http.ResponseWriter, r *http.Request, rt Route) bool {
	id := identityFrom(r.Context())
	if id == nil || id.Session == nil || !id.Session.MustChangePassword || rt.Auth == Public || rt.IsAPI() || whileMustChange[rt.Pattern] {
		return false
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
	return true
}

// whileMustChange are the pages a user signed in with a one-time password
// may reach besides public ones: the account page to replace it, and
// signing out.
var whileMustChange = map[string]bool{"/account": true, "/account/password": true, "/logout": true}

func roleLabels(roles []access.Role) []any {
	out := make([]any, len(roles))
	for i, r := range roles {
		out[i] = msg.Enum{Kind: "role", Code: string(r)}
	}
	return out
}

// errCSRF refuses a state-changing request without the right form token.
var errCSRF = msg.NewError(nil, "err.web.csrf")

// checkFormToken is the second CSRF defence, behind the cross-origin check
// of the outer handler: a state-changing request made with a session
// cookie must carry the session's token, as the form field "csrf" or the
// header X-CSRF-Token. Requests with an API token carry no cookie and need
// none. Anonymous forms (the sign-in) carry the token of a pre-session
// cookie instead (double submit).
func (s *Server) checkFormToken(r *http.Request, id *Identity) error {
	if id != nil && id.Token {
		return nil
	}
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			if err := r.ParseMultipartForm(8 << 20); err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					return err // 413, not a malformed form
				}
				return badRequest("err.web.read_form", "reason", err.Error())
			}
		}
		got = r.PostFormValue("csrf")
	}
	if id != nil && id.Session != nil {
		if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(id.Session.CSRFToken)) != 1 {
			return forbidden(errCSRF)
		}
		return nil
	}
	if !s.preSession().Check(r, got) {
		return forbidden(errCSRF)
	}
	return nil
}

// httpError carries a status of its own.
type httpError struct {
	status int
	err    error
}

func (e *httpError) Error() string { return e.err.Error() }
func (e *httpError) Unwrap() error { return e.err }

// badRequest refuses a request the server cannot read, with a message of
// the catalogue (package msg) and its parameters as name, value pairs.
func badRequest(code string, kv ...any) error {
	return &httpError{http.StatusBadRequest, msg.NewError(nil, code, kv...)}
}

// unprocessable refuses a request whose input is wrong, as badRequest.
func unprocessable(code string, kv ...any) error {
	return &httpError{http.StatusUnprocessableEntity, msg.NewError(nil, code, kv...)}
}

func forbidden(err error) error { return &httpError{http.StatusForbidden, err} }
