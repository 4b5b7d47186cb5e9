package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"parley/internal/disputes"
	"parley/internal/service"
)

// Disputes and deaths in the workbench: who may reach each route, the
// flow through the API, and the pages in every language.

func init() { matrixExtras = append(matrixExtras, disputeMatrix) }

// freshSent hands over a new list from A to B, so that each probe has rows
// of its own to contest or to record a death for.
func freshSent(e *env) string {
	id := e.importList("A", "B", "good.csv", uniq("Fresh "), "")
	e.handOver(id)
	return id
}

// freshContest is a contest by B of row 1 of a fresh list from A.
func freshContest(e *env) string {
	d, err := e.svc.ContestRow(context.Background(), e.actor(roleOfficerB), service.ContestRequest{ListID: freshSent(e), Row: 1, Reason: disputes.NotOurs})
	if err != nil {
		e.t.Fatal(err)
	}
	return d.ID
}

// freshDeath is a death recorded by A for row 1 of a fresh list.
func freshDeath(e *env) string {
	d, err := e.svc.RecordDeath(context.Background(), e.actor(roleOfficerA), service.DeathRequest{ListID: freshSent(e), Row: 1, ReportedBy: "camp doctor"})
	if err != nil {
		e.t.Fatal(err)
	}
	return d.ID
}

func jsonProbe(path, body string) probe {
	return probe{path: path, body: []byte(body), contentType: "application/json"}
}

func disputeMatrix(*testing.T) map[string]matrixCase {
	// B's matrix registry has nobody believed captured: a claim passes the
	// gates and is then refused as empty (422).
	run := func(e *env, f *fixtures) string { return newMatchRun(e, f.sentA) }
	return map[string]matrixCase{
		// The mediator and both sides see disputes; observers and
		// administrators take no part in them.
		"GET /disputes":        {fixed("/disputes"), w(s303, s200, s200, s200, s403, s403)},
		"GET /api/v1/disputes": {fixed("/api/v1/disputes"), w(s401, s200, s200, s200, s403, s403)},
		"GET /api/v1/disputes/{id}": {func(e *env, _ *fixtures) probe { return probe{path: "/api/v1/disputes/" + freshContest(e)} },
			w(s401, s200, s200, s200, s404, s404)},
		// Only the side a dispute is addressed to answers it.
		"POST /api/v1/disputes/{id}/answer": {func(e *env, _ *fixtures) probe {
			return jsonProbe("/api/v1/disputes/"+freshContest(e)+"/answer", `{"answer":"accepted"}`)
		}, w(s401, s200, s403, s403, s404, s404)},
		"POST /disputes/{id}/answer": {func(e *env, _ *fixtures) probe {
			return probe{path: "/disputes/" + freshContest(e) + "/answer", form: url.Values{"answer": {"accepted"}}}
		}, w(s303, s303, s403, s403, s403, s403)},
		// Only the receiver contests rows of a list.
		"POST /api/v1/lists/{id}/contests": {func(e *env, _ *fixtures) probe {
			return jsonProbe("/api/v1/lists/"+freshSent(e)+"/contests", `{"row":1,"reason":"civilian","note":"a driver"}`)
		}, w(s401, s403, s201, s403, s403, s404)},
		"POST /lists/{id}/contest": {func(e *env, _ *fixtures) probe {
			return probe{path: "/lists/" + freshSent(e) + "/contest", form: url.Values{"row": {"1"}, "reason": {"civilian"}}}
		}, w(s303, s403, s303, s403, s403, s403)},
		"POST /api/v1/match-runs/{id}/claim": {func(e *env, f *fixtures) probe {
			return jsonProbe("/api/v1/match-runs/"+run(e, f)+"/claim", `{"note":"n"}`)
		}, w(s401, s404, s422, s404, s404, s404)},
		"POST /match-runs/{id}/claim": {func(e *env, f *fixtures) probe {
			return probe{path: "/match-runs/" + run(e, f) + "/claim", form: url.Values{"note": {"n"}}}
		}, w(s303, s404, s422, s403, s403, s403)},
		// Deaths: recorded by the detaining side, released by the
		// person's own side only.
		"GET /deaths":        {fixed("/deaths"), w(s303, s200, s200, s200, s200, s403)},
		"GET /api/v1/deaths": {fixed("/api/v1/deaths"), w(s401, s200, s200, s200, s200, s403)},
		"POST /api/v1/deaths": {func(e *env, _ *fixtures) probe {
			return jsonProbe("/api/v1/deaths", fmt.Sprintf(`{"list_id":%q,"row":1,"reported_by":"camp doctor","died_on":"2025-05"}`, freshSent(e)))
		}, w(s401, s201, s403, s403, s403, s404)},
		"POST /deaths": {func(e *env, _ *fixtures) probe {
			return probe{path: "/deaths", form: url.Values{"list_id": {freshSent(e)}, "row": {"1"}, "reported_by": {"camp doctor"}}}
		}, w(s303, s303, s403, s403, s403, s403)},
		"POST /api/v1/deaths/{id}/release": {func(e *env, _ *fixtures) probe {
			return jsonProbe("/api/v1/deaths/"+freshDeath(e)+"/release", `{"text":"We are sorry."}`)
		}, w(s401, s403, s200, s403, s403, s404)},
		"POST /deaths/{id}/release": {func(e *env, _ *fixtures) probe {
			return probe{path: "/deaths/" + freshDeath(e) + "/release", form: url.Values{"text": {"We are sorry."}}}
		}, w(s303, s403, s303, s403, s403, s403)},
		"POST /api/v1/deaths/{id}/withdraw": {func(e *env, _ *fixtures) probe {
			return jsonProbe("/api/v1/deaths/"+freshDeath(e)+"/withdraw", `{"reason":"another man of the same name"}`)
		}, w(s401, s204, s403, s403, s403, s404)},
		"POST /api/v1/deaths/{id}/remains": {func(e *env, _ *fixtures) probe {
			return jsonProbe("/api/v1/deaths/"+freshDeath(e)+"/remains", `{"note":"DNA"}`)
		}, w(s401, s403, s200, s200, s200, s404)},
		"POST /deaths/{id}/remains": {func(e *env, _ *fixtures) probe {
			return probe{path: "/deaths/" + freshDeath(e) + "/remains", form: url.Values{"note": {"DNA"}}}
		}, w(s303, s403, s303, s303, s303, s403)},
	}
}

