package web

import (
	"net/http"
	"strings"
	"testing"
)

func init() {
	matrixExtras = append(matrixExtras, func(*testing.T) map[string]matrixCase {
		// Bulk confirmation belongs to the officers of the receiving party
		// (B); to everyone else the run does not exist.
		run := func(e *env, f *fixtures) string { return newMatchRun(e, f.sentA) }
		return map[string]matrixCase{
			// A registry's versions: its own officers only.
			"GET /api/v1/parties/{party}/registry/versions":                {fixed("/api/v1/parties/A/registry/versions"), w(s401, s200, s403, s403, s403, s403)},
			"GET /api/v1/parties/{party}/registry/versions/{version}/diff": {fixed("/api/v1/parties/A/registry/versions/1/diff"), w(s401, s200, s403, s403, s403, s403)},
			"POST /match-runs/{id}/confirm-all-matches": {func(e *env, f *fixtures) probe {
				return probe{path: "/match-runs/" + run(e, f) + "/confirm-all-matches"}
			}, w(s303, s404, s303, s403, s403, s403)},
			"POST /api/v1/match-runs/{id}/confirm-all-matches": {func(e *env, f *fixtures) probe {
				return probe{path: "/api/v1/match-runs/" + run(e, f) + "/confirm-all-matches"}
			}, w(s401, s404, s200, s404, s404, s404)},
		}
	})
}

// The dashboard names the persons a new version of a list dropped.
func TestDashboardShowsDroppedPersons(t *testing.T) {
	e := newEnv(t)
	v1 := e.importList("A", "B", "good.csv", "First", "")
	e.handOver(v1)
	v2 := e.importList("A", "B", "good_v2.csv", "", v1)
	e.handOver(v2)
	for _, role := range []string{roleOfficerB, roleMediator} {
		resp, body := e.login(role).get("/")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s dashboard: %d", role, resp.StatusCode)
		}
		if !strings.Contains(body, `class="card dropped"`) || !strings.Contains(body, "Бондаренко Петро Миколайович") || !strings.Contains(body, "/lists/"+v1+"/diff/"+v2) {
			t.Errorf("%s: the dashboard does not report Бондаренко as dropped", role)
		}
		if strings.Contains(body, "Шевченко Тарас Григорович <span") {
			t.Errorf("%s: a person still on the list is reported dropped", role)
		}
	}
}

// The run page offers to confirm every pending match at once; the button
// does so, and is gone when nothing is left to confirm. The API does the
// same for the other party's officers only.
func TestConfirmAllMatchesPage(t *testing.T) {
	e, listID := matchEnv(t)
	runID := newMatchRun(e, listID)
	view := serviceRun(e, runID)
	want := 0
	for _, r := range view.Rows {
		if r.Decision == "match" && r.Score >= view.Run.ThresholdMatch {
			want++
		}
	}
	if want == 0 {
		t.Fatal("the fixture should give a match")
	}
	b := e.login(roleOfficerB)
	_, body := b.get("/match-runs/" + runID)
	if !strings.Contains(body, `action="/match-runs/`+runID+`/confirm-all-matches"`) {
		t.Fatal("the run page does not offer to confirm all matches")
	}
	resp, _ := b.post("/match-runs/"+runID+"/confirm-all-matches", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm all: %d", resp.StatusCode)
	}
	got := 0
	for _, r := range serviceRun(e, runID).Rows {
		if r.Review == "confirmed" {
			got++
			if r.Decision != "match" || r.ReviewedID != r.RegistryID {
				t.Errorf("confirmed in bulk: %+v", r.Row)
			}
		}
	}
	if got != want {
		t.Errorf("%d confirmed, want %d", got, want)
	}
	_, body = b.get("/match-runs/" + runID)
	if strings.Contains(body, `/confirm-all-matches"`) {
		t.Error("the button stays when nothing is left to confirm")
	}
	resp, out := e.api(roleOfficerB, "POST", "/api/v1/match-runs/"+runID+"/confirm-all-matches", nil, "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(out), `"confirmed": 0`) {
		t.Errorf("API confirm all again: %d %s", resp.StatusCode, out)
	}
}
