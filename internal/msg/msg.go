// Package msg is the one message catalogue for every sentence a person
// reads that a domain package or the service decides: errors, import
// problems, matching and planner reasons, findings, reports. A domain
// package never builds such a sentence itself; it returns a Msg, a stable
// code with named parameters, and the front end that shows it (web page,
// API body, family site, command line, e-mail) renders it in the reader's
// language with Text. API clients get the code as well, so that programs
// need not parse words.
//
// How to use it:
//
//   - Add the code with its text to catalogue/{en,uk,ru}/<area>.json, one
//     file per area (a test fails when a language lacks a key another has).
//     Parameters are written {name} in the text.
//   - In the domain package return msg.New("area.code", "name", value, ...)
//     — or, for an error of the service, service.Invalid / service.Conflict
//     (an *msg.Error that errors.Is the service's kind).
//   - In the renderer call msg.Text(lang, m), or msg.ErrorText(lang, err)
//     for any error (one that carries no Msg gives its Error() text).
//
// Parameters are rendered in the reader's locale: integers with the
// language's digit grouping, time.Time and anything with a YMD method as a
// date, a Msg as its own text, an Enum as its label, a []string or []any
// as a list.
package msg

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Msg is a message: a code the catalogue knows and its named parameters.
type Msg struct {
	Code   string
	Params map[string]any
}

// New returns the message code with parameters given as name, value pairs.
func New(code string, kv ...any) Msg {
	m := Msg{Code: code}
	if len(kv) > 0 {
		m.Params = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			m.Params[fmt.Sprint(kv[i])] = kv[i+1]
		}
	}
	return m
}

// IsZero reports whether m says nothing.
func (m Msg) IsZero() bool { return m.Code == "" }

// String renders m in English, for logs and for callers with no reader.
func (m Msg) String() string { return Text(English, m) }

// With returns a copy of m with one more parameter.
func (m Msg) With(name string, v any) Msg {
	p := make(map[string]any, len(m.Params)+1)
	for k, x := range m.Params {
		p[k] = x
	}
	p[name] = v
	return Msg{Code: m.Code, Params: p}
}

// Enum is an enumerated value (a category, a relationship, a status)
// rendered by its label: the catalogue key "enum.<Kind>.<Code>", else the
// code itself.
type Enum struct{ Kind, Code string }

// Raw is a parameter shown exactly as given (an id, a value from a file),
// never as a number or date.
type Raw string

// Plain is an integer written without digit grouping: a row number, a
// line of a file, a year.
func Plain(n int) Raw { return Raw(strconv.Itoa(n)) }

// CalendarDate is a day as written, which need not exist (31 February):
// YYYY-MM-DD in English, DD.MM.YYYY in Ukrainian and Russian.
type CalendarDate struct{ Y, M, D int }

// Float is a number with a fixed count of decimals, written with the
// language's decimal separator.
type Float struct {
	V    float64
	Prec int
}

// Error is an error that carries a Msg. Kind is the sentinel it is a case
// of (service.ErrInvalid, service.ErrConflict, …), so errors.Is keeps
// working; Error() is the English text.
type Error struct {
	Kind  error
	Msg   Msg
	Cause error
}

// NewError returns an error of kind with the message code and parameters.
func NewError(kind error, code string, kv ...any) *Error {
	return &Error{Kind: kind, Msg: New(code, kv...)}
}

func (e *Error) Error() string { return e.Msg.String() }

// Is reports whether target is the error's kind.
func (e *Error) Is(target error) bool { return e.Kind != nil && target == e.Kind }

// Unwrap returns the cause, so that errors.As finds what lies beneath.
func (e *Error) Unwrap() error { return e.Cause }

// Of returns the message of the first *Error in err's chain.
func Of(err error) (Msg, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.Msg, true
	}
	var c interface{ Message() Msg }
	if errors.As(err, &c) {
		return c.Message(), true
	}
	return Msg{}, false
}

// FromError returns the message err carries, or one that quotes its text
// when it carries none (an error from outside the catalogue, such as one
// of the standard library).
func FromError(err error) Msg {
	if m, ok := Of(err); ok {
		return m
	}
	return New("error.other", "text", Raw(err.Error()))
}

// ErrorText renders err for a reader of lang: the message it carries,
// else its Error() text. The code is "" when err carries no message.
func ErrorText(lang string, err error) (code, text string) {
	if m, ok := Of(err); ok {
		return m.Code, Text(lang, m)
	}
	return "", err.Error()
}

// Languages are the languages of every catalogue, the first the default.
var Languages = []string{English, "uk", "ru"}

// English is the default language, and the one of logs.
const English = "en"

var tags = map[string]language.Tag{"en": language.English, "uk": language.Ukrainian, "ru": language.Russian}

var matcher = language.NewMatcher([]language.Tag{language.English, language.Ukrainian, language.Russian})

// Supported reports whether lang is one of Languages.
func Supported(lang string) bool { _, ok := tags[lang]; return ok }

// FromAcceptLanguage picks the language of an Accept-Language header; ""
// when the header names none of ours.
func FromAcceptLanguage(h string) string {
	if strings.TrimSpace(h) == "" {
		return ""
	}
	ts, _, err := language.ParseAcceptLanguage(h)
	if err != nil || len(ts) == 0 {
		return ""
	}
	_, i, conf := matcher.Match(ts...)
	if conf == language.No {
		return ""
	}
	return Languages[i]
}

