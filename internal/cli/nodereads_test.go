package cli

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"parley/internal/access"
	"parley/internal/msg"
	"parley/internal/negotiation"
)

// nodePair sets up a hub serving at addr and the nodes of A and B, both
// trusted, and returns their directories and the hub's stop function.
func nodePair(t *testing.T, nodeAArgs ...string) (hub, na, nb, addr string, stop func()) {
	t.Helper()
	root := t.TempDir()
	hub, na, nb = filepath.Join(root, "hub"), filepath.Join(root, "na"), filepath.Join(root, "nb")
	if code, _, errOut := run(t, "--data", hub, "init", "--hub", "--party", "A=Party A", "--party", "B=Party B"); code != 0 {
		t.Fatalf("init --hub: %s", errOut)
	}
	addr = freeAddr(t)
	stop = serveHub(t, hub, addr)
	for _, n := range []struct {
		dir, party string
		extra      []string
	}{{na, "A", nodeAArgs}, {nb, "B", nil}} {
		args := append([]string{"--data", n.dir, "--lang", "en", "init", "--node", n.party, "--hub", "http://" + addr}, n.extra...)
		code, out, errOut := run(t, args...)
		if code != 0 {
			stop()
			t.Fatalf("init --node %s: %s", n.party, errOut)
		}
		trust := append([]string{"--data", hub, "party", "trust", n.party}, strings.Fields(out)...)
		if code, _, errOut := run(t, trust...); code != 0 {
			stop()
			t.Fatalf("party trust %s: %s", n.party, errOut)
		}
	}
	return hub, na, nb, addr, stop
}

