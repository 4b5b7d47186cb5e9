package familyweb_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"parley/internal/access"
	"parley/internal/families"
	"parley/internal/familyweb"
	"parley/internal/service"
	"parley/internal/service/servicetest"
	"parley/internal/store/storetest"
	"parley/internal/web"
)

// The family status look-up, /healthz and the public figures, served
// through the whole handler chain of `parley serve` (the workbench's
// middleware, the request log, the metrics, the family site mounted on
// it) over a real SQLite store, without the network: the processor time
// and the allocations of one request, apart from any load generator.
//
//	go test -run '^$' -bench 'FamilyLookup|Healthz|PublicFigures' -benchmem -benchtime 2s ./internal/familyweb/

// benchSite is the server of `parley serve` with the family site on it,
// logging requests as it does (JSON, at Info) into nowhere.
type benchSite struct {
	h     http.Handler
	creds [][2]string
}

const benchInquiries = 50

func newBenchSite(b testing.TB) *benchSite {
	b.Helper()
	svc, _ := servicetest.New(b, storetest.Backend{Name: "sqlite", DataDir: b.TempDir()})
	ctx := context.Background()
	logger := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	srv, err := web.New(svc, web.Options{Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	// The look-ups come from few addresses many times over: the limits
	// are lifted, as bench/load does, to measure a look-up, not a refusal.
	lim := familyweb.DefaultLimits()
	lim.Lookups = familyweb.Rate{N: 1 << 30, Per: time.Minute}
	lim.LookupFailures = familyweb.Rate{N: 1 << 30, Per: time.Minute}
	fam, err := familyweb.NewHandler(svc, familyweb.Options{
		Actor:           func(r *http.Request) (access.Actor, bool) { return web.ActorFrom(r.Context()) },
		ReviewURL:       web.FamilyLinksPath,
		InsecureCookies: true,
		Limits:          lim,
		Logger:          logger,
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := fam.MountOn(srv); err != nil {
		b.Fatal(err)
	}
	s := &benchSite{h: srv.Handler()}
	for i := range benchInquiries {
		reg, err := svc.RegisterInquiry(ctx, families.Request{Surname: fmt.Sprintf("Шевченко%03d", i), GivenNames: "Сергій", BirthDate: "1999-03-12",
			Party: "B", Relationship: "parent", Email: fmt.Sprintf("family%03d@example.org", i), Consent: true}, service.RegisterOptions{})
		if err != nil {
			b.Fatal(err)
		}
		s.creds = append(s.creds, [2]string{reg.Reference, reg.Secret})
	}
	return s
}

// benchWriter is a response writer reused by one client, so that what is
// counted is the server's work.
type benchWriter struct {
	h    http.Header
	code int
	body bytes.Buffer
}

func (w *benchWriter) Header() http.Header { return w.h }
func (w *benchWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *benchWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.body.Write(p)
}

func (w *benchWriter) reset() {
	clear(w.h)
	w.code = 0
	w.body.Reset()
}

// benchAddrs are the client addresses the requests come from, as
// bench/load's -addrs 5000.
var benchAddrs = func() []string {
	a := make([]string, 5000)
	for i := range a {
		a[i] = fmt.Sprintf("127.1.%d.%d:40000", i/250, i%250+1)
	}
	return a
}()

// serve runs requests from 50 concurrent clients; req makes the i-th
// request. It reports the processor time of the process per request.
func (s *benchSite) serve(b *testing.B, want int, req func(i int) *http.Request) {
	b.Helper()
	check := func(w *benchWriter, r *http.Request) {
		if w.code != want {
			b.Fatalf("%s %s: %d %.300s", r.Method, r.URL.Path, w.code, w.body.String())
		}
	}
	w := &benchWriter{h: http.Header{}}
	for i := range benchInquiries {
		r := req(i)
		s.h.ServeHTTP(w, r) // caches warm, as on a server that has run a while
		check(w, r)
		w.reset()
	}
	var next atomic.Int64
	b.ReportAllocs()
	before := cpuTime(b)
	b.ResetTimer()
	b.SetParallelism(25)
	b.RunParallel(func(pb *testing.PB) {
		w := &benchWriter{h: http.Header{}}
		for pb.Next() {
			r := req(int(next.Add(1)))
			s.h.ServeHTTP(w, r)
			check(w, r)
			w.reset()
		}
	})
	b.ReportMetric(float64(cpuTime(b)-before)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the processor time (user and system) the process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// newRequest builds a request as the server hands it over, without
// httptest's parsing, so that its cost stays out of the figures.
func newRequest(method string, u *url.URL, hdr http.Header, body []byte, i int) *http.Request {
	r := &http.Request{Method: method, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: hdr,
		Host: "parley.test", RemoteAddr: benchAddrs[i%len(benchAddrs)], RequestURI: u.RequestURI(), Body: http.NoBody}
	if body != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
	}
	return r
}

func BenchmarkFamilyLookup(b *testing.B) {
	s := newBenchSite(b)
	u := &url.URL{Path: "/api/v1/inquiries/status"}
	hdr := http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}}
	bodies := make([][]byte, len(s.creds))
	for i, c := range s.creds {
		bodies[i] = fmt.Appendf(nil, `{"reference":%q,"secret":%q}`, c[0], c[1])
	}
	s.serve(b, http.StatusOK, func(i int) *http.Request {
		return newRequest(http.MethodPost, u, hdr, bodies[i%len(bodies)], i)
	})
}

func BenchmarkHealthz(b *testing.B) {
	s := newBenchSite(b)
	u := &url.URL{Path: "/healthz"}
	hdr := http.Header{}
	s.serve(b, http.StatusOK, func(i int) *http.Request { return newRequest(http.MethodGet, u, hdr, nil, i) })
}

func BenchmarkPublicFigures(b *testing.B) {
	s := newBenchSite(b)
	u := &url.URL{Path: "/api/v1/public/figures"}
	hdr := http.Header{"Accept": {"application/json"}}
	s.serve(b, http.StatusOK, func(i int) *http.Request { return newRequest(http.MethodGet, u, hdr, nil, i) })
}

// A status look-up answered from memory, /healthz and the public figures
// stay within their allocations through the whole chain of the server
// (measured: 13, 2 and 27 besides the request itself); a header set per
// request, a second router or a log line that formats its attributes
// through interfaces would each cost several more.
func TestAllocationsPerRequest(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	s := newBenchSite(t)
	lookup, healthz, figures := &url.URL{Path: "/api/v1/inquiries/status"}, &url.URL{Path: "/healthz"}, &url.URL{Path: "/api/v1/public/figures"}
	jsonHdr, noHdr := http.Header{"Content-Type": {"application/json"}}, http.Header{}
	body := fmt.Appendf(nil, `{"reference":%q,"secret":%q}`, s.creds[0][0], s.creds[0][1])
	tests := []struct {
		name string
		req  func() *http.Request
		max  float64
	}{
		{"look-up", func() *http.Request { return newRequest(http.MethodPost, lookup, jsonHdr, body, 0) }, 18},
		{"healthz", func() *http.Request { return newRequest(http.MethodGet, healthz, noHdr, nil, 0) }, 5},
		{"public figures", func() *http.Request { return newRequest(http.MethodGet, figures, noHdr, nil, 0) }, 32},
	}
	w := &benchWriter{h: http.Header{}}
	for _, tt := range tests {
		serve := func() {
			w.reset()
			s.h.ServeHTTP(w, tt.req())
			if w.code != http.StatusOK {
				t.Fatalf("%s: %d %s", tt.name, w.code, w.body.String())
			}
		}
		serve()
		if n := testing.AllocsPerRun(200, serve); n > tt.max {
			t.Errorf("%s: %.1f allocations a request, want at most %.0f", tt.name, n, tt.max)
		}
	}
}
