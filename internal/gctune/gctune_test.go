package gctune

import (
	"math"
	"os"
	"runtime/debug"
	"strings"
	"testing"
)

func TestApply(t *testing.T) {
	prevPercent := debug.SetGCPercent(100)
	prevLimit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() {
		debug.SetGCPercent(prevPercent)
		debug.SetMemoryLimit(prevLimit)
	})
	tests := []struct {
		name      string
		s         Settings
		wantLimit int64
	}{
		{"defaults of a server", Settings{GCPercent: DefaultGCPercent, MemoryLimitMiB: 3072}, 3072 << 20},
		{"no limit", Settings{GCPercent: 200}, math.MaxInt64},
		{"negative limit is none", Settings{GCPercent: 150, MemoryLimitMiB: -5}, math.MaxInt64},
		{"collector off until the limit", Settings{GCPercent: -1, MemoryLimitMiB: 64}, 64 << 20},
	}
	last := Settings{GCPercent: 100}
	for _, tt := range tests {
		got := Apply(tt.s)
		if got.GCPercent != last.GCPercent {
			t.Errorf("%s: previous GC percent %d, want %d", tt.name, got.GCPercent, last.GCPercent)
		}
		if p := debug.SetGCPercent(tt.s.GCPercent); p != tt.s.GCPercent {
			t.Errorf("%s: GC percent %d, want %d", tt.name, p, tt.s.GCPercent)
		}
		if l := debug.SetMemoryLimit(-1); l != tt.wantLimit {
			t.Errorf("%s: memory limit %d, want %d", tt.name, l, tt.wantLimit)
		}
		last = Settings{GCPercent: tt.s.GCPercent}
	}
}

func TestMemTotal(t *testing.T) {
	f, err := os.Open("testdata/meminfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := memTotal(f)
	if err != nil || n != 8039660<<10 {
		t.Errorf("memTotal = %d, %v; want %d", n, err, int64(8039660)<<10)
	}
	for _, bad := range []string{"", "MemFree: 1 kB\n", "MemTotal: lots kB\n", "MemTotal:\n"} {
		if n, err := memTotal(strings.NewReader(bad)); err == nil {
			t.Errorf("memTotal(%q) = %d, want an error", bad, n)
		}
	}
}

func TestCgroupLimit(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"max\n", 0, false},
		{"9223372036854771712\n", 0, false}, // cgroup v1 without a limit
		{"2147483648\n", 2 << 30, true},
		{"", 0, false},
	}
	for _, tt := range tests {
		n, ok := cgroupLimit(tt.in)
		if n != tt.want || ok != tt.ok {
			t.Errorf("cgroupLimit(%q) = %d, %v; want %d, %v", tt.in, n, ok, tt.want, tt.ok)
		}
	}
}

func TestDefaultMemoryLimit(t *testing.T) {
	if _, err := os.Stat("/proc/meminfo"); err != nil {
		t.Skip("no /proc/meminfo")
	}
	if n := DefaultMemoryLimitMiB(); n <= 0 {
		t.Errorf("DefaultMemoryLimitMiB = %d on a machine with /proc/meminfo", n)
	}
}

func TestFromFlags(t *testing.T) {
	prevPercent := debug.SetGCPercent(250)
	prevLimit := debug.SetMemoryLimit(512 << 20)
	t.Cleanup(func() {
		debug.SetGCPercent(prevPercent)
		debug.SetMemoryLimit(prevLimit)
	})
	flags := Settings{GCPercent: DefaultGCPercent, MemoryLimitMiB: 3000}
	env := map[string]string{"GOGC": "250", "GOMEMLIMIT": "512MiB"}
	tests := []struct {
		name       string
		gcGiven    bool
		limitGiven bool
		env        map[string]string
		want       Settings
	}{
		{"no environment: the flags' defaults", false, false, nil, flags},
		{"environment kept when the flags are not given", false, false, env, Settings{GCPercent: 250, MemoryLimitMiB: 512}},
		{"flags given win over the environment", true, true, env, flags},
		{"one flag given", true, false, env, Settings{GCPercent: DefaultGCPercent, MemoryLimitMiB: 512}},
	}
	for _, tt := range tests {
		got := FromFlags(flags, tt.gcGiven, tt.limitGiven, func(k string) string { return tt.env[k] })
		if got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
