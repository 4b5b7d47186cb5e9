package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"parley/internal/access"
	"parley/internal/httpx"
	"parley/internal/msg"
	"parley/internal/service"
)

// matchAPICase is one row of testdata/match_search.csv: a query of
// GET /api/v1/match-runs/{id} and what it answers.
type matchAPICase struct {
	name, query, lang     string
	status                int
	total, filtered       int
	page, pages, pageSize int
	rows                  string // list rows, in order, space-separated
	code, says            string // a refusal's code and message
}

func readMatchAPICases(t *testing.T) []matchAPICase {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "match_search.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("match_search.csv: %v", err)
	}
	num := func(line int, s string) int {
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("match_search.csv, line %d: %q is not a number", line, s)
		}
		return n
	}
	var out []matchAPICase
	for i, r := range recs[1:] {
		line := i + 2
		out = append(out, matchAPICase{name: r[0], query: r[1], lang: r[2], status: num(line, r[3]), total: num(line, r[4]), filtered: num(line, r[5]),
			page: num(line, r[6]), pages: num(line, r[7]), pageSize: num(line, r[8]), rows: r[9], code: r[10], says: r[11]})
	}
	return out
}

// TestMatchRunAPITable asks a run's rows through the API as its page
// shows them (testdata/match_search.csv): the search box in Cyrillic and
// Latin, the filters, the sorts, the pages, and a clear refusal in the
// caller's language of a value the API does not take. The OpenAPI
// document must say the same: it takes every query answered and refuses
// every query refused.
func TestMatchRunAPITable(t *testing.T) {
	e := newEnv(t)
	e.importRegistry("B", "match_registry_b.csv")
	listID := e.importList("A", "B", "match_search_list.csv", "Search", "")
	e.handOver(listID)
	runID := newMatchRun(e, listID)
	officer := e.actor(roleOfficerB)
	for row, choice := range map[int]string{1: "confirm", 9: "reject"} {
		if err := e.svc.ReviewMatch(context.Background(), officer, runID, row, choice, ""); err != nil {
			t.Fatal(err)
		}
	}
	// The fixture's decisions, on which the cases rest.
	var decisions []string
	for _, r := range serviceRun(e, runID).Rows {
		decisions = append(decisions, fmt.Sprintf("%d:%s", r.ListRow, r.Decision))
	}
	if got, want := strings.Join(decisions, " "), "1:match 2:match 3:match 4:match 5:none 6:none 7:none 8:none 9:match 10:none 11:none 12:none"; got != want {
		t.Fatalf("the fixture's decisions are %s, want %s", got, want)
	}

	var rt Route
	for _, r := range e.srv.Routes() {
		if r.Method == "GET" && r.Pattern == APIPrefix+"/match-runs/{id}" {
			rt = r
		}
	}
	contract := newAPIContract(t, e.srv)
	path := openAPIPath(rt.Pattern)
	item := contract.doc.Paths.Value(path)
	if item == nil || item.Get == nil {
		t.Fatalf("%s is not in the OpenAPI document", path)
	}

	type rowJSON struct {
		ListRow int `json:"list_row"`
	}
	type runJSON struct {
		Total    int            `json:"total"`
		Filtered int            `json:"filtered"`
		Review   map[string]int `json:"review_counts"`
		Page     int            `json:"page"`
		Pages    int            `json:"pages"`
		PageSize int            `json:"page_size"`
		Rows     []rowJSON      `json:"rows"`
	}
	answered := 0
	for _, c := range readMatchAPICases(t) {
		if c.status == http.StatusOK {
			answered++
		}
		t.Run(c.name, func(t *testing.T) {
			v, err := url.ParseQuery(c.query)
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest("GET", e.ts.URL+APIPrefix+"/match-runs/"+runID+"?"+v.Encode(), nil)
			req.Header.Set("Authorization", "Bearer "+e.tokens[roleOfficerB])
			req.Header.Set("Accept-Language", c.lang)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != c.status {
				t.Fatalf("%s: %d, want %d: %s", c.query, resp.StatusCode, c.status, body)
			}
			if err := contract.check(rt, resp, body); err != nil {
				t.Errorf("the answer does not fit the OpenAPI document: %v", err)
			}
			in := &openapi3filter.RequestValidationInput{Request: req, PathParams: map[string]string{"id": runID},
				Route:   &routers.Route{Spec: contract.doc, Path: path, PathItem: item, Method: "GET", Operation: item.Get},
				Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
			if err := openapi3filter.ValidateRequest(context.Background(), in); (err == nil) != (c.status == http.StatusOK) {
				t.Errorf("the OpenAPI document and the handler disagree on %q: answered %d, the document says %v", c.query, c.status, err)
			}
			if c.status != http.StatusOK {
				eb := decodeJSONAs[httpx.ErrorBody](t, body)
				if eb.Code != c.code || !strings.Contains(eb.Message, c.says) {
					t.Errorf("refusal %s %q, want %s saying %q", eb.Code, eb.Message, c.code, c.says)
				}
				return
			}
			out := decodeJSONAs[runJSON](t, body)
			var rows []string
			for _, r := range out.Rows {
				rows = append(rows, strconv.Itoa(r.ListRow))
			}
			if got := strings.Join(rows, " "); got != c.rows {
				t.Errorf("rows %q, want %q", got, c.rows)
			}
			if out.Total != c.total || out.Filtered != c.filtered || out.Page != c.page || out.Pages != c.pages || out.PageSize != c.pageSize {
				t.Errorf("total %d filtered %d page %d of %d size %d, want %d %d %d of %d size %d",
					out.Total, out.Filtered, out.Page, out.Pages, out.PageSize, c.total, c.filtered, c.page, c.pages, c.pageSize)
			}
			if out.Review["pending"] != 10 || out.Review["confirmed"] != 1 || out.Review["rejected"] != 1 {
				t.Errorf("review counts %v, want the whole run's", out.Review)
			}
		})
	}

	// Each answer is logged with the number of rows it showed; a
	// refusal shows none and is not.
	log, err := e.svc.AccessLogPage(t.Context(), access.System, service.AccessQuery{Action: "match.view", Subject: runID})
	if err != nil {
		t.Fatal(err)
	}
	shown := map[string]int{}
	for _, r := range log.Records {
		shown[r.Detail]++
	}
	if log.Total != answered || shown[msg.Encode([]msg.Msg{msg.New("access.persons", "count", 2)})] == 0 {
		t.Errorf("%d views of the run in the access log (%v), want %d", log.Total, shown, answered)
	}
}
