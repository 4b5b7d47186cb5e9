// Package translit romanizes Cyrillic names with the official systems that
// the prisoner-of-war lists we exchange are actually written in.
//
// Each list comes from an authority that romanizes by its own standard, and a
// name matched across two lists is only found if both are romanized the way
// the issuing authority did it. Ad hoc "translit" would turn Юлія into Yuliya
// on one side and Yuliia on the other, so every system here follows its
// published table letter by letter, including the positional rules:
//
//   - [UA2010]: the national Ukrainian system, approved by Resolution No. 55 of
//     the Cabinet of Ministers of Ukraine of 27 January 2010 "On Normalization
//     of Transliteration of the Ukrainian Alphabet by Means of the Latin
//     Alphabet" (https://zakon.rada.gov.ua/laws/show/55-2010-%D0%BF), used in
//     Ukrainian passports and official documents.
//   - [ICAO]: ICAO Doc 9303 "Machine Readable Travel Documents", Part 3,
//     transliteration of Cyrillic characters, used in Russian international
//     passports since 2014 (FMS order No. 320 of 15 October 2012).
//   - [GOSTB]: GOST 7.79-2000 "Rules for transliteration of Cyrillic
//     characters in the Latin alphabet", System B: the reversible, ASCII-only
//     table of the interstate standard whose System A is ISO 9:1995.
//   - [BGN]: the BGN/PCGN 1947 system for Russian of the US Board on
//     Geographic Names and the UK Permanent Committee on Geographical Names
//     (table checked by PCGN in June 2019), used by English-language
//     governments and press for Russian names.
//
// Common behaviour, so that names keep their shape whatever the system:
//
//   - Case follows the input. An upper-case Cyrillic letter that becomes
//     several Latin letters is written in title case (Щукин → Shchukin, a lone
//     initial Щ → Shch) unless its word is written in capitals, in which case
//     the whole romanization is capitalised (ЩУКИН → SHCHUKIN). A word counts
//     as written in capitals when it has at least two upper-case letters and
//     no lower-case one; a one-letter word (an initial) counts as capitals when
//     the whole text has no lower-case letter and at least one such word, so
//     that "ЩУКИН Ю. Щ." stays all capitals.
//   - A word is a run of letters; any non-letter ends it, except that
//     apostrophes (' ’ ʼ ` ‘ ʹ ′) followed by a letter and combining marks
//     (stress accents) inside a word do not end it, because the Ukrainian
//     apostrophe is part of the spelling (Короп'є is one word, and its є is
//     not word-initial).
//   - Letters decomposed into a base letter and a combining breve or diaeresis
//     (и + U+0306, е + U+0308, і + U+0308), as produced by some exports and by
//     macOS file names, are treated as the precomposed letter (й, ё, ї).
//   - Everything the system does not handle passes through unchanged: Latin
//     letters, digits, punctuation, and Cyrillic letters outside the system's
//     table (for example Russian ы under UA2010), so that a name in the wrong
//     language stays visibly unromanized instead of being silently guessed.
//     Only bytes that are not valid UTF-8 are changed, each to U+FFFD, so that
//     the result is always valid UTF-8.
package translit

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// System identifies a romanization system.
type System string

// The supported systems. The string values are stable identifiers meant for
// configuration files and APIs.
const (
	UA2010 System = "ua2010" // Ukraine, Cabinet of Ministers Resolution No. 55 of 27 January 2010
	ICAO   System = "icao"   // ICAO Doc 9303 (Russian passports since 2014)
	GOSTB  System = "gost-b" // GOST 7.79-2000 System B
	BGN    System = "bgn"    // BGN/PCGN for Russian
)

// systems lists every system in the order Systems reports them.
var systems = []System{UA2010, ICAO, GOSTB, BGN}

// Systems returns all supported systems. The slice is a fresh copy, so a
// caller may sort or modify it.
func Systems() []System { return slices.Clone(systems) }

// ParseSystem returns the system named s. Surrounding spaces and letter case
// are ignored because the name usually comes from a command line or a form.
// The error lists the valid names so that the user can correct the input.
func ParseSystem(s string) (System, error) {
	key := strings.ToLower(strings.TrimSpace(s))
	for _, sys := range systems {
		if string(sys) == key {
			return sys, nil
		}
	}
	names := make([]string, len(systems))
	for i, sys := range systems {
		names[i] = string(sys)
	}
	return "", fmt.Errorf("translit: unknown romanization system %q (valid systems: %s)",
		s, strings.Join(names, ", "))
}

