package web

import (
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"parley/internal/person"
)

// TestCataloguesComplete checks that every language defines exactly the
// keys of English, with the same format verbs, and that every key the
// templates and the code use exists.
func TestCataloguesComplete(t *testing.T) {
	c, err := loadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	en := c.keys("en")
	if len(en) < 100 {
		t.Fatalf("English catalogue has only %d keys", len(en))
	}
	verbs := regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)
	for _, l := range Languages[1:] {
		if got := c.keys(l.Code); !slices.Equal(got, en) {
			for _, k := range en {
				if _, ok := c.msgs[l.Code][k]; !ok {
					t.Errorf("%s lacks %q", l.Code, k)
				}
			}
			for _, k := range got {
				if _, ok := c.msgs["en"][k]; !ok {
					t.Errorf("%s has %q, which English lacks", l.Code, k)
				}
			}
		}
		for _, k := range en {
			want := verbs.FindAllString(c.msgs["en"][k], -1)
			if got := verbs.FindAllString(c.msgs[l.Code][k], -1); !slices.Equal(got, want) {
				t.Errorf("%s %q: format verbs %v, English has %v", l.Code, k, got, want)
			}
			if c.msgs[l.Code][k] == "" {
				t.Errorf("%s %q is empty", l.Code, k)
			}
		}
	}

	used := regexp.MustCompile(`\.T "([a-z_.]+)"|T\("([a-z_.]+)"|Key: "([a-z_.]+)"|"((?:login|account|error|dashboard)\.[a-z_]+)"`)
	check := func(name string, b []byte) {
		for _, m := range used.FindAllStringSubmatch(string(b), -1) {
			key := m[1] + m[2] + m[3] + m[4]
			if _, ok := c.msgs["en"][key]; !ok {
				t.Errorf("%s uses key %q, which the catalogue lacks", name, key)
			}
		}
	}
	_ = fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := templateFS.ReadFile(p)
			check(p, b)
		}
		return nil
	})
	goFiles, _ := fs.Glob(os.DirFS("."), "*.go")
	for _, f := range goFiles {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, _ := os.ReadFile(f)
		check(f, b)
	}
	// Keys built at run time from a prefix and a value.
	for _, k := range []string{"state.draft", "state.handed_over", "state.acknowledged", "role.officer", "role.mediator", "role.observer", "role.admin", "kind.pow", "kind.civilian", "kind.remains"} {
		if _, ok := c.msgs["en"][k]; !ok {
			t.Errorf("catalogue lacks %q", k)
		}
	}
	for _, st := range person.Statuses() {
		if _, ok := c.msgs["en"]["status."+string(st)]; !ok {
			t.Errorf("catalogue lacks status.%s", st)
		}
	}
}

func TestLocalizedFormats(t *testing.T) {
	e := newEnv(t)
	at := time.Date(2026, 3, 9, 14, 5, 0, 0, time.UTC)
	tests := []struct {
		lang, num, date, dateTime, pdate, partial string
	}{
		{"en", "1,234,567", "9 Mar 2026", "9 Mar 2026 14:05 UTC", "9 Mar 1994", "1994-03"},
		{"uk", "1 234 567", "09.03.2026", "09.03.2026 14:05 UTC", "09.03.1994", "03.1994"},
		{"ru", "1 234 567", "09.03.2026", "09.03.2026 14:05 UTC", "09.03.1994", "03.1994"},
	}
	for _, tt := range tests {
		l := e.srv.localizer(tt.lang)
		// Ukrainian and Russian group digits with a no-break space.
		num := strings.ReplaceAll(l.Num(1234567), "\u00a0", " ")
		if num != tt.num {
			t.Errorf("%s: Num = %q, want %q", tt.lang, l.Num(1234567), tt.num)
		}
		if got := l.Date(at); got != tt.date {
			t.Errorf("%s: Date = %q, want %q", tt.lang, got, tt.date)
		}
		if got := l.DateTime(at); got != tt.dateTime {
			t.Errorf("%s: DateTime = %q, want %q", tt.lang, got, tt.dateTime)
		}
		if got := l.PDate(person.Date{Year: 1994, Month: 3, Day: 9}); got != tt.pdate {
			t.Errorf("%s: PDate = %q, want %q", tt.lang, got, tt.pdate)
		}
		if got := l.PDate(person.Date{Year: 1994, Month: 3}); got != tt.partial {
			t.Errorf("%s: partial PDate = %q, want %q", tt.lang, got, tt.partial)
		}
		if got := l.T("dashboard.lists_n", 1234567); !strings.Contains(strings.ReplaceAll(got, "\u00a0", " "), tt.num) {
			t.Errorf("%s: formatted message %q", tt.lang, got)
		}
		if got := l.Category("wounded"); got == "wounded" || got == "" {
			t.Errorf("%s: category label %q", tt.lang, got)
		}
	}
	if got := e.srv.localizer("uk").T("no.such.key"); got != "no.such.key" {
		t.Errorf("missing key = %q, want the key", got)
	}
}

