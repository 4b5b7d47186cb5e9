package web

import (
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"parley/internal/category"
	"parley/internal/httpx"
	"parley/internal/listfile"
	"parley/internal/msg"
	"parley/internal/person"
)

// The message catalogues: i18n/<lang>/<area>.json, each a flat object of
// key → text. Every area of the workbench keeps a file of its own, so that
// adding pages means adding files, not editing a shared one. Every
// language must define every key (a test checks).
//
//go:embed i18n
var i18nFS embed.FS

// Languages are the languages of the workbench, the first the default.
var Languages = []Language{
	{Code: "en", Name: "English", Tag: language.English},
	{Code: "uk", Name: "Українська", Tag: language.Ukrainian},
	{Code: "ru", Name: "Русский", Tag: language.Russian},
}

// Language is one language of the workbench.
type Language struct {
	Code string
	Name string // in the language itself
	Tag  language.Tag
}

var langMatcher = func() language.Matcher {
	tags := make([]language.Tag, len(Languages))
	for i, l := range Languages {
		tags[i] = l.Tag
	}
	return language.NewMatcher(tags)
}()

type catalogues struct {
	msgs map[string]map[string]string // lang → key → text
}

func loadCatalogues() (*catalogues, error) {
	codes := make([]string, len(Languages))
	for i, l := range Languages {
		codes[i] = l.Code
	}
	m, err := httpx.LoadCatalogues(i18nFS, "i18n", codes)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	return &catalogues{msgs: m}, nil
}

// keys returns the sorted keys of a language's catalogue.
func (c *catalogues) keys(lang string) []string {
	var out []string
	for k := range c.msgs[lang] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Localizer formats text, numbers and dates in one language. Templates
// reach it as .L: {{.L.T "nav.lists"}}, {{.L.Num .Count}}.
type Localizer struct {
	Lang    string
	Tag     language.Tag
	msgs    map[string]string
	fb      map[string]string
	printer *message.Printer
	cat     *category.Catalogue
	zone    *time.Location
}

func (s *Server) localizer(lang string) *Localizer {
	var tag language.Tag
	for _, l := range Languages {
		if l.Code == lang {
			tag = l.Tag
		}
	}
	return &Localizer{
		Lang: lang, Tag: tag,
		msgs: s.i18n.msgs[lang], fb: s.i18n.msgs["en"],
		printer: message.NewPrinter(tag),
		cat:     s.svc.Catalogue(),
		zone:    time.UTC,
	}
}

// pickLanguage chooses the request's language: the signed-in user's saved
// choice (session or API token), else the cookie the language switcher
// sets for a visitor, else the browser's Accept-Language, else English.
func (s *Server) pickLanguage(r *http.Request) string {
	if id := identityFrom(r.Context()); id != nil && msg.Supported(id.Actor.Language) {
		return id.Actor.Language
	}
	if c, err := r.Cookie(langCookie); err == nil {
		for _, l := range Languages {
			if c.Value == l.Code {
				return l.Code
			}
		}
	}
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if len(tags) > 0 {
		_, i, conf := langMatcher.Match(tags...)
		if conf != language.No {
			return Languages[i].Code
		}
	}
	return Languages[0].Code
}

// T returns the text of a key; with arguments the text is a format whose
// numbers are written the language's way. A key missing in the language
// falls back to English, then to the key itself, so a gap shows rather
// than breaks the page.
func (l *Localizer) T(key string, args ...any) string {
	msg, ok := l.msgs[key]
	if !ok {
		if msg, ok = l.fb[key]; !ok {
			return key
		}
	}
	if len(args) == 0 {
		return msg
	}
	return l.printer.Sprintf(msg, args...)
}

// Num writes an integer with the language's digit grouping (1,234 in
// English, 1 234 in Ukrainian and Russian).
func (l *Localizer) Num(n int) string { return l.printer.Sprintf("%d", n) }

var monthsEn = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// Date writes a day: "9 Mar 2026" in English, "09.03.2026" in Ukrainian
// and Russian, the forms their official documents use.
func (l *Localizer) Date(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	t = t.In(l.zone)
	if l.Lang == "en" {
		return fmt.Sprintf("%d %s %d", t.Day(), monthsEn[t.Month()-1], t.Year())
	}
	return t.Format("02.01.2006")
}

// DateTime writes a moment in UTC, which both parties read alike.
func (l *Localizer) DateTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return l.Date(t) + " " + t.In(l.zone).Format("15:04") + " UTC"
}

// PDate writes a possibly partial date of a person record: complete dates
// as Date does, partial ones (a year, a year and month) as known.
func (l *Localizer) PDate(d person.Date) string {
	if d.IsZero() {
		return ""
	}
	if t, ok := d.Time(); ok && d.Complete() {
		return l.Date(t)
	}
	if d.Month != 0 && l.Lang != "en" {
		return fmt.Sprintf("%02d.%04d", d.Month, d.Year)
	}
	return d.String()
}

// Category returns a category's label in the language.
func (l *Localizer) Category(code string) string {
	if c, ok := l.cat.Get(code); ok {
		return c.Label(l.Lang)
	}
	return code
}

// Categories returns the labels of category codes, joined.
func (l *Localizer) Categories(codes []string) string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = l.Category(c)
	}
	return strings.Join(out, ", ")
}

// Key returns the text of a key built from parts, e.g. .L.Key "state" .State.
func (l *Localizer) Key(parts ...any) string {
	s := make([]string, len(parts))
	for i, p := range parts {
		s[i] = fmt.Sprint(p)
	}
	return l.T(strings.Join(s, "."))
}

// catalogueFiles lists the catalogue files of a language, for tests.
func catalogueFiles(lang string) ([]string, error) {
	files, err := fs.Glob(i18nFS, path.Join("i18n", lang, "*.json"))
	return files, err
}

// TOr returns the text of a key, or fallback when no catalogue has it (an
// access-log action of an area that brings no label, for instance).
func (l *Localizer) TOr(key, fallback string) string {
	if _, ok := l.msgs[key]; ok {
		return l.T(key)
	}
	if _, ok := l.fb[key]; ok {
		return l.T(key)
	}
	return fallback
}

// Msg renders a message of the one catalogue (package msg): what the
// service and the domain say (reasons, findings, errors) in the page's
// language.
func (l *Localizer) Msg(m msg.Msg) string { return msg.Text(l.Lang, m) }

// Msgs renders messages joined with "; ".
func (l *Localizer) Msgs(ms []msg.Msg) string { return msg.Join(l.Lang, ms) }

// Stored renders a text that was stored as messages (msg.Encode), such as
// a matching run's reasons; a text stored before that is shown as it is.
func (l *Localizer) Stored(s string) string { return msg.TextOf(l.Lang, s) }

// Problem renders what is wrong with a row of an imported or checked file.
func (l *Localizer) Problem(p listfile.Problem) string { return p.ReasonIn(l.Lang) }
