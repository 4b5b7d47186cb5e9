package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"parley/internal/access"
	"parley/internal/httpx"
	"parley/internal/matching"
	"parley/internal/msg"
	"parley/internal/service"
)

func init() { addRoutes(matchingAPIRoutes) }

func matchingAPIRoutes(s *Server) []Route {
	filter := []httpx.Param{
		{Name: "q", Description: "search the listed person as the run's page does: name words in any script (Cyrillic or Latin), a date of birth or its beginning (1994-03-09, 09.03.1994, 1994), a service number or its beginning, or a row number"},
		{Name: "decision", Description: "only rows with this decision", Enum: matchDecisions},
		{Name: "review", Description: "only rows in this review state", Enum: reviewStates},
		{Name: "sort", Description: "order of the rows (ties in row order); row when left out", Enum: service.MatchRowSorts},
		{Name: "dir", Description: "direction of the order; asc when left out", Enum: sortDirections},
		{Name: "page", Description: fmt.Sprintf("page of the rows under the query, from 1; a page past the last answers the last. Without page and page_size every row under the query is answered (as before paging); with page alone a page holds %d rows", matchPageSizeAPI), Integer: true, Min: 1},
		{Name: "page_size", Description: fmt.Sprintf("rows a page holds, at most %d", service.MaxMatchPageSize), Integer: true, Min: 1, Max: service.MaxMatchPageSize},
	}
	return []Route{
		{Method: "POST", Pattern: APIPrefix + "/lists/{id}/matches", Auth: SignedIn, Summary: "Match a received list against the receiving party's registry (its officers only); optional JSON body {\"threshold_match\":0.9,\"threshold_review\":0.5}", Body: []string{"application/json"}, In: matchStartJSON{}, Out: resultOf((*service.Service).RunMatching), Handler: s.apiMatchStart},
		{Method: "GET", Pattern: APIPrefix + "/match-runs", Auth: SignedIn, Summary: "The matching runs of the caller's party, newest first", Query: []httpx.Param{{Name: "list", Description: "only the runs of this list"}}, Out: runsJSON{}, Handler: s.apiMatchRuns},
		{Method: "GET", Pattern: APIPrefix + "/match-runs/{id}", Auth: SignedIn, Summary: "A matching run's rows, searched, filtered, sorted and paged as on its page: the listed person, the registry person, score, decision, reason, candidates and review; total counts the run's rows, filtered those under the query. An unknown parameter value answers 400", Query: filter, Out: matchRunJSON{}, Handler: s.apiMatchRun},
		{Method: "POST", Pattern: APIPrefix + "/match-runs/{id}/rows/{row}/review", Auth: SignedIn, Summary: "Confirm or reject one row: JSON {\"choice\":\"confirm\"|\"reject\",\"registry_id\":\"ID\"}; registry_id picks another candidate", Body: []string{"application/json"}, In: reviewJSON{}, Out: matchRowJSON{}, Handler: s.apiMatchReview},
		{Method: "GET", Pattern: APIPrefix + "/parties/{party}/registry/versions", Auth: SignedIn, Summary: "The versions of a party's registry, newest first, with counts of records added, changed and removed (its own officers only)", Out: registryVersionsJSON{}, Handler: s.apiRegistryVersions},
		{Method: "GET", Pattern: APIPrefix + "/parties/{party}/registry/versions/{version}/diff", Auth: SignedIn, Summary: "What a version of a party's registry changed: records added, changed (field by field) and removed, by record id (its own officers only)", Out: resultOf((*service.Service).RegistryDiff), Handler: s.apiRegistryDiff},
		{Method: "POST", Pattern: APIPrefix + "/match-runs/{id}/confirm-all-matches", Auth: SignedIn, Summary: "Confirm every pending match decision at or above the run's match threshold, each recorded in the log; answers {\"confirmed\":N}", Out: confirmedJSON{}, Handler: s.apiConfirmAll},
		{Method: "GET", Pattern: APIPrefix + "/match-runs/{id}/left-off", Auth: SignedIn, Summary: "Registry persons believed or confirmed captured whom the run's list leaves off", Out: leftOffJSON{}, Handler: s.apiLeftOff},
	}
}

// matchStartJSON is the optional body of a matching request.
// The bodies of the matching API's answers (see Route.Out).
type (
	runsJSON struct {
		Runs []*matching.Run `json:"runs"`
	}
	registryVersionsJSON struct {
		Party    string                     `json:"party"`
		Versions []matching.RegistryVersion `json:"versions"`
	}
	confirmedJSON struct {
		RunID     string `json:"run_id"`
		Confirmed int    `json:"confirmed"`
	}
	leftOffJSON struct {
		RunID   string                 `json:"run_id"`
		Count   int                    `json:"count"`
		Entries []service.LeftOffEntry `json:"entries"`
	}
)

type matchStartJSON struct {
	ThresholdMatch  float64 `json:"threshold_match,omitempty"`
	ThresholdReview float64 `json:"threshold_review,omitempty"`
}

func (s *Server) apiMatchStart(w http.ResponseWriter, r *http.Request) error {
	req := service.MatchRequest{ListID: r.PathValue("id")}
	if r.ContentLength != 0 {
		var in matchStartJSON
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		req.ThresholdMatch, req.ThresholdReview = in.ThresholdMatch, in.ThresholdReview
	}
	run, err := s.svc.RunMatching(r.Context(), actorOf(r), req)
	if err != nil {
		return err
	}
	w.Header().Set("Location", APIPrefix+"/match-runs/"+url.PathEscape(run.ID))
	writeJSON(w, http.StatusCreated, run)
	return nil
}

