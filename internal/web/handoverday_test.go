package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"parley/internal/handover"
	"parley/internal/service"
)

func init() {
	matrixExtras = append(matrixExtras, handoverDayMatrix)
}

// handoverDayMatrix covers the routes of the day itself: the day as JSON,
// and the correction of an outcome, which observers and the mediator
// record as they record outcomes.
func handoverDayMatrix(t *testing.T) map[string]matrixCase {
	p := &handoverPool{}
	// recorded gives a person of the pool an outcome to correct.
	recorded := func(e *env) int {
		p.get(e)
		row := p.pow(e)
		if _, err := e.svc.RecordOutcome(context.Background(), e.actor(roleMediator), service.OutcomeRequest{AgreementID: p.agreement, ListID: p.listA, Row: row, Outcome: handover.NotPresented}); err != nil {
			e.t.Fatal(err)
		}
		return row
	}
	return map[string]matrixCase{
		"GET /api/v1/agreements/{id}/day": {func(e *env, _ *fixtures) probe {
			return probe{path: "/api/v1/agreements/" + p.get(e).agreement + "/day?queue=interview&name=PA"}
		}, w(s401, s200, s200, s200, s200, s404)},
		"POST /agreements/{id}/correction": {func(e *env, _ *fixtures) probe {
			row := recorded(e)
			return probe{path: "/agreements/" + p.agreement + "/correction", form: url.Values{"list_id": {p.listA}, "row": {fmt.Sprint(row)}, "outcome": {""}, "reason": {"he came with the second bus"}}}
		}, w(s303, s403, s403, s303, s303, s403)},
		"POST /api/v1/agreements/{id}/corrections": {func(e *env, _ *fixtures) probe {
			row := recorded(e)
			return probe{path: "/api/v1/agreements/" + p.agreement + "/corrections", contentType: "application/json",
				body: jsonBody(t, map[string]any{"list_id": p.listA, "row": row, "outcome": "", "reason": "he came with the second bus"})}
		}, w(s401, s403, s403, s200, s200, s403)},
	}
}

// TestHandoverDayForms corrects an outcome through the page's forms and
// finds a substitute by name, as an observer on a tablet without script.
func TestHandoverDayForms(t *testing.T) {
	e := newEnv(t)
	d := e.handoverDay()
	page := "/agreements/" + d.a.ID + "/handover"
	obs := e.login(roleObserver)
	la, lb := living(d.sideA), living(d.sideB)
	ctx := context.Background()
	if _, err := e.svc.RecordOutcome(ctx, e.actor(roleObserver), service.OutcomeRequest{AgreementID: d.a.ID, ListID: la[0].ListID, Row: la[0].Row, Outcome: handover.NotPresented}); err != nil {
		t.Fatal(err)
	}
	_, body := obs.get(page)
	item := personItem(t, body, la[0])
	if !strings.Contains(item, `action="/agreements/`+d.a.ID+`/correction"`) || strings.Contains(item, `<option value="handed_over">`) {
		t.Errorf("a person not presented (no consent) is offered the wrong corrections:\n%s", item)
	}
	if strings.Contains(personItem(t, body, la[1]), "/correction") {
		t.Error("a person without an outcome is offered a correction")
	}
	post := func(v url.Values) (*http.Response, string) {
		v.Set("list_id", la[0].ListID)
		v.Set("row", fmt.Sprint(la[0].Row))
		v.Set("q", la[0].Person.Surname)
		return obs.post(page[:len(page)-len("/handover")]+"/correction", v)
	}
	resp, body := post(url.Values{"outcome": {"handed_over"}, "reason": {"he was there"}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, `id="step-error"`) {
		t.Errorf("handed over without consent by a correction: %d", resp.StatusCode)
	}
	resp, _ = post(url.Values{"outcome": {""}, "reason": {" "}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a correction without reason: %d", resp.StatusCode)
	}
	resp, _ = post(url.Values{"outcome": {""}, "reason": {"he came with the second bus"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "q=") {
		t.Fatalf("withdrawing the outcome: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = obs.get(page + "?q=" + url.QueryEscape(la[0].Person.Surname))
	if n := strings.Count(body, `<li id="p-`); n != 1 {
		t.Errorf("the name %q finds %d persons", la[0].Person.Surname, n)
	}
	if !strings.Contains(personItem(t, body, la[0]), `value="consents"`) {
		t.Error("after the withdrawal the person does not await his interview again")
	}

	// A substitute found by name: B's first person refuses; the observer
	// searches B's list for a person not in the stage.
	agreed := map[int]bool{}
	for _, r := range d.sideB {
		agreed[r.Row] = true
	}
	lst, err := e.svc.GetList(ctx, e.actor(roleObserver), d.w.listB)
	if err != nil {
		t.Fatal(err)
	}
	var name string
	for _, c := range lst.Entries {
		if !agreed[c.Row] && c.Person.Kind != "remains" && c.Person.Kind != "civilian" {
			name = c.Person.Surname
			break
		}
	}
	if name == "" {
		t.Fatal("no row of B's list left out of the stage")
	}
	anchor := fmt.Sprintf("p-%s-%d", lb[0].ListID, lb[0].Row)
	_, body = obs.get(page + "?sub_for=" + anchor + "&sub_q=" + url.QueryEscape(name))
	item = personItem(t, body, lb[0])
	if !strings.Contains(item, `name="sub_pick"`) || !strings.Contains(item, name) {
		t.Fatalf("the substitute search for %q shows no candidate:\n%s", name, item)
	}
	i := strings.Index(item, `name="sub_pick" value="`)
	pick := item[i+len(`name="sub_pick" value="`):]
	pick = pick[:strings.Index(pick, `"`)]
	resp, _ = obs.post("/agreements/"+d.a.ID+"/outcome", url.Values{"list_id": {lb[0].ListID}, "row": {fmt.Sprint(lb[0].Row)}, "outcome": {"substituted"},
		"sub_pick": {strings.ReplaceAll(pick, "&#124;", "|")}, "sub_interview": {"consents"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("substitution by a candidate found by name: %d", resp.StatusCode)
	}
}
