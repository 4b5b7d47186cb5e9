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

// IndexKey is what a database compares a Query with, one column per
// record: " w1 w2 … =c1 =c2 … " with the skeletons of the name words and
// their classes (Canonical). It is lower-case ASCII: the letters that Key writes in capitals
// (Z, C, S for ж, ч, ш) become "zh", "ch", "sh", which cannot be confused
// with other skeletons since Key never writes an "h"; so a database's
// case-blind LIKE gives the same answer as a case-sensitive one.
func IndexKey(name ...string) string {
	var b strings.Builder
	b.WriteByte(' ')
	var classes []string
	seen := map[string]bool{}
	for _, n := range name {
		for _, w := range strings.Fields(Key(n)) {
			if seen[w] {
				continue
			}
			seen[w] = true
			b.WriteString(lowerKey(w))
			b.WriteByte(' ')
			// The class is written even when it is the word's own
			// skeleton: a class is named by one of its members.
			classes = append(classes, CanonicalKey(w))
		}
	}
	for _, c := range classes {
		b.WriteByte('=')
		b.WriteString(lowerKey(c))
		b.WriteByte(' ')
	}
	if b.Len() == 1 {
		return ""
	}
	return b.String()
}

// IndexPattern is how one typed word is looked for in an IndexKey: the
// beginning of a word (" " + Prefix), or, when Class is set, the word's
// class as a whole token (" =" + Class + " ").
type IndexPattern struct {
	Prefix string
	Class  string
}

// Patterns returns one pattern per typed word; a record matches when its
// IndexKey matches every pattern.
func (q Query) Patterns() []IndexPattern {
	out := make([]IndexPattern, 0, len(q.words))
	for _, w := range q.words {
		p := IndexPattern{Prefix: lowerKey(w.key)}
		if w.class != w.key {
			p.Class = lowerKey(w.class)
		}
		out = append(out, p)
	}
	return out
}

// digraphs spells the skeleton's one-letter digraphs out. A Replacer is
// safe for concurrent use and builds its tables on first use, so one
// serves every call.
var digraphs = strings.NewReplacer("Z", "zh", "C", "ch", "S", "sh")

func lowerKey(k string) string {
	if !strings.ContainsAny(k, "ZCS") {
		return k
	}
	return digraphs.Replace(k)
}

// SortKey orders names alike in every database whatever its collation:
// the skeleton without spaces, in lower-case ASCII letters and digits,
// which follows the order of the names' Latin romanization (Жук as zhuk,
// Шевченко as shevchenko).
func SortKey(name string) string { return lowerKey(KeyJoined(name)) }
