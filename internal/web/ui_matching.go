package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"parley/internal/access"
	"parley/internal/lists"
	"parley/internal/matching"
	"parley/internal/msg"
	"parley/internal/service"
)

// The match-review pages: the officers of the party that received a list
// match it against their own registry of missing people, review every
// proposed identity, and see who in their registry, believed captured, is
// missing from the list — the question their negotiators will ask first.
// The registry never leaves its party, so these pages are for officers only
// and every read goes through the service, which checks the party and
// records the access.

func init() {
	addRoutes(matchingRoutes)
	AddNav(NavItem{Order: 25, Key: "nav.matching", Href: "/matches", Nav: "matching", Show: matchOfficer})
	AddNav(NavItem{Order: 30, Key: "nav.family_review", Href: "/family-links", Nav: "family_review", Show: matchOfficer})
}

func matchOfficer(a access.Actor) bool { return a.Has(access.Officer) && a.Party != "" }

func matchingRoutes(s *Server) []Route {
	officers := []access.Role{access.Officer}
	return []Route{
		{Method: "GET", Pattern: "/matches", Auth: SignedIn, Roles: officers, Summary: "Received lists and their matching runs", Handler: s.matchesPage},
		{Method: "POST", Pattern: "/lists/{id}/matches", Auth: SignedIn, Roles: officers, Summary: "Match a received list against the party's registry", Handler: s.matchStart},
		{Method: "GET", Pattern: "/match-runs/{id}", Auth: SignedIn, Roles: officers, Summary: "Review a matching run", Handler: s.matchRunPage},
		{Method: "POST", Pattern: "/match-runs/{id}/rows/{row}/review", Auth: SignedIn, Roles: officers, Summary: "Confirm or reject one proposed identity", Handler: s.matchReview},
		{Method: "POST", Pattern: "/match-runs/{id}/confirm-all-matches", Auth: SignedIn, Roles: officers, Summary: "Confirm every pending match above the run's threshold", Handler: s.matchConfirmAll},
		{Method: "GET", Pattern: "/match-runs/{id}/export", Auth: SignedIn, Roles: officers, Summary: "Download a run's rows as searched, filtered and sorted on its page (CSV or XLSX in the page's language, or PDF)", Handler: s.matchRunExport},
		{Method: "GET", Pattern: "/match-runs/{id}/left-off", Auth: SignedIn, Roles: officers, Summary: "Registry persons believed captured whom the list leaves off", Handler: s.leftOffPage},
	}
}

// Decisions and review states, in the order the pages show them.
var (
	matchDecisions = []string{"match", "review", "none"}
	reviewStates   = []string{"pending", "confirmed", "rejected"}
)

// matchPageSize is the number of rows on one page of a run: enough to
// review in one sitting, few enough for a tablet to render at once.
const matchPageSize = 100

// matchCandidate is one registry record the matcher considered for a
// list row.
type matchCandidate struct {
	ID    string  `json:"registry_id"`
	Score float64 `json:"score"`
}

// parseCandidates reads a row's candidates (see matching.CandidateList), best
// first. Malformed pairs are skipped: the list is advice, and the proposed
// record is stored separately.
func parseCandidates(s string) []matchCandidate {
	var out []matchCandidate
	for _, c := range matching.CandidateList(s) {
		out = append(out, matchCandidate{ID: c.ID, Score: c.Score})
	}
	return out
}

// matchFilter selects rows of a run by decision and review state and by
// the search box, and orders them; empty fields select all, in row order.
type matchFilter struct {
	Decision, Review string
	Search           string
	Sort             string // one of service.MatchRowSorts; "" is by row
	Desc             bool
}

// query is the service's question for this filter.
func (f matchFilter) query() service.MatchRowQuery {
	return service.MatchRowQuery{Search: f.Search, Decision: f.Decision, Review: f.Review, Sort: f.Sort, Desc: f.Desc}
}

// Filtered reports whether the search box or a filter narrows the rows.
func (f matchFilter) Filtered() bool { return f.Decision != "" || f.Review != "" || f.Search != "" }

// SortMark is the arrow of a sorted column header ("" when unsorted); the
// column "row" is the order when no sort is asked for.
func (f matchFilter) SortMark(col string) string {
	return tableFilter{TableQuery: service.TableQuery{Sort: f.Sort, Desc: f.Desc}}.SortMark(col)
}

