package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"parley/internal/access"
	"parley/internal/httpx"
	"parley/internal/negotiation"
	"parley/internal/person"
	"parley/internal/service"
)

// The negotiation pages and API: shared fixtures, the authorization matrix
// of their routes, and the main flows through the JSON API and the forms.

// negWorld is a round between A and B with one handed-over list of each
// side (testdata/stage-a.csv from A to B, testdata/stage-b.csv from B to A).
type negWorld struct {
	round        string
	listA, listB string
}

// importCSV imports a list as the local operator and returns its id.
func (e *env) importCSV(from, to, title string, r io.Reader) string {
	e.t.Helper()
	res, err := e.svc.ImportList(context.Background(), access.System, service.ImportRequest{From: from, To: to, Title: title, Format: "csv"}, r)
	if err != nil {
		e.t.Fatal(err)
	}
	e.handOver(res.List.ID)
	return res.List.ID
}

func (e *env) openTestdata(name string) io.Reader {
	e.t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		e.t.Fatal(err)
	}
	return bytes.NewReader(b)
}

// newNegWorld imports both lists, hands them over and has the mediator
// convene a round with the Istanbul approach of 2 June 2025 (seriously
// wounded, seriously sick, aged 18–25).
func (e *env) newNegWorld() *negWorld {
	e.t.Helper()
	w := &negWorld{
		listA: e.importCSV("A", "B", "Arcadia: stage list", e.openTestdata("stage-a.csv")),
		listB: e.importCSV("B", "A", "Borduria: stage list", e.openTestdata("stage-b.csv")),
	}
	crit := negotiation.Criteria{Categories: []string{"wounded", "seriously_ill"}, AgeMin: 18, AgeMax: 25, RefDate: person.Date{Year: 2025, Month: 6, Day: 7}}
	r, err := e.svc.CreateRound(context.Background(), e.actor(roleMediator), service.RoundRequest{
		Title: "Istanbul, second round", Venue: "Istanbul", Parties: [2]string{"A", "B"}, Criteria: &crit})
	if err != nil {
		e.t.Fatal(err)
	}
	w.round = r.ID
	return w
}

// plan is the one-for-one plan of the world's two lists.
func (w *negWorld) plan(capacity int) *service.PlanRequest {
	return &service.PlanRequest{ListIDs: [2]string{w.listA, w.listB}, Rule: negotiation.OneForOne, Capacity: capacity}
}

// propose submits a one-for-one stage of the world as a role's officer.
func (e *env) propose(w *negWorld, role string, draft bool) string {
	e.t.Helper()
	v, err := e.svc.SubmitProposal(context.Background(), e.actor(role), service.ProposalRequest{RoundID: w.round, Plan: w.plan(0), Draft: draft})
	if err != nil {
		e.t.Fatal(err)
	}
	return v.ID
}

