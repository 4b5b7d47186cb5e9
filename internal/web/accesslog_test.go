package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestAccessLogFilters narrows the access log by who, what and which
// record, and pages it.
func TestAccessLogFilters(t *testing.T) {
	e := newEnv(t)
	id := e.importList("A", "B", "good.csv", "Draft of A", "")
	off := e.login(roleOfficerA)
	for range 3 {
		off.get("/lists/" + id)
	}
	off.get("/registry")
	med := e.login(roleMediator)
	rows := func(q url.Values) int {
		t.Helper()
		resp, body := med.get("/access-log?" + q.Encode())
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("access log?%s: %d", q.Encode(), resp.StatusCode)
		}
		return strings.Count(body, "<tr>\n    <td class=\"nowrap\">")
	}
	all := rows(url.Values{})
	if all < 4 {
		t.Fatalf("the log holds %d records", all)
	}
	if n := rows(url.Values{"subject": {id}, "action": {"list.view"}}); n != 3 {
		t.Errorf("views of the list: %d, want 3", n)
	}
	if n := rows(url.Values{"action": {"registry.view"}}); n != 1 {
		t.Errorf("views of the registry: %d, want 1", n)
	}
	if n := rows(url.Values{"actor": {"nobody"}}); n != 0 {
		t.Errorf("records of nobody: %d", n)
	}
	if n := rows(url.Values{"from": {"2999-01-01"}}); n != 0 {
		t.Errorf("records from the future: %d", n)
	}
	if n := rows(url.Values{"to": {"2999-01-01"}}); n != all {
		t.Errorf("records until 2999: %d, want %d", n, all)
	}
}
