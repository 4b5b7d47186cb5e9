package web

import (
	"regexp"
	"strconv"
	"testing"

	"parley/internal/access"
	"parley/internal/service"
)

// TestMatchRunReadsOnlyCandidates: the run page names the other
// candidates of its rows by reading their records only, never the whole
// registry, as the access log shows.
func TestMatchRunReadsOnlyCandidates(t *testing.T) {
	e, listID := matchEnv(t)
	runID := newMatchRun(e, listID)
	reg, err := e.svc.RegistryPage(t.Context(), access.System, "B", service.TableQuery{})
	if err != nil {
		t.Fatal(err)
	}
	view := serviceRun(e, runID)
	others := map[string]bool{}
	for _, r := range view.Rows {
		for _, c := range parseCandidates(r.Candidates) {
			if c.ID != service.Shown(&r.Row) {
				others[c.ID] = true
			}
		}
	}
	if len(others) == 0 || len(others) >= reg.Total {
		t.Fatalf("the fixture should give other candidates, fewer than the registry's %d records: %d", reg.Total, len(others))
	}
	if resp, _ := e.login(roleOfficerB).get("/match-runs/" + runID); resp.StatusCode != 200 {
		t.Fatalf("run page: %d", resp.StatusCode)
	}
	log, err := e.svc.AccessLogPage(t.Context(), access.System, service.AccessQuery{Action: "registry.view", Subject: "B"})
	if err != nil {
		t.Fatal(err)
	}
	if len(log.Records) == 0 {
		t.Fatal("the read of the candidates is not in the access log")
	}
	m := regexp.MustCompile(`"count":\{"i":(\d+)\}`).FindStringSubmatch(log.Records[0].Detail)
	if m == nil {
		t.Fatalf("detail %q", log.Records[0].Detail)
	}
	if n, _ := strconv.Atoi(m[1]); n != len(others) {
		t.Errorf("the page read %d registry records, want the %d other candidates (registry %d)", n, len(others), reg.Total)
	}
}