// Romanize returns text romanized with sys.
//
// For a System that is not one of the constants, text is returned unchanged
// rather than causing a panic: callers are expected to validate names with
// ParseSystem, and unchanged Cyrillic is an obvious symptom in the output.
func Romanize(sys System, text string) string {
	rl, ok := systemRules[sys]
	if !ok {
		return text
	}
	units := decode(text, rl)
	if len(units) == 0 {
		return text
	}
	words := segment(units)
	caps := capitalised(units, words)

	var b strings.Builder
	b.Grow(len(text) + len(text)/4)
	for i := range units {
		u := &units[i]
		switch u.kind {
		case kindLetter:
			lower := unicode.ToLower(u.r)
			if _, handled := rl.letters[lower]; !handled {
				b.WriteString(u.raw)
				continue
			}
			prev, next := neighbours(units, i)
			s := rl.romanize(neighbourhood{r: lower, prev: prev, next: next})
			if unicode.IsUpper(u.r) {
				if caps[u.word] {
					s = strings.ToUpper(s)
				} else {
					s = title(s)
				}
			}
			b.WriteString(s)
		case kindApostrophe:
			if rl.dropApostrophes && u.word >= 0 && apostropheBetweenHandled(units, i, rl) {
				continue
			}
			b.WriteString(u.raw)
		default:
			b.WriteString(u.raw)
		}
	}
	return b.String()
}

// rules describes one system.
type rules struct {
	// letters maps every lower-case Cyrillic letter the system handles to its
	// romanization where no positional rule applies.
	letters map[rune]string
	// contextual, when set, gives the romanization of letters whose output
	// depends on their neighbours; ok is false to fall back to letters.
	contextual func(c neighbourhood) (s string, ok bool)
	// dropApostrophes removes apostrophes inside words (UA2010 does not
	// reproduce the Ukrainian apostrophe).
	dropApostrophes bool
}

func (rl *rules) romanize(c neighbourhood) string {
	if rl.contextual != nil {
		if s, ok := rl.contextual(c); ok {
			return s
		}
	}
	return rl.letters[c.r]
}

// neighbourhood is what a positional rule may look at: the lower-case letter
// being romanized and its neighbours inside the same word, lower-cased. A
// neighbour is 0 at a word boundary and the ASCII apostrophe for any
// apostrophe inside the word; combining marks are skipped.
type neighbourhood struct {
	r, prev, next rune
}

// initial reports whether the letter starts a word.
func (c neighbourhood) initial() bool { return c.prev == 0 }

var systemRules = map[System]*rules{
	UA2010: {letters: ua2010Letters, contextual: ua2010Contextual, dropApostrophes: true},
	ICAO:   {letters: icaoLetters},
	GOSTB:  {letters: gostBLetters, contextual: gostBContextual},
	BGN:    {letters: bgnLetters, contextual: bgnContextual},
}

// ua2010Letters is the table of Resolution No. 55. Є, Ї, Й, Ю and Я are
// listed with their non-initial form; ua2010Contextual supplies the
// word-initial one. The soft sign maps to nothing because the resolution says
// it is not reproduced. Russian-only letters (ё, ъ, ы, э) are deliberately
// absent: the resolution does not cover them.
var ua2010Letters = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "h", 'ґ': "g", 'д': "d", 'е': "e",
	'є': "ie", 'ж': "zh", 'з': "z", 'и': "y", 'і': "i", 'ї': "i", 'й': "i",
	'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r",
	'с': "s", 'т': "t", 'у': "u", 'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch",
	'ш': "sh", 'щ': "shch", 'ь': "", 'ю': "iu", 'я': "ia",
}

// ua2010Contextual applies the two positional rules of the resolution:
// Є Ї Й Ю Я are Ye Yi Y Yu Ya at the start of a word (Єнакієве → Yenakiieve,
// but Гаєвич → Haievych and, after the apostrophe, Короп'є → Koropie), and г
// after з is "gh" so that "зг" is not read as ж (Згорани → Zghorany).
func ua2010Contextual(c neighbourhood) (string, bool) {
	switch c.r {
	case 'є':
		return pick(c.initial(), "ye", "ie"), true
	case 'ї':
		return pick(c.initial(), "yi", "i"), true
	case 'й':
		return pick(c.initial(), "y", "i"), true
	case 'ю':
		return pick(c.initial(), "yu", "iu"), true
	case 'я':
		return pick(c.initial(), "ya", "ia"), true
	case 'г':
		return pick(c.prev == 'з', "gh", "h"), true
	}
	return "", false
}