func TestLanguageChoice(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		accept, cookie, want string
	}{
		{"", "", "Sign in to Parley"},
		{"uk-UA,uk;q=0.9,en;q=0.5", "", "Вхід до Parley"},
		{"ru", "", "Вход в Parley"},
		{"de-DE,de;q=0.9", "", "Sign in to Parley"},
		{"ru", "uk", "Вхід до Parley"},
		{"uk", "en", "Sign in to Parley"},
		{"uk", "xx", "Вхід до Parley"},
	}
	for _, tt := range tests {
		b := e.newBrowser()
		if tt.cookie != "" {
			b.c.Jar.SetCookies(mustURL(e.ts.URL), []*http.Cookie{{Name: langCookie, Value: tt.cookie}})
		}
		_, body := b.get("/login", "Accept-Language", tt.accept)
		if !strings.Contains(body, tt.want) {
			t.Errorf("Accept-Language %q, cookie %q: page lacks %q", tt.accept, tt.cookie, tt.want)
		}
	}
	// The switcher sets the cookie and returns to the page.
	b := e.login(roleOfficerA)
	resp, _ := b.get("/lang/ru?next=" + url.QueryEscape("/lists?q=x"))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/lists?q=x" {
		t.Fatalf("switch: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body := b.get("/lists"); !strings.Contains(body, `<html lang="ru">`) || !strings.Contains(body, "Загрузить список") {
		t.Errorf("after switching to Russian the lists page is not Russian")
	}
	if resp, _ := b.get("/lang/de"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown language: %d", resp.StatusCode)
	}
	if resp, _ := b.get("/lang/uk?next=//evil.example"); resp.Header.Get("Location") != "/" {
		t.Errorf("open redirect through the switcher: %q", resp.Header.Get("Location"))
	}
}

// TestEveryPageInEveryLanguage renders each page in each language and
// checks that no message key leaks through untranslated.
func TestEveryPageInEveryLanguage(t *testing.T) {
	e := newEnv(t)
	draft := e.importList("A", "B", "good.csv", "Список А", "")
	v2 := e.importList("A", "B", "good_v2.csv", "", draft)
	sent := e.importList("A", "B", "good.csv", "Handed", "")
	e.handOver(sent)
	keyLike := regexp.MustCompile(`>\s*(?:nav|login|account|dashboard|lists|list|upload|diff|registry|users|accesslog|error|state|role|kind|status|problems|entry)\.[a-z_.]+\s*<`)
	pages := map[string][]string{
		roleOfficerA: {"/", "/lists", "/lists/" + draft, "/lists/" + draft + "/diff/" + v2, "/registry", "/account"},
		roleMediator: {"/", "/lists/" + sent, "/access-log"},
		roleAdmin:    {"/", "/users", "/access-log"},
		roleAnon:     {"/login", "/no/such/page"},
	}
	for _, lang := range Languages {
		for role, paths := range pages {
			b := e.login(role)
			b.c.Jar.SetCookies(mustURL(e.ts.URL), []*http.Cookie{{Name: langCookie, Value: lang.Code}})
			for _, p := range paths {
				resp, body := b.get(p)
				if resp.StatusCode != 200 && !(p == "/no/such/page" && resp.StatusCode == 404) {
					t.Errorf("%s %s as %s: status %d", lang.Code, p, role, resp.StatusCode)
					continue
				}
				if !strings.Contains(body, `<html lang="`+lang.Code+`">`) {
					t.Errorf("%s %s: wrong html lang", lang.Code, p)
				}
				if m := keyLike.FindString(body); m != "" {
					t.Errorf("%s %s as %s: untranslated key %s", lang.Code, p, role, m)
				}
			}
		}
	}
}
