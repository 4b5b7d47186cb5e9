package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"time"
)

// TLS modes of an SMTP connection.
const (
	// TLSOpportunistic uses STARTTLS when the server offers it (the default).
	TLSOpportunistic = "opportunistic"
	// TLSStartTLS requires STARTTLS.
	TLSStartTLS = "starttls"
	// TLSImplicit connects with TLS from the start (port 465).
	TLSImplicit = "tls"
	// TLSNone never encrypts (a relay on the same host).
	TLSNone = "none"
)

// SMTPConfig configures the mail server that e-mail notifications go
// through.
type SMTPConfig struct {
	Host string
	Port int    // default 587, or 465 with TLSImplicit
	From string // sender address, e.g. "inquiries@parley.example"
	// FromName is the sender's display name.
	FromName string
	// Username and Password, when set, authenticate with AUTH PLAIN,
	// which net/smtp only allows over TLS or to localhost.
	Username, Password string
	TLS                string // one of the TLS* modes; default TLSOpportunistic
	// TLSConfig overrides the TLS settings (for example RootCAs); its
	// ServerName defaults to Host.
	TLSConfig *tls.Config
	// HelloName is the name given in EHLO; default "localhost".
	HelloName string
	// Timeout bounds one whole delivery; default 30 s.
	Timeout time.Duration
}

// SMTPSender sends e-mail through one mail server.
type SMTPSender struct {
	cfg  SMTPConfig
	from mail.Address
}

// NewSMTPSender checks a configuration.
func NewSMTPSender(cfg SMTPConfig) (*SMTPSender, error) {
	if cfg.Host == "" {
		return nil, errors.New("smtp: no host")
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("smtp: sender address %q: %w", cfg.From, err)
	}
	if cfg.FromName != "" {
		from.Name = cfg.FromName
	}
	switch cfg.TLS {
	case "":
		cfg.TLS = TLSOpportunistic
	case TLSOpportunistic, TLSStartTLS, TLSImplicit, TLSNone:
	default:
		return nil, fmt.Errorf("smtp: unknown TLS mode %q", cfg.TLS)
	}
	if cfg.Port == 0 {
		cfg.Port = 587
		if cfg.TLS == TLSImplicit {
			cfg.Port = 465
		}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.HelloName == "" {
		cfg.HelloName = "localhost"
	}
	return &SMTPSender{cfg: cfg, from: *from}, nil
}

// From returns the sender address.
func (s *SMTPSender) From() string { return s.from.Address }

// PermanentError is a refusal that retrying will not change (a recipient
// the server rejects with a 5xx reply). Other errors are temporary.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// IsPermanent reports whether err is a PermanentError.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// Send delivers one message to one recipient and returns nil only when the
// server has accepted it (its reply to the end of DATA). A recipient
// refused with a 5xx reply gives a PermanentError; every other failure is
// temporary. Other 5xx replies (to MAIL FROM, to AUTH, to the message) are
// treated as temporary too: they are most often a configuration problem of
// this installation, and retrying after it is fixed delivers the message
// instead of losing it.
func (s *SMTPSender) Send(ctx context.Context, to, subject, body, msgID string, date time.Time) error {
	msg, err := buildMessage(s.from, to, subject, body, msgID, date)
	if err != nil {
		return &PermanentError{Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	d := &net.Dialer{}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("smtp: connect to %s: %w", addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// Closing the connection when the context ends unblocks any read.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	tlsCfg := s.tlsConfig()
	if s.cfg.TLS == TLSImplicit {
		tc := tls.Client(conn, tlsCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("smtp: TLS with %s: %w", addr, err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, s.cfg.Host)
	if err != nil {
		return fmt.Errorf("smtp: greeting of %s: %w", addr, err)
	}
	defer c.Close()
	if err := c.Hello(s.cfg.HelloName); err != nil {
		return fmt.Errorf("smtp: EHLO: %w", err)
	}
	if s.cfg.TLS == TLSOpportunistic || s.cfg.TLS == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsCfg); err != nil {
				return fmt.Errorf("smtp: STARTTLS: %w", err)
			}
		} else if s.cfg.TLS == TLSStartTLS {
			return fmt.Errorf("smtp: %s does not offer STARTTLS, which the configuration requires", addr)
		}
	}
	if s.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.cfg.Host)); err != nil {
			return fmt.Errorf("smtp: AUTH: %w", err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return fmt.Errorf("smtp: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to); err != nil {
		var te *textproto.Error
		if errors.As(err, &te) && te.Code >= 500 {
			return &PermanentError{Err: fmt.Errorf("smtp: recipient refused: %w", err)}
		}
		return fmt.Errorf("smtp: RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("smtp: sending the message: %w", err)
	}
	// Close sends the final "." and reads the server's answer: from here
	// on the server has taken responsibility for the message.
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp: end of DATA: %w", err)
	}
	_ = c.Quit()
	return nil
}

func (s *SMTPSender) tlsConfig() *tls.Config {
	var cfg *tls.Config
	if s.cfg.TLSConfig != nil {
		cfg = s.cfg.TLSConfig.Clone()
	} else {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = s.cfg.Host
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	return cfg
}
