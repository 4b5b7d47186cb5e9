// Command nodes measures a hub and two party nodes end to end, each a real
// parley process on loopback, as in production:
//
//   - submission latency: from the moment A's officer runs "list handover"
//     until B's node holds the list (node -> hub -> other node), split
//     into the submission (the command's own time: sign, submit, the hub
//     applies and logs) and the delivery (B's next sync fetches, checks
//     and stores the list);
//   - late join: the hub's log grows by -entries entries (appended
//     in-process with the hub's log key, as fast as the database takes
//     them), then a fresh node of a third party C initialises and serves, and the time
//     until it has verified the whole log is measured, with its database's
//     growth (mirror storage per entry).
//
// It runs the parley binary given with -parley (build it first):
//
//	go build -o /tmp/parley ./cmd/parley && go run ./bench/nodes -parley /tmp/parley
//	go run ./bench/nodes -parley /tmp/parley -entries 100000 -handovers 20
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"parley/internal/ledger"
	"parley/internal/store"
)

var (
	parley       = flag.String("parley", "", "the parley binary to run (required)")
	entries      = flag.Int("entries", 100000, "entries to add to the hub's log before B joins late")
	handovers    = flag.Int("handovers", 20, "hand-overs from A to B whose latency is measured")
	syncInterval = flag.Duration("sync-interval", time.Second, "the nodes' --sync-interval")
	listFile     = flag.String("list", "internal/nodetest/testdata/neg-list-A.csv", "the list A hands over")
	keep         = flag.Bool("keep", false, "keep the data directories")
)

func main() {
	flag.Parse()
	if *parley == "" {
		log.Fatal("give -parley PATH (go build -o /tmp/parley ./cmd/parley)")
	}
	root, err := os.MkdirTemp("", "parley-bench-nodes-")
	if err != nil {
		log.Fatal(err)
	}
	if !*keep {
		defer os.RemoveAll(root)
	}
	b := &bench{root: root}
	defer b.stopAll()
	if err := b.run(); err != nil {
		b.stopAll()
		log.Fatal(err)
	}
}

type server struct {
	cmd *exec.Cmd
	url string
}

type bench struct {
	root    string
	servers []*server
}

func (b *bench) dir(name string) string { return filepath.Join(b.root, name) }

// cli runs a parley command and returns its standard output.
func (b *bench) cli(args ...string) (string, error) {
	cmd := exec.Command(*parley, args...)
	var errb strings.Builder
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("parley %s: %w: %s", strings.Join(args, " "), err, errb.String())
	}
	return string(out), nil
}

// vkeyRE matches a signed-note verifier key line (name+hash+base64).
var vkeyRE = regexp.MustCompile(`^[^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$`)

var servingRE = regexp.MustCompile(`serving on (http://[0-9.:]+)`)

// serve starts "parley serve" and waits until it says where it serves.
func (b *bench) serve(dir string, extra ...string) (*server, error) {
	args := append([]string{"--data", dir, "serve", "--addr", "127.0.0.1:0"}, extra...)
	cmd := exec.Command(*parley, args...)
	logf, err := os.Create(dir + ".log")
	if err != nil {
		return nil, err
	}
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd}
	b.servers = append(b.servers, s)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case s.url = <-found:
		return s, nil
	case <-time.After(time.Minute):
		return nil, fmt.Errorf("%s did not start serving", dir)
	}
}

func (b *bench) stop(s *server) {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(os.Interrupt)
		_ = s.cmd.Wait()
	}
}

func (b *bench) stopAll() {
	for _, s := range b.servers {
		b.stop(s)
	}
	b.servers = nil
}

// node initialises a node of the party against the hub and has the hub
// trust its keys.
func (b *bench) node(party, hubURL string) (string, error) {
	dir := b.dir("node-" + strings.ToLower(party) + fmt.Sprint(time.Now().UnixNano()))
	out, err := b.cli("--data", dir, "init", "--node", party, "--hub", hubURL)
	if err != nil {
		return "", err
	}
	var keys []string
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); vkeyRE.MatchString(l) {
			keys = append(keys, l)
		}
	}
	if _, err := b.cli(append([]string{"--data", b.dir("hub"), "party", "trust", party}, keys...)...); err != nil {
		return "", err
	}
	return dir, nil
}

type status struct {
	LogSize      int64   `json:"log_size"`
	VerifiedSize int64   `json:"verified_size"`
	Alarm        *string `json:"alarm"`
}

func (b *bench) status(dir string) (status, error) {
	var st status
	out, _ := b.cli("--data", dir, "node", "status", "--json")
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		return st, fmt.Errorf("node status: %q: %w", out, err)
	}
	return st, nil
}

// holds reports whether a node's database holds the list.
func holds(db *store.DB, id string) bool {
	var n int
	_ = db.SQL().QueryRow(`SELECT COUNT(*) FROM lists WHERE id = ?`, id).Scan(&n)
	return n > 0
}

