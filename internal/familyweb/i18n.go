package familyweb

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"strings"

	"golang.org/x/text/language"
)

//go:embed i18n/*.json
var catalogueFiles embed.FS

// languages are the languages of the family pages, the first the default.
var languages = []string{"en", "uk", "ru"}

// catalogue holds the messages of one language by key.
type catalogue map[string]string

func loadCatalogues() (map[string]catalogue, error) {
	out := map[string]catalogue{}
	for _, lang := range languages {
		b, err := catalogueFiles.ReadFile("i18n/" + lang + ".json")
		if err != nil {
			return nil, fmt.Errorf("catalogue %s: %w", lang, err)
		}
		var c catalogue
		if err := json.Unmarshal(b, &c); err != nil {
			return nil, fmt.Errorf("catalogue %s: %w", lang, err)
		}
		// Further messages of an area live in i18n/<area>.<lang>.json, so
		// that areas do not all edit one file; a key may be given once.
		more, err := fs.Glob(catalogueFiles, "i18n/*."+lang+".json")
		if err != nil {
			return nil, fmt.Errorf("catalogue %s: %w", lang, err)
		}
		for _, name := range more {
			b, err := catalogueFiles.ReadFile(name)
			if err != nil {
				return nil, fmt.Errorf("catalogue %s: %w", name, err)
			}
			var extra catalogue
			if err := json.Unmarshal(b, &extra); err != nil {
				return nil, fmt.Errorf("catalogue %s: %w", name, err)
			}
			for k, v := range extra {
				if _, dup := c[k]; dup {
					return nil, fmt.Errorf("catalogue %s repeats %q", name, k)
				}
				c[k] = v
			}
		}
		out[lang] = c
	}
	// Every language must say everything English says: a missing message
	// would show a key to a family.
	for _, lang := range languages[1:] {
		for k := range out["en"] {
			if out[lang][k] == "" {
				return nil, fmt.Errorf("catalogue %s lacks %q", lang, k)
			}
		}
		for k := range out[lang] {
			if _, ok := out["en"][k]; !ok {
				return nil, fmt.Errorf("catalogue %s has %q, which English lacks", lang, k)
			}
		}
	}
	return out, nil
}

// translate returns the message for key with {name} placeholders replaced
// by the pairs in args; an unknown key is returned as it is, so that a
// mistake shows instead of vanishing.
func (c catalogue) translate(key string, args ...string) string {
	msg, ok := c[key]
	if !ok {
		return key
	}
	for i := 0; i+1 < len(args); i += 2 {
		msg = strings.ReplaceAll(msg, "{"+args[i]+"}", args[i+1])
	}
	return msg
}

var langMatcher = language.NewMatcher([]language.Tag{language.English, language.Ukrainian, language.Russian})

const langCookie = "parley_lang"

// pickLanguage chooses the page language: ?lang= (remembered in a cookie),
// then the cookie, then the browser's Accept-Language, then English.
func pickLanguage(w http.ResponseWriter, r *http.Request, secure bool) string {
	if l := r.URL.Query().Get("lang"); valid(l) {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && valid(c.Value) {
		return c.Value
	}
	_, i := language.MatchStrings(langMatcher, r.Header.Get("Accept-Language"))
	return languages[i]
}

func valid(lang string) bool {
	for _, l := range languages {
		if l == lang {
			return true
		}
	}
	return false
}
