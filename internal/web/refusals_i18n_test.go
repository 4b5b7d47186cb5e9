package web

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"parley/internal/msg"
)

// refusalCase is one refusal of testdata/refusals-i18n.json: a request,
// the status and stable code it must get, and the parameters of its
// message ("{sent}" stands for a list handed over from A to B).
type refusalCase struct {
	Name   string                     `json:"name"`
	Role   string                     `json:"role"`
	Method string                     `json:"method"`
	Path   string                     `json:"path"`
	Body   json.RawMessage            `json:"body"`
	Status int                        `json:"status"`
	Code   string                     `json:"code"`
	Params map[string]json.RawMessage `json:"params"`
}

// message is the case's expected message, its parameters typed as the
// service passes them: {"enum": kind, "code": c} an enumerated value,
// {"plain": n} a row number, a JSON number an integer, else a string.
func (c refusalCase) message(t *testing.T, sent string) msg.Msg {
	t.Helper()
	var kv []any
	for name, raw := range c.Params {
		var v any
		var e struct {
			Enum, Code string
			Plain      *int
		}
		var n int
		var s string
		switch {
		case json.Unmarshal(raw, &e) == nil && e.Enum != "":
			v = msg.Enum{Kind: e.Enum, Code: e.Code}
		case json.Unmarshal(raw, &e) == nil && e.Plain != nil:
			v = msg.Plain(*e.Plain)
		case json.Unmarshal(raw, &n) == nil:
			v = n
		case json.Unmarshal(raw, &s) == nil:
			v = strings.ReplaceAll(s, "{sent}", sent)
		default:
			t.Fatalf("%s: parameter %s: %s", c.Name, name, raw)
		}
		kv = append(kv, name, v)
	}
	return msg.New(c.Code, kv...)
}

// TestAPIRefusalsInLanguage sends requests the service or the front end
// refuses with Accept-Language in Ukrainian, Russian and English, and
// checks that each answer carries the stable code and the catalogue's
// message in that language — not the English one, and naming no
// command-line flag.
func TestAPIRefusalsInLanguage(t *testing.T) {
	b, err := os.ReadFile("testdata/refusals-i18n.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []refusalCase
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	sent := freshSent(e)
	cyrillic := regexp.MustCompile(`\p{Cyrillic}`)
	flag := regexp.MustCompile(`(^|\s|\()--[a-z]`)
	for _, c := range cases {
		want := c.message(t, sent)
		english := msg.Text(msg.English, want)
		for _, lang := range []struct{ accept, lang string }{{"uk-UA,uk;q=0.9,en;q=0.5", "uk"}, {"ru", "ru"}, {"en-GB", "en"}} {
			t.Run(c.Name+"/"+lang.lang, func(t *testing.T) {
				var body io.Reader
				if len(c.Body) > 0 {
					body = bytes.NewReader(c.Body)
				}
				req, _ := http.NewRequest(c.Method, e.ts.URL+strings.ReplaceAll(c.Path, "{sent}", sent), body)
				if body != nil {
					req.Header.Set("Content-Type", "application/json")
				}
				req.Header.Set("Authorization", "Bearer "+e.tokens[c.Role])
				req.Header.Set("Accept-Language", lang.accept)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				var got struct{ Code, Message, Error string }
				if err := json.Unmarshal(raw, &got); err != nil {
					t.Fatalf("status %d, body %s: %v", resp.StatusCode, raw, err)
				}
				if resp.StatusCode != c.Status || got.Code != c.Code {
					t.Fatalf("status %d, code %q (%s); want %d, %q", resp.StatusCode, got.Code, got.Message, c.Status, c.Code)
				}
				if text := msg.Text(lang.lang, want); got.Message != text || got.Error != text {
					t.Errorf("message %q, error %q; want the catalogue's %q", got.Message, got.Error, text)
				}
				if lang.lang != msg.English && (got.Message == english || !cyrillic.MatchString(got.Message)) {
					t.Errorf("message %q is not in %s (English: %q)", got.Message, lang.lang, english)
				}
				if flag.MatchString(got.Message) {
					t.Errorf("message %q names a command-line flag", got.Message)
				}
			})
		}
	}
}
