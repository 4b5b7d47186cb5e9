package service_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"parley/internal/access"
	"parley/internal/families"
	"parley/internal/listfile"
	"parley/internal/matching"
	"parley/internal/matching/gen"
	"parley/internal/person"
	"parley/internal/service"
	"parley/internal/service/servicetest"
	"parley/internal/store/storetest"
)

// BenchmarkMatchingRerun times, through the service as the server does it,
// what a party's kept registry index is for: with a registry of
// PARLEY_BENCH_REGISTRY records (default 200,000) on SQLite, or with
// PARLEY_BENCH_PG=1 on a fresh database of the test PostgreSQL server
// (storetest.PostgresURL),
//
//   - first-run: the first matching run of a 1,000-row list (the registry
//     read and its index built);
//   - ns/op and rerun1000: a re-run of that list against the kept index;
//     rerun640: a re-run of a 640-row list;
//   - inquiry: a family's inquiry registered and compared (RegisterInquiry,
//     which links it to the lists handed over to its side);
//   - version-run: the first run of the 1,000-row list after a registry
//     version that changes 1,000 records (a third removed, a third with a
//     new date of birth, a third added), which updates the kept index.
//
// Each is reported in wall seconds (-s) and in CPU seconds of the whole
// process (-cpu-s), which stays meaningful on a loaded machine. The
// registry is stored through the import's own version code
// (service.SeedRegistry: ids, diff, one transaction) without writing and
// parsing a file of a million rows, and none of the setup is timed;
// progress goes to stderr. Run it with -benchtime 3x (re-runs of the
// 1,000-row list) and -timeout 0 for a million records:
//
//	PARLEY_BENCH_REGISTRY=1000000 go test -run '^$' -bench BenchmarkMatchingRerun -benchtime 3x -timeout 0 ./internal/service/
//	PARLEY_BENCH_PG=1 PARLEY_BENCH_REGISTRY=1000000 go test -run '^$' -bench BenchmarkMatchingRerun -benchtime 3x -timeout 0 ./internal/service/
func BenchmarkMatchingRerun(b *testing.B) {
	n := 200_000
	if v, err := strconv.Atoi(os.Getenv("PARLEY_BENCH_REGISTRY")); err == nil && v > 0 {
		n = v
	}
	const reps = 3
	ctx := context.Background()
	began := time.Now()
	progress := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "rerun bench %6.1fs: %s\n", time.Since(began).Seconds(), fmt.Sprintf(format, args...))
	}
	backend := storetest.Backend{Name: "sqlite", DataDir: b.TempDir()}
	if os.Getenv("PARLEY_BENCH_PG") == "1" {
		backend.Name, backend.URL = "postgres", storetest.NewPostgresURL(b)
	}
	s, _ := servicetest.New(b, backend)
	officerA := access.Actor{Username: "a", Roles: []access.Role{access.Officer}, Party: "A"}
	officerB := access.Actor{Username: "b", Roles: []access.Role{access.Officer}, Party: "B"}

	progress("%s: generating a registry of %d records and lists of 1,000 and 640 rows", backend.Name, n)
	d, err := gen.Generate(gen.Config{Registry: n, List: 1000 + 640 + 64, Present: 0.92, Seed: 15, Noise: gen.DefaultNoise()})
	if err != nil {
		b.Fatal(err)
	}
	progress("storing the registry (version 1)")
	if _, _, err := service.SeedRegistry(ctx, s, officerB, "B", d.Registry); err != nil {
		b.Fatal(err)
	}
	registry := d.Registry
	d.Registry = nil
	rows := distinctPersons(d.List)
	progress("importing and handing over the lists")
	list1000 := importHandedOver(ctx, b, s, officerA, officerB, rows[:1000])
	list640 := importHandedOver(ctx, b, s, officerA, officerB, rows[1000:1640])
	run := func(listID string) {
		if _, err := s.RunMatching(ctx, officerB, service.MatchRequest{ListID: listID}); err != nil {
			b.Fatal(err)
		}
	}
	// Metrics are reported at the end: b.ResetTimer drops those reported
	// before it.
	metrics := map[string]float64{}
	// With PARLEY_BENCH_PROFILE set to a directory, the CPU of the timed
	// steps (not of the setup) is profiled into it, one file a step.
	profDir := os.Getenv("PARLEY_BENCH_PROFILE")
	// timed runs f reps times and reports the median wall and CPU seconds.
	timed := func(name string, reps int, f func(i int)) {
		if profDir != "" {
			pf, err := os.Create(filepath.Join(profDir, name+".prof"))
			if err != nil {
				b.Fatal(err)
			}
			if err := pprof.StartCPUProfile(pf); err != nil {
				b.Fatal(err)
			}
			defer func() {
				pprof.StopCPUProfile()
				pf.Close()
			}()
		}
		walls, cpus := make([]float64, reps), make([]float64, reps)
		for i := range reps {
			// The garbage of the setup (a million records stored) is
			// collected before, not charged to the step.
			runtime.GC()
			c0, t0 := cpuSeconds(), time.Now()
			f(i)
			walls[i], cpus[i] = time.Since(t0).Seconds(), cpuSeconds()-c0
		}
		slices.Sort(walls)
		slices.Sort(cpus)
		metrics[name+"-s"], metrics[name+"-cpu-s"] = walls[reps/2], cpus[reps/2]
		progress("%s: median %.3f s wall, %.3f s CPU (of %d)", name, walls[reps/2], cpus[reps/2], reps)
	}

	progress("(a) first run: registry read, index built, 1,000 rows matched")
	timed("first-run", 1, func(int) { run(list1000) })
	builds := service.RegistryIndexBuilds(s)
	run(list640) // the 640-row list's first run, so that the next are re-runs
	progress("(b) re-runs against the kept index")
	timed("rerun640", reps, func(int) { run(list640) })
	timed("rerun1000", reps, func(int) { run(list1000) })
	b.ResetTimer()
	for b.Loop() {
		run(list1000)
	}
	b.StopTimer()
	if service.RegistryIndexBuilds(s) != builds {
		b.Fatal("a re-run rebuilt the index")
	}

	progress("(c) family inquiries")
	// Relatives as a family writes them: in Cyrillic, with the given
	// name, from the 1,000-row list.
	var relatives []*person.Person
	for i := range rows[:1000] {
		if rows[i].Surname != "" && rows[i].GivenNames != "" {
			relatives = append(relatives, &rows[i])
		}
	}
	inquiry := func(i int) {
		p := relatives[i*7%len(relatives)]
		_, err := s.RegisterInquiry(ctx, families.Request{Surname: p.Surname, GivenNames: p.GivenNames, Patronymic: p.Patronymic,
			BirthDate: p.BirthDate.String(), Party: "B", Relationship: "mother", Email: "family" + strconv.Itoa(i) + "@example.org", Consent: true},
			service.RegisterOptions{})
		if err != nil {
			b.Fatal(err)
		}
	}
	timed("inquiry-first", 1, func(int) { inquiry(100) }) // builds the indexes of the lists
	timed("inquiry", 5, inquiry)

	progress("(d) a registry version changing 1,000 records")
	next := make([]person.Person, 0, len(registry)+400)
	step := max(1, len(registry)/1000)
	changes := 0
	for i := range registry {
		p := registry[i]
		if i%step == 1 && changes < 1000 {
			changes++
			switch changes % 3 {
			case 0: // removed
				continue
			case 1: // a new date of birth
				p.BirthDate.Day = p.BirthDate.Day%28 + 1
			case 2: // and a new record beside it
				q := p
				q.ServiceNumber, q.GivenNames, q.GivenNamesLatin = "", "Тарас", ""
				next = append(next, q)
			}
		}
		next = append(next, p)
	}
	registry = nil
	var v *matching.RegistryVersion
	// Storing the version is not one of the targets (a million records are
	// read, compared and written again), but is reported.
	timed("version-store", 1, func(int) {
		if v, _, err = service.SeedRegistry(ctx, s, officerB, "B", next); err != nil {
			b.Fatal(err)
		}
	})
	next = nil
	progress("version %d: %d added, %d changed, %d removed", v.Version, v.Added, v.Changed, v.Removed)
	timed("version-run", 1, func(int) { run(list1000) })
	if service.RegistryIndexBuilds(s) != builds || service.RegistryIndexUpdates(s) != 1 {
		b.Fatalf("a version of a few changes: %d builds, %d updates", service.RegistryIndexBuilds(s), service.RegistryIndexUpdates(s))
	}
	timed("version-rerun", reps, func(int) { run(list1000) })
	metrics["records"] = float64(n)
	for k, v := range metrics {
		b.ReportMetric(v, k)
	}
	progress("done")
}

