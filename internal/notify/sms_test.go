package notify

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/internal/store"
	"parley/internal/store/storetest"
)

// fakeGateway is an SMS gateway as the adapter's documentation asks for:
// a real HTTP server on loopback that keeps the ids it has taken, answers
// 409 to an id it knows, and sends each text once.
type fakeGateway struct {
	token string

	mu    sync.Mutex
	texts map[string]SMSBody // by id: what was "sent to the phone"
	posts map[string]int     // by id: requests received
	// dropAnswer: take the message with this id but break the connection
	// instead of answering, once.
	dropAnswer map[string]bool
	busy       int             // answer 503 to this many requests
	refuse     map[string]bool // numbers answered 422
	srv        *http.Server
}

func newGateway(token string) *fakeGateway {
	return &fakeGateway{token: token, texts: map[string]SMSBody{}, posts: map[string]int{}, dropAnswer: map[string]bool{}, refuse: map[string]bool{}}
}

func (g *fakeGateway) start(t *testing.T, addr string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("start gateway on %s: %v", addr, err)
	}
	g.srv = &http.Server{Handler: g}
	go g.srv.Serve(ln)
	t.Cleanup(func() { g.srv.Close() })
}

func (g *fakeGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.Header.Get("Authorization") != "Bearer "+g.token || r.Header.Get("Content-Type") != "application/json" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var b SMSBody
	raw, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(raw, &b); err != nil || b.ID == "" || b.ID != r.Header.Get(HeaderIdempotency) || !strings.HasPrefix(b.To, "+") || b.Text == "" {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	g.mu.Lock()
	g.posts[b.ID]++
	if g.busy > 0 {
		g.busy--
		g.mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	if g.refuse[b.To] {
		g.mu.Unlock()
		w.WriteHeader(http.StatusUnprocessableEntity)
		return
	}
	if _, seen := g.texts[b.ID]; seen {
		g.mu.Unlock()
		w.WriteHeader(http.StatusConflict)
		return
	}
	g.texts[b.ID] = b
	drop := g.dropAnswer[b.ID]
	delete(g.dropAnswer, b.ID)
	g.mu.Unlock()
	if drop {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func (g *fakeGateway) sent() map[string]SMSBody {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[string]SMSBody{}
	for k, v := range g.texts {
		out[k] = v
	}
	return out
}

func smsTo(t *testing.T, addr, token string) *SMSSender {
	t.Helper()
	s, err := NewSMSSender(SMSConfig{URL: "http://" + addr + "/v1/messages", Token: token, From: "Parley", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSMSGatewayDownThenUp: the gateway is unreachable at first, then
// busy once, then loses one answer after taking the message; a dispatcher
// is stopped half-way and another takes over. Every text reaches its phone
// exactly once, and the outbox says delivered, except the number the
// gateway refuses for good.
func TestSMSGatewayDownThenUp(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		db := openDB(t, b)
		addr := freeAddr(t)
		gw := newGateway("gw-token")
		sms := smsTo(t, addr, "gw-token")
		ids := enqueue(t, db, 6, SMS, "+380441234567", news)
		refused := enqueue(t, db, 1, SMS, "+380440000000", news)
		gw.refuse["+380440000000"] = true
		gw.dropAnswer[ids[0]] = true
		gw.busy = 1
		clk := newClock()

		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		d1 := NewDispatcher(db, nil, nil, fastConfig("first", clk), nil).WithSMS(sms)
		go func() { done <- d1.Run(ctx) }()
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
			if !strings.Contains(it.LastError, "gateway") || strings.Contains(it.LastError, "gw-token") {
				t.Errorf("last error of %s = %q, want a gateway error without the token", it.ID, it.LastError)
			}
		}
		gw.start(t, addr)
		waitAdvancing(t, clk, "first texts", func() bool { return len(gw.sent()) >= 2 })
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		ctx2, cancel2 := context.WithCancel(context.Background())
		defer cancel2()
		d2 := NewDispatcher(db, nil, nil, fastConfig("second", clk), nil).WithSMS(sms)
		go func() { done <- d2.Run(ctx2) }()
		waitAdvancing(t, clk, "all settled", func() bool {
			for _, it := range items(t, db) {
				if it.State == store.OutboxPending {
					return false
				}
			}
			return true
		})
		cancel2()
		<-done

		sent := gw.sent()
		if len(sent) != len(ids) {
			t.Errorf("%d texts sent for %d notifications", len(sent), len(ids))
		}
		for i, id := range ids {
			m, ok := sent[id]
			if !ok {
				t.Errorf("notification %s never reached the phone", id)
				continue
			}
			if m.To != "+380441234567" || m.From != "Parley" || !strings.Contains(m.Text, news(i).Reference) || !strings.Contains(m.Text, "https://parley.test/family/status") {
				t.Errorf("text %+v", m)
			}
		}
		gw.mu.Lock()
		if gw.posts[ids[0]] < 2 {
			t.Errorf("the message whose answer was lost was posted %d times, want a second post answered 409", gw.posts[ids[0]])
		}
		gw.mu.Unlock()
		for _, it := range items(t, db) {
			want := store.OutboxDelivered
			if it.ID == refused[0] {
				want = store.OutboxFailed
			}
			if it.State != want || it.LeaseOwner != "" {
				t.Errorf("notification %s is %s (lease %q), want %s", it.ID, it.State, it.LeaseOwner, want)
			}
		}
	})
}

func TestSMSSend(t *testing.T) {
	t.Parallel()
	gw := newGateway("tok")
	addr := freeAddr(t)
	gw.start(t, addr)
	tests := []struct {
		name      string
		token, to string
		wantErr   string
		permanent bool
	}{
		{name: "taken", token: "tok", to: "+380441234567"},
		{name: "wrong token", token: "nope", to: "+380441234567", wantErr: "401"},
		{name: "refused number", token: "tok", to: "+380440000000", wantErr: "422", permanent: true},
	}
	gw.refuse["+380440000000"] = true
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := smsTo(t, addr, tc.token).Send(context.Background(), "ntf-"+string(rune('a'+i)), tc.to, "hello")
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatal(err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			case tc.wantErr != "" && IsPermanent(err) != tc.permanent:
				t.Fatalf("%v: permanent %v, want %v", err, IsPermanent(err), tc.permanent)
			}
		})
	}
	// The same id again: the gateway answers 409, which counts as taken.
	if err := smsTo(t, addr, "tok").Send(context.Background(), "ntf-a", "+380441234567", "hello"); err != nil {
		t.Errorf("a repeated id: %v, want success", err)
	}
	if n := len(gw.sent()); n != 1 {
		t.Errorf("%d texts sent, want 1", n)
	}
	if _, err := NewSMSSender(SMSConfig{URL: "ftp://x", Token: "t"}); err == nil {
		t.Error("an ftp gateway URL was accepted")
	}
	if _, err := NewSMSSender(SMSConfig{URL: "https://gw.example"}); err == nil {
		t.Error("a gateway without a token was accepted")
	}
}

func TestRenderSMS(t *testing.T) {
	for _, lang := range []string{"en", "uk", "ru", "xx"} {
		for _, k := range []Kind{KindNews, KindNewSecret} {
			n := Notification{Kind: k, Reference: "PX-AAAA-BBBB", Lang: lang, Secret: "S1S1S-S2S2S-S3S3S-S4S4S", Status: "repatriated"}
			text, err := RenderSMS(n, "https://x.test/family/status")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(text, "PX-AAAA-BBBB") || !strings.Contains(text, "https://x.test/family/status") || strings.Contains(text, "%!") {
				t.Errorf("%s/%s: %q", lang, k, text)
			}
			if (k == KindNewSecret) != strings.Contains(text, n.Secret) || strings.Contains(text, "repatriated") {
				t.Errorf("%s/%s: says too much or too little: %q", lang, k, text)
			}
			// Two SMS parts at most (UCS-2: 67 characters per part).
			if n := len([]rune(text)); n > 134 {
				t.Errorf("%s/%s: %d characters, more than two SMS parts", lang, k, n)
			}
		}
	}
	if _, err := RenderSMS(Notification{Kind: KindNewSecret, Reference: "PX-AAAA-BBBB"}, "u"); err == nil {
		t.Error("a new-secret text without a secret must not render")
	}
}
