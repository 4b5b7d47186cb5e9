package nodetest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"parley/internal/store"
	"parley/internal/store/storetest"
)

// The binary is built once per test run, the first time a test needs it,
// into a directory removed when the run ends (TestMain).
var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// parleyBinary returns the path of the parley binary built from this
// checkout, building it on first use.
func parleyBinary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("spawns processes")
	}
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "parley-nodetest-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "parley")
		args := []string{"build", "-o", binPath}
		if raceChild() {
			args = append(args, "-race")
		}
		args = append(args, "parley/cmd/parley")
		cmd := exec.Command("go", args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			binErr = fmt.Errorf("go build: %w\n%s", err, out.String())
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// raceChild reports whether the processes the tests start are built with
// the race detector: only with PARLEY_NODETEST_RACE=1, whatever the test
// binary itself is built with. By default they are built as they are
// shipped, for two reasons. A race-built process runs these tests about
// four times slower, and the code of its background loops (sync, outbox,
// cosigning) is race-tested in process by its own packages (mirror,
// hubapi, service, cli). And a race-built process also has other timing:
// a race between two processes on one node's database (the server's
// background sync and a "node status" beside it) stayed hidden under
// -race and showed only in the binary as shipped. Set the variable to
// catch data races inside a running process.
func raceChild() bool { return os.Getenv("PARLEY_NODETEST_RACE") == "1" }

// waitsInOutbox reports whether a node command that states something
// (list handover) went through with the hub out of reach or failing: its
// stdout is the result line of the subject alone, and stderr (in English)
// says the signed statement waits in the outbox.
func waitsInOutbox(subject, stdout, stderr string) bool {
	return strings.HasPrefix(stdout, subject+" ") && strings.Count(stdout, "\n") == 1 &&
		strings.Contains(stderr, "the signed statement waits in the outbox")
}

// backend is where the hub keeps its database; nodes always use their
// embedded SQLite (a party's node is one machine; the hub is the server
// that may sit on PostgreSQL).
type backend string

const (
	onSQLite   backend = "sqlite"
	onPostgres backend = "postgres"
)

// eachBackend runs fn with the hub on SQLite, then on PostgreSQL (a fresh
// database per test, from $PARLEY_TEST_PG; skipped when no server answers
// unless $PARLEY_REQUIRE_PG=1, which makes that a failure).
func eachBackend(t *testing.T, fn func(t *testing.T, b backend)) {
	for _, b := range []backend{onSQLite, onPostgres} {
		t.Run(string(b), func(t *testing.T) { fn(t, b) })
	}
}

// inst is one data directory: the hub's or a node's.
type inst struct {
	t     *testing.T
	name  string // "hub", "node-A", ...
	party string // "" for the hub
	dir   string
	db    string // PostgreSQL URL, or "" for SQLite in dir
	srv   *proc  // the running "serve", if any
	// handle is the test's own handle on the database (see sqlDB).
	handle *store.DB
	addr   string // the address serve listens on (kept across restarts)
	extra  []string
}

func (in *inst) global() []string {
	g := []string{"--data", in.dir}
	if in.db != "" {
		g = append(g, "--db", in.db)
	}
	return g
}

// try runs one parley command against the data directory and returns its
// exit status and output.
func (in *inst) try(args ...string) (code int, stdout, stderr string) {
	in.t.Helper()
	return runParley(in.t, "", append(in.global(), args...)...)
}

// tryStdin is try with standard input.
func (in *inst) tryStdin(stdin string, args ...string) (code int, stdout, stderr string) {
	in.t.Helper()
	return runParley(in.t, stdin, append(in.global(), args...)...)
}

// run runs a command that must succeed and returns its standard output.
func (in *inst) run(args ...string) string {
	in.t.Helper()
	code, out, errOut := in.try(args...)
	if code != 0 {
		in.t.Fatalf("%s: parley %s: exit %d\nstdout: %s\nstderr: %s", in.name, strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func runParley(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, parleyBinary(t), args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String(), errb.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String(), errb.String()
	default:
		t.Fatalf("parley %s: %v", strings.Join(args, " "), err)
		return -1, "", ""
	}
}

// proc is a running "parley serve".
type proc struct {
	cmd  *exec.Cmd
	url  string
	logs *lockedBuffer
	done chan struct{}
	err  error
}

// lockedBuffer collects a process's standard error for the test's log.
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

var servingRE = regexp.MustCompile(`serving on (https?://[0-9.:\[\]a-z]+)`)

// start runs "parley serve" on the instance's address (a free loopback port
// the first time, the same one after a restart) and waits until it
// answers /healthz.
func (in *inst) start(args ...string) {
	in.t.Helper()
	if in.srv != nil {
		in.t.Fatalf("%s is already running", in.name)
	}
	if in.addr == "" {
		in.addr = freeAddr(in.t)
	}
	full := append(in.global(), "serve", "--addr", in.addr)
	full = append(full, in.extra...)
	full = append(full, args...)
	cmd := exec.Command(parleyBinary(in.t), full...)
	p := &proc{cmd: cmd, logs: &lockedBuffer{}, done: make(chan struct{})}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		in.t.Fatal(err)
	}
	cmd.Stderr = p.logs
	if err := cmd.Start(); err != nil {
		in.t.Fatalf("start %s: %v", in.name, err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			_, _ = p.logs.Write([]byte(line + "\n"))
			if m := servingRE.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(p.logs, stdout)
	}()
	go func() { p.err = cmd.Wait(); close(p.done) }()
	select {
	case p.url = <-found:
	case <-p.done:
		in.t.Fatalf("%s exited before serving: %v\n%s", in.name, p.err, p.logs.String())
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		in.t.Fatalf("%s did not start serving within a minute\n%s", in.name, p.logs.String())
	}
	in.srv = p
	name := in.name
	in.t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
		if in.t.Failed() {
			in.t.Logf("--- %s output (last 6 KiB) ---\n%s", name, tail(p.logs.String(), 6<<10))
		}
	})
	waitFor(in.t, 60*time.Second, in.name+" answers /healthz", func() (bool, string) {
		resp, err := http.Get(p.url + "/healthz")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})
}

// URL is the address the instance serves on.
func (in *inst) URL() string {
	in.t.Helper()
	if in.srv == nil {
		return "http://" + in.addr
	}
	return in.srv.url
}

// stop ends the server the way an operator does (SIGTERM, graceful).
func (in *inst) stop() {
	in.t.Helper()
	if in.srv == nil {
		return
	}
	_ = in.srv.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.srv.done:
	case <-time.After(60 * time.Second):
		_ = in.srv.cmd.Process.Kill()
		<-in.srv.done
		in.t.Errorf("%s had not stopped 60 s after SIGTERM", in.name)
	}
	in.srv = nil
}

