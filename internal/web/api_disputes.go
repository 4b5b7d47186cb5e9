package web

import (
	"net/http"

	"parley/internal/disputes"
	"parley/internal/handover"
	"parley/internal/httpx"
	"parley/internal/service"
)

// The JSON API of disputes about lists (reservations, contested rows,
// claims of persons left off, answers) and of deaths in captivity with the
// release of their news to families.

func init() { addRoutes(disputeAPIRoutes) }

func disputeAPIRoutes(s *Server) []Route {
	j := []string{"application/json"}
	return []Route{
		{Method: "POST", Pattern: APIPrefix + "/lists/{id}/contests", Auth: SignedIn, Summary: "Contest one row of a received list (its receiver's officers): JSON {\"row\":N,\"reason\":\"not_ours\"|\"civilian\"|\"already_returned\"|\"died\"|\"not_in_custody\"|\"other\",\"note\":\"...\"}", Body: j, In: service.ContestRequest{}, Out: resultOf((*service.Service).ContestRow), Handler: s.apiContest},
		{Method: "POST", Pattern: APIPrefix + "/match-runs/{id}/claim", Auth: SignedIn, Summary: "Put the run's left-off report to the mediator and the list's sender as a formal claim; optional JSON {\"note\":\"...\"}", Body: j, In: noteJSON{}, Out: resultOf((*service.Service).ClaimLeftOff), Handler: s.apiClaim},
		{Method: "GET", Pattern: APIPrefix + "/disputes", Auth: SignedIn, Summary: "Reservations, contested rows and claims the caller may see (the mediator all; an officer his side's), oldest first",
			Query: []httpx.Param{{Name: "list", Description: "only those about this list or its versions"}, {Name: "open", Description: "1: only those not closed"}}, Out: resultOf((*service.Service).Disputes), Handler: s.apiDisputes},
		{Method: "GET", Pattern: APIPrefix + "/disputes/{id}", Auth: SignedIn, Summary: "One dispute with its answer and closing", Out: resultOf((*service.Service).Dispute), Handler: s.apiDispute},
		{Method: "POST", Pattern: APIPrefix + "/disputes/{id}/answer", Auth: SignedIn, Summary: "Answer a dispute (officers of the side it is addressed to): JSON {\"answer\":\"accepted\"|\"rejected\"|\"new_version\",\"reason\":\"...\"}; a rejection needs a reason", Body: j, In: disputeAnswerJSON{}, Out: resultOf((*service.Service).AnswerDispute), Handler: s.apiAnswerDispute},
		{Method: "POST", Pattern: APIPrefix + "/deaths", Auth: SignedIn, Summary: "Record a death in captivity (GC III Art. 120) of a person on a handed-over list (the detaining side's officers): JSON {\"list_id\",\"row\",\"died_on\",\"place\",\"cause\",\"burial\",\"grave\",\"reported_by\",\"documents\":[...]}", Body: j, In: service.DeathRequest{}, Out: resultOf((*service.Service).RecordDeath), Handler: s.apiRecordDeath},
		{Method: "GET", Pattern: APIPrefix + "/deaths", Auth: SignedIn, Summary: "Deaths in captivity the caller may see, and whether their news waits for release", Query: []httpx.Param{{Name: "pending", Description: "1: only those whose news waits for release"}}, Out: resultOf((*service.Service).Deaths), Handler: s.apiDeaths},
		{Method: "POST", Pattern: APIPrefix + "/deaths/{id}/release", Auth: SignedIn, Summary: "Release the news of a death to the families (officers of the person's own side): JSON {\"text\":\"...\"}, the text the families read", Body: j, In: releaseJSON{}, Out: releasedJSON{}, Handler: s.apiReleaseDeath},
		{Method: "POST", Pattern: APIPrefix + "/deaths/{id}/withdraw", Auth: SignedIn, Summary: "Withdraw a death record made in error (the detaining side's officers), before its news is released and before a stage recorded it: JSON {\"reason\":\"...\"}", Body: j, Status: http.StatusNoContent, In: withdrawJSON{}, Handler: s.apiWithdrawDeath},
		{Method: "POST", Pattern: APIPrefix + "/deaths/{id}/remains", Auth: SignedIn, Summary: "Record that the remains were identified (officers of the person's side, observers, the mediator): JSON {\"note\":\"...\"}", Body: j, In: noteJSON{}, Out: resultOf((*service.Service).RecordRemainsIdentified), Handler: s.apiRemainsIdentified},
	}
}

func (s *Server) apiContest(w http.ResponseWriter, r *http.Request) error {
	var in service.ContestRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	in.ListID = r.PathValue("id")
	d, err := s.svc.ContestRow(r.Context(), actorOf(r), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, d)
	return nil
}

// releasedJSON answers the release of a death's news: the record and how
// many families were told.
type releasedJSON struct {
	Death    *handover.Death `json:"death"`
	Families int             `json:"families"`
}

type noteJSON struct {
	Note string `json:"note,omitempty"`
}

func (s *Server) apiClaim(w http.ResponseWriter, r *http.Request) error {
	var in noteJSON
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
	}
	d, err := s.svc.ClaimLeftOff(r.Context(), actorOf(r), r.PathValue("id"), in.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, d)
	return nil
}

func (s *Server) apiDisputes(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	ds, err := s.svc.Disputes(r.Context(), actorOf(r), service.DisputeQuery{ListID: q.Get("list"), Open: q.Get("open") == "1" || q.Get("open") == "true"})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ds)
	return nil
}

func (s *Server) apiDispute(w http.ResponseWriter, r *http.Request) error {
	d, err := s.svc.Dispute(r.Context(), actorOf(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

type disputeAnswerJSON struct {
	Answer disputes.Answer `json:"answer"`
	Reason string          `json:"reason,omitempty"`
}

func (s *Server) apiAnswerDispute(w http.ResponseWriter, r *http.Request) error {
	var in disputeAnswerJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	d, err := s.svc.AnswerDispute(r.Context(), actorOf(r), r.PathValue("id"), in.Answer, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) apiRecordDeath(w http.ResponseWriter, r *http.Request) error {
	var in service.DeathRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	d, err := s.svc.RecordDeath(r.Context(), actorOf(r), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, d)
	return nil
}

func (s *Server) apiDeaths(w http.ResponseWriter, r *http.Request) error {
	p := r.URL.Query().Get("pending")
	ds, err := s.svc.Deaths(r.Context(), actorOf(r), p == "1" || p == "true")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ds)
	return nil
}

type releaseJSON struct {
	Text string `json:"text"`
}

func (s *Server) apiReleaseDeath(w http.ResponseWriter, r *http.Request) error {
	var in releaseJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	d, n, err := s.svc.ReleaseDeath(r.Context(), actorOf(r), r.PathValue("id"), in.Text)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, releasedJSON{d, n})
	return nil
}

func (s *Server) apiRemainsIdentified(w http.ResponseWriter, r *http.Request) error {
	var in noteJSON
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
	}
	d, err := s.svc.RecordRemainsIdentified(r.Context(), actorOf(r), r.PathValue("id"), in.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

type withdrawJSON struct {
	Reason string `json:"reason"`
}

func (s *Server) apiWithdrawDeath(w http.ResponseWriter, r *http.Request) error {
	var in withdrawJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.svc.WithdrawDeath(r.Context(), actorOf(r), r.PathValue("id"), in.Reason); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
