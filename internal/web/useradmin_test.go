package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"parley/internal/access"
	"parley/internal/service"
)

func init() {
	matrixExtras = append(matrixExtras, func(t *testing.T) map[string]matrixCase {
		return map[string]matrixCase{
			"GET /users/{username}": {func(e *env, _ *fixtures) probe { return probe{path: "/users/" + freshUser(e, false)} }, w(s303, s403, s403, s403, s403, s200)},
			"POST /users/{username}/roles": {func(e *env, _ *fixtures) probe {
				return probe{path: "/users/" + freshUser(e, false) + "/roles", form: url.Values{"role": {"mediator"}}}
			}, w(s303, s403, s403, s403, s403, s303)},
			"POST /users/{username}/password-reset": {func(e *env, _ *fixtures) probe {
				return probe{path: "/users/" + freshUser(e, false) + "/password-reset"}
			}, w(s303, s403, s403, s403, s403, s200)},
			"PUT /api/v1/users/{username}/roles": {func(e *env, _ *fixtures) probe {
				return probe{path: "/api/v1/users/" + freshUser(e, false) + "/roles", body: []byte(`{"roles":["officer"],"party":"B"}`), contentType: "application/json"}
			}, w(s401, s403, s403, s403, s403, s200)},
			"POST /api/v1/users/{username}/password-reset": {func(e *env, _ *fixtures) probe {
				return probe{path: "/api/v1/users/" + freshUser(e, false) + "/password-reset"}
			}, w(s401, s403, s403, s403, s403, s200)},
		}
	})
}

var oneTimeRe = regexp.MustCompile(`class="secret-value one-time-password">([^<]+)<`)

