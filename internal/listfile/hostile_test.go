package listfile_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"parley/internal/listfile"
	"parley/internal/listfile/hostile"
)

// hostilePath returns the file of the corpus on disk: the kept copy in
// testdata/hostile, or, for the large ones, a copy made in dir.
func hostilePath(t testing.TB, f hostile.File, dir string) string {
	t.Helper()
	p, err := f.Path(filepath.Join("testdata", "hostile"), dir)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// stream hides everything but Read, as an upload arrives.
type stream struct{ io.Reader }

// countingArchive is a workbook read in place, through ReadAt, that counts
// the bytes read: of a compressed part, how much of it was unpacked.
type countingArchive struct {
	*os.File
	n atomic.Int64
}

func (c *countingArchive) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.File.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

// hangGuard is how long reading one file may go on before the test takes
// it for a reader that never returns. The bounds of these tests are
// counted, not timed, so that a loaded machine cannot fail them; this is
// only there so that a reader stuck in a loop fails rather than hangs.
const hangGuard = 60 * time.Second

// allocated runs fn and returns the bytes it allocated on the heap
// (runtime.MemStats.TotalAlloc, which only grows, so that memory
// collected while reading still counts). The tests of this package do not
// run in parallel, so the figure is fn's own, give or take the runtime's.
// The test fails if fn has not returned within hangGuard.
func allocated(t testing.TB, fn func()) uint64 {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(hangGuard):
		t.Fatalf("reading had not returned after %v", hangGuard)
	}
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// readHostile reads one file as an upload would be read and returns, with
// what was read, the bytes taken from the upload.
func readHostile(path, tmp string) (*listfile.Result, int64, error) {
	format, err := listfile.FormatFromName(path)
	if err != nil {
		return nil, 0, err
	}
	file, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer file.Close()
	in := &hostile.CountingReader{R: file}
	res, err := listfile.ReadContext(context.Background(), stream{in}, listfile.Options{Format: format, Limits: listfile.Limits{TempDir: tmp}})
	return res, in.N, err
}

// checkHostile checks what reading a file of the corpus gave.
func checkHostile(t testing.TB, f hostile.File, res *listfile.Result, err error) {
	t.Helper()
	if f.Refused {
		r, ok := listfile.AsRefusal(err)
		if !ok {
			t.Fatalf("%s: err = %v, want a refusal coded %s", f.Name, err, f.Code)
		}
		if r.Code != f.Code || r.TooLarge != f.TooLarge {
			t.Fatalf("%s: refusal %q (code %s, too large %v), want code %s, too large %v", f.Name, r.Problem, r.Code, r.TooLarge, f.Code, f.TooLarge)
		}
		return
	}
	if err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
	for _, p := range res.Problems {
		if p.Code == f.Code {
			return
		}
	}
	t.Fatalf("%s: problems %v, want one coded %s", f.Name, res.Problems, f.Code)
}

// Bounds on the work of refusing one hostile file, counted, not timed.
// Each file of the corpus kept in the repository is smaller than
// hostileReadMax, so only the large ones made on the fly (the 50 MiB line,
// the million columns or keys, the endless string) must be refused before
// their end: a reader that held a whole cell, line or entry before
// checking it would read them to the end. hostileAllocMax is generous —
// the files take 2 MiB at most — while a reader that unpacked a bomb
// or held a large file would allocate hundreds of MiB.
const (
	hostileReadMax  = 1 << 20
	hostileAllocMax = 32 << 20
)

// TestHostileCorpus reads every hostile file: each must be refused (or its
// row reported) with the expected problem, having read at most
// hostileReadMax bytes of the upload and allocated at most
// hostileAllocMax, and no temporary file may be left behind.
func TestHostileCorpus(t *testing.T) {
	dir := t.TempDir()
	for _, f := range hostile.Corpus() {
		t.Run(f.Name, func(t *testing.T) {
			path := hostilePath(t, f, dir)
			tmp := t.TempDir()
			var (
				res  *listfile.Result
				read int64
				err  error
			)
			alloc := allocated(t, func() { res, read, err = readHostile(path, tmp) })
			t.Logf("read %d bytes of the upload, allocated %d KiB", read, alloc>>10)
			if read > hostileReadMax {
				t.Errorf("read %d bytes of the upload before refusing it, want at most %d", read, hostileReadMax)
			}
			if alloc > hostileAllocMax {
				t.Errorf("allocated %d MiB, want at most %d MiB", alloc>>20, hostileAllocMax>>20)
			}
			checkHostile(t, f, res, err)
			if left, _ := os.ReadDir(tmp); len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
}

// TestHostileMemory reads every hostile file in a process of its own —
// one process for the whole corpus, reading the files one after another —
// and checks that the process's peak resident memory (VmHWM, which only
// grows) stays under 256 MiB after each file.
func TestHostileMemory(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc on this system")
	}
	dir := t.TempDir()
	var paths []string
	for _, f := range hostile.Corpus() {
		p, _ := filepath.Abs(hostilePath(t, f, dir))
		paths = append(paths, p)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHostileChild$", "-test.v")
	cmd.Env = append(os.Environ(), "PARLEY_HOSTILE_FILES="+strings.Join(paths, string(os.PathListSeparator)), "PARLEY_HOSTILE_TMP="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	seen := 0
	for _, line := range strings.Split(string(out), "\n") {
		fields := strings.Fields(line)
		if len(fields) != 3 || fields[0] != "peak-rss-kib" {
			continue
		}
		seen++
		peak, _ := strconv.Atoi(fields[2])
		t.Logf("%s: peak RSS so far %d MiB", fields[1], peak>>10)
		if peak > 256<<10 {
			t.Errorf("%s: peak RSS %d MiB, want < 256 MiB", fields[1], peak>>10)
		}
	}
	if seen != len(paths) {
		t.Fatalf("child reported %d of %d files:\n%s", seen, len(paths), out)
	}
}

// TestHostileChild is the child of TestHostileMemory.
func TestHostileChild(t *testing.T) {
	list := os.Getenv("PARLEY_HOSTILE_FILES")
	if list == "" {
		t.Skip("run by TestHostileMemory")
	}
	byName := map[string]hostile.File{}
	for _, f := range hostile.Corpus() {
		byName[f.Name] = f
	}
	for _, path := range filepath.SplitList(list) {
		res, _, err := readHostile(path, os.Getenv("PARLEY_HOSTILE_TMP"))
		checkHostile(t, byName[filepath.Base(path)], res, err)
		fmt.Printf("peak-rss-kib %s %d\n", filepath.Base(path), PeakRSSKiB())
	}
}

// PeakRSSKiB reads the process's peak resident set size.
func PeakRSSKiB() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return -1
}

// TestHostileWithinDirectoryLimits reads the zip bombs with the zip
// directory checks opened wide, so that the limits enforced while
// unpacking must stop them: the length of a value, the number of rows.
// The workbook is read in place, and the compressed bytes read from it say
// how much was unpacked: a reader that stopped at the limit reads a small
// share of the bomb; one that unpacked it all, or held it, reads all of it
// and allocates hundreds of MiB.
func TestHostileWithinDirectoryLimits(t *testing.T) {
	wide := listfile.Limits{UnzippedBytes: 1 << 40, ZipRatio: 1 << 40, Rows: 1000}
	tests := []struct {
		name, code string
		// readMax bounds the compressed bytes read, in all: the zip
		// directory, the small parts and the share of the bomb unpacked.
		readMax int64
	}{
		{"bomb_cell.xlsx", listfile.CodeCellTooLong, 64 << 10},
		{"bomb_shared_strings.xlsx", listfile.CodeCellTooLong, 64 << 10},
		{"bomb_rows.xlsx", listfile.CodeTooManyRows, 64 << 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", "hostile", tt.name))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			st, err := f.Stat()
			if err != nil {
				t.Fatal(err)
			}
			in := &countingArchive{File: f}
			alloc := allocated(t, func() {
				_, err = listfile.Read(in, listfile.Options{Format: listfile.XLSX, Limits: wide})
			})
			if r, ok := listfile.AsRefusal(err); !ok || r.Code != tt.code {
				t.Errorf("err = %v, want a refusal coded %s", err, tt.code)
			}
			read := in.n.Load()
			t.Logf("read %d of %d compressed bytes, allocated %d KiB", read, st.Size(), alloc>>10)
			if read > tt.readMax {
				t.Errorf("read %d of the %d compressed bytes, want at most %d", read, st.Size(), tt.readMax)
			}
			if alloc > hostileAllocMax {
				t.Errorf("allocated %d MiB, want at most %d MiB", alloc>>20, hostileAllocMax>>20)
			}
		})
	}
}

// TestReadCancelled checks that reading stops once the context is done.
func TestReadCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := listfile.ReadContext(ctx, strings.NewReader("Прізвище\nКоваль\n"), listfile.Options{Format: listfile.CSV})
	if r, ok := listfile.AsRefusal(err); !ok || r.Code != listfile.CodeCancelled {
		t.Fatalf("err = %v, want a cancelled refusal", err)
	}
}

// atEOF calls fn once the stream has been read to its end.
type atEOF struct {
	r  io.Reader
	fn func()
}

func (a *atEOF) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if err == io.EOF && a.fn != nil {
		a.fn()
		a.fn = nil
	}
	return n, err
}

// TestUploadSpooledInTempDir checks that a workbook arriving as a stream is
// kept, while it is read, in Limits.TempDir — and only there — and removed
// afterwards.
func TestUploadSpooledInTempDir(t *testing.T) {
	data, err := os.ReadFile("testdata/dates.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	var during []os.DirEntry
	r := &atEOF{r: strings.NewReader(string(data)), fn: func() { during, _ = os.ReadDir(tmp) }}
	if _, err := listfile.Read(stream{r}, listfile.Options{Format: listfile.XLSX, Limits: listfile.Limits{TempDir: tmp}}); err != nil {
		t.Fatal(err)
	}
	if len(during) != 1 {
		t.Errorf("while reading, %s held %v; want the one upload", tmp, during)
	}
	if after, _ := os.ReadDir(tmp); len(after) != 0 {
		t.Errorf("after reading, %s holds %v", tmp, after)
	}
}