// TestDisputeAPI: a reservation with the acknowledgement, a contest, the
// mediator's overview, the answer and the closing by a new version, through
// the JSON API.
func TestDisputeAPI(t *testing.T) {
	e := newEnv(t)
	v1 := e.importList("A", "B", "good.csv", "Disputed", "")
	e.handOver(v1)
	call := func(role, method, path, body string, want int) []byte {
		t.Helper()
		var rd *strings.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		var resp *http.Response
		var b []byte
		if rd != nil {
			resp, b = e.api(role, method, path, rd, "application/json")
		} else {
			resp, b = e.api(role, method, path, nil, "")
		}
		if resp.StatusCode != want {
			t.Fatalf("%s %s as %s: %d, want %d: %s", method, path, role, resp.StatusCode, want, b)
		}
		return b
	}
	ack := decodeJSONAs[struct {
		State       string
		Reservation *disputes.Dispute
	}](t, call(roleOfficerB, "POST", "/api/v1/lists/"+v1+"/ack", `{"reservation":"Row 2 is unknown to us."}`, 200))
	if ack.State != "acknowledged" || ack.Reservation == nil || ack.Reservation.Kind != disputes.Reservation {
		t.Fatalf("ack = %+v", ack)
	}
	call(roleOfficerB, "POST", "/api/v1/lists/"+v1+"/contests", `{"row":1,"reason":"bogus"}`, 422)
	c := decodeJSONAs[disputes.Dispute](t, call(roleOfficerB, "POST", "/api/v1/lists/"+v1+"/contests", `{"row":1,"reason":"already_returned","note":"May 2025"}`, 201))
	open := decodeJSONAs[[]disputes.Dispute](t, call(roleMediator, "GET", "/api/v1/disputes?open=1&list="+v1, "", 200))
	if len(open) != 2 {
		t.Fatalf("the mediator sees %d open disputes, want 2", len(open))
	}
	call(roleOfficerA, "POST", "/api/v1/disputes/"+c.ID+"/answer", `{"answer":"rejected"}`, 422)
	call(roleOfficerA, "POST", "/api/v1/disputes/"+c.ID+"/answer", `{"answer":"new_version"}`, 200)
	v2 := e.importList("A", "B", "good_v2.csv", "", v1)
	e.handOver(v2)
	got := decodeJSONAs[disputes.Dispute](t, call(roleMediator, "GET", "/api/v1/disputes/"+c.ID, "", 200))
	if got.State != disputes.Closed || got.ClosedBy != v2 {
		t.Errorf("after version 2 the contest is %s, closed by %q", got.State, got.ClosedBy)
	}
	open = decodeJSONAs[[]disputes.Dispute](t, call(roleMediator, "GET", "/api/v1/disputes?open=1&list="+v1, "", 200))
	if len(open) != 1 || open[0].Kind != disputes.Reservation {
		t.Errorf("open after version 2: %+v", open)
	}
}