// TestUserRolesForm changes roles through the form: a refused form comes
// back with every problem and with the roles as ticked; a good one is
// saved and in the access log.
func TestUserRolesForm(t *testing.T) {
	e := newEnv(t)
	adm := e.login(roleAdmin)
	name := freshUser(e, false)
	adm.get("/users/" + name)
	tests := []struct {
		name   string
		form   url.Values
		status int
		want   []string // in the answer
	}{
		{"officer without party and an unknown role", url.Values{"role": {"officer", "chief", "mediator"}}, http.StatusUnprocessableEntity,
			[]string{"unknown role", "an officer must be bound to a party", `value="officer" checked`, `value="mediator" checked`}},
		{"no role", url.Values{}, http.StatusUnprocessableEntity, []string{"at least one role"}},
		{"officer of B", url.Values{"role": {"officer", "observer"}, "party": {"B"}}, http.StatusSeeOther, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := adm.post("/users/"+name+"/roles", tt.form)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %.300s", resp.StatusCode, tt.status, body)
			}
			for _, s := range tt.want {
				if !strings.Contains(body, s) {
					t.Errorf("answer lacks %q", s)
				}
			}
		})
	}
	u, err := e.svc.GetUser(context.Background(), access.System, name)
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Roles) != 2 || u.Party != "B" {
		t.Errorf("roles %v party %q after the change", u.Roles, u.Party)
	}
	// Nobody takes the administrator role from themselves.
	adm.get("/users/" + roleAdmin)
	if resp, body := adm.post("/users/"+roleAdmin+"/roles", url.Values{"role": {"observer"}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `value="observer" checked`) {
		t.Errorf("an administrator dropped his own role: %d", resp.StatusCode)
	}
	pg, err := e.svc.AccessLogPage(context.Background(), e.actor(roleAdmin), service.AccessQuery{Action: "user.roles"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.Records) != 1 || pg.Records[0].Subject != name {
		t.Errorf("access log of role changes: %+v", pg.Records)
	}
}

// TestUserCreateReportsAllProblems: a bad username, a short password and
// an officer without a party are reported together, the roles kept.
func TestUserCreateReportsAllProblems(t *testing.T) {
	e := newEnv(t)
	adm := e.login(roleAdmin)
	resp, body := adm.post("/users", url.Values{"username": {"-x"}, "password": {"short"}, "role": {"officer", "observer"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, s := range []string{"username", "at least 10 characters", "bound to a party", `value="officer" checked`, `value="observer" checked`} {
		if !strings.Contains(body, s) {
			t.Errorf("answer lacks %q", s)
		}
	}
	// The API reports them all as well.
	r, b := e.api(roleAdmin, "POST", "/api/v1/users", strings.NewReader(`{"username":"-x","password":"short","roles":["officer"]}`), "application/json")
	var eb struct {
		Details struct {
			Errors []struct{ Code string } `json:"errors"`
		} `json:"details"`
	}
	if err := json.Unmarshal(b, &eb); err != nil || r.StatusCode != http.StatusUnprocessableEntity || len(eb.Details.Errors) != 3 {
		t.Errorf("API: %d %s", r.StatusCode, b)
	}
}

// TestPasswordReset: the one-time password signs in, but leads only to
// the account page until it is changed; the reset is in the access log.
func TestPasswordReset(t *testing.T) {
	e := newEnv(t)
	adm := e.login(roleAdmin)
	victim := e.login(roleObserver)
	adm.get("/users/" + roleObserver)
	resp, body := adm.post("/users/"+roleObserver+"/password-reset", nil)
	m := oneTimeRe.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("reset: %d, password shown: %v", resp.StatusCode, m != nil)
	}
	if resp, _ := victim.get("/lists"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("the old session survived the reset: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	b := e.newBrowser()
	b.get("/login")
	if resp, _ := b.post("/login", url.Values{"username": {roleObserver}, "password": {m[1]}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in with the one-time password: %d", resp.StatusCode)
	}
	if resp, _ := b.get("/lists"); resp.Header.Get("Location") != "/account" {
		t.Errorf("with a one-time password /lists answers %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := b.get("/static/app.css"); resp.StatusCode != http.StatusOK {
		t.Errorf("with a one-time password the style sheet answers %d", resp.StatusCode)
	}
	_, acc := b.get("/account")
	if !strings.Contains(acc, "must-change") {
		t.Error("the account page does not ask for a new password")
	}
	if resp, body := b.post("/account/password", url.Values{"current": {m[1]}, "new": {"a brand new secret"}, "repeat": {"a brand new secret"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("change: %d %.300s", resp.StatusCode, body)
	}
	if resp, _ := b.get("/lists"); resp.StatusCode != http.StatusOK {
		t.Errorf("after the change /lists answers %d", resp.StatusCode)
	}
	pg, err := e.svc.AccessLogPage(context.Background(), e.actor(roleAdmin), service.AccessQuery{Action: "user.password_reset"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.Records) != 1 || pg.Records[0].Subject != roleObserver || pg.Records[0].Actor != roleAdmin {
		t.Errorf("access log of resets: %+v", pg.Records)
	}
	// Through the API as well; one's own password is not reset here.
	if r, b := e.api(roleAdmin, "POST", "/api/v1/users/"+roleObserver+"/password-reset", nil, ""); r.StatusCode != http.StatusOK || !strings.Contains(string(b), `"must_change_password": true`) {
		t.Errorf("API reset: %d %s", r.StatusCode, b)
	}
	if r, _ := e.api(roleAdmin, "POST", "/api/v1/users/"+roleAdmin+"/password-reset", nil, ""); r.StatusCode != http.StatusConflict {
		t.Errorf("own reset through the API: %d", r.StatusCode)
	}
}

// TestBrowserUserAdmin changes a user's roles (after a refused attempt
// that keeps the ticks) and resets the password, in a real browser.
func TestBrowserUserAdmin(t *testing.T) {
	bctx := newChromium(t)
	e := newEnv(t)
	c := tab(t, bctx)
	signIn(t, c, e.ts.URL, roleAdmin)
	run(t, c, "open the user",
		chromedp.Navigate(e.ts.URL+"/users"),
		chromedp.Click(chromedp.CSS(`a[href="/users/`+roleObserver+`"].button`)),
		chromedp.WaitVisible(chromedp.CSS("form.roles-form")),
		// Officer without a party: refused, the ticks stay.
		chromedp.Click(chromedp.CSS(`form.roles-form input[value="officer"]`)),
		chromedp.Click(chromedp.CSS("form.roles-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".form-errors")),
	)
	if !eval[bool](t, c, `document.querySelector('form.roles-form input[value="officer"]').checked && document.querySelector('form.roles-form input[value="observer"]').checked`) {
		t.Fatal("the refused form lost its ticked roles")
	}
	run(t, c, "choose the party and save",
		chromedp.SetValue(chromedp.CSS("#u-party"), "A"),
		chromedp.Click(chromedp.CSS("form.roles-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".alert.ok")),
	)
	if got := strings.ToLower(text(t, c, ".user-roles")); !strings.Contains(got, "officer") || !strings.Contains(got, "observer") {
		t.Errorf("roles shown after saving: %q", got)
	}
	run(t, c, "reset the password",
		chromedp.Click(chromedp.CSS("form.reset-form button")),
		chromedp.WaitVisible(chromedp.CSS(".one-time-password")),
	)
	pw := strings.TrimSpace(text(t, c, ".one-time-password"))
	screenshot(t, c, "user-admin")
	// The user signs in with it and is sent to change it.
	u := tab(t, bctx)
	run(t, u, "sign in with the one-time password",
		chromedp.Navigate(e.ts.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SetValue(chromedp.CSS("#username"), roleObserver),
		chromedp.SetValue(chromedp.CSS("#password"), pw),
		chromedp.Click(chromedp.CSS("form.card button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".must-change")),
	)
	if got, _ := e.svc.GetUser(context.Background(), access.System, roleObserver); got == nil || got.Party != "A" || !got.MustChangePassword {
		t.Errorf("stored user after the browser's changes: %+v", got)
	}
}
