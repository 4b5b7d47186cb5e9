package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/internal/auth"
	"parley/internal/service"
)

// cheapHashing lowers the cost of password hashing for the commands a
// test runs; the code path is the one of the default cost.
var cheapHashing = []service.Option{service.WithPasswordParams(auth.Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})}

func runWithStdin(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := mainWith(context.Background(), args, strings.NewReader(stdin), &out, &errb, cheapHashing)
	return code, out.String(), errb.String()
}

func TestUserCommands(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := run(t, "--data", dir, "init", "--party", "A=Arcadia", "--party", "B=Borduria"); code != 0 {
		t.Fatalf("init: %d %s", code, errs)
	}
	code, out, errs := run(t, "--data", dir, "user", "add", "--username", "Root", "--role", "admin")
	m := regexp.MustCompile(`(?m)^password: (\S{20})$`).FindStringSubmatch(out)
	if code != 0 || m == nil || !strings.Contains(out, "created user root") {
		t.Fatalf("user add: %d %q %q", code, out, errs)
	}
	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
		out   string
	}{
		{"officer with stdin password", "officer password 1\n", []string{"user", "add", "--username", "olena", "--role", "officer", "--party", "A", "--password-stdin"}, 0, "created user olena"},
		{"two roles in one flag", "", []string{"user", "add", "--username", "mira", "--role", "mediator,observer"}, 0, "password: "},
		{"officer without party", "", []string{"user", "add", "--username", "x1", "--role", "officer"}, 1, ""},
		{"duplicate", "", []string{"user", "add", "--username", "OLENA", "--role", "observer"}, 1, ""},
		{"weak stdin password", "short\n", []string{"user", "add", "--username", "x2", "--role", "observer", "--password-stdin"}, 1, ""},
		{"missing role", "", []string{"user", "add", "--username", "x3"}, 2, ""},
		{"token", "", []string{"user", "token", "--username", "olena", "--name", "laptop"}, 0, "parley_"},
		{"token for nobody", "", []string{"user", "token", "--username", "nobody"}, 1, ""},
		{"disable", "", []string{"user", "disable", "--username", "mira"}, 0, "user mira disabled"},
		{"list", "", []string{"user", "ls"}, 0, "mediator,observer         disabled"},
		{"reset password", "new officer pw 2\n", []string{"user", "passwd", "--username", "olena"}, 0, "password of olena changed"},
	}
	for _, tt := range tests {
		code, out, errs := runWithStdin(t, tt.stdin, append([]string{"--data", dir}, tt.args...)...)
		if code != tt.code || !strings.Contains(out, tt.out) {
			t.Errorf("%s: exit %d, want %d; stdout %q (want %q); stderr %q", tt.name, code, tt.code, out, tt.out, errs)
		}
	}
	s, err := service.Open(context.Background(), dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Authenticate(context.Background(), "olena", "new officer pw 2"); err != nil {
		t.Errorf("password set by user passwd does not work: %v", err)
	}
	if _, err := s.Authenticate(context.Background(), "root", m[1]); err != nil {
		t.Errorf("generated password does not work: %v", err)
	}
}

// lockedBuffer is written by the server goroutine and read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestServeAndGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := run(t, "--data", dir, "init", "--party", "A=Arcadia", "--party", "B=Borduria"); code != 0 {
		t.Fatalf("init: %d %s", code, errs)
	}
	if code, _, errs := runWithStdin(t, "watcher password 1\n", "--data", dir, "user", "add", "--username", "obs", "--role", "observer", "--password-stdin"); code != 0 {
		t.Fatalf("user add: %s", errs)
	}
	_, tok, _ := run(t, "--data", dir, "user", "token", "--username", "obs")
	tok = strings.TrimSpace(tok)
	const metricsTok = "scraper-secret-1"
	if err := os.WriteFile(filepath.Join(dir, "metrics-token"), []byte(metricsTok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- mainWith(ctx, []string{"--data", dir, "serve", "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0"}, strings.NewReader(""), &out, &errb, cheapHashing)
	}()
	addr := regexp.MustCompile(`serving on (http://127\.0\.0\.1:\d+)`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := addr.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
			break
		}
	}
	if base == "" {
		t.Fatalf("server did not start: %s", errb.String())
	}
	get := func(path string) (int, string) {
		req, _ := http.NewRequest("GET", base+path, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("readyz: %d %q", code, body)
	}
	if code, body := get("/api/v1/me"); code != 200 || !strings.Contains(body, `"username": "obs"`) {
		t.Errorf("me: %d %s", code, body)
	}
	// /metrics: on the main address only with the metrics token (a user's
	// API token is not it); on the metrics address without one.
	if code, _ := get("/metrics"); code != http.StatusUnauthorized {
		t.Errorf("metrics with a user's token: %d, want 401", code)
	}
	tok, userTok := metricsTok, tok
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "go_goroutines") {
		t.Errorf("metrics with the metrics token: %d", code)
	}
	tok = userTok
	m := regexp.MustCompile(`Metrics on (http://127\.0\.0\.1:\d+)/metrics`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no metrics address in %q", out.String())
	}
	base, mainBase := m[1], base
	tok = ""
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "go_goroutines") {
		t.Errorf("metrics address: %d", code)
	}
	if code, _ := get("/api/v1/me"); code != http.StatusNotFound {
		t.Errorf("metrics address serves the API: %d", code)
	}
	base, tok = mainBase, userTok
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited %d: %s", code, errb.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve had not shut down after 60 s")
	}
	logs := errb.String()
	if !strings.Contains(logs, `"msg":"shutting down"`) || !strings.Contains(logs, `"route":"/api/v1/me"`) {
		t.Errorf("server log lacks shutdown or request lines:\n%s", logs)
	}
	if strings.Contains(logs, tok) {
		t.Error("the server log contains the API token")
	}
}
