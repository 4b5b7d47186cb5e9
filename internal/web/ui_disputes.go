package web

import (
	"net/http"
	"strconv"
	"strings"

	"parley/internal/access"
	"parley/internal/disputes"
	"parley/internal/lists"
	"parley/internal/service"
)

// Disputes and deaths in the workbench. The mediator sees every open
// reservation, contested row and claim in one place (/disputes); an
// officer sees those of his side and answers those addressed to it. Deaths
// in captivity (/deaths) are recorded by the detaining side and released
// to families by the person's own side, with its text.

func init() {
	addRoutes(disputeRoutes)
	AddNav(NavItem{Order: 47, Key: "nav.disputes", Href: "/disputes", Nav: "disputes", Show: seesDisputes})
	AddNav(NavItem{Order: 48, Key: "nav.deaths", Href: "/deaths", Nav: "deaths", Show: seesDeaths})
}

func seesDisputes(a access.Actor) bool {
	return a.Has(access.Mediator) || (a.Has(access.Officer) && a.Party != "")
}

func seesDeaths(a access.Actor) bool {
	return a.Has(access.Mediator) || a.Has(access.Observer) || (a.Has(access.Officer) && a.Party != "")
}

func disputeRoutes(s *Server) []Route {
	parties := []access.Role{access.Officer, access.Mediator}
	deaths := []access.Role{access.Officer, access.Mediator, access.Observer}
	return []Route{
		{Method: "GET", Pattern: "/disputes", Auth: SignedIn, Roles: parties, Summary: "Open reservations, contested rows and claims, with their answers", Handler: s.disputesPage},
		{Method: "POST", Pattern: "/disputes/{id}/answer", Auth: SignedIn, Roles: []access.Role{access.Officer}, Summary: "Answer a dispute", Handler: s.disputeAnswer},
		{Method: "POST", Pattern: "/lists/{id}/contest", Auth: SignedIn, Roles: []access.Role{access.Officer}, Summary: "Contest a row of a received list", Handler: s.listContest},
		{Method: "POST", Pattern: "/match-runs/{id}/claim", Auth: SignedIn, Roles: []access.Role{access.Officer}, Summary: "Submit the left-off report as a claim", Handler: s.matchClaim},
		{Method: "GET", Pattern: "/deaths", Auth: SignedIn, Roles: deaths, Summary: "Deaths in captivity and the release of their news", Handler: s.deathsPage},
		{Method: "POST", Pattern: "/deaths", Auth: SignedIn, Roles: []access.Role{access.Officer}, Summary: "Record a death in captivity", Handler: s.deathRecord},
		{Method: "POST", Pattern: "/deaths/{id}/release", Auth: SignedIn, Roles: []access.Role{access.Officer}, Summary: "Release the news of a death to the families", Handler: s.deathRelease},
		{Method: "POST", Pattern: "/deaths/{id}/remains", Auth: SignedIn, Roles: deaths, Summary: "Record that the remains were identified", Handler: s.deathRemains},
	}
}

// disputeRows is what the dispute_rows partial shows.
type disputeRows struct {
	P         *Page
	Disputes  []*disputes.Dispute
	CanAnswer map[string]bool
}

// listDisputesView is the disputes section of a list page.
type listDisputesView struct {
	Rows       disputeRows
	CanContest bool
	Reasons    []disputes.Reason
}

func answerable(a access.Actor, ds []*disputes.Dispute) map[string]bool {
	out := map[string]bool{}
	for _, d := range ds {
		out[d.ID] = d.State == disputes.Open && a.Has(access.Officer) && a.Party == d.To
	}
	return out
}

// listDisputes fills the disputes section of a list page with the
// disputes read with the list (ListPageOptions); a caller who may not see
// disputes gets none.
func (s *Server) listDisputes(r *http.Request, l *lists.List, d *listData, ds []*disputes.Dispute) {
	actor := actorOf(r)
	d.Disputes.CanContest = l.State != lists.Draft && actor.Has(access.Officer) && actor.Party == l.To
	d.Disputes.Reasons = disputes.Reasons()
	if !seesDisputes(actor) {
		return
	}
	d.Disputes.Rows = disputeRows{Disputes: ds, CanAnswer: answerable(actor, ds)}
}

