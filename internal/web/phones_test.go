package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestHandOverNeedsConfirmation: handing a list over cannot be undone, so
// the form's box "I understand this freezes the list" must be ticked; the
// server checks it, and without it nothing changes and the page says why.
func TestHandOverNeedsConfirmation(t *testing.T) {
	e := newEnv(t)
	id := e.importList("A", "B", "good.csv", "Draft", "")
	a := e.login(roleOfficerA)
	b := e.login(roleOfficerB)
	state := func() string {
		l, err := e.svc.GetList(t.Context(), e.actor(roleOfficerA), id)
		if err != nil {
			t.Fatal(err)
		}
		return string(l.State)
	}
	_, page := a.get("/lists/" + id)
	if !strings.Contains(page, `name="confirm" value="freeze"`) || !strings.Contains(page, "I understand this freezes the list") {
		t.Fatal("the list page offers no confirmation box")
	}
	tests := []struct {
		name     string
		who      *browser
		form     url.Values
		want     int
		location string
		state    string
	}{
		{"no box", a, url.Values{}, http.StatusSeeOther, "/lists/" + id + "?handover=unconfirmed#handover", "draft"},
		{"wrong value", a, url.Values{"confirm": {"on"}}, http.StatusSeeOther, "/lists/" + id + "?handover=unconfirmed#handover", "draft"},
		{"other party, no box", b, url.Values{}, http.StatusNotFound, "", "draft"},
		{"other party, ticked", b, url.Values{"confirm": {"freeze"}}, http.StatusNotFound, "", "draft"},
		{"ticked", a, url.Values{"confirm": {"freeze"}}, http.StatusSeeOther, "/lists/" + id, "handed_over"},
	}
	for _, tt := range tests {
		resp, body := tt.who.post("/lists/"+id+"/handover", tt.form)
		if resp.StatusCode != tt.want || resp.Header.Get("Location") != tt.location {
			t.Errorf("%s: %d %q, want %d %q: %.200s", tt.name, resp.StatusCode, resp.Header.Get("Location"), tt.want, tt.location, body)
		}
		if got := state(); got != tt.state {
			t.Errorf("%s: list is %s, want %s", tt.name, got, tt.state)
		}
		if tt.name == "no box" {
			_, page := a.get(tt.location)
			if !strings.Contains(page, `id="handover-unconfirmed"`) || !strings.Contains(page, `aria-invalid="true"`) {
				t.Errorf("the page does not say why nothing happened")
			}
		}
	}
}

// TestUserFormKeepsRoles: when the new-user form comes back with an error,
// the roles ticked stay ticked (and the others stay clear).
func TestUserFormKeepsRoles(t *testing.T) {
	e := newEnv(t)
	ad := e.login(roleAdmin)
	ad.get("/users")
	tests := []struct {
		name  string
		roles []string
	}{
		{"officer and observer", []string{"officer", "observer"}},
		{"mediator", []string{"mediator"}},
	}
	for _, tt := range tests {
		// The user name is taken: the form comes back with an error.
		resp, page := ad.post("/users", url.Values{"username": {roleOfficerA}, "role": tt.roles, "party": {"A"}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("%s: status %d, want 422", tt.name, resp.StatusCode)
		}
		for _, role := range []string{"officer", "mediator", "observer", "admin"} {
			ticked := strings.Contains(page, `name="role" value="`+role+`" checked`)
			want := false
			for _, r := range tt.roles {
				want = want || r == role
			}
			if ticked != want {
				t.Errorf("%s: role %s ticked=%v after the error, want %v", tt.name, role, ticked, want)
			}
		}
	}
}
