package familyweb

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"parley/internal/families"
)

// publicData is what the public figures page shows.
type publicData struct {
	F          *families.Figures
	Categories []labelled
	States     []labelled
	Statuses   []labelled
	Chart      *chart
	Generated  string
}

type labelled struct {
	Label string
	Cell  families.Cell
}

func (h *Handler) publicPage(w http.ResponseWriter, r *http.Request) {
	f, err := h.figures(r)
	if err != nil {
		h.serverError(w, r, "public figures", err)
		return
	}
	lang := pickLanguage(w, r, !h.opts.InsecureCookies)
	c := h.cat[lang]
	d := publicData{F: f, Generated: f.GeneratedAt.Format(time.DateOnly)}
	for _, row := range f.ByCategory {
		label := c.translate("public.category.none")
		if row.Key != "" {
			label = row.Key
			if cat, ok := h.svc.Catalogue().Get(row.Key); ok {
				label = cat.Label(lang)
			}
		}
		d.Categories = append(d.Categories, labelled{label, row.Cell})
	}
	for _, row := range f.ByListState {
		d.States = append(d.States, labelled{c.translate("public.state." + row.Key), row.Cell})
	}
	for _, row := range f.InquiriesByStatus {
		d.Statuses = append(d.Statuses, labelled{c.translate("public.status." + row.Key), row.Cell})
	}
	d.Chart = buildChart(f.ListedOverTime, f.RepatriatedOverTime, c.translate("public.chart.listed"), c.translate("public.chart.repatriated"))
	w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(int(h.opts.FiguresTTL.Seconds())))
	h.render(w, r, http.StatusOK, "public.html", &page{Lang: lang, Title: "public.title", Nav: "public", Data: d})
}

// chart is a line chart drawn on the server as inline SVG: no script, and
// no style attribute (the stylesheet colours it by class), so that it
// works under the strict Content Security Policy and without JavaScript.
type chart struct {
	Width, Height int
	Series        []chartSeries
	XTicks        []tick
	YTicks        []tick
	Left, Bottom  int
	Right, Top    int
}

type chartSeries struct {
	Name   string
	Class  string
	Points string // "x,y x,y ..." for polyline
	Dots   []dot
	Data   []families.Point
}

type dot struct {
	X, Y  string
	Title string
}

type tick struct {
	Pos   string
	Label string
}

// buildChart lays out the running totals; nil when there is nothing that
// may be published.
func buildChart(listed, repatriated []families.Point, listedName, repatriatedName string) *chart {
	if len(listed) == 0 && len(repatriated) == 0 {
		return nil
	}
	// Margins leave room for the axis labels: half a date (10 characters
	// of 11 px, centred on the first and last tick) on either side, and a
	// seven-digit count left of the y axis.
	ch := &chart{Width: 680, Height: 260, Left: 64, Right: 636, Top: 16, Bottom: 224}
	var minT, maxT time.Time
	maxY := 0
	for _, s := range [][]families.Point{listed, repatriated} {
		for _, p := range s {
			t, err := time.Parse(time.DateOnly, p.Date)
			if err != nil {
				continue
			}
			if minT.IsZero() || t.Before(minT) {
				minT = t
			}
			if t.After(maxT) {
				maxT = t
			}
			maxY = max(maxY, p.Total)
		}
	}
	if maxT.Equal(minT) {
		minT, maxT = minT.AddDate(0, 0, -1), maxT.AddDate(0, 0, 1)
	}
	maxY = niceCeil(maxY)
	x := func(t time.Time) float64 {
		return float64(ch.Left) + float64(ch.Right-ch.Left)*t.Sub(minT).Seconds()/maxT.Sub(minT).Seconds()
	}
	y := func(v int) float64 {
		return float64(ch.Bottom) - float64(ch.Bottom-ch.Top)*float64(v)/float64(maxY)
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
	for i := 0; i <= 4; i++ {
		v := maxY * i / 4
		ch.YTicks = append(ch.YTicks, tick{Pos: f(y(v)), Label: strconv.Itoa(v)})
	}
	span := maxT.Sub(minT)
	for i := 0; i <= 3; i++ {
		t := minT.Add(span * time.Duration(i) / 3)
		ch.XTicks = append(ch.XTicks, tick{Pos: f(x(t)), Label: t.Format(time.DateOnly)})
	}
	for _, s := range []struct {
		name, class string
		pts         []families.Point
	}{{listedName, "listed", listed}, {repatriatedName, "repatriated", repatriated}} {
		cs := chartSeries{Name: s.name, Class: s.class, Data: s.pts}
		var pts []string
		for i, p := range s.pts {
			t, err := time.Parse(time.DateOnly, p.Date)
			if err != nil {
				continue
			}
			// A running total is a step function: it stays level until the
			// next published point.
			if i > 0 {
				pts = append(pts, f(x(t))+","+f(y(s.pts[i-1].Total)))
			}
			pts = append(pts, f(x(t))+","+f(y(p.Total)))
			cs.Dots = append(cs.Dots, dot{X: f(x(t)), Y: f(y(p.Total)), Title: fmt.Sprintf("%s %s: %d", p.Date, s.name, p.Total)})
		}
		if len(s.pts) > 0 {
			pts = append(pts, f(float64(ch.Right))+","+f(y(s.pts[len(s.pts)-1].Total)))
		}
		cs.Points = strings.Join(pts, " ")
		ch.Series = append(ch.Series, cs)
	}
	return ch
}

// niceCeil rounds up to 1, 2 or 5 times a power of ten, for axis labels.
func niceCeil(v int) int {
	if v <= 0 {
		return 10
	}
	p := 1
	for p*10 <= v {
		p *= 10
	}
	for _, m := range []int{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}
