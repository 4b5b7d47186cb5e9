package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"parley/internal/access"
	"parley/internal/category"
	"parley/internal/lists"
	"parley/internal/msg"
	"parley/internal/negotiation"
	"parley/internal/parties"
	"parley/internal/person"
	"parley/internal/service"
)

// The negotiation pages: rounds convened by the mediator, the lists handed
// over in them and their conformance to the agreed approach, the planner
// that composes a stage from two lists, proposals and their threads of
// counter-proposals, and the agreements the mediator witnesses. Every page
// reads through the service, which decides what the actor sees; the pages
// only decide which buttons to offer, so that no button leads to a refusal.

func init() {
	addRoutes(negotiationRoutes)
	AddNav(NavItem{Order: 40, Key: "nav.negotiation", Href: "/rounds", Nav: "negotiation", Show: seesNegotiation})
	templateFuncs["negHas"] = func(list []string, v string) bool { return slices.Contains(list, v) }
	templateFuncs["negKey"] = func(listID string, row int) string { return negReleaseKey(listID, row) }
}

// seesNegotiation mirrors the service's negotiationScope for the menu.
func seesNegotiation(a access.Actor) bool {
	return a.Has(access.Mediator) || a.Has(access.Observer) || (a.Has(access.Officer) && a.Party != "")
}

func negotiationRoutes(s *Server) []Route {
	return []Route{
		{Method: "GET", Pattern: "/rounds", Auth: SignedIn, Summary: "Negotiation rounds, and convening one (mediator)", Handler: s.roundsPage},
		{Method: "POST", Pattern: "/rounds", Auth: SignedIn, Summary: "Convene a round", Handler: s.roundsCreate},
		{Method: "GET", Pattern: "/rounds/{id}", Auth: SignedIn, Summary: "A round: its lists, proposal threads and agreements", Handler: s.roundPage},
		{Method: "POST", Pattern: "/rounds/{id}/lists", Auth: SignedIn, Summary: "Attach a handed-over list to a round", Handler: s.roundAttach},
		{Method: "GET", Pattern: "/rounds/{id}/lists/{list}/conformance", Auth: SignedIn, Summary: "Which rows of a list do not fit the round's approach, and why", Handler: s.conformancePage},
		{Method: "GET", Pattern: "/rounds/{id}/plan", Auth: SignedIn, Summary: "The stage planner", Handler: s.plannerPage},
		{Method: "POST", Pattern: "/rounds/{id}/proposals", Auth: SignedIn, Summary: "Propose a stage", Handler: s.proposeStage},
		{Method: "GET", Pattern: "/proposals/{id}", Auth: SignedIn, Summary: "A proposal with both sides' persons and its thread", Handler: s.proposalPage},
		{Method: "POST", Pattern: "/proposals/{id}/submit", Auth: SignedIn, Summary: "Submit a draft proposal", Handler: s.proposalAnswer("submit")},
		{Method: "POST", Pattern: "/proposals/{id}/accept", Auth: SignedIn, Summary: "Accept a proposal", Handler: s.proposalAnswer("accept")},
		{Method: "POST", Pattern: "/proposals/{id}/reject", Auth: SignedIn, Summary: "Reject a proposal with reasons", Handler: s.proposalAnswer("reject")},
		{Method: "POST", Pattern: "/proposals/{id}/withdraw", Auth: SignedIn, Summary: "Withdraw a proposal", Handler: s.proposalAnswer("withdraw")},
		{Method: "POST", Pattern: "/proposals/{id}/witness", Auth: SignedIn, Summary: "Witness an accepted proposal (mediator)", Handler: s.proposalAnswer("witness")},
		{Method: "POST", Pattern: "/proposals/{id}/counter", Auth: SignedIn, Summary: "Counter a proposal with another stage", Handler: s.counterStage},
		{Method: "POST", Pattern: "/proposals/{id}/commission", Auth: SignedIn, Summary: "Record the Mixed Medical Commission's decision on a person", Handler: s.proposalCommission},
		{Method: "GET", Pattern: "/agreements/{id}", Auth: SignedIn, Summary: "An agreement: both sides' persons and its content hash", Handler: s.agreementPage},
	}
}

// --- common to the negotiation pages ----------------------------------------

// negReleaseKey names one list row in forms: "<list>:<row>".
func negReleaseKey(listID string, row int) string { return listID + ":" + strconv.Itoa(row) }

func parseReleaseKey(v string) (string, int, bool) {
	i := strings.LastIndexByte(v, ':')
	if i <= 0 {
		return "", 0, false
	}
	row, err := strconv.Atoi(v[i+1:])
	if err != nil || row < 1 {
		return "", 0, false
	}
	return v[:i], row, true
}

// negFormError sorts an error of a form's action: bad input and conflicts
// with the record's state come back to the form with the message (and, for
// a broken rule, every problem with its numbers); anything else becomes an
// error page.
type negFormError struct {
	Status   int
	Message  string
	Rule     negotiation.Rule
	Problems []negotiation.Problem
}

func negFormErr(err error) (*negFormError, bool) {
	var he *httpError
	switch {
	case errors.Is(err, service.ErrInvalid), errors.Is(err, service.ErrConflict):
	case errors.As(err, &he) && he.status == http.StatusUnprocessableEntity:
	default:
		return nil, false
	}
	status, msg := statusOf(err)
	fe := &negFormError{Status: status, Message: negPlainMessage(msg)}
	var re *negotiation.RuleError
	if errors.As(err, &re) {
		fe.Rule, fe.Problems = re.Rule, re.Problems
	}
	return fe, true
}