// accepted returns a proposal of A that B has accepted.
func (e *env) accepted(w *negWorld) string {
	e.t.Helper()
	id := e.propose(w, roleOfficerA, false)
	if _, err := e.svc.AcceptProposal(context.Background(), e.actor(roleOfficerB), id, ""); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// agreement returns the agreement of a fresh world's one-for-one stage.
func (e *env) agreement(w *negWorld) *service.AgreementView {
	e.t.Helper()
	a, err := e.svc.WitnessProposal(context.Background(), e.actor(roleMediator), e.accepted(w))
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// unilateral proposes the wounded and sick of A's list under Art. 110, so
// that the commission has someone to decide on.
func (e *env) unilateral(w *negWorld) string {
	e.t.Helper()
	v, err := e.svc.SubmitProposal(context.Background(), e.actor(roleOfficerA), service.ProposalRequest{RoundID: w.round,
		Plan:             &service.PlanRequest{ListIDs: [2]string{w.listA, w.listB}, Rule: negotiation.Unilateral},
		Art110Categories: []string{"wounded", "seriously_ill"}})
	if err != nil {
		e.t.Fatal(err)
	}
	return v.ID
}

// jsonBody encodes a request body.
func jsonBody(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// apiJSON calls the API as a role and decodes the answer into out (unless nil).
func (e *env) apiJSON(role, method, path string, body any, out any) int {
	e.t.Helper()
	var rd io.Reader
	ct := ""
	if body != nil {
		rd, ct = bytes.NewReader(jsonBody(e.t, body)), "application/json"
	}
	resp, b := e.api(role, method, path, rd, ct)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v: %.300s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

// negMatrix holds the records the probes of the negotiation routes share,
// built at the first probe.
type negMatrix struct {
	w        *negWorld // proposals are made in it, none is agreed
	proposal string    // submitted by A to B
	art110   string    // a unilateral proposal with Art. 110 releases
}

func (m *negMatrix) get(e *env) *negMatrix {
	if m.w == nil {
		m.w = e.newNegWorld()
		m.proposal = e.propose(m.w, roleOfficerA, false)
		m.art110 = e.unilateral(m.w)
	}
	return m
}

func init() {
	matrixExtras = append(matrixExtras, negotiationMatrix)
}

func negotiationMatrix(t *testing.T) map[string]matrixCase {
	m := &negMatrix{}
	seen := func(path func(m *negMatrix) string) func(*env, *fixtures) probe {
		return func(e *env, _ *fixtures) probe { return probe{path: path(m.get(e))} }
	}
	// Officers of both parties, the mediator and observers see the
	// negotiation; administrators see no personal data, so a round's id
	// does not exist for them.
	read := w(s303, s200, s200, s200, s200, s404)
	readAPI := w(s401, s200, s200, s200, s200, s404)
	form := func(path string, v url.Values) probe { return probe{path: path, form: v} }
	api := func(path string, body any) probe {
		if body == nil {
			return probe{path: path}
		}
		return probe{path: path, body: jsonBody(t, body), contentType: "application/json"}
	}
	roundReq := service.RoundRequest{Title: "Probe round", Parties: [2]string{"A", "B"}}
	releases := func(e *env, w *negWorld) url.Values {
		plan, err := e.svc.PlanStage(context.Background(), access.System, *w.plan(0))
		if err != nil {
			e.t.Fatal(err)
		}
		v := url.Values{"rule": {"one-for-one"}, "list_a": {w.listA}, "list_b": {w.listB}}
		for _, side := range plan.Sides {
			for _, d := range side.Released {
				v.Add("release", negReleaseKey(d.ListID, d.Row))
			}
		}
		return v
	}
	return map[string]matrixCase{
		"GET /rounds":        {fixed("/rounds"), w(s303, s200, s200, s200, s200, s403)},
		"GET /api/v1/rounds": {fixed("/api/v1/rounds"), w(s401, s200, s200, s200, s200, s403)},
		"POST /rounds": {func(*env, *fixtures) probe {
			return form("/rounds", url.Values{"title": {uniq("Round ")}, "party_a": {"A"}, "party_b": {"B"}})
		}, w(s303, s403, s403, s303, s403, s403)},
		"POST /api/v1/rounds":           {func(*env, *fixtures) probe { return api("/api/v1/rounds", roundReq) }, w(s401, s403, s403, s201, s403, s403)},
		"GET /rounds/{id}":              {seen(func(m *negMatrix) string { return "/rounds/" + m.w.round }), read},
		"GET /api/v1/rounds/{id}":       {seen(func(m *negMatrix) string { return "/api/v1/rounds/" + m.w.round }), readAPI},
		"GET /api/v1/rounds/{id}/lists": {seen(func(m *negMatrix) string { return "/api/v1/rounds/" + m.w.round + "/lists" }), readAPI},
		// The mediator and the officers of either party of the list attach
		// it; observers only read.
		"POST /rounds/{id}/lists": {func(e *env, _ *fixtures) probe {
			m.get(e)
			return form("/rounds/"+m.w.round+"/lists", url.Values{"list_id": {m.w.listA}})
		}, w(s303, s303, s303, s303, s403, s404)},
		"POST /api/v1/rounds/{id}/lists": {func(e *env, _ *fixtures) probe {
			m.get(e)
			return api("/api/v1/rounds/"+m.w.round+"/lists", map[string]string{"list_id": m.w.listB})
		}, w(s401, s200, s200, s200, s403, s404)},
		"GET /rounds/{id}/lists/{list}/conformance": {seen(func(m *negMatrix) string {
			return "/rounds/" + m.w.round + "/lists/" + m.w.listA + "/conformance"
		}), read},
		"GET /api/v1/rounds/{id}/lists/{list}/conformance": {seen(func(m *negMatrix) string {
			return "/api/v1/rounds/" + m.w.round + "/lists/" + m.w.listA + "/conformance"
		}), readAPI},
		"GET /rounds/{id}/plan": {seen(func(m *negMatrix) string {
			return "/rounds/" + m.w.round + "/plan?rule=one-for-one&list_a=" + m.w.listA + "&list_b=" + m.w.listB
		}), read},
		"POST /api/v1/plan": {func(e *env, _ *fixtures) probe {
			m.get(e)
			return api("/api/v1/plan", m.w.plan(0))
		}, w(s401, s200, s200, s200, s200, s404)},
		// Proposals: a party's officers only, each for his own party (B's
		// officer proposes the same stage from B's side).
		"POST /rounds/{id}/proposals": {func(e *env, _ *fixtures) probe {
			m.get(e)
			return form("/rounds/"+m.w.round+"/proposals", releases(e, m.w))
		}, w(s303, s303, s303, s403, s403, s403)},
		"POST /api/v1/proposals": {func(e *env, _ *fixtures) probe {
			m.get(e)
			return api("/api/v1/proposals", service.ProposalRequest{RoundID: m.w.round, Plan: m.w.plan(0)})
		}, w(s401, s201, s201, s403, s403, s403)},
		"GET /api/v1/proposals":             {fixed("/api/v1/proposals"), w(s401, s200, s200, s200, s200, s403)},
		"GET /proposals/{id}":               {seen(func(m *negMatrix) string { return "/proposals/" + m.proposal }), read},
		"GET /api/v1/proposals/{id}":        {seen(func(m *negMatrix) string { return "/api/v1/proposals/" + m.proposal }), readAPI},
		"GET /api/v1/proposals/{id}/thread": {seen(func(m *negMatrix) string { return "/api/v1/proposals/" + m.proposal + "/thread" }), readAPI},
		// Answers: the addressee (B) accepts, rejects and counters; the
		// proposer (A) withdraws and submits its drafts, which nobody else
		// even sees; the mediator witnesses.
		"POST /proposals/{id}/accept": {func(e *env, _ *fixtures) probe {
			return probe{path: "/proposals/" + e.propose(m.get(e).w, roleOfficerA, false) + "/accept"}
		}, w(s303, s403, s303, s403, s403, s403)},
		"POST /api/v1/proposals/{id}/accept": {func(e *env, _ *fixtures) probe {
			return probe{path: "/api/v1/proposals/" + e.propose(m.get(e).w, roleOfficerA, false) + "/accept"}
		}, w(s401, s403, s200, s403, s403, s403)},
		"POST /proposals/{id}/reject": {func(e *env, _ *fixtures) probe {
			return form("/proposals/"+e.propose(m.get(e).w, roleOfficerA, false)+"/reject", url.Values{"reasons": {"row 2 is not in the agreed categories"}})
		}, w(s303, s403, s303, s403, s403, s403)},
		"POST /api/v1/proposals/{id}/reject": {func(e *env, _ *fixtures) probe {
			return api("/api/v1/proposals/"+e.propose(m.get(e).w, roleOfficerA, false)+"/reject", answerJSON{Reasons: "not the agreed approach"})
		}, w(s401, s403, s200, s403, s403, s403)},
		"POST /proposals/{id}/withdraw": {func(e *env, _ *fixtures) probe {
			return probe{path: "/proposals/" + e.propose(m.get(e).w, roleOfficerA, false) + "/withdraw"}
		}, w(s303, s303, s403, s403, s403, s403)},
		"POST /api/v1/proposals/{id}/withdraw": {func(e *env, _ *fixtures) probe {
			return probe{path: "/api/v1/proposals/" + e.propose(m.get(e).w, roleOfficerA, false) + "/withdraw"}
		}, w(s401, s200, s403, s403, s403, s403)},
		"POST /proposals/{id}/submit": {func(e *env, _ *fixtures) probe {
			return probe{path: "/proposals/" + e.propose(m.get(e).w, roleOfficerA, true) + "/submit"}
		}, w(s303, s303, s404, s404, s404, s404)},
		"POST /api/v1/proposals/{id}/submit": {func(e *env, _ *fixtures) probe {
			return probe{path: "/api/v1/proposals/" + e.propose(m.get(e).w, roleOfficerA, true) + "/submit"}
		}, w(s401, s200, s404, s404, s404, s404)},
		"POST /proposals/{id}/counter": {func(e *env, _ *fixtures) probe {
			m.get(e)
			return form("/proposals/"+e.propose(m.w, roleOfficerA, false)+"/counter", releases(e, m.w))
		}, w(s303, s403, s303, s403, s403, s403)},
		"POST /api/v1/proposals/{id}/counter": {func(e *env, _ *fixtures) probe {
			m.get(e)
			return api("/api/v1/proposals/"+e.propose(m.w, roleOfficerA, false)+"/counter", service.ProposalRequest{Plan: m.w.plan(3)})
		}, w(s401, s403, s201, s403, s403, s403)},
		// Witnessing binds the persons, so each probe has a world of its own.
		"POST /proposals/{id}/witness": {func(e *env, _ *fixtures) probe {
			return probe{path: "/proposals/" + e.accepted(e.newNegWorld()) + "/witness"}
		}, w(s303, s403, s403, s303, s403, s403)},
		"POST /api/v1/proposals/{id}/witness": {func(e *env, _ *fixtures) probe {
			return probe{path: "/api/v1/proposals/" + e.accepted(e.newNegWorld()) + "/witness"}
		}, w(s401, s403, s403, s201, s403, s403)},
		// The commission's decisions are recorded by observers and the mediator.
		"POST /proposals/{id}/commission": {func(e *env, _ *fixtures) probe {
			m.get(e)
			return form("/proposals/"+m.art110+"/commission", url.Values{"release": {negReleaseKey(m.w.listA, 1)}, "decision": {"repatriate"}})
		}, w(s303, s403, s403, s303, s303, s403)},
		"POST /api/v1/proposals/{id}/commission": {func(e *env, _ *fixtures) probe {
			m.get(e)
			return api("/api/v1/proposals/"+m.art110+"/commission", map[string]any{"list_id": m.w.listA, "row": 1, "outcome": map[string]string{"decision": "reexamine", "reexamine_on": "2026-01-15"}})
		}, w(s401, s403, s403, s201, s201, s403)},
		"GET /api/v1/agreements": {fixed("/api/v1/agreements"), w(s401, s200, s200, s200, s200, s403)},
	}
}

// TestNegotiationAPI runs a negotiation through the JSON API: the mediator
// convenes a round; officer A plans one for one and proposes; a stage that
// breaks the rule is refused with its numbers; officer B counters; A
// accepts the counter; the mediator witnesses it.
func TestNegotiationAPI(t *testing.T) {
	e := newEnv(t)
	listA := e.importCSV("A", "B", "Arcadia: stage list", e.openTestdata("stage-a.csv"))
	listB := e.importCSV("B", "A", "Borduria: stage list", e.openTestdata("stage-b.csv"))

	var round struct {
		ID string `json:"id"`
	}
	req := map[string]any{"title": "Istanbul, second round", "venue": "Istanbul", "parties": []string{"A", "B"},
		"criteria": map[string]any{"categories": []string{"wounded", "seriously_ill"}, "age_min": 18, "age_max": 25, "ref_date": "2025-06-07"}}
	if got := e.apiJSON(roleOfficerA, "POST", "/api/v1/rounds", req, nil); got != http.StatusForbidden {
		t.Errorf("officer convenes a round: %d", got)
	}
	if got := e.apiJSON(roleMediator, "POST", "/api/v1/rounds", req, &round); got != http.StatusCreated || round.ID == "" {
		t.Fatalf("mediator convenes a round: %d %+v", got, round)
	}

	// The planner: every row of both lists is released or left out, with a reason.
	var plan negotiation.StagePlan
	planReq := service.PlanRequest{ListIDs: [2]string{listA, listB}, Rule: negotiation.OneForOne}
	if got := e.apiJSON(roleOfficerA, "POST", "/api/v1/plan", planReq, &plan); got != 200 {
		t.Fatalf("plan: %d", got)
	}
	wantRows := [2]int{8, 8}
	for i, side := range plan.Sides {
		if n := len(side.Released) + len(side.LeftOut); n != wantRows[i] {
			t.Errorf("side %s: %d rows planned, want %d", side.Party, n, wantRows[i])
		}
		for _, d := range append(side.Released, side.LeftOut...) {
			if d.Reason == "" {
				t.Errorf("row %d of %s has no reason", d.Row, d.ListID)
			}
		}
	}
	if a, b := len(plan.Sides[0].Released), len(plan.Sides[1].Released); a != b || a == 0 {
		t.Fatalf("one-for-one plan releases %d and %d", a, b)
	}

	// Conformance: the round's lists are checked against its approach.
	var rl map[string]any
	if got := e.apiJSON(roleOfficerA, "POST", "/api/v1/rounds/"+round.ID+"/lists", map[string]string{"list_id": listA}, &rl); got != 200 || rl["nonconforming"].(float64) < 1 {
		t.Errorf("attach: %d %v", got, rl)
	}
	var conf service.ConformanceReport
	if got := e.apiJSON(roleObserver, "GET", "/api/v1/rounds/"+round.ID+"/lists/"+listA+"/conformance", nil, &conf); got != 200 {
		t.Fatalf("conformance: %d", got)
	}
	if len(conf.Nonconforming) == 0 || conf.Conforming+len(conf.Nonconforming) != conf.Entries {
		t.Errorf("conformance report: %+v", conf)
	}
	for _, n := range conf.Nonconforming {
		if len(n.Reasons) == 0 {
			t.Errorf("nonconforming row %d without a reason", n.Row)
		}
	}

	// A stage that breaks one for one: A releases two, B one.
	bad := service.ProposalRequest{RoundID: round.ID, Terms: negotiation.Terms{Rule: negotiation.OneForOne},
		Releases: []service.ReleaseRef{{ListID: listA, Row: 4}, {ListID: listA, Row: 5}, {ListID: listB, Row: 4}}}
	var refused httpx.ErrorBody
	if got := e.apiJSON(roleOfficerA, "POST", "/api/v1/proposals", bad, &refused); got != http.StatusUnprocessableEntity {
		t.Fatalf("unbalanced proposal: %d", got)
	}
	if !strings.Contains(refused.Error, "A releases 2, B releases 1 under one-for-one") {
		t.Errorf("refusal does not give the numbers: %q", refused.Error)
	}
	if probs, _ := refused.Details["problems"].([]any); len(probs) != 1 || refused.Details["rule"] != "one-for-one" {
		t.Errorf("refusal details: %v", refused.Details)
	}

	// A proposes the plan; B counters with a smaller stage; A accepts it.
	var prop service.ProposalView
	if got := e.apiJSON(roleOfficerA, "POST", "/api/v1/proposals", service.ProposalRequest{RoundID: round.ID, Plan: &planReq, Note: "first stage"}, &prop); got != http.StatusCreated {
		t.Fatalf("proposal: %d", got)
	}
	if prop.State != "submitted" || prop.Counts[0] != len(plan.Sides[0].Released) || prop.Sides[0].Releases[0].LegalBasis.Code != negotiation.BasisSpecialAgreement {
		t.Errorf("proposal: state %s, counts %v, basis %v", prop.State, prop.Counts, prop.Sides[0].Releases[0].LegalBasis)
	}
	if got := e.apiJSON(roleOfficerA, "POST", "/api/v1/proposals/"+prop.ID+"/accept", nil, nil); got != http.StatusForbidden {
		t.Errorf("A accepts its own proposal: %d", got)
	}
	if got := e.apiJSON(roleMediator, "POST", "/api/v1/proposals/"+prop.ID+"/witness", nil, nil); got != http.StatusConflict {
		t.Errorf("mediator witnesses a proposal nobody accepted: %d", got)
	}
	small := planReq
	small.Capacity = 3
	var counter service.ProposalView
	if got := e.apiJSON(roleOfficerB, "POST", "/api/v1/proposals/"+prop.ID+"/counter", service.ProposalRequest{Plan: &small}, &counter); got != http.StatusCreated {
		t.Fatalf("counter: %d", got)
	}
	if counter.From != "B" || counter.CounterOf != prop.ID || counter.Counts != [2]int{3, 3} {
		t.Errorf("counter-proposal: from %s, counter of %s, counts %v", counter.From, counter.CounterOf, counter.Counts)
	}
	var thread struct {
		Proposals []service.ProposalView `json:"proposals"`
	}
	if got := e.apiJSON(roleObserver, "GET", "/api/v1/proposals/"+counter.ID+"/thread", nil, &thread); got != 200 || len(thread.Proposals) != 2 || thread.Proposals[0].State != "countered" {
		t.Errorf("thread: %d %+v", got, thread)
	}
	if got := e.apiJSON(roleOfficerB, "POST", "/api/v1/proposals/"+counter.ID+"/accept", nil, nil); got != http.StatusForbidden {
		t.Errorf("B accepts its own counter-proposal: %d", got)
	}
	if got := e.apiJSON(roleOfficerA, "POST", "/api/v1/proposals/"+counter.ID+"/accept", nil, &prop); got != 200 || prop.State != "accepted" {
		t.Fatalf("A accepts the counter: %d %s", got, prop.State)
	}
	var list struct {
		Proposals []map[string]any `json:"proposals"`
	}
	if got := e.apiJSON(roleMediator, "GET", "/api/v1/proposals?round_id="+round.ID+"&state=accepted", nil, &list); got != 200 || len(list.Proposals) != 1 {
		t.Errorf("accepted proposals of the round: %d %v", got, list)
	}

	// The mediator witnesses: an agreement with its content hash.
	var ag service.AgreementView
	if got := e.apiJSON(roleObserver, "POST", "/api/v1/proposals/"+counter.ID+"/witness", nil, nil); got != http.StatusForbidden {
		t.Errorf("observer witnesses: %d", got)
	}
	if got := e.apiJSON(roleMediator, "POST", "/api/v1/proposals/"+counter.ID+"/witness", nil, &ag); got != http.StatusCreated {
		t.Fatalf("witness: %d", got)
	}
	if !strings.HasPrefix(ag.ContentHash, "sha256:") || len(ag.Handover) != 6 || ag.Complete {
		t.Errorf("agreement: hash %q, %d persons, complete %v", ag.ContentHash, len(ag.Handover), ag.Complete)
	}
	var again service.AgreementView
	if got := e.apiJSON(roleOfficerB, "GET", "/api/v1/agreements/"+ag.ID, nil, &again); got != 200 || again.ContentHash != ag.ContentHash {
		t.Errorf("agreement read back: %d %q", got, again.ContentHash)
	}
	if got := e.apiJSON(roleAdmin, "GET", "/api/v1/agreements/"+ag.ID, nil, nil); got != http.StatusNotFound {
		t.Errorf("administrator reads an agreement: %d", got)
	}
	// Persons of the agreement cannot be proposed again.
	if got := e.apiJSON(roleOfficerA, "POST", "/api/v1/proposals", service.ProposalRequest{RoundID: round.ID, Terms: negotiation.Terms{Rule: negotiation.OneForOne},
		Releases: []service.ReleaseRef{{ListID: ag.Sides[0].Releases[0].ListID, Row: ag.Sides[0].Releases[0].Row}, {ListID: ag.Sides[1].Releases[0].ListID, Row: ag.Sides[1].Releases[0].Row}}}, &refused); got != http.StatusConflict || !strings.Contains(refused.Error, ag.ID) {
		t.Errorf("proposing agreed persons again: %d %q", got, refused.Error)
	}
}

// checkedRelease finds the ticked release boxes of a planner page.
var checkedRelease = regexp.MustCompile(`name="release" value="([^"]+)" id="[^"]+" checked`)

// checkedReleases returns the list rows ticked on a planner page.
func checkedReleases(body string) []string {
	var out []string
	for _, m := range checkedRelease.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestNegotiationForms runs the same negotiation through the pages, as a
// browser without script would: forms and redirects.
func TestNegotiationForms(t *testing.T) {
	e := newEnv(t)
	listA := e.importCSV("A", "B", "Arcadia: stage list", e.openTestdata("stage-a.csv"))
	listB := e.importCSV("B", "A", "Borduria: stage list", e.openTestdata("stage-b.csv"))
	med, a, b, obs := e.login(roleMediator), e.login(roleOfficerA), e.login(roleOfficerB), e.login(roleObserver)

	// The mediator convenes a round; a refused form keeps what was typed.
	med.get("/rounds")
	resp, body := med.post("/rounds", url.Values{"title": {"Istanbul, second round"}, "party_a": {"A"}, "party_b": {"A"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "two different parties") || !strings.Contains(body, `value="Istanbul, second round"`) {
		t.Fatalf("round with one party: %d", resp.StatusCode)
	}
	resp, _ = med.post("/rounds", url.Values{"title": {"Istanbul, second round"}, "venue": {"Istanbul"}, "party_a": {"A"}, "party_b": {"B"},
		"starts_on": {"2025-06-02"}, "categories": {"wounded", "seriously_ill"}, "age_min": {"18"}, "age_max": {"25"}, "ref_date": {"2025-06-07"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/rounds/R") {
		t.Fatalf("convene: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	roundURL := resp.Header.Get("Location")
	if _, body := a.get(roundURL); !strings.Contains(body, "Istanbul, second round") || !strings.Contains(body, "aged 18–25") {
		t.Errorf("round page lacks its title or approach")
	}

	// Officer A plans one for one: names in both scripts, a reason for each.
	planURL := roundURL + "/plan?rule=one-for-one&list_a=" + listA + "&list_b=" + listB
	resp, body = a.get(planURL)
	if resp.StatusCode != 200 {
		t.Fatalf("planner: %d", resp.StatusCode)
	}
	for _, want := range []string{"Шевченко Тарас Григорович", "Shevchenko Taras", "Иванов Сергей Петрович", "Left out: 1", `id="propose"`} {
		if !strings.Contains(body, want) {
			t.Errorf("planner lacks %q", want)
		}
	}
	picked := checkedReleases(body)
	if len(picked) != 14 {
		t.Fatalf("planner ticks %d persons, want 7 a side", len(picked))
	}
	// Unticking one of B's persons breaks one for one: the planner comes
	// back with the numbers, and the ticks as they were.
	var fewer []string
	dropped := false
	for _, k := range picked {
		// row 6 of B's list is remains, counted apart
		if !dropped && strings.HasPrefix(k, listB+":") && k != listB+":6" {
			dropped = true
			continue
		}
		fewer = append(fewer, k)
	}
	form := url.Values{"rule": {"one-for-one"}, "list_a": {listA}, "list_b": {listB}, "release": fewer, "date": {"2025-06-10"}}
	resp, body = a.post(roundURL+"/proposals", form)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("unbalanced stage: %d", resp.StatusCode)
	}
	if !strings.Contains(body, "A releases 6 prisoners of war, B releases 5") || !strings.Contains(body, "breaks its rule") {
		t.Errorf("the refusal does not give the numbers:\n%s", mainOf(body))
	}
	if got := len(checkedReleases(body)); got != 13 {
		t.Errorf("after the refusal %d persons ticked, want 13", got)
	}
	form["release"] = picked
	resp, _ = a.post(roundURL+"/proposals", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("proposal: %d", resp.StatusCode)
	}
	propURL := resp.Header.Get("Location")

	// Officer B sees Accept and Counter; officer A sees Withdraw only.
	if _, body := a.get(propURL); strings.Contains(body, `id="accept"`) || !strings.Contains(body, "/withdraw") {
		t.Errorf("proposal page for A offers the wrong buttons")
	}
	_, body = b.get(propURL)
	for _, want := range []string{`id="accept"`, `id="counter"`, "The stage keeps its rule", "special agreement «Istanbul, second round»", "Shevchenko Taras", "Arcadia releases 7, Borduria releases 7."} {
		if !strings.Contains(body, want) {
			t.Errorf("proposal page for B lacks %q", want)
		}
	}
	counterURL := regexp.MustCompile(`href="([^"]+)" id="counter"`).FindStringSubmatch(body)
	if counterURL == nil {
		t.Fatal("no counter-proposal link")
	}
	// B counters with a stage of at most 4 a side.
	resp, body = b.get(strings.ReplaceAll(counterURL[1], "&amp;", "&") + "&capacity=4")
	if resp.StatusCode != 200 || !strings.Contains(body, "Counter-proposal to") || !strings.Contains(body, `action="`+strings.TrimPrefix(propURL, "")+`/counter"`) {
		t.Fatalf("counter planner: %d", resp.StatusCode)
	}
	counterPick := checkedReleases(body)
	if len(counterPick) != 8 {
		t.Fatalf("counter plan ticks %d, want 4 a side", len(counterPick))
	}
	resp, _ = b.post(propURL+"/counter", url.Values{"rule": {"one-for-one"}, "capacity": {"4"}, "list_a": {listA}, "list_b": {listB}, "release": counterPick})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("counter: %d", resp.StatusCode)
	}
	counter := resp.Header.Get("Location")
	if _, body := med.get(propURL); !strings.Contains(body, "Countered") {
		t.Errorf("the original proposal is not shown countered")
	}
	// A rejects without reasons: refused; then accepts.
	resp, body = a.post(counter+"/reject", url.Values{"reasons": {"  "}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "a rejection gives its reasons") {
		t.Errorf("rejection without reasons: %d", resp.StatusCode)
	}
	if resp, _ = a.post(counter+"/accept", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("accept the counter: %d", resp.StatusCode)
	}
	// The round page shows the thread: proposal → counter-proposal.
	_, body = obs.get(roundURL)
	if i, j := strings.Index(body, "Countered"), strings.Index(body, "Accepted"); i < 0 || j < i {
		t.Errorf("thread on the round page not in order (countered at %d, accepted at %d)", i, j)
	}
	// The mediator witnesses; the agreement shows both sides and its hash.
	_, body = med.get(counter)
	if !strings.Contains(body, `id="witness"`) {
		t.Fatal("mediator is not offered to witness")
	}
	resp, _ = med.post(counter+"/witness", nil)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/agreements/G") {
		t.Fatalf("witness: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = obs.get(resp.Header.Get("Location"))
	if !strings.Contains(body, "sha256:") || strings.Count(body, "/timeline") != 8 {
		t.Errorf("agreement page: hash shown %v, %d persons", strings.Contains(body, "sha256:"), strings.Count(body, "/timeline"))
	}
}

// mainOf returns the <main> of a page, for failure messages.
func mainOf(body string) string {
	if i := strings.Index(body, "<main"); i >= 0 {
		body = body[i:]
	}
	if j := strings.Index(body, "</main>"); j >= 0 {
		body = body[:j]
	}
	return body
}