// icaoLetters is the Cyrillic table of ICAO Doc 9303 Part 3 as applied to
// Russian: every letter has one fixed romanization, with no positional rule,
// which is why Юлия becomes Iuliia. The soft sign is not in the table and is
// omitted. The Ukrainian letters of the same table are included (і i, ї i,
// є ie, ґ g) because Ukrainian names occur in Russian documents; the table's
// Ukrainian-language exception и → y is not applied because this system
// reproduces Russian passports, where и is i. Ukrainian passports use UA2010.
var icaoLetters = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "e",
	'ж': "zh", 'з': "z", 'и': "i", 'й': "i", 'к': "k", 'л': "l", 'м': "m",
	'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s", 'т': "t", 'у': "u",
	'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "shch",
	'ъ': "ie", 'ы': "y", 'ь': "", 'э': "e", 'ю': "iu", 'я': "ia",
	'і': "i", 'ї': "i", 'є': "ie", 'ґ': "g",
}

// gostBLetters is Table 4 (System B) of GOST 7.79-2000 for Russian, plus the
// letters the same table gives for Ukrainian (і i, ї yi, є ye, ґ g`). The
// grave accent is the standard's ASCII diacritic; it makes the system
// reversible, which is the point of GOST 7.79. и stays i as in Russian: the
// standard's Ukrainian и → y` cannot be applied without knowing the language
// of the name. ц is listed as "cz"; gostBContextual gives "c".
var gostBLetters = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "yo",
	'ж': "zh", 'з': "z", 'и': "i", 'й': "j", 'к': "k", 'л': "l", 'м': "m",
	'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s", 'т': "t", 'у': "u",
	'ф': "f", 'х': "x", 'ц': "cz", 'ч': "ch", 'ш': "sh", 'щ': "shh",
	'ъ': "``", 'ы': "y`", 'ь': "`", 'э': "e`", 'ю': "yu", 'я': "ya",
	'і': "i", 'ї': "yi", 'є': "ye", 'ґ': "g`",
}

// gostBContextual applies the note of GOST 7.79-2000 Table 4 for ц: "c" before
// i, e, y, j and "cz" in all other cases. The standard states the condition on
// the Latin letters, so it is tested on the romanization of the next letter:
// ц is "c" before и, е, ё, й, ы, э, ю, я, і, ї, є (цирк → cirk, цыган →
// cy`gan, цюрих → cyurix) and "cz" elsewhere, including at the end of a word
// (птица → pticza, отец → otecz).
func gostBContextual(c neighbourhood) (string, bool) {
	if c.r != 'ц' {
		return "", false
	}
	var first byte
	if s, ok := gostBLetters[c.next]; ok && s != "" {
		first = s[0]
	} else if c.next < utf8.RuneSelf && unicode.IsLetter(c.next) {
		first = byte(c.next) // a Latin letter written inside the word
	}
	switch first {
	case 'i', 'e', 'y', 'j':
		return "c", true
	}
	return "cz", true
}

// bgnLetters is the BGN/PCGN 1947 table for Russian. е and ё are listed with
// their form after consonants; bgnContextual supplies ye and yë.
//
// ъ and ь are romanized with the characters the PCGN table prints, the
// typographic double apostrophe ” (U+201D) and apostrophe ’ (U+2019), and not
// with the ASCII " and ' often substituted for them. The ASCII characters
// would clash with CSV and SQL quoting and with real apostrophes in names
// (O'Brien), and the exact code points keep the romanization faithful to the
// standard. Callers that need ASCII can strip them: the simplified form of
// the system used in the press omits both signs.
//
// ё is romanized ë/yë as the standard says when the dieresis is written; a
// text that writes е for ё (the common case) gets e/ye like any е. The
// optional interpunct (·) of the standard's note 3, which it says "may" be
// used to mark unusual sequences such as тс or шч, is not produced: it is
// optional, and almost never appears in real lists.
var bgnLetters = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "ë",
	'ж': "zh", 'з': "z", 'и': "i", 'й': "y", 'к': "k", 'л': "l", 'м': "m",
	'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s", 'т': "t", 'у': "u",
	'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "shch",
	'ъ': "\u201d", 'ы': "y", 'ь': "\u2019", 'э': "e", 'ю': "yu", 'я': "ya",
}