// negPlainMessage drops the service's sentinel prefixes ("invalid input:",
// "conflict:"), which say nothing to the person at the table.
func negPlainMessage(msg string) string {
	for {
		trimmed := strings.TrimPrefix(strings.TrimPrefix(msg, service.ErrInvalid.Error()+": "), service.ErrConflict.Error()+": ")
		if trimmed == msg {
			return msg
		}
		msg = trimmed
	}
}

// negCount is one line of a count per category.
type negCount struct {
	Code string // a category code, negotiation.NoCategory or negotiation.TotalKey
	N    int
}

// negTotalRow compares the two sides of a stage in one category.
type negTotalRow struct {
	Code string
	N    [2]int
}

// negCategoryOrder orders category codes as the catalogue does, then any
// others, then "none"; TotalKey is left out.
func negCategoryOrder(cat *category.Catalogue, codes map[string]bool) []string {
	var out []string
	for _, c := range cat.All() {
		if codes[c.Code] {
			out = append(out, c.Code)
		}
	}
	var rest []string
	for c := range codes {
		if c == negotiation.TotalKey || c == negotiation.NoCategory {
			continue
		}
		if _, ok := cat.Get(c); !ok {
			rest = append(rest, c)
		}
	}
	sort.Strings(rest)
	out = append(out, rest...)
	if codes[negotiation.NoCategory] {
		out = append(out, negotiation.NoCategory)
	}
	return out
}

// negCounts turns a count per category into ordered lines, without the total.
func negCounts(cat *category.Catalogue, m map[string]int) []negCount {
	codes := map[string]bool{}
	for k := range m {
		codes[k] = true
	}
	var out []negCount
	for _, c := range negCategoryOrder(cat, codes) {
		out = append(out, negCount{Code: c, N: m[c]})
	}
	return out
}

// negTotals lays both sides' counts per category side by side, the sum last.
func negTotals(cat *category.Catalogue, sides [2]map[string]int) []negTotalRow {
	codes := map[string]bool{}
	for _, m := range sides {
		for k := range m {
			codes[k] = true
		}
	}
	var out []negTotalRow
	for _, c := range negCategoryOrder(cat, codes) {
		out = append(out, negTotalRow{Code: c, N: [2]int{sides[0][c], sides[1][c]}})
	}
	return append(out, negTotalRow{Code: negotiation.TotalKey, N: [2]int{sides[0][negotiation.TotalKey], sides[1][negotiation.TotalKey]}})
}

// NegCategory labels a counting category, including "none" and the total.
func (l *Localizer) NegCategory(code string) string {
	switch code {
	case negotiation.NoCategory:
		return l.T("neg.category_none")
	case negotiation.TotalKey:
		return l.T("neg.total")
	}
	return l.Category(code)
}

// NegRule names a rule of exchange.
func (l *Localizer) NegRule(r negotiation.Rule) string {
	return l.TOr("neg.rule."+strings.ReplaceAll(string(r), "-", "_"), string(r))
}

// NegBasis names a legal basis; a special agreement with its name.
func (l *Localizer) NegBasis(b negotiation.LegalBasis) string {
	label := l.TOr("neg.basis."+b.Code, b.Code)
	if b.Code == negotiation.BasisSpecialAgreement && b.Agreement != "" {
		return label + " «" + b.Agreement + "»"
	}
	return label
}

// NegState names a proposal state.
func (l *Localizer) NegState(st string) string { return l.TOr("neg.state."+st, st) }

// negDate reads an optional ISO date (YYYY, YYYY-MM or YYYY-MM-DD) of a form.
func negDate(field, v string) (person.Date, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return person.Date{}, nil
	}
	d, err := person.ParseISODate(v)
	if err != nil {
		return d, &httpError{http.StatusUnprocessableEntity, fieldError(field, err)}
	}
	return d, nil
}

// fieldError is err refusing the value of an input field, in the reader's
// language when err carries a message.
func fieldError(field string, err error) error {
	e := msg.NewError(nil, "err.field", "field", msg.Enum{Kind: "svc_input", Code: field}, "reason", err)
	e.Cause = err
	return e
}

func negInt(field, v string) (int, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, unprocessable("err.web.whole_number", "field", msg.Enum{Kind: "svc_input", Code: field}, "value", v)
	}
	return n, nil
}

// negScale reads a scale of equivalents written one rank a line, as
// "sergeant = 2" or "sergeant: 2".
func negScale(text string) (map[string]float64, error) {
	out := map[string]float64{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			k, v, ok = strings.Cut(line, ":")
		}
		if !ok {
			return nil, unprocessable("err.web.scale_line", "line", msg.Plain(i+1))
		}
		w, err := strconv.ParseFloat(strings.TrimSpace(strings.ReplaceAll(v, ",", ".")), 64)
		if err != nil {
			return nil, unprocessable("err.web.scale_number", "line", msg.Plain(i+1), "value", strings.TrimSpace(v))
		}
		out[strings.TrimSpace(k)] = w
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// negFormScale writes a scale back into the form's text.
func negFormScale(m map[string]float64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s = %s\n", k, strconv.FormatFloat(m[k], 'f', -1, 64))
	}
	return b.String()
}

