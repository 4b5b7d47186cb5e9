package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"parley/internal/access"
	"parley/internal/demo"
	"parley/internal/familyweb"
	"parley/internal/hubapi"
	"parley/internal/ledger"
	"parley/internal/mirror"
	"parley/internal/nodes"
	"parley/internal/notify"
	"parley/internal/service"
	"parley/internal/web"
)

// nodeSendInterval is how often a node's server retries the statements
// waiting for the hub; a local change wakes the sender at once.
const nodeSendInterval = 5 * time.Second

// mountExtras returns the function that adds to the web server what other
// capabilities serve — the signed log in the C2SP tiles layout under /log/,
// each party's witness endpoint, the family pages and the public figures —
// and starts the notification dispatcher for as long as ctx lasts.
func mountExtras(ctx context.Context, s *service.Service, o serveOptions) func(*web.Server) error {
	return func(srv *web.Server) error {
		logger := s.Logger
		if s.HasLog() {
			tiles, witnesses, err := s.LogHandlers()
			if err != nil {
				return err
			}
			if err := srv.Mount("/log/", http.StripPrefix("/log", tiles)); err != nil {
				return err
			}
			for _, p := range s.LogParties() {
				if err := srv.Mount("/witness/"+p+"/", http.StripPrefix("/witness/"+p, witnesses[p])); err != nil {
					return err
				}
			}
			if o.CosignInterval > 0 {
				go s.RunLogCosigner(ctx, o.CosignInterval, ledger.CosignOptions{Logger: logger})
			}
		}
		tls := o.TLSCert != "" || strings.HasPrefix(o.BaseURL, "https://")
		switch s.Mode() {
		case nodes.Hub:
			scheme := ""
			if strings.HasPrefix(o.BaseURL, "https://") {
				scheme = "https"
			}
			ho := hubapi.Options{Logger: logger, Scheme: scheme}
			if err := srv.Mount("/hub/v1/", hubapi.Handler(s, ho)); err != nil {
				return err
			}
			// Party nodes push their witnesses' cosignatures here.
			caller := func(r *http.Request) (string, []byte, error) { return hubapi.Authenticate(r.Context(), s, r, ho) }
			if err := srv.Mount(mirror.CosignaturesPath, mirror.CosignaturesHandler(service.AdminStore(s), caller, s.TrustedWitnessKeys, logger)); err != nil {
				return err
			}
		case nodes.Node:
			go s.RunNodeSender(ctx, nodeSendInterval)
			if err := mountMirror(ctx, srv, s, o, logger); err != nil {
				return err
			}
		}
		var origins []string
		if o.BaseURL != "" {
			origins = append(origins, o.BaseURL)
		}
		fam, err := familyweb.NewHandler(s, familyweb.Options{
			Actor:           func(r *http.Request) (access.Actor, bool) { return web.ActorFrom(r.Context()) },
			ReviewURL:       web.FamilyLinksPath,
			InsecureCookies: !tls,
			TrustedOrigins:  origins,
			Logger:          logger,
		})
		if err != nil {
			return err
		}
		if err := fam.MountOn(srv); err != nil {
			return err
		}
		d, err := newDispatcher(ctx, s, o, logger)
		if err != nil {
			return err
		}
		go func() {
			if err := d.Run(ctx); err != nil && ctx.Err() == nil {
				logger.Error("notification dispatcher stopped", "err", err)
			}
		}()
		return nil
	}
}

// newDispatcher configures family notifications from the environment:
// PARLEY_SMTP_ADDR (host:port), PARLEY_SMTP_FROM, PARLEY_SMTP_USER,
// PARLEY_SMTP_PASSWORD and PARLEY_SMTP_TLS (opportunistic, starttls, tls,
// none). Without a mail server, e-mails wait in the outbox — delayed, never
// lost — until one is configured. Text messages go through the HTTP SMS
// gateway at PARLEY_SMS_URL, with the bearer token PARLEY_SMS_TOKEN and the
// sender name PARLEY_SMS_FROM (optional); the request is described in
// package notify (sms.go). Without a gateway, text messages wait in the
// outbox the same way.
func newDispatcher(ctx context.Context, s *service.Service, o serveOptions, logger *slog.Logger) (*notify.Dispatcher, error) {
	var mail *notify.SMTPSender
	if addr := os.Getenv("PARLEY_SMTP_ADDR"); addr != "" {
		host, portText, ok := strings.Cut(addr, ":")
		port, err := strconv.Atoi(portText)
		if !ok || err != nil {
			return nil, fmt.Errorf("PARLEY_SMTP_ADDR %q: want host:port", addr)
		}
		mail, err = notify.NewSMTPSender(notify.SMTPConfig{
			Host: host, Port: port, From: os.Getenv("PARLEY_SMTP_FROM"), FromName: "Parley",
			Username: os.Getenv("PARLEY_SMTP_USER"), Password: os.Getenv("PARLEY_SMTP_PASSWORD"), TLS: os.Getenv("PARLEY_SMTP_TLS"),
		})
		if err != nil {
			return nil, err
		}
	} else {
		logger.Warn("no mail server configured (PARLEY_SMTP_ADDR); family e-mails wait in the outbox")
	}
	var sms *notify.SMSSender
	if u := os.Getenv("PARLEY_SMS_URL"); u != "" {
		var err error
		sms, err = notify.NewSMSSender(notify.SMSConfig{URL: u, Token: os.Getenv("PARLEY_SMS_TOKEN"), From: os.Getenv("PARLEY_SMS_FROM")})
		if err != nil {
			return nil, fmt.Errorf("PARLEY_SMS_URL, PARLEY_SMS_TOKEN: %w", err)
		}
	} else {
		logger.Warn("no SMS gateway configured (PARLEY_SMS_URL); family text messages wait in the outbox")
	}
	secret, err := notify.InstallationSecret(ctx, service.AdminStore(s))
	if err != nil {
		return nil, err
	}
	hook, err := notify.NewWebhookSender(notify.WebhookConfig{Secret: secret})
	if err != nil {
		return nil, err
	}
	base := strings.TrimRight(o.BaseURL, "/")
	if base == "" {
		base = "http://" + o.Addr
	}
	return notify.NewDispatcher(service.AdminStore(s), mail, hook, notify.Config{StatusURL: base + "/family/status"}, logger).WithSMS(sms), nil
}

// buildDemoExtras adds the negotiation history to the demo: a round with
// its agreed approach, a unilateral Art. 109 stage, a one-for-one stage and
// its execution, and the reports.
func buildDemoExtras(ctx context.Context, s *service.Service, res *demo.Result, sc demo.Scenario) (*demo.NegotiationResult, error) {
	// Party B matches the first list against its registry, so that the
	// review pages and the "left off the list" report have data.
	officerB := access.Actor{Username: "demo-b", Roles: []access.Role{access.Officer}, Party: "B"}
	if _, err := s.RunMatching(ctx, officerB, service.MatchRequest{ListID: res.FirstListID}); err != nil {
		return nil, fmt.Errorf("matching: %w", err)
	}
	return demo.BuildNegotiation(ctx, s, res, sc)
}
