package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"
)

// The list pages are the workbench's busiest (BENCHMARKS.md, "The
// 640-person list page"): these benchmarks serve them through the whole
// handler chain (session, access checks, the access log, the template)
// without the network, so that the cost of one request is measured apart
// from the load generator.
//
//	go test -run '^$' -bench 'ListPage|ListsPage' -benchmem ./internal/web/

func benchPage(b *testing.B, path func(l *bigList) string) {
	e := newEnv(b)
	l := e.importBigList(640)
	e.handOver(l.id)
	ctx := context.Background()
	actor, err := e.svc.Authenticate(ctx, roleOfficerB, password(roleOfficerB))
	if err != nil {
		b.Fatal(err)
	}
	sess, err := e.svc.StartSession(ctx, actor, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	h := e.srv.Handler()
	p := path(l)
	get := func() {
		b.Helper()
		req := httptest.NewRequest(http.MethodGet, p, nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: sess.ID})
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("GET %s: %d %.300s", p, w.Code, w.Body.String())
		}
	}
	get() // caches warm, as on a server that has run a while
	b.ReportAllocs()
	// A view waits for its access-log record's flush to disk, so the time
	// of a request alone is mostly waiting; the processor time the process
	// spends is its cost.
	before := cpuTime(b)
	b.ResetTimer()
	// 50 clients at once, as in bench/load: concurrent views share their
	// access-log commits.
	b.SetParallelism(25)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			get()
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

func BenchmarkListPage(b *testing.B) {
	benchPage(b, func(l *bigList) string { return "/lists/" + l.id })
}

func BenchmarkListPageSearch(b *testing.B) {
	benchPage(b, func(l *bigList) string { return "/lists/" + l.id + "?q=1997&category=wounded&sort=birth" })
}

func BenchmarkListsPage(b *testing.B) {
	benchPage(b, func(*bigList) string { return "/lists" })
}
