package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"parley/internal/access"
	"parley/internal/httpx"
	"parley/internal/metrics"
	"parley/internal/msg"
	"parley/internal/service"
)

// ContentSecurityPolicy allows nothing but our own files: no inline
// script or style, no framing, forms only to ourselves.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

// Cookie names; with TLS they carry the __Host- prefix, which browsers
// accept only with Secure, Path=/ and no Domain.
const (
	sessionCookie    = "parley_session"
	preSessionCookie = "parley_pre"
	langCookie       = "parley_lang"
)

func (s *Server) cookieName(base string) string {
	if s.opts.TLS {
		return "__Host-" + base
	}
	return base
}

// requestInfo collects what the request log line and the metrics need; the
// route wrapper fills in the route pattern.
type requestInfo struct {
	route string
}

type requestInfoKey struct{}

func requestInfoFrom(ctx context.Context) *requestInfo {
	if ri, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		return ri
	}
	return &requestInfo{}
}

// statusWriter remembers the status code for logs and metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// requestState is what outer keeps of one request, in one allocation: it
// is the request's context (carrying the requestInfo) and holds the
// status writer.
type requestState struct {
	context.Context
	info requestInfo
	sw   statusWriter
}

// Value answers the requestInfo from the state itself and everything
// else from the parent context.
func (c *requestState) Value(key any) any {
	if _, ok := key.(requestInfoKey); ok {
		return &c.info
	}
	return c.Context.Value(key)
}

// outer wraps the whole mux: security headers, identity, cross-origin
// protection, panics, the request log and metrics.
func (s *Server) outer(mux http.Handler) http.Handler {
	protected := s.cop.Handler(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		st := &requestState{Context: r.Context(), info: requestInfo{route: "unmatched"}, sw: statusWriter{ResponseWriter: w}}
		info, sw := &st.info, &st.sw
		var ctx context.Context = st
		var id *Identity
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic in handler", "route", info.route, "panic", fmt.Sprint(p))
				if !sw.wrote {
					s.fail(sw, r, isAPIPath(r.URL.Path), errors.New("internal error"))
				}
			}
			status := sw.status
			if !sw.wrote {
				status = http.StatusOK
			}
			d := time.Since(start)
			requestObserver(info.route, r.Method, status).Observe(d.Seconds())
			s.logRequest(ctx, r.Method, info.route, status, d, id)
		}()

		s.securityHeaders(sw, r)
		var err error
		// /metrics carries its own bearer token (the metrics token, not a
		// user's API token) and needs nobody's identity.
		if r.URL.Path != "/metrics" {
			id, err = s.identify(ctx, r)
		}
		if err != nil {
			if errors.Is(err, access.ErrUnauthenticated) {
				sw.Header().Set("WWW-Authenticate", `Bearer realm="parley", error="invalid_token"`)
			} else {
				s.log.Error("identify request", "err", err)
			}
			s.fail(sw, r, true, err)
			return
		}
		if id != nil {
			ctx = context.WithValue(ctx, identityKey{}, id)
		}
		protected.ServeHTTP(sw, r.WithContext(ctx))
	})
}

// logRequest writes the request's log line. Never the path or the query:
// they can hold ids and searched names. Never cookies or headers. The
// attributes live on the stack: a line costs no allocation of its own.
func (s *Server) logRequest(ctx context.Context, method, route string, status int, d time.Duration, id *Identity) {
	level := levelFor(status)
	if !s.log.Enabled(ctx, level) {
		return
	}
	attrs := [5]slog.Attr{
		slog.String("method", method),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Int64("duration_ms", d.Milliseconds()),
	}
	n := 4
	if id != nil {
		attrs[4] = slog.String("user_id", id.Actor.UserID)
		n = 5
	}
	s.log.LogAttrs(ctx, level, "request", attrs[:n]...)
}

// observerKey names one series of the request duration histogram.
type observerKey struct {
	route, method string
	status        int
}

// observers keeps the series of the request duration histogram by their
// labels, so that a request finds its series without formatting the
// status or hashing the labels. Bounded: the methods come from clients.
var observers struct {
	sync.RWMutex
	m map[observerKey]prometheus.Observer
}

const maxObservers = 4096

// requestObserver returns the request duration series of route, method
// and status.
func requestObserver(route, method string, status int) prometheus.Observer {
	k := observerKey{route, method, status}
	observers.RLock()
	o, ok := observers.m[k]
	observers.RUnlock()
	if ok {
		return o
	}
	o = metrics.RequestDuration.WithLabelValues(route, method, strconv.Itoa(status))
	observers.Lock()
	defer observers.Unlock()
	if observers.m == nil {
		observers.m = map[observerKey]prometheus.Observer{}
	}
	if len(observers.m) < maxObservers {
		observers.m[k] = o
	}
	return o
}

func levelFor(status int) slog.Level {
	if status >= 500 {
		return slog.LevelError
	}
	return slog.LevelInfo
}

func (s *Server) securityHeaders(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/static/") {
		s.staticHeaders.Apply(w.Header())
	} else {
		s.pageHeaders.Apply(w.Header())
	}
}

