package web

import (
	"context"
	"regexp"
	"strconv"
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

// TestToDoCountFollowsChanges: the menu's count on every page is kept
// between changes, but a change made through this process shows on the
// very next page, for the one it no longer waits for and for the one it
// now waits for.
func TestToDoCountFollowsChanges(t *testing.T) {
	e := newEnv(t)
	w := e.newNegWorld()
	id := e.propose(w, roleOfficerA, false)
	badge := regexp.MustCompile(`class="todo-count"[^>]*>([0-9]+)<`)
	count := func(role string) int {
		t.Helper()
		_, body := e.login(role).get("/lists")
		m := badge.FindStringSubmatch(body)
		if m == nil {
			return 0
		}
		n, err := strconv.Atoi(m[1])
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	b0, m0 := count(roleOfficerB), count(roleMediator)
	if b0 == 0 {
		t.Fatal("the submitted proposal does not wait for B")
	}
	if b, m := count(roleOfficerB), count(roleMediator); b != b0 || m != m0 {
		t.Fatalf("counts moved without a change: B %d→%d, mediator %d→%d", b0, b, m0, m)
	}
	if _, err := e.svc.AcceptProposal(context.Background(), e.actor(roleOfficerB), id, ""); err != nil {
		t.Fatal(err)
	}
	if b := count(roleOfficerB); b != b0-1 {
		t.Errorf("B's count after he answered: %d, want %d", b, b0-1)
	}
	if m := count(roleMediator); m != m0+1 {
		t.Errorf("the mediator's count after the proposal was accepted: %d, want %d", m, m0+1)
	}
}
