package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"parley/internal/gctune"
	"parley/internal/metrics"
	"parley/internal/service"
	"parley/internal/web"
)

func init() {
	register("serve", "serve the web workbench and the JSON API", runServe)
}

// serveOptions are the listener settings of the web server.
type serveOptions struct {
	Addr             string
	TLSCert, TLSKey  string
	BaseURL          string
	SessionTTL       time.Duration
	ShutdownDeadline time.Duration
	// CosignInterval is how often the server pushes a new checkpoint to
	// the witnesses; 0 turns the pushes off.
	CosignInterval time.Duration
	// SyncInterval is how often a party's node syncs its mirror of the
	// hub's log (0: the default, 5 s).
	SyncInterval time.Duration
	// Limits bound the reading of uploaded lists; see docs/limits.md.
	Limits *limitFlags
	// MetricsAddr, when set, serves /metrics (and nothing else) on its own
	// listener, without a token: bind it to a private address.
	MetricsAddr string
	// MetricsToken, when set, serves /metrics on the main listener to
	// requests bearing it. From $PARLEY_METRICS_TOKEN or the data
	// directory's metrics-token file.
	MetricsToken string
	// GC, when set, are the garbage collector's settings for the
	// process (--gc-percent, --memory-limit-mib).
	GC *gctune.Settings
}

// metricsTokenEnv and metricsTokenFile name where serve finds the token
// that admits a scraper to /metrics on the main listener.
const (
	metricsTokenEnv  = "PARLEY_METRICS_TOKEN"
	metricsTokenFile = "metrics-token"
)