type disputesData struct {
	All  bool
	Rows disputeRows
}

func (s *Server) disputesPage(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	all := r.URL.Query().Get("all") == "1"
	ds, err := s.svc.Disputes(r.Context(), actor, service.DisputeQuery{Open: !all})
	if err != nil {
		return err
	}
	d := &disputesData{All: all, Rows: disputeRows{Disputes: ds, CanAnswer: answerable(actor, ds)}}
	p := s.page(w, r, "dispute.index_title", "disputes", d)
	d.Rows.P = p
	return s.render(w, r, http.StatusOK, "disputes", p)
}

func (s *Server) disputeAnswer(w http.ResponseWriter, r *http.Request) error {
	d, err := s.svc.AnswerDispute(r.Context(), actorOf(r), r.PathValue("id"), disputes.Answer(r.PostFormValue("answer")), r.PostFormValue("reason"))
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/disputes?all=1#"+d.ID, http.StatusSeeOther)
	return nil
}

func (s *Server) listContest(w http.ResponseWriter, r *http.Request) error {
	row, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("row")))
	if err != nil || row < 1 {
		return badRequest("err.web.row_number", "value", r.PostFormValue("row"))
	}
	d, err := s.svc.ContestRow(r.Context(), actorOf(r), service.ContestRequest{ListID: r.PathValue("id"), Row: row,
		Reason: disputes.Reason(r.PostFormValue("reason")), Note: r.PostFormValue("note")})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/lists/"+d.ListID+"#"+d.ID, http.StatusSeeOther)
	return nil
}

func (s *Server) matchClaim(w http.ResponseWriter, r *http.Request) error {
	d, err := s.svc.ClaimLeftOff(r.Context(), actorOf(r), r.PathValue("id"), r.PostFormValue("note"))
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/disputes#"+d.ID, http.StatusSeeOther)
	return nil
}

type deathsData struct {
	Deaths      []service.DeathView
	CanRelease  map[string]bool
	CanIdentify map[string]bool
	CanRecord   bool
}

func (s *Server) deathsPage(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	ds, err := s.svc.Deaths(r.Context(), actor, false)
	if err != nil {
		return err
	}
	d := &deathsData{Deaths: ds, CanRelease: map[string]bool{}, CanIdentify: map[string]bool{}, CanRecord: actor.Has(access.Officer)}
	for _, x := range ds {
		own := actor.Has(access.Officer) && actor.Party == x.FamilyParty
		d.CanRelease[x.ID] = own
		d.CanIdentify[x.ID] = own || actor.Has(access.Mediator) || actor.Has(access.Observer)
	}
	return s.render(w, r, http.StatusOK, "deaths", s.page(w, r, "death.title", "deaths", d))
}

func (s *Server) deathRecord(w http.ResponseWriter, r *http.Request) error {
	row, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("row")))
	if err != nil || row < 1 {
		return badRequest("err.web.row_number", "value", r.PostFormValue("row"))
	}
	req := service.DeathRequest{ListID: r.PostFormValue("list_id"), Row: row, DiedOn: r.PostFormValue("died_on"), Place: r.PostFormValue("place"),
		Cause: r.PostFormValue("cause"), Burial: r.PostFormValue("burial"), Grave: r.PostFormValue("grave"), ReportedBy: r.PostFormValue("reported_by"),
		Documents: strings.Split(r.PostFormValue("documents"), "\n")}
	d, err := s.svc.RecordDeath(r.Context(), actorOf(r), req)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/deaths#"+d.ID, http.StatusSeeOther)
	return nil
}

func (s *Server) deathRelease(w http.ResponseWriter, r *http.Request) error {
	d, _, err := s.svc.ReleaseDeath(r.Context(), actorOf(r), r.PathValue("id"), r.PostFormValue("text"))
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/deaths#"+d.ID, http.StatusSeeOther)
	return nil
}

func (s *Server) deathRemains(w http.ResponseWriter, r *http.Request) error {
	d, err := s.svc.RecordRemainsIdentified(r.Context(), actorOf(r), r.PathValue("id"), r.PostFormValue("note"))
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/deaths#"+d.ID, http.StatusSeeOther)
	return nil
}
