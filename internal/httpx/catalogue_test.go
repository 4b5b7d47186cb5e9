package httpx

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoadCatalogues(t *testing.T) {
	langs := []string{"en", "uk"}
	for _, c := range []struct {
		name  string
		files fstest.MapFS
		want  map[string]string // en key → text, on success
		err   string
	}{
		{
			name: "main file and areas merge",
			files: fstest.MapFS{
				"i18n/en.json":      {Data: []byte(`{"a":"A"}`)},
				"i18n/en/x.json":    {Data: []byte(`{"b":"B"}`)},
				"i18n/uk/all.json":  {Data: []byte(`{"a":"А","b":"Б"}`)},
				"i18n/uk/notes.txt": {Data: []byte(`ignored`)},
			},
			want: map[string]string{"a": "A", "b": "B"},
		},
		{
			name: "a key given twice",
			files: fstest.MapFS{
				"i18n/en/x.json": {Data: []byte(`{"a":"A"}`)},
				"i18n/en/y.json": {Data: []byte(`{"a":"A2"}`)},
				"i18n/uk/x.json": {Data: []byte(`{"a":"А"}`)},
			},
			err: `key "a" given twice for en`,
		},
		{
			name: "a language lacks a key",
			files: fstest.MapFS{
				"i18n/en/x.json": {Data: []byte(`{"a":"A","b":"B"}`)},
				"i18n/uk/x.json": {Data: []byte(`{"a":"А"}`)},
			},
			err: `catalogue uk lacks "b"`,
		},
		{
			name: "a language has a key the first lacks",
			files: fstest.MapFS{
				"i18n/en/x.json": {Data: []byte(`{"a":"A"}`)},
				"i18n/uk/x.json": {Data: []byte(`{"a":"А","z":"Я"}`)},
			},
			err: `catalogue uk has "z", which en lacks`,
		},
		{
			name:  "no files",
			files: fstest.MapFS{"i18n/en/x.json": {Data: []byte(`{}`)}},
			err:   "catalogue uk: no files",
		},
		{
			name: "broken JSON names the file",
			files: fstest.MapFS{
				"i18n/en/x.json": {Data: []byte(`{"a":`)},
				"i18n/uk/x.json": {Data: []byte(`{}`)},
			},
			err: "i18n/en/x.json",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := LoadCatalogues(c.files, "i18n", langs)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got["en"]) != len(c.want) {
				t.Fatalf("en = %v, want %v", got["en"], c.want)
			}
			for k, v := range c.want {
				if got["en"][k] != v {
					t.Errorf("en[%q] = %q, want %q", k, got["en"][k], v)
				}
			}
		})
	}
}

func TestDoubleSubmit(t *testing.T) {
	for _, secure := range []bool{false, true} {
		d := DoubleSubmit{Name: "t_csrf", Secure: secure, MaxAge: 60}
		rec := httptest.NewRecorder()
		tok := d.Token(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		cookies := rec.Result().Cookies()
		if len(cookies) != 1 {
			t.Fatalf("secure=%v: %d cookies set, want 1", secure, len(cookies))
		}
		ck := cookies[0]
		if ck.Value != tok || !ck.HttpOnly || ck.Secure != secure || ck.SameSite != http.SameSiteStrictMode || (secure != strings.HasPrefix(ck.Name, "__Host-")) {
			t.Fatalf("secure=%v: cookie %+v", secure, ck)
		}
		with := func(cookie string) *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			if cookie != "" {
				r.AddCookie(&http.Cookie{Name: ck.Name, Value: cookie})
			}
			return r
		}
		// A request that already has the cookie keeps its token.
		rec2 := httptest.NewRecorder()
		if again := d.Token(rec2, with(tok)); again != tok || len(rec2.Result().Cookies()) != 0 {
			t.Errorf("secure=%v: token renewed on a request that had one", secure)
		}
		other := strings.Repeat("A", len(tok))
		for _, c := range []struct {
			name, cookie, form string
			ok                 bool
		}{
			{"same token", tok, tok, true},
			{"no cookie", "", tok, false},
			{"no form token", tok, "", false},
			{"other token", tok, other, false},
			{"short cookie equal to form", "abc", "abc", false},
		} {
			if got := d.Check(with(c.cookie), c.form); got != c.ok {
				t.Errorf("secure=%v %s: Check = %v, want %v", secure, c.name, got, c.ok)
			}
		}
	}
}
