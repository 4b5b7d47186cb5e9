package web

import (
	"errors"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"parley/internal/access"
	"parley/internal/category"
	"parley/internal/handover"
	"parley/internal/lists"
	"parley/internal/negotiation"
	"parley/internal/person"
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

// Row filters of the handover page.
const (
	hoAll       = ""
	hoInterview = "interview" // living, not yet interviewed, no outcome
	hoReady     = "ready"     // consented (or remains), awaiting the outcome
	hoDone      = "done"      // an outcome, or a refusal
	hoRefused   = "refused"
)

var hoStatuses = []string{hoAll, hoInterview, hoReady, hoDone, hoRefused}

// hoFilter is what the sticky filter bar selects.
type hoFilter struct {
	Side   string // a party, or "" for both
	Status string
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
	case "page":
		g.Page, _ = strconv.Atoi(value)
	}
	q := g.query()
	if q == "" {
		return "/agreements/" + agreementID + "/handover"
	}
	return "/agreements/" + agreementID + "/handover?" + q
}

// hoRow is one person of the stage on the handover page.
type hoRow struct {
	Anchor  string
	State   handover.PersonState
	Basis   negotiation.LegalBasis
	Remains bool
	Stage   string // hoInterview, hoReady, hoDone or hoRefused
	// Buttons offered.
	CanInterview bool
	HandOver     bool
	NotPresented bool
	Deceased     bool
	Substitute   bool
	Identify     []handover.Identification
}

// hoStageOf places a person in the page's filters.
func hoStageOf(st handover.PersonState) string {
	switch {
	case st.Refused() && st.Outcome == "":
		return hoRefused
	case st.Done():
		return hoDone
	case st.Person.Kind != person.KindRemains && st.Interview == "":
		return hoInterview
	}
	return hoReady
}

// hoProgress is the count at the top of the page.
type hoProgress struct {
	Agreed, Interviewed, Done, Pending                       int
	HandedOver, Refused, NotPresented, Deceased, Substituted int
}

type hoDayData struct {
	A            *service.AgreementView
	Parties      map[string]string
	Report       handover.Report
	Progress     hoProgress
	SideCounts   map[string]int // persons per party, for the filter
	StatusCounts map[string]int
	Rows         []hoRow
	Filter       hoFilter
	Statuses     []string
	Page, Pages  int
	Prev, Next   int
	CanObserve   bool // interviews
	CanRecord    bool // outcomes and identification
	SubLists     map[string][]*lists.List
	Chart        template.HTML
	Legend       []hoLegend
	ReportCats   []hoReportRow
	Items        []handover.Item // the discrepancies, without the persons still pending
	Error        *negFormError
	ErrorAnchor  string
}

type hoLegend struct {
	Key, Color string
}

type hoReportRow struct {
	Party    string
	Category string
	Counts   handover.Counts
}

func readHoFilter(v url.Values) hoFilter {
	f := hoFilter{Side: v.Get("side"), Status: v.Get("status")}
	f.Page, _ = strconv.Atoi(v.Get("page"))
	ok := false
	for _, st := range hoStatuses {
		if f.Status == st {
			ok = true
		}
	}
	if !ok {
		f.Status = hoAll
	}
	return f
}

