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
	"sync"
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
	// MaxIdle is how many open connections are kept for the next
	// messages; default 8 (one per dispatcher worker); negative keeps
	// none (a new connection for every message).
	MaxIdle int
}

// SMTPSender sends e-mail through one mail server.
type SMTPSender struct {
	cfg  SMTPConfig
	from mail.Address

	mu   sync.Mutex
	idle []*smtpConn // kept connections, the most recently used last
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
	if cfg.MaxIdle == 0 {
		cfg.MaxIdle = 8
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
//
// Connections are kept open and used for the next message (RSET, then the
// next MAIL FROM), up to MaxIdle of them: connecting, STARTTLS and AUTH
// cost several round trips each, more than the message itself. A kept
// connection that the server has closed in the meantime fails at RSET,
// before anything of the message was sent; the message then goes through a
// new connection. A connection on which anything failed is closed.
func (s *SMTPSender) Send(ctx context.Context, to, subject, body, msgID string, date time.Time) error {
	msg, err := buildMessage(s.from, to, subject, body, msgID, date)
	if err != nil {
		return &PermanentError{Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	for {
		sc := s.idleConn()
		reused := sc != nil
		if !reused {
			if sc, err = s.dial(ctx); err != nil {
				return err
			}
		}
		err, retry := s.transact(ctx, sc, reused, to, msg)
		if err == nil {
			s.keep(sc)
			return nil
		}
		sc.close()
		if !retry {
			return err
		}
	}
}

// smtpConn is an open, greeted (and, as configured, encrypted and
// authenticated) connection to the mail server.
type smtpConn struct {
	conn net.Conn
	c    *smtp.Client
	idle time.Time
	dead bool
}

func (sc *smtpConn) close() {
	_ = sc.c.Close()
	_ = sc.conn.Close()
}

// maxIdleAge is how long a kept connection may stay unused. Servers close
// idle sessions after a few minutes (RFC 5321 asks for at least five);
// staying well below saves a failed RSET.
const maxIdleAge = 30 * time.Second

func (s *SMTPSender) idleConn() *smtpConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.idle) > 0 {
		sc := s.idle[len(s.idle)-1]
		s.idle = s.idle[:len(s.idle)-1]
		if time.Since(sc.idle) < maxIdleAge {
			return sc
		}
		go sc.close()
	}
	return nil
}

func (s *SMTPSender) keep(sc *smtpConn) {
	if sc.dead {
		sc.close()
		return
	}
	_ = sc.conn.SetDeadline(time.Time{})
	sc.idle = time.Now()
	s.mu.Lock()
	if len(s.idle) < s.cfg.MaxIdle {
		s.idle = append(s.idle, sc)
		sc = nil
	}
	s.mu.Unlock()
	if sc != nil {
		_ = sc.c.Quit()
		sc.close()
	}
}

// CloseIdle says goodbye (QUIT) on every kept connection and closes it.
func (s *SMTPSender) CloseIdle() {
	s.mu.Lock()
	idle := s.idle
	s.idle = nil
	s.mu.Unlock()
	for _, sc := range idle {
		_ = sc.conn.SetDeadline(time.Now().Add(2 * time.Second))
		_ = sc.c.Quit()
		sc.close()
	}
}

// dial opens, greets, encrypts and authenticates a connection.
func (s *SMTPSender) dial(ctx context.Context) (_ *smtpConn, err error) {
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	d := &net.Dialer{}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("smtp: connect to %s: %w", addr, err)
	}
	defer func() {
		if err != nil {
			conn.Close()
		}
	}()
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
			return nil, fmt.Errorf("smtp: TLS with %s: %w", addr, err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, s.cfg.Host)
	if err != nil {
		return nil, fmt.Errorf("smtp: greeting of %s: %w", addr, err)
	}
	if err := c.Hello(s.cfg.HelloName); err != nil {
		return nil, fmt.Errorf("smtp: EHLO: %w", err)
	}
	if s.cfg.TLS == TLSOpportunistic || s.cfg.TLS == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsCfg); err != nil {
				return nil, fmt.Errorf("smtp: STARTTLS: %w", err)
			}
		} else if s.cfg.TLS == TLSStartTLS {
			return nil, fmt.Errorf("smtp: %s does not offer STARTTLS, which the configuration requires", addr)
		}
	}
	if s.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.cfg.Host)); err != nil {
			return nil, fmt.Errorf("smtp: AUTH: %w", err)
		}
	}
	if !stop() {
		return nil, fmt.Errorf("smtp: connect to %s: %w", addr, ctx.Err())
	}
	return &smtpConn{conn: conn, c: c}, nil
}

// transact sends one message on a connection. retry is true when a kept
// connection turned out dead before any of the message was sent.
func (s *SMTPSender) transact(ctx context.Context, sc *smtpConn, reused bool, to string, msg []byte) (err error, retry bool) {
	if dl, ok := ctx.Deadline(); ok {
		_ = sc.conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { sc.conn.Close() })
	defer func() {
		if !stop() {
			// The context ended (and closed the connection) just as the
			// server answered: the answer stands, the connection is gone.
			sc.dead = true
		}
	}()
	c := sc.c
	if reused {
		if err := c.Reset(); err != nil {
			return fmt.Errorf("smtp: RSET: %w", err), ctx.Err() == nil
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return fmt.Errorf("smtp: MAIL FROM: %w", err), false
	}
	if err := c.Rcpt(to); err != nil {
		var te *textproto.Error
		if errors.As(err, &te) && te.Code >= 500 {
			return &PermanentError{Err: fmt.Errorf("smtp: recipient refused: %w", err)}, false
		}
		return fmt.Errorf("smtp: RCPT TO: %w", err), false
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp: DATA: %w", err), false
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("smtp: sending the message: %w", err), false
	}
	// Close sends the final "." and reads the server's answer: from here
	// on the server has taken responsibility for the message.
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp: end of DATA: %w", err), false
	}
	return nil, false
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
