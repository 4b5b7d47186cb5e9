package names

import (
	"strings"
	"testing"
)

func TestQueryMatches(t *testing.T) {
	listed := []string{"Шевченко Сергій Миколайович", "Shevchenko Serhii Mykolaiovych"}
	cases := []struct {
		typed string
		names []string
		want  bool
	}{
		{"", listed, true},
		{"  ", listed, true},
		{"Shevchenko", listed[:1], true},      // Latin typed, Cyrillic listed
		{"Шевченко Сергей", listed[:1], true}, // Russian spelling of the Ukrainian name
		{"shev", listed[:1], true},            // the beginning of a word, as heard
		{"ШЕВЧЕНКО С", listed[:1], true},      // capitals and an initial
		{"Шевчук", listed, false},
		{"Шевченко Петро", listed, false}, // every word must be found
		{"Sergey", listed[:1], true},      // another transliteration
		{"Николаевич", []string{"Коваль Петро Миколайович"}, true},
		{"Коваль", []string{"Kovalenko Ivan"}, true}, // a prefix of the skeleton
		{"Kovalenko", []string{"Коваль Петро"}, false},
	}
	for _, c := range cases {
		if got := NewQuery(c.typed).Matches(c.names...); got != c.want {
			t.Errorf("NewQuery(%q).Matches(%q) = %v, want %v", c.typed, c.names, got, c.want)
		}
	}
}

// TestIndexKey checks that the database form of a query finds what
// Matches finds, so that a search on a page and one in memory agree.
func TestIndexKey(t *testing.T) {
	listed := []string{"Шевченко Сергій Миколайович", "Жук Чорнобай Щука", "Kovalenko Ivan"}
	typed := []string{"Shevchenko", "Сергей", "Николаевич", "sher", "shev serg", "Жук", "zhuk chorn", "Zuk", "Коваль", "Ivan", "Иван Коваленко", "x"}
	like := func(key string, p IndexPattern) bool {
		return strings.Contains(key, " "+p.Prefix) || (p.Class != "" && strings.Contains(key, " ="+p.Class+" "))
	}
	for _, name := range listed {
		key := IndexKey(name)
		if key != strings.ToLower(key) {
			t.Errorf("IndexKey(%q) = %q is not lower-case", name, key)
		}
		for _, q := range typed {
			nq := NewQuery(q)
			got := true
			for _, p := range nq.Patterns() {
				got = got && like(key, p)
			}
			if want := nq.Matches(name); got != want {
				t.Errorf("%q in %q: index says %v, Matches says %v (key %q)", q, name, got, want, key)
			}
		}
	}
}

// TestLowerKey spells the skeleton's one-letter digraphs out.
func TestLowerKey(t *testing.T) {
	for _, c := range []struct{ key, want string }{
		{"", ""},
		{"kovalenko", "kovalenko"},
		{"SevCenko", "shevchenko"},
		{"Zuk", "zhuk"},
		{"ZCS ZCS", "zhchsh zhchsh"},
	} {
		if got := lowerKey(c.key); got != c.want {
			t.Errorf("lowerKey(%q) = %q, want %q", c.key, got, c.want)
		}
	}
}

// BenchmarkSortKey orders names of a list, most of them with digraphs.
func BenchmarkSortKey(b *testing.B) {
	names := []string{"Шевченко Тарас Григорович", "Жук Олег Іванович", "Коваль Олена Іванівна", "Чорновол Вʼячеслав Максимович", "Shevchenko Taras"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_ = SortKey(names[i%len(names)])
	}
}

// TestSortKeyAllocs holds SortKey to the allocations of its result: the
// digraphs' replacer is built once, not on every call (which cost six
// allocations and 5 kB a name).
func TestSortKeyAllocs(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { _ = SortKey("Шевченко Тарас Григорович") }); n > 4 {
		t.Errorf("SortKey allocates %.0f times a call, want at most 4", n)
	}
}