// kill ends the server with SIGKILL: no shutdown, no deferred code,
// nothing flushed by the process itself.
func (in *inst) kill() {
	in.t.Helper()
	if in.srv == nil {
		return
	}
	_ = in.srv.cmd.Process.Kill()
	<-in.srv.done
	in.srv = nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// freeAddr returns a loopback address with a port that was free a moment
// ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// waitFor polls cond until it holds or the deadline passes; then the test
// fails with the last detail cond gave. Never a fixed sleep: a loaded
// machine is slow, a quiet one should not wait.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	delay := 50 * time.Millisecond
	for {
		ok, detail := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting until %s: %s", timeout, what, detail)
		}
		time.Sleep(delay)
		delay = min(delay*2, 500*time.Millisecond)
	}
}

// hubProxy stands between one node and the hub: by default it passes every
// request through unchanged. Tests use it to give the hub a stable address
// across restarts, to serve one node another log (split view), and to cut
// a submission short at a chosen moment.
type hubProxy struct {
	srv       *httptest.Server
	target    atomic.Pointer[url.URL]
	logTarget atomic.Pointer[url.URL] // when set, /log/ is served from here
	// hook, when set, sees every request first; it returns true when it
	// answered the request itself.
	hook atomic.Pointer[func(w http.ResponseWriter, r *http.Request) bool]
}

func newHubProxy(t *testing.T, target string) *hubProxy {
	t.Helper()
	p := &hubProxy{}
	p.setTarget(t, target)
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			to := p.target.Load()
			if lt := p.logTarget.Load(); lt != nil && strings.HasPrefix(r.In.URL.Path, "/log/") {
				to = lt
			}
			r.SetURL(to)
			r.Out.Host = r.In.Host
		},
		ErrorLog: nil,
	}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := p.hook.Load(); h != nil && (*h)(w, r) {
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *hubProxy) setTarget(t *testing.T, target string) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p.target.Store(u)
}

func (p *hubProxy) setHook(h func(w http.ResponseWriter, r *http.Request) bool) {
	if h == nil {
		p.hook.Store(nil)
		return
	}
	p.hook.Store(&h)
}

// cluster is a hub and the nodes of parties A and B, each node reaching
// the hub through its own proxy.
type cluster struct {
	t       *testing.T
	backend backend
	hub     *inst
	a, b    *inst
	proxy   map[string]*hubProxy // by party
	vkeys   map[string][]string  // verifier keys each node printed at init
}

// syncInterval is the nodes' sync interval in the tests: short, so that a
// test waits little, and long enough that a loaded machine is not busy
// syncing all the time.
const syncInterval = "500ms"