// readMatchFilter takes the filter from a query. strict refuses unknown
// values (the API), naming the parameter and the values it takes;
// otherwise they are ignored (a hand-edited address).
func readMatchFilter(q url.Values, strict bool) (matchFilter, error) {
	f := matchFilter{Decision: strings.TrimSpace(q.Get("decision")), Review: strings.TrimSpace(q.Get("review")),
		Search: strings.TrimSpace(q.Get("q")), Sort: q.Get("sort")}
	dir := q.Get("dir")
	for _, c := range []struct {
		param   string
		v       *string
		allowed []string
	}{{"decision", &f.Decision, matchDecisions}, {"review", &f.Review, reviewStates}, {"sort", &f.Sort, service.MatchRowSorts}, {"dir", &dir, sortDirections}} {
		if *c.v == "" || slices.Contains(c.allowed, *c.v) {
			continue
		}
		if strict {
			return f, badRequest("err.web.param_choice", "param", msg.Raw(c.param), "value", msg.Raw(*c.v), "choices", msg.Raw(strings.Join(c.allowed, ", ")))
		}
		*c.v = ""
	}
	if f.Sort == "row" {
		f.Sort = ""
	}
	f.Desc = dir == "desc"
	return f, nil
}

// sortDirections are the values of a table's "dir".
var sortDirections = []string{"asc", "desc"}

// queryNumber reads a whole-number parameter of the API, from lo to hi
// (hi 0: no bound), and whether it was given.
func queryNumber(q url.Values, param string, lo, hi int) (int, bool, error) {
	v := strings.TrimSpace(q.Get(param))
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.Atoi(v)
	if err == nil && n >= lo && (hi == 0 || n <= hi) {
		return n, true, nil
	}
	if hi == 0 {
		return 0, true, badRequest("err.web.param_number_min", "param", msg.Raw(param), "value", msg.Raw(v), "min", msg.Plain(lo))
	}
	return 0, true, badRequest("err.web.param_number", "param", msg.Raw(param), "value", msg.Raw(v), "min", msg.Plain(lo), "max", msg.Plain(hi))
}

// receivedLists returns the handed-over lists addressed to the actor's
// party, which it may match against its registry, and all list headers
// the actor sees, by id.
func (s *Server) receivedLists(r *http.Request) ([]*lists.List, map[string]*lists.List, error) {
	actor := actorOf(r)
	all, err := s.svc.ListLists(r.Context(), actor)
	if err != nil {
		return nil, nil, err
	}
	byID := map[string]*lists.List{}
	var out []*lists.List
	for _, l := range all {
		byID[l.ID] = l
		if l.To == actor.Party && l.State != lists.Draft {
			out = append(out, l)
		}
	}
	return out, byID, nil
}

type matchesData struct {
	Received []*lists.List
	Lists    map[string]*lists.List
	Runs     []*matching.Run
	RunsOf   map[string][]*matching.Run // by list id
	Parties  map[string]string
	Error    string
}

func (s *Server) matchesData(r *http.Request) (*matchesData, error) {
	actor := actorOf(r)
	d := &matchesData{RunsOf: map[string][]*matching.Run{}}
	var err error
	if d.Parties, _, err = s.partyNames(r); err != nil {
		return nil, err
	}
	if d.Received, d.Lists, err = s.receivedLists(r); err != nil {
		return nil, err
	}
	if d.Runs, err = s.svc.MatchRuns(r.Context(), actor, actor.Party, ""); err != nil {
		return nil, err
	}
	for _, run := range d.Runs {
		d.RunsOf[run.ListID] = append(d.RunsOf[run.ListID], run)
	}
	return d, nil
}

func (s *Server) matchesPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.matchesData(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "matches", s.page(w, r, "matches.title", "matching", d))
}

// matchStart runs the matching and leads to the new run. When the run
// cannot start (no registry yet, a list not handed over) the officer sees
// why on the same page.
func (s *Server) matchStart(w http.ResponseWriter, r *http.Request) error {
	run, err := s.svc.RunMatching(r.Context(), actorOf(r), service.MatchRequest{ListID: r.PathValue("id")})
	if err == nil {
		http.Redirect(w, r, "/match-runs/"+url.PathEscape(run.ID), http.StatusSeeOther)
		return nil
	}
	status := http.StatusUnprocessableEntity
	switch {
	case errors.Is(err, service.ErrInvalid):
	case errors.Is(err, service.ErrConflict):
		status = http.StatusConflict
	default:
		return err
	}
	d, derr := s.matchesData(r)
	if derr != nil {
		return derr
	}
	_, d.Error = s.errText(r, err)
	return s.render(w, r, status, "matches", s.page(w, r, "matches.title", "matching", d))
}

