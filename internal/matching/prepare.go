package matching

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"parley/internal/names"
	"parley/internal/person"
)

// prepared holds what the comparison needs of one record, computed once:
// skeletons, classes, initials, a packed date of birth and normalised
// numbers. Registry records are kept in this form by an Index, so its size
// matters: strings of known names point into the shared name table.
type prepared struct {
	sur, surC     string // skeleton and class of the surname
	given, givenC string // skeleton and class of the (first) given name
	givenInit     string // possible initials of the given name; for an initial, the letter itself
	patr, patrC   string // skeleton and father's-name root of the patronymic
	patrCls       string // class of the patronymic itself (for typos in another language's form)
	patrInit      string
	svc           string // service number, normalised
	unit          string // unit, normalised
	rank          string // skeleton of the rank
	dob           uint32 // packed date of birth, 0 when unknown
	sex           byte
	givenIsInit   bool // the given name is only an initial
	patrIsInit    bool
	// known: the name belongs to a class of the name table, so a different
	// class on the other side is a different name rather than a misspelling
	// of one of its forms.
	surKnown, givenKnown, patrKnown bool
}

func packDate(d person.Date) uint32 {
	if d.Year <= 0 || d.Year > 4000 {
		return 0
	}
	return uint32(d.Year)<<9 | uint32(d.Month&15)<<5 | uint32(d.Day&31)
}

func unpackDate(v uint32) (y, m, d int) { return int(v >> 9), int(v >> 5 & 15), int(v & 31) }

// nameParts picks the name fields to compare: the Cyrillic (or as-written)
// fields, or the Latin ones when a field is empty, because some registries
// hold only Latin names. A full name written into the surname field alone is
// split into surname, given name and patronymic; a patronymic or initials
// written into the given-name field are moved out of it.
func nameParts(p *person.Person) (sur, given, patr string) {
	sur, given, patr = strings.TrimSpace(p.Surname), strings.TrimSpace(p.GivenNames), strings.TrimSpace(p.Patronymic)
	if sur == "" {
		sur = strings.TrimSpace(p.SurnameLatin)
	}
	if given == "" {
		given = strings.TrimSpace(p.GivenNamesLatin)
	}
	if patr == "" {
		patr = strings.TrimSpace(p.PatronymicLatin)
	}
	if given != "" && allInitials(splitWords(sur)) {
		// Initials in the surname column and the surname among the given
		// names ("С. Я." | "Пастушенко", "В." | "Хемінгуей К."): a surname is
		// never an initial, so the names are put back in their columns.
		inits, words := splitWords(sur), splitWords(given)
		if i := slices.IndexFunc(words, func(w string) bool { return !isInitialWord(w) }); i >= 0 {
			rest := append(slices.Clone(words[:i]), words[i+1:]...)
			sur = words[i]
			all := append(inits, rest...)
			given = all[0]
			if patr == "" && len(all) > 1 {
				patr = all[1]
			}
		}
	}
	if given == "" && patr == "" {
		if w := splitWords(sur); len(w) >= 2 && len(w) <= 4 {
			sur = w[0]
			given = strings.Join(w[1:], " ")
		}
	}
	if patr == "" {
		if w := splitWords(given); len(w) >= 2 {
			last := w[len(w)-1]
			if isInitialWord(last) || names.IsPatronymic(last) {
				given = strings.Join(w[:len(w)-1], " ")
				patr = last
			}
		}
	}
	return sur, given, patr
}

func allInitials(words []string) bool {
	if len(words) == 0 || len(words) > 2 {
		return false
	}
	for _, w := range words {
		if !isInitialWord(w) {
			return false
		}
	}
	return true
}

// splitWords splits on spaces and after the dot of an initial ("С.М." →
// "С.", "М.").
func splitWords(s string) []string {
	var out []string
	for _, f := range strings.Fields(s) {
		for f != "" {
			i := strings.IndexByte(f, '.')
			if i < 0 || i == len(f)-1 {
				out = append(out, f)
				break
			}
			out = append(out, f[:i+1])
			f = f[i+1:]
		}
	}
	return out
}

// isInitialWord reports whether a word is an initial: one letter, or up to
// three letters closed by a dot (the Latin "Yu." or "Zh." of Ю, Ж).
func isInitialWord(w string) bool {
	letters := 0
	for _, r := range w {
		if unicode.IsLetter(r) {
			letters++
		}
	}
	if letters == 0 {
		return false
	}
	return letters == 1 || (letters <= 3 && strings.HasSuffix(w, ".") && utf8.RuneCountInString(w) <= 4)
}

// preparer turns persons into prepared records. It caches what it learns
// of each distinct name (skeleton, class, initials) and interns the strings
// it makes, so that a registry of a million records keeps one copy of each
// and looks each name up in the name table once. A preparer is used by one
// goroutine at a time.
type preparer struct {
	buf   []byte
	strs  map[string]string
	names map[string]*nameInfo // by skeleton
}

// nameInfo is what the comparison needs of one distinct name.
type nameInfo struct {
	key      string // skeleton (names.KeyJoined)
	canon    string // class (names.CanonicalKey)
	root     string // father's-name root, for patronymics (names.PatronymicRootKey)
	initials string // possible initials (names.Initials)
	known    bool   // the class is in the name table
}

