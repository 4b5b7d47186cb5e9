// Package names compares personal names across Ukrainian, Russian and Latin
// script, the way they appear on the lists of prisoners that two parties
// exchange: one side writes "Шевченко Сергей Николаевич", the other's
// registry holds "Шевченко Сергій Миколайович", a third document
// "Shevchenko Serhii".
//
// Two tools work together:
//
//   - Key, a skeleton that folds spelling differences (scripts, the many
//     transliterations, ё/е, і/и/ї/й/ы, г/ґ/х/h/g, apostrophes, doubled
//     letters, the endings -ий/-ій/-iy/-yi/-ii) without a dictionary;
//   - Canonical and PatronymicRoot, equivalence classes built from a table
//     of about 19,800 Ukrainian–Russian name correspondences (Сергій and
//     Сергей, Микола and Николай, Миколайович and Николаевич) plus a small
//     hand-written table of common given names, for names whose forms differ
//     by more than spelling.
//
// The correspondences are data-src/legacy_ua2ru.csv of the names-translator
// project by Dmitry Chaplinsky (MIT License; see data/LICENSE), embedded in
// the binary.
package names

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"unicode"
)

//go:embed data/ua2ru.csv
var ua2ruCSV []byte

// Entry is one row of the table of name correspondences.
type Entry struct {
	UK, RU  string
	Primary bool // the primary Russian form of UK (count 2); false for an alternative (count 1)
}

type class struct {
	id       string   // canonical id: the key of the first form added
	forms    []string // forms as written, Cyrillic, without duplicates
	initials string   // possible first letters of the key, see Initials
	keys     []string // skeletons of the forms
	father   int32    // for a class of patronymics: the class of the father's given name, or -1
	isGiven  bool     // a given name: in the hand-written table, or the father of a class of patronymics
}

type table struct {
	classOf map[string]int32 // key (joined) → class
	classes []class
	entries []Entry
	ruOf    map[string]string // lower-case Ukrainian form → primary Russian form
}

var (
	tableOnce sync.Once
	tbl       *table
	tableErr  error
)

func load() *table {
	tableOnce.Do(func() {
		tbl, tableErr = build(bytes.NewReader(ua2ruCSV))
		if tableErr != nil {
			// The data is embedded and tested; a failure here is a build defect.
			panic(fmt.Sprintf("names: embedded ua2ru.csv: %v", tableErr))
		}
	})
	return tbl
}

// Entries returns the rows of the embedded table of correspondences, in file
// order, as written (the data has some dirt: a Latin "i" inside Cyrillic
// words, words in capitals, a few double names).
func Entries() []Entry {
	t := load()
	out := make([]Entry, len(t.entries))
	copy(out, t.entries)
	return out
}

// unionFind joins keys into classes.
type unionFind struct {
	idx    map[string]int32
	keys   []string
	forms  [][]string
	parent []int32
}

func (u *unionFind) add(key, form string) int32 {
	i, ok := u.idx[key]
	if !ok {
		i = int32(len(u.keys))
		u.idx[key] = i
		u.keys = append(u.keys, key)
		u.forms = append(u.forms, nil)
		u.parent = append(u.parent, i)
	}
	if form != "" {
		u.forms[i] = append(u.forms[i], form)
	}
	return i
}

func (u *unionFind) find(i int32) int32 {
	for u.parent[i] != i {
		u.parent[i] = u.parent[u.parent[i]]
		i = u.parent[i]
	}
	return i
}

func (u *unionFind) union(a, b int32) {
	ra, rb := u.find(a), u.find(b)
	if ra == rb {
		return
	}
	// The smaller index stays the root, so a class is named after the form
	// that was added first (hand-written table first, then file order).
	if rb < ra {
		ra, rb = rb, ra
	}
	u.parent[rb] = ra
}

// tokens splits a cell of the table into name words: spaces, brackets,
// commas and slashes separate; hyphenated names stay whole.
func tokens(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == '(' || r == ')' || r == ',' || r == '/' || r == ';'
	})
}

