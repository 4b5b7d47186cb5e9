package service_test

import (
	"bytes"
	"context"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"parley/internal/access"
	"parley/internal/demo"
	"parley/internal/listfile"
	"parley/internal/matching/gen"
	"parley/internal/person"
	"parley/internal/service"
	"parley/internal/store/storetest"
)

// BenchmarkRegistryReimport times the import of a registry's next version
// that holds the same records in another order — the diff finds no change
// — and reports the peak of the Go heap in use during it (sampled every
// 5 ms), the figure that bounds the memory of a re-import. The registry
// has PARLEY_BENCH_REGISTRY records (default 100,000).
//
//	go test -run '^$' -bench BenchmarkRegistryReimport -benchtime 1x ./internal/service/
func BenchmarkRegistryReimport(b *testing.B) {
	n := 100_000
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
	data, err := gen.Generate(gen.Config{Registry: n, List: 0, Seed: 4, Noise: gen.DefaultNoise()})
	if err != nil {
		b.Fatal(err)
	}
	var first, next bytes.Buffer
	if err := listfile.Write(&first, listfile.CSV, listfile.Meta{}, data.Registry); err != nil {
		b.Fatal(err)
	}
	shuffled := append([]person.Person(nil), data.Registry...)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	if err := listfile.Write(&next, listfile.CSV, listfile.Meta{}, shuffled); err != nil {
		b.Fatal(err)
	}
	data, shuffled = nil, nil
	officerB := access.Actor{Username: "b", Roles: []access.Role{access.Officer}, Party: "B"}
	if _, err := s.ImportRegistry(ctx, officerB, service.RegistryImportRequest{Party: "B", Format: listfile.CSV}, &first); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
			}
		}
	}()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	// With -memprofile, PARLEY_BENCH_MEMBASE names a file for the
	// allocations so far, to subtract (go tool pprof -base) and see the
	// re-import's own.
	if f := os.Getenv("PARLEY_BENCH_MEMBASE"); f != "" {
		w, err := os.Create(f)
		if err != nil {
			b.Fatal(err)
		}
		if err := pprof.Lookup("allocs").WriteTo(w, 0); err != nil {
			b.Fatal(err)
		}
		w.Close()
	}
	b.ResetTimer()
	for b.Loop() {
		out, err := s.ImportRegistry(ctx, officerB, service.RegistryImportRequest{Party: "B", Format: listfile.CSV}, bytes.NewReader(next.Bytes()))
		if err != nil {
			b.Fatal(err)
		}
		if out.Registry.Added+out.Registry.Changed+out.Registry.Removed != 0 {
			b.Fatalf("a shuffled copy changed the registry: %+v", out.Registry)
		}
	}
	b.StopTimer()
	close(stop)
	wg.Wait()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/(1<<20), "alloc-MiB/op")
}