// --- rounds ------------------------------------------------------------------

// negRoundForm is the form that convenes a round, as entered.
type negRoundForm struct {
	Title, Venue, StartsOn, EndsOn string
	PartyA, PartyB                 string
	Participants, Notes            string
	Categories, Kinds              []string
	AgeMin, AgeMax, RefDate        string
}

type negRoundsData struct {
	Rounds     []*negotiation.Round
	Parties    map[string]string
	PartyList  []parties.Party
	CanCreate  bool
	Categories []category.Category
	Kinds      []person.Kind
	Form       negRoundForm
	Error      string
}

func (s *Server) roundsData(r *http.Request) (*negRoundsData, error) {
	actor := actorOf(r)
	rounds, err := s.svc.ListRounds(r.Context(), actor)
	if err != nil {
		return nil, err
	}
	names, ps, err := s.partyNames(r)
	if err != nil {
		return nil, err
	}
	d := &negRoundsData{Rounds: rounds, Parties: names, PartyList: ps, CanCreate: actor.CanMediate(),
		Categories: s.svc.Catalogue().All(), Kinds: person.Kinds()}
	if len(ps) >= 2 {
		d.Form.PartyA, d.Form.PartyB = ps[0].ID, ps[1].ID
	}
	return d, nil
}

func (s *Server) roundsPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.roundsData(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "rounds", s.page(w, r, "neg.rounds_title", "negotiation", d))
}

// roundRequest reads the convening form.
func roundRequest(f negRoundForm) (service.RoundRequest, error) {
	req := service.RoundRequest{Title: f.Title, Venue: strings.TrimSpace(f.Venue), Parties: [2]string{f.PartyA, f.PartyB}, Notes: strings.TrimSpace(f.Notes)}
	var err error
	if req.StartsOn, err = negDate("starts_on", f.StartsOn); err != nil {
		return req, err
	}
	if req.EndsOn, err = negDate("ends_on", f.EndsOn); err != nil {
		return req, err
	}
	for _, line := range strings.Split(f.Participants, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			req.Participants = append(req.Participants, line)
		}
	}
	var c negotiation.Criteria
	c.Categories = f.Categories
	for _, k := range f.Kinds {
		c.Kinds = append(c.Kinds, person.Kind(k))
	}
	if c.AgeMin, err = negInt("age_min", f.AgeMin); err != nil {
		return req, err
	}
	if c.AgeMax, err = negInt("age_max", f.AgeMax); err != nil {
		return req, err
	}
	if c.RefDate, err = negDate("ref_date", f.RefDate); err != nil {
		return req, err
	}
	if len(c.Categories) > 0 || len(c.Kinds) > 0 || c.AgeMin > 0 || c.AgeMax > 0 {
		req.Criteria = &c
	}
	return req, nil
}

// roundsCreate convenes a round; a refused form comes back filled in,
// with the reason.
func (s *Server) roundsCreate(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	if !actor.CanMediate() {
		return access.Forbid("deny.convene_rounds")
	}
	if err := r.ParseForm(); err != nil {
		return badRequest("err.web.read_form", "reason", err.Error())
	}
	f := negRoundForm{
		Title: r.PostForm.Get("title"), Venue: r.PostForm.Get("venue"), StartsOn: r.PostForm.Get("starts_on"), EndsOn: r.PostForm.Get("ends_on"),
		PartyA: r.PostForm.Get("party_a"), PartyB: r.PostForm.Get("party_b"), Participants: r.PostForm.Get("participants"), Notes: r.PostForm.Get("notes"),
		Categories: r.PostForm["categories"], Kinds: r.PostForm["kinds"],
		AgeMin: r.PostForm.Get("age_min"), AgeMax: r.PostForm.Get("age_max"), RefDate: r.PostForm.Get("ref_date"),
	}
	req, err := roundRequest(f)
	var round *negotiation.Round
	if err == nil {
		round, err = s.svc.CreateRound(r.Context(), actor, req)
	}
	if err == nil {
		http.Redirect(w, r, "/rounds/"+round.ID, http.StatusSeeOther)
		return nil
	}
	fe, ok := negFormErr(err)
	if !ok {
		return err
	}
	d, derr := s.roundsData(r)
	if derr != nil {
		return derr
	}
	d.Form, d.Error = f, fe.Message
	return s.render(w, r, fe.Status, "rounds", s.page(w, r, "neg.rounds_title", "negotiation", d))
}

// negThread is one chain of a proposal and its counter-proposals.
type negThread struct {
	Items []*negThreadItem
}

type negThreadItem struct {
	P      *service.ProposalView
	Totals [2][]negCount
}

type negRoundData struct {
	R          *service.RoundView
	Parties    map[string]string
	Threads    []negThread
	Attachable []*lists.List
	CanAttach  bool
	CanPropose bool
	Error      string
}

