package service

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"parley/internal/listfile"
	"parley/internal/listfile/hostile"
	"parley/internal/store/storetest"
)

// memoryPeak samples the memory the Go runtime holds from the system
// (everything it has mapped, less what it has given back) until stopped,
// and returns the highest figure: the process's footprint as far as Go
// code can make it grow.
func memoryPeak() (stop func() uint64) {
	samples := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(samples)
			peak = max(peak, samples[0].Value.Uint64()-samples[1].Value.Uint64())
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak }
}

// hostileFile opens a file of the corpus as an upload: a plain stream.
func hostileFile(t *testing.T, f hostile.File, dir string) io.ReadCloser {
	t.Helper()
	path, err := f.Path(filepath.Join("..", "listfile", "testdata", "hostile"), dir)
	if err != nil {
		t.Fatal(err)
	}
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return struct {
		io.Reader
		io.Closer
	}{file, file}
}

// Bounds on one hostile import, counted, not timed, so that a loaded
// machine cannot fail them. Every file of the corpus kept in the
// repository is smaller than hostileReadMax: only the large ones made on
// the fly (the 50 MiB line, the million columns or keys, the endless
// string) must be refused before their end, as they are when nothing
// reads a whole cell, line or entry before checking it.
// hostileImportGuard fails an import that never returns.
const (
	hostileReadMax     = 1 << 20
	hostileImportGuard = 60 * time.Second
)

// TestHostileImports imports every file of the hostile corpus, as a list
// and as a registry, with and without skipping invalid rows, on SQLite and
// PostgreSQL: each is refused with its problem, having read at most
// hostileReadMax bytes of the upload, in bounded memory, and nothing is
// stored.
func TestHostileImports(t *testing.T) {
	large := t.TempDir()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s := newService(t, b)
		s.Limits.TempDir = filepath.Join(b.DataDir, "tmp")
		ctx := context.Background()
		for _, f := range hostile.Corpus() {
			format, err := listfile.FormatFromName(f.Name)
			if err != nil {
				t.Fatal(err)
			}
			for _, skip := range []bool{false, true} {
				for _, registry := range []bool{false, true} {
					lists0, reg0 := stored(t, s)
					rc := hostileFile(t, f, large)
					in := &hostile.CountingReader{R: rc}
					what := f.Name
					if registry {
						what += " as a registry"
					}
					if skip {
						what += " skipping invalid rows"
					}
					stop := memoryPeak()
					var res *ImportResult
					done := make(chan struct{})
					go func() {
						defer close(done)
						if registry {
							res, err = s.ImportRegistry(ctx, officerA, RegistryImportRequest{Party: "A", Format: format, SkipInvalid: skip}, in)
						} else {
							res, err = s.ImportList(ctx, officerA, ImportRequest{From: "A", To: "B", Title: "hostile", Format: format, SkipInvalid: skip}, in)
						}
					}()
					select {
					case <-done:
					case <-time.After(hostileImportGuard):
						t.Fatalf("%s: the import had not returned after %v", what, hostileImportGuard)
					}
					peak := stop()
					rc.Close()
					if in.N > hostileReadMax {
						t.Errorf("%s: read %d bytes of the upload before refusing it, want at most %d", what, in.N, hostileReadMax)
					}
					if peak > 256<<20 {
						t.Errorf("%s: memory peaked at %d MiB, want < 256 MiB", what, peak>>20)
					}
					checkHostileImport(t, what, f, skip, res, err)
					if lists1, reg1 := stored(t, s); (f.Refused || !skip) && (lists1 != lists0 || reg1 != reg0) {
						t.Errorf("%s: refused, yet stored: lists %d → %d, registry records %d → %d", what, lists0, lists1, reg0, reg1)
					}
				}
			}
			if left, _ := os.ReadDir(s.Limits.TempDir); len(left) > 0 {
				t.Errorf("%s: temporary files left: %v", f.Name, left)
			}
		}
	})
}

// stored counts the lists and the registry records of party A.
func stored(t *testing.T, s *Service) (lists, records int) {
	t.Helper()
	ctx := context.Background()
	ls, err := s.ListLists(ctx, officerA)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := s.Registry(ctx, officerA, "A")
	if err != nil {
		t.Fatal(err)
	}
	return len(ls), len(reg)
}

func checkHostileImport(t *testing.T, what string, f hostile.File, skip bool, res *ImportResult, err error) {
	t.Helper()
	var ie *ImportError
	if f.Refused {
		if !errors.As(err, &ie) || !ie.Refused || len(ie.Problems) != 1 {
			t.Errorf("%s: err = %v, want a refusal", what, err)
			return
		}
		if p := ie.Problems[0]; p.Code != f.Code || ie.TooLarge != f.TooLarge {
			t.Errorf("%s: refused with %q (code %s, too large %v), want code %s, too large %v", what, p, p.Code, ie.TooLarge, f.Code, f.TooLarge)
		}
		if res != nil && (res.List != nil || res.Imported != 0) {
			t.Errorf("%s: refused, yet imported %d rows", what, res.Imported)
		}
		return
	}
	// A problem of single rows: refused as a whole, or, when skipping,
	// those rows are left out and listed.
	var problems []listfile.Problem
	switch {
	case errors.As(err, &ie):
		problems = ie.Problems
	case err == nil && skip:
		problems = res.Read.Problems
	case err != nil && skip:
		// Nothing valid was left to import.
		if res != nil {
			problems = res.Read.Problems
		}
	default:
		t.Errorf("%s: err = %v, want the file refused", what, err)
		return
	}
	for _, p := range problems {
		if p.Code == f.Code {
			if p.Row < 1 && f.Code != listfile.CodeMixedEncoding {
				t.Errorf("%s: problem %q has no row", what, p)
			}
			return
		}
	}
	t.Errorf("%s: problems %v, want one coded %s", what, problems, f.Code)
}
