// Package web is Parley's web workbench and JSON API. Delegations, the
// mediator's secretariat and observers work here, in English, Ukrainian or
// Russian, on data that endangers people if it leaks (Geneva Convention III,
// Art. 13). So every page and API call passes the same gates: who is asking
// (a session cookie or an API token), whether the request really comes from
// our own pages (cross-origin protection and a per-session form token), and
// then the service layer, which decides what this actor may see or do.
//
// Routes are declared in tables (see Route): each file of this package adds
// its own with addRoutes, and other packages may add more with
// (*Server).Handle or mount ready-made handlers with (*Server).Mount, before
// the first call to Handler. The authorization test walks the same table,
// so a new route cannot escape it.
package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"parley/internal/access"
	"parley/internal/httpx"
	"parley/internal/lru"
	"parley/internal/service"
)

// Options configure a Server.
type Options struct {
	// BaseURL is the public address of the workbench (https://host), used
	// for the OpenAPI document's server and as a trusted origin. Optional.
	BaseURL string
	// TLS says the server is reached over HTTPS (directly or through a
	// terminating proxy): cookies get the Secure flag and the __Host- name
	// prefix, and responses carry Strict-Transport-Security.
	TLS bool
	// Logger receives one line per request; nil means slog.Default().
	Logger *slog.Logger
	// SessionTTL is how long a sign-in lasts; default 12 hours (a working
	// day at the negotiating table, with margin).
	SessionTTL time.Duration
	// MaxUploadBytes bounds a list upload; default 64 MiB.
	MaxUploadBytes int64
	// Login throttling (see service.SignInPolicy; the counts live in the
	// database): failures per username from one address, and per address,
	// before each further attempt doubles the wait, up to LoginLockout; the
	// count per username over all addresses (twice LoginMaxPerUser) holds
	// back only addresses that have failed on that username, so that
	// nobody can lock another out. Counts lapse after LoginWindow (or
	// LoginLockout, if longer) without attempts. Defaults: 5 per username,
	// 30 per address, a 15-minute window and longest wait.
	LoginMaxPerUser, LoginMaxPerIP int
	LoginWindow, LoginLockout      time.Duration
	// MetricsToken, when set, serves /metrics to requests with
	// "Authorization: Bearer <MetricsToken>"; when empty, /metrics is not
	// served by this handler at all (404).
	MetricsToken string
	// Now is the clock for the throttle; nil means time.Now.
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = 12 * time.Hour
	}
	if o.MaxUploadBytes <= 0 {
		o.MaxUploadBytes = 64 << 20
	}
	if o.LoginMaxPerUser <= 0 {
		o.LoginMaxPerUser = 5
	}
	if o.LoginMaxPerIP <= 0 {
		o.LoginMaxPerIP = 30
	}
	if o.LoginWindow <= 0 {
		o.LoginWindow = 15 * time.Minute
	}
	if o.LoginLockout <= 0 {
		o.LoginLockout = 15 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
}

// Server is the web workbench and API.
type Server struct {
	svc  *service.Service
	opts Options
	log  *slog.Logger

	pages   map[string]*template.Template
	i18n    *catalogues
	signIn  service.SignInPolicy
	cop     *http.CrossOriginProtection
	startAt time.Time
	// frozenRows keeps the table rows of frozen list versions as laid
	// out (listPageRows).
	frozenRows *lru.Cache[frozenRowsKey, template.HTML]

	// pageHeaders and staticHeaders are what securityHeaders sets.
	pageHeaders, staticHeaders httpx.HeaderSet

	mu      sync.Mutex
	routes  []Route
	mounts  []mount
	built   bool
	handler http.Handler
}

type mount struct {
	pattern string
	h       http.Handler
}

// routeFiles are the route tables of this package's files, each added by an
// init function with addRoutes.
var routeFiles []func(s *Server) []Route

// addRoutes adds a file's route table; call it from an init function.
func addRoutes(f func(s *Server) []Route) { routeFiles = append(routeFiles, f) }

