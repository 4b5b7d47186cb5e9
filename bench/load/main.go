// Command load measures the web workbench under concurrent use on loopback:
// requests per second and latency percentiles of the dashboard and list
// pages with N signed-in users, and of family status look-ups with M
// concurrent clients, on SQLite or PostgreSQL.
//
// It builds the demo scenario in a fresh data directory (or a fresh
// PostgreSQL database), starts the real server on 127.0.0.1 with every
// middleware in place, and drives it with its own bounded HTTP clients. The
// client and server share this machine's cores, as wrk on loopback would.
//
//	go run ./bench/load -users 50 -duration 20s
//	go run ./bench/load -family 200 -duration 20s -db postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
//	go run ./bench/load -users 0 -family 50 -addrs 5000 -healthz -duration 10s
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"time"

	"parley/bench/internal/benchdb"
	"parley/internal/access"
	"parley/internal/demo"
	"parley/internal/families"
	"parley/internal/familyweb"
	"parley/internal/gctune"
	"parley/internal/ledger"
	"parley/internal/service"
	"parley/internal/store"
	"parley/internal/web"
)

func main() {
	users := flag.Int("users", 50, "concurrent signed-in users for the workbench pages (0 to skip)")
	family := flag.Int("family", 0, "concurrent clients for family status look-ups (0 to skip)")
	duration := flag.Duration("duration", 20*time.Second, "how long each measurement runs")
	dbURL := flag.String("db", "", "PostgreSQL server URL (a fresh database is created on it); empty for SQLite")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the measurements to this file")
	addrs := flag.Int("addrs", 1, "loopback source addresses the clients spread their requests over (127.1.0.1 onwards), as families each from its own address")
	healthz := flag.Bool("healthz", false, "measure GET /healthz the same way just before the family look-ups, as the baseline of the same run")
	limits := flag.String("limits", "lifted", "family rate limits: lifted (the cost of a look-up, not of refusals) or default")
	pages := flag.String("pages", "dashboard,lists,list", "the workbench pages the signed-in users load, one after another: dashboard (/), lists (/lists), list (/lists/{id} of the first list); a profile of one page alone gives its cost per request")
	var gc gctune.Settings
	flag.IntVar(&gc.GCPercent, "gc-percent", gctune.DefaultGCPercent, "garbage collector target percentage, as parley serve --gc-percent")
	flag.Int64Var(&gc.MemoryLimitMiB, "memory-limit-mib", gctune.DefaultMemoryLimitMiB(), "soft memory limit in MiB (0: none), as parley serve --memory-limit-mib")
	flag.Parse()
	gctune.Apply(gc)
	if *duration > 5*time.Minute {
		log.Fatal("duration is bounded to 5 minutes")
	}
	ctx := context.Background()

	dir, err := os.MkdirTemp("", "parley-load-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	url, cleanup := benchdb.Fresh(*dbURL, "parley_load")
	defer cleanup()
	db, err := store.Open(ctx, dir, url)
	if err != nil {
		log.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := service.New(ctx, db, quiet)
	if err != nil {
		log.Fatal(err)
	}
	if err := svc.CreateParties(ctx, demo.Parties); err != nil {
		log.Fatal(err)
	}
	if err := ledger.Init(dir, "parley.load/log", []string{"A", "B"}); err != nil {
		log.Fatal(err)
	}
	lg, err := ledger.Open(dir)
	if err != nil {
		log.Fatal(err)
	}
	svc.AttachLedger(lg)
	res, err := demo.Build(ctx, svc, dir, demo.Default())
	if err != nil {
		log.Fatal(err)
	}

	srv, err := web.New(svc, web.Options{Logger: quiet})
	if err != nil {
		log.Fatal(err)
	}
	// Generous limits: the look-ups all come from 127.0.0.1, and the point
	// is the cost of a look-up, not the limiter.
	lim := familyweb.DefaultLimits()
	if *limits == "lifted" {
		lim.Lookups = familyweb.Rate{N: 1 << 30, Per: time.Minute}
		lim.LookupFailures = familyweb.Rate{N: 1 << 30, Per: time.Minute}
	}
	// The family site is mounted as `parley serve` mounts it: its routes
	// in the server's route table, the rest under its prefixes.
	fam, err := familyweb.NewHandler(svc, familyweb.Options{
		Actor:           func(r *http.Request) (access.Actor, bool) { return web.ActorFrom(r.Context()) },
		ReviewURL:       web.FamilyLinksPath,
		InsecureCookies: true,
		Limits:          lim,
		Logger:          quiet,
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := fam.MountOn(srv); err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	defer hs.Close()
	base := "http://" + ln.Addr().String()
	backend := "SQLite"
	if url != "" {
		backend = "PostgreSQL"
	}
	fmt.Printf("demo data: %d-person first list %s, registry of %d; server %s on %s\n\n", demo.Default().FirstList, res.FirstListID, res.RegistrySize, backend, base)
	fmt.Println("| target | clients | source addresses | requests | req/s | p50 | p99 | errors |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	srcAddrs = *addrs

	// The profile starts at the first measurement, after the users and
	// inquiries are made (hashing their passwords and secrets is no part
	// of a page's cost), so that its samples divided by the requests
	// served are the cost of a request.
	var profiling bool
	profile := func() {
		if *cpuProfile == "" || profiling {
			return
		}
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		profiling = true
	}
	defer func() {
		if profiling {
			pprof.StopCPUProfile()
		}
	}()
	if *users > 0 {
		cookies := make([]string, *users)
		for i := range cookies {
			party := "A"
			if i%2 == 1 {
				party = "B"
			}
			name := fmt.Sprintf("load%03d", i)
			if err := svc.CreateUser(ctx, access.System, service.NewUser{Username: name, Password: "a long password for load tests", Roles: []access.Role{access.Officer}, Party: party}); err != nil {
				log.Fatal(err)
			}
			actor, err := svc.Authenticate(ctx, name, "a long password for load tests")
			if err != nil {
				log.Fatal(err)
			}
			sess, err := svc.StartSession(ctx, actor, time.Hour)
			if err != nil {
				log.Fatal(err)
			}
			cookies[i] = "parley_session=" + sess.ID
		}
		paths := map[string]string{"dashboard": "/", "lists": "/lists", "list": "/lists/" + res.FirstListID}
		var counts []string
		for _, name := range strings.Split(*pages, ",") {
			path, ok := paths[strings.TrimSpace(name)]
			if !ok {
				log.Fatalf("-pages: no page %q (dashboard, lists, list)", name)
			}
			profile()
			s0, t0 := db.Stats()
			n := run(base, path, *users, *duration, func(i int, req *http.Request) { req.Header.Set("Cookie", cookies[i]) }, nil)
			s1, t1 := db.Stats()
			counts = append(counts, fmt.Sprintf("`GET %s`: %.1f SQL statements and %.1f transactions a request (the session look-up included)", path, float64(s1-s0)/float64(max(n, 1)), float64(t1-t0)/float64(max(n, 1))))
		}
		fmt.Println()
		for _, c := range counts {
			fmt.Println(c)
		}
	}
	if *family > 0 {
		creds := make([][2]string, 0, 500)
		for i := 0; i < 500; i++ {
			reg, err := svc.RegisterInquiry(ctx, families.Request{Surname: fmt.Sprintf("Шевченко%03d", i), GivenNames: "Сергій", BirthDate: "1999-03-12",
				Party: "B", Relationship: "parent", Email: fmt.Sprintf("family%03d@example.org", i), Consent: true}, service.RegisterOptions{})
			if err != nil {
				log.Fatal(err)
			}
			creds = append(creds, [2]string{reg.Reference, reg.Secret})
		}
		profile()
		if *healthz {
			run(base, "/healthz", *family, *duration, nil, nil)
		}
		run(base, "/api/v1/inquiries/status", *family, *duration, nil, func(i int) (string, io.Reader) {
			c := creds[i%len(creds)]
			b, _ := json.Marshal(map[string]string{"reference": c[0], "secret": c[1]})
			return "application/json", strings.NewReader(string(b))
		})
		run(base, "/api/v1/public/figures", *family, *duration, nil, nil)
	}
}

// srcAddrs is how many loopback source addresses run spreads requests over.
var srcAddrs = 1

// sourceAddr is the i-th loopback source address: 127.1.0.1, 127.1.0.2, ...
// Linux routes all of 127.0.0.0/8 to the loopback interface, so a client
// may bind any of them, and the server sees each as its own client (its
// per-address rate limits count them apart).
func sourceAddr(i int) net.IP {
	i++
	return net.IPv4(127, byte(1+i>>16), byte(i>>8), byte(i))
}

// run drives one path with n concurrent clients for d and prints a table
// row. With srcAddrs > 1, request j of client i goes out from source
// address (i + j·n) mod srcAddrs, over that address's own kept-alive
// connection, so consecutive requests of one client come from different
// families' addresses. It returns the number of requests made.
func run(base, path string, n int, d time.Duration, prepare func(int, *http.Request), body func(int) (string, io.Reader)) int {
	na := max(srcAddrs, 1)
	clients := make([]*http.Client, na)
	var transports []*http.Transport
	for a := range clients {
		tr := &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n}
		if na > 1 {
			tr = &http.Transport{MaxIdleConnsPerHost: 1, DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: sourceAddr(a)}}).DialContext}
		}
		transports = append(transports, tr)
		clients[a] = &http.Client{Transport: tr, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			for k := 0; time.Now().Before(deadline); k++ {
				method, rd, ctype := http.MethodGet, io.Reader(nil), ""
				if body != nil {
					method = http.MethodPost
					ctype, rd = body(i + k*n)
				}
				req, _ := http.NewRequest(method, base+path, rd)
				if ctype != "" {
					req.Header.Set("Content-Type", ctype)
				}
				if prepare != nil {
					prepare(i, req)
				}
				client := clients[(i+k*n)%na]
				start := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				mine = append(mine, time.Since(start))
				if err != nil || resp.StatusCode != http.StatusOK {
					bad++
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			errs += bad
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	for _, tr := range transports {
		tr.CloseIdleConnections()
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	fmt.Printf("| `%s %s` | %d | %d | %d | %.0f | %s | %s | %d |\n", map[bool]string{true: "POST", false: "GET"}[body != nil], path, n, na, len(lat),
		float64(len(lat))/d.Seconds(), pct(0.50).Round(100*time.Microsecond), pct(0.99).Round(100*time.Microsecond), errs)
	return len(lat)
}
