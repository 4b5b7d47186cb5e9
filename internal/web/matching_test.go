package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"parley/internal/access"
	"parley/internal/lists"
	"parley/internal/msg"
	"parley/internal/person"
	"parley/internal/service"
)

func init() {
	matrixExtras = append(matrixExtras, func(*testing.T) map[string]matrixCase {
		// Runs belong to the receiving party (B): its officers see and
		// review them; to everyone else a run id does not exist, and the
		// pages are for officers only.
		run := func(e *env, f *fixtures) string { return newMatchRun(e, f.sentA) }
		review := func(e *env, f *fixtures) probe {
			return probe{path: "/match-runs/" + run(e, f) + "/rows/1/review", form: url.Values{"choice": {"reject"}}}
		}
		return map[string]matrixCase{
			"GET /matches": {fixed("/matches"), w(s303, s200, s200, s403, s403, s403)},
			// The sender may read its list but not the receiver's registry.
			"POST /lists/{id}/matches": {func(_ *env, f *fixtures) probe { return probe{path: "/lists/" + f.sentA + "/matches"} }, w(s303, s403, s303, s403, s403, s403)},
			"GET /match-runs/{id}":     {func(e *env, f *fixtures) probe { return probe{path: "/match-runs/" + run(e, f)} }, w(s303, s404, s200, s403, s403, s403)},
			"GET /match-runs/{id}/left-off": {func(e *env, f *fixtures) probe {
				return probe{path: "/match-runs/" + run(e, f) + "/left-off"}
			}, w(s303, s404, s200, s403, s403, s403)},
			"POST /match-runs/{id}/rows/{row}/review": {review, w(s303, s404, s303, s403, s403, s403)},
			"POST /api/v1/lists/{id}/matches": {func(_ *env, f *fixtures) probe {
				return probe{path: "/api/v1/lists/" + f.sentA + "/matches"}
			}, w(s401, s403, s201, s403, s403, s404)},
			"GET /api/v1/match-runs": {func(_ *env, f *fixtures) probe { return probe{path: "/api/v1/match-runs?list=" + f.sentA} }, w(s401, s200, s200, s403, s403, s403)},
			"GET /api/v1/match-runs/{id}": {func(e *env, f *fixtures) probe {
				return probe{path: "/api/v1/match-runs/" + run(e, f)}
			}, w(s401, s404, s200, s404, s404, s404)},
			"GET /api/v1/match-runs/{id}/left-off": {func(e *env, f *fixtures) probe {
				return probe{path: "/api/v1/match-runs/" + run(e, f) + "/left-off"}
			}, w(s401, s404, s200, s404, s404, s404)},
			"POST /api/v1/match-runs/{id}/rows/{row}/review": {func(e *env, f *fixtures) probe {
				return probe{path: "/api/v1/match-runs/" + run(e, f) + "/rows/1/review", body: []byte(`{"choice":"reject"}`), contentType: "application/json"}
			}, w(s401, s404, s200, s404, s404, s404)},
		}
	})
}

// newMatchRun matches a list handed over to B against B's registry.
func newMatchRun(e *env, listID string) string {
	e.t.Helper()
	run, err := e.svc.RunMatching(context.Background(), e.actor(roleOfficerB), service.MatchRequest{ListID: listID})
	if err != nil {
		e.t.Fatal(err)
	}
	return run.ID
}

// importRegistry replaces a party's registry with a test file.
func (e *env) importRegistry(party, file string) {
	e.t.Helper()
	f, err := os.Open(filepath.Join("testdata", file))
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	if _, err := e.svc.ImportRegistry(context.Background(), access.System, service.RegistryImportRequest{Party: party, Format: "csv"}, f); err != nil {
		e.t.Fatal(err)
	}
}

// matchEnv is a server where A has handed good.csv over to B, and B has
// its registry (testdata/match_registry_b.csv).
func matchEnv(t *testing.T) (*env, string) {
	e := newEnv(t)
	e.importRegistry("B", "match_registry_b.csv")
	id := e.importList("A", "B", "good.csv", "Arcadia: first stage", "")
	e.handOver(id)
	return e, id
}