// bgnYeAfter lists the letters after which BGN/PCGN writes ye and yë: the
// vowels а е ё и о у ы э ю я and the letters й ъ ь (notes 1 and 2).
const bgnYeAfter = "аеёиоуыэюяйъь"

// bgnContextual applies notes 1 and 2 of BGN/PCGN: е is ye and ё is yë
// initially and after a vowel, й, ъ or ь (Елизово → Yelizovo, Чапаевск →
// Chapayevsk, Подъездной → Pod”yezdnoy), e and ë elsewhere (Белкино → Belkino,
// Озёрный → Ozërnyy), so that the English reader pronounces the [j] the
// Russian letter carries in those positions.
func bgnContextual(c neighbourhood) (string, bool) {
	if c.r != 'е' && c.r != 'ё' {
		return "", false
	}
	y := c.initial() || strings.ContainsRune(bgnYeAfter, c.prev)
	if c.r == 'е' {
		return pick(y, "ye", "e"), true
	}
	return pick(y, "yë", "ë"), true
}

func pick(cond bool, yes, no string) string {
	if cond {
		return yes
	}
	return no
}

// title upper-cases the first character of s, which is how a capital Cyrillic
// letter is written when it becomes several Latin letters inside a word that
// is not in capitals (Щ → Shch, Є → Ye).
func title(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	u := unicode.ToUpper(r)
	if u == r {
		return s
	}
	return string(u) + s[n:]
}

type kind uint8

const (
	kindOther kind = iota
	kindLetter
	kindApostrophe
	kindMark
)

// unit is one character of the input: its rune, after composing a decomposed
// letter, and the exact input bytes, which are copied to the output whenever
// the character passes through so that nothing is altered. The exception is a
// byte that is not valid UTF-8: its raw form is U+FFFD, so that the output is
// always valid UTF-8 (PostgreSQL and JSON reject anything else) and so that
// dropping a soft sign or apostrophe cannot splice two stray bytes into a new
// character.
type unit struct {
	r    rune
	raw  string
	kind kind
	word int // index of the word the unit belongs to, or -1
	// solidBefore and solidAfter are the indexes of the nearest units before
	// and after this one that are neither combining marks nor apostrophes
	// (-1 and len(units) when there is none). They let the apostrophe rules
	// look past runs of marks and apostrophes in linear time.
	solidBefore, solidAfter int
}

// composed maps a base letter and a combining mark to the precomposed letter.
var composed = map[[2]rune]rune{
	{'и', '\u0306'}: 'й', {'И', '\u0306'}: 'Й',
	{'е', '\u0308'}: 'ё', {'Е', '\u0308'}: 'Ё',
	{'і', '\u0308'}: 'ї', {'І', '\u0308'}: 'Ї',
}

// decode splits text into units. A decomposed letter is composed only when
// the system handles the composed letter, so that, for example, е + U+0308
// under UA2010 (which has no ё) becomes e followed by the unchanged mark
// rather than an unhandled ё that would leave Cyrillic in the output.
func decode(text string, rl *rules) []unit {
	units := make([]unit, 0, len(text))
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		raw := text[i : i+n]
		i += n
		if r == utf8.RuneError && n == 1 {
			units = append(units, unit{r: r, raw: string(utf8.RuneError), kind: kindOther, word: -1})
			continue
		}
		if k := len(units); k > 0 {
			last := &units[k-1]
			// A unit whose raw form is longer than its rune is already
			// composed and takes no second mark.
			fresh := len(last.raw) == utf8.RuneLen(last.r)
			if c, ok := composed[[2]rune{last.r, r}]; ok && fresh {
				if _, handled := rl.letters[unicode.ToLower(c)]; handled {
					last.r = c
					last.raw += raw
					continue
				}
			}
		}
		units = append(units, unit{r: r, raw: raw, kind: classify(r), word: -1})
	}
	return units
}

