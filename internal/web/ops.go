package web

import (
	"context"
	"net/http"
	"time"

	"parley/internal/auth"
	"parley/internal/metrics"
	"parley/internal/store"
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
		{Method: "GET", Pattern: "/readyz", Auth: Public, Summary: "The database answers", Handler: s.readyz},
		// Metrics carry no personal data: counts and latencies by route
		// pattern. Keep the server on a private address, or filter
		// /metrics at the proxy, if even that is too much.
		{Method: "GET", Pattern: "/metrics", Auth: Public, Summary: "Prometheus metrics", Handler: wrapHTTP(metrics.Handler())},
		{Method: "GET", Pattern: "/static/", Auth: Public, Summary: "Style sheet and icons", Handler: wrapHTTP(static)},
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

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	err := s.svc.DB.View(ctx, func(tx *store.Tx) error {
		var one int
		return tx.QueryRow(ctx, `SELECT 1`).Scan(&one)
	})
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
