// Package smtpsink is a small SMTP server that keeps the messages it
// receives in memory, for tests that must talk real SMTP over TCP: EHLO and
// HELO, STARTTLS (when given a certificate), AUTH PLAIN (when given
// credentials), MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP and QUIT
// (RFC 5321). It can be told to misbehave in the ways real servers do:
// refuse a recipient for good, answer DATA with a temporary failure, or
// take a message and drop the connection before answering, the ambiguous
// case that makes a client send again.
//
// It is a test server: it relays nothing and keeps everything in memory.
package smtpsink

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure a sink.
type Options struct {
	// Hostname is announced in the greeting; default "sink.test".
	Hostname string
	// TLS, when set, offers STARTTLS with this configuration.
	TLS *tls.Config
	// Username and Password, when set, offer AUTH PLAIN and require it
	// before MAIL.
	Username, Password string
	// MaxSize bounds one message; default 1 MiB.
	MaxSize int
}

// Message is one message the sink accepted.
type Message struct {
	From      string
	To        []string
	Data      []byte // as received, after dot-unstuffing, with CRLF line ends
	TLS       bool   // received over STARTTLS
	Auth      string // the user name it authenticated as, if any
	MessageID string
	Subject   string // decoded
	Text      string // the body, decoded from quoted-printable when so marked
}

// Sink is a running SMTP server.
type Sink struct {
	opts Options
	ln   net.Listener
	wg   sync.WaitGroup

	mu          sync.Mutex
	messages    []Message
	failData    int // answer the next n DATA with 451
	dropData    int // keep the next n messages, then drop the connection unanswered
	rejectRcpt  map[string]bool
	conns       map[net.Conn]struct{}
	closed      bool
	arrived     chan struct{}
	connections int
}

// Start listens on addr ("127.0.0.1:0" for any free port) and serves until
// Close.
func Start(addr string, opts Options) (*Sink, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if opts.Hostname == "" {
		opts.Hostname = "sink.test"
	}
	if opts.MaxSize <= 0 {
		opts.MaxSize = 1 << 20
	}
	s := &Sink{opts: opts, ln: ln, rejectRcpt: map[string]bool{}, conns: map[net.Conn]struct{}{}, arrived: make(chan struct{}, 1)}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr returns the address the sink listens on.
func (s *Sink) Addr() string { return s.ln.Addr().String() }

// Host and Port split Addr.
func (s *Sink) Host() string { h, _, _ := net.SplitHostPort(s.Addr()); return h }

// Port returns the port the sink listens on.
func (s *Sink) Port() int {
	_, p, _ := net.SplitHostPort(s.Addr())
	n, _ := strconv.Atoi(p)
	return n
}

// Close stops the server and closes every open connection.
func (s *Sink) Close() error {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

// Messages returns a copy of the messages accepted so far.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Connections returns how many connections the sink has accepted.
func (s *Sink) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connections
}

// WaitMessages waits until at least n messages have arrived or the timeout
// passes, and returns the messages.
func (s *Sink) WaitMessages(n int, timeout time.Duration) []Message {
	deadline := time.After(timeout)
	for {
		if m := s.Messages(); len(m) >= n {
			return m
		}
		select {
		case <-s.arrived:
		case <-deadline:
			return s.Messages()
		}
	}
}

// FailData makes the next n DATA commands end with "451 try again later".
func (s *Sink) FailData(n int) { s.mu.Lock(); s.failData = n; s.mu.Unlock() }

// DropAfterData makes the sink keep the next n messages and then close the
// connection without answering: the client cannot know that they arrived.
func (s *Sink) DropAfterData(n int) { s.mu.Lock(); s.dropData = n; s.mu.Unlock() }

// RejectRecipient makes the sink refuse an address with "550 no such user".
func (s *Sink) RejectRecipient(addr string) {
	s.mu.Lock()
	s.rejectRcpt[strings.ToLower(addr)] = true
	s.mu.Unlock()
}

func (s *Sink) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.connections++
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serve(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			c.Close()
		}()
	}
}

type session struct {
	from   string
	to     []string
	hasTx  bool
	tls    bool
	authed string
}