// metricsToken reads the metrics token: the environment variable first,
// else the file in the data directory; "" when neither is set.
func metricsToken(dataDir string) (string, error) {
	if t := strings.TrimSpace(os.Getenv(metricsTokenEnv)); t != "" {
		return t, nil
	}
	b, err := os.ReadFile(filepath.Join(dataDir, metricsTokenFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the metrics token: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

func runServe(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("serve")
	var o serveOptions
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&o.TLSCert, "tls-cert", "", "TLS certificate file (PEM); with --tls-key serves HTTPS")
	fs.StringVar(&o.TLSKey, "tls-key", "", "TLS private key file (PEM)")
	fs.StringVar(&o.BaseURL, "base-url", "", "public URL of the workbench, e.g. https://parley.example (behind a TLS proxy, an https URL marks cookies Secure)")
	fs.DurationVar(&o.SessionTTL, "session-ttl", 12*time.Hour, "how long a sign-in lasts")
	fs.DurationVar(&o.CosignInterval, "cosign-interval", 30*time.Second, "how often to push a new checkpoint to every witness (parties' and registered); 0: never")
	fs.DurationVar(&o.SyncInterval, "sync-interval", 5*time.Second, "on a party's node: how often to sync and verify the mirror of the hub's log")
	o.Limits = addLimitFlags(fs)
	fs.StringVar(&o.MetricsAddr, "metrics-addr", "", "serve /metrics, without a token, on this separate address (e.g. 127.0.0.1:9090); on the main address /metrics needs $"+metricsTokenEnv+" or DATA/"+metricsTokenFile)
	var gc gctune.Settings
	fs.IntVar(&gc.GCPercent, "gc-percent", gctune.DefaultGCPercent, "garbage collector target percentage, as GOGC (kept from GOGC when this flag is not given)")
	fs.Int64Var(&gc.MemoryLimitMiB, "memory-limit-mib", gctune.DefaultMemoryLimitMiB(), "soft memory limit in MiB, as GOMEMLIMIT; default 3/4 of the machine's (or container's) memory; 0: none (kept from GOMEMLIMIT when this flag is not given)")
	fs.Usage = func() {
		fmt.Fprintln(a.Stderr, "usage: parley serve [--addr HOST:PORT] [--tls-cert FILE --tls-key FILE] [--base-url URL] [--cosign-interval D] [--metrics-addr HOST:PORT] [--gc-percent N] [--memory-limit-mib N]")
		fs.PrintDefaults()
	}
	var err error
	if _, err = parseInterspersed(fs, args); err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return &ExitError{Code: 2, Err: errors.New("give both --tls-cert and --tls-key, or neither")}
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	gc = gctune.FromFlags(gc, given["gc-percent"], given["memory-limit-mib"], os.Getenv)
	o.GC = &gc
	if o.MetricsToken, err = metricsToken(a.DataDir); err != nil {
		return err
	}
	s, err := a.openService(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	return serveWeb(ctx, a, s, o, mountExtras(ctx, s, o))
}

// serveWeb runs the web server until ctx ends (SIGINT or SIGTERM in the
// parley command), then shuts down gracefully: it stops accepting, lets
// requests in flight finish for up to ShutdownDeadline, and returns. mount,
// when set, may add handlers before the server starts.
func serveWeb(ctx context.Context, a *App, s *service.Service, o serveOptions, mount func(*web.Server) error) error {
	err := startAndServe(ctx, a, s, o, mount)
	// A stop asked for while the server was still starting (a signal, or
	// the caller's context) is a clean stop, not a failure to start.
	if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func startAndServe(ctx context.Context, a *App, s *service.Service, o serveOptions, mount func(*web.Server) error) error {
	logger := slog.New(slog.NewJSONHandler(a.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s.Logger = logger
	if o.GC != nil {
		gctune.Apply(*o.GC)
		logger.Info("garbage collector", "gc_percent", o.GC.GCPercent, "memory_limit_mib", o.GC.MemoryLimitMiB)
	}
	// A log that lost entries it had already signed or receipted (a crash
	// on a disk that lied about flushing, a restore from an old backup)
	// must not append new ones at the same indexes: the server then still
	// starts, so that people can read what is stored, but /readyz fails
	// with the reason and every state change is refused.
	if err := s.CheckLog(ctx); err != nil {
		if s.Halted() == nil {
			return fmt.Errorf("check the stored log: %w", err)
		}
		fmt.Fprintf(a.Stderr, "parley: NOT READY, refusing state changes: %v\n", err)
	}
	db := service.AdminStore(s)
	if d, err := db.Durability(ctx); err == nil {
		logger.Info("database durability", "backend", db.Dialect().String(), "setting", d.String(), "flushed", d.Flushed())
	}
	tls := o.TLSCert != ""
	if _, err := resetTempDir(a.DataDir); err != nil {
		return fmt.Errorf("prepare the temporary folder of %s: %w", a.DataDir, err)
	}
	if o.Limits == nil {
		o.Limits = addLimitFlags(flag.NewFlagSet("", flag.ContinueOnError))
	}
	o.Limits.apply(s, a.DataDir)
	srv, err := web.New(s, web.Options{
		BaseURL:    o.BaseURL,
		TLS:        tls || strings.HasPrefix(o.BaseURL, "https://"),
		Logger:     logger,
		SessionTTL: o.SessionTTL,
		// The form around the file (fields, boundaries) needs a little more.
		MaxUploadBytes: s.Limits.FileBytes + 1<<20,
		MetricsToken:   o.MetricsToken,
	})
	if err != nil {
		return err
	}
	if mount != nil {
		if err := mount(srv); err != nil {
			return err
		}
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		// Uploads of large workbooks over a slow link need time; a
		// stalled client is cut off after it.
		ReadTimeout:    5 * time.Minute,
		WriteTimeout:   5 * time.Minute,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.Addr, err)
	}
	scheme := "http"
	if tls {
		scheme = "https"
	}
	fmt.Fprintf(a.Stdout, "Parley is serving on %s://%s\n", scheme, ln.Addr())
	if o.MetricsAddr != "" {
		ms, err := serveMetrics(o.MetricsAddr, logger)
		if err != nil {
			ln.Close()
			return err
		}
		defer ms.Close()
		fmt.Fprintf(a.Stdout, "Metrics on http://%s/metrics\n", ms.Addr)
	}

	done := make(chan error, 1)
	go func() {
		if tls {
			done <- hs.ServeTLS(ln, o.TLSCert, o.TLSKey)
		} else {
			done <- hs.Serve(ln)
		}
	}()
	purge := time.NewTicker(time.Hour)
	defer purge.Stop()
	for {
		select {
		case err := <-done:
			if errors.Is(err, http.ErrServerClosed) {
				return nil
			}
			return err
		case <-purge.C:
			if n, err := s.PurgeExpiredSessions(ctx); err != nil {
				logger.Warn("purge expired sessions", "err", err)
			} else if n > 0 {
				logger.Info("expired sessions removed", "count", n)
			}
		case <-ctx.Done():
			deadline := o.ShutdownDeadline
			if deadline <= 0 {
				deadline = 30 * time.Second
			}
			logger.Info("shutting down")
			sctx, cancel := context.WithTimeout(context.Background(), deadline)
			defer cancel()
			if err := hs.Shutdown(sctx); err != nil {
				return fmt.Errorf("shut down: %w", err)
			}
			<-done
			return nil
		}
	}
}

// serveMetrics serves /metrics alone on addr, for a scraper on a private
// network; every other path is 404. It returns the running server, whose
// Addr is the address actually bound.
func serveMetrics(addr string, logger *slog.Logger) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s for metrics: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics.Handler())
	ms := &http.Server{Addr: ln.Addr().String(), Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	go func() {
		if err := ms.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics listener", "err", err)
		}
	}()
	return ms, nil
}
