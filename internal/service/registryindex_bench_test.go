package service_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"parley/internal/access"
	"parley/internal/demo"
	"parley/internal/listfile"
	"parley/internal/person"
	"parley/internal/service"
	"parley/internal/store/storetest"
)

// BenchmarkMatchingRerun times a re-run of matching against a kept
// registry index, after one first run that reads the registry and builds
// the index (reported as first-run-s), and then the first run after a
// registry version that changes one record in a thousand, which updates
// the kept index (run-after-version-s). The registry has
// PARLEY_BENCH_REGISTRY records (default 200,000), the list 1,000 rows.
//
//	go test -run '^$' -bench BenchmarkMatchingRerun -benchtime 5x ./internal/service/
func BenchmarkMatchingRerun(b *testing.B) {
	n := 200_000
	if v, err := strconv.Atoi(os.Getenv("PARLEY_BENCH_REGISTRY")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	be := storetest.Backend{Name: "sqlite", DataDir: b.TempDir()}
	s, err := service.New(ctx, be.Open(b), slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	if err := s.CreateParties(ctx, demo.Parties); err != nil {
		b.Fatal(err)
	}
	// A registry of a million is a file past the upload limits.
	s.Limits.Rows, s.Limits.FileBytes, s.Limits.UnzippedBytes = 2*n, 1<<30, 1<<30
	sc := demo.Default()
	sc.FirstList, sc.Registry, sc.CounterList = 1000, n, 10
	res, err := demo.Build(ctx, s, be.DataDir, sc)
	if err != nil {
		b.Fatal(err)
	}
	officerB := access.Actor{Username: "b", Roles: []access.Role{access.Officer}, Party: "B"}
	start := time.Now()
	if _, err := s.RunMatching(ctx, officerB, service.MatchRequest{ListID: res.FirstListID}); err != nil {
		b.Fatal(err)
	}
	first := time.Since(start)
	builds := service.RegistryIndexBuilds(s)
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.RunMatching(ctx, officerB, service.MatchRequest{ListID: res.FirstListID}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if service.RegistryIndexBuilds(s) != builds {
		b.Fatal("a re-run rebuilt the index")
	}
	// A registry version that changes one record in a thousand, and the
	// first run after it: the kept index is updated, not rebuilt.
	cur, err := s.Registry(ctx, officerB, "B")
	if err != nil {
		b.Fatal(err)
	}
	next := make([]person.Person, 0, len(cur))
	for i, e := range cur {
		switch i % 1000 {
		case 1: // removed
			continue
		case 2: // changed
			e.Person.BirthDate.Day = e.Person.BirthDate.Day%28 + 1
		case 3: // and one new record beside it
			p := e.Person
			p.RecordID, p.ServiceNumber, p.GivenNames = "", "", "Тарас"
			next = append(next, p)
		}
		next = append(next, e.Person)
	}
	cur = nil
	var buf bytes.Buffer
	if err := listfile.Write(&buf, listfile.CSV, listfile.Meta{}, next); err != nil {
		b.Fatal(err)
	}
	next = nil
	if _, err := s.ImportRegistry(ctx, officerB, service.RegistryImportRequest{Party: "B", Format: listfile.CSV}, &buf); err != nil {
		b.Fatal(err)
	}
	start = time.Now()
	if _, err := s.RunMatching(ctx, officerB, service.MatchRequest{ListID: res.FirstListID}); err != nil {
		b.Fatal(err)
	}
	afterVersion := time.Since(start)
	if service.RegistryIndexBuilds(s) != builds || service.RegistryIndexUpdates(s) != 1 {
		b.Fatalf("a version of a few changes: %d builds, %d updates", service.RegistryIndexBuilds(s), service.RegistryIndexUpdates(s))
	}
	b.ReportMetric(afterVersion.Seconds(), "run-after-version-s")
	b.ReportMetric(first.Seconds(), "first-run-s")
	b.ReportMetric(float64(n), "records")
}
