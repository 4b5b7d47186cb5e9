package web

import (
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"parley/internal/category"
	"parley/internal/handover"
	"parley/internal/negotiation"
	"parley/internal/service"
)

// The day of the handover. Observers of the neutral humanitarian
// organisation work down the persons of an agreed stage on a tablet: each
// living person is interviewed in private (consents or refuses), then gets
// one outcome. A person who refused is never offered "handed over" — the
// service refuses it anyway (GC III Art. 109: none may be repatriated
// against his will). Remains carry their identification status instead.
// The stage report compares what happened with the agreement.

func init() {
	addRoutes(handoverRoutes)
	AddNav(NavItem{Order: 45, Key: "nav.handover", Href: "/handover", Nav: "handover", Show: seesNegotiation})
}

func handoverRoutes(s *Server) []Route {
	return []Route{
		{Method: "GET", Pattern: "/handover", Auth: SignedIn, Summary: "Agreed stages and how far their handover has come", Handler: s.handoverIndex},
		{Method: "GET", Pattern: "/agreements/{id}/handover", Auth: SignedIn, Summary: "The handover day of an agreed stage: a checklist per person and the stage report", Handler: s.handoverPage},
		{Method: "POST", Pattern: "/agreements/{id}/interview", Auth: SignedIn, Summary: "Record a person's interview (observer)", Handler: s.handoverStep("interview")},
		{Method: "POST", Pattern: "/agreements/{id}/outcome", Auth: SignedIn, Summary: "Record a person's outcome", Handler: s.handoverStep("outcome")},
		{Method: "POST", Pattern: "/agreements/{id}/correction", Auth: SignedIn, Summary: "Correct an outcome recorded by mistake, with its reason (observer or mediator, within the day)", Handler: s.handoverStep("correction")},
		{Method: "POST", Pattern: "/agreements/{id}/identification", Auth: SignedIn, Summary: "Advance the identification of remains", Handler: s.handoverStep("identification")},
		{Method: "GET", Pattern: "/lists/{id}/rows/{row}/timeline", Auth: SignedIn, Summary: "Everything recorded about one person of a list", Handler: s.timelinePage},
	}
}

// --- the list of agreed stages ------------------------------------------------

type hoStage struct {
	A      *negotiation.Agreement
	Report *handover.Report
	Done   int
	Agreed int
}

type hoIndexData struct {
	Stages  []hoStage
	Parties map[string]string
}

func (s *Server) handoverIndex(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	ags, err := s.svc.ListAgreements(r.Context(), actor, "")
	if err != nil {
		return err
	}
	names, _, err := s.partyNames(r)
	if err != nil {
		return err
	}
	d := &hoIndexData{Parties: names}
	// Newest first: the stage of the day is usually the last agreed.
	for i := len(ags) - 1; i >= 0; i-- {
		rep, err := s.svc.StageReport(r.Context(), actor, ags[i].ID)
		if err != nil {
			return err
		}
		st := hoStage{A: ags[i], Report: rep}
		for _, side := range rep.Sides {
			st.Agreed += side.Counts.Agreed
			st.Done += side.Counts.Agreed - side.Counts.Pending
		}
		d.Stages = append(d.Stages, st)
	}
	return s.render(w, r, http.StatusOK, "handovers", s.page(w, r, "handover.index_title", "handover", d))
}

// --- the handover day ------------------------------------------------------------

// hoFilter is what the sticky filter bar selects: a side, a queue and a
// name as it is called out.
type hoFilter struct {
	Side   string // a party, or "" for both
	Status string // a queue of handover.Queues
	Name   string
	Page   int
}

// query returns the filter as a query string (without "?"), page included
// when past the first.
func (f hoFilter) query() string {
	v := url.Values{}
	if f.Side != "" {
		v.Set("side", f.Side)
	}
	if f.Status != "" {
		v.Set("status", f.Status)
	}
	if f.Name != "" {
		v.Set("q", f.Name)
	}
	if f.Page > 1 {
		v.Set("page", strconv.Itoa(f.Page))
	}
	return v.Encode()
}

// Link is the handover page under this filter with one field changed.
func (f hoFilter) Link(agreementID, field, value string) string {
	g := f
	g.Page = 1
	switch field {
	case "side":
		g.Side = value
	case "status":
		g.Status = value
	case "q":
		g.Name = value
	case "page":
		g.Page, _ = strconv.Atoi(value)
	}
	q := g.query()
	if q == "" {
		return "/agreements/" + agreementID + "/handover"
	}
	return "/agreements/" + agreementID + "/handover?" + q
}

