package web

import (
	"context"
	"errors"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"sort"
	"strings"
	"time"

	"parley/internal/access"
	"parley/internal/lists"
	"parley/internal/service"
)

func init() { addRoutes(dashboardRoutes) }

func dashboardRoutes(s *Server) []Route {
	return []Route{
		{Method: "GET", Pattern: "/{$}", Auth: SignedIn, Summary: "Dashboard", Handler: s.dashboard},
	}
}

// StateCount is the number of lists and persons in one list state.
type StateCount struct {
	State   lists.State
	Lists   int
	Persons int
}

// CategoryCount is the number of persons carrying one category.
type CategoryCount struct {
	Code    string // "" for persons without any category
	Persons int
}

// DirectionCount is what one party has handed over to another.
type DirectionCount struct {
	From, To   string
	Persons    int // on the latest handed-over version of each list
	Acked      int // of those, on acknowledged lists
	ListsCount int
}

type dashboardData struct {
	// Alarms are the node's unacknowledged alarms (see ui_alarms.go).
	Alarms     []alarmView
	SeesLists  bool
	Parties    map[string]string
	States     []StateCount
	Categories []CategoryCount
	Directions []DirectionCount
	Total      int // persons on the latest version of every visible list
	Recent     []*lists.List
	Chart      template.HTML
	Legend     []legendItem
	// Dropped are the persons that the newest versions of recent lists no
	// longer hold, list by list.
	Dropped []droppedView
	// ToDo is what waits for the user; Negotiation and the repatriation
	// chart the state of the negotiation, for those who see it.
	ToDo        []todoView
	Negotiation *service.NegotiationSummary
	RepChart    template.HTML
	RepLegend   []legendItem
}

// droppedView is a list version and the persons it dropped from the
// version before.
type droppedView struct {
	List    *lists.List
	Persons []service.DroppedEntry
}

type legendItem struct {
	Class, Label string
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	d := &dashboardData{}
	names, _, err := s.partyNames(r)
	if err != nil {
		return err
	}
	d.Parties = names
	if as, err := s.svc.NodeAlarms(r.Context(), actor, false); err == nil && len(as) > 0 {
		d.Alarms = alarmViews(s.localizer(s.pickLanguage(r)), as)
	}
	p := s.page(w, r, "dashboard.title", "dashboard", d)
	if err := s.dashboardToDo(r.Context(), actor, d, p.L); err != nil {
		return err
	}
	all, err := s.svc.ListLists(r.Context(), actor)
	switch {
	case errors.Is(err, access.ErrForbidden):
		// Administrators see no personal data, not even counts of lists.
	case err != nil:
		return err
	default:
		d.SeesLists = true
		if err := s.fillDashboard(r.Context(), actor, d, all, p.L); err != nil {
			return err
		}
	}
	return s.render(w, r, http.StatusOK, "dashboard", p)
}