// newCluster initialises a hub (on the backend) and the nodes of A and B
// (on SQLite), registers the nodes' keys at the hub, makes the nodes peers
// of each other and starts all three.
func newCluster(t *testing.T, b backend) *cluster {
	t.Helper()
	c := &cluster{t: t, backend: b, proxy: map[string]*hubProxy{}, vkeys: map[string][]string{}}
	root := t.TempDir()
	c.hub = &inst{t: t, name: "hub", dir: filepath.Join(root, "hub")}
	if b == onPostgres {
		c.hub.db = storetest.NewPostgresURL(t)
	}
	c.hub.run("init", "--hub", "--party", "A=Party A", "--party", "B=Party B")
	c.hub.start()
	c.a = &inst{t: t, name: "node-A", party: "A", dir: filepath.Join(root, "node-a")}
	c.b = &inst{t: t, name: "node-B", party: "B", dir: filepath.Join(root, "node-b")}
	for _, n := range []*inst{c.a, c.b} {
		p := newHubProxy(t, c.hub.URL())
		c.proxy[n.party] = p
		out := n.run("init", "--node", n.party, "--hub", p.srv.URL)
		keys := verifierKeys(out)
		if len(keys) != 2 {
			t.Fatalf("init --node %s printed %d verifier keys, want 2 (statement and witness):\n%s", n.party, len(keys), out)
		}
		c.vkeys[n.party] = keys
		c.hub.run(append([]string{"party", "trust", n.party}, keys...)...)
		n.addr = freeAddr(t)
		n.extra = []string{"--sync-interval", syncInterval}
	}
	c.a.run("node", "peer", "add", "http://"+c.b.addr)
	c.b.run("node", "peer", "add", "http://"+c.a.addr)
	c.a.start()
	c.b.start()
	return c
}

// node returns the node of a party.
func (c *cluster) node(party string) *inst {
	if party == "A" {
		return c.a
	}
	return c.b
}

// restartHub starts the hub again and points the proxies at it.
func (c *cluster) restartHub() {
	c.t.Helper()
	c.hub.start()
	for _, p := range c.proxy {
		p.setTarget(c.t, c.hub.URL())
	}
}

var vkeyRE = regexp.MustCompile(`^[^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$`)

// verifierKeys picks the signed-note verifier keys (name+hash+base64) out
// of a command's output, one per line.
func verifierKeys(out string) []string {
	var keys []string
	for _, line := range strings.Split(out, "\n") {
		if line = strings.TrimSpace(line); vkeyRE.MatchString(line) {
			keys = append(keys, line)
		}
	}
	return keys
}

// nodeStatus is the JSON "node status --json" prints.
type nodeStatus struct {
	Party         string  `json:"party"`
	Hub           string  `json:"hub"`
	LogSize       int64   `json:"log_size"`
	VerifiedSize  int64   `json:"verified_size"`
	CosignedSize  int64   `json:"cosigned_size"`
	ListsReceived int     `json:"lists_received"`
	Queued        int     `json:"queued"`
	Alarm         *string `json:"alarm"`
}

// status runs "node status --json" and returns its answer and exit status.
func (in *inst) status() (nodeStatus, int) {
	in.t.Helper()
	code, out, errOut := in.try("node", "status", "--json", "--lang", "en")
	var st nodeStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		in.t.Fatalf("%s: node status --json: exit %d, not JSON (%v):\n%s\n%s", in.name, code, err, out, errOut)
	}
	return st, code
}

// statusString is a status for a failure message.
func (st nodeStatus) String() string {
	b, _ := json.Marshal(st)
	return string(b)
}

// waitSynced waits until every node has verified the hub's whole log and
// cosigned it, without an alarm.
func (c *cluster) waitSynced() {
	c.t.Helper()
	for _, n := range []*inst{c.a, c.b} {
		waitFor(c.t, 60*time.Second, n.name+" verified and cosigned the hub's whole log", func() (bool, string) {
			st, code := n.status()
			return code == 0 && st.Alarm == nil && st.LogSize > 0 && st.VerifiedSize == st.LogSize && st.CosignedSize == st.LogSize, st.String()
		})
	}
}

// waitAlarm waits until the node reports an alarm, and returns it.
func (in *inst) waitAlarm(what string) string {
	in.t.Helper()
	var alarm string
	waitFor(in.t, 60*time.Second, in.name+" raises an alarm for "+what, func() (bool, string) {
		st, code := in.status()
		if st.Alarm != nil && code != 0 {
			alarm = *st.Alarm
			return true, ""
		}
		return false, st.String()
	})
	return alarm
}

// importList imports a list file at a node (its party the sender) and
// returns the new list's id.
func (in *inst) importList(file, to, title string) string {
	in.t.Helper()
	out := in.run("list", "import", file, "--to", to, "--title", title)
	id := strings.TrimSpace(out)
	if id == "" || strings.ContainsAny(id, " \n") {
		in.t.Fatalf("%s: list import printed %q, want the list id", in.name, out)
	}
	return id
}

// listJSON is the part of "list show --json" the tests read.
type listJSON struct {
	ID          string `json:"id"`
	From        string `json:"from"`
	To          string `json:"to"`
	State       string `json:"state"`
	ContentHash string `json:"content_hash"`
	Entries     []struct {
		Row     int    `json:"row"`
		Surname string `json:"surname"`
	} `json:"entries"`
}

// showList returns the list as the instance holds it, or ok=false when it
// does not hold it.
func (in *inst) showList(id string) (listJSON, bool) {
	in.t.Helper()
	code, out, _ := in.try("list", "show", id, "--json")
	if code != 0 {
		return listJSON{}, false
	}
	var l listJSON
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		in.t.Fatalf("%s: list show %s --json: %v\n%s", in.name, id, err, out)
	}
	return l, true
}

// testdata returns the path of a file under testdata/.
func testdata(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}