func (s *Server) roundData(r *http.Request, id string) (*negRoundData, error) {
	actor := actorOf(r)
	v, err := s.svc.GetRound(r.Context(), actor, id)
	if err != nil {
		return nil, err
	}
	names, _, err := s.partyNames(r)
	if err != nil {
		return nil, err
	}
	d := &negRoundData{R: v, Parties: names}
	d.CanPropose = actor.Has(access.Officer) && v.HasParty(actor.Party)
	d.CanAttach = actor.CanMediate() || d.CanPropose
	if d.Threads, err = s.negThreads(r, v.Proposals); err != nil {
		return nil, err
	}
	if d.CanAttach {
		attached := map[string]bool{}
		for _, rl := range v.Lists {
			attached[rl.ListID] = true
		}
		all, err := s.svc.ListLists(r.Context(), actor)
		if err != nil && !errors.Is(err, access.ErrForbidden) {
			return nil, err
		}
		for _, l := range all {
			if l.State == lists.Draft || attached[l.ID] || !v.HasParty(l.From) || !v.HasParty(l.To) {
				continue
			}
			if actor.CanMediate() || actor.CanActForParty(l.From) || actor.CanActForParty(l.To) {
				d.Attachable = append(d.Attachable, l)
			}
		}
	}
	return d, nil
}

// negThreads groups proposals into their threads, newest thread first, each
// read in full (oldest first) as far as the actor may see it.
func (s *Server) negThreads(r *http.Request, ps []*negotiation.ProposalRecord) ([]negThread, error) {
	var order []string
	first := map[string]string{}
	for _, p := range ps {
		if _, ok := first[p.ThreadID]; !ok {
			first[p.ThreadID] = p.ID
			order = append(order, p.ThreadID)
		}
	}
	var out []negThread
	for i := len(order) - 1; i >= 0; i-- {
		views, err := s.svc.ProposalThread(r.Context(), actorOf(r), first[order[i]])
		if err != nil {
			return nil, err
		}
		var t negThread
		for _, v := range views {
			t.Items = append(t.Items, &negThreadItem{P: v, Totals: [2][]negCount{
				negCounts(s.svc.Catalogue(), withoutTotal(v.Totals[0])), negCounts(s.svc.Catalogue(), withoutTotal(v.Totals[1]))}})
		}
		out = append(out, t)
	}
	return out, nil
}

func withoutTotal(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		if k != negotiation.TotalKey {
			out[k] = v
		}
	}
	return out
}

func (s *Server) roundPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.roundData(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	p := s.page(w, r, "neg.round_title", "negotiation", d)
	p.Title = d.R.Title
	return s.render(w, r, http.StatusOK, "round", p)
}

func (s *Server) roundAttach(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	_, err := s.svc.AttachList(r.Context(), actorOf(r), id, strings.TrimSpace(r.PostFormValue("list_id")))
	if err == nil {
		http.Redirect(w, r, "/rounds/"+id+"#lists", http.StatusSeeOther)
		return nil
	}
	fe, ok := negFormErr(err)
	if !ok {
		return err
	}
	d, derr := s.roundData(r, id)
	if derr != nil {
		return derr
	}
	d.Error = fe.Message
	p := s.page(w, r, "neg.round_title", "negotiation", d)
	p.Title = d.R.Title
	return s.render(w, r, fe.Status, "round", p)
}

type negConformanceData struct {
	Round   *service.RoundView
	Report  *service.ConformanceReport
	Parties map[string]string
	Entries map[int]*lists.Entry // by row, for the Latin names
	List    *lists.List
}

