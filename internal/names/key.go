package names

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Key returns the skeleton of a name: a short ASCII code that is the same for
// the Russian and Ukrainian Cyrillic spellings of a name and for its common
// Latin transliterations, official and informal, wherever that can be done
// without a dictionary. Names that differ by more than spelling (Микола and
// Николай, Олексій and Алексей) keep different skeletons; Canonical joins
// those through the table of name correspondences.
//
// The skeleton is built word by word (words are separated by spaces and
// punctuation; hyphens and apostrophes are dropped, so a hyphenated name is
// one word) and the words are joined by a single space. For each word:
//
//  1. Script: the word is Cyrillic when it has at least as many Cyrillic as
//     Latin letters. Letters of the other script that look alike are read as
//     the word's script: a Latin "i" inside a Cyrillic word is "і", a Latin
//     "p" is "р", "c" is "с", "y" is "у", "x" is "х", capital "H" is "Н",
//     capital "B" is "В"; a Cyrillic "а", "о", "е", "с", "р", "і" inside a
//     Latin word is read as the Latin letter. This repairs the registries
//     that mix keyboards.
//  2. Letters are mapped to a common alphabet, case folded:
//     е є э ё → e; и і ї й ы and Latin y, j → i; г ґ х and Latin g, h, kh,
//     gh → g; ж zh ž → Z; ч ch č cz tsch tch → C; ш щ sh shch sch š šč sz
//     szcz → S; ц ts tz → ts (and Latin c before e, i, y or at the end of a
//     word, as in Lenc; otherwise c is k); ю → iu; я → ia; ь, ъ and the
//     apostrophes (' ’ ʼ ` ʹ) → nothing; w → v; x → ks; q → k; ph → f;
//     th → t; other diacritics are dropped (é → e, ë → e). A Latin "yo" or
//     "jo" after a consonant is the Russian ё and becomes e (Fyodor, Semyon).
//  3. Doubled letters are collapsed (Illia/Ilya, Vassily/Vasily), "ie" becomes
//     "e" (Yevhen/Evgeny/Євген, Андрієнко/Andrienko) and a word-final "ei"
//     becomes "i", so that the endings ий ый ій ей and Latin -iy -yi -ii -y
//     -ei -ey -ij meet (Сергій/Сергей/Serhii/Sergey → sergi, Шпаковський/
//     Shpakovsky → Spakovski).
//
// The upper-case letters Z, C and S in the result stand for ж, ч and ш/щ.
// The key is meant for comparison and indexing only; it is not a
// transliteration and must never be shown as one.
func Key(s string) string {
	if s == "" {
		return ""
	}
	return string(appendKey(make([]byte, 0, len(s)), s, false))
}

// AppendKeyJoined appends KeyJoined(s) to dst, so that a caller keying
// millions of names can reuse one buffer and allocate only for new keys.
func AppendKeyJoined(dst []byte, s string) []byte { return appendKey(dst, s, true) }

func appendKey(out []byte, s string, joined bool) []byte {
	if hasCombining(s) {
		s = norm.NFC.String(s)
	}
	base := len(out)
	var wordBuf [32]rune
	word := wordBuf[:0]
	flush := func() {
		if len(word) == 0 {
			return
		}
		start := len(out)
		if start > base && !joined {
			out = append(out, ' ')
			start++
		}
		out = appendWordKey(out, word)
		if len(out) == start && start > base && !joined {
			out = out[:start-1] // the word had no letters
		}
		word = word[:0]
	}
	for _, r := range s {
		switch {
		case (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= 0x400 && r <= 0x45F) || unicode.IsLetter(r):
			word = append(word, r)
		case isApostrophe(r) || isHyphen(r) || unicode.Is(unicode.Mn, r):
			// Part of the word, but not of its key.
		default:
			flush()
		}
	}
	flush()
	return out
}

// KeyJoined returns Key(s) without the spaces between words, so that
// "Корж Марченко" and "Корж-Марченко" meet.
func KeyJoined(s string) string {
	if s == "" {
		return ""
	}
	return string(appendKey(make([]byte, 0, len(s)), s, true))
}

