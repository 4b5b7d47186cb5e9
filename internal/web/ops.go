package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"parley/internal/auth"
	"parley/internal/metrics"
)

// Metrics are the Prometheus metrics that other packages may update (see
// package metrics, which imports nothing of Parley and so can be used from
// anywhere without an import cycle).
var Metrics = struct {
	ImportDone  func(kind, result string)
	MatchingRun func(result string)
	SetLogSize  func(n int64)
}{metrics.ImportDone, metrics.MatchingRun, metrics.SetLogSize}

func init() { addRoutes(opsRoutes) }

func opsRoutes(s *Server) []Route {
	static := s.staticHandler()
	return []Route{
		{Method: "GET", Pattern: "/healthz", Auth: Public, Summary: "The process is up", Handler: s.healthz},
		{Method: "GET", Pattern: "/readyz", Auth: Public, Summary: "The database answers, the stored log agrees with every checkpoint, receipt and cosignature it issued, and a node has no unacknowledged alarm (else 503 with the reason)", Handler: s.readyz},
		// Metrics carry no personal data, but they tell an outsider how the
		// server is used; they are served here only to a scraper that
		// presents Options.MetricsToken, and not at all without one (then
		// use parley serve --metrics-addr for a separate listener).
		{Method: "GET", Pattern: "/metrics", Auth: Public, Summary: "Prometheus metrics (Authorization: Bearer <metrics token>)", Handler: s.metricsHandler()},
		{Method: "GET", Pattern: "/static/", Auth: Public, Summary: "Style sheet and icons", Handler: wrapHTTP(static)},
	}
}

// metricsHandler serves the metrics to a request bearing the metrics token:
// 404 when no token is configured (the endpoint does not exist here), 401
// for a missing or wrong token. The comparison is in constant time, over
// digests so that the token's length does not show either.
func (s *Server) metricsHandler() HandlerFunc {
	h := metrics.Handler()
	want := sha256.Sum256([]byte(s.opts.MetricsToken))
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.opts.MetricsToken == "" {
			http.NotFound(w, r)
			return nil
		}
		scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		got := sha256.Sum256([]byte(strings.TrimSpace(tok)))
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="parley-metrics"`)
			http.Error(w, "metrics need the metrics token", http.StatusUnauthorized)
			return nil
		}
		h.ServeHTTP(w, r)
		return nil
	}
}

// wrapHTTP turns a plain handler into a route handler.
func wrapHTTP(h http.Handler) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		h.ServeHTTP(w, r)
		return nil
	}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := w.Write([]byte("ok\n"))
	return err
}

// haltGate refuses, while the service is halted (the stored log
// contradicts what it already signed or issued, see service.CheckLog),
// every request that changes state or hands out a new promise: any
// non-GET request except signing in and out, the log's checkpoint, the
// witnesses and receipts. Reading what is stored stays possible, so that
// operators and parties can look into what went wrong.
func (s *Server) haltGate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.svc.Halted(); err != nil && promises(r) {
			s.fail(w, r, isAPIPath(r.URL.Path), err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// promises reports whether a request changes state or issues a checkpoint
// or receipt.
func promises(r *http.Request) bool {
	p := r.URL.Path
	if !safeMethod(r.Method) {
		return p != "/login" && p != "/logout"
	}
	return p == "/log/checkpoint" || strings.HasPrefix(p, "/witness/") || strings.HasSuffix(p, "/receipt")
}

// readyz answers 200 when the database answers and the stored log is
// consistent with what it issued; otherwise 503 with the reason.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.Halted(); err != nil {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("not ready: " + err.Error() + "\n"))
		return nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	// A node whose mirror found the hub's log contradicting what it
	// verified is not ready until an officer has acknowledged it.
	if a, err := s.svc.FirstNodeAlarm(ctx); err == nil && a != nil {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("not ready: alarm " + a.Kind + ": " + a.Subject + "\n"))
		return nil
	}
	err := s.svc.Ready(ctx)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err != nil {
		s.log.Error("readiness check", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("database unavailable\n"))
		return nil
	}
	_, err = w.Write([]byte("ready\n"))
	return err
}

func newSecret() string { return auth.NewSecret() }