func build(r io.Reader) (*table, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 3
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("reading header: %w", err)
	}
	if strings.Join(head, ",") != "uk,ru,count" {
		return nil, fmt.Errorf("unexpected header %q", head)
	}
	t := &table{ruOf: map[string]string{}}
	u := &unionFind{idx: map[string]int32{}}
	pair := func(a, b string) {
		ka, kb := KeyJoined(a), KeyJoined(b)
		if ka == "" || kb == "" {
			return
		}
		u.union(u.add(ka, a), u.add(kb, b))
	}
	for _, g := range commonGiven {
		pair(g.UK, g.RU)
		for _, o := range g.Other {
			pair(g.UK, o)
		}
		t.ruOf[strings.ToLower(g.UK)] = g.RU
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading correspondences: %w", err)
		}
		e := Entry{UK: strings.TrimSpace(rec[0]), RU: strings.TrimSpace(rec[1]), Primary: strings.TrimSpace(rec[2]) == "2"}
		t.entries = append(t.entries, e)
		uk, ru := tokens(e.UK), tokens(e.RU)
		if len(uk) != len(ru) {
			continue
		}
		for i := range uk {
			pair(uk[i], ru[i])
			if e.Primary && len(uk) == 1 {
				if _, ok := t.ruOf[strings.ToLower(uk[i])]; !ok {
					t.ruOf[strings.ToLower(uk[i])] = ru[i]
				}
			}
		}
	}

	// Number the classes by their roots.
	t.classOf = make(map[string]int32, len(u.keys))
	rootClass := map[int32]int32{}
	for i := range u.keys {
		root := u.find(int32(i))
		c, ok := rootClass[root]
		if !ok {
			c = int32(len(t.classes))
			rootClass[root] = c
			t.classes = append(t.classes, class{id: u.keys[root], father: -1})
		}
		t.classOf[u.keys[i]] = c
		t.classes[c].forms = append(t.classes[c].forms, u.forms[i]...)
		t.classes[c].keys = append(t.classes[c].keys, u.keys[i])
	}
	for i := range t.classes {
		c := &t.classes[i]
		c.forms = dedupeFold(c.forms)
		c.initials = initialsOf(c.forms)
	}
	t.linkPatronymics(u)
	for _, g := range commonGiven {
		t.classes[t.classOf[KeyJoined(g.UK)]].isGiven = true
	}
	return t, nil
}

// dedupeFold removes forms that differ only in letter case, keeping the
// first, title-cased form.
func dedupeFold(forms []string) []string {
	seen := map[string]bool{}
	out := forms[:0]
	for _, f := range forms {
		l := strings.ToLower(f)
		if seen[l] {
			continue
		}
		seen[l] = true
		out = append(out, f)
	}
	return out
}

// iotated letters are written with a leading Y, I or J in Latin (Євген →
// Yevhen, Юрій → Yurii), so a Latin initial "Y." may stand for them.
const iotated = "ЄЮЯЇЙєюяїйЕеЁё"

func initialsOf(forms []string) string {
	var set []byte
	addb := func(b byte) {
		if bytes.IndexByte(set, b) < 0 {
			set = append(set, b)
		}
	}
	for _, f := range forms {
		k := Key(f)
		if k == "" {
			continue
		}
		addb(k[0])
		for _, r := range f {
			if strings.ContainsRune(iotated, r) {
				addb('i')
			}
			break
		}
	}
	sort.Slice(set, func(i, j int) bool { return set[i] < set[j] })
	return string(set)
}

// IsPatronymic reports whether a name has the ending of a patronymic
// (-ович, -евич, -ич, -івна, -овна, -ична in any script), as opposed to a
// given name written in its place.
func IsPatronymic(name string) bool { return looksPatronymic(KeyJoined(name)) }

// looksPatronymic reports whether a key has the ending of a patronymic
// (-ович, -евич, -ич, -івна, -овна, -ична).
func looksPatronymic(k string) bool {
	for _, suf := range []string{"viC", "vna", "iC", "iCna"} {
		if strings.HasSuffix(k, suf) {
			return true
		}
	}
	return false
}

// linkPatronymics points each class of patronymics at the class of the
// father's given name: for every form that is not itself a patronymic, the
// Ukrainian and Russian patronymics are derived by the grammar rules and
// looked up among the known forms. A class keeps its first link, and the
// hand-written table of common names comes first.
func (t *table) linkPatronymics(u *unionFind) {
	var buf []byte
	for i, key := range u.keys {
		if looksPatronymic(key) || len(u.forms[i]) == 0 || looksSurname(u.forms[i][0]) {
			continue
		}
		given := t.classOf[key]
		// One form per key is enough: the others have the same key.
		for _, cand := range patronymicCandidates(u.forms[i][0]) {
			buf = AppendKeyJoined(buf[:0], cand)
			pc, ok := t.classOf[string(buf)]
			if !ok || pc == given || t.classes[pc].father >= 0 {
				continue
			}
			t.classes[pc].father = given
			t.classes[given].isGiven = true
		}
	}
}