func (b *bench) run() error {
	ctx := context.Background()
	hub := b.dir("hub")
	// C is the party whose node joins late.
	if _, err := b.cli("--data", hub, "init", "--hub", "--party", "A=Party A", "--party", "B=Party B", "--party", "C=Party C"); err != nil {
		return err
	}
	hs, err := b.serve(hub)
	if err != nil {
		return err
	}
	nodeA, err := b.node("A", hs.url)
	if err != nil {
		return err
	}
	nodeB, err := b.node("B", hs.url)
	if err != nil {
		return err
	}
	si := "--sync-interval=" + syncInterval.String()
	if _, err := b.serve(nodeA, si); err != nil {
		return err
	}
	bs, err := b.serve(nodeB, si)
	if err != nil {
		return err
	}
	dbB, err := store.Open(ctx, nodeB, "")
	if err != nil {
		return err
	}
	defer dbB.Close()
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("machine load before: %s", load)

	// Submission latency.
	var submit, total []time.Duration
	for i := range *handovers {
		out, err := b.cli("--data", nodeA, "list", "import", *listFile, "--to", "B", "--title", fmt.Sprintf("bench %d", i))
		if err != nil {
			return err
		}
		id := strings.TrimSpace(out)
		start := time.Now()
		if _, err := b.cli("--data", nodeA, "list", "handover", id); err != nil {
			return err
		}
		submit = append(submit, time.Since(start))
		for !holds(dbB, id) {
			if time.Since(start) > time.Minute {
				return fmt.Errorf("B did not receive %s within a minute", id)
			}
			time.Sleep(5 * time.Millisecond)
		}
		total = append(total, time.Since(start))
	}
	fmt.Printf("hand-overs A -> hub -> B: %d, --sync-interval %s\n", *handovers, *syncInterval)
	fmt.Printf("  submission (list handover, sign + submit + hub logs): p50 %s  p90 %s  max %s\n", pct(submit, 50), pct(submit, 90), pct(submit, 100))
	fmt.Printf("  until B holds the list:                              p50 %s  p90 %s  max %s\n", pct(total, 50), pct(total, 90), pct(total, 100))

	// Late join: grow the log, then a fresh node of B joins.
	b.stop(bs)
	start := time.Now()
	if err := appendEntries(ctx, hub, *entries); err != nil {
		return err
	}
	fmt.Printf("hub log grown by %d entries in %s\n", *entries, time.Since(start).Round(time.Millisecond))
	late, err := b.node("C", hs.url)
	if err != nil {
		return err
	}
	before := dirSize(late)
	start = time.Now()
	if _, err := b.serve(late, si); err != nil {
		return err
	}
	var st status
	for {
		if st, err = b.status(late); err == nil && st.LogSize > 0 && st.VerifiedSize == st.LogSize {
			break
		}
		if st.Alarm != nil {
			return fmt.Errorf("alarm while syncing: %s", *st.Alarm)
		}
		if time.Since(start) > 10*time.Minute {
			return fmt.Errorf("late node did not sync within 10 minutes: %+v", st)
		}
		time.Sleep(200 * time.Millisecond)
	}
	took := time.Since(start)
	b.stopAll()
	after := dirSize(late)
	fmt.Printf("late join: verified %d entries in %s (%.0f entries/s)\n", st.VerifiedSize, took.Round(time.Millisecond), float64(st.VerifiedSize)/took.Seconds())
	fmt.Printf("  node database grew by %.1f MiB: %.1f MiB per 100k entries\n", float64(after-before)/(1<<20), float64(after-before)/(1<<20)/float64(st.VerifiedSize)*1e5)
	load, _ = os.ReadFile("/proc/loadavg")
	fmt.Printf("machine load after: %s", load)
	return nil
}

// appendEntries appends n mediator events to the hub's log, in batches,
// with the hub's key: a log of realistic entries without a realistic
// week of negotiation.
func appendEntries(ctx context.Context, dir string, n int) error {
	db, err := store.Open(ctx, dir, "")
	if err != nil {
		return err
	}
	defer db.Close()
	lg, err := ledger.Open(dir)
	if err != nil {
		return err
	}
	const batch = 1000
	for i := 0; i < n; i += batch {
		err := db.Update(ctx, func(tx *store.Tx) error {
			for j := i; j < min(n, i+batch); j++ {
				ev := ledger.Event{Type: "round.noted", Actor: "mediator", Subject: fmt.Sprintf("bench-%d", j),
					Attrs: map[string]string{"note": "an entry of the size of a typical log entry, without personal data"}}
				if _, err := lg.Append(ctx, tx, ev); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("append: %w", err)
		}
	}
	return nil
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s) - 1) * p / 100
	return s[i].Round(time.Millisecond)
}
