package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"parley/internal/families"
	"parley/internal/service"
)

// linkIDs are the ids of the links a family-links page shows, in order.
func linkIDs(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<section class="card family-link" id="link-([^"]+)">`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestFamilyLinksPage reviews the links between family inquiries and a
// handed-over list inside the workbench: the officers of the relative's
// side confirm one and reject the other through the page; the other
// side's officer, the mediator and an observer can neither see nor decide
// them; the family site's old address leads here.
func TestFamilyLinksPage(t *testing.T) {
	e := newEnv(t, envOptions{family: true})
	for _, p := range [][3]string{{"Шевченко", "Тарас", "1994-03-09"}, {"Коваль", "Олена", "1990-03-12"}} {
		if _, err := e.svc.RegisterInquiry(t.Context(), families.Request{Surname: p[0], GivenNames: p[1], BirthDate: p[2], Party: "B",
			Relationship: "parent", InquirerName: "Мати", Email: "family@example.org", Consent: true}, service.RegisterOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	e.handOver(e.importList("A", "B", "good.csv", "Stage 1", ""))

	offB := e.login(roleOfficerB)
	resp, body := offB.get("/family-links")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("officer B's page: %d %s", resp.StatusCode, body)
	}
	ids := linkIDs(body)
	if len(ids) != 2 || !strings.Contains(body, "Шевченко Тарас") || !strings.Contains(body, "Коваль Олена") {
		t.Fatalf("officer B sees links %v:\n%s", ids, body)
	}
	// The workbench's layout: its menu, with this page current, and
	// sign-out.
	for _, want := range []string{`href="/family-links" aria-current="page"`, `action="/logout"`, `action="/account/language"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	linkOf := func(sur string) string {
		t.Helper()
		for _, id := range ids {
			i := strings.Index(body, `id="link-`+id+`"`)
			j := strings.Index(body[i:], "</section>")
			if strings.Contains(body[i:i+j], sur) {
				return id
			}
		}
		t.Fatalf("no link for %s", sur)
		return ""
	}
	sh, ko := linkOf("Шевченко"), linkOf("Коваль")

	// Others can neither read nor decide B's links.
	for _, c := range []struct {
		role      string
		get, post int
	}{
		{roleOfficerA, http.StatusOK, http.StatusNotFound}, // A's own page, empty; B's link is none of A's
		{roleMediator, http.StatusForbidden, http.StatusForbidden},
		{roleObserver, http.StatusForbidden, http.StatusForbidden},
		{roleAdmin, http.StatusForbidden, http.StatusForbidden},
	} {
		b := e.login(c.role)
		resp, body := b.get("/family-links")
		if resp.StatusCode != c.get || strings.Contains(body, "Шевченко Тарас") {
			t.Errorf("%s reading: %d, want %d", c.role, resp.StatusCode, c.get)
		}
		b.get("/account") // a form token of the session
		if resp, _ := b.post("/family-links/"+sh+"/confirm", url.Values{}); resp.StatusCode != c.post {
			t.Errorf("%s confirming B's link: %d, want %d", c.role, resp.StatusCode, c.post)
		}
	}
	anon := e.newBrowser()
	if resp, _ := anon.get("/family-links"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("anonymous: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := offB.get("/family/review"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != FamilyLinksPath {
		t.Errorf("family site's review: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	// Without the form token the decision is refused.
	if resp, _ := offB.post("/family-links/"+sh+"/confirm", url.Values{"csrf": {"forged"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("forged form token: %d", resp.StatusCode)
	}
	offB.get("/family-links")
	resp, _ = offB.post("/family-links/"+sh+"/confirm", url.Values{"note": {"checked the unit"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/family-links?done=confirm" {
		t.Fatalf("confirm: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, body := offB.get(resp.Header.Get("Location")); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Link confirmed") || strings.Contains(body, `id="link-`+sh+`"`) {
		t.Errorf("after confirming: %d %v", resp.StatusCode, linkIDs(body))
	}
	if resp, body := offB.post("/family-links/"+sh+"/confirm", url.Values{}); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "already been decided") {
		t.Errorf("confirming twice: %d", resp.StatusCode)
	}
	if resp, _ := offB.post("/family-links/"+ko+"/approve", url.Values{}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown decision: %d", resp.StatusCode)
	}
	if resp, _ := offB.post("/family-links/"+ko+"/reject", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reject: %d", resp.StatusCode)
	}
	if _, body := offB.get("/family-links?done=reject"); len(linkIDs(body)) != 0 || !strings.Contains(body, "Link rejected") {
		t.Errorf("after rejecting, still pending: %v", linkIDs(body))
	}
	// Nothing waits any more for the service either.
	if links, err := e.svc.PendingLinks(t.Context(), e.actor(roleOfficerB)); err != nil || len(links) != 0 {
		t.Errorf("pending after deciding both: %v %v", links, err)
	}
}
