package web

import (
	"errors"
	"net/http"

	"parley/internal/httpx"
	"parley/internal/negotiation"
	"parley/internal/service"
)

// The JSON API of the negotiation: rounds, their lists and conformance, the
// planner, proposals with their answers, and agreements. The service
// decides who may do what; a stage that breaks its rule is answered with
// 422 and, under "details", the rule and every problem with its numbers.

func init() { addRoutes(negotiationAPIRoutes) }

func negotiationAPIRoutes(s *Server) []Route {
	j := []string{"application/json"}
	proposalFilter := []httpx.Param{
		{Name: "round_id", Description: "only the proposals of this round"},
		{Name: "thread_id", Description: "only this thread of proposals and counter-proposals"},
		{Name: "state", Description: "only proposals in this state: draft, submitted, accepted, rejected, countered, withdrawn or agreed"},
	}
	return []Route{
		{Method: "GET", Pattern: APIPrefix + "/rounds", Auth: SignedIn, Summary: "The rounds the caller may see, newest first", Out: roundsJSON{}, Handler: s.apiRounds},
		{Method: "POST", Pattern: APIPrefix + "/rounds", Auth: SignedIn, Summary: "Convene a round between two parties (mediator); optional criteria are the agreed approach for its lists", Body: j, In: service.RoundRequest{}, Out: resultOf((*service.Service).CreateRound), Handler: s.apiCreateRound},
		{Method: "GET", Pattern: APIPrefix + "/rounds/{id}", Auth: SignedIn, Summary: "A round with its lists and the proposals and agreements the caller may see", Out: resultOf((*service.Service).GetRound), Handler: s.apiRound},
		{Method: "GET", Pattern: APIPrefix + "/rounds/{id}/lists", Auth: SignedIn, Summary: "The lists attached to a round, with their count of nonconforming rows", Out: roundListsJSON{}, Handler: s.apiRoundLists},
		{Method: "POST", Pattern: APIPrefix + "/rounds/{id}/lists", Auth: SignedIn, Summary: "Attach a handed-over list to a round: JSON {\"list_id\":\"...\"} (mediator, or an officer of either party of the list)", Body: j, In: attachJSON{}, Out: resultOf((*service.Service).AttachList), Handler: s.apiAttachList},
		{Method: "GET", Pattern: APIPrefix + "/rounds/{id}/lists/{list}/conformance", Auth: SignedIn, Summary: "Every row of an attached list that does not fit the round's agreed approach, with all its reasons", Out: resultOf((*service.Service).ConformanceReport), Handler: s.apiConformance},
		{Method: "POST", Pattern: APIPrefix + "/plan", Auth: SignedIn, Summary: "Plan a stage from two handed-over lists, one from each side: who is released and who is left out, with the reason for each, and totals per category", Body: j, In: service.PlanRequest{}, Out: resultOf((*service.Service).PlanStage), Handler: s.apiPlan},
		{Method: "GET", Pattern: APIPrefix + "/proposals", Auth: SignedIn, Summary: "The proposals the caller may see, without their persons", Query: proposalFilter, Out: proposalsJSON{}, Handler: s.apiProposals},
		{Method: "POST", Pattern: APIPrefix + "/proposals", Auth: SignedIn, Summary: "Propose a stage (a party's officers): releases by list row, or a plan; 422 with every problem when it breaks its rule", Body: j, In: service.ProposalRequest{}, Out: resultOf((*service.Service).SubmitProposal), Handler: s.apiSubmitProposal},
		{Method: "GET", Pattern: APIPrefix + "/proposals/{id}", Auth: SignedIn, Summary: "A proposal with both sides' persons and legal basis, totals per category and the commission's decisions", Out: resultOf((*service.Service).GetProposal), Handler: s.apiProposal},
		{Method: "GET", Pattern: APIPrefix + "/proposals/{id}/thread", Auth: SignedIn, Summary: "The proposal and its counter-proposals, oldest first", Out: threadJSON{}, Handler: s.apiProposalThread},
		{Method: "POST", Pattern: APIPrefix + "/proposals/{id}/submit", Auth: SignedIn, Summary: "Submit a draft to the other party (the proposing party's officers)", Out: resultOf((*service.Service).SubmitDraft), Handler: s.apiProposalStep("submit")},
		{Method: "POST", Pattern: APIPrefix + "/proposals/{id}/accept", Auth: SignedIn, Summary: "Accept a proposal (the addressee's officers); optional JSON {\"as\":\"party\"}", Body: j, In: answerJSON{}, Out: resultOf((*service.Service).AcceptProposal), Handler: s.apiProposalStep("accept")},
		{Method: "POST", Pattern: APIPrefix + "/proposals/{id}/reject", Auth: SignedIn, Summary: "Reject a proposal with reasons (the addressee's officers): JSON {\"reasons\":\"...\"}", Body: j, In: answerJSON{}, Out: resultOf((*service.Service).RejectProposal), Handler: s.apiProposalStep("reject")},
		{Method: "POST", Pattern: APIPrefix + "/proposals/{id}/withdraw", Auth: SignedIn, Summary: "Withdraw a proposal or discard a draft (the proposer's officers)", Body: j, In: answerJSON{}, Out: resultOf((*service.Service).WithdrawProposal), Handler: s.apiProposalStep("withdraw")},
		{Method: "POST", Pattern: APIPrefix + "/proposals/{id}/counter", Auth: SignedIn, Summary: "Counter a proposal with another stage (the addressee's officers); the body is a proposal", Body: j, In: service.ProposalRequest{}, Out: resultOf((*service.Service).CounterProposal), Handler: s.apiCounterProposal},
		{Method: "POST", Pattern: APIPrefix + "/proposals/{id}/witness", Auth: SignedIn, Summary: "Witness an accepted proposal (mediator): it becomes an immutable agreement", Out: resultOf((*service.Service).WitnessProposal), Handler: s.apiWitness},
		{Method: "POST", Pattern: APIPrefix + "/proposals/{id}/commission", Auth: SignedIn, Summary: "Record the Mixed Medical Commission's decision on a person released under Art. 110 (observer, mediator): JSON {\"list_id\",\"row\",\"outcome\":{\"decision\",\"decided_on\",\"reexamine_on\"}}", Body: j, In: commissionJSON{}, Out: resultOf((*service.Service).RecordCommissionOutcome), Handler: s.apiCommission},
		{Method: "GET", Pattern: APIPrefix + "/agreements", Auth: SignedIn, Summary: "The agreements the caller may see, in the order made", Query: []httpx.Param{{Name: "round_id", Description: "only the agreements of this round"}}, Out: agreementsJSON{}, Handler: s.apiAgreements},
		{Method: "GET", Pattern: APIPrefix + "/agreements/{id}", Auth: SignedIn, Summary: "An agreement with both sides' persons, its content hash (checked) and where each person stands in the handover", Out: resultOf((*service.Service).GetAgreement), Handler: s.apiAgreement},
	}
}