// importHandedOver imports persons as a list from A to B, hands it over and
// has B acknowledge it; it returns the list's id.
func importHandedOver(ctx context.Context, b *testing.B, s *service.Service, from, to access.Actor, persons []person.Person) string {
	var buf bytes.Buffer
	if err := listfile.Write(&buf, listfile.CSV, listfile.Meta{}, persons); err != nil {
		b.Fatal(err)
	}
	out, err := s.ImportList(ctx, from, service.ImportRequest{From: from.Party, To: to.Party, Title: "list of " + strconv.Itoa(len(persons)), Format: listfile.CSV}, &buf)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.HandOver(ctx, from, out.List.ID); err != nil {
		b.Fatal(err)
	}
	if _, err := s.Acknowledge(ctx, to, out.List.ID); err != nil {
		b.Fatal(err)
	}
	return out.List.ID
}

// distinctPersons drops a generated person who repeats an earlier one
// exactly (same name and date of birth), which a list import refuses.
func distinctPersons(ps []person.Person) []person.Person {
	seen := map[string]bool{}
	var out []person.Person
	for _, p := range ps {
		if k := p.IdentityKey(); !seen[k] {
			seen[k] = true
			out = append(out, p)
		}
	}
	return out
}

// cpuSeconds is the CPU time the process has used, user and system.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