func readHoFilter(v url.Values) hoFilter {
	f := hoFilter{Side: v.Get("side"), Status: v.Get("status"), Name: strings.TrimSpace(v.Get("q"))}
	f.Page, _ = strconv.Atoi(v.Get("page"))
	if !handover.ValidQueue(f.Status) {
		f.Status = handover.QueueAll
	}
	return f
}

// hoRow is one person of the stage on the handover page, with the
// substitutes found for him when the observer searched.
type hoRow struct {
	handover.DayPerson
	Anchor     string
	Searching  bool // the substitute search of this person is open
	Candidates []service.Candidate
}

type hoDayData struct {
	*service.HandoverDay
	Parties     map[string]string
	Filter      hoFilter
	Statuses    []string
	Rows        []hoRow
	Prev, Next  int
	Chart       template.HTML
	Legend      []hoLegend
	ReportCats  []hoReportRow
	SubQuery    string // the name searched for a substitute
	Error       *negFormError
	ErrorAnchor string
}

type hoLegend struct {
	Key, Color string
}

type hoReportRow struct {
	Party    string
	Category string
	Counts   handover.Counts
}

func hoAnchor(listID string, row int) string { return fmt.Sprintf("p-%s-%d", listID, row) }

// handoverData asks the service for the day under the filter and lays it
// out; the rules (what may be recorded, whether the rule holds) are the
// service's and package handover's.
func (s *Server) handoverData(r *http.Request, id string, f hoFilter, l *Localizer) (*hoDayData, error) {
	actor := actorOf(r)
	day, err := s.svc.HandoverDay(r.Context(), actor, id, service.DayQuery{Side: f.Side, Queue: f.Status, Name: f.Name, Page: f.Page, PageSize: pageSize})
	if err != nil {
		return nil, err
	}
	names, _, err := s.partyNames(r)
	if err != nil {
		return nil, err
	}
	f.Side, f.Status, f.Page = day.Query.Side, day.Query.Queue, day.Query.Page
	d := &hoDayData{HandoverDay: day, Parties: names, Filter: f, Statuses: handover.Queues}
	subFor, subQ := r.URL.Query().Get("sub_for"), strings.TrimSpace(r.URL.Query().Get("sub_q"))
	d.SubQuery = subQ
	for _, p := range day.Persons {
		row := hoRow{DayPerson: p, Anchor: hoAnchor(p.State.ListID, p.State.Row)}
		if row.Anchor == subFor && p.Actions.Substitute {
			row.Searching = true
			if row.Candidates, err = s.svc.SubstituteCandidates(r.Context(), actor, id, p.State.ListID, p.State.Row, subQ); err != nil {
				return nil, err
			}
		}
		d.Rows = append(d.Rows, row)
	}
	if day.Query.Page > 1 {
		d.Prev = day.Query.Page - 1
	}
	if day.Query.Page < day.Pages {
		d.Next = day.Query.Page + 1
	}
	cat := s.svc.Catalogue()
	for _, side := range day.Report.Sides {
		for _, code := range negCategoryOrder(cat, hoKeys(side.ByCategory)) {
			d.ReportCats = append(d.ReportCats, hoReportRow{Party: side.Party, Category: code, Counts: side.ByCategory[code]})
		}
	}
	d.Chart, d.Legend = hoChart(day.Report, names, cat, l)
	return d, nil
}

func hoKeys[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

func (s *Server) handoverPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderHandover(w, r, http.StatusOK, readHoFilter(r.URL.Query()), nil, "")
}

func (s *Server) renderHandover(w http.ResponseWriter, r *http.Request, status int, f hoFilter, fe *negFormError, anchor string) error {
	p := s.page(w, r, "handover.title", "handover", nil)
	d, err := s.handoverData(r, r.PathValue("id"), f, p.L)
	if err != nil {
		return err
	}
	d.Error, d.ErrorAnchor = fe, anchor
	p.Data = d
	p.Title = p.L.T("handover.heading", d.A.ID)
	return s.render(w, r, status, "handover", p)
}

