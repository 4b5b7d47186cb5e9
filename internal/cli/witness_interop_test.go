package cli

// This test cosigns Parley's log with a witness Parley did not write:
// litewitness from filippo.io/torchwood (pinned as a tool in go.mod),
// configured with its own witnessctl and holding its Ed25519 key in an
// OpenSSH ssh-agent, as its operators run it. If Parley's checkpoints,
// consistency proofs, add-checkpoint requests or cosignature handling
// drifted from C2SP tlog-witness and tlog-cosignature, it would fail.

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"parley/internal/ledger"
	"parley/internal/store"
)

// buildTool builds a tool of go.mod's tool directive into dir.
func buildTool(t *testing.T, dir, pkg string) string {
	t.Helper()
	out := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// startProcess starts a long-running command and stops it (by its own
// process id) when the test ends. Its standard error is returned as a
// line channel.
func startProcess(t *testing.T, env []string, name string, args ...string) <-chan string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default: // nobody reads any more; keep draining the pipe
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	return lines
}

func mustRun(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, b)
	}
	return string(b)
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startLitewitness runs litewitness on loopback with a fresh Ed25519 key in
// a dedicated ssh-agent, knowing the log (origin and verifier key) through
// witnessctl, and returns its URL and verifier key.
func startLitewitness(t *testing.T, origin, logKey string) (url, vkey string, listLogs func() string) {
	t.Helper()
	for _, tool := range []string{"ssh-agent", "ssh-add", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: install openssh-client (scripts/test-deps.sh does)", tool)
		}
	}
	bin := t.TempDir()
	litewitness := buildTool(t, bin, "filippo.io/torchwood/cmd/litewitness")
	witnessctl := buildTool(t, bin, "filippo.io/torchwood/cmd/witnessctl")

	// A short directory: a Unix socket path is limited to about 100 bytes.
	dir, err := os.MkdirTemp("", "lw")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "agent.sock")
	startProcess(t, nil, "ssh-agent", "-D", "-a", sock)
	for i := 0; ; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if i == 100 {
			t.Fatal("ssh-agent did not create its socket")
		}
		time.Sleep(50 * time.Millisecond)
	}
	key := filepath.Join(dir, "witness.pem")
	mustRun(t, nil, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "litewitness", "-f", key)
	mustRun(t, []string{"SSH_AUTH_SOCK=" + sock}, "ssh-add", key)
	fp := strings.Fields(mustRun(t, nil, "ssh-keygen", "-l", "-E", "sha256", "-f", key+".pub"))
	if len(fp) < 2 || !strings.HasPrefix(fp[1], "SHA256:") {
		t.Fatalf("ssh-keygen -l: unexpected output %q", fp)
	}

	db := filepath.Join(dir, "litewitness.db")
	mustRun(t, nil, witnessctl, "add-log", "-db", db, "-origin", origin)
	mustRun(t, nil, witnessctl, "add-key", "-db", db, "-origin", origin, "-key", logKey)
	if out := mustRun(t, nil, witnessctl, "list-logs", "-db", db); !strings.Contains(out, origin) {
		t.Fatalf("witnessctl list-logs does not show the log: %s", out)
	}

	addr := freePort(t)
	lines := startProcess(t, nil, litewitness, "-name", "example.org/litewitness", "-db", db,
		"-ssh-agent", sock, "-key", fp[1], "-listen", addr)
	vkeyRE := regexp.MustCompile(`vkey=("?)(\S+)`)
	deadline := time.After(60 * time.Second)
	for vkey == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("litewitness exited before printing its verifier key")
			}
			if m := vkeyRE.FindStringSubmatch(l); m != nil {
				vkey = strings.Trim(m[2], `"`)
			}
		case <-deadline:
			t.Fatal("litewitness did not print its verifier key")
		}
	}
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if i == 100 {
			t.Fatalf("litewitness does not listen on %s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "http://" + addr, vkey, func() string { return mustRun(t, nil, witnessctl, "list-logs", "-db", db) }
}

func TestLitewitnessCosignsTheLog(t *testing.T) {
	if testing.Short() {
		t.Skip("builds litewitness")
	}
	ctx := context.Background()
	dir, l := logFixture(t) // two entries
	url, wkey, listLogs := startLitewitness(t, l.Origin(), l.VerifierKey())

	// Register it as an independent witness, and require it.
	if code, out, errs := run(t, "--data", dir, "log", "witness", "add", "--name", "lw", "--key", wkey, "--url", url); code != 0 || !strings.Contains(out, "witness lw registered") {
		t.Fatalf("log witness add: %d %q %s", code, out, errs)
	}
	if code, out, errs := run(t, "--data", dir, "log", "policy", "set", "--require", "A,B,lw"); code != 0 || !strings.Contains(out, "require A,B,lw; independent 0") {
		t.Fatalf("log policy set: %d %q %s", code, out, errs)
	}
	code, out, errs := run(t, "--data", dir, "log", "witness", "ls")
	if code != 0 || !strings.Contains(out, "lw") || !strings.Contains(out, "example.org/litewitness+") || !strings.Contains(out, "require A,B,lw") {
		t.Errorf("log witness ls: %d %q %s", code, out, errs)
	}

	// The pushes: all three cosign the checkpoint for size 4 (two entries,
	// the registration and the policy).
	code, out, errs = run(t, "--data", dir, "log", "cosign")
	for _, want := range []string{"lw cosigned the checkpoint for size 4", "A cosigned the checkpoint for size 4", "agreed checkpoint: size 4, cosigned by A, B, lw"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("log cosign: want %q; got %d %q %s", want, code, out, errs)
		}
	}
	db, err := store.Open(ctx, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cos, err := db.Cosignatures(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	stored := false
	for _, c := range cos {
		stored = stored || (c.Witness == "example.org/litewitness" && strings.HasPrefix(c.Line, "— example.org/litewitness "))
	}
	if !stored {
		t.Errorf("litewitness's cosignature is not stored: %+v", cos)
	}
	// The registry and the policy are in the log.
	for _, ev := range []struct{ typ, subject string }{{ledger.EventWitnessAdded, "lw"}, {ledger.EventPolicySet, "agreement"}} {
		if rows, err := db.FindLogEntries(ctx, ev.typ, ev.subject); err != nil || len(rows) != 1 {
			t.Errorf("%s %s in the log: %d entries, %v", ev.typ, ev.subject, len(rows), err)
		}
	}

	// The checkpoint as a signed note with litewitness's line; the policy
	// on standard error.
	code, out, errs = run(t, "--data", dir, "log", "checkpoint")
	if code != 0 || !strings.Contains(out, "\n— example.org/litewitness ") || !strings.Contains(errs, "agreed checkpoint: size 4") {
		t.Errorf("log checkpoint: %d %q %s", code, out, errs)
	}
	if _, _, err := ledger.OpenCheckpoint([]byte(out), mustVerifier(t, l.VerifierKey()), mustWitnessVerifier(t, wkey)); err != nil {
		t.Errorf("the printed checkpoint does not verify with litewitness's key: %v", err)
	}

	// Verification with litewitness's key, of the data and of a receipt.
	code, out, errs = run(t, "--data", dir, "log", "verify", "--key", l.VerifierKey(), "--witness-key", wkey)
	if code != 0 || !strings.Contains(out, "cosigned by: example.org/litewitness") {
		t.Errorf("log verify --witness-key: %d %q %s", code, out, errs)
	}
	receipt := filepath.Join(t.TempDir(), "L1.receipt.json")
	if code, _, errs := run(t, "--data", dir, "log", "receipt", "L1", "-o", receipt); code != 0 {
		t.Fatalf("log receipt: %d %s", code, errs)
	}
	code, out, errs = run(t, "log", "verify-receipt", receipt, "--key", l.VerifierKey(), "--witness-key", wkey)
	if code != 0 || !strings.Contains(out, "cosigned by: example.org/litewitness") {
		t.Errorf("log verify-receipt --witness-key: %d %q %s", code, out, errs)
	}

	// The log grows: litewitness checks the consistency proof from 4.
	if err := db.Update(ctx, func(tx *store.Tx) error {
		_, err := l.Append(ctx, tx, ledger.Event{Type: "key.added", Actor: "admin:A", Subject: "user:7"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := run(t, "--data", dir, "log", "cosign"); code != 0 || !strings.Contains(out, "lw cosigned the checkpoint for size 5") {
		t.Errorf("log cosign after an append: %d %q %s", code, out, errs)
	}

	// A fork: the same log key signs another history, seven entries long.
	// litewitness, at size 5, answers 409; the proof from 5 does not verify
	// against what it cosigned; Parley reports the fork and stores nothing.
	fork := forkLog(t, dir, l, 6)
	if code, out, errs := run(t, "--data", fork, "log", "witness", "add", "--name", "lw", "--key", wkey, "--url", url); code != 0 {
		t.Fatalf("log witness add in the fork: %d %q %s", code, out, errs)
	}
	code, out, errs = run(t, "--data", fork, "log", "cosign")
	if code != 1 || !strings.Contains(errs, "lw answered 409 Conflict: it holds size 5") || !strings.Contains(errs, "lw: FORK") || strings.Contains(out, "lw cosigned") {
		t.Errorf("log cosign of a fork: %d %q %s", code, out, errs)
	}
	fdb, err := store.Open(ctx, fork, "")
	if err != nil {
		t.Fatal(err)
	}
	defer fdb.Close()
	if n, err := fdb.LastCosignedSize(ctx, "example.org/litewitness"); err != nil || n != 0 {
		t.Errorf("the fork holds a cosignature of litewitness at size %d (%v)", n, err)
	}
	if logs := listLogs(); !strings.Contains(logs, `"size":5`) {
		t.Errorf("litewitness moved past the checkpoint it cosigned: %s", logs)
	}
	// And a shorter fork: the witness is ahead of it.
	short := forkLog(t, dir, l, 1)
	run(t, "--data", short, "log", "witness", "add", "--name", "lw", "--key", wkey, "--url", url)
	code, _, errs = run(t, "--data", short, "log", "cosign")
	if code != 1 || !strings.Contains(errs, "lw answered 409 Conflict: it holds size 5") || !strings.Contains(errs, "larger than this log's latest checkpoint 2") {
		t.Errorf("log cosign of a shorter fork: %d %s", code, errs)
	}
	if logs := listLogs(); !strings.Contains(logs, `"size":5`) {
		t.Errorf("litewitness moved past the checkpoint it cosigned: %s", logs)
	}
}

// forkLog makes another data directory with the same keys as dir and a
// history of its own: n entries before the witness is registered.
func forkLog(t *testing.T, dir string, l *ledger.Log, n int) string {
	t.Helper()
	ctx := context.Background()
	fork := t.TempDir()
	if err := os.CopyFS(filepath.Join(fork, "keys"), os.DirFS(filepath.Join(dir, "keys"))); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(fork, "keys"), 0o700); err != nil {
		t.Fatal(err)
	}
	// os.CopyFS writes files readable by others; key files must not be.
	keys, err := os.ReadDir(filepath.Join(fork, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if err := os.Chmod(filepath.Join(fork, "keys", k.Name()), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	db, err := store.Open(ctx, fork, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(ctx, func(tx *store.Tx) error {
		for i := range n {
			if _, err := l.Append(ctx, tx, ledger.Event{Type: "key.added", Actor: "admin:B", Subject: "forked:" + string(rune('a'+i))}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fork
}

func mustVerifier(t *testing.T, key string) note.Verifier {
	t.Helper()
	v, err := note.NewVerifier(key)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustWitnessVerifier(t *testing.T, key string) note.Verifier {
	t.Helper()
	v, err := ledger.ParseWitnessKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
