package cli

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"parley/internal/store"
)

// serveInProcess starts "parley serve" in this process on a free port and
// returns its base URL; stop shuts it down and returns its exit status and
// log.
func serveInProcess(t *testing.T, g []string) (base string, stop func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- mainWith(ctx, append(append([]string{}, g...), "serve", "--addr", "127.0.0.1:0"), strings.NewReader(""), &out, &errb, cheapHashing)
	}()
	addr := regexp.MustCompile(`serving on (http://127\.0\.0\.1:\d+)`)
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := addr.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case code := <-done:
			cancel()
			t.Fatalf("serve exited %d: %s", code, errb.String())
		default:
		}
	}
	if base == "" {
		cancel()
		t.Fatalf("server did not start: %s", errb.String())
	}
	stopped := false
	stop = func() (int, string) {
		if stopped {
			return 0, errb.String()
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			return code, errb.String()
		case <-time.After(60 * time.Second):
			t.Fatal("serve had not shut down after 60 s")
			return 0, ""
		}
	}
	t.Cleanup(func() { stop() })
	return base, stop
}

// TestServeRefusesTruncatedLog issues a checkpoint and a receipt, cuts the
// stored log back below them (as a lost tail or an old backup would), and
// checks that the server, restarted, says so: /readyz fails with the
// reason, state changes and new checkpoints and receipts are refused, and
// reading still works; the log commands that hand out checkpoints and
// receipts refuse too.
func TestServeRefusesTruncatedLog(t *testing.T) {
	g := initDir(t, "")
	if code, _, errs := runWithStdin(t, "quiet harbour lamp 7\n", append(g, "user", "add", "--username", "ana", "--role", "officer", "--party", "A", "--password-stdin")...); code != 0 {
		t.Fatalf("user add: %s", errs)
	}
	_, tok, _ := run(t, append(g, "user", "token", "--username", "ana")...)
	tok = strings.TrimSpace(tok)
	code, out, errs := run(t, append(g, "list", "import", "../service/testdata/first-list.csv", "--from", "A", "--to", "B", "--title", "First list")...)
	if code != 0 {
		t.Fatalf("import: %s", errs)
	}
	id := strings.TrimSpace(out)
	if code, _, errs := run(t, append(g, "list", "handover", id)...); code != 0 {
		t.Fatalf("handover: %s", errs)
	}
	if code, _, errs := run(t, append(g, "log", "receipt", id)...); code != 0 {
		t.Fatalf("receipt: %s", errs)
	}
	if code, _, errs := run(t, append(g, "list", "import", "../service/testdata/first-list.csv", "--from", "A", "--to", "B", "--title", "Second list")...); code != 0 {
		t.Fatalf("import: %s", errs)
	}
	code, _, errs = run(t, append(g, "log", "checkpoint")...)
	if code != 0 {
		t.Fatalf("checkpoint: %s", errs)
	}

	call := func(base, method, path string) (int, string) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader("Surname\nX\n"))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "text/csv")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// Before the damage the server is ready.
	base, stop := serveInProcess(t, g)
	if code, body := call(base, "GET", "/readyz"); code != 200 {
		t.Fatalf("readyz before the damage: %d %s", code, body)
	}
	stop()

	// Cut the log back by two entries: below the issued checkpoint, and
	// below the receipt's checkpoint only if it was the latest.
	ctx := context.Background()
	db, err := store.Open(ctx, g[1], "")
	if err != nil {
		t.Fatal(err)
	}
	n, err := db.LogSize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keep := n - 2
	for _, q := range []string{
		`DELETE FROM log_openings WHERE idx >= ?`, `DELETE FROM log_entries WHERE idx >= ?`,
		`UPDATE log_head SET size = ? WHERE id = 1`,
		`DELETE FROM log_cosignatures WHERE size > ?`, `DELETE FROM log_checkpoints WHERE size > ?`,
	} {
		if _, err := db.SQL().ExecContext(ctx, q, keep); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.SQL().ExecContext(ctx, `DELETE FROM log_hashes WHERE idx >= ?`, tlog.StoredHashCount(keep)); err != nil {
		t.Fatal(err)
	}
	db.Close()

	base, stop = serveInProcess(t, g)
	code, body := call(base, "GET", "/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "issued checkpoint") || !strings.Contains(body, "beyond the stored tree") {
		t.Errorf("readyz after truncation: %d %q", code, body)
	}
	if code, body := call(base, "POST", "/api/v1/lists?from=A&to=B&title=T&format=csv"); code != http.StatusServiceUnavailable || !strings.Contains(body, "halted") {
		t.Errorf("import after truncation: %d %s", code, body)
	}
	if code, _ := call(base, "GET", "/log/checkpoint"); code != http.StatusServiceUnavailable {
		t.Errorf("checkpoint after truncation: %d", code)
	}
	if code, _ := call(base, "GET", "/api/v1/lists/"+id+"/receipt"); code != http.StatusServiceUnavailable {
		t.Errorf("receipt after truncation: %d", code)
	}
	if code, _ := call(base, "GET", "/api/v1/log"); code != http.StatusServiceUnavailable {
		t.Errorf("log state after truncation: %d", code)
	}
	if code, body := call(base, "GET", "/api/v1/me"); code != 200 {
		t.Errorf("reading after truncation: %d %s", code, body)
	}
	for _, cmd := range [][]string{{"log", "checkpoint"}, {"log", "receipt", id}, {"log", "cosign"}} {
		if code, _, errs := run(t, append(g, cmd...)...); code == 0 || !strings.Contains(errs, "beyond the stored tree") {
			t.Errorf("%s after truncation: exit %d: %s", strings.Join(cmd, " "), code, errs)
		}
	}
	code, logs := stop()
	if code != 0 || !strings.Contains(logs, "NOT READY") {
		t.Errorf("serve exited %d; log:\n%s", code, logs)
	}
}