func (s *Server) conformancePage(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	v, err := s.svc.GetRound(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	rep, err := s.svc.ConformanceReport(r.Context(), actor, v.ID, r.PathValue("list"))
	if err != nil {
		return err
	}
	l, err := s.svc.GetList(r.Context(), actor, rep.ListID)
	if err != nil {
		return err
	}
	names, _, err := s.partyNames(r)
	if err != nil {
		return err
	}
	d := &negConformanceData{Round: v, Report: rep, Parties: names, List: l, Entries: map[int]*lists.Entry{}}
	for i := range l.Entries {
		d.Entries[l.Entries[i].Row] = &l.Entries[i]
	}
	return s.render(w, r, http.StatusOK, "conformance", s.page(w, r, "neg.conformance_title", "negotiation", d))
}

// --- planner -----------------------------------------------------------------

// negPlanForm is the planner's form: the plan's parameters and, once a plan
// is shown, the rows ticked for the proposal.
type negPlanForm struct {
	ListA, ListB string // the lists of the round's first and second party
	Rule         string
	Categories   []string
	Capacity     string
	Priority     [3]string
	RefDate      string
	Scale        string
	Together     bool
	Art110       []string
	Date, Note   string
	Draft        bool
	Counter      string
	// Picked holds the ticked rows after a refused proposal; nil means as
	// the planner chose.
	Picked map[string]bool
}

func readPlanForm(v url.Values) negPlanForm {
	f := negPlanForm{
		ListA: v.Get("list_a"), ListB: v.Get("list_b"), Rule: v.Get("rule"), Categories: v["categories"],
		Capacity: v.Get("capacity"), RefDate: v.Get("ref_date"), Scale: v.Get("scale"), Together: isTrue(v.Get("together")),
		Art110: v["art110"], Date: v.Get("date"), Note: v.Get("note"), Draft: isTrue(v.Get("draft")), Counter: v.Get("counter"),
	}
	for i, p := range v["priority"] {
		if i < len(f.Priority) {
			f.Priority[i] = p
		}
	}
	if _, ok := v["release"]; ok {
		f.Picked = map[string]bool{}
		for _, k := range v["release"] {
			f.Picked[k] = true
		}
	}
	return f
}

// planRequest builds the planner's request from the form.
func (f negPlanForm) planRequest() (service.PlanRequest, error) {
	req := service.PlanRequest{ListIDs: [2]string{f.ListA, f.ListB}, Rule: negotiation.Rule(f.Rule), Categories: f.Categories, CountKindsTogether: f.Together}
	var err error
	if req.Capacity, err = negInt("capacity", f.Capacity); err != nil {
		return req, err
	}
	if req.RefDate, err = negDate("ref_date", f.RefDate); err != nil {
		return req, err
	}
	if req.Scale, err = negScale(f.Scale); err != nil {
		return req, err
	}
	for _, p := range f.Priority {
		if p != "" && !slices.Contains(req.Priority, p) {
			req.Priority = append(req.Priority, p)
		}
	}
	return req, nil
}

type negPlanRow struct {
	negotiation.Decision
	Key     string
	Entry   *lists.Entry // nil when the list row could not be read
	Checked bool
}

type negPlanSide struct {
	Party    string
	ListID   string
	Released []negPlanRow
	LeftOut  []negPlanRow
}

type negPlannerData struct {
	Round      *service.RoundView
	Parties    map[string]string
	Choices    [2][]*lists.List // handed-over lists of each party of the round to the other
	Form       negPlanForm
	Rules      []negotiation.Rule
	Categories []category.Category
	Priorities []string
	Plan       *negotiation.StagePlan
	Sides      []negPlanSide
	Totals     []negTotalRow
	Counter    *service.ProposalView
	CanPropose bool
	Action     string // where the proposal form posts
	Error      *negFormError
}

func (s *Server) plannerData(r *http.Request, roundID string, f negPlanForm, run bool) (*negPlannerData, error) {
	actor := actorOf(r)
	v, err := s.svc.GetRound(r.Context(), actor, roundID)
	if err != nil {
		return nil, err
	}
	names, _, err := s.partyNames(r)
	if err != nil {
		return nil, err
	}
	d := &negPlannerData{Round: v, Parties: names, Form: f, Rules: negotiation.Rules(), Categories: s.svc.Catalogue().All(),
		Priorities: []string{negotiation.PriorityMedical, negotiation.PriorityYoungest, negotiation.PriorityLongestCaptivity, negotiation.PriorityRow}}
	d.Action = "/rounds/" + v.ID + "/proposals"
	d.CanPropose = actor.Has(access.Officer) && v.HasParty(actor.Party)
	if f.Counter != "" {
		if d.Counter, err = s.svc.GetProposal(r.Context(), actor, f.Counter); err != nil {
			return nil, err
		}
		if d.Counter.RoundID != v.ID {
			return nil, fmt.Errorf("proposal %s in round %s: %w", f.Counter, v.ID, service.ErrNotFound)
		}
		d.Action = "/proposals/" + d.Counter.ID + "/counter"
		d.CanPropose = actor.Has(access.Officer) && actor.CanActForParty(d.Counter.To) && d.Counter.State == string(negotiation.Submitted)
	}
	all, err := s.svc.ListLists(r.Context(), actor)
	if err != nil && !errors.Is(err, access.ErrForbidden) {
		return nil, err
	}
	attached := map[string]bool{}
	for _, rl := range v.Lists {
		attached[rl.ListID] = true
	}
	for i, p := range v.Parties {
		other := v.Parties[1-i]
		for _, l := range all {
			if l.State != lists.Draft && l.From == p && l.To == other {
				d.Choices[i] = append(d.Choices[i], l)
			}
		}
		// Lists attached to the round first, then the newest.
		sort.SliceStable(d.Choices[i], func(x, y int) bool {
			a, b := d.Choices[i][x], d.Choices[i][y]
			if attached[a.ID] != attached[b.ID] {
				return attached[a.ID]
			}
			return a.CreatedAt.After(b.CreatedAt)
		})
	}
	if d.Form.ListA == "" && len(d.Choices[0]) > 0 {
		d.Form.ListA = d.Choices[0][0].ID
	}
	if d.Form.ListB == "" && len(d.Choices[1]) > 0 {
		d.Form.ListB = d.Choices[1][0].ID
	}
	if d.Form.Rule == "" {
		d.Form.Rule = string(negotiation.OneForOne)
	}
	if d.Form.RefDate == "" && v.Criteria != nil && v.Criteria.RefDate.Complete() {
		// The day a proposal takes ages on by default: the plan counts
		// youth as the proposal will.
		d.Form.RefDate = v.Criteria.RefDate.String()
	}
	if d.Form.Priority == [3]string{} {
		copy(d.Form.Priority[:], negotiation.DefaultPriority())
	}
	if !run {
		return d, nil
	}
	req, err := d.Form.planRequest()
	if err == nil {
		d.Plan, err = s.svc.PlanStage(r.Context(), actor, req)
	}
	if err != nil {
		fe, ok := negFormErr(err)
		if !ok {
			return nil, err
		}
		d.Error = fe
		return d, nil
	}
	return d, s.fillPlan(r, d)
}

// fillPlan joins the plan's decisions with the list rows, so that the
// planner shows names in both scripts, and ticks the rows to propose.
func (s *Server) fillPlan(r *http.Request, d *negPlannerData) error {
	entries := map[string]*lists.Entry{}
	for _, id := range []string{d.Form.ListA, d.Form.ListB} {
		l, err := s.svc.GetList(r.Context(), actorOf(r), id)
		if err != nil {
			return err
		}
		for i := range l.Entries {
			e := &l.Entries[i]
			entries[negReleaseKey(l.ID, e.Row)] = e
		}
	}
	var totals [2]map[string]int
	for i, side := range d.Plan.Sides {
		ps := negPlanSide{Party: side.Party}
		if len(side.Released) > 0 {
			ps.ListID = side.Released[0].ListID
		} else if len(side.LeftOut) > 0 {
			ps.ListID = side.LeftOut[0].ListID
		}
		row := func(dec negotiation.Decision, planned bool) negPlanRow {
			k := negReleaseKey(dec.ListID, dec.Row)
			checked := planned
			if d.Form.Picked != nil {
				checked = d.Form.Picked[k]
			}
			return negPlanRow{Decision: dec, Key: k, Entry: entries[k], Checked: checked}
		}
		for _, dec := range side.Released {
			ps.Released = append(ps.Released, row(dec, true))
		}
		for _, dec := range side.LeftOut {
			ps.LeftOut = append(ps.LeftOut, row(dec, false))
		}
		d.Sides = append(d.Sides, ps)
		if i < 2 {
			totals[i] = side.Totals
		}
	}
	d.Totals = negTotals(s.svc.Catalogue(), totals)
	return nil
}

func (s *Server) plannerPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := readPlanForm(q)
	run := q.Get("list_a") != "" && q.Get("list_b") != ""
	d, err := s.plannerData(r, r.PathValue("id"), f, run)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if d.Error != nil {
		status = d.Error.Status
	}
	return s.render(w, r, status, "planner", s.page(w, r, "neg.planner_title", "negotiation", d))
}