// latestVersions keeps, of each list, the newest version the caller sees.
func latestVersions(all []*lists.List) []*lists.List {
	best := map[string]*lists.List{}
	for _, l := range all {
		if b := best[l.RootID]; b == nil || l.Version > b.Version {
			best[l.RootID] = l
		}
	}
	out := make([]*lists.List, 0, len(best))
	for _, l := range best {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out
}

func (s *Server) fillDashboard(ctx context.Context, actor access.Actor, d *dashboardData, all []*lists.List, l *Localizer) error {
	latest := latestVersions(all)
	states := map[lists.State]*StateCount{}
	for _, st := range []lists.State{lists.Draft, lists.HandedOver, lists.Acknowledged} {
		states[st] = &StateCount{State: st}
		d.States = append(d.States, StateCount{State: st})
	}
	dirs := map[string]*DirectionCount{}
	var ids []string
	for _, x := range latest {
		sc := states[x.State]
		if sc == nil {
			continue
		}
		sc.Lists++
		sc.Persons += x.EntryCount
		d.Total += x.EntryCount
		ids = append(ids, x.ID)
		if x.State == lists.Draft {
			continue
		}
		key := x.From + "→" + x.To
		dc := dirs[key]
		if dc == nil {
			dc = &DirectionCount{From: x.From, To: x.To}
			dirs[key] = dc
		}
		dc.ListsCount++
		dc.Persons += x.EntryCount
		if x.State == lists.Acknowledged {
			dc.Acked += x.EntryCount
		}
	}
	for i := range d.States {
		d.States[i] = *states[d.States[i].State]
	}
	for _, dc := range dirs {
		d.Directions = append(d.Directions, *dc)
	}
	sort.Slice(d.Directions, func(i, j int) bool {
		return d.Directions[i].From+d.Directions[i].To < d.Directions[j].From+d.Directions[j].To
	})
	var err error
	if d.Categories, err = s.categoryCounts(ctx, actor, ids); err != nil {
		return err
	}
	d.Recent = latest[:min(len(latest), 8)]
	for _, x := range d.Recent {
		if x.PrevID == "" {
			continue
		}
		gone, err := s.svc.DroppedFromList(ctx, actor, x.ID)
		if err != nil {
			return err
		}
		if len(gone) > 0 {
			d.Dropped = append(d.Dropped, droppedView{List: x, Persons: gone})
		}
	}
	d.Chart, d.Legend = progressChart(all, d.Parties, l, s.opts.Now())
	return nil
}

// categoryCounts orders the service's per-category totals of the given
// lists by the catalogue; the service counts only lists the caller sees.
func (s *Server) categoryCounts(ctx context.Context, actor access.Actor, ids []string) ([]CategoryCount, error) {
	counts, err := s.svc.CategoryCounts(ctx, actor, ids)
	if err != nil {
		return nil, err
	}
	out := []CategoryCount{}
	for _, c := range s.svc.Catalogue().All() {
		out = append(out, CategoryCount{Code: c.Code, Persons: counts[c.Code]})
		delete(counts, c.Code)
	}
	for code, n := range counts {
		if code != "" {
			out = append(out, CategoryCount{Code: code, Persons: n})
		}
	}
	out = append(out, CategoryCount{Code: "", Persons: counts[""]})
	return out, nil
}

// point is one step of a cumulative series.
type point struct {
	t time.Time
	v int
}

// progressChart draws, for each direction, the number of persons on
// handed-over lists over time (solid) and on acknowledged ones (dashed),
// as inline SVG: no script, no library, and it prints.
func progressChart(all []*lists.List, names map[string]string, l *Localizer, now time.Time) (template.HTML, []legendItem) {
	type event struct {
		t     time.Time
		root  string
		count int
	}
	series := map[string][]event{}
	var keys []string
	add := func(key string, e event) {
		if _, ok := series[key]; !ok {
			keys = append(keys, key)
		}
		series[key] = append(series[key], e)
	}
	for _, x := range all {
		if x.State == lists.Draft || x.HandedOverAt.IsZero() {
			continue
		}
		dir := x.From + "\x00" + x.To
		add(dir+"\x00h", event{x.HandedOverAt, x.RootID, x.EntryCount})
		if !x.AcknowledgedAt.IsZero() {
			add(dir+"\x00a", event{x.AcknowledgedAt, x.RootID, x.EntryCount})
		}
	}
	if len(keys) == 0 {
		return "", nil
	}
	// By direction, and within one the hand-overs before the receipts.
	sort.Slice(keys, func(i, j int) bool {
		di, dj := keys[i][:strings.LastIndexByte(keys[i], 0)], keys[j][:strings.LastIndexByte(keys[j], 0)]
		if di != dj {
			return di < dj
		}
		return keys[i][len(keys[i])-1] == 'h'
	})
	lines := map[string][]point{}
	for _, k := range keys {
		evs := series[k]
		sort.Slice(evs, func(i, j int) bool { return evs[i].t.Before(evs[j].t) })
		// A newer version of a list replaces the older one's count.
		cur := map[string]int{}
		total := 0
		var pts []point
		for _, e := range evs {
			total += e.count - cur[e.root]
			cur[e.root] = e.count
			pts = append(pts, point{e.t, total})
		}
		lines[k] = pts
	}
	var out []stepSeries
	dirIndex := map[string]int{}
	for _, k := range keys {
		parts := strings.Split(k, "\x00")
		dir := parts[0] + "\x00" + parts[1]
		idx, ok := dirIndex[dir]
		if !ok {
			idx = len(dirIndex)
			dirIndex[dir] = idx
		}
		class := fmt.Sprintf("s%d", idx%4)
		what := "dashboard.series_handed"
		if parts[2] == "a" {
			class += " acked"
			what = "dashboard.series_acked"
		}
		out = append(out, stepSeries{Class: class, Label: l.T(what, partyName(names, parts[0]), partyName(names, parts[1])), Points: lines[k]})
	}
	return stepChart(l.T("dashboard.chart_title"), out, l, now)
}

// stepSeries is one line of a step chart: a running total over time.
type stepSeries struct {
	Class, Label string
	Points       []point // in time order
}

// stepChart draws running totals over time as steps (the count holds
// until the next event), as inline SVG: no script, no library, and it
// prints.
func stepChart(titleText string, series []stepSeries, l *Localizer, now time.Time) (template.HTML, []legendItem) {
	var tMin, tMax time.Time
	maxV := 0
	for _, sr := range series {
		for _, p := range sr.Points {
			maxV = max(maxV, p.v)
			if tMin.IsZero() || p.t.Before(tMin) {
				tMin = p.t
			}
			if p.t.After(tMax) {
				tMax = p.t
			}
		}
	}
	if tMin.IsZero() {
		return "", nil
	}
	if now.After(tMax) {
		tMax = now
	}
	if !tMax.After(tMin) {
		tMax = tMin.Add(time.Hour)
	}
	// Start the axis a little before the first event so that the first
	// step is visible.
	span := tMax.Sub(tMin)
	tMin = tMin.Add(-span / 20)
	span = tMax.Sub(tMin)
	yMax := niceCeil(maxV)

	const w, h, left, right, top, bottom = 640.0, 260.0, 56.0, 16.0, 16.0, 36.0
	x := func(t time.Time) float64 { return left + (w-left-right)*float64(t.Sub(tMin))/float64(span) }
	y := func(v int) float64 { return top + (h-top-bottom)*(1-float64(v)/float64(yMax)) }

	var b strings.Builder
	title := html.EscapeString(titleText)
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`, w, h, title)
	fmt.Fprintf(&b, `<title>%s</title>`, title)
	for i := 0; i <= 4; i++ {
		v := yMax * i / 4
		fmt.Fprintf(&b, `<line class="grid" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/>`, left, w-right, y(v), y(v))
		fmt.Fprintf(&b, `<text class="tick" x="%.1f" y="%.1f" text-anchor="end">%s</text>`, left-6, y(v)+4, html.EscapeString(l.Num(v)))
	}
	fmt.Fprintf(&b, `<line class="axis" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/>`, left, w-right, h-bottom, h-bottom)
	for i := 0; i <= 3; i++ {
		t := tMin.Add(span * time.Duration(i) / 3)
		anchor := "middle"
		switch i {
		case 0:
			anchor = "start"
		case 3:
			anchor = "end"
		}
		label := l.Date(t)
		if span < 48*time.Hour && i > 0 {
			// Within a day or two the hour tells more than the date.
			label = t.In(l.zone).Format("15:04")
		}
		fmt.Fprintf(&b, `<text class="tick" x="%.1f" y="%.1f" text-anchor="%s">%s</text>`, x(t), h-bottom+20, anchor, html.EscapeString(label))
	}
	var legend []legendItem
	for _, sr := range series {
		var coords []string
		prev := 0
		coords = append(coords, fmt.Sprintf("%.1f,%.1f", x(tMin), y(0)))
		for _, p := range sr.Points {
			coords = append(coords, fmt.Sprintf("%.1f,%.1f", x(p.t), y(prev)), fmt.Sprintf("%.1f,%.1f", x(p.t), y(p.v)))
			prev = p.v
		}
		coords = append(coords, fmt.Sprintf("%.1f,%.1f", x(tMax), y(prev)))
		fmt.Fprintf(&b, `<polyline class="line %s" points="%s"/>`, sr.Class, strings.Join(coords, " "))
		legend = append(legend, legendItem{Class: sr.Class, Label: sr.Label})
	}
	b.WriteString(`</svg>`)
	// Every text in the SVG went through html.EscapeString; the rest is
	// numbers and fixed markup.
	return template.HTML(b.String()), legend
}

func partyName(names map[string]string, id string) string {
	if n := names[id]; n != "" {
		return n
	}
	return id
}

// niceCeil rounds up to 1, 2 or 5 times a power of ten (at least 4), so the
// axis has round ticks.
func niceCeil(v int) int {
	if v < 4 {
		return 4
	}
	p := 1
	for p*10 <= v {
		p *= 10
	}
	for _, m := range []int{1, 2, 4, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}
