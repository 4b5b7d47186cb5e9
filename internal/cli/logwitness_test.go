package cli

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"parley/internal/ledger"
	"parley/internal/store"
)

// externalWitness runs a witness with a key of its own (as a party's node
// or an observer would) over HTTP, keeping its state in its own directory.
func externalWitness(t *testing.T, l *ledger.Log, name string) (url, vkey string) {
	t.Helper()
	skey, v, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	if vkey, err = fnote.VKeyToCosignatureV1(v); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(t.Context(), t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w, err := ledger.NewWitness(skey, l.VerifierKey(), db)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w.Handler())
	t.Cleanup(srv.Close)
	return srv.URL, vkey
}

func TestLogWitnessCommands(t *testing.T) {
	dir, l := logFixture(t)
	nodeURL, nodeKey := externalWitness(t, l, "a-node.example/witness")
	obsURL, obsKey := externalWitness(t, l, "observer.example/witness")
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	_, dk, _ := note.GenerateKey(rand.Reader, "down.example/witness")
	downKey, _ := fnote.VKeyToCosignatureV1(dk)

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"log", "witness", "add", "--name", "x", "--key", obsKey}, 2, "needs --name, --key and --url"},
		{[]string{"log", "witness", "add", "--name", "x", "--key", "nonsense", "--url", obsURL}, 2, "verifier key"},
		{[]string{"log", "witness", "add", "--name", "A", "--key", obsKey, "--url", obsURL}, 1, "it is a party id"},
		{[]string{"log", "witness", "add", "--name", "x", "--key", obsKey, "--url", obsURL, "--party", "Z"}, 1, `party "Z" is not a party`},
		{[]string{"log", "witness", "remove"}, 2, "needs --name"},
		{[]string{"log", "witness", "remove", "--name", "nobody"}, 1, "not found"},
		{[]string{"log", "policy", "set", "--require", "A,ghost"}, 1, `"ghost" is neither a party nor a registered witness`},
		{[]string{"log", "policy", "set"}, 1, "requires no cosignature"},
	} {
		code, out, errs := run(t, append([]string{"--data", dir}, tc.args...)...)
		if code != tc.code || !strings.Contains(out+errs, tc.want) {
			t.Errorf("%v: %d %q %q, want %d and %q", tc.args, code, out, errs, tc.code, tc.want)
		}
	}
	if n := logSize(t, dir); n != 2 {
		t.Fatalf("refused commands logged something: size %d", n)
	}

	for _, args := range [][]string{
		{"--name", "a-node", "--key", nodeKey, "--url", nodeURL, "--party", "A"},
		{"--name", "observer", "--key", obsKey, "--url", obsURL},
		{"--name", "down", "--key", downKey, "--url", down.URL},
	} {
		if code, out, errs := run(t, append([]string{"--data", dir, "log", "witness", "add"}, args...)...); code != 0 {
			t.Fatalf("log witness add %v: %d %q %s", args, code, out, errs)
		}
	}
	if code, out, errs := run(t, "--data", dir, "log", "policy", "set", "--require", "A,B", "--independent", "1"); code != 0 || !strings.Contains(out, "require A,B; independent 1") {
		t.Fatalf("log policy set: %d %q %s", code, out, errs)
	}
	code, out, _ := run(t, "--data", dir, "log", "witness", "ls")
	for _, want := range []string{"a-node", "on behalf of party A", "observer", "independent", obsKey, nodeURL, "party B's own", "agreement policy: require A,B; independent 1"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("log witness ls lacks %q: %d %q", want, code, out)
		}
	}

	// The issue as a party met it: its own node's witness, registered on
	// its behalf, cosigns through --party --server and the cosignature is
	// kept.
	code, out, errs := run(t, "--data", dir, "log", "cosign", "--party", "A", "--server", nodeURL)
	if code != 0 || !strings.Contains(out, "A cosigned the checkpoint for size 6") {
		t.Errorf("log cosign --party A --server: %d %q %s", code, out, errs)
	}

	// Everyone: the witness that is down is reported (after retries) and
	// does not keep the others from cosigning; the policy is met without
	// it.
	code, out, errs = run(t, "--data", dir, "log", "cosign")
	if code != 1 || !strings.Contains(errs, "down: ") || !strings.Contains(out, "observer cosigned the checkpoint for size 6") ||
		!strings.Contains(out, "a-node had already cosigned the checkpoint for size 6") || !strings.Contains(out, "agreed checkpoint: size 6, cosigned by A, B, a-node, observer") {
		t.Errorf("log cosign: %d %q %s", code, out, errs)
	}
	code, out, errs = run(t, "--data", dir, "log", "policy")
	if code != 0 || !strings.Contains(out, "agreement policy: require A,B; independent 1") || !strings.Contains(out, "agreed checkpoint: size 6") {
		t.Errorf("log policy: %d %q %s", code, out, errs)
	}
	code, out, errs = run(t, "--data", dir, "log", "checkpoint")
	if code != 0 || !strings.Contains(out, "— observer.example/witness ") || !strings.Contains(out, "— a-node.example/witness ") || !strings.Contains(errs, "agreement policy: require A,B; independent 1") {
		t.Errorf("log checkpoint: %d %q %s", code, out, errs)
	}
	if _, err := ledger.ParseCheckpoint([]byte(out)); err != nil {
		t.Errorf("log checkpoint prints more than the note: %v", err)
	}

	// The observer is the only independent witness the policy can count
	// on besides the one that is down: removing the latter is fine.
	if code, _, errs := run(t, "--data", dir, "log", "witness", "remove", "--name", "down"); code != 0 {
		t.Errorf("log witness remove: %d %s", code, errs)
	}
	if code, _, errs := run(t, "--data", dir, "log", "witness", "remove", "--name", "observer"); code != 1 || !strings.Contains(errs, "unsatisfiable") {
		t.Errorf("removing the last independent witness: %d %s", code, errs)
	}
	// Everything above is in the log (five entries more) and verifies,
	// with every stored cosignature checked against the keys of the
	// registered witnesses.
	code, out, errs = run(t, "--data", dir, "log", "verify", "--key", l.VerifierKey())
	if code != 0 || !strings.Contains(out, "OK: 7 entries") {
		t.Errorf("log verify: %d %q %s", code, out, errs)
	}
}

func logSize(t *testing.T, dir string) int64 {
	t.Helper()
	db, err := store.Open(t.Context(), dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n, err := db.LogSize(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestServePushesCheckpoints starts the server with a short interval and
// waits for it to have a registered witness cosign the latest checkpoint
// on its own.
func TestServePushesCheckpoints(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := run(t, "--data", dir, "init", "--party", "A=Arcadia", "--party", "B=Borduria"); code != 0 {
		t.Fatalf("init: %d %s", code, errs)
	}
	l, err := ledger.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	url, key := externalWitness(t, l, "observer.example/witness")
	if code, _, errs := run(t, "--data", dir, "log", "witness", "add", "--name", "observer", "--key", key, "--url", url); code != 0 {
		t.Fatalf("log witness add: %d %s", code, errs)
	}
	size := logSize(t, dir)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"--data", dir, "serve", "--addr", "127.0.0.1:0", "--cosign-interval", "50ms"}, strings.NewReader(""), &out, &errb)
	}()
	db, err := store.Open(t.Context(), dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		n, err := db.LastCosignedSize(t.Context(), "observer.example/witness")
		if err == nil && n == size {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not push checkpoint %d to the witness (at %d, %v): %s", size, n, err, errb.String())
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve exited %d: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), `"msg":"witness cosigned"`) {
		t.Errorf("the server log does not report the cosignature:\n%s", errb.String())
	}
}
