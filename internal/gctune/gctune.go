// Package gctune sets the garbage collector of a long-running server:
// how much the heap may grow between collections (GOGC) and the soft
// memory limit (GOMEMLIMIT) that makes it collect sooner when memory runs
// short.
//
// A server that answers many small requests allocates a little for each
// and keeps a small live heap; at Go's default (100) it collects whenever
// the heap has doubled, a few times a second under load, which costs
// processor time the requests could use. A higher percentage collects
// less often; the memory limit keeps that from growing without bound.
package gctune

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// DefaultGCPercent is the GOGC of a server: collect when the heap has
// grown by four times the live heap.
const DefaultGCPercent = 400

// Settings are the garbage collector's settings.
type Settings struct {
	// GCPercent is as runtime/debug.SetGCPercent; a negative value turns
	// the collector off until the memory limit is reached.
	GCPercent int
	// MemoryLimitMiB is the soft memory limit in MiB; 0 or less means
	// none.
	MemoryLimitMiB int64
}

// Apply sets the settings for the whole process and returns the ones
// they replaced.
func Apply(s Settings) (previous Settings) {
	limit := int64(math.MaxInt64)
	if s.MemoryLimitMiB > 0 && s.MemoryLimitMiB < math.MaxInt64>>20 {
		limit = s.MemoryLimitMiB << 20
	}
	previous.GCPercent = debug.SetGCPercent(s.GCPercent)
	if prev := debug.SetMemoryLimit(limit); prev != math.MaxInt64 {
		previous.MemoryLimitMiB = prev >> 20
	}
	return previous
}

// DefaultMemoryLimitMiB is three quarters of the memory the process may
// use: the machine's (/proc/meminfo), or its control group's limit when
// that is lower (a container). 0 when neither can be read.
func DefaultMemoryLimitMiB() int64 {
	total := int64(0)
	if f, err := os.Open("/proc/meminfo"); err == nil {
		total, _ = memTotal(f)
		f.Close()
	}
	for _, p := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		if b, err := os.ReadFile(p); err == nil {
			if n, ok := cgroupLimit(string(b)); ok && (total == 0 || n < total) {
				total = n
			}
		}
	}
	return total * 3 / 4 >> 20
}

// memTotal reads MemTotal, in bytes, from the text of /proc/meminfo.
func memTotal(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			break
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || kb <= 0 {
			return 0, fmt.Errorf("gctune: MemTotal %q: not a size", rest)
		}
		return kb << 10, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("gctune: read meminfo: %w", err)
	}
	return 0, fmt.Errorf("gctune: no MemTotal in meminfo")
}

// cgroupLimit parses a control group's memory limit in bytes; "max" and
// the huge value of cgroup v1 without a limit are no limit.
func cgroupLimit(s string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 || n >= 1<<60 {
		return 0, false
	}
	return n, true
}

// Current returns the settings in force (from GOGC and GOMEMLIMIT, or
// an earlier Apply).
func Current() Settings {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	s := Settings{GCPercent: p}
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		s.MemoryLimitMiB = l >> 20
	}
	return s
}

// FromFlags is what a command applies: the flags' values, except that a
// setting whose flag was not given keeps what its environment variable
// (GOGC, GOMEMLIMIT) set, when it is set.
func FromFlags(flags Settings, gcPercentGiven, memoryLimitGiven bool, getenv func(string) string) Settings {
	cur := Current()
	if !gcPercentGiven && getenv("GOGC") != "" {
		flags.GCPercent = cur.GCPercent
	}
	if !memoryLimitGiven && getenv("GOMEMLIMIT") != "" {
		flags.MemoryLimitMiB = cur.MemoryLimitMiB
	}
	return flags
}
