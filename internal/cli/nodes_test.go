package cli

import (
	"context"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley/internal/service"
)

// serveHub runs "parley serve" on the hub's directory at addr until the
// returned stop is called.
func serveHub(t *testing.T, dir, addr string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"--data", dir, "serve", "--addr", addr, "--cosign-interval", "0"}, strings.NewReader(""), &out, &errb)
	}()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/hub/v1/info")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("the hub did not start: %v\n%s", err, errb.String())
		}
	}
	return func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d: %s", code, errb.String())
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestNodeCommandLine runs the three modes' command lines as a mediator
// and a party would: a hub, a node whose keys stay on it, the mediator
// trusting them, a hand-over delivered at once and one queued while the
// hub is down.
func TestNodeCommandLine(t *testing.T) {
	hub, node := filepath.Join(t.TempDir(), "hub"), filepath.Join(t.TempDir(), "na")
	if code, _, errOut := run(t, "--data", hub, "init", "--hub", "--party", "A=Party A", "--party", "B=Party B"); code != 0 {
		t.Fatalf("init --hub: %s", errOut)
	}
	addr := freeAddr(t)
	stop := serveHub(t, hub, addr)
	code, out, errOut := run(t, "--data", node, "init", "--node", "A", "--hub", "http://"+addr)
	if code != 0 {
		t.Fatalf("init --node: %s", errOut)
	}
	keys := strings.Split(strings.TrimSpace(out), "\n")
	if len(keys) != 2 || !strings.Contains(keys[0], "/party/A+") || !strings.Contains(keys[1], "/witness/A+") {
		t.Fatalf("init --node printed %q, want the statement and witness verifier keys", out)
	}
	for _, f := range []string{"party-A.key", "witness-A.key"} {
		fi, err := os.Stat(filepath.Join(node, "keys", f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", f, fi, err)
		}
	}
	code, out, errOut = run(t, "--data", hub, "party", "trust", "A", keys[0], keys[1])
	if code != 0 || strings.Count(out, "fingerprint ") != 2 {
		t.Fatalf("party trust: %d %s %s", code, out, errOut)
	}

	code, out, errOut = run(t, "--data", node, "list", "import", "testdata/match/list.csv", "--to", "B", "--title", "First")
	if code != 0 {
		t.Fatalf("list import on the node: %s", errOut)
	}
	first := strings.Fields(out)[0]
	if code, out, errOut = run(t, "--data", node, "--lang", "en", "list", "handover", first); code != 0 || strings.Contains(errOut, "waits in the outbox") {
		t.Fatalf("list handover: %d %s %s", code, out, errOut)
	}
	if code, _, errOut = run(t, "--data", node, "list", "import", "testdata/match/list.csv", "--from", "B", "--to", "A", "--title", "X"); code == 0 {
		t.Fatal("the node of A imported a list of B")
	}
	if code, _, _ = run(t, "--data", hub, "registry", "import", "testdata/registry-B.csv", "--party", "B"); code == 0 {
		t.Fatal("the hub imported a registry")
	}

	stop()
	_, out, _ = run(t, "--data", node, "list", "import", "testdata/match/list.csv", "--to", "B", "--title", "Second")
	second := strings.Fields(out)[0]
	code, out, errOut = run(t, "--data", node, "--lang", "en", "list", "handover", second)
	// stdout is the result alone, "ID STATE HASH"; the notice is on stderr.
	if f := strings.Fields(out); code != 0 || len(f) != 3 || f[0] != second || strings.Count(out, "\n") != 1 || !strings.Contains(errOut, "waits in the outbox") {
		t.Fatalf("handover with the hub down: %d stdout %q stderr %q", code, out, errOut)
	}
	stop = serveHub(t, hub, addr)
	defer stop()
	a := &App{DataDir: node, Stdout: os.Stdout, Stderr: os.Stderr, serviceOptions: cheapHashing}
	s, err := a.openService(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := s.NodeQueued(t.Context()); err != nil || n != 1 {
		t.Fatalf("queued %d, %v", n, err)
	}
	if sent, err := s.SendQueued(t.Context()); err != nil || sent != 1 {
		t.Fatalf("SendQueued = %d, %v", sent, err)
	}
	hs, err := openHub(t, hub)
	if err != nil {
		t.Fatal(err)
	}
	defer hs.Close()
	for _, id := range []string{first, second} {
		if _, err := hs.HubListBytes(t.Context(), "B", id); err != nil {
			t.Errorf("list %s did not reach the hub: %v", id, err)
		}
	}
	// The hub's directory holds no key of a party.
	_ = filepath.WalkDir(hub, func(p string, d fs.DirEntry, err error) error {
		if err == nil && (strings.HasPrefix(d.Name(), "party-") || strings.HasPrefix(d.Name(), "witness-")) {
			t.Errorf("the hub holds %s", p)
		}
		return nil
	})
}

func openHub(t *testing.T, dir string) (*service.Service, error) {
	a := &App{DataDir: dir, Stdout: os.Stdout, Stderr: os.Stderr, serviceOptions: cheapHashing}
	return a.openService(t.Context())
}