// handoverStep records one step of one person and returns to the same
// place of the page; a refusal of the service (a refused person marked
// handed over, a step out of order) comes back with its reason.
func (s *Server) handoverStep(kind string) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		actor := actorOf(r)
		id := r.PathValue("id")
		if err := r.ParseForm(); err != nil {
			return badRequest("err.web.read_form", "reason", err.Error())
		}
		f := readHoFilter(r.PostForm)
		listID := r.PostForm.Get("list_id")
		row, _ := strconv.Atoi(r.PostForm.Get("row"))
		anchor := hoAnchor(listID, row)
		var err error
		switch kind {
		case "interview":
			_, err = s.svc.RecordInterviewDisclosed(r.Context(), actor, id, listID, row, handover.Interview(r.PostForm.Get("interview")), r.PostForm.Get("tell_family") == "1")
		case "identification":
			_, err = s.svc.RecordIdentification(r.Context(), actor, id, listID, row, handover.Identification(r.PostForm.Get("identification")))
		case "correction":
			_, err = s.svc.CorrectOutcome(r.Context(), actor, service.CorrectionRequest{AgreementID: id, ListID: listID, Row: row,
				Outcome: handover.Outcome(r.PostForm.Get("outcome")), Reason: r.PostForm.Get("reason")})
		case "outcome":
			req := service.OutcomeRequest{AgreementID: id, ListID: listID, Row: row, Outcome: handover.Outcome(r.PostForm.Get("outcome"))}
			if req.Outcome == handover.Substituted {
				req.Substitute, err = readSubstitute(r.PostForm)
			}
			if err == nil {
				_, err = s.svc.RecordOutcome(r.Context(), actor, req)
			}
		}
		if err == nil {
			target := f.Link(id, "page", strconv.Itoa(max(f.Page, 1)))
			http.Redirect(w, r, target+"#"+anchor, http.StatusSeeOther)
			return nil
		}
		fe, ok := negFormErr(err)
		if !ok {
			return err
		}
		return s.renderHandover(w, r, fe.Status, f, fe, anchor)
	}
}

// readSubstitute reads the substitute of the form: a candidate picked from
// the search ("list|row"), or a list and a row typed.
func readSubstitute(v url.Values) (*service.SubstituteRequest, error) {
	sub := &service.SubstituteRequest{ListID: v.Get("sub_list"), Interview: handover.Interview(v.Get("sub_interview"))}
	rowText := v.Get("sub_row")
	if pick := v.Get("sub_pick"); pick != "" {
		i := strings.LastIndex(pick, "|")
		if i < 0 {
			return nil, badRequest("err.web.substitute_pick", "value", pick)
		}
		sub.ListID, rowText = pick[:i], pick[i+1:]
	}
	var err error
	if sub.Row, err = negInt("substitute_row", rowText); err == nil && sub.Row < 1 {
		err = unprocessable("err.web.substitute_row")
	}
	return sub, err
}

// Colours of the stage chart, one per outcome; they meet WCAG AA contrast
// against the white labels drawn on them only where labels are drawn.
var hoSegments = []struct {
	Key   string
	Color string
	Of    func(c handover.Counts) int
}{
	{"handover.outcome.handed_over", "#0b6e4f", func(c handover.Counts) int { return c.HandedOver }},
	{"handover.outcome.substituted", "#6b3fa0", func(c handover.Counts) int { return c.Substituted }},
	{"handover.interview.refuses", "#a4262c", func(c handover.Counts) int { return c.Refused }},
	{"handover.outcome.not_presented", "#c77700", func(c handover.Counts) int { return c.NotPresented }},
	{"handover.outcome.deceased", "#4a5260", func(c handover.Counts) int { return c.Deceased }},
	{"handover.pending", "#c9d0da", func(c handover.Counts) int { return c.Pending }},
	{"handover.not_agreed", "#2d5a8e", func(c handover.Counts) int { return c.NotAgreed }},
}

