package web

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserNegotiation drives a stage in headless Chromium: officer A
// plans one for one and proposes it, officer B accepts, the mediator
// witnesses, and an observer works the handover day on a tablet-sized
// screen: a consent and a handover, a refusal (after which no handover is
// offered), a person not presented; the stage report follows.
func TestBrowserNegotiation(t *testing.T) {
	start := time.Now()
	bctx := newChromium(t)
	e := newEnv(t)
	base := e.ts.URL
	w := e.newNegWorld()

	c := tab(t, bctx)
	signIn(t, c, base, roleOfficerA)
	run(t, c, "planner",
		chromedp.Navigate(base+"/rounds/"+w.round+"/plan"),
		chromedp.WaitVisible(chromedp.CSS("#run-plan")),
		chromedp.Click(chromedp.CSS("#run-plan")),
		chromedp.WaitVisible(chromedp.CSS("#propose")),
	)
	if n := eval[int](t, c, `document.querySelectorAll("input[name=release]:checked").length`); n != 14 {
		t.Errorf("planner ticks %d persons, want 7 a side", n)
	}
	if !strings.Contains(text(t, c, "main"), "Shevchenko Taras") {
		t.Error("planner shows no Latin names")
	}
	screenshot(t, c, "planner")
	run(t, c, "propose",
		chromedp.SetValue(chromedp.CSS("#stage-date"), "2025-06-10"),
		chromedp.Click(chromedp.CSS("#propose")),
		chromedp.WaitVisible(chromedp.CSS("#rule-check")),
	)
	proposal := eval[string](t, c, `location.pathname`)
	if !strings.HasPrefix(proposal, "/proposals/P") {
		t.Fatalf("after proposing: %s", proposal)
	}

	signOut(t, c)
	signIn(t, c, base, roleOfficerB)
	run(t, c, "accept",
		chromedp.Navigate(base+proposal),
		chromedp.WaitVisible(chromedp.CSS("#accept")),
	)
	screenshot(t, c, "proposal")
	run(t, c, "accepted",
		chromedp.Click(chromedp.CSS("#accept")),
		chromedp.WaitVisible(chromedp.CSS("h1 .badge.p-accepted")),
	)

	signOut(t, c)
	signIn(t, c, base, roleMediator)
	run(t, c, "witness",
		chromedp.Navigate(base+proposal),
		chromedp.Click(chromedp.CSS("#witness")),
		chromedp.WaitVisible(chromedp.CSS("#content-hash")),
	)
	agreement := strings.TrimPrefix(eval[string](t, c, `location.pathname`), "/agreements/")
	if !strings.HasPrefix(text(t, c, "#content-hash"), "sha256:") {
		t.Error("agreement shows no content hash")
	}

	signOut(t, c)
	signIn(t, c, base, roleObserver)
	a, err := e.svc.GetAgreement(t.Context(), e.actor(roleObserver), agreement)
	if err != nil {
		t.Fatal(err)
	}
	la := living(a.Sides[0].Releases)
	li := func(i int) string { return fmt.Sprintf("#p-%s-%d", la[i].ListID, la[i].Row) }
	run(t, c, "tablet", chromedp.EmulateViewport(1024, 768))
	run(t, c, "handover day",
		chromedp.Navigate(base+"/agreements/"+agreement+"/handover"),
		chromedp.WaitVisible(chromedp.CSS(li(0)+` button[value="consents"]`)),
		chromedp.Click(chromedp.CSS(li(0)+` button[value="consents"]`)),
		chromedp.WaitVisible(chromedp.CSS(li(0)+` button[value="handed_over"]`)),
		chromedp.Click(chromedp.CSS(li(0)+` button[value="handed_over"]`)),
		chromedp.WaitVisible(chromedp.CSS(li(0)+` .badge.o-handed_over`)),
		chromedp.Click(chromedp.CSS(li(1)+` button[value="refuses"]`)),
		chromedp.WaitVisible(chromedp.CSS(li(1)+` .badge.i-refuses`)),
		chromedp.Click(chromedp.CSS(li(2)+` button[value="not_presented"]`)),
		chromedp.WaitVisible(chromedp.CSS(li(2)+` .badge.o-not_presented`)),
	)
	if n := eval[int](t, c, `document.querySelectorAll("`+li(1)+` button[value=handed_over]").length`); n != 0 {
		t.Error("a person who refused is offered handed over")
	}
	if got := strings.TrimSpace(text(t, c, "#n-handed")); got != "1" {
		t.Errorf("handed over count %q", got)
	}
	// Scroll back to the top so the picture shows the progress and filter.
	eval[bool](t, c, `window.scrollTo(0, 0), true`)
	screenshot(t, c, "handover")
	report := text(t, c, "#report")
	for _, want := range []string{"refused repatriation at the interview", "not presented at the handover"} {
		if !strings.Contains(report, want) {
			t.Errorf("stage report lacks %q", want)
		}
	}
	run(t, c, "refused filter",
		chromedp.Click(chromedp.CSS(`.filter-bar a[href$="status=refused"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.filter-bar a[aria-current="true"][href$="status=refused"]`)),
	)
	if n := eval[int](t, c, `document.querySelectorAll("ul.persons > li").length`); n != 1 {
		t.Errorf("refused filter shows %d persons", n)
	}
	t.Logf("negotiation browser test took %v", time.Since(start).Round(time.Millisecond))
}