func (s *Sink) serve(conn net.Conn) {
	_ = conn.SetDeadline(time.Now().Add(time.Minute))
	tp := textproto.NewConn(conn)
	reply := func(format string, args ...any) bool { return tp.PrintfLine(format, args...) == nil }
	if !reply("220 %s ESMTP test sink", s.opts.Hostname) {
		return
	}
	var st session
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			st = session{tls: st.tls, authed: st.authed}
			lines := []string{s.opts.Hostname, "8BITMIME", "SIZE " + strconv.Itoa(s.opts.MaxSize)}
			if s.opts.TLS != nil && !st.tls {
				lines = append(lines, "STARTTLS")
			}
			if s.opts.Username != "" {
				lines = append(lines, "AUTH PLAIN")
			}
			for i, l := range lines {
				sep := "-"
				if i == len(lines)-1 {
					sep = " "
				}
				if !reply("250%s%s", sep, l) {
					return
				}
			}
		case "HELO":
			st = session{tls: st.tls, authed: st.authed}
			reply("250 %s", s.opts.Hostname)
		case "STARTTLS":
			if s.opts.TLS == nil || st.tls {
				reply("454 TLS not available")
				continue
			}
			if !reply("220 ready to start TLS") {
				return
			}
			tc := tls.Server(conn, s.opts.TLS)
			if err := tc.Handshake(); err != nil {
				return
			}
			conn = tc
			tp = textproto.NewConn(tc)
			st = session{tls: true}
		case "AUTH":
			st.authed = s.auth(tp, arg)
		case "MAIL":
			if s.opts.Username != "" && st.authed == "" {
				reply("530 authentication required")
				continue
			}
			addr, ok := path(arg, "FROM:")
			if !ok {
				reply("501 syntax: MAIL FROM:<address>")
				continue
			}
			st.from, st.to, st.hasTx = addr, nil, true
			reply("250 sender ok")
		case "RCPT":
			addr, ok := path(arg, "TO:")
			switch {
			case !st.hasTx:
				reply("503 MAIL first")
			case !ok || addr == "":
				reply("501 syntax: RCPT TO:<address>")
			case s.rejected(addr):
				reply("550 5.1.1 no such user")
			default:
				st.to = append(st.to, addr)
				reply("250 recipient ok")
			}
		case "DATA":
			if !st.hasTx || len(st.to) == 0 {
				reply("503 MAIL and RCPT first")
				continue
			}
			if !reply("354 end data with <CR><LF>.<CR><LF>") {
				return
			}
			data, err := io.ReadAll(io.LimitReader(tp.DotReader(), int64(s.opts.MaxSize)+1))
			if err != nil {
				return
			}
			if len(data) > s.opts.MaxSize {
				reply("552 message too large")
				st = session{tls: st.tls, authed: st.authed}
				continue
			}
			outcome := s.take(st, data)
			st = session{tls: st.tls, authed: st.authed}
			switch outcome {
			case "fail":
				reply("451 4.3.0 try again later")
			case "drop":
				return // the message is kept; the answer never comes
			default:
				reply("250 2.0.0 queued")
			}
		case "RSET":
			st = session{tls: st.tls, authed: st.authed}
			reply("250 ok")
		case "NOOP":
			reply("250 ok")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 command not implemented")
		}
	}
}

func (s *Sink) auth(tp *textproto.Conn, arg string) string {
	mech, initial, _ := strings.Cut(arg, " ")
	if s.opts.Username == "" || !strings.EqualFold(mech, "PLAIN") {
		tp.PrintfLine("504 unrecognised authentication type")
		return ""
	}
	if initial == "" {
		tp.PrintfLine("334 ")
		l, err := tp.ReadLine()
		if err != nil {
			return ""
		}
		initial = l
	}
	b, err := base64.StdEncoding.DecodeString(initial)
	parts := bytes.Split(b, []byte{0})
	if err != nil || len(parts) != 3 || string(parts[1]) != s.opts.Username || string(parts[2]) != s.opts.Password {
		tp.PrintfLine("535 5.7.8 authentication failed")
		return ""
	}
	tp.PrintfLine("235 2.7.0 authenticated")
	return s.opts.Username
}

func (s *Sink) rejected(addr string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rejectRcpt[strings.ToLower(addr)]
}

// take applies the configured faults and keeps the message unless DATA is
// to fail; it returns "ok", "fail" or "drop".
func (s *Sink) take(st session, data []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failData > 0 {
		s.failData--
		return "fail"
	}
	m := Message{From: st.from, To: append([]string(nil), st.to...), Data: data, TLS: st.tls, Auth: st.authed}
	parse(&m)
	s.messages = append(s.messages, m)
	select {
	case s.arrived <- struct{}{}:
	default:
	}
	if s.dropData > 0 {
		s.dropData--
		return "drop"
	}
	return "ok"
}

// path reads "FROM:<addr> [params]".
func path(arg, prefix string) (string, bool) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", false
	}
	rest := strings.TrimSpace(arg[len(prefix):])
	if !strings.HasPrefix(rest, "<") {
		return "", false
	}
	end := strings.IndexByte(rest, '>')
	if end < 0 {
		return "", false
	}
	return rest[1:end], true
}

func parse(m *Message) {
	msg, err := mail.ReadMessage(bufio.NewReader(bytes.NewReader(m.Data)))
	if err != nil {
		return
	}
	m.MessageID = msg.Header.Get("Message-ID")
	dec := new(mime.WordDecoder)
	if subj, err := dec.DecodeHeader(msg.Header.Get("Subject")); err == nil {
		m.Subject = subj
	}
	var body io.Reader = msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(msg.Body)
	}
	b, err := io.ReadAll(body)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return
	}
	m.Text = strings.ReplaceAll(string(b), "\r\n", "\n")
}
