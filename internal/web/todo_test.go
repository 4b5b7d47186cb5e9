package web

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestToDoByRole checks what waits for whom as a proposal goes from A to
// B, is accepted and waits for the mediator's witness: each step shows on
// the dashboard of the one role that takes it, with the menu's count.
func TestToDoByRole(t *testing.T) {
	e := newEnv(t)
	w := e.newNegWorld()
	id := e.propose(w, roleOfficerA, false)
	dash := func(role string) string {
		t.Helper()
		_, body := e.login(role).get("/")
		i := strings.Index(body, `id="todo"`)
		if i < 0 {
			t.Fatalf("%s's dashboard has no to-do", role)
		}
		body = body[i:]
		return body[:strings.Index(body, "</section>")]
	}
	link := `href="/proposals/` + id + `"`
	tests := []struct {
		role string
		want bool
	}{{roleOfficerB, true}, {roleOfficerA, false}, {roleMediator, false}, {roleObserver, false}}
	for _, tc := range tests {
		if got := strings.Contains(dash(tc.role), link); got != tc.want {
			t.Errorf("submitted proposal on %s's to-do: %v, want %v", tc.role, got, tc.want)
		}
	}
	_, body := e.login(roleOfficerB).get("/lists")
	if !strings.Contains(body, `class="todo-count"`) {
		t.Error("B's menu shows no count of what waits")
	}
	if _, err := e.svc.AcceptProposal(context.Background(), e.actor(roleOfficerB), id, ""); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(dash(roleOfficerB), link) {
		t.Error("an answered proposal still waits for B")
	}
	if d := dash(roleMediator); !strings.Contains(d, link) || !strings.Contains(d, "todo-witness_agreement") {
		t.Error("an accepted proposal does not wait for the mediator's witness")
	}
	a, err := e.svc.WitnessProposal(context.Background(), e.actor(roleMediator), id)
	if err != nil {
		t.Fatal(err)
	}
	if d := dash(roleObserver); !strings.Contains(d, `href="/agreements/`+a.ID+`/handover"`) {
		t.Error("the agreed stage is not in progress on the observer's to-do")
	}
}

// TestBrowserToDo: B signs in, sees on the dashboard the proposal that
// waits for his answer, follows it and lands where he can answer it.
func TestBrowserToDo(t *testing.T) {
	bctx := newChromium(t)
	e := newEnv(t)
	w := e.newNegWorld()
	id := e.propose(w, roleOfficerA, false)
	c := tab(t, bctx)
	signIn(t, c, e.ts.URL, roleOfficerB)
	sel := `#todo a[href="/proposals/` + id + `"]`
	run(t, c, "dashboard",
		chromedp.Navigate(e.ts.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(sel)),
	)
	if n := strings.TrimSpace(text(t, c, ".menu .todo-count")); n == "" || n[0] < '1' || n[0] > '9' {
		t.Errorf("menu badge %q", n)
	}
	screenshot(t, c, "todo")
	run(t, c, "follow",
		chromedp.Click(chromedp.CSS(sel)),
		chromedp.WaitVisible(chromedp.CSS("#accept")),
	)
	if got := eval[string](t, c, `location.pathname`); got != "/proposals/"+id {
		t.Errorf("the to-do leads to %s", got)
	}
}