// The bodies of the negotiation API's answers and requests (see Route.In
// and Route.Out).
type (
	roundsJSON struct {
		Rounds []*negotiation.Round `json:"rounds"`
	}
	roundListsJSON struct {
		RoundID string                  `json:"round_id"`
		Lists   []service.RoundListView `json:"lists"`
	}
	attachJSON struct {
		ListID string `json:"list_id"`
	}
	proposalsJSON struct {
		Proposals []*negotiation.ProposalRecord `json:"proposals"`
	}
	threadJSON struct {
		Proposals []*service.ProposalView `json:"proposals"`
	}
	commissionJSON struct {
		ListID  string                        `json:"list_id"`
		Row     int                           `json:"row"`
		Outcome negotiation.CommissionOutcome `json:"outcome"`
	}
	agreementsJSON struct {
		Agreements []*negotiation.Agreement `json:"agreements"`
	}
)

// negAPIError answers a stage that breaks its rule with the rule and every
// problem; other errors go to the common mapping.
func (s *Server) negAPIError(w http.ResponseWriter, r *http.Request, err error) error {
	var re *negotiation.RuleError
	if errors.As(err, &re) && errors.Is(err, service.ErrInvalid) {
		lang := s.pickLanguage(r)
		status, code, text := errorText(err, lang)
		writeJSON(w, status, httpx.ErrorBody{Error: text, Code: code, Message: text, Details: map[string]any{"rule": re.Rule, "problems": localProblems(lang, re.Problems)}})
		return nil
	}
	return err
}

func (s *Server) apiRounds(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.svc.ListRounds(r.Context(), actorOf(r))
	if err != nil {
		return err
	}
	if rs == nil {
		rs = []*negotiation.Round{}
	}
	writeJSON(w, http.StatusOK, roundsJSON{rs})
	return nil
}

func (s *Server) apiCreateRound(w http.ResponseWriter, r *http.Request) error {
	var req service.RoundRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	round, err := s.svc.CreateRound(r.Context(), actorOf(r), req)
	if err != nil {
		return err
	}
	w.Header().Set("Location", APIPrefix+"/rounds/"+round.ID)
	writeJSON(w, http.StatusCreated, round)
	return nil
}