// decisionBar is one bar of the decision chart, laid out on the server so that
// the page needs neither script nor inline style.
type decisionBar struct {
	Key          string // decision
	Label        string
	Count        int
	Y, Width     int
	TextY        int
	CountX       int
	Fill         string
	Href         string
	CountLabel   string
	AccessibleAs string
}

// decisionChart is a horizontal bar chart of the run's match, review and
// none counts.
type decisionChart struct {
	Width, Height int
	BarX          int
	Bars          []decisionBar
	Summary       string
}

// Bar colours: the workbench's accent green, warning amber and neutral
// grey, each with AA contrast against white for the labels beside them.
var decisionFill = map[string]string{"match": "#0b6e4f", "review": "#9a5b00", "none": "#6b7480"}

func newDecisionChart(l *Localizer, run *matching.Run, link func(decision string) string) decisionChart {
	counts := map[string]int{"match": run.Matched, "review": run.Review, "none": run.Unmatched}
	const barH, gap, labelW, chartW, countW = 26, 12, 150, 560, 60
	c := decisionChart{Width: chartW, BarX: labelW}
	most := max(run.Matched, run.Review, run.Unmatched, 1)
	var parts []string
	for i, k := range matchDecisions {
		n := counts[k]
		b := decisionBar{Key: k, Label: l.Key("match.decision", k), Count: n, Fill: decisionFill[k], Href: link(k), CountLabel: l.Num(n)}
		b.Y = gap/2 + i*(barH+gap)
		b.TextY = b.Y + barH/2 + 5
		b.Width = n * (chartW - labelW - countW) / most
		if n > 0 {
			b.Width = max(b.Width, 2)
		}
		b.CountX = labelW + b.Width + 8
		b.AccessibleAs = b.Label + ": " + b.CountLabel
		parts = append(parts, b.AccessibleAs)
		c.Bars = append(c.Bars, b)
	}
	c.Height = len(matchDecisions)*(barH+gap) + gap/2
	c.Summary = strings.Join(parts, ", ")
	return c
}

// matchCandidateView is another registry person the officer may pick instead.
type matchCandidateView struct {
	ID        string
	ScoreText string
	Entry     *lists.Entry // nil when the registry no longer holds the record
}

// matchRowView is one row of the run page.
type matchRowView struct {
	service.MatchRowDetail
	ScoreText  string
	Shown      string // the registry record the result currently stands for
	Others     []matchCandidateView
	BadgeClass string
	ReasonText string // why a review is pending again
}

type matchRunData struct {
	L           *Localizer
	Run         *matching.Run
	List        *lists.List // header; nil if the officer no longer sees it
	Parties     map[string]string
	Rows        []matchRowView
	Filter      matchFilter
	Shown       int // rows after filtering
	First, Last int // the rows of this page, from 1 (0 when none)
	Total       int
	ReviewCount map[string]int
	Page, Pages int
	PrevPage    int
	NextPage    int
	Chart       decisionChart
	Decisions   []string
	States      []string
	Done        string // message key after a review
	Search      service.Search
	Print       bool // the print view: every filtered row on one page
	Confirmable int  // pending results above the match threshold
}

// reviewReasonText says in the reader's language why a review is pending
// again.
func reviewReasonText(l *Localizer, code string, p map[string]string) string {
	side := p["side"]
	switch side {
	case "list":
		side = l.T("identity.side_list")
	case "registry":
		side = l.T("identity.side_registry")
	}
	switch code {
	case "dob_changed":
		return l.T("identity.reason_dob_changed", side, p["from"], p["to"])
	case "name_changed":
		return l.T("identity.reason_name_changed", side, p["from"], p["to"])
	case "record_changed":
		return l.T("identity.reason_record_changed", side, p["fields"])
	case "registry_removed":
		return l.T("identity.reason_registry_removed", p["version"])
	}
	return code
}

// matchPersonCell is an entry with what the page shows beside the name.
type matchPersonCell struct {
	E       *lists.Entry
	Details string // date of birth, service number, rank
}