// FromLocale picks the language of a POSIX locale such as "uk_UA.UTF-8",
// "ru_RU" or "en_GB.utf8"; "" for anything else ("C", "POSIX", "de_DE").
func FromLocale(v string) string {
	v, _, _ = strings.Cut(v, ".")
	v, _, _ = strings.Cut(v, "@")
	lang, _, _ := strings.Cut(strings.ToLower(v), "_")
	lang, _, _ = strings.Cut(lang, "-")
	if Supported(lang) {
		return lang
	}
	return ""
}

// Pick returns the first of the candidates that is a supported language,
// else English.
func Pick(candidates ...string) string {
	for _, c := range candidates {
		if Supported(c) {
			return c
		}
	}
	return English
}

// Text renders m in lang. A code no catalogue has renders as the code, so
// a gap shows rather than hides.
func Text(lang string, m Msg) string {
	if m.Code == "" {
		return ""
	}
	tmpl, ok := lookup(lang, m.Code)
	if !ok {
		return m.Code
	}
	return expand(lang, tmpl, m.Params)
}

// Label returns the label of an enumerated value in lang, or its code.
func Label(lang, kind, code string) string {
	if t, ok := lookup(lang, "enum."+kind+"."+code); ok {
		return t
	}
	return code
}

func lookup(lang, code string) (string, bool) {
	cat := catalogues()
	if t, ok := cat[lang][code]; ok {
		return t, true
	}
	t, ok := cat[English][code]
	return t, ok
}

// expand replaces every {name} of tmpl by its parameter; {{ is a brace.
func expand(lang, tmpl string, params map[string]any) string {
	if !strings.Contains(tmpl, "{") {
		return tmpl
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		b.WriteString(tmpl[:i])
		tmpl = tmpl[i+1:]
		if strings.HasPrefix(tmpl, "{") {
			b.WriteByte('{')
			tmpl = tmpl[1:]
			continue
		}
		j := strings.IndexByte(tmpl, '}')
		if j < 0 {
			b.WriteByte('{')
			b.WriteString(tmpl)
			return b.String()
		}
		name := tmpl[:j]
		tmpl = tmpl[j+1:]
		v, ok := params[name]
		if !ok {
			b.WriteString("{" + name + "}")
			continue
		}
		b.WriteString(Param(lang, v))
	}
}

// Param renders one parameter value in lang (see the package comment).
func Param(lang string, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case Raw:
		return string(x)
	case Msg:
		return Text(lang, x)
	case Enum:
		return Label(lang, x.Kind, x.Code)
	case int:
		return Number(lang, int64(x))
	case int64:
		return Number(lang, x)
	case Float:
		return printer(lang).Sprintf("%.*f", x.Prec, x.V)
	case float64:
		return printer(lang).Sprintf("%v", x)
	case CalendarDate:
		if lang == English {
			return fmt.Sprintf("%04d-%02d-%02d", x.Y, x.M, x.D)
		}
		return fmt.Sprintf("%02d.%02d.%04d", x.D, x.M, x.Y)
	case time.Time:
		return Date(lang, x)
	case interface{ YMD() (int, int, int) }:
		y, m, d := x.YMD()
		return PartialDate(lang, y, m, d)
	case []string:
		return strings.Join(x, ", ")
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = Param(lang, e)
		}
		return strings.Join(parts, ", ")
	case []Msg:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = Text(lang, e)
		}
		return strings.Join(parts, "; ")
	case error:
		_, t := ErrorText(lang, x)
		return t
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

func printer(lang string) *message.Printer {
	t, ok := tags[lang]
	if !ok {
		t = language.English
	}
	return message.NewPrinter(t)
}

// Number writes an integer with the language's digit grouping (1,234 in
// English, 1 234 in Ukrainian and Russian).
func Number(lang string, n int64) string { return printer(lang).Sprintf("%d", n) }

var monthsEn = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// Date writes a day: "9 Mar 2026" in English, "09.03.2026" in Ukrainian and
// Russian, the forms their official documents use.
func Date(lang string, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	t = t.UTC()
	return PartialDate(lang, t.Year(), int(t.Month()), t.Day())
}

// PartialDate writes a date of which the day, or the day and month, may be
// unknown (0).
func PartialDate(lang string, y, m, d int) string {
	switch {
	case y == 0 && m == 0 && d == 0:
		return ""
	case lang == English && m >= 1 && m <= 12 && d != 0:
		return fmt.Sprintf("%d %s %d", d, monthsEn[m-1], y)
	case lang == English && m >= 1 && m <= 12:
		return fmt.Sprintf("%s %d", monthsEn[m-1], y)
	case m != 0 && d != 0:
		return fmt.Sprintf("%02d.%02d.%04d", d, m, y)
	case m != 0:
		return fmt.Sprintf("%02d.%04d", m, y)
	}
	return fmt.Sprintf("%04d", y)
}

// Codes returns the sorted keys of a language's catalogue, for tests.
func Codes(lang string) []string {
	var out []string
	for k := range catalogues()[lang] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