// cmdOK runs a command that must succeed and returns its output.
func cmdOK(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	code, out, errOut := run(t, args...)
	if code != 0 {
		t.Fatalf("%s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out, errOut
}

// TestNodeNegotiation reads a round, its lists and a proposal on the
// addressee's node from its mirror of the hub's log, answers the proposal
// with the hub down (signed and queued, then delivered exactly once), and
// checks that the lists the hub attaches for a party's proposal are the
// mediator's act, which the nodes' audit accepts.
func TestNodeNegotiation(t *testing.T) {
	hub, na, nb, addr, stop := nodePair(t)
	defer func() { stop() }()
	la := strings.Fields(cmdOut(t, "--data", na, "list", "import", "../nodetest/testdata/neg-list-A.csv", "--to", "B", "--title", "From A"))[0]
	cmdOK(t, "--data", na, "list", "handover", la)
	lb := strings.Fields(cmdOut(t, "--data", nb, "list", "import", "../nodetest/testdata/neg-list-B.csv", "--to", "A", "--title", "From B"))[0]
	cmdOK(t, "--data", nb, "list", "handover", lb)
	round := strings.TrimSpace(cmdOut(t, "--data", hub, "round", "create", "--title", "Round one", "--party", "A", "--party", "B", "--criteria", "wounded"))
	cmdOK(t, "--data", na, "node", "status")

	// A proposal the hub refuses is named, and the command fails.
	code, _, errOut := run(t, "--data", na, "--lang", "en", "stage", "propose", "--round", round, "--rule", "one-for-one", "--date", "2026-12-20",
		"--release", la+":1", "--release", la+":2")
	if code == 0 || !strings.Contains(errOut, "the hub refused statement") {
		t.Fatalf("a proposal the hub refuses: exit %d\n%s", code, errOut)
	}
	prop := strings.TrimSpace(cmdOut(t, "--data", na, "stage", "propose", "--round", round, "--rule", "one-for-one", "--date", "2026-12-20",
		"--release", la+":1", "--release", lb+":1"))
	// B's audit finds every entry of A's proposal signed by A or the
	// mediator's own: no alarm (node status fails on one).
	cmdOK(t, "--data", nb, "node", "status")
	cmdOK(t, "--data", na, "node", "status")

	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"round", "ls"}, []string{round, "Round one"}},
		{[]string{"round", "show", round}, []string{"criteria: wounded", la, lb, "From A", prop, "submitted"}},
		{[]string{"round", "conformance", round, la}, []string{"entries fit the agreed approach"}},
		{[]string{"stage", "ls", "--round", round}, []string{prop, "one-for-one", "1/1"}},
		{[]string{"stage", "show", prop}, []string{prop, "Petrenko", "Ivanov"}},
	} {
		out, _ := cmdOK(t, append([]string{"--data", nb}, tc.args...)...)
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("node B: %s: %q lacks %q", strings.Join(tc.args, " "), out, w)
			}
		}
	}
	// What only the hub keeps, or does, is refused with a catalogue message.
	for _, tc := range []struct {
		args     []string
		en, ru   string
		wantCode int
	}{
		{[]string{"round", "attach", round, la}, "Rounds are kept on the mediator's hub", "Раунды хранятся на хабе посредника", 1},
		{[]string{"stage", "timeline", la + ":1"}, "kept on the mediator's hub", "хранятся на хабе посредника", 1},
	} {
		for lang, want := range map[string]string{"en": tc.en, "ru": tc.ru} {
			code, _, errOut := run(t, append([]string{"--data", nb, "--lang", lang}, tc.args...)...)
			if code != tc.wantCode || !strings.Contains(errOut, want) {
				t.Errorf("node B --lang %s %s: exit %d, %q; want %d and %q", lang, strings.Join(tc.args, " "), code, errOut, tc.wantCode, want)
			}
		}
	}

	// On the hub a party's officer does not attach lists: the mediator does.
	hs, err := openHub(t, hub)
	if err != nil {
		t.Fatal(err)
	}
	officer := access.Actor{Username: "o", Roles: []access.Role{access.Officer}, Party: "A"}
	if _, err := hs.AttachList(t.Context(), officer, round, la); !errors.Is(err, access.ErrForbidden) {
		t.Errorf("a party officer attached a list on the hub: %v", err)
	}
	hs.Close()

	// The hub goes down: B accepts all the same, signed and queued.
	stop()
	stop = func() {}
	code, out, errOut := run(t, "--data", nb, "--lang", "en", "stage", "accept", prop)
	if code != 0 || out != prop+": queued\n" || !strings.Contains(errOut, "cannot be reached") || !strings.Contains(errOut, "waits in the outbox") {
		t.Fatalf("accept with the hub down: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	if code, _, errOut := run(t, "--data", nb, "--lang", "en", "stage", "accept", "Pnotthere"); code == 0 || !strings.Contains(errOut, "not yet in this node's verified copy") {
		t.Errorf("accepting a proposal neither the mirror nor the hub can show: exit %d %s", code, errOut)
	}
	if code, _, _ := run(t, "--data", nb, "stage", "reject", prop, "--reason", "changed our mind"); code == 0 {
		t.Error("a second answer was queued while the first waits for the hub")
	}
	code, out, errOut = run(t, "--data", nb, "--lang", "en", "stage", "show", prop)
	if code != 0 || !strings.Contains(out, prop) || !strings.Contains(errOut, "cannot be reached now") {
		t.Errorf("stage show with the hub down: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := run(t, "--data", nb, "round", "show", round); code != 0 || !strings.Contains(out, prop) {
		t.Errorf("round show with the hub down: exit %d\n%s", code, out)
	}

	stop = serveHub(t, hub, addr)
	a := &App{DataDir: nb, Stdout: os.Stdout, Stderr: os.Stderr, serviceOptions: cheapHashing}
	s, err := a.openService(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i, want := range []int{1, 0} { // exactly once
		if sent, err := s.SendQueued(t.Context()); err != nil || sent != want {
			t.Fatalf("SendQueued #%d = %d, %v; want %d", i+1, sent, err, want)
		}
	}
	hs, err = openHub(t, hub)
	if err != nil {
		t.Fatal(err)
	}
	defer hs.Close()
	p, err := hs.GetProposal(t.Context(), access.System, prop)
	if err != nil || p.State != string(negotiation.Accepted) {
		t.Fatalf("on the hub: %+v, %v; want accepted", p, err)
	}
	cmdOK(t, "--data", nb, "node", "status")
	if out, _ := cmdOK(t, "--data", nb, "stage", "ls"); !strings.Contains(out, "accepted") {
		t.Errorf("stage ls after the sync: %s", out)
	}
	if out, _ := cmdOK(t, "--data", nb, "--lang", "uk", "node", "status"); !strings.Contains(out, "розмір журналу") || strings.Contains(out, "log size") {
		t.Errorf("node status --lang uk: %s", out)
	}
}

func cmdOut(t *testing.T, args ...string) string {
	t.Helper()
	out, _ := cmdOK(t, args...)
	return out
}

// TestInitNodePeers registers gossip peers at init, and refuses a bad
// address before anything is created.
func TestInitNodePeers(t *testing.T) {
	hub, na, _, addr, stop := nodePair(t, "--peer", "http://127.0.0.1:1/", "--peer", "https://node-b.example:8443")
	defer stop()
	out, _ := cmdOK(t, "--data", na, "node", "peer", "ls")
	for _, w := range []string{"http://127.0.0.1:1\t", "https://node-b.example:8443"} {
		if !strings.Contains(strings.ReplaceAll(out, " ", "\t"), w) {
			t.Errorf("peer ls lacks %q:\n%s", w, out)
		}
	}
	bad := filepath.Join(filepath.Dir(hub), "bad")
	code, _, errOut := run(t, "--data", bad, "--lang", "en", "init", "--node", "A", "--hub", "http://"+addr, "--peer", "ftp://x")
	if code != 2 || !strings.Contains(errOut, "want the other node's address") {
		t.Errorf("init --peer ftp://x: exit %d %s", code, errOut)
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Errorf("a refused init created %s", bad)
	}
	if code, _, _ := run(t, "--data", bad, "init", "--hub", "--party", "A=a", "--party", "B=b", "--peer", "http://x"); code != 2 {
		t.Errorf("init --hub --peer: exit %d, want 2", code)
	}
}

// TestNodeProposeHubDownStdout proposes on a node whose hub is down: the
// proposal is signed and queued, stdout holds its id and nothing else (a
// script reads it), and the notice that it waits goes to stderr.
func TestNodeProposeHubDownStdout(t *testing.T) {
	hub, na, _, addr, stop := nodePair(t)
	defer func() { stop() }()
	la := strings.Fields(cmdOut(t, "--data", na, "list", "import", "../nodetest/testdata/neg-list-A.csv", "--to", "B", "--title", "From A"))[0]
	cmdOK(t, "--data", na, "list", "handover", la)
	round := strings.TrimSpace(cmdOut(t, "--data", hub, "round", "create", "--title", "Round one", "--party", "A", "--party", "B", "--criteria", "wounded"))
	cmdOK(t, "--data", na, "node", "status")

	stop()
	stop = func() {}
	for _, lang := range []string{"en", "uk", "ru"} {
		code, out, errOut := run(t, "--data", na, "--lang", lang, "stage", "propose", "--round", round, "--rule", "one-for-one", "--date", "2026-12-20",
			"--release", la+":1")
		if code != 0 {
			t.Fatalf("--lang %s: propose with the hub down: exit %d\n%s", lang, code, errOut)
		}
		if f := strings.Fields(out); len(f) != 1 || !strings.HasPrefix(f[0], "P") || out != f[0]+"\n" {
			t.Errorf("--lang %s: stdout %q, want the proposal's id alone", lang, out)
		}
		if want := msg.Text(lang, msg.New("node.send.queued", "hub", "http://"+addr)); !strings.Contains(errOut, want) {
			t.Errorf("--lang %s: stderr %q lacks the notice that the statement waits", lang, errOut)
		}
	}
}

// TestNodeHubFailed puts a failing proxy where the hub was: a node's
// commands say that the hub failed, with the status and what it said
// (once), not that it cannot be reached; the statement stays queued and
// stdout keeps the command's result alone.
func TestNodeHubFailed(t *testing.T) {
	_, na, _, addr, stop := nodePair(t)
	stop()
	for _, tc := range []struct {
		status int
		body   string
		reason string
	}{
		{502, "Bad Gateway\n", "Bad Gateway"},                           // a proxy whose hub is gone
		{500, `{"code":"internal","message":"disk full"}`, "disk full"}, // the hub's own problem
	} {
		var ln net.Listener
		var err error
		for range 100 { // the hub's port, just freed
			if ln, err = net.Listen("tcp", addr); err == nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tc.status)
			_, _ = io.WriteString(w, tc.body)
		}))
		srv.Listener.Close()
		srv.Listener = ln
		srv.Start()

		la := strings.Fields(cmdOut(t, "--data", na, "list", "import", "../nodetest/testdata/neg-list-A.csv", "--to", "B", "--title", "From A "+strconv.Itoa(tc.status)))[0]
		hub := "http://" + addr
		status := strconv.Itoa(tc.status)
		code, out, errOut := run(t, "--data", na, "--lang", "en", "list", "handover", la)
		if f := strings.Fields(out); code != 0 || len(f) != 3 || f[0] != la || strings.Count(out, "\n") != 1 {
			t.Errorf("%d: handover: exit %d, stdout %q", tc.status, code, out)
		}
		if want := msg.Text("en", msg.New("node.send.hub_failed", "hub", hub, "status", msg.Plain(tc.status), "reason", tc.reason)); !strings.Contains(errOut, want) ||
			strings.Count(errOut, tc.reason) != 1 || strings.Contains(errOut, "cannot be reached") {
			t.Errorf("%d: handover: stderr %q, want %q", tc.status, errOut, want)
		}
		for _, lang := range []string{"uk", "ru"} {
			code, _, errOut := run(t, "--data", na, "--lang", lang, "node", "status")
			if want := msg.Text(lang, msg.New("node.status.hub_failed", "hub", hub, "status", msg.Plain(tc.status), "reason", tc.reason)); code != 1 || !strings.Contains(errOut, want) {
				t.Errorf("%d: node status --lang %s: exit %d, stderr %q, want %q", tc.status, lang, code, errOut, want)
			}
		}
		code, _, errOut = run(t, "--data", na, "--lang", "en", "stage", "accept", "Pnotthere")
		if code == 0 || !strings.Contains(errOut, "failed to show it (HTTP "+status+": "+tc.reason+")") {
			t.Errorf("%d: accepting a proposal the failing hub cannot show: exit %d, %q", tc.status, code, errOut)
		}
		srv.Close()
	}
	a := &App{DataDir: na, Stdout: io.Discard, Stderr: io.Discard, serviceOptions: cheapHashing}
	s, err := a.openService(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := s.NodeQueued(t.Context()); err != nil || n != 2 {
		t.Errorf("queued %d, %v; want the two hand-overs, still waiting", n, err)
	}
}