// looksSurname reports whether a name has an ending that only surnames
// have (-енко, -ук, -ський, -ова …), so that no patronymic is derived
// from it.
func looksSurname(s string) bool {
	for _, suf := range []string{"енко", "ук", "юк", "ський", "цький", "зький", "ська", "цька", "ова", "ева", "єва", "ина", "іна", "их"} {
		if strings.HasSuffix(s, suf) {
			return true
		}
	}
	return false
}

// patronymicCandidates derives the possible Ukrainian and Russian
// patronymics (male and female) of a father's given name by the grammar
// rules. Some candidates are wrong for a given name; only those found among
// the known forms are used.
func patronymicCandidates(father string) []string {
	r := []rune(strings.ToLower(strings.TrimSpace(father)))
	n := len(r)
	if n < 3 {
		return nil
	}
	f := string(r)
	s1 := string(r[:n-1])
	s2 := string(r[:n-2])
	last, prev := r[n-1], r[n-2]
	var c []string
	switch last {
	case 'й':
		c = append(c, f+"ович", s1+"ївна", s1+"евич", s1+"евна")
		if prev == 'и' {
			c = append(c, s2+"ьевич", s2+"ьевна", s2+"иевич", s2+"иевна")
		}
	case 'о':
		c = append(c, s1+"ович", s1+"івна")
	case 'а':
		c = append(c, s1+"айович", s1+"аївна", s1+"ович", s1+"івна", s1+"ич", s1+"ична", s1+"инична")
	case 'я':
		c = append(c, s1+"іч", s1+"івна", s1+"ич", s1+"инична")
	case 'ь':
		c = append(c, f+"ович", s1+"івна", s1+"евич", s1+"евна")
	default:
		if prev == 'і' { // Яків → Якович, Яківна; Федір → Федорович
			c = append(c, s2+"о"+string(last)+"ович", s2+"о"+string(last)+"ич", s2+"о"+string(last)+"івна", f+"на")
		}
		c = append(c, f+"ович", f+"івна", f+"овна", f+"евич", f+"евна", f+"левич", f+"левна")
		if prev == 'е' {
			c = append(c, s2+string(last)+"ович", s2+string(last)+"овна", s2+"ь"+string(last)+"ович", s2+"ь"+string(last)+"овна")
		}
		if prev == 'и' && last == 'л' {
			c = append(c, s2+"йлович", s2+"йловна")
		}
	}
	return c
}

// UkrainianPatronymic returns the Ukrainian patronymic derived from a
// father's Ukrainian given name (Микола → Миколайович, Миколаївна; Ілля →
// Ілліч, Іллівна; Яків → Якович, Яківна), preferring the form found in the
// table of correspondences.
func UkrainianPatronymic(father string, female bool) string {
	t := load()
	fc, known := t.classOf[KeyJoined(father)]
	var first string
	for _, cand := range patronymicCandidates(father) {
		if !isUkrainianPatronymic(cand, female) {
			continue
		}
		if first == "" {
			first = cand
		}
		if pc, ok := t.classOf[KeyJoined(cand)]; ok && known && t.classes[pc].father == fc {
			return titleCase(cand)
		}
	}
	return titleCase(first)
}

func isUkrainianPatronymic(s string, female bool) bool {
	if female {
		return strings.HasSuffix(s, "івна") || strings.HasSuffix(s, "ївна") || (strings.HasSuffix(s, "на") && !strings.HasSuffix(s, "овна") && !strings.HasSuffix(s, "евна") && !strings.HasSuffix(s, "ична"))
	}
	return strings.HasSuffix(s, "ович") || strings.HasSuffix(s, "іч") || strings.HasSuffix(s, "йович")
}

