package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

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
	// Limits bound the reading of uploaded lists; see docs/limits.md.
	Limits *limitFlags
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
	o.Limits = addLimitFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(a.Stderr, "usage: parley serve [--addr HOST:PORT] [--tls-cert FILE --tls-key FILE] [--base-url URL] [--cosign-interval D]")
		fs.PrintDefaults()
	}
	if _, err := parseInterspersed(fs, args); err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return &ExitError{Code: 2, Err: errors.New("give both --tls-cert and --tls-key, or neither")}
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
	logger := slog.New(slog.NewJSONHandler(a.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s.Logger = logger
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
	if d, err := s.DB.Durability(ctx); err == nil {
		logger.Info("database durability", "backend", s.DB.Dialect().String(), "setting", d.String(), "flushed", d.Flushed())
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