// hasCombining reports whether s has a combining diacritical mark, the only
// case in which composing it (NFC) can change its key: и + breve is й.
func hasCombining(s string) bool {
	for i := 0; i < len(s); i++ {
		// U+0300–U+036F are encoded as 0xCC 0x80 – 0xCD 0xAF.
		if s[i] == 0xCC || (s[i] == 0xCD && i+1 < len(s) && s[i+1] <= 0xAF) {
			return true
		}
	}
	return false
}

func isApostrophe(r rune) bool {
	switch r {
	case '\'', '’', 'ʼ', '`', '‘', 'ʹ', '′', '´', 'ʻ':
		return true
	}
	return false
}

func isHyphen(r rune) bool {
	switch r {
	case '-', '‐', '‑', '‒', '–', '—':
		return true
	}
	return false
}

func isCyrillic(r rune) bool { return r >= 0x400 && r <= 0x52F }

func isLatin(r rune) bool {
	return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= 0xC0 && r <= 0x24F && r != 0xD7 && r != 0xF7)
}

// latinAsCyrillic reads a Latin letter that looks like a Cyrillic one as
// that Cyrillic letter (inside Cyrillic words). Capitals that only look
// alike in upper case (H, B, M, T, K) are mapped in upper case only.
func latinAsCyrillic(r rune) rune {
	switch r {
	case 'a':
		return 'а'
	case 'A':
		return 'А'
	case 'B':
		return 'В'
	case 'c':
		return 'с'
	case 'C':
		return 'С'
	case 'e':
		return 'е'
	case 'E':
		return 'Е'
	case 'H':
		return 'Н'
	case 'i':
		return 'і'
	case 'I':
		return 'І'
	case 'K':
		return 'К'
	case 'k':
		return 'к'
	case 'M':
		return 'М'
	case 'o':
		return 'о'
	case 'O':
		return 'О'
	case 'p':
		return 'р'
	case 'P':
		return 'Р'
	case 'T':
		return 'Т'
	case 'x':
		return 'х'
	case 'X':
		return 'Х'
	case 'y':
		return 'у'
	case 'Y':
		return 'У'
	case 'ï':
		return 'ї'
	case 'Ï':
		return 'Ї'
	}
	return r
}

// cyrillicAsLatin reads a Cyrillic letter that looks like a Latin one as
// that Latin letter (inside Latin words).
func cyrillicAsLatin(r rune) rune {
	switch r {
	case 'а', 'А':
		return 'a'
	case 'В':
		return 'b'
	case 'с', 'С':
		return 'c'
	case 'е', 'Е':
		return 'e'
	case 'Н':
		return 'h'
	case 'і', 'І':
		return 'i'
	case 'К', 'к':
		return 'k'
	case 'М':
		return 'm'
	case 'о', 'О':
		return 'o'
	case 'р', 'Р':
		return 'p'
	case 'Т':
		return 't'
	case 'х', 'Х':
		return 'x'
	case 'у', 'У':
		return 'y'
	case 'ї', 'Ї':
		return 'ï'
	}
	return r
}

// cyrillicKey maps lower-case Cyrillic letters (Russian and Ukrainian) to
// the key alphabet.
var cyrillicKey = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'ґ': "g", 'д': "d", 'е': "e",
	'є': "e", 'ё': "e", 'ж': "Z", 'з': "z", 'и': "i", 'і': "i", 'ї': "i",
	'й': "i", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p",
	'р': "r", 'с': "s", 'т': "t", 'у': "u", 'ў': "u", 'ф': "f", 'х': "g",
	'ц': "ts", 'ч': "C", 'ш': "S", 'щ': "S", 'ъ': "", 'ы': "i", 'ь': "",
	'э': "e", 'ю': "iu", 'я': "ia",
}