// hoChart draws, per side and category, a bar of the agreed persons split
// by what became of them (and the persons handed over outside the
// agreement), as inline SVG: drawn on the server, no script, and it prints.
func hoChart(rep handover.Report, names map[string]string, cat *category.Catalogue, l *Localizer) (template.HTML, []hoLegend) {
	type bar struct {
		label string
		c     handover.Counts
	}
	var bars []bar
	maxN := 0
	for _, side := range rep.Sides {
		for _, code := range negCategoryOrder(cat, hoKeys(side.ByCategory)) {
			c := side.ByCategory[code]
			bars = append(bars, bar{partyName(names, side.Party) + " · " + l.NegCategory(code), c})
			maxN = max(maxN, c.Agreed+c.NotAgreed)
		}
	}
	if len(bars) == 0 || maxN == 0 {
		return "", nil
	}
	const w, left, right, rowH, barH, top = 640.0, 200.0, 48.0, 30.0, 20.0, 8.0
	h := top*2 + rowH*float64(len(bars))
	scale := (w - left - right) / float64(maxN)
	var b strings.Builder
	title := html.EscapeString(l.T("handover.chart_title"))
	fmt.Fprintf(&b, `<svg class="stage-chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg"><title>%s</title>`, w, h, title, title)
	used := map[string]bool{}
	for i, br := range bars {
		y := top + rowH*float64(i)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`, left-8, y+barH-5, html.EscapeString(br.label))
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#eef1f5"/>`, left, y, float64(maxN)*scale, barH)
		x := left
		for _, seg := range hoSegments {
			n := seg.Of(br.c)
			if n == 0 {
				continue
			}
			used[seg.Key] = true
			sw := float64(n) * scale
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %s</title></rect>`,
				x, y, sw, barH, seg.Color, html.EscapeString(l.T(seg.Key)), html.EscapeString(l.Num(n)))
			x += sw
		}
		fmt.Fprintf(&b, `<text class="muted" x="%.1f" y="%.1f">%s</text>`, x+6, y+barH-5, html.EscapeString(l.Num(br.c.Agreed+br.c.NotAgreed)))
	}
	b.WriteString(`</svg>`)
	var legend []hoLegend
	for _, seg := range hoSegments {
		if used[seg.Key] {
			legend = append(legend, hoLegend{Key: seg.Key, Color: seg.Color})
		}
	}
	// Every text in the SVG went through html.EscapeString; the rest is
	// numbers and fixed markup.
	return template.HTML(b.String()), legend
}

// --- a person's timeline -----------------------------------------------------------

type hoTimelineData struct {
	T       *service.PersonTimeline
	Parties map[string]string
}

func (s *Server) timelinePage(w http.ResponseWriter, r *http.Request) error {
	row, err := strconv.Atoi(r.PathValue("row"))
	if err != nil || row < 1 {
		return fmt.Errorf("row %q: %w", r.PathValue("row"), service.ErrNotFound)
	}
	t, err := s.svc.PersonTimeline(r.Context(), actorOf(r), r.PathValue("id"), row)
	if err != nil {
		return err
	}
	names, _, err := s.partyNames(r)
	if err != nil {
		return err
	}
	p := s.page(w, r, "handover.timeline_title", "handover", &hoTimelineData{T: t, Parties: names})
	return s.render(w, r, http.StatusOK, "timeline", p)
}

// HoStatus names a step of a timeline or a person's status.
func (l *Localizer) HoStatus(st string) string { return l.TOr("handover.status."+st, st) }

// HoNote words the detail of a timeline step: the interview's answer and
// the identification in the language; other notes as the service wrote them.
func (l *Localizer) HoNote(step handover.Step) string {
	if !step.Why.IsZero() {
		return l.Msg(step.Why)
	}
	switch step.Status {
	case handover.StatusInterviewed:
		return l.TOr("handover.interview."+step.Note, step.Note)
	case handover.StatusIdentified:
		return l.TOr("handover.ident."+step.Note, step.Note)
	case handover.StatusCorrected:
		outcome := func(o string) string {
			if o == "" {
				return l.T("workbench.correct_awaiting")
			}
			return l.TOr("handover.outcome."+o, o)
		}
		return l.T("workbench.corrected_note", outcome(string(step.From)), outcome(step.Note), step.Reason)
	}
	return step.Note
}

// hoStepClass marks the steps the timeline colours.
func hoStepClass(step handover.Step) string {
	if step.Status == handover.StatusInterviewed {
		return "t-" + step.Note
	}
	return "t-" + step.Status
}

func init() {
	templateFuncs["hoStepClass"] = hoStepClass
}

// hoFields writes the hidden fields of a step's form: the form token, the
// person, and the filter to return to.
func hoFields(csrf string, f hoFilter, listID string, row int) template.HTML {
	var b strings.Builder
	field := func(name, value string) {
		fmt.Fprintf(&b, `<input type="hidden" name="%s" value="%s">`, name, html.EscapeString(value))
	}
	field("csrf", csrf)
	field("list_id", listID)
	field("row", strconv.Itoa(row))
	if f.Side != "" {
		field("side", f.Side)
	}
	if f.Status != "" {
		field("status", f.Status)
	}
	if f.Name != "" {
		field("q", f.Name)
	}
	if f.Page > 1 {
		field("page", strconv.Itoa(f.Page))
	}
	// Every value went through html.EscapeString; names are fixed.
	return template.HTML(b.String())
}

func init() {
	templateFuncs["hoFields"] = hoFields
}
