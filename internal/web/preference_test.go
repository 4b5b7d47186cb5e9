package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestSavedLanguageWins checks the order in which a request's language is
// chosen: the signed-in user's saved choice, then the cookie and
// Accept-Language; on the workbench and in the API, where the choice is
// saved too.
func TestSavedLanguageWins(t *testing.T) {
	e := newEnv(t)
	b := e.login(roleOfficerB)
	ru := []string{"Accept-Language", "ru"}
	if _, body := b.get("/lists", ru...); !strings.Contains(body, `<html lang="ru">`) {
		t.Fatalf("without a saved choice Accept-Language should decide")
	}
	resp, _ := b.post("/account/language", url.Values{"language": {"uk"}, "next": {"/lists"}}, ru...)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/lists" {
		t.Fatalf("save: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// Another browser of the same user, asking for Russian with the
	// header and the visitor's cookie: the saved Ukrainian wins.
	other := e.login(roleOfficerB)
	other.c.Jar.SetCookies(mustURL(e.ts.URL), []*http.Cookie{{Name: langCookie, Value: "ru"}})
	_, body := other.get("/account", ru...)
	if !strings.Contains(body, `<html lang="uk">`) || !strings.Contains(body, `<option value="uk" lang="uk" selected>`) {
		t.Errorf("the saved language does not win over Accept-Language and the cookie: %.300s", body)
	}
	// The API answers the same user in Ukrainian, whatever the header.
	type me struct {
		Language string `json:"language"`
	}
	var m me
	_, raw := e.api(roleOfficerB, "GET", "/api/v1/me", nil, "")
	if err := json.Unmarshal(raw, &m); err != nil || m.Language != "uk" {
		t.Errorf("GET /me: %s", raw)
	}
	for _, tt := range []struct {
		body   string
		status int
		want   string // in the error text or the body
	}{
		{`{"language":"de"}`, http.StatusUnprocessableEntity, "мова: значення de не підтримується"},
		{`{"language":"ru"}`, http.StatusOK, `"language": "ru"`},
	} {
		req, _ := http.NewRequest("PUT", e.ts.URL+"/api/v1/me/language", strings.NewReader(tt.body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept-Language", "en")
		req.Header.Set("Authorization", "Bearer "+e.tokens[roleOfficerB])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(string(got), tt.want) {
			t.Errorf("PUT %s: %d %s, want %d with %q", tt.body, resp.StatusCode, got, tt.status, tt.want)
		}
	}
	// Saved through the API, read by the workbench; an English browser
	// does not change it.
	if _, body := b.get("/lists", "Accept-Language", "en"); !strings.Contains(body, `<html lang="ru">`) {
		t.Errorf("the language saved through the API is not the workbench's")
	}
	// Forgetting the choice gives Accept-Language back.
	b.get("/account")
	b.post("/account/language", url.Values{"language": {""}})
	b.c.Jar.SetCookies(mustURL(e.ts.URL), []*http.Cookie{{Name: langCookie, Value: "", MaxAge: -1}})
	if _, body := b.get("/lists", "Accept-Language", "en"); !strings.Contains(body, `<html lang="en">`) {
		t.Errorf("after forgetting the choice Accept-Language should decide again")
	}
	if resp, _ := b.post("/account/language", url.Values{"language": {"xx"}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("an unknown language: %d", resp.StatusCode)
	}
}