func (s *Server) apiMatchRuns(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r)
	if a.Party == "" {
		return access.Forbid("deny.match_runs_officers")
	}
	runs, err := s.svc.MatchRuns(r.Context(), a, a.Party, r.URL.Query().Get("list"))
	if err != nil {
		return err
	}
	if runs == nil {
		runs = []*matching.Run{}
	}
	writeJSON(w, http.StatusOK, runsJSON{runs})
	return nil
}

// matchRowJSON is a row of a run with its candidates read out.
type matchRowJSON struct {
	service.MatchRowDetail
	CandidateRows []matchCandidate `json:"candidate_rows"`
	// Reasons are the reasons as codes with parameters (package msg);
	// reason is their text in the caller's language.
	Reasons []msg.Msg `json:"reasons,omitempty"`
}

// matchRunJSON answers GET /match-runs/{id}.
type matchRunJSON struct {
	Run      *matching.Run `json:"run"`
	Total    int           `json:"total"`    // rows in the run, before filtering
	Filtered int           `json:"filtered"` // rows under the search and filters
	// Review counts the run's rows by review state, before filtering.
	Review map[string]int `json:"review_counts"`
	Page   int            `json:"page"`
	Pages  int            `json:"pages"`
	// PageSize is absent when every row under the query is in rows.
	PageSize int            `json:"page_size,omitempty"`
	Rows     []matchRowJSON `json:"rows"`
}

func matchRowOut(r service.MatchRowDetail, lang string) matchRowJSON {
	cs := parseCandidates(r.Candidates)
	if cs == nil {
		cs = []matchCandidate{}
	}
	reasons, _ := msg.Decode(r.Reason)
	r.Reason = msg.TextOf(lang, r.Reason)
	return matchRowJSON{MatchRowDetail: r, CandidateRows: cs, Reasons: reasons}
}

func (s *Server) apiMatchRun(w http.ResponseWriter, r *http.Request) error {
	q, err := readMatchQuery(r.URL.Query())
	if err != nil {
		return err
	}
	pg, err := s.svc.MatchRowsPage(r.Context(), actorOf(r), r.PathValue("id"), q)
	if err != nil {
		return err
	}
	out := matchRunJSON{Run: pg.Run, Total: pg.Total, Filtered: pg.Filtered, Review: pg.ReviewCounts,
		Page: pg.Page, Pages: pg.Pages, PageSize: pg.Size, Rows: make([]matchRowJSON, 0, len(pg.Rows))}
	lang := s.pickLanguage(r)
	for _, row := range pg.Rows {
		out.Rows = append(out.Rows, matchRowOut(row, lang))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// matchPageSizeAPI is the API's page of a run when a page is asked for
// without page_size.
const matchPageSizeAPI = 100

// readMatchQuery reads the API's question of a run's rows, refusing a
// value it does not take. Without page and page_size every row under the
// query is answered, as before the API paged.
func readMatchQuery(v url.Values) (service.MatchRowQuery, error) {
	f, err := readMatchFilter(v, true)
	if err != nil {
		return service.MatchRowQuery{}, err
	}
	q := f.query()
	page, pageGiven, err := queryNumber(v, "page", 1, 0)
	if err != nil {
		return q, err
	}
	size, sizeGiven, err := queryNumber(v, "page_size", 1, service.MaxMatchPageSize)
	if err != nil {
		return q, err
	}
	if pageGiven || sizeGiven {
		q.Page, q.PageSize = page, size
		if !sizeGiven {
			q.PageSize = matchPageSizeAPI
		}
	}
	return q, nil
}

// reviewJSON is the body of a review.
type reviewJSON struct {
	Choice     string `json:"choice"`
	RegistryID string `json:"registry_id,omitempty"`
}

func (s *Server) apiMatchReview(w http.ResponseWriter, r *http.Request) error {
	row, err := strconv.Atoi(r.PathValue("row"))
	if err != nil || row <= 0 {
		return badRequest("err.web.row_number", "value", r.PathValue("row"))
	}
	var in reviewJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	actor := actorOf(r)
	runID := r.PathValue("id")
	if err := s.svc.ReviewMatch(r.Context(), actor, runID, row, in.Choice, in.RegistryID); err != nil {
		return err
	}
	view, err := s.svc.MatchRun(r.Context(), actor, runID)
	if err != nil {
		return err
	}
	for _, d := range view.Rows {
		if d.ListRow == row {
			writeJSON(w, http.StatusOK, matchRowOut(d, s.pickLanguage(r)))
			return nil
		}
	}
	return fmt.Errorf("row %d of match run %s: %w", row, runID, service.ErrNotFound)
}

func (s *Server) apiRegistryVersions(w http.ResponseWriter, r *http.Request) error {
	party := r.PathValue("party")
	vs, err := s.svc.RegistryVersions(r.Context(), actorOf(r), party)
	if err != nil {
		return err
	}
	if vs == nil {
		vs = []matching.RegistryVersion{}
	}
	writeJSON(w, http.StatusOK, registryVersionsJSON{party, vs})
	return nil
}

func (s *Server) apiRegistryDiff(w http.ResponseWriter, r *http.Request) error {
	v, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || v <= 0 {
		return badRequest("err.web.version_number", "value", r.PathValue("version"))
	}
	d, err := s.svc.RegistryDiff(r.Context(), actorOf(r), r.PathValue("party"), v)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) apiConfirmAll(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	n, err := s.svc.ConfirmAllMatches(r.Context(), actorOf(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, confirmedJSON{id, n})
	return nil
}

func (s *Server) apiLeftOff(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	es, err := s.svc.LeftOffReport(r.Context(), actorOf(r), id)
	if err != nil {
		return err
	}
	if es == nil {
		es = []service.LeftOffEntry{}
	}
	writeJSON(w, http.StatusOK, leftOffJSON{id, len(es), es})
	return nil
}