// latinFold maps a Latin letter with diacritics to the key alphabet: carons
// and the circumflex on s mark the hushing sounds of the scholarly and Czech
// spellings (Ševčenko, ISO 9 ŝ for щ); other marks are dropped.
var latinFold = func() map[rune]string {
	m := map[rune]string{'ł': "l", 'ß': "ss", 'ø': "o", 'đ': "d", 'ı': "i", 'æ': "ae", 'œ': "oe"}
	for r := rune(0xC0); r <= 0x24F; r++ {
		lr := unicode.ToLower(r)
		if lr != r {
			continue
		}
		d := norm.NFD.String(string(r))
		base, size := utf8.DecodeRuneInString(d)
		if base >= 'a' && base <= 'z' && size < len(d) {
			marks := d[size:]
			switch {
			case strings.ContainsRune(marks, 0x30C) && (base == 's' || base == 'c' || base == 'z'):
				m[r] = map[rune]string{'s': "S", 'c': "C", 'z': "Z"}[base]
			case strings.ContainsRune(marks, 0x302) && base == 's':
				m[r] = "S"
			case base == 'y':
				m[r] = "y"
			default:
				if _, ok := m[r]; !ok {
					m[r] = string(base)
				}
			}
		}
	}
	m['ć'] = "C" // Polish ć and Serbo-Croatian ć stand for a soft ch
	m['ś'] = "S"
	m['ź'] = "Z"
	m['ż'] = "Z"
	return m
}()

// cyrillicKeyTab is cyrillicKey indexed by rune - 0x430 (а … џ).
var cyrillicKeyTab = func() [0x30]string {
	var t [0x30]string
	for r, k := range cyrillicKey {
		if r >= 0x430 && r < 0x460 {
			t[r-0x430] = k
		}
	}
	return t
}()

// lowerCyrillic lowers the case of Cyrillic capitals quickly and of other
// letters through package unicode.
func lowerCyrillic(r rune) rune {
	switch {
	case r >= 0x410 && r <= 0x42F:
		return r + 0x20
	case r >= 0x400 && r <= 0x40F:
		return r + 0x50
	case r >= 0x430 && r <= 0x45F:
		return r
	}
	return unicode.ToLower(r)
}

func appendWordKey(out []byte, word []rune) []byte {
	var cyr, lat int
	for _, r := range word {
		if isCyrillic(r) {
			cyr++
		} else if isLatin(r) {
			lat++
		}
	}
	start := len(out)
	if cyr == 0 && lat == 0 {
		return out
	}
	if cyr >= lat {
		for _, r := range word {
			if r < 0x400 {
				r = latinAsCyrillic(r)
			}
			r = lowerCyrillic(r)
			if r >= 0x430 && r < 0x430+rune(len(cyrillicKeyTab)) {
				out = append(out, cyrillicKeyTab[r-0x430]...)
			} else if r == 'ґ' {
				out = append(out, 'g')
			} else if r >= 'a' && r <= 'z' {
				out = append(out, byte(r))
			}
		}
	} else {
		out = appendLatinKey(out, word)
	}
	return postFold(out, start)
}

