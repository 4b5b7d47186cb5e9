package listfile

import (
	"fmt"
	"parley/internal/msg"
	"strings"
	"unicode/utf8"
)

// # Characters
//
// What a value may hold, checked in every format after the cell has been
// read and trimmed:
//
//   - No control characters: U+0000 (NUL) to U+001F, U+007F and U+0080 to
//     U+009F. Tab and line breaks are the exception outside names: a cell
//     of several lines (Alt+Enter in Excel) is ordinary in notes, places
//     and categories, but a name is one line of letters.
//   - Names (surname, given names, patronymic in either script, a full
//     name, the mother's maiden name) may not hold bidirectional controls
//     (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) or zero-width
//     characters (U+200B–U+200D, U+2060, U+FEFF): they are invisible, make
//     one name look like another, and defeat matching.
//   - A value may be at most Limits.NameRunes characters in a name,
//     Limits.NoteRunes in free text and Limits.CellRunes elsewhere.
//
// A value that breaks a rule is a problem of its row (coded
// control_character, invisible_character or cell_too_long); nothing is
// silently removed.

// textClass says which rules a value falls under.
type textClass int

const (
	textOther textClass = iota
	textName
	textFree
)

func classOf(bd *binding) textClass {
	switch bd.kind {
	case bindFullName, bindFullNameLatin:
		return textName
	case bindExtra:
		return textFree
	case bindField:
		switch bd.field.Name {
		case "surname", "given_names", "patronymic", "surname_latin", "given_names_latin", "patronymic_latin", "mother_maiden_name":
			return textName
		case "notes":
			return textFree
		}
	}
	return textOther
}

// checkText returns the problem code and reason of a value that breaks the
// rules above, or "" when it is acceptable.
func checkText(v string, class textClass, lim Limits) (code string, reason msg.Msg) {
	maxRunes := lim.CellRunes
	switch class {
	case textName:
		maxRunes = lim.NameRunes
	case textFree:
		maxRunes = lim.NoteRunes
	}
	if n := utf8.RuneCountInString(v); n > maxRunes {
		return CodeCellTooLong, msg.New("listfile.text_too_long", "count", n, "max", maxRunes)
	}
	for _, r := range v {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			if class == textName {
				return CodeControlChar, msg.New("listfile.name_control_char", "char", msg.Raw(fmt.Sprintf("%U", r)))
			}
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
			return CodeControlChar, msg.New("listfile.control_char", "char", msg.Raw(fmt.Sprintf("%U", r)))
		case class == textName && invisible(r):
			return CodeInvisibleChar, msg.New("listfile.name_invisible_char", "char", msg.Raw(fmt.Sprintf("%U", r)))
		}
	}
	return "", msg.Msg{}
}

// invisible reports the bidirectional controls and zero-width characters
// that a name may not hold.
func invisible(r rune) bool {
	switch {
	case r == 0x061C, r == 0x200E, r == 0x200F,
		r >= 0x202A && r <= 0x202E,
		r >= 0x2066 && r <= 0x2069,
		r >= 0x200B && r <= 0x200D,
		r == 0x2060, r == 0xFEFF:
		return true
	}
	return false
}

// shownValue is a value as a problem quotes it: at most 60 characters,
// with control and invisible characters written as \uXXXX so that the
// message shows what is wrong instead of hiding it.
func shownValue(v string) string {
	var b strings.Builder
	n := 0
	for _, r := range v {
		if n == 60 {
			b.WriteString("…")
			break
		}
		n++
		switch {
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || invisible(r):
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
