package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"parley/internal/access"
	"parley/internal/handover"
	"parley/internal/negotiation"
	"parley/internal/service"
)

// The handover day: the authorization matrix of its routes, the flow
// through the API and the forms, and every negotiation and handover page in
// every language.

// poolCSV writes a list of invented persons: pows prisoners of war, then
// remains, each with a number of its own so that no two are the same person.
func poolCSV(prefix string, pows, remains int) string {
	var b strings.Builder
	b.WriteString("kind,surname,given_names,birth_date,rank,service_number,grave_id\n")
	for i := 1; i <= pows; i++ {
		fmt.Fprintf(&b, "pow,Тестенко,Особа %d,1990-01-%02d,солдат,%s-%04d,\n", i, i%28+1, prefix, i)
	}
	for i := 1; i <= remains; i++ {
		fmt.Fprintf(&b, "remains,,,,,,%s-G%d\n", prefix, i)
	}
	return b.String()
}

// handoverPool is an agreed all-for-all stage with many persons on A's side,
// so that each probe of a step has a person of its own.
type handoverPool struct {
	agreement    string
	listA, listB string
	round        string
	pows         int
	nextPOW      atomic.Int64 // rows 1..pows of listA
	nextRemains  atomic.Int64 // rows pows+1.. of listA
}

const poolPOWs, poolRemains = 40, 16

