package web

import (
	"net/http"
	"strconv"

	"parley/internal/handover"
	"parley/internal/httpx"
	"parley/internal/service"
)

// The JSON API of the handover day: interviews, outcomes, the
// identification of remains, the stage report and a person's timeline.
// Each step answers with the person's new state and, when the step can
// break the agreed terms or completes the stage, the breach it causes.

func init() { addRoutes(handoverAPIRoutes) }

func handoverAPIRoutes(s *Server) []Route {
	j := []string{"application/json"}
	return []Route{
		{Method: "POST", Pattern: APIPrefix + "/agreements/{id}/interviews", Auth: SignedIn, Summary: "Record a person's private interview before the handover (observer): JSON {\"list_id\",\"row\",\"interview\":\"consents\"|\"refuses\",\"disclose_refusal\":true}; disclose_refusal: the person agreed that his family be told he declined", Body: j, In: stepJSON{}, Out: resultOf((*service.Service).RecordInterviewDisclosed), Handler: s.apiInterview},
		{Method: "POST", Pattern: APIPrefix + "/agreements/{id}/outcomes", Auth: SignedIn, Summary: "Record what became of a person (observer, mediator): JSON {\"list_id\",\"row\",\"outcome\":\"handed_over\"|\"not_presented\"|\"deceased\"|\"substituted\",\"substitute\":{\"list_id\",\"row\",\"interview\"}}; a person who refused is never handed over (409)", Body: j, In: stepJSON{}, Out: resultOf((*service.Service).RecordOutcome), Handler: s.apiOutcome},
		{Method: "POST", Pattern: APIPrefix + "/agreements/{id}/identifications", Auth: SignedIn, Summary: "Advance the identification of remains (observer, mediator): JSON {\"list_id\",\"row\",\"identification\":\"dna_pending\"|\"confirmed\"}", Body: j, In: stepJSON{}, Out: resultOf((*service.Service).RecordIdentification), Handler: s.apiIdentification},
		{Method: "POST", Pattern: APIPrefix + "/agreements/{id}/corrections", Auth: SignedIn, Summary: "Correct an outcome recorded by mistake, within the day (observer, mediator): JSON {\"list_id\",\"row\",\"outcome\":\"handed_over\"|\"not_presented\"|\"deceased\"|\"\",\"reason\"}; a new logged step, never an edit; a person who refused is never handed over (409)", Body: j, In: service.CorrectionRequest{}, Out: resultOf((*service.Service).CorrectOutcome), Handler: s.apiCorrection},
		{Method: "GET", Pattern: APIPrefix + "/agreements/{id}/day", Auth: SignedIn, Summary: "The handover day: progress, whether the rule is on track, at risk or broken, discrepancies, and a page of persons with the steps the caller may record", Query: []httpx.Param{{Name: "side", Description: "a party of the stage; both when left out"}, {Name: "queue", Description: "interview, ready, done or refused; all when left out"}, {Name: "name", Description: "a name as it is called out, in any script, or a row number"}, {Name: "page", Description: "page of 50 persons, from 1"}}, Out: resultOf((*service.Service).HandoverDay), Handler: s.apiHandoverDay},
		{Method: "GET", Pattern: APIPrefix + "/agreements/{id}/report", Auth: SignedIn, Summary: "The stage report: per side and per category what happened against the agreement, every discrepancy, and any breach of the rule", Out: resultOf((*service.Service).StageReport), Handler: s.apiStageReport},
		{Method: "GET", Pattern: APIPrefix + "/lists/{id}/rows/{row}/timeline", Auth: SignedIn, Summary: "Everything recorded about one person of a handed-over list: listed, proposed, agreed, interviewed, his outcome; who and when", Out: resultOf((*service.Service).PersonTimeline), Handler: s.apiTimeline},
	}
}

// stepJSON names the person of a step and what to record.
type stepJSON struct {
	ListID    string             `json:"list_id"`
	Row       int                `json:"row"`
	Interview handover.Interview `json:"interview,omitempty"`
	// DiscloseRefusal: the person who refuses agreed that his family be
	// told he declined (see docs/family-status.md).
	DiscloseRefusal bool                       `json:"disclose_refusal,omitempty"`
	Outcome         handover.Outcome           `json:"outcome,omitempty"`
	Substitute      *service.SubstituteRequest `json:"substitute,omitempty"`
	Identification  handover.Identification    `json:"identification,omitempty"`
}

func (s *Server) apiInterview(w http.ResponseWriter, r *http.Request) error {
	var in stepJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	res, err := s.svc.RecordInterviewDisclosed(r.Context(), actorOf(r), r.PathValue("id"), in.ListID, in.Row, in.Interview, in.DiscloseRefusal)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) apiOutcome(w http.ResponseWriter, r *http.Request) error {
	var in stepJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	res, err := s.svc.RecordOutcome(r.Context(), actorOf(r), service.OutcomeRequest{AgreementID: r.PathValue("id"), ListID: in.ListID, Row: in.Row, Outcome: in.Outcome, Substitute: in.Substitute})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) apiIdentification(w http.ResponseWriter, r *http.Request) error {
	var in stepJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	res, err := s.svc.RecordIdentification(r.Context(), actorOf(r), r.PathValue("id"), in.ListID, in.Row, in.Identification)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) apiCorrection(w http.ResponseWriter, r *http.Request) error {
	var in service.CorrectionRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	in.AgreementID = r.PathValue("id")
	res, err := s.svc.CorrectOutcome(r.Context(), actorOf(r), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) apiHandoverDay(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	page, _ := strconv.Atoi(q.Get("page"))
	day, err := s.svc.HandoverDay(r.Context(), actorOf(r), r.PathValue("id"), service.DayQuery{Side: q.Get("side"), Queue: q.Get("queue"), Name: q.Get("name"), Page: page})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, day)
	return nil
}

func (s *Server) apiStageReport(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.svc.StageReport(r.Context(), actorOf(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, localReport(s.pickLanguage(r), rep))
	return nil
}

func (s *Server) apiTimeline(w http.ResponseWriter, r *http.Request) error {
	row, err := strconv.Atoi(r.PathValue("row"))
	if err != nil || row < 1 {
		return badRequest("err.web.row_number", "value", r.PathValue("row"))
	}
	t, err := s.svc.PersonTimeline(r.Context(), actorOf(r), r.PathValue("id"), row)
	if err != nil {
		return err
	}
	if t.Steps == nil {
		t.Steps = []service.TimelineStep{}
	}
	writeJSON(w, http.StatusOK, localTimeline(s.pickLanguage(r), t))
	return nil
}
