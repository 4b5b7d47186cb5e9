package msg

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestCatalogues checks that every language has every code another has,
// with the same parameters, and no empty text: a missing translation is
// a failure here, not an English sentence on a Ukrainian page.
func TestCatalogues(t *testing.T) {
	cat, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`\{([a-z_]+)\}`)
	params := func(s string) map[string]bool {
		out := map[string]bool{}
		for _, m := range param.FindAllStringSubmatch(s, -1) {
			out[m[1]] = true
		}
		return out
	}
	if len(cat[English]) == 0 {
		t.Fatal("the English catalogue is empty")
	}
	for _, a := range Languages {
		for _, b := range Languages {
			for code, text := range cat[a] {
				other, ok := cat[b][code]
				if !ok {
					t.Errorf("%s has %q, %s lacks it", a, code, b)
					continue
				}
				if text == "" {
					t.Errorf("%s: %q is empty", a, code)
				}
				pa, pb := params(text), params(other)
				for p := range pa {
					if !pb[p] {
						t.Errorf("%q: %s uses {%s}, %s does not", code, a, p, b)
					}
				}
			}
		}
	}
}

// TestCataloguesTranslated checks what TestCatalogues cannot: that a
// Ukrainian or Russian text is not an English one left in place. Every
// text with letters outside its parameters holds Cyrillic. The refusals
// of the service and of access (err.*, deny.*, error.*), which reach web
// pages, API clients and the command line alike, go further: their Latin
// words are only the technical ones a reader types or sees as they are
// (file formats, codes with "_"), and they name no command-line flag.
func TestCataloguesTranslated(t *testing.T) {
	cat, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`\{[a-z_]+\}`)
	cyrillic := regexp.MustCompile(`\p{Cyrillic}`)
	latin := regexp.MustCompile(`[A-Za-z][A-Za-z_-]{2,}`)
	flag := regexp.MustCompile(`(^|[\s(«"])--[a-z]`)
	technical := map[string]bool{"UTF-": true, "JSON": true, "json": true, "csv": true, "xlsx": true, "XLSX": true, "XML": true,
		"zip-": true, "API": true, "pdf": true, "PDF": true, "application": true, "Content-Type": true, "format": true, "skip-invalid": true,
		"match": true, "review": true, "none": true, "pending": true, "confirmed": true, "rejected": true,
		"other": true, "died": true, "civilian": true, "extra": true, "entries": true, "surname": true,
		// Names that are written as they are in every language.
		"Parley": true, "SQLite": true, "PostgreSQL": true, "Ctrl": true}
	for _, lang := range Languages {
		for code, text := range cat[lang] {
			refusal := strings.HasPrefix(code, "err.") || strings.HasPrefix(code, "deny.") || strings.HasPrefix(code, "error.")
			if refusal && flag.MatchString(text) {
				t.Errorf("%s: %q names a command-line flag: %q", lang, code, text)
			}
			if lang == English {
				continue
			}
			words := param.ReplaceAllString(text, "")
			if latin.MatchString(words) && !cyrillic.MatchString(words) {
				t.Errorf("%s: %q is not translated: %q", lang, code, text)
			}
			for _, w := range latin.FindAllString(words, -1) {
				if refusal && !technical[w] && !strings.Contains(w, "_") {
					t.Errorf("%s: %q holds the English word %q: %q", lang, code, w, text)
				}
			}
		}
	}
}

func TestText(t *testing.T) {
	when := time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		lang string
		m    Msg
		want string
	}{
		{"en", New("error.throttled", "seconds", 1500), "too many failed attempts; try again in 1,500 s"},
		{"uk", New("error.throttled", "seconds", 1500), "забагато невдалих спроб; спробуйте знову через 1 500 с"},
		{"ru", New("import.refused", "count", 3), "Проблем в файле: 3; ничего не импортировано"},
		{"de", New("error.not_found"), "not found"},
		{"uk", New("no.such.code"), "no.such.code"},
		{"uk", New("listfile.place.row", "row", 12, "reason", New("error.not_found")), "рядок 12: не знайдено"},
	}
	for _, tt := range tests {
		got := Text(tt.lang, tt.m)
		// x/text writes a no-break space between digit groups.
		if norm(got) != norm(tt.want) {
			t.Errorf("Text(%s, %v) = %q, want %q", tt.lang, tt.m.Code, got, tt.want)
		}
	}
	for lang, want := range map[string]string{"en": "9 Mar 2026", "uk": "09.03.2026", "ru": "09.03.2026"} {
		if got := Param(lang, when); got != want {
			t.Errorf("Param(%s, date) = %q, want %q", lang, got, want)
		}
	}
}

func norm(s string) string { return regexp.MustCompile(`[\x{00a0}\x{202f} ]`).ReplaceAllString(s, " ") }

func TestLanguagePicking(t *testing.T) {
	locales := map[string]string{"uk_UA.UTF-8": "uk", "ru_RU": "ru", "ru_UA.utf8": "ru", "en_GB.UTF-8": "en", "C": "", "POSIX": "", "de_DE.UTF-8": "", "": "", "uk": "uk"}
	for in, want := range locales {
		if got := FromLocale(in); got != want {
			t.Errorf("FromLocale(%q) = %q, want %q", in, got, want)
		}
	}
	headers := map[string]string{"uk-UA,uk;q=0.9,en;q=0.8": "uk", "ru": "ru", "de-DE": "", "": "", "fr, en;q=0.5": "en"}
	for in, want := range headers {
		if got := FromAcceptLanguage(in); got != want {
			t.Errorf("FromAcceptLanguage(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Pick("", "de", "ru", "uk"); got != "ru" {
		t.Errorf("Pick = %q, want ru", got)
	}
}

func TestError(t *testing.T) {
	kind := errors.New("invalid input")
	err := error(NewError(kind, "import.refused", "count", 2))
	wrapped := errors.Join(errors.New("context"), err)
	if !errors.Is(wrapped, kind) {
		t.Error("errors.Is does not find the kind")
	}
	code, text := ErrorText("uk", wrapped)
	if code != "import.refused" || text != "У файлі проблем: 2; нічого не імпортовано" {
		t.Errorf("ErrorText = %q, %q", code, text)
	}
	if code, text := ErrorText("uk", errors.New("plain")); code != "" || text != "plain" {
		t.Errorf("ErrorText of a plain error = %q, %q", code, text)
	}
}