// Cell prepares an entry for the "match_person" template.
func (d *matchRunData) Cell(e *lists.Entry) matchPersonCell {
	var parts []string
	for _, s := range []string{d.L.PDate(e.BirthDate), e.ServiceNumber, e.Rank} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return matchPersonCell{E: e, Details: strings.Join(parts, " · ")}
}

// Link returns the address of the run page with a decision, a review
// state and a page, keeping the search and the order.
func (d *matchRunData) Link(decision, review string, page int) string {
	f := d.Filter
	f.Decision, f.Review = decision, review
	return matchRunLink(d.Run.ID, f, page, 0)
}

// SortLink is the page sorted by a column; the same column again turns
// the order round. A new order starts at the first page.
func (d *matchRunData) SortLink(col string) string {
	f := d.Filter
	if col == "row" {
		col = ""
	}
	if f.Sort == col {
		f.Desc = !f.Desc
	} else {
		f.Sort, f.Desc = col, false
	}
	return matchRunLink(d.Run.ID, f, 1, 0)
}

// Clear is the page without search and filters, in the same order.
func (d *matchRunData) Clear() string {
	return matchRunLink(d.Run.ID, matchFilter{Sort: d.Filter.Sort, Desc: d.Filter.Desc}, 1, 0)
}

// Export is the export of the filtered, sorted rows in a format.
func (d *matchRunData) Export(format string) string {
	v := d.Filter.values()
	v.Set("format", format)
	return "/match-runs/" + url.PathEscape(d.Run.ID) + "/export?" + v.Encode()
}

// PrintLink is the print view of the filtered rows (all on one page);
// ScreenLink the paged view again.
func (d *matchRunData) PrintLink() string {
	v := d.Filter.values()
	v.Set("view", "print")
	return "/match-runs/" + url.PathEscape(d.Run.ID) + "?" + v.Encode()
}

func (d *matchRunData) ScreenLink() string { return matchRunLink(d.Run.ID, d.Filter, 1, 0) }

func (f matchFilter) values() url.Values {
	q := url.Values{}
	for _, kv := range [][2]string{{"q", f.Search}, {"decision", f.Decision}, {"review", f.Review}, {"sort", f.Sort}} {
		if kv[1] != "" {
			q.Set(kv[0], kv[1])
		}
	}
	if f.Desc {
		q.Set("dir", "desc")
	}
	return q
}

func matchRunLink(runID string, f matchFilter, page, row int) string {
	q := f.values()
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	u := "/match-runs/" + url.PathEscape(runID)
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	if row > 0 {
		u += "#row-" + strconv.Itoa(row)
	}
	return u
}

// decisionBadge maps a decision to a badge style the style sheet has.
var decisionBadge = map[string]string{"match": "state-acknowledged", "review": "state-handed_over", "none": "state-draft"}

func (s *Server) matchRunPage(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	ctx := r.Context()
	f, _ := readMatchFilter(r.URL.Query(), false)
	q := f.query()
	q.Page, _ = strconv.Atoi(r.URL.Query().Get("page"))
	printView := r.URL.Query().Get("view") == "print"
	if !printView {
		q.PageSize = matchPageSize
	}
	pg, err := s.svc.MatchRowsPage(ctx, actor, r.PathValue("id"), q)
	if err != nil {
		return err
	}
	p := s.page(w, r, "matchrun.title", "matching", nil)
	d := &matchRunData{L: p.L, Run: pg.Run, Filter: f, Total: pg.Total, Decisions: matchDecisions, States: reviewStates, ReviewCount: pg.ReviewCounts,
		Search: pg.Search, Shown: pg.Filtered, Print: printView, Page: pg.Page, Pages: pg.Pages, Confirmable: pg.Confirmable}
	if r.URL.Query().Get("done") != "" {
		d.Done = "matchrun.review_saved"
	}
	if d.Parties, _, err = s.partyNames(r); err != nil {
		return err
	}
	if _, byID, err := s.receivedLists(r); err == nil {
		d.List = byID[pg.Run.ListID]
	}
	rows := pg.Rows
	if len(rows) > 0 {
		d.First = (pg.Page-1)*max(pg.Size, 1) + 1
		d.Last = d.First + len(rows) - 1
	}
	if d.Page > 1 {
		d.PrevPage = d.Page - 1
	}
	if d.Page < d.Pages {
		d.NextPage = d.Page + 1
	}

	// The other candidates are shown by name, so that an officer can pick
	// one; only their records are read (and the read recorded), and only
	// when this page has any: a registry may hold a million.
	var others []string
	for _, row := range rows {
		for _, c := range parseCandidates(row.Candidates) {
			if c.ID != service.Shown(&row.Row) {
				others = append(others, c.ID)
			}
		}
	}
	var registry map[string]*lists.Entry
	if len(others) > 0 {
		if registry, err = s.svc.RegistryEntries(ctx, actor, pg.Run.Party, others); err != nil {
			return err
		}
	}
	for _, row := range rows {
		v := matchRowView{MatchRowDetail: row, ScoreText: p.L.MatchScore(row.Score), Shown: service.Shown(&row.Row), BadgeClass: decisionBadge[row.Decision]}
		if row.ReviewReason != "" {
			v.ReasonText = reviewReasonText(p.L, row.ReviewReason, row.ReviewParams)
		}
		for _, c := range parseCandidates(row.Candidates) {
			if c.ID == v.Shown {
				continue
			}
			v.Others = append(v.Others, matchCandidateView{ID: c.ID, ScoreText: p.L.MatchScore(c.Score), Entry: registry[c.ID]})
		}
		d.Rows = append(d.Rows, v)
	}
	d.Chart = newDecisionChart(p.L, pg.Run, func(k string) string { return d.Link(k, f.Review, 1) })
	p.Data = d
	if d.List != nil {
		p.Title = p.L.T("matchrun.title_of", d.List.Title)
	}
	return s.render(w, r, http.StatusOK, "matchrun", p)
}

