package notify

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"parley/internal/notify/smtpsink"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

// freeAddr returns a local address that nothing listens on (yet).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func startSink(t *testing.T, addr string, opts smtpsink.Options) *smtpsink.Sink {
	t.Helper()
	s, err := smtpsink.Start(addr, opts)
	if err != nil {
		t.Fatalf("start SMTP sink on %s: %v", addr, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func smtpTo(t *testing.T, addr string, mod func(*SMTPConfig)) *SMTPSender {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	var p int
	for _, c := range port {
		p = p*10 + int(c-'0')
	}
	cfg := SMTPConfig{Host: host, Port: p, From: "inquiries@parley.test", FromName: "Parley", Timeout: 5 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	s, err := NewSMTPSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// selfSigned returns a server certificate for 127.0.0.1 and a pool that
// trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sink.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

func TestSMTPSend(t *testing.T) {
	cert, pool := selfSigned(t)
	tests := []struct {
		name     string
		sink     smtpsink.Options
		cfg      func(*SMTPConfig)
		lang     string
		wantSubj string
		wantTLS  bool
		wantAuth string
		wantErr  string
	}{
		{name: "plain", lang: "en", wantSubj: "News about your inquiry PX-7K3M-9QF2"},
		{name: "starttls and auth", lang: "uk", wantSubj: "Новини щодо вашого запиту PX-7K3M-9QF2", wantTLS: true, wantAuth: "parley",
			sink: smtpsink.Options{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}, Username: "parley", Password: "pw"},
			cfg: func(c *SMTPConfig) {
				c.TLS, c.Username, c.Password, c.TLSConfig = TLSStartTLS, "parley", "pw", &tls.Config{RootCAs: pool}
			}},
		{name: "starttls required but not offered", lang: "en", wantErr: "does not offer STARTTLS",
			cfg: func(c *SMTPConfig) { c.TLS = TLSStartTLS }},
		{name: "wrong password", lang: "ru", wantErr: "535",
			sink: smtpsink.Options{Username: "parley", Password: "pw"},
			cfg:  func(c *SMTPConfig) { c.Username, c.Password = "parley", "nope" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sink := startSink(t, "127.0.0.1:0", tc.sink)
			s := smtpTo(t, sink.Addr(), tc.cfg)
			subj, body, err := Render(Notification{Kind: KindNews, Reference: "PX-7K3M-9QF2", Lang: tc.lang, Status: "repatriated"}, "https://parley.test/family/status")
			if err != nil {
				t.Fatal(err)
			}
			err = s.Send(context.Background(), "family@example.org", subj, body, "<ntf-1@parley.test>", time.Now())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if IsPermanent(err) {
					t.Errorf("%v must be temporary: the configuration can be fixed", err)
				}
				if n := len(sink.Messages()); n != 0 {
					t.Errorf("%d messages arrived despite the error", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			msgs := sink.Messages()
			if len(msgs) != 1 {
				t.Fatalf("%d messages, want 1", len(msgs))
			}
			m := msgs[0]
			if m.Subject != tc.wantSubj || m.MessageID != "<ntf-1@parley.test>" || m.TLS != tc.wantTLS || m.Auth != tc.wantAuth {
				t.Errorf("got subject %q id %q tls %v auth %q", m.Subject, m.MessageID, m.TLS, m.Auth)
			}
			if m.From != "inquiries@parley.test" || len(m.To) != 1 || m.To[0] != "family@example.org" {
				t.Errorf("envelope %s → %v", m.From, m.To)
			}
			if !strings.Contains(m.Text, "PX-7K3M-9QF2") || !strings.Contains(m.Text, "https://parley.test/family/status") {
				t.Errorf("body lacks the reference or the link:\n%s", m.Text)
			}
			// The e-mail never says what the news is.
			for _, leak := range []string{"repatriated", "Repatri", "репатр"} {
				if strings.Contains(strings.ToLower(m.Text), strings.ToLower(leak)) {
					t.Errorf("body gives the status away (%q):\n%s", leak, m.Text)
				}
			}
		})
	}
}

func TestSMTPRecipientRefused(t *testing.T) {
	sink := startSink(t, "127.0.0.1:0", smtpsink.Options{})
	sink.RejectRecipient("nobody@example.org")
	err := smtpTo(t, sink.Addr(), nil).Send(context.Background(), "nobody@example.org", "s", "b", "<x@parley.test>", time.Now())
	if !IsPermanent(err) {
		t.Fatalf("err = %v, want a permanent error", err)
	}
	sink.FailData(1)
	err = smtpTo(t, sink.Addr(), nil).Send(context.Background(), "family@example.org", "s", "b", "<y@parley.test>", time.Now())
	if err == nil || IsPermanent(err) {
		t.Fatalf("a 451 reply must be a temporary error, got %v", err)
	}
}

func openDB(t *testing.T, b storetest.Backend) *store.DB {
	t.Helper()
	db := b.Open(t)
	// Notifications need no parties or lists: the outbox stands alone.
	return db
}

func enqueue(t *testing.T, db *store.DB, n int, ch Channel, recipient string, mk func(i int) Notification) []string {
	t.Helper()
	var ids []string
	err := db.Update(context.Background(), func(tx *store.Tx) error {
		for i := range n {
			id, err := Enqueue(context.Background(), tx, ch, recipient, mk(i))
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func news(i int) Notification {
	return Notification{Kind: KindNews, Reference: "PX-0000-000" + string(rune('0'+i%10)), Lang: []string{"en", "uk", "ru"}[i%3]}
}

func items(t *testing.T, db *store.DB) []*store.OutboxItem {
	t.Helper()
	var out []*store.OutboxItem
	if err := db.View(context.Background(), func(tx *store.Tx) (err error) {
		out, err = tx.OutboxItems(context.Background(), "")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// fakeClock is the dispatcher's clock in tests: backoffs and leases run
// out when a test moves it on, not when real time passes.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
	// rounds hears of every round the dispatchers on this clock finish
	// (Config.OnRound), so tests wait for rounds, never sleep.
	rounds chan struct{}
}

func newClock() *fakeClock { return &fakeClock{t: time.Now().UTC(), rounds: make(chan struct{}, 1)} }

// round is the dispatchers' OnRound: it never blocks a dispatcher.
func (c *fakeClock) round(Stats) {
	select {
	case c.rounds <- struct{}{}:
	default:
	}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func fastConfig(owner string, clk *fakeClock) Config {
	return Config{StatusURL: "https://parley.test/family/status", Owner: owner, Workers: 2, BatchSize: 3, PollInterval: 20 * time.Millisecond,
		Lease: 2 * time.Minute, MinBackoff: time.Second, MaxBackoff: 10 * time.Second, Now: clk.Now, OnRound: clk.round}
}

// waitAdvancing waits for cond, looking again after each round of the
// dispatchers and moving the clock on by a second each time, so that a
// running dispatcher finds its retries due. Nothing here sleeps: the
// dispatchers' rounds drive the test, and a deadline fails it.
func waitAdvancing(t *testing.T, clk *fakeClock, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(60 * time.Second)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-clk.rounds:
			clk.Advance(time.Second)
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// assertExactlyOnce checks that every notification arrived once and only
// once, by its Message-ID, and that the outbox says delivered.
func assertExactlyOnce(t *testing.T, db *store.DB, sink *smtpsink.Sink, ids []string) {
	t.Helper()
	msgs := sink.Messages()
	seen := map[string]int{}
	for _, m := range msgs {
		seen[m.MessageID]++
	}
	for _, id := range ids {
		if n := seen["<"+id+"@parley.test>"]; n != 1 {
			t.Errorf("notification %s arrived %d times, want exactly once", id, n)
		}
	}
	if len(msgs) != len(ids) {
		t.Errorf("%d messages arrived for %d notifications", len(msgs), len(ids))
	}
	for _, it := range items(t, db) {
		if it.State != store.OutboxDelivered {
			t.Errorf("notification %s is %s after delivery (%s)", it.ID, it.State, it.LastError)
		}
	}
}

// TestOutboxMailServerDownThenUp: the mail server is unreachable for the
// first attempts; notifications wait, are retried with backoff, and each
// arrives exactly once when the server comes up. A dispatcher stopped
// mid-way and replaced by another neither loses nor repeats any.
func TestOutboxMailServerDownThenUp(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		db := openDB(t, b)
		addr := freeAddr(t)
		mail := smtpTo(t, addr, nil)
		ids := enqueue(t, db, 7, Email, "family@example.org", news)
		clk := newClock()

		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		d1 := NewDispatcher(db, mail, nil, fastConfig("first", clk), nil)
		go func() { done <- d1.Run(ctx) }()

		// Every notification is tried at least twice while the server is down.
		waitAdvancing(t, clk, "failed attempts", func() bool {
			its := items(t, db)
			for _, it := range its {
				if it.Attempts < 2 || it.State != store.OutboxPending {
					return false
				}
			}
			return len(its) == 7
		})
		for _, it := range items(t, db) {
			if !strings.Contains(it.LastError, "connect") {
				t.Errorf("last error of %s = %q, want a connection error", it.ID, it.LastError)
			}
		}
		sink := startSink(t, addr, smtpsink.Options{})
		// Stop the first dispatcher as soon as some, not all, have arrived.
		waitAdvancing(t, clk, "first deliveries", func() bool { return len(sink.Messages()) >= 2 })
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		delivered := 0
		for _, it := range items(t, db) {
			if it.LeaseOwner != "" {
				t.Errorf("notification %s still leased by %s after a graceful stop", it.ID, it.LeaseOwner)
			}
			if it.State == store.OutboxDelivered {
				delivered++
			}
		}
		if delivered == 7 {
			t.Log("the first dispatcher delivered everything before it stopped; the restart had nothing to do")
		}
		if delivered != len(sink.Messages()) {
			t.Errorf("outbox says %d delivered, the server has %d", delivered, len(sink.Messages()))
		}
		ctx2, cancel2 := context.WithCancel(context.Background())
		defer cancel2()
		d2 := NewDispatcher(db, mail, nil, fastConfig("second", clk), nil)
		go func() { done <- d2.Run(ctx2) }()
		waitAdvancing(t, clk, "all delivered", func() bool {
			for _, it := range items(t, db) {
				if it.State != store.OutboxDelivered {
					return false
				}
			}
			return true
		})
		cancel2()
		<-done
		assertExactlyOnce(t, db, sink, ids)
	})
}

// TestOutboxCrashedDispatcher: a dispatcher that died holding leases
// delays its notifications until the leases run out; then another
// delivers them, once.
func TestOutboxCrashedDispatcher(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		db := openDB(t, b)
		sink := startSink(t, "127.0.0.1:0", smtpsink.Options{})
		ids := enqueue(t, db, 3, Email, "family@example.org", news)
		ctx := context.Background()
		clk := newClock()
		now := clk.Now()
		// The dead dispatcher claimed two of them and never came back.
		if err := db.Update(ctx, func(tx *store.Tx) error {
			for _, id := range ids[:2] {
				if _, ok, err := tx.LeaseOutbox(ctx, id, "dead", now, now.Add(700*time.Millisecond)); err != nil || !ok {
					t.Fatalf("lease %s: %v %v", id, ok, err)
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		d := NewDispatcher(db, smtpTo(t, sink.Addr(), nil), nil, fastConfig("alive", clk), nil)
		st, err := d.RunOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Delivered != 1 || len(sink.Messages()) != 1 {
			t.Fatalf("with two leases held elsewhere, delivered %d (server has %d), want 1", st.Delivered, len(sink.Messages()))
		}
		clk.Advance(750 * time.Millisecond)
		if st, err = d.RunOnce(ctx); err != nil || st.Delivered != 2 {
			t.Fatalf("after the leases ran out: %+v, %v", st, err)
		}
		assertExactlyOnce(t, db, sink, ids)
	})
}

// TestOutboxAmbiguousFailure: the server keeps a message but the
// connection breaks before its answer. The dispatcher cannot know and
// sends again; both copies carry the same Message-ID, by which they are
// recognised as one.
func TestOutboxAmbiguousFailure(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		db := openDB(t, b)
		sink := startSink(t, "127.0.0.1:0", smtpsink.Options{})
		sink.DropAfterData(1)
		ids := enqueue(t, db, 1, Email, "family@example.org", news)
		clk := newClock()
		d := NewDispatcher(db, smtpTo(t, sink.Addr(), nil), nil, fastConfig("one", clk), nil)
		ctx := context.Background()
		if st, err := d.RunOnce(ctx); err != nil || st.Retried != 1 {
			t.Fatalf("first attempt: %+v, %v; want a retry", st, err)
		}
		if st, err := d.RunOnce(ctx); err != nil || st.Claimed != 0 {
			t.Fatalf("a retry before its backoff: %+v, %v", st, err)
		}
		clk.Advance(2 * time.Second)
		if st, err := d.RunOnce(ctx); err != nil || st.Delivered != 1 {
			t.Fatalf("second attempt: %+v, %v", st, err)
		}
		msgs := sink.Messages()
		if len(msgs) != 2 {
			t.Fatalf("%d copies arrived, want 2 (one before the broken answer, one on retry)", len(msgs))
		}
		want := "<" + ids[0] + "@parley.test>"
		if msgs[0].MessageID != want || msgs[1].MessageID != want {
			t.Errorf("Message-IDs %q and %q, want both %q", msgs[0].MessageID, msgs[1].MessageID, want)
		}
	})
}

func TestOutboxPermanentRefusalAndSecretErased(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		db := openDB(t, b)
		sink := startSink(t, "127.0.0.1:0", smtpsink.Options{})
		sink.RejectRecipient("gone@example.org")
		bad := enqueue(t, db, 1, Email, "gone@example.org", news)
		good := enqueue(t, db, 1, Email, "family@example.org", func(int) Notification {
			return Notification{Kind: KindNewSecret, Reference: "PX-0000-0001", Lang: "en", Secret: "AAAAA-BBBBB-CCCCC-DDDDD"}
		})
		clk := newClock()
		d := NewDispatcher(db, smtpTo(t, sink.Addr(), nil), nil, fastConfig("one", clk), nil)
		st, err := d.RunOnce(context.Background())
		if err != nil || st.Failed != 1 || st.Delivered != 1 {
			t.Fatalf("round: %+v, %v", st, err)
		}
		msgs := sink.Messages()
		if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "AAAAA-BBBBB-CCCCC-DDDDD") {
			t.Fatalf("the new secret did not arrive: %+v", msgs)
		}
		for _, it := range items(t, db) {
			switch it.ID {
			case bad[0]:
				if it.State != store.OutboxFailed || !strings.Contains(it.LastError, "550") {
					t.Errorf("refused notification: state %s, error %q", it.State, it.LastError)
				}
			case good[0]:
				if it.State != store.OutboxDelivered || strings.Contains(string(it.Payload), "AAAAA") {
					t.Errorf("delivered notification: state %s, payload %s (the secret must be erased)", it.State, it.Payload)
				}
			}
		}
		// A failed notification is not tried again.
		clk.Advance(time.Hour)
		if st, _ := d.RunOnce(context.Background()); st != (Stats{}) {
			t.Errorf("second round did %+v, want nothing", st)
		}
	})
}

// TestOutboxConcurrentDispatchers: two dispatchers on one database never
// deliver a notification twice.
func TestOutboxConcurrentDispatchers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		db := openDB(t, b)
		sink := startSink(t, "127.0.0.1:0", smtpsink.Options{})
		ids := enqueue(t, db, 12, Email, "family@example.org", news)
		clk := newClock()
		var wg sync.WaitGroup
		for _, owner := range []string{"a", "b"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d := NewDispatcher(db, smtpTo(t, sink.Addr(), nil), nil, fastConfig(owner, clk), nil)
				for range 10 {
					st, err := d.RunOnce(context.Background())
					if err != nil {
						t.Error(err)
						return
					}
					if st.Claimed > 3 {
						t.Errorf("a round claimed %d notifications, more than its batch of 3", st.Claimed)
					}
				}
			}()
		}
		wg.Wait()
		assertExactlyOnce(t, db, sink, ids)
	})
}

func TestWebhook(t *testing.T) {
	t.Parallel()
	secret := []byte("0123456789abcdef0123456789abcdef")
	var calls atomic.Int32
	var mu sync.Mutex
	var bodies []WebhookBody
	var keys []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if err := Verify(secret, r.Header.Get(HeaderSignature), r.Header.Get(HeaderTimestamp), b, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("signature: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable) // first call: the receiver is busy
			return
		}
		var body WebhookBody
		if err := json.Unmarshal(b, &body); err != nil {
			t.Error(err)
		}
		mu.Lock()
		bodies = append(bodies, body)
		keys = append(keys, r.Header.Get(HeaderIdempotency))
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		calls.Store(0)
		bodies, keys = nil, nil
		db := openDB(t, b)
		hook, err := NewWebhookSender(WebhookConfig{Secret: secret, AllowPrivate: true, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		ids := enqueue(t, db, 1, Webhook, srv.URL+"/hook?token=abc", func(int) Notification {
			return Notification{Kind: KindNews, Reference: "PX-0000-0002", Status: "listed", Date: "2025-06-07"}
		})
		clk := newClock()
		d := NewDispatcher(db, nil, hook, fastConfig("w", clk), nil)
		if st, err := d.RunOnce(context.Background()); err != nil || st.Retried != 1 {
			t.Fatalf("first round %+v %v, want a retry after 503", st, err)
		}
		clk.Advance(2 * time.Second)
		if st, err := d.RunOnce(context.Background()); err != nil || st.Delivered != 1 {
			t.Fatalf("second round %+v %v", st, err)
		}
		if len(bodies) != 1 || keys[0] != ids[0] {
			t.Fatalf("bodies %+v keys %v", bodies, keys)
		}
		want := WebhookBody{ID: ids[0], Event: KindNews, Reference: "PX-0000-0002", Status: "listed", Date: "2025-06-07"}
		if bodies[0] != want {
			t.Errorf("body %+v, want %+v", bodies[0], want)
		}
	})

	t.Run("private address refused", func(t *testing.T) {
		hook, err := NewWebhookSender(WebhookConfig{Secret: secret, Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		before := calls.Load()
		err = hook.Send(context.Background(), srv.URL, "id", KindNews, []byte(`{}`), time.Now())
		if err == nil || !strings.Contains(err.Error(), "non-public") {
			t.Fatalf("err = %v, want a refusal to connect to a loopback address", err)
		}
		if strings.Contains(err.Error(), srv.URL) {
			t.Errorf("the error repeats the URL: %v", err)
		}
		if calls.Load() != before {
			t.Error("the receiver was called")
		}
	})
	t.Run("signature", func(t *testing.T) {
		body := []byte(`{"reference":"PX-0000-0002"}`)
		ts := time.Now().Unix()
		sig := Sign(secret, ts, body)
		tests := []struct {
			name string
			body []byte
			sig  string
			ts   int64
			ok   bool
		}{
			{"valid", body, sig, ts, true},
			{"body changed", []byte(`{"reference":"PX-0000-0003"}`), sig, ts, false},
			{"old timestamp", body, Sign(secret, ts-3600, body), ts - 3600, false},
			{"other secret", body, Sign([]byte("another secret of thirty-two bytes!"), ts, body), ts, false},
		}
		for _, tc := range tests {
			err := Verify(secret, tc.sig, big.NewInt(tc.ts).String(), tc.body, time.Now(), 5*time.Minute)
			if (err == nil) != tc.ok {
				t.Errorf("%s: err = %v", tc.name, err)
			}
		}
	})
}

func TestInstallationSecret(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		db := openDB(t, b)
		first, err := InstallationSecret(context.Background(), db)
		if err != nil || len(first) != 32 {
			t.Fatalf("secret %x, %v", first, err)
		}
		again, err := InstallationSecret(context.Background(), db)
		if err != nil || string(again) != string(first) {
			t.Errorf("the secret changed between calls")
		}
	})
}

func TestRenderLanguages(t *testing.T) {
	for _, lang := range []string{"en", "uk", "ru", "xx"} {
		for _, k := range []Kind{KindNews, KindNewSecret} {
			n := Notification{Kind: k, Reference: "PX-AAAA-BBBB", Lang: lang, Secret: "S1S1S-S2S2S-S3S3S-S4S4S"}
			subj, body, err := Render(n, "https://x.test/family/status")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(subj, "PX-AAAA-BBBB") || !strings.Contains(body, "PX-AAAA-BBBB") || !strings.Contains(body, "https://x.test/family/status") {
				t.Errorf("%s/%s: %q / %q", lang, k, subj, body)
			}
			if (k == KindNewSecret) != strings.Contains(body, n.Secret) {
				t.Errorf("%s/%s: secret presence wrong in %q", lang, k, body)
			}
			if strings.Contains(body, "%!") || strings.Contains(body, "{") {
				t.Errorf("%s/%s: formatting error in %q", lang, k, body)
			}
			sms, err := RenderSMS(n, "https://x.test/family/status")
			if err != nil || !strings.Contains(sms, "PX-AAAA-BBBB") || (k == KindNewSecret) != strings.Contains(sms, n.Secret) {
				t.Errorf("%s/%s: SMS %q, %v", lang, k, sms, err)
			}
			// The family reads its own language: no English word in a
			// Ukrainian or Russian text (the product's name aside).
			if lang == "uk" || lang == "ru" {
				for _, w := range []string{"inquiry", "news", "secret", "reference", "message", "read", "your"} {
					for _, text := range []string{subj, body, sms} {
						if strings.Contains(strings.ToLower(text), w) {
							t.Errorf("%s/%s: English %q in %q", lang, k, w, text)
						}
					}
				}
			}
		}
	}
	if subj, _, _ := Render(Notification{Kind: KindNews, Reference: "PX-AAAA-BBBB", Lang: "uk"}, "u"); subj != "Новини щодо вашого запиту PX-AAAA-BBBB" {
		t.Errorf("Ukrainian subject %q", subj)
	}
	if _, _, err := Render(Notification{Kind: "other", Reference: "PX-AAAA-BBBB"}, "u"); err == nil {
		t.Error("a notification of an unknown kind must not render")
	}
	if _, _, err := Render(Notification{Kind: KindNewSecret, Reference: "PX-AAAA-BBBB"}, "u"); err == nil {
		t.Error("a new-secret notification without a secret must not render")
	}
}

// TestSMTPConnectionReuse: messages in a row share one connection; when
// the server has gone away meanwhile (here: restarted), the kept
// connection fails at RSET, before any of the message is sent, and the
// message goes through a new connection, once.
func TestSMTPConnectionReuse(t *testing.T) {
	t.Parallel()
	sink := startSink(t, "127.0.0.1:0", smtpsink.Options{})
	addr := sink.Addr()
	s := smtpTo(t, addr, nil)
	for i := range 5 {
		if err := s.Send(context.Background(), "family@example.org", "s", "b", "<r"+string(rune('0'+i))+"@parley.test>", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if n := sink.Connections(); n != 1 {
		t.Errorf("5 messages took %d connections, want 1", n)
	}
	sink.Close()
	sink2 := startSink(t, addr, smtpsink.Options{})
	if err := s.Send(context.Background(), "family@example.org", "s", "b", "<after@parley.test>", time.Now()); err != nil {
		t.Fatalf("after the server restarted: %v", err)
	}
	if msgs := sink2.Messages(); len(msgs) != 1 || msgs[0].MessageID != "<after@parley.test>" {
		t.Errorf("the restarted server got %+v", msgs)
	}
	s.CloseIdle()

	// Without keeping, every message opens its own connection.
	sink3 := startSink(t, "127.0.0.1:0", smtpsink.Options{})
	s3 := smtpTo(t, sink3.Addr(), func(c *SMTPConfig) { c.MaxIdle = -1 })
	for range 3 {
		if err := s3.Send(context.Background(), "family@example.org", "s", "b", "<k@parley.test>", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if n := sink3.Connections(); n != 3 {
		t.Errorf("3 messages without keeping took %d connections, want 3", n)
	}
}