func (s *Server) handoverData(r *http.Request, id string, f hoFilter, l *Localizer) (*hoDayData, error) {
	actor := actorOf(r)
	a, err := s.svc.GetAgreement(r.Context(), actor, id)
	if err != nil {
		return nil, err
	}
	names, _, err := s.partyNames(r)
	if err != nil {
		return nil, err
	}
	if f.Side != "" && f.Side != a.Parties[0] && f.Side != a.Parties[1] {
		f.Side = ""
	}
	cat := s.svc.Catalogue()
	d := &hoDayData{A: a, Parties: names, Filter: f, Statuses: hoStatuses, CanObserve: actor.CanObserve(),
		CanRecord: actor.CanObserve() || actor.CanMediate(), SideCounts: map[string]int{}, StatusCounts: map[string]int{}}
	d.Report = handover.Discrepancies(a.Stage(), a.Handover, cat)
	for _, side := range d.Report.Sides {
		c := side.Counts
		d.Progress.Agreed += c.Agreed
		d.Progress.Pending += c.Pending
		d.Progress.HandedOver += c.HandedOver
		d.Progress.Refused += c.Refused
		d.Progress.NotPresented += c.NotPresented
		d.Progress.Deceased += c.Deceased
		d.Progress.Substituted += c.Substituted
		for _, code := range negCategoryOrder(cat, hoKeys(side.ByCategory)) {
			d.ReportCats = append(d.ReportCats, hoReportRow{Party: side.Party, Category: code, Counts: side.ByCategory[code]})
		}
	}
	d.Progress.Done = d.Progress.Agreed - d.Progress.Pending
	for _, it := range d.Report.Items {
		if it.Type != handover.ItemPending {
			d.Items = append(d.Items, it)
		}
	}
	states := map[string]handover.PersonState{}
	for _, st := range a.Handover {
		states[negReleaseKey(st.ListID, st.Row)] = st
		if st.Interview != "" {
			d.Progress.Interviewed++
		}
	}
	var all []hoRow
	for _, side := range a.Sides {
		for _, rel := range side.Releases {
			st, ok := states[negReleaseKey(rel.ListID, rel.Row)]
			if !ok {
				// not started: shown as agreed, nothing recorded
				st = handover.PersonState{Party: side.Party, ListID: rel.ListID, Row: rel.Row, Person: rel.Person, Status: handover.StatusAgreed}
			}
			row := hoRow{Anchor: fmt.Sprintf("p-%s-%d", rel.ListID, rel.Row), State: st, Basis: rel.LegalBasis,
				Remains: rel.Person.Kind == person.KindRemains, Stage: hoStageOf(st)}
			if !st.Done() {
				row.CanInterview = d.CanObserve && !row.Remains && st.Interview == ""
				row.HandOver = d.CanRecord && (row.Remains || st.Interview == handover.Consents)
				row.NotPresented = d.CanRecord
				row.Deceased = d.CanRecord && !row.Remains
			}
			// A refusal may still be followed by a substitution: another
			// person, who must consent himself.
			row.Substitute = d.CanRecord && st.Outcome == ""
			if row.Remains && d.CanRecord {
				for _, next := range []handover.Identification{handover.DNAPending, handover.Confirmed} {
					if hoIdentLevel(next) > hoIdentLevel(st.Identification) {
						row.Identify = append(row.Identify, next)
					}
				}
			}
			d.SideCounts[side.Party]++
			if f.Side == "" || f.Side == side.Party {
				d.StatusCounts[row.Stage]++
				d.StatusCounts[hoAll]++
			}
			if (f.Side == "" || f.Side == side.Party) && (f.Status == hoAll || f.Status == row.Stage) {
				all = append(all, row)
			}
		}
	}
	d.SideCounts[""] = len(a.Sides[0].Releases) + len(a.Sides[1].Releases)
	d.Pages = max(1, (len(all)+pageSize-1)/pageSize)
	d.Page = min(max(f.Page, 1), d.Pages)
	d.Filter.Page = d.Page
	start := (d.Page - 1) * pageSize
	d.Rows = all[start:min(start+pageSize, len(all))]
	if d.Page > 1 {
		d.Prev = d.Page - 1
	}
	if d.Page < d.Pages {
		d.Next = d.Page + 1
	}
	if d.CanRecord {
		// Substitutes come from the handed-over lists of the side that
		// releases the person replaced.
		d.SubLists = map[string][]*lists.List{}
		ls, err := s.svc.ListLists(r.Context(), actor)
		if err != nil && !errors.Is(err, access.ErrForbidden) {
			return nil, err
		}
		for _, x := range ls {
			if x.State == lists.Draft {
				continue
			}
			for i, p := range a.Parties {
				if x.From == p && x.To == a.Parties[1-i] {
					d.SubLists[p] = append(d.SubLists[p], x)
				}
			}
		}
	}
	d.Chart, d.Legend = hoChart(d.Report, names, cat, l)
	return d, nil
}

func hoKeys[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

func hoIdentLevel(i handover.Identification) int {
	switch i {
	case handover.Presumed, "":
		return 1
	case handover.DNAPending:
		return 2
	case handover.Confirmed:
		return 3
	}
	return 0
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
			return badRequest("cannot read the form: %v", err)
		}
		f := readHoFilter(r.PostForm)
		listID := r.PostForm.Get("list_id")
		row, _ := strconv.Atoi(r.PostForm.Get("row"))
		anchor := fmt.Sprintf("p-%s-%d", listID, row)
		var err error
		switch kind {
		case "interview":
			_, err = s.svc.RecordInterviewDisclosed(r.Context(), actor, id, listID, row, handover.Interview(r.PostForm.Get("interview")), r.PostForm.Get("tell_family") == "1")
		case "identification":
			_, err = s.svc.RecordIdentification(r.Context(), actor, id, listID, row, handover.Identification(r.PostForm.Get("identification")))
		case "outcome":
			req := service.OutcomeRequest{AgreementID: id, ListID: listID, Row: row, Outcome: handover.Outcome(r.PostForm.Get("outcome"))}
			if req.Outcome == handover.Substituted {
				sub := &service.SubstituteRequest{ListID: r.PostForm.Get("sub_list"), Interview: handover.Interview(r.PostForm.Get("sub_interview"))}
				if sub.Row, err = negInt("substitute row", r.PostForm.Get("sub_row")); err == nil && sub.Row < 1 {
					err = &httpError{http.StatusUnprocessableEntity, errors.New("give the row of the substitute on his list")}
				}
				req.Substitute = sub
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
	switch step.Status {
	case handover.StatusInterviewed:
		return l.TOr("handover.interview."+step.Note, step.Note)
	case handover.StatusIdentified:
		return l.TOr("handover.ident."+step.Note, step.Note)
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
	if f.Page > 1 {
		field("page", strconv.Itoa(f.Page))
	}
	// Every value went through html.EscapeString; names are fixed.
	return template.HTML(b.String())
}

func init() {
	templateFuncs["hoFields"] = hoFields
}

// hoDetails are the fixed words package handover gives a discrepancy, by
// the message key that says them in the page's language. Details that name
// a substitute or a rule stay as written.
var hoDetails = map[string]string{
	"refused repatriation at the interview": "handover.detail.refused",
	"not presented at the handover":         "handover.detail.not_presented",
	"died before the handover":              "handover.detail.deceased",
	"no outcome recorded yet":               "handover.detail.pending",
	"handed over but not in the agreement":  "handover.detail.not_agreed",
}

// HoDetail words the detail of a discrepancy in the language when it is
// one of the fixed phrases.
func (l *Localizer) HoDetail(detail string) string {
	if key, ok := hoDetails[detail]; ok {
		return l.TOr(key, detail)
	}
	return detail
}