// MatchScore writes a match probability with three decimals, the decimal
// separator of the language.
func (l *Localizer) MatchScore(v float64) string { return l.printer.Sprintf("%.3f", v) }

// matchReview records an officer's decision from the run page and returns
// to the same place of it (filter, page and row), post/redirect/get.
func (s *Server) matchReview(w http.ResponseWriter, r *http.Request) error {
	runID := r.PathValue("id")
	row, err := strconv.Atoi(r.PathValue("row"))
	if err != nil || row <= 0 {
		return badRequest("err.web.row_number", "value", r.PathValue("row"))
	}
	choice := r.PostFormValue("choice")
	regID := strings.TrimSpace(r.PostFormValue("registry_id"))
	if err := s.svc.ReviewMatch(r.Context(), actorOf(r), runID, row, choice, regID); err != nil {
		return err
	}
	f, _ := readMatchFilter(r.PostForm, false)
	page, _ := strconv.Atoi(r.PostFormValue("page"))
	to := matchRunLink(runID, f, page, 0)
	sep := "?"
	if strings.Contains(to, "?") {
		sep = "&"
	}
	http.Redirect(w, r, to+sep+"done=1#row-"+strconv.Itoa(row), http.StatusSeeOther)
	return nil
}

type leftOffData struct {
	Run     *matching.Run
	List    *lists.List
	Parties map[string]string
	Entries []service.LeftOffEntry
	Table   *tableView
}

// matchConfirmAll confirms every pending match above the run's threshold
// in one action, post/redirect/get.
func (s *Server) matchConfirmAll(w http.ResponseWriter, r *http.Request) error {
	runID := r.PathValue("id")
	if _, err := s.svc.ConfirmAllMatches(r.Context(), actorOf(r), runID); err != nil {
		return err
	}
	http.Redirect(w, r, matchRunLink(runID, matchFilter{}, 0, 0)+"?done=1", http.StatusSeeOther)
	return nil
}

func (s *Server) leftOffPage(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	id := r.PathValue("id")
	f := readTableFilter(r.URL.Query(), "/match-runs/"+id+"/left-off", leftOffTable)
	pg, run, err := s.svc.LeftOffPage(r.Context(), actor, id, f.TableQuery)
	if err != nil {
		return err
	}
	t := newTableView(f, pg)
	t.Selects = []tableSelect{
		{Name: "status", Label: "registry.status", Kind: "status", Value: f.Status, Options: leftOffStatuses},
		s.categorySelect(f),
	}
	t.PDF = t.Filter.printout("/match-runs/" + id + "/left-off/print")
	d := &leftOffData{Run: run, Entries: pg.Entries, Table: t}
	if d.Parties, _, err = s.partyNames(r); err != nil {
		return err
	}
	if l, err := s.svc.ListHeader(r.Context(), actor, run.ListID); err == nil {
		d.List = l
	}
	return s.render(w, r, http.StatusOK, "leftoff", s.page(w, r, "leftoff.title", "matching", d))
}
