package names

import "testing"

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
