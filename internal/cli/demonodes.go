package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"parley/internal/access"
	"parley/internal/demo"
	"parley/internal/service"
)

// demoSyncInterval is how often the demo's nodes sync with the hub: often
// enough that what one party's officer does shows at the other's node
// within a couple of seconds.
const demoSyncInterval = "1s"

// nodesDemo is "parley demo": a hub and the nodes of parties A and B,
// each a data directory of its own under one root and a listener of its
// own, all in this process. Every step goes through the same commands an
// operator would type (init --hub, init --node, party trust, serve, list
// import, ...), so the demo shows the real shape and fails when it breaks.
type nodesDemo struct {
	root    string
	log     *lockedWriter // every listener's log, in root/demo.log
	opts    []service.Option
	serving sync.WaitGroup
	errs    chan error
}

// demoSite is one of the demo's three listeners.
type demoSite struct {
	label string
	app   *App
	addr  string
	users []demoUser
	creds []string // "username password", as printed
	extra []string // serve flags
}

func (s *demoSite) url() string { return "http://" + s.addr }

// lockedWriter serialises the listeners' logs into one file.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func runNodesDemo(ctx context.Context, a *App, dataGiven bool, addr string, seed uint64, noServe bool) error {
	root := a.DataDir
	if !dataGiven {
		dir, err := os.MkdirTemp("", "parley-demo-")
		if err != nil {
			return err
		}
		root = dir
	} else if entries, err := os.ReadDir(root); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is not empty; the demo needs a fresh data directory", root)
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", root, err)
	}
	logf, err := os.OpenFile(filepath.Join(root, "demo.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	d := &nodesDemo{root: root, log: &lockedWriter{w: logf}, opts: a.serviceOptions, errs: make(chan error, 3)}
	addrs, err := demoAddrs(addr)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	site := func(label, dir, addr string, users []demoUser, extra ...string) *demoSite {
		return &demoSite{label: label, addr: addr, users: users, extra: extra,
			app: &App{DataDir: filepath.Join(root, dir), DataSet: true, LangFlag: a.LangFlag, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: d.log, serviceOptions: a.serviceOptions}}
	}
	admin := a.text("node.demo.role.admin")
	hub := site(a.text("node.demo.label.hub"), "hub", addrs[0], []demoUser{
		{"mediator", []access.Role{access.Mediator}, "", a.text("node.demo.role.mediator")},
		{"observer", []access.Role{access.Observer}, "", a.text("node.demo.role.observer")},
		{"admin", []access.Role{access.Admin}, "", admin},
	})
	nodeA := site(a.text("node.demo.label.node", "party", "Party A"), "node-a", addrs[1], []demoUser{
		{"officer-a", []access.Role{access.Officer}, "A", a.text("node.demo.role.officer", "party", "Party A")},
		{"admin-a", []access.Role{access.Admin}, "", admin},
	}, "--sync-interval", demoSyncInterval)
	nodeB := site(a.text("node.demo.label.node", "party", "Party B"), "node-b", addrs[2], []demoUser{
		{"officer-b", []access.Role{access.Officer}, "B", a.text("node.demo.role.officer", "party", "Party B")},
		{"admin-b", []access.Role{access.Admin}, "", admin},
	}, "--sync-interval", demoSyncInterval)

	sctx, stop := context.WithCancel(ctx)
	defer func() {
		stop()
		d.serving.Wait()
	}()
	start := time.Now()
	if err := d.setUp(sctx, hub, nodeA, nodeB); err != nil {
		return fmt.Errorf("demo: %w (the listeners' log is in %s)", err, filepath.Join(root, "demo.log"))
	}
	res, err := d.build(sctx, seed, nodeA, nodeB)
	if err != nil {
		return fmt.Errorf("demo data: %w (the listeners' log is in %s)", err, filepath.Join(root, "demo.log"))
	}
	fmt.Fprintln(a.Stdout, a.text("node.demo.started", "dir", root, "took", time.Since(start).Round(time.Millisecond).String(), "log", filepath.Join(root, "demo.log")))
	fmt.Fprintln(a.Stdout, a.text("node.demo.lists", "first", res.FirstListID, "persons", demo.Default().FirstList, "counter", res.CounterListID,
		"records", res.RegistrySize, "run", res.RunID))
	for _, s := range []*demoSite{hub, nodeA, nodeB} {
		fmt.Fprintln(a.Stdout, a.text("node.demo.site", "label", s.label, "url", s.url()))
		for _, c := range s.creds {
			fmt.Fprintf(a.Stdout, "    %s\n", c)
		}
	}
	if noServe {
		return nil
	}
	fmt.Fprintln(a.Stdout, a.text("node.demo.stop"))
	select {
	case <-ctx.Done():
		return nil
	case err := <-d.errs:
		return fmt.Errorf("demo: a listener stopped: %w", err)
	}
}

// demoAddrs returns the three listeners' addresses: the given one for the
// hub and the next two ports for the nodes; port 0 picks free ports.
func demoAddrs(addr string) ([3]string, error) {
	var out [3]string
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return out, fmt.Errorf("--addr %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 0 || port > 65533 {
		return out, fmt.Errorf("--addr %q: want HOST:PORT with a port below 65534", addr)
	}
	for i := range out {
		if port == 0 {
			l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
			if err != nil {
				return out, err
			}
			out[i] = l.Addr().String()
			l.Close()
			continue
		}
		out[i] = net.JoinHostPort(host, strconv.Itoa(port+i))
	}
	return out, nil
}

// call runs one command against a site's data directory, in this process,
// and returns what it printed.
func (d *nodesDemo) call(ctx context.Context, s *demoSite, args ...string) (string, error) {
	cmd, rest, ok := lookup(args)
	if !ok {
		return "", fmt.Errorf("no command %q", strings.Join(args, " "))
	}
	var out bytes.Buffer
	app := *s.app
	app.Stdout = &out
	if err := cmd.run(ctx, &app, rest); err != nil {
		return out.String(), fmt.Errorf("%s: parley %s: %w", s.label, strings.Join(args, " "), err)
	}
	return out.String(), nil
}

// serve starts a site's listener and waits until it answers /healthz.
func (d *nodesDemo) serve(ctx context.Context, s *demoSite) error {
	cmd, _, _ := lookup([]string{"serve"})
	app := *s.app
	d.serving.Add(1)
	go func() {
		defer d.serving.Done()
		err := cmd.run(ctx, &app, append([]string{"--addr", s.addr}, s.extra...))
		if err == nil && ctx.Err() == nil {
			err = errors.New(s.label + " stopped")
		}
		if err != nil && ctx.Err() == nil {
			d.errs <- fmt.Errorf("%s: %w", s.label, err)
		}
	}()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := client.Get(s.url() + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-d.errs:
			return err
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer on %s within a minute", s.label, s.url())
		}
	}
}