func classify(r rune) kind {
	switch {
	case isApostrophe(r):
		// Checked first: ʼ (U+02BC) and ʹ (U+02B9) are letters to Unicode.
		return kindApostrophe
	case unicode.IsLetter(r):
		return kindLetter
	case unicode.In(r, unicode.Mn, unicode.Me):
		return kindMark
	}
	return kindOther
}

// isApostrophe reports the characters used for the Ukrainian apostrophe in
// real data: the ASCII apostrophe and grave accent, the typographic
// apostrophe ’, the modifier letter apostrophe ʼ prescribed by Ukrainian
// Unicode practice, and the look-alikes ‘ ʹ ′ that keyboards and OCR produce.
func isApostrophe(r rune) bool {
	switch r {
	case '\'', '`', '\u2019', '\u02bc', '\u2018', '\u02b9', '\u2032':
		return true
	}
	return false
}

// segment assigns word indexes. Letters join the current word; combining
// marks join the word they follow; an apostrophe joins it only when a letter
// follows it (possibly after marks or further apostrophes, as in the doubled
// apostrophe of SQL-escaped data), so that a closing quote is not part of a
// word; anything else ends the word. It returns the number of words.
func segment(units []unit) int {
	solid := func(k kind) bool { return k != kindMark && k != kindApostrophe }
	last := -1
	for i := range units {
		units[i].solidBefore = last
		if solid(units[i].kind) {
			last = i
		}
	}
	last = len(units)
	for i := len(units) - 1; i >= 0; i-- {
		units[i].solidAfter = last
		if solid(units[i].kind) {
			last = i
		}
	}

	word, cur := -1, -1
	for i := range units {
		u := &units[i]
		switch u.kind {
		case kindLetter:
			if cur < 0 {
				word++
				cur = word
			}
			u.word = cur
		case kindMark:
			u.word = cur
		case kindApostrophe:
			if cur >= 0 && u.solidAfter < len(units) && units[u.solidAfter].kind == kindLetter {
				u.word = cur
			} else {
				cur = -1
			}
		default:
			cur = -1
		}
	}
	return word + 1
}

// capitalised reports, for every word index, whether the word is written in
// capitals; see the package documentation for the rule and its reason.
func capitalised(units []unit, words int) []bool {
	type count struct{ upper, lower int }
	counts := make([]count, words)
	textLower := 0
	for _, u := range units {
		if u.kind != kindLetter {
			continue
		}
		switch c := &counts[u.word]; {
		case unicode.IsUpper(u.r):
			c.upper++
		case unicode.IsLower(u.r):
			c.lower++
			textLower++
		}
	}
	caps := make([]bool, words)
	anyCapsWord := false
	for w, c := range counts {
		if c.upper >= 2 && c.lower == 0 {
			caps[w] = true
			anyCapsWord = true
		}
	}
	if textLower == 0 && anyCapsWord {
		for w, c := range counts {
			if c.upper == 1 && c.lower == 0 {
				caps[w] = true
			}
		}
	}
	return caps
}

// neighbours returns the lower-cased letters (or the ASCII apostrophe for an
// apostrophe) before and after unit i inside its word, skipping combining
// marks; 0 where the word ends.
func neighbours(units []unit, i int) (prev, next rune) {
	w := units[i].word
	for j := i - 1; j >= 0 && units[j].word == w; j-- {
		if k := units[j].kind; k != kindMark {
			prev = neighbourRune(units[j])
			break
		}
	}
	for j := i + 1; j < len(units) && units[j].word == w; j++ {
		if k := units[j].kind; k != kindMark {
			next = neighbourRune(units[j])
			break
		}
	}
	return prev, next
}

func neighbourRune(u unit) rune {
	if u.kind == kindApostrophe {
		return '\''
	}
	return unicode.ToLower(u.r)
}

// apostropheBetweenHandled reports whether the apostrophe at i stands between
// two letters of the system's alphabet, ignoring marks and other apostrophes.
// Only such an apostrophe is the Ukrainian one that UA2010 drops; one in
// O'Brien or between letters the system does not handle is kept.
func apostropheBetweenHandled(units []unit, i int, rl *rules) bool {
	handled := func(j int) bool {
		if j < 0 || j >= len(units) || units[j].kind != kindLetter {
			return false
		}
		_, ok := rl.letters[unicode.ToLower(units[j].r)]
		return ok
	}
	return handled(units[i].solidBefore) && handled(units[i].solidAfter)
}