// serviceRun reads a run through the service, as officer B.
func serviceRun(e *env, runID string) *service.MatchRunView {
	e.t.Helper()
	v, err := e.svc.MatchRun(context.Background(), access.System, runID)
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

func matchRowOf(v *service.MatchRunView, listRow int) service.MatchRowDetail {
	for _, r := range v.Rows {
		if r.ListRow == listRow {
			return r
		}
	}
	return service.MatchRowDetail{}
}

var (
	matchRowIDs  = regexp.MustCompile(`<tr id="row-(\d+)" class="decision-([a-z]+) review-([a-z]+)">`)
	matchBars    = regexp.MustCompile(`<rect class="bar bar-([a-z]+)" x="\d+" y="\d+" width="(\d+)"`)
	matchRunPath = regexp.MustCompile(`^/match-runs/(M[^/?#]+)$`)
)

// shownMatchRows returns the list rows a run page shows, with decision and
// review state.
func shownMatchRows(body string) map[int][2]string {
	out := map[int][2]string{}
	for _, m := range matchRowIDs.FindAllStringSubmatch(body, -1) {
		n, _ := strconv.Atoi(m[1])
		out[n] = [2]string{m[2], m[3]}
	}
	return out
}

// TestMatchReviewPages walks an officer of the receiving party through a
// run: start it from the received lists, read every row with both persons
// and the chart, filter, confirm, reject, pick another matchCandidate, and read
// the report of persons left off the list.
func TestMatchReviewPages(t *testing.T) {
	e, listID := matchEnv(t)
	ctx := context.Background()
	b := e.login(roleOfficerB)

	resp, body := b.get("/matches")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Arcadia: first stage") || !strings.Contains(body, `action="/lists/`+listID+`/matches"`) {
		t.Fatalf("received lists page (%d) does not offer to match the list:\n%.2000s", resp.StatusCode, body)
	}
	resp, body = b.post("/lists/"+listID+"/matches", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("start a run: %d: %.500s", resp.StatusCode, body)
	}
	m := matchRunPath.FindStringSubmatch(resp.Header.Get("Location"))
	if m == nil {
		t.Fatalf("start a run leads to %q", resp.Header.Get("Location"))
	}
	runID := m[1]
	view := serviceRun(e, runID)
	if len(view.Rows) != 4 {
		t.Fatalf("run has %d rows, want the 4 of good.csv", len(view.Rows))
	}

	resp, body = b.get("/match-runs/" + runID)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("run page: %d", resp.StatusCode)
	}
	shown := shownMatchRows(body)
	if len(shown) != len(view.Rows) {
		t.Errorf("run page shows %d rows, want %d", len(shown), len(view.Rows))
	}
	decisions := map[string]int{}
	for _, r := range view.Rows {
		decisions[r.Decision]++
		if got := shown[r.ListRow]; got != [2]string{r.Decision, r.Review} {
			t.Errorf("row %d shown as %v, service says %s/%s", r.ListRow, got, r.Decision, r.Review)
		}
		for _, name := range []string{r.Listed.FullName(), r.Listed.FullNameLatin()} {
			if name == "" || !strings.Contains(body, name) {
				t.Errorf("row %d: listed name %q not on the page", r.ListRow, name)
			}
		}
		if r.Registered != nil && !strings.Contains(body, r.Registered.FullName()) {
			t.Errorf("row %d: registry person %q not on the page", r.ListRow, r.Registered.FullName())
		}
		if reason := html.EscapeString(msg.TextOf("en", r.Reason)); !strings.Contains(body, reason) {
			t.Errorf("row %d: reason %q not on the page", r.ListRow, reason)
		}
	}
	if len(decisions) < 2 {
		t.Fatalf("the fixture should give more than one decision, got %v", decisions)
	}
	// The chart: one bar per decision, as long as its count relative to
	// the largest, with the counts of the run.
	run := view.Run
	counts := map[string]int{"match": run.Matched, "review": run.Review, "none": run.Unmatched}
	if run.Matched != decisions["match"] || run.Review != decisions["review"] || run.Unmatched != decisions["none"] {
		t.Fatalf("run counts %+v disagree with its rows %v", run, decisions)
	}
	most := max(run.Matched, run.Review, run.Unmatched)
	bars := matchBars.FindAllStringSubmatch(body, -1)
	if len(bars) != 3 {
		t.Fatalf("chart has %d bars, want 3", len(bars))
	}
	for _, bar := range bars {
		width, _ := strconv.Atoi(bar[2])
		if want := counts[bar[1]] * 350 / most; width != want && !(counts[bar[1]] > 0 && want < 2 && width == 2) {
			t.Errorf("bar %s is %d wide for %d of %d, want %d", bar[1], width, counts[bar[1]], most, want)
		}
	}
	if !strings.Contains(body, `<svg class="chart decisions"`) || strings.Contains(body, "<script") || strings.Contains(body, "style=") {
		t.Error("the chart must be inline SVG without script or inline style")
	}

	// Filters.
	for _, tt := range []struct{ query, decision, review string }{
		{"?decision=match", "match", ""},
		{"?decision=none", "none", ""},
		{"?review=pending", "", "pending"},
		{"?decision=bogus", "", ""}, // ignored on the page
	} {
		_, body := b.get("/match-runs/" + runID + tt.query)
		want := 0
		for _, r := range view.Rows {
			if (tt.decision == "" || r.Decision == tt.decision) && (tt.review == "" || r.Review == tt.review) {
				want++
				if _, ok := shownMatchRows(body)[r.ListRow]; !ok {
					t.Errorf("%s: row %d missing", tt.query, r.ListRow)
				}
			}
		}
		if got := len(shownMatchRows(body)); got != want {
			t.Errorf("%s: %d rows shown, want %d", tt.query, got, want)
		}
	}

	// Confirm a match through the form: the page comes back to the same
	// filter and row.
	var matchRow, otherRow int
	var otherPick string
	for _, r := range view.Rows {
		if r.Decision == "match" && matchRow == 0 {
			matchRow = r.ListRow
		}
		for _, c := range parseCandidates(r.Candidates) {
			if c.ID != r.RegistryID && otherRow == 0 && r.ListRow != matchRow {
				otherRow, otherPick = r.ListRow, c.ID
			}
		}
	}
	if matchRow == 0 || otherRow == 0 {
		t.Fatalf("the fixture should give a match (%d) and a row with another matchCandidate (%d)", matchRow, otherRow)
	}
	b.get("/match-runs/" + runID + "?decision=match")
	resp, _ = b.post(fmt.Sprintf("/match-runs/%s/rows/%d/review", runID, matchRow), url.Values{
		"choice": {"confirm"}, "registry_id": {matchRowOf(view, matchRow).RegistryID}, "decision": {"match"}, "review": {""}, "page": {"1"},
	})
	if want := fmt.Sprintf("/match-runs/%s?decision=match&done=1#row-%d", runID, matchRow); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
		t.Fatalf("confirm: %d to %q, want %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}
	got := matchRowOf(serviceRun(e, runID), matchRow)
	if got.Review != "confirmed" || got.ReviewedID != got.RegistryID || got.ReviewedBy != "officerb@B" {
		t.Errorf("after confirming: %+v", got.Row)
	}
	_, body = b.get(resp.Header.Get("Location"))
	if !strings.Contains(body, `class="alert ok"`) {
		t.Error("no notice after the review")
	}

	// Pick another matchCandidate: the page offers it by name.
	_, body = b.get("/match-runs/" + runID)
	if !strings.Contains(body, fmt.Sprintf(`name="registry_id" value="%s"`, otherPick)) {
		t.Fatalf("row %d: matchCandidate %s is not offered", otherRow, otherPick)
	}
	regs, err := e.svc.Registry(ctx, access.System, "B")
	if err != nil {
		t.Fatal(err)
	}
	var picked *lists.Entry
	for i := range regs {
		if regs[i].ID == otherPick {
			picked = &regs[i]
		}
	}
	if picked == nil || !strings.Contains(body, picked.Person.FullName()) {
		t.Fatalf("the other matchCandidate, registry record %s, is not named on the page", otherPick)
	}
	resp, _ = b.post(fmt.Sprintf("/match-runs/%s/rows/%d/review", runID, otherRow), url.Values{"choice": {"confirm"}, "registry_id": {otherPick}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("pick another: %d", resp.StatusCode)
	}
	if got := matchRowOf(serviceRun(e, runID), otherRow); got.Review != "confirmed" || got.ReviewedID != otherPick || got.Registered == nil || got.Registered.ID != otherPick {
		t.Errorf("after picking registry record %s: %+v", otherPick, got.Row)
	}

	// The left-off report before and after rejecting the confirmed match:
	// a rejected match puts its registry person back on it.
	leftOff := func() (string, []service.LeftOffEntry) {
		t.Helper()
		resp, body := b.get("/match-runs/" + runID + "/left-off")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("left-off page: %d", resp.StatusCode)
		}
		es, err := e.svc.LeftOffReport(ctx, access.System, runID)
		if err != nil {
			t.Fatal(err)
		}
		return body, es
	}
	body, es := leftOff()
	checkLeftOff(t, body, es, regs)
	matched := matchRowOf(serviceRun(e, runID), matchRow).Registered
	resp, _ = b.post(fmt.Sprintf("/match-runs/%s/rows/%d/review", runID, matchRow), url.Values{"choice": {"reject"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reject: %d", resp.StatusCode)
	}
	if got := matchRowOf(serviceRun(e, runID), matchRow); got.Review != "rejected" {
		t.Errorf("after rejecting: review %q", got.Review)
	}
	body2, es2 := leftOff()
	checkLeftOff(t, body2, es2, regs)
	captured := matched.Status == person.StatusBelievedCaptured || matched.Status == person.StatusConfirmedCaptured
	if onReport := strings.Contains(body2, matched.FullName()); onReport != captured {
		t.Errorf("rejected match %s (%s): on the left-off report = %v", matched.FullName(), matched.Status, onReport)
	}
	if captured && len(es2) != len(es)+1 {
		t.Errorf("left-off report: %d persons after rejecting, %d before", len(es2), len(es))
	}

	// Every view went through the service and left a trace.
	recs, err := e.svc.AccessLog(ctx, access.System, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(recs, func(r service.AccessRecord) bool {
		return r.Action == "match.view" && r.Subject == runID && r.Actor == "officerb@B"
	}) {
		t.Error("the access log has no record of officer B viewing the run")
	}

	// The sending party's officer does not learn that the run exists.
	a := e.login(roleOfficerA)
	for _, p := range []string{"/match-runs/" + runID, "/match-runs/" + runID + "/left-off"} {
		if resp, _ := a.get(p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("officer A GET %s: %d, want 404", p, resp.StatusCode)
		}
	}
	if resp, _ := a.post(fmt.Sprintf("/match-runs/%s/rows/%d/review", runID, matchRow), url.Values{"choice": {"confirm"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("officer A reviewing B's run: %d, want 404", resp.StatusCode)
	}
	if got := matchRowOf(serviceRun(e, runID), matchRow); got.Review != "rejected" {
		t.Errorf("officer A's attempt changed the row: %q", got.Review)
	}
}

var leftOffRow = regexp.MustCompile(`<tr>\s*<td><code>([^<]+)</code></td>`)

// checkLeftOff checks that the report page holds exactly the registry rows
// of the service's report, by row and name, and so none of the registry
// persons who are not believed or confirmed captured.
func checkLeftOff(t *testing.T, body string, es []service.LeftOffEntry, registry []lists.Entry) {
	t.Helper()
	if len(es) == 0 {
		t.Fatal("the fixture should leave someone off the list")
	}
	shown := map[string]bool{}
	for _, m := range leftOffRow.FindAllStringSubmatch(body, -1) {
		shown[m[1]] = true
	}
	if len(shown) != len(es) {
		t.Errorf("left-off report shows %d rows, the service %d", len(shown), len(es))
	}
	for _, e := range es {
		if !shown[e.ID] || !strings.Contains(body, e.FullName()) {
			t.Errorf("left-off report lacks registry row %d, %s", e.Row, e.FullName())
		}
	}
	for _, r := range registry {
		if r.Status != person.StatusBelievedCaptured && r.Status != person.StatusConfirmedCaptured && shown[r.ID] {
			t.Errorf("left-off report holds registry row %d, whose status is %s", r.Row, r.Status)
		}
	}
	if want := `<strong class="leftoff-count">` + strconv.Itoa(len(es)) + `</strong>`; !strings.Contains(body, want) {
		t.Errorf("left-off report does not say %d persons", len(es))
	}
}

func decodeJSONAs[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// TestMatchingAPI drives the same work through the JSON API.
func TestMatchingAPI(t *testing.T) {
	e, listID := matchEnv(t)
	ctx := context.Background()

	resp, _ := e.api(roleOfficerA, "POST", "/api/v1/lists/"+listID+"/matches", nil, "")
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("the sender starting a run: %d, want 403", resp.StatusCode)
	}
	resp, body := e.api(roleOfficerB, "POST", "/api/v1/lists/"+listID+"/matches", nil, "")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("start: %d %s", resp.StatusCode, body)
	}
	type runJSON struct {
		ID                         string  `json:"id"`
		ListID                     string  `json:"list_id"`
		Party                      string  `json:"party"`
		ThresholdMatch             float64 `json:"threshold_match"`
		Matched, Review, Unmatched int
	}
	run := decodeJSONAs[runJSON](t, body)
	if resp.Header.Get("Location") != "/api/v1/match-runs/"+run.ID || run.ListID != listID || run.Party != "B" || run.Matched+run.Review+run.Unmatched != 4 {
		t.Errorf("start answered %+v at %q", run, resp.Header.Get("Location"))
	}
	resp, body = e.api(roleOfficerB, "POST", "/api/v1/lists/"+listID+"/matches", strings.NewReader(`{"threshold_match":0.999,"threshold_review":0.4}`), "application/json")
	if strict := decodeJSONAs[runJSON](t, body); resp.StatusCode != http.StatusCreated || strict.ThresholdMatch != 0.999 {
		t.Errorf("start with thresholds: %d %+v", resp.StatusCode, strict)
	}
	if resp, _ := e.api(roleOfficerB, "POST", "/api/v1/lists/"+listID+"/matches", strings.NewReader(`{"threshold":1}`), "application/json"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown field: %d, want 400", resp.StatusCode)
	}

	// Runs of the list: B has two, A none.
	type runsJSON struct {
		Runs []runJSON `json:"runs"`
	}
	_, body = e.api(roleOfficerB, "GET", "/api/v1/match-runs?list="+listID, nil, "")
	if rs := decodeJSONAs[runsJSON](t, body); len(rs.Runs) != 2 || !slices.ContainsFunc(rs.Runs, func(r runJSON) bool { return r.ID == run.ID }) {
		t.Errorf("B's runs of the list: %+v", rs.Runs)
	}
	_, body = e.api(roleOfficerA, "GET", "/api/v1/match-runs?list="+listID, nil, "")
	if rs := decodeJSONAs[runsJSON](t, body); len(rs.Runs) != 0 {
		t.Errorf("A sees B's runs: %+v", rs.Runs)
	}

	// The run, whole and filtered.
	type rowJSON struct {
		ListRow       int              `json:"list_row"`
		RegistryID    string           `json:"registry_id"`
		Decision      string           `json:"decision"`
		Review        string           `json:"review"`
		ReviewedID    string           `json:"reviewed_id"`
		Candidates    string           `json:"candidates"`
		CandidateRows []matchCandidate `json:"candidate_rows"`
		Listed        *lists.Entry     `json:"listed"`
		Registered    *lists.Entry     `json:"registered"`
	}
	type viewJSON struct {
		Total  int            `json:"total"`
		Review map[string]int `json:"review_counts"`
		Rows   []rowJSON      `json:"rows"`
	}
	resp, body = e.api(roleOfficerB, "GET", "/api/v1/match-runs/"+run.ID, nil, "")
	v := decodeJSONAs[viewJSON](t, body)
	if resp.StatusCode != http.StatusOK || v.Total != 4 || len(v.Rows) != 4 || v.Review["pending"] != 4 {
		t.Fatalf("run: %d total %d rows %d review %v", resp.StatusCode, v.Total, len(v.Rows), v.Review)
	}
	var matchRow, noneRow int
	for _, r := range v.Rows {
		if r.Listed == nil || r.Listed.Row != r.ListRow {
			t.Errorf("row %d: listed person %+v", r.ListRow, r.Listed)
		}
		if (r.Registered != nil) != (r.RegistryID != "") {
			t.Errorf("row %d: registry record %q but registered %v", r.ListRow, r.RegistryID, r.Registered)
		}
		if len(r.CandidateRows) != len(strings.Fields(r.Candidates)) {
			t.Errorf("row %d: candidates %q read as %v", r.ListRow, r.Candidates, r.CandidateRows)
		}
		switch r.Decision {
		case "match":
			matchRow = r.ListRow
		case "none":
			noneRow = r.ListRow
		}
	}
	if matchRow == 0 || noneRow == 0 {
		t.Fatalf("the fixture should give a match and a non-match: %+v", v.Rows)
	}
	_, body = e.api(roleOfficerB, "GET", "/api/v1/match-runs/"+run.ID+"?decision=none", nil, "")
	for _, r := range decodeJSONAs[viewJSON](t, body).Rows {
		if r.Decision != "none" {
			t.Errorf("decision=none gave row %d (%s)", r.ListRow, r.Decision)
		}
	}
	if resp, _ := e.api(roleOfficerB, "GET", "/api/v1/match-runs/"+run.ID+"?review=maybe", nil, ""); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown review filter: %d, want 400", resp.StatusCode)
	}

	// Reviews.
	reviewPath := func(row int) string { return fmt.Sprintf("/api/v1/match-runs/%s/rows/%d/review", run.ID, row) }
	tests := []struct {
		name, role string
		row        int
		body       string
		status     int
		review     string // the row's review state afterwards, when 200
	}{
		{"confirm the proposal", roleOfficerB, matchRow, `{"choice":"confirm"}`, 200, "confirmed"},
		{"reject", roleOfficerB, matchRow, `{"choice":"reject"}`, 200, "rejected"},
		{"confirm with no proposal", roleOfficerB, noneRow, `{"choice":"confirm"}`, 422, ""},
		{"confirm a registry row that does not exist", roleOfficerB, noneRow, `{"choice":"confirm","registry_id":"no-such-record"}`, 422, ""},
		{"an unknown choice", roleOfficerB, matchRow, `{"choice":"maybe"}`, 422, ""},
		{"a misspelt field", roleOfficerB, matchRow, `{"choise":"confirm"}`, 400, ""},
		{"a row that does not exist", roleOfficerB, 999, `{"choice":"reject"}`, 404, ""},
		{"the other party", roleOfficerA, matchRow, `{"choice":"confirm"}`, 404, ""},
		{"the mediator", roleMediator, matchRow, `{"choice":"confirm"}`, 404, ""},
	}
	for _, tt := range tests {
		resp, body := e.api(tt.role, "POST", reviewPath(tt.row), strings.NewReader(tt.body), "application/json")
		if resp.StatusCode != tt.status {
			t.Errorf("%s: %d, want %d: %s", tt.name, resp.StatusCode, tt.status, body)
			continue
		}
		if tt.status == 200 {
			if got := decodeJSONAs[rowJSON](t, body); got.ListRow != tt.row || got.Review != tt.review {
				t.Errorf("%s: answered row %d %q", tt.name, got.ListRow, got.Review)
			}
			if got := matchRowOf(serviceRun(e, run.ID), tt.row); got.Review != tt.review {
				t.Errorf("%s: stored %q", tt.name, got.Review)
			}
		}
	}
	if got := matchRowOf(serviceRun(e, run.ID), matchRow); got.Review != "rejected" {
		t.Errorf("refused reviews changed the row: %q", got.Review)
	}

	// The left-off report is the service's, and only for B.
	type leftOffJSON struct {
		RunID   string        `json:"run_id"`
		Count   int           `json:"count"`
		Entries []lists.Entry `json:"entries"`
	}
	resp, body = e.api(roleOfficerB, "GET", "/api/v1/match-runs/"+run.ID+"/left-off", nil, "")
	lo := decodeJSONAs[leftOffJSON](t, body)
	want, err := e.svc.LeftOffReport(ctx, access.System, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || lo.RunID != run.ID || lo.Count != len(want) || len(lo.Entries) != len(want) {
		t.Fatalf("left-off: %d %+v, want %d entries", resp.StatusCode, lo, len(want))
	}
	for i := range want {
		if lo.Entries[i].Row != want[i].Row || lo.Entries[i].Status != want[i].Status {
			t.Errorf("left-off entry %d: %d/%s, want %d/%s", i, lo.Entries[i].Row, lo.Entries[i].Status, want[i].Row, want[i].Status)
		}
	}
	for _, role := range []string{roleOfficerA, roleMediator, roleObserver, roleAdmin} {
		for _, p := range []string{"/api/v1/match-runs/" + run.ID, "/api/v1/match-runs/" + run.ID + "/left-off"} {
			if resp, _ := e.api(role, "GET", p, nil, ""); resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s GET %s: %d, want 404", role, p, resp.StatusCode)
			}
		}
	}
}

// TestMatchStartRefused shows why a run cannot start: a party without a
// registry is told to import one, on the page and through the API.
func TestMatchStartRefused(t *testing.T) {
	e := newEnv(t)
	id := e.importList("B", "A", "list_b.csv", "Borduria: first stage", "")
	e.handOver(id)
	a := e.login(roleOfficerA)
	a.get("/matches")
	resp, body := a.post("/lists/"+id+"/matches", nil)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `class="alert error"`) || !strings.Contains(body, "no registry") {
		t.Errorf("start without a registry: %d\n%.1500s", resp.StatusCode, body)
	}
	resp, raw := e.api(roleOfficerA, "POST", "/api/v1/lists/"+id+"/matches", nil, "")
	if resp.StatusCode != http.StatusUnprocessableEntity || !bytes.Contains(raw, []byte("import one first")) {
		t.Errorf("API start without a registry: %d %s", resp.StatusCode, body)
	}
}

// TestMatchRunPagination pages a run of 130 rows by 100.
func TestMatchRunPagination(t *testing.T) {
	e := newEnv(t)
	e.importRegistry("B", "match_registry_b.csv")
	surnames := []string{"Шевчук", "Олійник", "Ковальчук", "Романенко", "Савченко", "Петренко", "Марченко", "Руденко", "Мороз", "Павленко", "Левченко", "Білик", "Ткачук"}
	given := []string{"Андрій", "Богдан", "Віктор", "Григорій", "Дмитро", "Євген", "Захар", "Іван", "Юрій", "Максим"}
	var csv strings.Builder
	csv.WriteString("Прізвище,Ім’я,Дата народження\n")
	for i, s := range surnames {
		for j, g := range given {
			fmt.Fprintf(&csv, "%s,%s,%02d.%02d.%d\n", s, g, 1+j, 1+i%12, 1970+i+j)
		}
	}
	res, err := e.svc.ImportList(context.Background(), access.System, service.ImportRequest{From: "A", To: "B", Title: "Long list", Format: "csv"}, strings.NewReader(csv.String()))
	if err != nil {
		t.Fatal(err)
	}
	e.handOver(res.List.ID)
	runID := newMatchRun(e, res.List.ID)
	b := e.login(roleOfficerB)
	tests := []struct {
		query      string
		rows       int
		first      int
		prev, next bool
	}{
		{"", 100, 1, false, true},
		{"?page=2", 30, 101, true, false},
		{"?page=99", 30, 101, true, false}, // past the end: the last page
		{"?page=x", 100, 1, false, true},
	}
	for _, tt := range tests {
		resp, body := b.get("/match-runs/" + runID + tt.query)
		rows := matchRowIDs.FindAllStringSubmatch(body, -1)
		if resp.StatusCode != 200 || len(rows) != tt.rows {
			t.Errorf("%q: %d, %d rows, want %d", tt.query, resp.StatusCode, len(rows), tt.rows)
			continue
		}
		if rows[0][1] != strconv.Itoa(tt.first) {
			t.Errorf("%q: first row %s, want %d", tt.query, rows[0][1], tt.first)
		}
		if got := strings.Contains(body, `rel="prev"`); got != tt.prev {
			t.Errorf("%q: previous link %v", tt.query, got)
		}
		if got := strings.Contains(body, `rel="next"`); got != tt.next {
			t.Errorf("%q: next link %v", tt.query, got)
		}
	}
}

// TestMatchingPagesInEveryLanguage renders the matching pages in each
// language and checks that every text is translated.
func TestMatchingPagesInEveryLanguage(t *testing.T) {
	e, listID := matchEnv(t)
	runID := newMatchRun(e, listID)
	keyLike := regexp.MustCompile(matchLogKeyLike)
	want := map[string]string{"en": "Left off the list", "uk": "Не внесені до списку", "ru": "Не включены в список"}
	for _, lang := range Languages {
		b := e.login(roleOfficerB)
		b.c.Jar.SetCookies(mustURL(e.ts.URL), []*http.Cookie{{Name: langCookie, Value: lang.Code}})
		for _, p := range []string{"/matches", "/match-runs/" + runID, "/match-runs/" + runID + "/left-off", "/match-runs/" + runID + "?decision=review"} {
			resp, body := b.get(p)
			if resp.StatusCode != 200 || !strings.Contains(body, `<html lang="`+lang.Code+`">`) {
				t.Errorf("%s %s: %d", lang.Code, p, resp.StatusCode)
			}
			if m := keyLike.FindString(body); m != "" {
				t.Errorf("%s %s: untranslated key %s", lang.Code, p, m)
			}
			if !strings.Contains(body, want[lang.Code]) {
				t.Errorf("%s %s lacks %q", lang.Code, p, want[lang.Code])
			}
		}
	}
}

// matchLogKeyLike finds a message key of these pages shown untranslated.
const matchLogKeyLike = `[>"]\s*(?:nav\.(?:matching|family_review|log)|(?:match|matches|matchrun|leftoff|log)\.[a-z_.]+)\s*[<"]`

func TestParseCandidates(t *testing.T) {
	tests := []struct {
		in   string
		want []matchCandidate
	}{
		{"", nil},
		{"r12:0.9876", []matchCandidate{{"r12", 0.9876}}},
		{"r3:0.9878 A%2012:0.0002", []matchCandidate{{"r3", 0.9878}, {"A 12", 0.0002}}},
		{"  r7:1.0000   x:y 8 :0.3 r10:0.1 ", []matchCandidate{{"r7", 1}, {"r10", 0.1}}},
	}
	for _, tt := range tests {
		if got := parseCandidates(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("parseCandidates(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestBrowserMatchReviewAndLog drives the match review and the log page in
// a real headless Chromium, without any script of ours: officer B starts a
// run from the received lists, sees the chart, confirms one row, picks
// another matchCandidate for a second, opens the left-off report, then checks a
// receipt on the log page by uploading it.
func TestBrowserMatchReviewAndLog(t *testing.T) {
	bctx := newChromium(t)
	e, f := ledgerEnv(t)
	e.importRegistry("B", "match_registry_b.csv")
	cosignLog(t, e, "A")
	base := e.ts.URL
	ctx := tab(t, bctx)
	signIn(t, ctx, base, roleOfficerB)
	run(t, ctx, "received lists",
		chromedp.Navigate(base+"/matches"),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/lists/`+f.sentA+`/matches"] button`)),
		chromedp.Click(chromedp.CSS(`form[action="/lists/`+f.sentA+`/matches"] button`)),
		chromedp.WaitVisible(chromedp.CSS("svg.decisions")),
	)
	if n := eval[int](t, ctx, `document.querySelectorAll("svg.decisions rect.bar").length`); n != 3 {
		t.Errorf("chart bars: %d, want 3", n)
	}
	if w := eval[float64](t, ctx, `document.querySelector("svg.decisions rect.bar-match").getBBox().width`); w <= 0 {
		t.Errorf("the match bar is not drawn (width %v)", w)
	}
	screenshot(t, ctx, "match-run")
	runURL := eval[string](t, ctx, `location.pathname`)
	runID := strings.TrimPrefix(runURL, "/match-runs/")
	run(t, ctx, "confirm row 1",
		chromedp.Click(chromedp.CSS(`#row-1 button[value=confirm]`)),
		chromedp.WaitVisible(chromedp.CSS("#row-1.review-confirmed")),
	)
	if got := matchRowOf(serviceRun(e, runID), 1); got.Review != "confirmed" {
		t.Errorf("row 1 after clicking confirm: %q", got.Review)
	}
	if !strings.Contains(text(t, ctx, "#row-1"), "Confirmed") || eval[int](t, ctx, `document.querySelectorAll(".alert.ok").length`) != 1 {
		t.Error("row 1 is not shown as confirmed, with a notice")
	}
	run(t, ctx, "pick another matchCandidate for row 3",
		chromedp.Click(chromedp.CSS(`#row-3 details.others summary`)),
		chromedp.WaitVisible(chromedp.CSS(`#row-3 .pick-form button`)),
		chromedp.Click(chromedp.CSS(`#row-3 .pick-form button`)),
		chromedp.WaitVisible(chromedp.CSS("#row-3.review-confirmed")),
	)
	if got := matchRowOf(serviceRun(e, runID), 3); got.Review != "confirmed" || got.ReviewedID == got.RegistryID {
		t.Errorf("row 3 after picking another matchCandidate: %+v", got.Row)
	}
	run(t, ctx, "left-off report",
		chromedp.Click(chromedp.CSS(`a[href$="/left-off"]`)),
		chromedp.WaitVisible(chromedp.CSS(".leftoff-count")),
	)
	es, err := e.svc.LeftOffReport(context.Background(), access.System, runID)
	if err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx, ".leftoff-count"); got != strconv.Itoa(len(es)) {
		t.Errorf("left-off count %q, want %d", got, len(es))
	}

	rc, err := e.lg.Receipt(context.Background(), e.db, f.sentA)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := rc.Marshal()
	file := filepath.Join(t.TempDir(), "receipt.json")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, "check a receipt",
		chromedp.Navigate(base+"/log"),
		chromedp.WaitVisible(chromedp.CSS("#receipt")),
		chromedp.SetUploadFiles(chromedp.CSS("#receipt"), []string{file}),
		chromedp.Click(chromedp.CSS(`form[action^="/receipts/verify"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".receipt-valid")),
	)
	if !strings.Contains(text(t, ctx, ".receipt-valid"), "Arcadia: wounded") {
		t.Error("the check does not name the list")
	}
	screenshot(t, ctx, "log")
}