// TestDisputeAndDeathPagesInEveryLanguage: the pages of disputes and
// deaths, with something on them, in every language and without a key
// left untranslated.
func TestDisputeAndDeathPagesInEveryLanguage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sent := freshSent(e)
	if _, err := e.svc.ContestRow(ctx, e.actor(roleOfficerB), service.ContestRequest{ListID: sent, Row: 1, Reason: disputes.Civilian, Note: "a driver"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.RecordDeath(ctx, e.actor(roleOfficerA), service.DeathRequest{ListID: sent, Row: 2, ReportedBy: "camp doctor", DiedOn: "2025-05-01", Documents: []string{"act 5"}}); err != nil {
		t.Fatal(err)
	}
	// A contest answered "new version" and closed by it.
	closed := freshSent(e)
	c, err := e.svc.ContestRow(ctx, e.actor(roleOfficerB), service.ContestRequest{ListID: closed, Row: 1, Reason: disputes.NotOurs})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AnswerDispute(ctx, e.actor(roleOfficerA), c.ID, disputes.NewVersion, ""); err != nil {
		t.Fatal(err)
	}
	e.handOver(e.importList("A", "B", "good_v2.csv", "", closed))
	keyLike := regexp.MustCompile(`(?:>|")\s*(?:dispute|death|nav)\.[a-z_.]+\s*(?:<|")`)
	pages := map[string][]string{
		roleOfficerA: {"/disputes", "/deaths", "/lists/" + sent},
		roleOfficerB: {"/disputes?all=1", "/deaths", "/lists/" + sent},
		roleMediator: {"/disputes", "/deaths"},
		roleObserver: {"/deaths"},
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
				if strings.HasPrefix(p, "/disputes") && !strings.Contains(body, "a driver") {
					t.Errorf("%s %s as %s: the contest is not shown", lang.Code, p, role)
				}
				if p == "/disputes?all=1" && !strings.Contains(body, c.ID) {
					t.Errorf("%s %s as %s: the closed contest is not shown", lang.Code, p, role)
				}
			}
		}
	}
	// The answer form is offered to the side that must answer, and the
	// release form to the person's own side only.
	_, bodyA := e.login(roleOfficerA).get("/disputes")
	_, bodyB := e.login(roleOfficerB).get("/disputes")
	if !strings.Contains(bodyA, "/answer") || strings.Contains(bodyB, "/answer") {
		t.Error("the answer form is offered to the wrong side")
	}
	_, deathsA := e.login(roleOfficerA).get("/deaths")
	_, deathsB := e.login(roleOfficerB).get("/deaths")
	if strings.Contains(deathsA, "/release") || !strings.Contains(deathsB, "/release") {
		t.Error("the release form is offered to the wrong side")
	}
}
