package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"parley/internal/handover"
	"parley/internal/service"
	"parley/internal/translit"
)

// TestBrowserHandoverCorrection works the handover day as the names are
// called out: the observer finds a person by his name typed in Latin
// letters (he is listed in Cyrillic), finds that he was marked handed over
// by mistake, corrects it to "not presented" with the reason, and the
// person's timeline keeps both records.
func TestBrowserHandoverCorrection(t *testing.T) {
	bctx := newChromium(t)
	e := newEnv(t)
	base := e.ts.URL
	d := e.handoverDay()
	la := living(d.sideA)
	p := la[0]
	ctx := t.Context()
	obs := e.actor(roleObserver)
	if _, err := e.svc.RecordInterview(ctx, obs, d.a.ID, p.ListID, p.Row, handover.Consents); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.RecordOutcome(ctx, obs, service.OutcomeRequest{AgreementID: d.a.ID, ListID: p.ListID, Row: p.Row, Outcome: handover.HandedOver}); err != nil {
		t.Fatal(err)
	}
	li := fmt.Sprintf("#p-%s-%d", p.ListID, p.Row)
	called := translit.Romanize(translit.UA2010, p.Person.Surname)
	if called == p.Person.Surname {
		t.Fatalf("the test wants a person listed in Cyrillic, not %q", called)
	}

	c := tab(t, bctx)
	signIn(t, c, base, roleObserver)
	run(t, c, "find by name",
		chromedp.EmulateViewport(1024, 768),
		chromedp.Navigate(base+"/agreements/"+d.a.ID+"/handover"),
		chromedp.WaitVisible(chromedp.CSS("#ho-q")),
		chromedp.SendKeys(chromedp.CSS("#ho-q"), strings.ToLower(called)+"\r"),
		// the search is done when the page offers to clear it
		chromedp.WaitVisible(chromedp.CSS(".name-search a.button")),
		chromedp.WaitVisible(chromedp.CSS(li+" details.fix > summary")),
	)
	if n := eval[int](t, c, `document.querySelectorAll("ul.persons > li").length`); n != 1 {
		t.Errorf("the name %q finds %d persons, want 1", called, n)
	}
	run(t, c, "correct",
		chromedp.Click(chromedp.CSS(li+" details.fix > summary")),
		chromedp.WaitVisible(chromedp.CSS(li+` .fix-form select[name="outcome"]`)),
		chromedp.SetValue(chromedp.CSS(li+` .fix-form select[name="outcome"]`), "not_presented"),
		chromedp.SendKeys(chromedp.CSS(li+` .fix-form input[name="reason"]`), "another man of the same name"),
		chromedp.Click(chromedp.CSS(li+` .fix-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(li+" .badge.o-not_presented")),
	)
	if got := eval[string](t, c, `location.search`); !strings.Contains(got, "q=") {
		t.Errorf("after the correction the page lost the name searched: %q", got)
	}
	if n := eval[int](t, c, `document.querySelectorAll("`+li+` .badge.o-handed_over").length`); n != 0 {
		t.Error("the person still shows as handed over")
	}
	screenshot(t, c, "handover-corrected")
	run(t, c, "timeline",
		chromedp.Navigate(fmt.Sprintf("%s/lists/%s/rows/%d/timeline", base, p.ListID, p.Row)),
		chromedp.WaitVisible(chromedp.CSS("#timeline")),
	)
	tl := text(t, c, "#timeline")
	for _, want := range []string{"Handed over", "Outcome corrected", "another man of the same name"} {
		if !strings.Contains(tl, want) {
			t.Errorf("timeline lacks %q:\n%s", want, tl)
		}
	}
	if strings.Index(tl, "Handed over") > strings.Index(tl, "Outcome corrected") {
		t.Error("the correction comes before the outcome it corrects")
	}
}
