package names

import "strings"

// Query is a name typed as it is heard: while names are called out at a
// handover, or typed into a search box, the clerk writes what he hears in
// whatever script his keyboard has (Shevchenko, Шевченко, Шевченко Сергей
// for a man listed as Шевченко Сергій), often only the beginning of a word.
// A Query matches a person when every word typed is the beginning of the
// skeleton (Key) of one of his name words, or names the same name as one of
// them through the table of correspondences (Микола for Николай).
type Query struct {
	words []queryWord
}

type queryWord struct {
	key   string // skeleton of the typed word
	class string // its equivalence class (Canonical)
}

// NewQuery prepares a typed name for matching. A query without letters or
// digits is empty and matches everybody.
func NewQuery(typed string) Query {
	var q Query
	for _, w := range strings.Fields(Key(typed)) {
		q.words = append(q.words, queryWord{key: w, class: CanonicalKey(w)})
	}
	return q
}

// Empty reports whether nothing searchable was typed.
func (q Query) Empty() bool { return len(q.words) == 0 }

// Matches reports whether every typed word is found among the words of the
// given names (any script; pass both the Cyrillic and the Latin spellings
// when a record has both).
func (q Query) Matches(name ...string) bool {
	if q.Empty() {
		return true
	}
	var have []string
	for _, n := range name {
		have = append(have, strings.Fields(Key(n))...)
	}
	for _, w := range q.words {
		found := false
		for _, h := range have {
			if strings.HasPrefix(h, w.key) || (w.class != w.key && CanonicalKey(h) == w.class) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
