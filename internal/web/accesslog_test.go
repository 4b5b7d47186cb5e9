package web

import (
	"bytes"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"parley/internal/disputes"
	"parley/internal/service"
	"parley/internal/store"
)

func init() {
	matrixExtras = append(matrixExtras, func(*testing.T) map[string]matrixCase {
		return map[string]matrixCase{
			// The access log as a file: those who review it.
			"GET /access-log/export": {fixed("/access-log/export?format=csv&action=list.view"), w(s303, s403, s403, s200, s403, s200)},
		}
	})
}

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
		return strings.Count(body, `<tr class="access-row">`)
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

// TestAccessLogSortAndExport orders the access log by its columns and
// exports and prints what the page shows, under its filter.
func TestAccessLogSortAndExport(t *testing.T) {
	e := newEnv(t)
	id := e.importList("A", "B", "good.csv", "Draft of A", "")
	for range 2 {
		e.login(roleOfficerA).get("/lists/" + id)
	}
	e.login(roleOfficerB).get("/registry")
	e.login(roleOfficerA).get("/registry")
	med := e.login(roleMediator)
	column := func(q, attr string) []string {
		t.Helper()
		resp, body := med.get("/access-log?" + q)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("access log?%s: %d", q, resp.StatusCode)
		}
		var out []string
		for _, m := range regexp.MustCompile(attr).FindAllStringSubmatch(body, -1) {
			out = append(out, m[1])
		}
		return out
	}
	at := `data-at="([^"]+)"`
	newest := column("", at)
	if len(newest) < 4 || !slices.IsSortedFunc(newest, func(a, b string) int { return strings.Compare(b, a) }) {
		t.Errorf("by default newest first: %v", newest)
	}
	if oldest := column("sort=at", at); !slices.IsSorted(oldest) || len(oldest) != len(newest) {
		t.Errorf("oldest first: %v", oldest)
	}
	subject := `<td><code>([^<]*)</code></td>`
	if subs := column("sort=subject", subject); !slices.IsSorted(subs) {
		t.Errorf("by subject: %v", subs)
	}
	if subs := column("sort=subject&dir=desc", subject); !slices.IsSortedFunc(subs, func(a, b string) int { return strings.Compare(b, a) }) {
		t.Errorf("by subject, descending: %v", subs)
	}
	_, page := med.get("/access-log?action=list.view&sort=actor")
	for _, want := range []string{`id="export-csv"`, `id="export-pdf"`, `id="view-print"`, `action=list.view`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	resp, csv := med.get("/access-log/export?format=csv&action=list.view")
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(csv, "\ufeff") || len(lines) != 3 || !strings.Contains(lines[1], id) {
		t.Errorf("csv: %d\n%s", resp.StatusCode, csv)
	}
	resp, csv = med.get("/access-log/export?format=csv&action=registry.view", "Accept-Language", "uk")
	if resp.StatusCode != http.StatusOK || strings.Count(strings.TrimSpace(csv), "\n") != 2 || !strings.Contains(csv, "Переглянуто реєстр") {
		t.Errorf("csv in Ukrainian: %d\n%s", resp.StatusCode, csv)
	}
	resp, xlsx := med.get("/access-log/export?format=xlsx")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("xlsx: %d", resp.StatusCode)
	}
	x, err := excelize.OpenReader(bytes.NewReader([]byte(xlsx)))
	if err != nil {
		t.Fatal(err)
	}
	if rows, err := x.GetRows("Table"); err != nil || len(rows) < 5 {
		t.Errorf("xlsx: %d rows, %v", len(rows), err)
	}
	resp, pdf := med.get("/access-log/export?format=pdf&action=list.view")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(pdf, "%PDF") {
		t.Errorf("pdf: %d", resp.StatusCode)
	}
	if n := len(column("view=print", at)); n != len(newest) {
		t.Errorf("print view: %d rows, want %d", n, len(newest))
	}
	if resp, _ := e.login(roleOfficerA).get("/access-log/export?format=csv"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("an officer exports the access log: %d", resp.StatusCode)
	}
}

// TestListPageReadsAndLogs: the list page reads the list, its parties and
// its disputes in one snapshot and logs its two views (the list's and the
// disputes') in one transaction. Every view is logged, for each role that
// sees the list; the disputes' view only for the roles that take part in
// disputes; and a dispute or a party's new name made after a view is on
// the next one.
func TestListPageReadsAndLogs(t *testing.T) {
	e := newEnv(t)
	id := e.importList("A", "B", "good.csv", "Sent to B", "")
	e.handOver(id)
	count := func(action string) int {
		t.Helper()
		var n int
		if err := e.db.View(t.Context(), func(tx *store.Tx) error {
			return tx.QueryRow(t.Context(), `SELECT COUNT(*) FROM access_log WHERE action = ? AND subject = ?`, action, id).Scan(&n)
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	tests := []struct {
		role            string
		status          int
		views, disputes int // access-log lines the view adds
	}{
		{roleOfficerB, http.StatusOK, 1, 1},
		{roleOfficerA, http.StatusOK, 1, 1},
		{roleMediator, http.StatusOK, 1, 1},
		{roleObserver, http.StatusOK, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			b := e.login(tt.role)
			v, d := count("list.view"), count("disputes.view")
			resp, body := b.get("/lists/" + id)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if !strings.Contains(body, "Arcadia") || !strings.Contains(body, "Borduria") {
				t.Error("the parties' names are not on the page")
			}
			if got := count("list.view") - v; got != tt.views {
				t.Errorf("list.view lines: %d, want %d", got, tt.views)
			}
			if got := count("disputes.view") - d; got != tt.disputes {
				t.Errorf("disputes.view lines: %d, want %d", got, tt.disputes)
			}
		})
	}
	b := e.login(roleOfficerB)
	_, before := b.get("/lists/" + id)
	dsp, err := e.svc.ContestRow(t.Context(), e.actor(roleOfficerB), service.ContestRequest{ListID: id, Row: 1, Reason: disputes.NotOurs})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(before, dsp.ID) {
		t.Fatal("the dispute is on the page before it was made")
	}
	if _, after := b.get("/lists/" + id); !strings.Contains(after, `id="`+dsp.ID+`"`) {
		t.Error("a dispute made after a view is not on the next view")
	}
	if _, err := e.db.SQL().Exec(`UPDATE parties SET name = 'Arcadia Renamed' WHERE id = 'A'`); err != nil {
		t.Fatal(err)
	}
	if _, after := b.get("/lists/" + id); !strings.Contains(after, "Arcadia Renamed") {
		t.Error("a party's new name is not on the next view")
	}
}
