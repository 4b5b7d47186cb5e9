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
		{Name: "decision", Description: "only rows with this decision: match, review or none"},
		{Name: "review", Description: "only rows in this review state: pending, confirmed or rejected"},
	}
	return []Route{
		{Method: "POST", Pattern: APIPrefix + "/lists/{id}/matches", Auth: SignedIn, Summary: "Match a received list against the receiving party's registry (its officers only); optional JSON body {\"threshold_match\":0.9,\"threshold_review\":0.5}", Body: []string{"application/json"}, In: matchStartJSON{}, Out: resultOf((*service.Service).RunMatching), Handler: s.apiMatchStart},
		{Method: "GET", Pattern: APIPrefix + "/match-runs", Auth: SignedIn, Summary: "The matching runs of the caller's party, newest first", Query: []httpx.Param{{Name: "list", Description: "only the runs of this list"}}, Out: runsJSON{}, Handler: s.apiMatchRuns},
		{Method: "GET", Pattern: APIPrefix + "/match-runs/{id}", Auth: SignedIn, Summary: "A matching run with every row: the listed person, the registry person, score, decision, reason, candidates and review", Query: filter, Out: matchRunJSON{}, Handler: s.apiMatchRun},
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
	Run    *matching.Run  `json:"run"`
	Total  int            `json:"total"` // rows in the run, before filtering
	Review map[string]int `json:"review_counts"`
	Rows   []matchRowJSON `json:"rows"`
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
	f, err := readMatchFilter(r.URL.Query(), true)
	if err != nil {
		return err
	}
	view, err := s.svc.MatchRun(r.Context(), actorOf(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := matchRunJSON{Run: view.Run, Total: len(view.Rows), Review: map[string]int{}, Rows: []matchRowJSON{}}
	for _, st := range reviewStates {
		out.Review[st] = 0
	}
	for _, row := range view.Rows {
		out.Review[row.Review]++
	}
	for _, row := range filterRows(view.Rows, f) {
		out.Rows = append(out.Rows, matchRowOut(row, s.pickLanguage(r)))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
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
