package familyweb

import (
	"embed"
	"fmt"
	"net/http"
	"strings"

	"parley/internal/httpx"

	"golang.org/x/text/language"
)

// Each language has its main file i18n/<lang>.json and may have more
// files, one per area, in i18n/<lang>/.
//
//go:embed i18n/*.json i18n/*/*.json
var catalogueFiles embed.FS

// languages are the languages of the family pages, the first the default.
var languages = []string{"en", "uk", "ru"}

// catalogue holds the messages of one language by key.
type catalogue map[string]string

func loadCatalogues() (map[string]catalogue, error) {
	all, err := httpx.LoadCatalogues(catalogueFiles, "i18n", languages)
	if err != nil {
		return nil, fmt.Errorf("family pages: %w", err)
	}
	out := make(map[string]catalogue, len(all))
	for lang, m := range all {
		out[lang] = m
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
