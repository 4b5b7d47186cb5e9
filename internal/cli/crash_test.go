package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"parley/internal/ledger"
	"parley/internal/store"
)

// crashServer is "parley serve" in a child process (the test binary acting
// as the parley binary, see TestMain).
type crashServer struct {
	cmd  *exec.Cmd
	base string
	done chan error
}

func startCrashServer(t *testing.T, g []string) *crashServer {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	args := append(append([]string{}, g...), "serve", "--addr", "127.0.0.1:0")
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), "PARLEY_CLI_CHILD=1", "PARLEY_CLI_ARGS="+strings.Join(args, "\x1f"))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &crashServer{cmd: cmd, done: make(chan error, 1)}
	found := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`serving on (http://127\.0\.0\.1:\d+)`)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() { s.done <- cmd.Wait() }()
	select {
	case s.base = <-found:
	case err := <-s.done:
		t.Fatalf("server exited before serving: %v\n%s", err, stderr.String())
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("server had not started after 60 s")
	}
	return s
}

// kill sends SIGKILL: no shutdown, no deferred code, nothing flushed by
// the process itself.
func (s *crashServer) kill() {
	_ = s.cmd.Process.Kill()
	<-s.done
}

// TestCrashKeepsPromises runs the real server in a child process while
// clients import and hand over lists as fast as they can, fetching the
// receipt of every hand-over and the log's checkpoint after each, and kills
// the server with SIGKILL at random moments. After every restart the
// server must pass its start-up check (ready), and at the end every
// receipt and checkpoint any client received must still hold against the
// stored log: the receipt verifies offline, and the log proves that its
// current tree extends each received checkpoint (consistency proof).
func TestCrashKeepsPromises(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	g := initDir(t, "")
	if code, _, errs := runWithStdin(t, "quiet harbour lamp 7\n", append(g, "user", "add", "--username", "ana", "--role", "officer", "--party", "A", "--password-stdin")...); code != 0 {
		t.Fatalf("user add: %s", errs)
	}
	_, tok, _ := run(t, append(g, "user", "token", "--username", "ana")...)
	tok = strings.TrimSpace(tok)
	csv, err := os.ReadFile("../service/testdata/first-list.csv")
	if err != nil {
		t.Fatal(err)
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("seed %d", seed)

	var mu sync.Mutex
	var receipts [][]byte
	var checkpoints [][]byte
	client := &http.Client{Timeout: 10 * time.Second}
	call := func(ctx context.Context, base, method, path string, body []byte) (int, []byte, error) {
		req, err := http.NewRequestWithContext(ctx, method, base+path, bytes.NewReader(body))
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "text/csv")
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, b, err
	}
	// burst runs one client until the server dies: import, hand over,
	// fetch the receipt, fetch the checkpoint, again.
	burst := func(ctx context.Context, base string, c int) {
		for n := 0; ctx.Err() == nil; n++ {
			code, b, err := call(ctx, base, "POST", fmt.Sprintf("/api/v1/lists?from=A&to=B&format=csv&title=c%d-%d", c, n), csv)
			if err != nil || code != http.StatusCreated {
				return
			}
			var res struct {
				List struct{ ID string } `json:"list"`
			}
			if json.Unmarshal(b, &res) != nil || res.List.ID == "" {
				t.Errorf("import answer: %s", b)
				return
			}
			if code, _, err := call(ctx, base, "POST", "/api/v1/lists/"+res.List.ID+"/handover", nil); err != nil || code != http.StatusOK {
				return
			}
			code, b, err = call(ctx, base, "GET", "/api/v1/lists/"+res.List.ID+"/receipt", nil)
			if err != nil || code != http.StatusOK {
				return
			}
			mu.Lock()
			receipts = append(receipts, b)
			mu.Unlock()
			code, b, err = call(ctx, base, "GET", "/log/checkpoint", nil)
			if err != nil || code != http.StatusOK {
				return
			}
			mu.Lock()
			checkpoints = append(checkpoints, b)
			mu.Unlock()
		}
	}
	ready := func(base string) {
		code, b, err := call(context.Background(), base, "GET", "/readyz", nil)
		if err != nil || code != http.StatusOK {
			t.Fatalf("server not ready after a restart: %d %s %v", code, b, err)
		}
	}

	const rounds, clients = 5, 4
	for round := range rounds {
		srv := startCrashServer(t, g)
		ready(srv.base)
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for c := range clients {
			wg.Add(1)
			go func() { defer wg.Done(); burst(ctx, srv.base, round*clients+c) }()
		}
		// Kill at a random moment once the clients are under way: after
		// the round's first receipt (a loaded machine may take seconds to
		// get there), so that every round can cut a promise short.
		mu.Lock()
		before := len(receipts)
		mu.Unlock()
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			mu.Lock()
			n := len(receipts)
			mu.Unlock()
			if n > before {
				break
			}
		}
		time.Sleep(time.Duration(rng.IntN(1000)) * time.Millisecond)
		srv.kill()
		cancel()
		wg.Wait()
	}
	srv := startCrashServer(t, g)
	ready(srv.base)
	srv.kill()

	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d receipts and %d checkpoints received over %d kills", len(receipts), len(checkpoints), rounds)
	if len(receipts) == 0 || len(checkpoints) == 0 {
		t.Fatal("no receipt or checkpoint was received; the test proved nothing")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, g[1], "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lg, err := ledger.Open(g[1])
	if err != nil {
		t.Fatal(err)
	}
	size, err := db.LogSize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	root, err := tlog.TreeHash(size, hashReader{ctx, db})
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := note.NewVerifier(lg.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	// extends checks that the stored tree extends a tree the log signed.
	extends := func(what string, old int64, oldRoot tlog.Hash) {
		if old > size {
			t.Errorf("%s: size %d, but the log holds %d entries after the crashes", what, old, size)
			return
		}
		proof, err := ledger.ConsistencyProof(ctx, db, size, old)
		if err != nil {
			t.Errorf("%s: %v", what, err)
			return
		}
		if old == size {
			if oldRoot != root {
				t.Errorf("%s: root differs from the stored tree's at the same size", what)
			}
			return
		}
		if err := tlog.CheckTree(proof, size, root, old, oldRoot); err != nil {
			t.Errorf("%s: the stored tree does not extend it: %v", what, err)
		}
	}
	for i, b := range checkpoints {
		if _, err := note.Open(b, note.VerifierList(verifier)); err != nil {
			t.Errorf("checkpoint %d: signature: %v", i, err)
			continue
		}
		cp, err := ledger.ParseCheckpoint(b)
		if err != nil {
			t.Errorf("checkpoint %d: %v", i, err)
			continue
		}
		extends(fmt.Sprintf("checkpoint %d (size %d)", i, cp.Size), cp.Size, cp.Root)
	}
	for i, b := range receipts {
		r, err := ledger.VerifyReceipt(b, lg.VerifierKey())
		if err != nil {
			t.Errorf("receipt %d: %v", i, err)
			continue
		}
		cp, err := ledger.ParseCheckpoint([]byte(r.Checkpoint))
		if err != nil {
			t.Errorf("receipt %d: %v", i, err)
			continue
		}
		extends(fmt.Sprintf("receipt %d of list %s (entry %d, size %d)", i, r.ListID, r.Index, cp.Size), cp.Size, cp.Root)
		// The stored entry at the receipt's index is the one receipted.
		rows, err := db.LogEntries(ctx, r.Index, r.Index+1)
		if err != nil || len(rows) != 1 || string(rows[0].Data) != r.Entry {
			t.Errorf("receipt %d: the log no longer holds its entry %d (%v)", i, r.Index, err)
		}
	}
	if err := lg.CheckStored(ctx, db); err != nil {
		t.Error(err)
	}
}

// hashReader reads the stored tree hashes for tlog.
type hashReader struct {
	ctx context.Context
	db  *store.DB
}

func (h hashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	raw, err := h.db.LogHashes(h.ctx, indexes)
	if err != nil {
		return nil, err
	}
	out := make([]tlog.Hash, len(raw))
	for i, b := range raw {
		copy(out[i][:], b)
	}
	return out, nil
}