// New builds a server over the service.
func New(svc *service.Service, opts Options) (*Server, error) {
	if svc == nil {
		return nil, errors.New("web: no service")
	}
	opts.defaults()
	s := &Server{svc: svc, opts: opts, log: opts.Logger, startAt: opts.Now(), frozenRows: lru.New[frozenRowsKey, template.HTML](FrozenRowsBytes)}
	var err error
	if s.i18n, err = loadCatalogues(); err != nil {
		return nil, err
	}
	if s.pages, err = loadTemplates(); err != nil {
		return nil, err
	}
	s.signIn = service.SignInPolicy{PerPair: opts.LoginMaxPerUser, PerAccount: 2 * opts.LoginMaxPerUser, PerAddress: opts.LoginMaxPerIP, Quiet: opts.LoginWindow, Max: opts.LoginLockout}
	s.signIn.Fill()
	s.buildHeaders()
	s.cop = http.NewCrossOriginProtection()
	if opts.BaseURL != "" {
		if err := s.cop.AddTrustedOrigin(opts.BaseURL); err != nil {
			return nil, fmt.Errorf("web: base URL %q: %w", opts.BaseURL, err)
		}
	}
	s.cop.SetDenyHandler(http.HandlerFunc(s.crossOriginDenied))
	for _, f := range routeFiles {
		if err := s.Handle(f(s)...); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Service returns the service the server calls.
func (s *Server) Service() *service.Service { return s.svc }

// Handle adds routes. It fails for a duplicate method and pattern, and
// after Handler has been called.
func (s *Server) Handle(routes ...Route) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.built {
		return errors.New("web: routes added after the handler was built")
	}
	for _, r := range routes {
		if r.Method == "" || !strings.HasPrefix(r.Pattern, "/") || (r.Handler == nil) == (r.Own == nil) {
			return fmt.Errorf("web: incomplete route %s %s", r.Method, r.Pattern)
		}
		for _, old := range s.routes {
			if old.Method == r.Method && old.Pattern == r.Pattern {
				return fmt.Errorf("web: route %s %s registered twice", r.Method, r.Pattern)
			}
		}
		s.routes = append(s.routes, r)
	}
	return nil
}

// Adopt adds the routes of another front end (the family site), served by
// their own handlers, to the route table: they are documented in the
// OpenAPI document and walked by the authorization test like the
// workbench's own. The handlers get the common protections, as with
// Mount, and keep their own gates.
func (s *Server) Adopt(routes ...httpx.Route) error {
	rs := make([]Route, len(routes))
	for i, r := range routes {
		auth := SignedIn
		if r.Public {
			auth = Public
		}
		rs[i] = Route{Method: r.Method, Pattern: r.Pattern, Auth: auth, Summary: r.Summary, Query: r.Query, Body: r.Body,
			Response: r.Response, In: r.In, Out: r.Out, Own: r.Handler}
		if r.Handler == nil {
			return fmt.Errorf("web: route %s %s without a handler", r.Method, r.Pattern)
		}
	}
	return s.Handle(rs...)
}

// Mount serves a handler built elsewhere under a ServeMux pattern, such as
// the signed log's tiles at "/log/" or public family pages. The handler
// gets the common protections (security headers, cross-origin checks,
// request logs and metrics) and can read the caller with ActorFrom, but
// no sign-in is required: it decides for itself.
func (s *Server) Mount(pattern string, h http.Handler) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.built {
		return errors.New("web: mount after the handler was built")
	}
	s.mounts = append(s.mounts, mount{pattern, h})
	return nil
}

// Routes returns a copy of the route table.
func (s *Server) Routes() []Route {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Route(nil), s.routes...)
}

// Handler returns the HTTP handler. The route table is frozen at the first
// call.
func (s *Server) Handler() http.Handler {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.built {
		return s.handler
	}
	s.built = true
	mux := http.NewServeMux()
	for _, r := range s.routes {
		mux.Handle(r.Method+" "+r.Pattern, s.wrapRoute(r))
	}
	for _, m := range s.mounts {
		pattern := m.pattern
		h := m.h
		mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requestInfoFrom(r.Context()).route = pattern
			h.ServeHTTP(w, r)
		}))
	}
	mux.Handle("/", http.HandlerFunc(s.notFound))
	s.handler = s.outer(s.haltGate(mux))
	return s.handler
}

// Identity is who made a request and how.
type Identity struct {
	Actor access.Actor
	// Session is set for a browser session (nil for API tokens).
	Session *service.SessionInfo
	// Token says the request carried an API token.
	Token bool
}

type identityKey struct{}

// ActorFrom returns the signed-in actor of a request's context; ok is false
// for anonymous requests.
func ActorFrom(ctx context.Context) (access.Actor, bool) {
	id, ok := ctx.Value(identityKey{}).(*Identity)
	if !ok || id == nil {
		return access.Actor{}, false
	}
	return id.Actor, true
}

func identityFrom(ctx context.Context) *Identity {
	id, _ := ctx.Value(identityKey{}).(*Identity)
	return id
}
