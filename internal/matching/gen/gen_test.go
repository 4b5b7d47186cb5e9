package gen

import (
	"reflect"
	"strings"
	"testing"

	"parley/internal/names"
)

func TestDeterministicAndConsistent(t *testing.T) {
	cfg := Config{Registry: 1500, List: 500, Seed: 11, Noise: DefaultNoise()}
	a, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed gave different data")
	}
	cfg.Seed = 12
	c, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(a.List, c.List) {
		t.Fatal("different seeds gave the same list")
	}
	if len(a.Registry) != 1500 || len(a.List) != 500 || len(a.Truth) != 500 || len(a.Applied) != 500 {
		t.Fatalf("sizes %d %d %d", len(a.Registry), len(a.List), len(a.Truth))
	}
	present := 0
	used := map[int]bool{}
	for i, tr := range a.Truth {
		if tr < -1 || tr >= len(a.Registry) {
			t.Fatalf("truth %d out of range", tr)
		}
		if tr >= 0 {
			present++
			if used[tr] {
				t.Fatalf("registry row %d drawn twice", tr)
			}
			used[tr] = true
			if got, want := a.List[i].BirthDate.Year, a.Registry[tr].BirthDate.Year; got != 0 && got != want && !has(a.Applied[i], "dob:digit") {
				t.Errorf("row %d: year %d, registry %d, noise %v", i, got, want, a.Applied[i])
			}
		}
	}
	if present != 425 {
		t.Errorf("%d present rows, want 425", present)
	}
	counts := map[string]int{}
	for _, ap := range a.Applied {
		for _, x := range ap {
			counts[strings.SplitN(x, ":", 2)[0]]++
		}
	}
	for kind, lo := range map[string]int{"russian": 250, "latin": 50, "ukrainian": 90, "typo": 30, "initials": 12, "swapped": 5, "no-patronymic": 30} {
		if counts[kind] < lo {
			t.Errorf("%s applied to %d rows, want at least %d (counts %v)", kind, counts[kind], lo, counts)
		}
	}
	for i, p := range a.Registry {
		if p.Surname == "" && p.SurnameLatin == "" {
			t.Fatalf("registry row %d has no surname", i)
		}
		if errs := p.Validate(); len(errs) > 0 {
			t.Fatalf("registry row %d invalid: %v", i, errs)
		}
		if p.Status == "" {
			t.Fatalf("registry row %d has no status", i)
		}
		patr := p.Patronymic
		if patr != "" && !names.IsPatronymic(patr) {
			t.Errorf("registry row %d: patronymic %q", i, patr)
		}
		if p.Sex == "F" && patr != "" && !strings.HasSuffix(patr, "вна") && !strings.HasSuffix(patr, "на") {
			t.Errorf("registry row %d: woman with patronymic %q", i, patr)
		}
	}
	seen := map[string]bool{}
	for _, p := range a.Registry {
		if seen[p.IdentityKey()] {
			t.Fatalf("registry entry %q twice", p.IdentityKey())
		}
		seen[p.IdentityKey()] = true
	}
	seen = map[string]bool{}
	for i, p := range a.List {
		if seen[p.IdentityKey()] {
			t.Fatalf("list entry %q twice", p.IdentityKey())
		}
		seen[p.IdentityKey()] = true
		if errs := p.Validate(); len(errs) > 0 {
			t.Fatalf("list row %d invalid: %v (%+v)", i, errs, p)
		}
	}
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestRejectsBadConfig(t *testing.T) {
	for _, c := range []Config{{Registry: 0, List: 1}, {Registry: 10, List: -1}, {Registry: 10, List: 100}, {Registry: 10, List: 5, Present: 2}} {
		if _, err := Generate(c); err == nil {
			t.Errorf("Generate(%+v) succeeded", c)
		}
	}
}

func TestVariantNamesakesAndDuplicates(t *testing.T) {
	d, err := Generate(Variant(20000, 2000, 5))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(d.DuplicateOf); n < 100 || n > 300 {
		t.Errorf("%d duplicate records in 20,000, want about 1%%", n)
	}
	for dup, orig := range d.DuplicateOf {
		if orig >= dup || orig < 0 {
			t.Fatalf("duplicate %d points at %d", dup, orig)
		}
		if _, chained := d.DuplicateOf[orig]; chained {
			t.Errorf("duplicate %d points at another duplicate %d", dup, orig)
		}
		if !d.Same(dup, orig) || !d.Same(orig, dup) || d.Same(dup, -1) {
			t.Errorf("Same(%d, %d) wrong", dup, orig)
		}
		if a, b := d.Registry[dup], d.Registry[orig]; a.IdentityKey() == b.IdentityKey() {
			t.Errorf("duplicate %d is an exact copy", dup)
		}
	}
	for i, tr := range d.Truth {
		if _, dup := d.DuplicateOf[tr]; dup {
			t.Errorf("list row %d drawn from the duplicate %d", i, tr)
		}
	}
	full := map[string]int{}
	for _, p := range d.Registry {
		if p.Surname != "" {
			full[p.Surname+" "+p.GivenNames+" "+p.Patronymic]++
		}
	}
	namesakes := 0
	for _, n := range full {
		if n > 1 {
			namesakes += n
		}
	}
	if namesakes < 1000 {
		t.Errorf("%d records share a full name with another, want at least the 5%% drawn as namesakes", namesakes)
	}
	// The default configuration is unchanged by the variant's options.
	a, _ := Generate(Config{Registry: 500, List: 100, Seed: 3, Noise: DefaultNoise()})
	if len(a.DuplicateOf) != 0 {
		t.Errorf("default data have %d duplicates", len(a.DuplicateOf))
	}
}