// addUsers creates a site's sign-ins with fresh passwords.
func (d *nodesDemo) addUsers(ctx context.Context, site *demoSite) error {
	s, err := site.app.openService(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	for _, u := range site.users {
		pw := demoPassword()
		if err := s.CreateUser(ctx, access.System, service.NewUser{Username: u.username, Password: pw, Roles: u.roles, Party: u.party}); err != nil {
			return fmt.Errorf("%s: user %s: %w", site.label, u.username, err)
		}
		site.creds = append(site.creds, fmt.Sprintf("%-16s %-10s %s", u.label, u.username, site.app.text("node.demo.password", "password", pw)))
	}
	return nil
}

// setUp initialises the hub, serves it, initialises both nodes against
// it, has the hub trust their keys, makes them peers and serves them.
func (d *nodesDemo) setUp(ctx context.Context, hub, nodeA, nodeB *demoSite) error {
	if _, err := d.call(ctx, hub, "init", "--hub", "--party", "A=Party A", "--party", "B=Party B", "--translit", "A=icao", "--translit", "B=ua2010"); err != nil {
		return err
	}
	if err := d.addUsers(ctx, hub); err != nil {
		return err
	}
	if err := d.serve(ctx, hub); err != nil {
		return err
	}
	for _, n := range []struct {
		site  *demoSite
		party string
	}{{nodeA, "A"}, {nodeB, "B"}} {
		out, err := d.call(ctx, n.site, "init", "--node", n.party, "--hub", hub.url())
		if err != nil {
			return err
		}
		keys := demoVerifierKeys(out)
		if len(keys) == 0 {
			return fmt.Errorf("%s: init printed no verifier key", n.site.label)
		}
		if _, err := d.call(ctx, hub, append([]string{"party", "trust", n.party}, keys...)...); err != nil {
			return err
		}
		if err := d.addUsers(ctx, n.site); err != nil {
			return err
		}
	}
	if _, err := d.call(ctx, nodeA, "node", "peer", "add", nodeB.url()); err != nil {
		return err
	}
	if _, err := d.call(ctx, nodeB, "node", "peer", "add", nodeA.url()); err != nil {
		return err
	}
	for _, n := range []*demoSite{nodeA, nodeB} {
		if err := d.serve(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

// demoVerifierKeys picks the verifier keys (name+hash+base64) out of what
// init --node printed.
func demoVerifierKeys(out string) []string {
	var keys []string
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if f := strings.Split(line, "+"); len(f) >= 3 && !strings.ContainsAny(line, " \t") && len(f[1]) == 8 {
			keys = append(keys, line)
		}
	}
	return keys
}

// nodesDemoResult says what the demo's data steps made.
type nodesDemoResult struct {
	FirstListID, CounterListID, RunID string
	RegistrySize                      int
}

// build runs the scenario the way the parties' officers would: B imports
// its registry on its node; A imports its first list and hands it over;
// B hands over its counter-list; once B's node holds A's list (through the
// hub), B matches it against its registry and acknowledges it.
func (d *nodesDemo) build(ctx context.Context, seed uint64, nodeA, nodeB *demoSite) (*nodesDemoResult, error) {
	sc := demo.Default()
	sc.Seed = seed
	files, err := demo.WriteFiles(d.root, sc)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(d.root, "demo", "README.txt"), []byte(demoReadme), 0o600); err != nil {
		return nil, err
	}
	res := &nodesDemoResult{RegistrySize: sc.Registry}
	if _, err := d.call(ctx, nodeB, "registry", "import", files.Registry, "--party", "B"); err != nil {
		return nil, err
	}
	out, err := d.call(ctx, nodeA, "list", "import", files.FirstList, "--to", "B", "--title", demo.FirstListTitle)
	if err != nil {
		return nil, err
	}
	res.FirstListID = strings.TrimSpace(out)
	if _, err := d.call(ctx, nodeA, "list", "handover", res.FirstListID); err != nil {
		return nil, err
	}
	out, err = d.call(ctx, nodeB, "list", "import", files.CounterList, "--to", "A", "--title", demo.CounterListTitle)
	if err != nil {
		return nil, err
	}
	res.CounterListID = strings.TrimSpace(out)
	if _, err := d.call(ctx, nodeB, "list", "handover", res.CounterListID); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(time.Minute)
	for {
		if _, err := d.call(ctx, nodeB, "list", "show", res.FirstListID); err == nil {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("B's node did not receive list %s from the hub within a minute", res.FirstListID)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case err := <-d.errs:
			return nil, err
		case <-time.After(200 * time.Millisecond):
		}
	}
	out, err = d.call(ctx, nodeB, "matches", "run", res.FirstListID)
	if err != nil {
		return nil, err
	}
	res.RunID = firstWord(out)
	if _, err := d.call(ctx, nodeB, "list", "ack", res.FirstListID); err != nil {
		return nil, err
	}
	return res, nil
}

// firstWord returns the first word of a command's output (an id).
func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}