func (s *Server) apiRound(w http.ResponseWriter, r *http.Request) error {
	v, err := s.svc.GetRound(r.Context(), actorOf(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) apiRoundLists(w http.ResponseWriter, r *http.Request) error {
	v, err := s.svc.GetRound(r.Context(), actorOf(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, roundListsJSON{v.ID, v.Lists})
	return nil
}

func (s *Server) apiAttachList(w http.ResponseWriter, r *http.Request) error {
	var in attachJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	rl, err := s.svc.AttachList(r.Context(), actorOf(r), r.PathValue("id"), in.ListID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rl)
	return nil
}

func (s *Server) apiConformance(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.svc.ConformanceReport(r.Context(), actorOf(r), r.PathValue("id"), r.PathValue("list"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func (s *Server) apiPlan(w http.ResponseWriter, r *http.Request) error {
	var req service.PlanRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	plan, err := s.svc.PlanStage(r.Context(), actorOf(r), req)
	if err != nil {
		return s.negAPIError(w, r, err)
	}
	writeJSON(w, http.StatusOK, plan)
	return nil
}

func (s *Server) apiProposals(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	ps, err := s.svc.ListProposals(r.Context(), actorOf(r), service.ProposalFilter{RoundID: q.Get("round_id"), ThreadID: q.Get("thread_id"), State: q.Get("state")})
	if err != nil {
		return err
	}
	if ps == nil {
		ps = []*negotiation.ProposalRecord{}
	}
	writeJSON(w, http.StatusOK, proposalsJSON{ps})
	return nil
}

func (s *Server) apiSubmitProposal(w http.ResponseWriter, r *http.Request) error {
	var req service.ProposalRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	v, err := s.svc.SubmitProposal(r.Context(), actorOf(r), req)
	if err != nil {
		return s.negAPIError(w, r, err)
	}
	w.Header().Set("Location", APIPrefix+"/proposals/"+v.ID)
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (s *Server) apiProposal(w http.ResponseWriter, r *http.Request) error {
	v, err := s.svc.GetProposal(r.Context(), actorOf(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) apiProposalThread(w http.ResponseWriter, r *http.Request) error {
	vs, err := s.svc.ProposalThread(r.Context(), actorOf(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	if vs == nil {
		vs = []*service.ProposalView{}
	}
	writeJSON(w, http.StatusOK, threadJSON{vs})
	return nil
}

// answerJSON is the optional body of an answer to a proposal.
type answerJSON struct {
	// As names the acting party; an officer acts for his own.
	As      string `json:"as,omitempty"`
	Reasons string `json:"reasons,omitempty"`
}

func (s *Server) apiProposalStep(verb string) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in answerJSON
		if r.ContentLength != 0 {
			if err := decodeJSON(r, &in); err != nil {
				return err
			}
		}
		actor, id, ctx := actorOf(r), r.PathValue("id"), r.Context()
		var v *service.ProposalView
		var err error
		switch verb {
		case "submit":
			v, err = s.svc.SubmitDraft(ctx, actor, id)
		case "accept":
			v, err = s.svc.AcceptProposal(ctx, actor, id, in.As)
		case "reject":
			v, err = s.svc.RejectProposal(ctx, actor, id, in.As, in.Reasons)
		case "withdraw":
			v, err = s.svc.WithdrawProposal(ctx, actor, id, in.As)
		}
		if err != nil {
			return s.negAPIError(w, r, err)
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

func (s *Server) apiCounterProposal(w http.ResponseWriter, r *http.Request) error {
	var req service.ProposalRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	v, err := s.svc.CounterProposal(r.Context(), actorOf(r), r.PathValue("id"), req)
	if err != nil {
		return s.negAPIError(w, r, err)
	}
	w.Header().Set("Location", APIPrefix+"/proposals/"+v.ID)
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (s *Server) apiWitness(w http.ResponseWriter, r *http.Request) error {
	a, err := s.svc.WitnessProposal(r.Context(), actorOf(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Location", APIPrefix+"/agreements/"+a.ID)
	writeJSON(w, http.StatusCreated, a)
	return nil
}

func (s *Server) apiCommission(w http.ResponseWriter, r *http.Request) error {
	var in commissionJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	rec, err := s.svc.RecordCommissionOutcome(r.Context(), actorOf(r), service.CommissionRequest{ProposalID: r.PathValue("id"), ListID: in.ListID, Row: in.Row, Outcome: in.Outcome})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, rec)
	return nil
}

func (s *Server) apiAgreements(w http.ResponseWriter, r *http.Request) error {
	as, err := s.svc.ListAgreements(r.Context(), actorOf(r), r.URL.Query().Get("round_id"))
	if err != nil {
		return err
	}
	if as == nil {
		as = []*negotiation.Agreement{}
	}
	writeJSON(w, http.StatusOK, agreementsJSON{as})
	return nil
}

func (s *Server) apiAgreement(w http.ResponseWriter, r *http.Request) error {
	a, err := s.svc.GetAgreement(r.Context(), actorOf(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}