// appendLatinKey maps a Latin word, reading its digraphs.
func appendLatinKey(out []byte, word []rune) []byte {
	// Lower case, Cyrillic look-alikes read as Latin, diacritics folded to
	// plain letters or to the upper-case hushing codes.
	var stack [48]byte
	buf := stack[:0]
	for _, r := range word {
		if r >= 0x400 {
			r = cyrillicAsLatin(r)
		}
		switch {
		case r >= 'a' && r <= 'z':
			buf = append(buf, byte(r))
		case r >= 'A' && r <= 'Z':
			buf = append(buf, byte(r)+('a'-'A'))
		default:
			if f, ok := latinFold[unicode.ToLower(r)]; ok {
				buf = append(buf, f...)
			}
		}
	}
	isCons := func(b byte) bool {
		switch b {
		case 'a', 'e', 'i', 'o', 'u', 'y':
			return false
		}
		return b != 0
	}
	has := func(i int, p string) bool {
		return len(buf)-i >= len(p) && string(buf[i:i+len(p)]) == p
	}
	for i := 0; i < len(buf); {
		b := buf[i]
		n := 0 // letters consumed by a digraph
		var code byte
		switch b {
		case 's':
			switch {
			case has(i, "shch"), has(i, "szcz"):
				n, code = 4, 'S'
			case has(i, "sch"):
				n, code = 3, 'S'
			case has(i, "sh"), has(i, "sz"):
				n, code = 2, 'S'
			}
		case 't':
			switch {
			case has(i, "tsch"):
				n, code = 4, 'C'
			case has(i, "tch"):
				n, code = 3, 'C'
			case has(i, "th"):
				n, code = 2, 't'
			case has(i, "tz"):
				out, i = append(out, 't', 's'), i+2
				continue
			}
		case 'z':
			if has(i, "zh") {
				n, code = 2, 'Z'
			}
		case 'k', 'g':
			if has(i+1, "h") {
				n, code = 2, 'g'
			}
		case 'c':
			switch {
			case has(i, "ch"), has(i, "cz"):
				n, code = 2, 'C'
			case has(i, "ck"):
				n, code = 2, 'k'
			}
		case 'p':
			if has(i, "ph") {
				n, code = 2, 'f'
			}
		case 'y', 'j':
			if i > 0 && has(i+1, "o") && len(out) > 0 && isCons(out[len(out)-1]) && out[len(out)-1] != 'i' {
				n, code = 2, 'e'
			}
		}
		if n > 0 {
			out, i = append(out, code), i+n
			continue
		}
		i++
		switch b {
		case 'y', 'j':
			out = append(out, 'i')
		case 'h', 'g':
			out = append(out, 'g')
		case 'w', 'v':
			out = append(out, 'v')
		case 'q':
			out = append(out, 'k')
		case 'x':
			out = append(out, 'k', 's')
		case 'c':
			if i == len(buf) || buf[i] == 'e' || buf[i] == 'i' || buf[i] == 'y' {
				out = append(out, 't', 's')
			} else {
				out = append(out, 'k')
			}
		default:
			out = append(out, b)
		}
	}
	return out
}

// postFold applies the script-independent folds to out[start:] in place.
func postFold(out []byte, start int) []byte {
	w := out[start:]
	w = collapse(w)
	// "ie" → "e"
	j := 0
	for i := 0; i < len(w); i++ {
		if w[i] == 'i' && i+1 < len(w) && w[i+1] == 'e' {
			continue
		}
		w[j] = w[i]
		j++
	}
	w = w[:j]
	if n := len(w); n > 2 && w[n-2] == 'e' && w[n-1] == 'i' {
		w[n-2] = 'i'
		w = w[:n-1]
	}
	w = collapse(w)
	return out[:start+len(w)]
}

func collapse(w []byte) []byte {
	if len(w) < 2 {
		return w
	}
	j := 1
	for i := 1; i < len(w); i++ {
		if w[i] != w[j-1] {
			w[j] = w[i]
			j++
		}
	}
	return w[:j]
}

// Phonetic returns a coarse sound code of a name, in the spirit of Soundex
// but over the skeleton alphabet of Key: vowels are dropped, consonants that
// are easily confused share a code (b p f v; g k; d t; z s ts; ж ч ш щ; m n),
// repeated codes collapse and the code is cut at six. It is used to find
// candidates whose surname has a typo in a vowel or a voiced/voiceless
// consonant, never to decide a match.
func Phonetic(s string) string { return PhoneticKey(Key(s)) }

// PhoneticKey is Phonetic for a skeleton that is already known (Key or
// KeyJoined).
func PhoneticKey(k string) string {
	out := make([]byte, 0, 6)
	for i := 0; i < len(k) && len(out) < 6; i++ {
		var c byte
		switch k[i] {
		case 'b', 'p', 'f', 'v':
			c = 'B'
		case 'g', 'k':
			c = 'G'
		case 'd', 't':
			c = 'D'
		case 'z', 's':
			c = 'S'
		case 'Z', 'C', 'S':
			c = 'Z'
		case 'l':
			c = 'L'
		case 'm', 'n':
			c = 'M'
		case 'r':
			c = 'R'
		default:
			continue
		}
		if len(out) > 0 && out[len(out)-1] == c {
			continue
		}
		out = append(out, c)
	}
	return string(out)
}