// proposalRequest builds a proposal from the planner's form: the terms of
// the plan and the ticked rows.
func (f negPlanForm) proposalRequest(roundID string) (service.ProposalRequest, error) {
	plan, err := f.planRequest()
	if err != nil {
		return service.ProposalRequest{}, err
	}
	req := service.ProposalRequest{RoundID: roundID, Terms: negotiation.Terms{Rule: plan.Rule, Categories: plan.Categories, Scale: plan.Scale,
		Capacity: plan.Capacity, CountKindsTogether: plan.CountKindsTogether}, RefDate: plan.RefDate, Art110Categories: f.Art110,
		Note: f.Note, Draft: f.Draft}
	if req.Date, err = negDate("date", f.Date); err != nil {
		return req, err
	}
	keys := make([]string, 0, len(f.Picked))
	for k := range f.Picked {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		list, row, ok := parseReleaseKey(k)
		if !ok {
			return req, badRequest("err.web.release_key", "value", k)
		}
		req.Releases = append(req.Releases, service.ReleaseRef{ListID: list, Row: row})
	}
	return req, nil
}

func (s *Server) proposeStage(w http.ResponseWriter, r *http.Request) error {
	return s.submitStage(w, r, r.PathValue("id"), "")
}

func (s *Server) counterStage(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	if !actor.Has(access.Officer) || actor.Party == "" {
		// As the service would: who acts for no party is refused before
		// anything is read.
		return access.Forbid("deny.only_officers_act")
	}
	orig, err := s.svc.GetProposal(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.submitStage(w, r, orig.RoundID, orig.ID)
}

// submitStage proposes (or counters with) the rows ticked in the planner.
// A stage that breaks its rule comes back to the planner with every
// problem spelled out with its numbers, and the ticks as they were.
func (s *Server) submitStage(w http.ResponseWriter, r *http.Request, roundID, counter string) error {
	actor := actorOf(r)
	if err := r.ParseForm(); err != nil {
		return badRequest("err.web.read_form", "reason", err.Error())
	}
	f := readPlanForm(r.PostForm)
	f.Counter = counter
	if f.Picked == nil {
		f.Picked = map[string]bool{}
	}
	req, err := f.proposalRequest(roundID)
	var v *service.ProposalView
	if err == nil {
		if counter != "" {
			req.Draft = false
			v, err = s.svc.CounterProposal(r.Context(), actor, counter, req)
		} else {
			v, err = s.svc.SubmitProposal(r.Context(), actor, req)
		}
	}
	if err == nil {
		http.Redirect(w, r, "/proposals/"+v.ID, http.StatusSeeOther)
		return nil
	}
	fe, ok := negFormErr(err)
	if !ok {
		return err
	}
	d, derr := s.plannerData(r, roundID, f, f.ListA != "" && f.ListB != "")
	if derr != nil {
		return derr
	}
	d.Error = fe
	return s.render(w, r, fe.Status, "planner", s.page(w, r, "neg.planner_title", "negotiation", d))
}

// --- proposals ---------------------------------------------------------------

// negCheck is the result of checking a stage against its rule, for display.
type negCheck struct {
	OK       bool
	Message  string
	Problems []negotiation.Problem
	Counts   [2]int
}

func negCheckStage(st negotiation.Stage, cat *category.Catalogue) negCheck {
	c := negCheck{Counts: [2]int{len(st.Sides[0].Releases), len(st.Sides[1].Releases)}}
	err := negotiation.Check(st, cat)
	if err == nil {
		c.OK = true
		return c
	}
	c.Message = err.Error()
	var re *negotiation.RuleError
	if errors.As(err, &re) {
		c.Problems = re.Problems
	}
	return c
}

type negProposalData struct {
	P             *service.ProposalView
	Round         *service.RoundView
	Parties       map[string]string
	Thread        []*negThreadItem
	Totals        []negTotalRow
	Check         negCheck
	CanAnswer     bool // accept, reject, counter
	CanWithdraw   bool
	CanSubmit     bool
	CanWitness    bool
	CanCommission bool
	CounterURL    string
	Art110        []negotiation.Release
	Decisions     []negotiation.CommissionDecision
	Reasons       string
	Error         *negFormError
}

func (s *Server) proposalData(r *http.Request, id string) (*negProposalData, error) {
	actor := actorOf(r)
	v, err := s.svc.GetProposal(r.Context(), actor, id)
	if err != nil {
		return nil, err
	}
	round, err := s.svc.GetRound(r.Context(), actor, v.RoundID)
	if err != nil {
		return nil, err
	}
	thread, err := s.svc.ProposalThread(r.Context(), actor, id)
	if err != nil {
		return nil, err
	}
	names, _, err := s.partyNames(r)
	if err != nil {
		return nil, err
	}
	cat := s.svc.Catalogue()
	d := &negProposalData{P: v, Round: round, Parties: names, Totals: negTotals(cat, v.Totals),
		Decisions: []negotiation.CommissionDecision{negotiation.Repatriate, negotiation.Reject, negotiation.Reexamine}}
	for _, t := range thread {
		d.Thread = append(d.Thread, &negThreadItem{P: t, Totals: [2][]negCount{negCounts(cat, withoutTotal(t.Totals[0])), negCounts(cat, withoutTotal(t.Totals[1]))}})
	}
	d.Check = negCheckStage(negotiation.Stage{Terms: v.Terms, Sides: v.Sides}, cat)
	officer := actor.Has(access.Officer)
	st := v.State
	d.CanAnswer = officer && actor.CanActForParty(v.To) && st == string(negotiation.Submitted)
	d.CanWithdraw = officer && actor.CanActForParty(v.From) && (st == string(negotiation.Submitted) || st == string(negotiation.Accepted) || st == negotiation.ProposalDraft)
	d.CanSubmit = officer && actor.CanActForParty(v.From) && st == negotiation.ProposalDraft
	d.CanWitness = actor.CanMediate() && st == string(negotiation.Accepted)
	for _, side := range v.Sides {
		for _, rel := range side.Releases {
			if rel.LegalBasis.Code == negotiation.BasisArt110 {
				d.Art110 = append(d.Art110, rel)
			}
		}
	}
	d.CanCommission = (actor.CanObserve() || actor.CanMediate()) && st != negotiation.ProposalDraft && len(d.Art110) > 0
	if d.CanAnswer {
		q := url.Values{"counter": {v.ID}, "rule": {string(v.Terms.Rule)}, "categories": v.Terms.Categories, "list_a": {""}, "list_b": {""}}
		if v.Terms.Capacity > 0 {
			q.Set("capacity", strconv.Itoa(v.Terms.Capacity))
		}
		if len(v.Terms.Scale) > 0 {
			q.Set("scale", negFormScale(v.Terms.Scale))
		}
		if v.Terms.CountKindsTogether {
			q.Set("together", "on")
		}
		if !v.RefDate.IsZero() {
			q.Set("ref_date", v.RefDate.String())
		}
		for _, side := range v.Sides {
			if len(side.Releases) == 0 {
				continue
			}
			field := "list_a"
			if side.Party == round.Parties[1] {
				field = "list_b"
			}
			q.Set(field, side.Releases[0].ListID)
		}
		if q.Get("list_a") == "" || q.Get("list_b") == "" {
			q.Del("list_a")
			q.Del("list_b")
		}
		d.CounterURL = "/rounds/" + v.RoundID + "/plan?" + q.Encode()
	}
	return d, nil
}

func (s *Server) proposalPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.proposalData(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.renderProposal(w, r, http.StatusOK, d)
}

func (s *Server) renderProposal(w http.ResponseWriter, r *http.Request, status int, d *negProposalData) error {
	p := s.page(w, r, "neg.proposal_title", "negotiation", d)
	p.Title = p.L.T("neg.proposal_heading", d.P.ID)
	return s.render(w, r, status, "proposal", p)
}

// proposalAnswer handles the buttons of the proposal page. A refusal of the
// state machine or bad input comes back to the page with the reason.
func (s *Server) proposalAnswer(verb string) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		actor := actorOf(r)
		id := r.PathValue("id")
		ctx := r.Context()
		var err error
		next := "/proposals/" + id
		reasons := r.PostFormValue("reasons")
		switch verb {
		case "submit":
			_, err = s.svc.SubmitDraft(ctx, actor, id)
		case "accept":
			_, err = s.svc.AcceptProposal(ctx, actor, id, "")
		case "reject":
			_, err = s.svc.RejectProposal(ctx, actor, id, "", reasons)
		case "withdraw":
			_, err = s.svc.WithdrawProposal(ctx, actor, id, "")
		case "witness":
			var a *service.AgreementView
			if a, err = s.svc.WitnessProposal(ctx, actor, id); err == nil {
				next = "/agreements/" + a.ID
			}
		}
		if err == nil {
			http.Redirect(w, r, next, http.StatusSeeOther)
			return nil
		}
		return s.proposalFormError(w, r, id, err, reasons)
	}
}