func newPreparer() *preparer {
	return &preparer{strs: map[string]string{}, names: map[string]*nameInfo{}}
}

func (pp *preparer) intern(b []byte) string {
	if s, ok := pp.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	pp.strs[s] = s
	return s
}

func (pp *preparer) key(s string) string {
	if s == "" {
		return ""
	}
	pp.buf = names.AppendKeyJoined(pp.buf[:0], s)
	return pp.intern(pp.buf)
}

// info returns what is known of a name; nil when it has no letters.
func (pp *preparer) info(s string) *nameInfo {
	if s == "" {
		return nil
	}
	pp.buf = names.AppendKeyJoined(pp.buf[:0], s)
	if len(pp.buf) == 0 {
		return nil
	}
	if ni, ok := pp.names[string(pp.buf)]; ok {
		return ni
	}
	k := string(pp.buf)
	ni := &nameInfo{key: k, canon: names.CanonicalKey(k), root: names.PatronymicRootKey(k), initials: names.Initials(s)}
	ni.known = names.ClassKeys(ni.canon) != nil
	pp.names[k] = ni
	return ni
}

// nameField prepares one name field: what is known of its (first) word, or,
// for a field that is only an initial, that letter.
func (pp *preparer) nameField(s string) (ni *nameInfo, init string) {
	if s == "" {
		return nil, ""
	}
	first := s
	if strings.ContainsAny(s, " .") {
		words := splitWords(s)
		if len(words) > 0 && isInitialWord(words[0]) {
			k := names.Key(words[0])
			if k == "" {
				return nil, ""
			}
			return nil, pp.intern([]byte(k[:1]))
		}
		if len(words) > 1 {
			first = words[0]
		}
	}
	return pp.info(first), ""
}

// normNumber normalises a service or unit number: capitals, Cyrillic
// letters that look like Latin ones read as Latin, and everything but
// letters and digits removed ("АВ 123-456" = "AB123456").
func normNumber(s string) string {
	if s == "" {
		return ""
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch r {
		case 'А':
			r = 'A'
		case 'В':
			r = 'B'
		case 'Е':
			r = 'E'
		case 'К':
			r = 'K'
		case 'М':
			r = 'M'
		case 'Н':
			r = 'H'
		case 'О':
			r = 'O'
		case 'Р':
			r = 'P'
		case 'С':
			r = 'C'
		case 'Т':
			r = 'T'
		case 'Х':
			r = 'X'
		case 'У':
			r = 'Y'
		case 'І':
			r = 'I'
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// normUnit keeps the digits and letters of a unit designation, dropping the
// words for "military unit" that either side may put before the number
// (в/ч, військова частина, войсковая часть, military unit).
func normUnit(s string) string {
	l := strings.ToLower(strings.TrimSpace(s))
	for _, prefix := range []string{"в/ч", "в. ч.", "в.ч.", "військова частина", "войсковая часть", "military unit", "mil. unit", "unit"} {
		if strings.HasPrefix(l, prefix) {
			l = l[len(prefix):]
			break
		}
	}
	return normNumber(l)
}

func (pp *preparer) prepare(p *person.Person) prepared {
	var r prepared
	sur, given, patr := nameParts(p)
	if si := pp.info(sur); si != nil {
		r.sur, r.surC, r.surKnown = si.key, si.canon, si.known
	}
	gi, ginit := pp.nameField(given)
	switch {
	case gi != nil:
		r.given, r.givenC, r.givenInit, r.givenKnown = gi.key, gi.canon, gi.initials, gi.known
	case ginit != "":
		r.givenInit, r.givenIsInit = ginit, true
	}
	pi, pinit := pp.nameField(patr)
	switch {
	case pi != nil:
		r.patr, r.patrC, r.patrCls, r.patrInit, r.patrKnown = pi.key, pi.root, pi.canon, pi.initials, pi.known
	case pinit != "":
		r.patrInit, r.patrIsInit = pinit, true
	}
	r.dob = packDate(p.BirthDate)
	if p.ServiceNumber != "" {
		r.svc = normNumber(p.ServiceNumber)
	}
	if p.Unit != "" {
		r.unit = pp.intern([]byte(normUnit(p.Unit)))
	}
	if p.Rank != "" {
		r.rank = pp.key(p.Rank)
	}
	switch strings.ToUpper(strings.TrimSpace(p.Sex)) {
	case "M", "М":
		r.sex = 'M'
	case "F", "Ж":
		r.sex = 'F'
	}
	return r
}

// swapped returns the record with surname and given name exchanged, for
// lists that put the given name first.
func (r prepared) swapped() (prepared, bool) {
	if r.sur == "" || r.given == "" || r.givenIsInit {
		return r, false
	}
	s := r
	s.sur, s.given = r.given, r.sur
	s.surC, s.givenC = r.givenC, r.surC
	s.surKnown, s.givenKnown = r.givenKnown, r.surKnown
	s.givenInit = r.sur[:1]
	return s, true
}