func (p *handoverPool) get(e *env) *handoverPool {
	if p.agreement != "" {
		return p
	}
	ctx := context.Background()
	p.pows = poolPOWs
	p.listA = e.importCSV("A", "B", "Pool A", strings.NewReader(poolCSV("PA", poolPOWs, poolRemains)))
	p.listB = e.importCSV("B", "A", "Pool B", strings.NewReader(poolCSV("PB", 2, 0)))
	r, err := e.svc.CreateRound(ctx, e.actor(roleMediator), service.RoundRequest{Title: "Pool round", Parties: [2]string{"A", "B"}})
	if err != nil {
		e.t.Fatal(err)
	}
	p.round = r.ID
	v, err := e.svc.SubmitProposal(ctx, e.actor(roleOfficerA), service.ProposalRequest{RoundID: r.ID,
		Plan: &service.PlanRequest{ListIDs: [2]string{p.listA, p.listB}, Rule: negotiation.AllForAll}})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.svc.AcceptProposal(ctx, e.actor(roleOfficerB), v.ID, ""); err != nil {
		e.t.Fatal(err)
	}
	a, err := e.svc.WitnessProposal(ctx, e.actor(roleMediator), v.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	p.agreement = a.ID
	return p
}

func (p *handoverPool) pow(e *env) int {
	n := int(p.nextPOW.Add(1))
	if n > p.pows {
		e.t.Fatal("handover pool: out of prisoners of war")
	}
	return n
}

func (p *handoverPool) remains(e *env) int {
	n := int(p.nextRemains.Add(1))
	if n > poolRemains {
		e.t.Fatal("handover pool: out of remains")
	}
	return p.pows + n
}

func init() {
	matrixExtras = append(matrixExtras, handoverMatrix)
}

func handoverMatrix(t *testing.T) map[string]matrixCase {
	p := &handoverPool{}
	seen := func(path func(p *handoverPool) string) func(*env, *fixtures) probe {
		return func(e *env, _ *fixtures) probe { return probe{path: path(p.get(e))} }
	}
	read := w(s303, s200, s200, s200, s200, s404)
	readAPI := w(s401, s200, s200, s200, s200, s404)
	step := func(kind string, fields func(e *env) url.Values) func(*env, *fixtures) probe {
		return func(e *env, _ *fixtures) probe {
			p.get(e)
			return probe{path: "/agreements/" + p.agreement + "/" + kind, form: fields(e)}
		}
	}
	apiStep := func(kind string, body func(e *env) map[string]any) func(*env, *fixtures) probe {
		return func(e *env, _ *fixtures) probe {
			p.get(e)
			return probe{path: "/api/v1/agreements/" + p.agreement + "/" + kind, body: jsonBody(t, body(e)), contentType: "application/json"}
		}
	}
	row := func(n int) string { return fmt.Sprint(n) }
	return map[string]matrixCase{
		"GET /handover":                       {fixed("/handover"), w(s303, s200, s200, s200, s200, s403)},
		"GET /agreements/{id}":                {seen(func(p *handoverPool) string { return "/agreements/" + p.agreement }), read},
		"GET /api/v1/agreements/{id}":         {seen(func(p *handoverPool) string { return "/api/v1/agreements/" + p.agreement }), readAPI},
		"GET /agreements/{id}/handover":       {seen(func(p *handoverPool) string { return "/agreements/" + p.agreement + "/handover?status=interview" }), read},
		"GET /api/v1/agreements/{id}/report":  {seen(func(p *handoverPool) string { return "/api/v1/agreements/" + p.agreement + "/report" }), readAPI},
		"GET /lists/{id}/rows/{row}/timeline": {seen(func(p *handoverPool) string { return "/lists/" + p.listA + "/rows/1/timeline" }), read},
		"GET /api/v1/lists/{id}/rows/{row}/timeline": {seen(func(p *handoverPool) string {
			return "/api/v1/lists/" + p.listA + "/rows/1/timeline"
		}), readAPI},
		// Only observers interview; observers and the mediator record
		// outcomes and identification. Administrators are refused before
		// anything is read.
		"POST /agreements/{id}/interview": {step("interview", func(e *env) url.Values {
			return url.Values{"list_id": {p.listA}, "row": {row(p.pow(e))}, "interview": {"consents"}}
		}), w(s303, s403, s403, s403, s303, s403)},
		"POST /api/v1/agreements/{id}/interviews": {apiStep("interviews", func(e *env) map[string]any {
			return map[string]any{"list_id": p.listA, "row": p.pow(e), "interview": "refuses"}
		}), w(s401, s403, s403, s403, s200, s403)},
		"POST /agreements/{id}/outcome": {step("outcome", func(e *env) url.Values {
			return url.Values{"list_id": {p.listA}, "row": {row(p.pow(e))}, "outcome": {"not_presented"}}
		}), w(s303, s403, s403, s303, s303, s403)},
		"POST /api/v1/agreements/{id}/outcomes": {apiStep("outcomes", func(e *env) map[string]any {
			// A death at the handover needs the death in captivity
			// recorded by the detaining side first.
			row := p.pow(e)
			if _, err := e.svc.RecordDeath(context.Background(), e.actor(roleOfficerA), service.DeathRequest{ListID: p.listA, Row: row, ReportedBy: "camp doctor"}); err != nil {
				e.t.Fatal(err)
			}
			return map[string]any{"list_id": p.listA, "row": row, "outcome": "deceased"}
		}), w(s401, s403, s403, s200, s200, s403)},
		"POST /agreements/{id}/identification": {step("identification", func(e *env) url.Values {
			return url.Values{"list_id": {p.listA}, "row": {row(p.remains(e))}, "identification": {"dna_pending"}}
		}), w(s303, s403, s403, s303, s303, s403)},
		"POST /api/v1/agreements/{id}/identifications": {apiStep("identifications", func(e *env) map[string]any {
			return map[string]any{"list_id": p.listA, "row": p.remains(e), "identification": "confirmed"}
		}), w(s401, s403, s403, s200, s200, s403)},
	}
}

// handoverDay is an agreed one-for-one stage of the stage lists, with the
// agreed rows of each side.
type handoverDay struct {
	w     *negWorld
	a     *service.AgreementView
	sideA []negotiation.Release // A's releases
	sideB []negotiation.Release
}

func (e *env) handoverDay() *handoverDay {
	e.t.Helper()
	w := e.newNegWorld()
	a := e.agreement(w)
	return &handoverDay{w: w, a: a, sideA: a.Sides[0].Releases, sideB: a.Sides[1].Releases}
}

// living returns the agreed persons of a side who are not remains.
func living(rs []negotiation.Release) []negotiation.Release {
	var out []negotiation.Release
	for _, r := range rs {
		if r.Person.Kind != "remains" {
			out = append(out, r)
		}
	}
	return out
}

func remainsOf(rs []negotiation.Release) *negotiation.Release {
	for i := range rs {
		if rs[i].Person.Kind == "remains" {
			return &rs[i]
		}
	}
	return nil
}

// TestHandoverAPI records a handover day through the JSON API: interviews
// with one refusal, which can never become a handover; outcomes; the
// identification of remains; the stage report with its discrepancies; and
// a person's timeline.
func TestHandoverAPI(t *testing.T) {
	e := newEnv(t)
	d := e.handoverDay()
	ag := "/api/v1/agreements/" + d.a.ID
	la, lb := living(d.sideA), living(d.sideB)
	if len(la) < 3 || len(lb) < 1 {
		t.Fatalf("stage too small: %d and %d living", len(la), len(lb))
	}
	step := func(role, kind string, body map[string]any) (int, map[string]any) {
		var out map[string]any
		code := e.apiJSON(role, "POST", ag+"/"+kind, body, &out)
		return code, out
	}
	// Officers never record; the mediator does not interview.
	if code, _ := step(roleOfficerA, "interviews", map[string]any{"list_id": la[0].ListID, "row": la[0].Row, "interview": "consents"}); code != http.StatusForbidden {
		t.Errorf("officer interviews: %d", code)
	}
	if code, _ := step(roleMediator, "interviews", map[string]any{"list_id": la[0].ListID, "row": la[0].Row, "interview": "consents"}); code != http.StatusForbidden {
		t.Errorf("mediator interviews: %d", code)
	}
	// Handing over before the consent is out of order.
	if code, out := step(roleObserver, "outcomes", map[string]any{"list_id": la[0].ListID, "row": la[0].Row, "outcome": "handed_over"}); code != http.StatusConflict || !strings.Contains(fmt.Sprint(out["error"]), "consent") {
		t.Errorf("handover before the interview: %d %v", code, out)
	}
	if code, out := step(roleObserver, "interviews", map[string]any{"list_id": la[0].ListID, "row": la[0].Row, "interview": "consents"}); code != 200 || out["state"].(map[string]any)["interview"] != "consents" {
		t.Fatalf("interview: %d %v", code, out)
	}
	if code, _ := step(roleObserver, "outcomes", map[string]any{"list_id": la[0].ListID, "row": la[0].Row, "outcome": "handed_over"}); code != 200 {
		t.Errorf("handed over: %d", code)
	}
	// A refusal stands: never handed over, by nobody.
	if code, _ := step(roleObserver, "interviews", map[string]any{"list_id": la[1].ListID, "row": la[1].Row, "interview": "refuses"}); code != 200 {
		t.Fatalf("refusal: %d", code)
	}
	for _, role := range []string{roleObserver, roleMediator} {
		code, out := step(role, "outcomes", map[string]any{"list_id": la[1].ListID, "row": la[1].Row, "outcome": "handed_over"})
		if code != http.StatusConflict || !strings.Contains(fmt.Sprint(out["error"]), "refused repatriation and can never be handed over") {
			t.Errorf("%s hands over a person who refused: %d %v", role, code, out)
		}
	}
	if code, _ := step(roleObserver, "interviews", map[string]any{"list_id": la[1].ListID, "row": la[1].Row, "interview": "consents"}); code != http.StatusConflict {
		t.Errorf("refusal turned into consent: %d", code)
	}
	if code, out := step(roleObserver, "outcomes", map[string]any{"list_id": la[2].ListID, "row": la[2].Row, "outcome": "not_presented"}); code != 200 || out["breach_message"] == nil {
		t.Errorf("not presented: %d, breach %v", code, out["breach_message"])
	}
	if code, _ := step(roleObserver, "outcomes", map[string]any{"list_id": la[2].ListID, "row": la[2].Row, "outcome": "flown away"}); code != http.StatusUnprocessableEntity {
		t.Errorf("unknown outcome: %d", code)
	}
	if rem := remainsOf(d.sideA); rem != nil {
		if code, _ := step(roleMediator, "identifications", map[string]any{"list_id": rem.ListID, "row": rem.Row, "identification": "dna_pending"}); code != 200 {
			t.Errorf("identification: %d", code)
		}
		if code, _ := step(roleObserver, "identifications", map[string]any{"list_id": rem.ListID, "row": rem.Row, "identification": "presumed"}); code != http.StatusConflict {
			t.Errorf("identification going back: %d", code)
		}
	}

	var rep handover.Report
	if code := e.apiJSON(roleOfficerB, "GET", ag+"/report", nil, &rep); code != 200 {
		t.Fatalf("report: %d", code)
	}
	c := rep.Sides[0].Counts
	if c.HandedOver != 1 || c.Refused != 1 || c.NotPresented != 1 || c.Owed != c.Pending+1 || rep.Complete {
		t.Errorf("side A counts: %+v", c)
	}
	types := map[string]int{}
	for _, it := range rep.Items {
		types[it.Type]++
	}
	if types["refused"] != 1 || types["not_presented"] != 1 {
		t.Errorf("discrepancies: %v", types)
	}
	if !strings.Contains(rep.BreachMessage, "A releases") {
		t.Errorf("a person not presented breaks one for one, report says %q", rep.BreachMessage)
	}

	var tl service.PersonTimeline
	if code := e.apiJSON(roleObserver, "GET", fmt.Sprintf("/api/v1/lists/%s/rows/%d/timeline", la[0].ListID, la[0].Row), nil, &tl); code != 200 {
		t.Fatalf("timeline: %d", code)
	}
	var steps []string
	for _, s := range tl.Steps {
		steps = append(steps, s.Status)
	}
	if got := strings.Join(steps, " → "); got != "listed → proposed → agreed → interviewed → handed_over" || tl.Status != "handed_over" {
		t.Errorf("timeline: %s (status %s)", got, tl.Status)
	}
	for _, s := range tl.Steps {
		if s.By == "" || s.At.IsZero() {
			t.Errorf("step %s without who or when", s.Status)
		}
	}
	if code := e.apiJSON(roleAdmin, "GET", fmt.Sprintf("/api/v1/lists/%s/rows/%d/timeline", la[0].ListID, la[0].Row), nil, nil); code != http.StatusNotFound {
		t.Errorf("administrator reads a timeline: %d", code)
	}
	if code := e.apiJSON(roleObserver, "GET", "/api/v1/lists/"+la[0].ListID+"/rows/x/timeline", nil, nil); code != http.StatusBadRequest {
		t.Errorf("timeline of row x: %d", code)
	}
}

// personItem returns the <li> of one person on the handover page.
func personItem(t *testing.T, body string, r negotiation.Release) string {
	t.Helper()
	id := fmt.Sprintf(`id="p-%s-%d"`, r.ListID, r.Row)
	i := strings.Index(body, id)
	if i < 0 {
		t.Fatalf("handover page lacks %s", id)
	}
	rest := body[i:]
	if j := strings.Index(rest, "</li>"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// TestHandoverForms works a handover day through the page's forms, as an
// observer on a tablet without script would.
func TestHandoverForms(t *testing.T) {
	e := newEnv(t)
	d := e.handoverDay()
	page := "/agreements/" + d.a.ID + "/handover"
	obs := e.login(roleObserver)
	la, lb := living(d.sideA), living(d.sideB)
	resp, body := obs.get(page)
	if resp.StatusCode != 200 {
		t.Fatalf("handover page: %d", resp.StatusCode)
	}
	item := personItem(t, body, la[0])
	for _, want := range []string{`value="consents"`, `value="refuses"`, `value="not_presented"`} {
		if !strings.Contains(item, want) {
			t.Errorf("a person not yet interviewed lacks %s", want)
		}
	}
	if strings.Contains(item, `value="handed_over"`) {
		t.Error("handed over is offered before the interview")
	}
	post := func(kind string, r negotiation.Release, v url.Values) (*http.Response, string) {
		v.Set("list_id", r.ListID)
		v.Set("row", fmt.Sprint(r.Row))
		v.Set("status", "ready")
		return obs.post("/agreements/"+d.a.ID+"/"+kind, v)
	}
	// Consent, then handed over; the redirect keeps the filter and the place.
	resp, _ = post("interview", la[0], url.Values{"interview": {"consents"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != fmt.Sprintf("%s?status=ready#p-%s-%d", page, la[0].ListID, la[0].Row) {
		t.Fatalf("interview: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = obs.get(page + "?status=ready")
	if !strings.Contains(personItem(t, body, la[0]), `value="handed_over"`) {
		t.Error("a person who consented is not offered handed over")
	}
	if resp, _ = post("outcome", la[0], url.Values{"outcome": {"handed_over"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("handed over: %d", resp.StatusCode)
	}
	// A refusal: the person shows no handed-over button, and a forged
	// request is refused with the reason.
	if resp, _ = post("interview", la[1], url.Values{"interview": {"refuses"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("refusal: %d", resp.StatusCode)
	}
	_, body = obs.get(page)
	refused := personItem(t, body, la[1])
	if strings.Contains(refused, `value="handed_over"`) || strings.Contains(refused, `value="not_presented"`) || !strings.Contains(refused, "Refused repatriation") {
		t.Errorf("the refused person's row offers the wrong steps:\n%s", refused)
	}
	resp, body = post("outcome", la[1], url.Values{"outcome": {"handed_over"}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "refused repatriation and can never be handed over") {
		t.Errorf("handing over a refused person: %d", resp.StatusCode)
	}
	// Not presented, and a substitution by a row of the same side's list.
	if resp, _ = post("outcome", la[2], url.Values{"outcome": {"not_presented"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("not presented: %d", resp.StatusCode)
	}
	agreed := map[int]bool{}
	for _, r := range d.sideB {
		agreed[r.Row] = true
	}
	spare := 0
	for row := 1; row <= 8; row++ {
		if !agreed[row] && row != 6 {
			spare = row
			break
		}
	}
	if spare == 0 {
		t.Fatal("no row of B's list left out of the stage")
	}
	resp, body = post("outcome", lb[0], url.Values{"outcome": {"substituted"}, "sub_list": {d.w.listA}, "sub_row": {"1"}, "sub_interview": {"consents"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "must come from a handed-over list of party B") {
		t.Errorf("substitute from the other side's list: %d", resp.StatusCode)
	}
	resp, _ = post("outcome", lb[0], url.Values{"outcome": {"substituted"}, "sub_list": {d.w.listB}, "sub_row": {fmt.Sprint(spare)}, "sub_interview": {"consents"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("substitution: %d", resp.StatusCode)
	}
	if rem := remainsOf(d.sideB); rem != nil {
		if resp, _ = post("identification", *rem, url.Values{"identification": {"dna_pending"}}); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("identification: %d", resp.StatusCode)
		}
	}

	// The stage report: counts, discrepancies and the breach, with its chart.
	_, body = obs.get(page)
	for _, want := range []string{`id="n-handed">1<`, `id="n-refused">1<`, "not presented at the handover", "refused repatriation at the interview", "replaced by", "svg class=\"stage-chart\"", `id="breach"`, "DNA pending"} {
		if !strings.Contains(body, want) {
			t.Errorf("handover page lacks %q", want)
		}
	}
	// The filters: the refused person under "Refused", nobody else.
	_, body = obs.get(page + "?status=refused")
	if n := strings.Count(body, `<li id="p-`); n != 1 {
		t.Errorf("refused filter shows %d persons, want 1", n)
	}
	_, body = obs.get(page + "?side=B")
	if n := strings.Count(body, `<li id="p-`); n != len(d.sideB) {
		t.Errorf("side B filter shows %d persons, want %d", n, len(d.sideB))
	}
	// Officers watch but are offered no step; they are refused one.
	offA := e.login(roleOfficerA)
	_, body = offA.get(page)
	if strings.Contains(body, `action="/agreements/`+d.a.ID+`/outcome"`) || strings.Contains(body, `action="/agreements/`+d.a.ID+`/interview"`) {
		t.Error("an officer is offered handover steps")
	}
	// The timeline of the person handed over.
	_, body = obs.get(fmt.Sprintf("/lists/%s/rows/%d/timeline", la[0].ListID, la[0].Row))
	order := []string{"Listed", "Proposed", "Agreed", "Interviewed", "Handed over"}
	last := -1
	for _, s := range order {
		i := strings.Index(body, "<strong>"+s+"</strong>")
		if i < last {
			t.Errorf("timeline step %s missing or out of order", s)
		}
		last = i
	}
	// The list of stages shows its progress.
	_, body = obs.get("/handover")
	if !strings.Contains(body, d.a.ID) || !strings.Contains(body, "Rule at risk") {
		t.Errorf("stages page lacks the stage or its breach")
	}
}

// TestNegotiationPagesInEveryLanguage renders each negotiation and handover
// page in each language and checks that no message key shows through.
func TestNegotiationPagesInEveryLanguage(t *testing.T) {
	e := newEnv(t)
	d := e.handoverDay()
	ctx := context.Background()
	if _, err := e.svc.RecordInterview(ctx, e.actor(roleObserver), d.a.ID, d.sideA[0].ListID, d.sideA[0].Row, handover.Refuses); err != nil {
		t.Fatal(err)
	}
	art110 := e.unilateral(d.w)
	draft := e.propose(d.w, roleOfficerA, true)
	keyLike := regexp.MustCompile(`>\s*(?:nav|neg|handover|action|kind|entry|list|lists)\.[a-z_.]+\s*<|"(?:neg|handover)\.[a-z_.]+"`)
	pages := map[string][]string{
		roleMediator: {"/rounds", "/rounds/" + d.w.round, "/rounds/" + d.w.round + "/lists/" + d.w.listA + "/conformance",
			"/proposals/" + d.a.ProposalID, "/proposals/" + art110, "/agreements/" + d.a.ID, "/agreements/" + d.a.ID + "/handover", "/handover"},
		roleOfficerA: {"/rounds/" + d.w.round + "/plan?rule=one-for-one&list_a=" + d.w.listA + "&list_b=" + d.w.listB, "/proposals/" + draft},
		roleObserver: {"/agreements/" + d.a.ID + "/handover?status=refused", fmt.Sprintf("/lists/%s/rows/%d/timeline", d.sideA[0].ListID, d.sideA[0].Row)},
	}
	if _, err := e.svc.AttachList(ctx, access.System, d.w.round, d.w.listA); err != nil {
		t.Fatal(err)
	}
	for _, lang := range Languages {
		for role, paths := range pages {
			b := e.login(role)
			b.c.Jar.SetCookies(mustURL(e.ts.URL), []*http.Cookie{{Name: langCookie, Value: lang.Code}})
			for _, p := range paths {
				resp, body := b.get(p)
				if resp.StatusCode != 200 {
					t.Errorf("%s %s as %s: status %d", lang.Code, p, role, resp.StatusCode)
					continue
				}
				if m := keyLike.FindString(body); m != "" {
					t.Errorf("%s %s as %s: untranslated key %s", lang.Code, p, role, m)
				}
				if strings.Contains(body, "<script") || strings.Contains(body, " style=") {
					t.Errorf("%s %s: inline script or style", lang.Code, p)
				}
			}
		}
	}
}