func (s *Server) proposalFormError(w http.ResponseWriter, r *http.Request, id string, err error, reasons string) error {
	fe, ok := negFormErr(err)
	if !ok {
		return err
	}
	d, derr := s.proposalData(r, id)
	if derr != nil {
		return derr
	}
	d.Error, d.Reasons = fe, reasons
	return s.renderProposal(w, r, fe.Status, d)
}

func (s *Server) proposalCommission(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	req := service.CommissionRequest{ProposalID: id, Outcome: negotiation.CommissionOutcome{Decision: negotiation.CommissionDecision(r.PostFormValue("decision"))}}
	var err error
	list, row, ok := parseReleaseKey(r.PostFormValue("release"))
	if !ok {
		err = unprocessable("err.web.commission_person")
	}
	req.ListID, req.Row = list, row
	if err == nil {
		req.Outcome.DecidedOn, err = negDate("decided_on", r.PostFormValue("decided_on"))
	}
	if err == nil {
		req.Outcome.ReexamineOn, err = negDate("reexamine_on", r.PostFormValue("reexamine_on"))
	}
	if err == nil {
		_, err = s.svc.RecordCommissionOutcome(r.Context(), actorOf(r), req)
	}
	if err == nil {
		http.Redirect(w, r, "/proposals/"+id+"#commission", http.StatusSeeOther)
		return nil
	}
	return s.proposalFormError(w, r, id, err, "")
}