// buildHeaders makes the headers securityHeaders sets, once: what every
// answer carries, and the caching of static files (an hour) or of
// anything else (never in a cache: pages and API answers hold personal
// data).
func (s *Server) buildHeaders() {
	common := []string{
		"Cross-Origin-Opener-Policy", "same-origin",
		"Permissions-Policy", "camera=(), microphone=(), geolocation=()",
	}
	if s.opts.TLS {
		common = append(common, "Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
	s.staticHeaders = httpx.SecurityHeaders(ContentSecurityPolicy, append(slices.Clone(common), "Cache-Control", "public, max-age=3600")...)
	s.pageHeaders = httpx.SecurityHeaders(ContentSecurityPolicy, append(slices.Clone(common), "Cache-Control", "no-store")...)
}

// identify finds who is asking: an API token in the Authorization header,
// or else a session cookie. A bad token is an error (401); a bad or
// expired session cookie is simply no session.
func (s *Server) identify(ctx context.Context, r *http.Request) (*Identity, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return nil, fmt.Errorf("%w: use Authorization: Bearer <token>", access.ErrUnauthenticated)
		}
		actor, err := s.svc.TokenActor(ctx, strings.TrimSpace(tok))
		if errors.Is(err, service.ErrNotFound) {
			return nil, fmt.Errorf("%w: invalid or revoked API token", access.ErrUnauthenticated)
		}
		if err != nil {
			return nil, err
		}
		return &Identity{Actor: actor, Token: true}, nil
	}
	c, err := r.Cookie(s.cookieName(sessionCookie))
	if err != nil || c.Value == "" {
		return nil, nil
	}
	actor, si, err := s.svc.SessionActor(ctx, c.Value)
	if errors.Is(err, service.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &Identity{Actor: actor, Session: si}, nil
}

func (s *Server) crossOriginDenied(w http.ResponseWriter, r *http.Request) {
	s.fail(w, r, isAPIPath(r.URL.Path), forbidden(msg.NewError(nil, "err.web.cross_origin")))
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.fail(w, r, isAPIPath(r.URL.Path), fmt.Errorf("%s: %w", r.URL.Path, service.ErrNotFound))
}

// statusOf maps an error to an HTTP status and a message safe to show, in
// English; pages and API bodies use errorText, in the reader's language.
func statusOf(err error) (int, string) {
	status, _, text := errorText(err, msg.English)
	return status, text
}

// errorText maps an error to an HTTP status, the stable code of its
// message (see package msg; "" for an error that carries none) and the
// message in lang.
func errorText(err error, lang string) (status int, code, text string) {
	var he *httpError
	var ie *service.ImportError
	switch {
	case errors.As(err, &he):
		code, text = msg.ErrorText(lang, he.err)
		return he.status, code, text
	case errors.As(err, &ie):
		status = http.StatusUnprocessableEntity
		if ie.TooLarge {
			status = http.StatusRequestEntityTooLarge
		}
		m := ie.Message()
		return status, m.Code, msg.Text(lang, m)
	}
	status, code, text, _ = httpx.Message(err, lang)
	return status, code, text
}

// errText is errorText in the request's language.
func (s *Server) errText(r *http.Request, err error) (status int, text string) {
	status, _, text = errorText(err, s.pickLanguage(r))
	return status, text
}

// fail answers with the error: JSON for the API, an error page otherwise.
// Both are in the reader's language; the API body carries the message's
// code as well, for programs.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, api bool, err error) {
	lang := s.pickLanguage(r)
	status, code, text := errorText(err, lang)
	if status >= 500 {
		s.log.Error("request failed", "route", requestInfoFrom(r.Context()).route, "err", err)
	}
	if api {
		body := httpx.ErrorBody{Error: text, Code: code, Message: text}
		var ie *service.ImportError
		if errors.As(err, &ie) {
			body.Problems = problemsJSON(ie, lang)
		}
		var ps service.Problems
		if errors.As(err, &ps) && len(ps) > 1 {
			// Every problem of the request at once, each with its code.
			all := make([]map[string]string, len(ps))
			for i, m := range ps.Messages() {
				all[i] = map[string]string{"code": m.Code, "message": msg.Text(lang, m)}
			}
			body.Details = map[string]any{"errors": all}
		}
		writeJSON(w, status, body)
		return
	}
	s.renderError(w, r, status, text)
}

// problemsJSON renders the problems of a refused file in lang; each keeps
// its coarse code (invalid, cell_too_long, …) and the kind of its message.
func problemsJSON(ie *service.ImportError, lang string) []httpx.Problem {
	out := make([]httpx.Problem, len(ie.Problems))
	for i, p := range ie.Problems {
		out[i] = httpx.Problem{Row: p.Row, Column: p.Column, Value: p.Value, Reason: p.ReasonIn(lang), Code: p.Code, Kind: p.Msg.Code}
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) { httpx.WriteJSON(w, status, v) }

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// localPath accepts a redirect target only if it stays on this site: an
// absolute path, not "//host" or "/\host", which browsers treat as another
// origin.
func localPath(p string) string {
	if p == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || strings.ContainsAny(p, "\r\n") {
		return "/"
	}
	return p
}

// clientIP is the address the connection comes from. Headers such as
// X-Forwarded-For are not trusted: anyone can send them, and the throttle
// keyed on them would be trivially evaded.
func clientIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}