func titleCase(s string) string {
	r := []rune(s)
	if len(r) == 0 {
		return s
	}
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// Russian returns the primary Russian form of a Ukrainian name from the
// table of correspondences, keeping the letter case of the first letter;
// ok is false when the table does not know the name.
func Russian(uk string) (ru string, ok bool) {
	t := load()
	ru, ok = t.ruOf[strings.ToLower(strings.TrimSpace(uk))]
	if !ok {
		return "", false
	}
	r := []rune(strings.ToLower(ru))
	if len(r) > 0 {
		r[0] = unicode.ToUpper(r[0])
	}
	return string(r), true
}

// Canonical returns the id of the equivalence class of a name across
// Ukrainian, Russian and Latin spellings: Canonical("Сергій"),
// Canonical("Сергей"), Canonical("Serhii") and Canonical("Sergey") are
// equal, and so are Canonical("Микола"), Canonical("Николай") and
// Canonical("Mykola"). The classes cover given names, patronymics and the
// surnames of the table of correspondences; a name the table does not know
// is its own class, named by its skeleton. The id is meant for comparison
// only.
func Canonical(name string) string { return CanonicalKey(KeyJoined(name)) }

// CanonicalKey is Canonical for a name whose skeleton (KeyJoined) is
// already known.
func CanonicalKey(k string) string {
	if k == "" {
		return ""
	}
	t := load()
	if c, ok := t.classOf[k]; ok {
		return t.classes[c].id
	}
	return k
}

// IsGivenName reports whether a name is known as a given name: it is in the
// table of common given names, or patronymics derived from it are known.
// (Many given names are surnames too; this says only that the name can be
// a given name.)
func IsGivenName(name string) bool {
	t := load()
	c, ok := t.classOf[KeyJoined(name)]
	return ok && t.classes[c].isGiven
}

// Variants returns the Cyrillic forms known for the class of a name
// (Сергій, Сергей for "Serhii"); nil when the table does not know it.
func Variants(name string) []string {
	t := load()
	c, ok := t.classOf[KeyJoined(name)]
	if !ok {
		return nil
	}
	out := make([]string, len(t.classes[c].forms))
	copy(out, t.classes[c].forms)
	return out
}

// ClassKeys returns the skeletons (see KeyJoined) of all the known forms of
// the class whose id is given (an id returned by Canonical or
// PatronymicRoot), for comparing a misspelt name with every form of a class;
// nil when the id is not a class of the table. The slice must not be
// modified.
func ClassKeys(id string) []string {
	t := load()
	c, ok := t.classOf[id]
	if !ok {
		return nil
	}
	return t.classes[c].keys
}

// Initials returns the possible first letters of the skeleton of a name and
// of every known variant of it, for comparing an initial ("О." or "A." for
// Олексій/Алексей, "Y." for Євген/Yevhen). The result is a short sorted
// string of key letters.
func Initials(name string) string {
	k := KeyJoined(name)
	if k == "" {
		return ""
	}
	t := load()
	if c, ok := t.classOf[k]; ok {
		cl := t.classes[c]
		if strings.IndexByte(cl.initials, k[0]) >= 0 {
			return cl.initials
		}
		return initialsOf(append([]string{name}, cl.forms...))
	}
	return initialsOf([]string{name})
}

// PatronymicRoot returns the class id of the father's given name that a
// patronymic is derived from, so that patronymics compare across languages
// through their fathers' names: PatronymicRoot("Миколайович"),
// PatronymicRoot("Николаевич") and PatronymicRoot("Mykolaiovych") all equal
// Canonical("Микола"). A father's given name written in place of the
// patronymic (as Art. 122 of the Third Geneva Convention allows: "first name
// of the father") gives the same root. A patronymic the table does not know
// yields its class or skeleton with the patronymic ending cut off.
func PatronymicRoot(patronymic string) string { return PatronymicRootKey(KeyJoined(patronymic)) }

// PatronymicRootKey is PatronymicRoot for a patronymic whose skeleton
// (KeyJoined) is already known.
func PatronymicRootKey(k string) string {
	if k == "" {
		return ""
	}
	t := load()
	if c, ok := t.classOf[k]; ok {
		cl := t.classes[c]
		if cl.father >= 0 {
			return t.classes[cl.father].id
		}
		return cl.id // a father's given name, or a patronymic without a link
	}
	return stripPatronymic(k)
}

// stripPatronymic cuts the patronymic ending off a key.
func stripPatronymic(k string) string {
	for _, suf := range []string{"iniCna", "iCna", "ioviC", "oviC", "eviC", "ivna", "ovna", "evna", "iC"} {
		if strings.HasSuffix(k, suf) && len(k) > len(suf)+1 {
			return k[:len(k)-len(suf)]
		}
	}
	return k
}

// Similarity returns how alike two names are, from 0 to 1: 1 when they are
// in the same class (Canonical), otherwise the Jaro–Winkler similarity of
// their skeletons (typos).
func Similarity(a, b string) float64 {
	ca, cb := Canonical(a), Canonical(b)
	if ca == "" || cb == "" {
		return 0
	}
	if ca == cb {
		return 1
	}
	return JaroWinkler(KeyJoined(a), KeyJoined(b))
}