// --- agreements --------------------------------------------------------------

type negAgreementData struct {
	A          *service.AgreementView
	Parties    map[string]string
	Totals     []negTotalRow
	HashFormat string
}

func (s *Server) agreementPage(w http.ResponseWriter, r *http.Request) error {
	a, err := s.svc.GetAgreement(r.Context(), actorOf(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	names, _, err := s.partyNames(r)
	if err != nil {
		return err
	}
	d := &negAgreementData{A: a, Parties: names, Totals: negTotals(s.svc.Catalogue(), a.Totals), HashFormat: service.AgreementHashFormat}
	p := s.page(w, r, "neg.agreement_title", "negotiation", d)
	p.Title = p.L.T("neg.agreement_heading", a.ID)
	return s.render(w, r, http.StatusOK, "agreement", p)
}

// Views handed to the partials of templates/partials/negotiation.html.
type negThreadView struct {
	L       *Localizer
	Items   []*negThreadItem
	Parties map[string]string
	Current string
}

type negTotalsView struct {
	L       *Localizer
	Rows    []negTotalRow
	Parties map[string]string
	Sides   [2]string
}

type negReleasesView struct {
	L    *Localizer
	Side negotiation.SideRelease
}

type negProblemsView struct {
	L *Localizer
	E *negFormError
}

func init() {
	templateFuncs["negThreadView"] = func(l *Localizer, items []*negThreadItem, parties map[string]string, current string) negThreadView {
		return negThreadView{L: l, Items: items, Parties: parties, Current: current}
	}
	templateFuncs["negTotalsView"] = func(l *Localizer, rows []negTotalRow, parties map[string]string, a, b string) negTotalsView {
		return negTotalsView{L: l, Rows: rows, Parties: parties, Sides: [2]string{a, b}}
	}
	templateFuncs["negReleasesView"] = func(l *Localizer, side negotiation.SideRelease) negReleasesView {
		return negReleasesView{L: l, Side: side}
	}
	templateFuncs["negProblemsView"] = func(l *Localizer, e *negFormError) negProblemsView {
		return negProblemsView{L: l, E: e}
	}
}

// NegBracket words an age bracket of a round's criteria; 0 is no bound.
func (l *Localizer) NegBracket(lo, hi int) string {
	switch {
	case lo > 0 && hi > 0:
		return l.T("neg.age_between", lo, hi)
	case lo > 0:
		return l.T("neg.age_from", lo)
	case hi > 0:
		return l.T("neg.age_upto", hi)
	}
	return ""
}

// NegDetails words what identifies a person besides his name: the kind
// when not a prisoner of war, date of birth, rank, service number, grave.
func (l *Localizer) NegDetails(p person.Person) string {
	var parts []string
	if p.Kind != "" && p.Kind != person.KindPOW {
		parts = append(parts, l.Key("kind", p.Kind))
	}
	for _, s := range []string{l.PDate(p.BirthDate), p.Rank, p.ServiceNumber} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if p.GraveID != "" {
		parts = append(parts, l.T("handover.grave", p.GraveID))
	}
	return strings.Join(parts, " · ")
}

// NegCriteria words a round's agreed approach: the categories, or the age
// bracket on its reference date, and the kinds it covers.
func (l *Localizer) NegCriteria(c *negotiation.Criteria) string {
	if c == nil {
		return l.T("neg.criteria_none")
	}
	var parts []string
	if len(c.Categories) > 0 {
		parts = append(parts, l.Categories(c.Categories))
	}
	if b := l.NegBracket(c.AgeMin, c.AgeMax); b != "" {
		if !c.RefDate.IsZero() {
			b += " (" + l.T("neg.on_date", l.PDate(c.RefDate)) + ")"
		}
		parts = append(parts, b)
	}
	out := strings.Join(parts, "; ")
	if len(c.Kinds) > 0 {
		kinds := make([]string, len(c.Kinds))
		for i, k := range c.Kinds {
			kinds[i] = l.Key("kind", k)
		}
		if out != "" {
			out += " · "
		}
		out += strings.Join(kinds, ", ")
	}
	if out == "" {
		return l.T("neg.criteria_everyone")
	}
	return out
}
