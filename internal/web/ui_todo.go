package web

import (
	"context"
	"errors"
	"html/template"
	"time"

	"parley/internal/access"
	"parley/internal/service"
)

// What waits for the signed-in user: the dashboard lists it with a link to
// the place to act, and the menu shows how many steps wait on every page.

// todoCount returns how many steps wait for the actor, for the menu's
// badge on every page. The service keeps what waits until this process
// changes a record, so the count costs no statement between changes and
// is never older than a change made here. A failure to count is logged
// and shows no badge rather than failing the page.
func (s *Server) todoCount(ctx context.Context, a access.Actor) int {
	items, err := s.svc.ToDo(ctx, a)
	if err != nil {
		s.log.Warn("counting what waits", "actor", a.String(), "err", err)
		return 0
	}
	return len(items)
}

// todoView is one waiting step on the dashboard.
type todoView struct {
	service.ToDoItem
	Href string
}

// todoHref is the place to act on a waiting step.
func todoHref(it service.ToDoItem) string {
	switch it.Kind {
	case service.ToAcknowledge:
		return "/lists/" + it.Subject
	case service.ToReviewMatches:
		return "/match-runs/" + it.Subject + "?decision=review&review=pending"
	case service.ToAnswerProposal, service.ToWitness:
		return "/proposals/" + it.Subject
	case service.ToHandOver:
		return "/agreements/" + it.Subject + "/handover"
	case service.ToAnswerDispute, service.ToCloseDispute:
		return "/disputes"
	}
	return "/"
}

// dashboardToDo fills what waits for the actor, the state of the
// negotiation and the repatriations over time.
func (s *Server) dashboardToDo(ctx context.Context, actor access.Actor, d *dashboardData, l *Localizer) error {
	items, err := s.svc.ToDo(ctx, actor)
	if err != nil {
		return err
	}
	for _, it := range items {
		d.ToDo = append(d.ToDo, todoView{ToDoItem: it, Href: todoHref(it)})
	}
	sum, err := s.svc.NegotiationSummary(ctx, actor)
	switch {
	case errors.Is(err, access.ErrForbidden):
		return nil
	case err != nil:
		return err
	}
	d.Negotiation = sum
	d.RepChart, d.RepLegend = repatriationChart(sum, d.Parties, l, s.opts.Now())
	return nil
}

// repatriationChart draws, per direction, the persons handed over so far.
func repatriationChart(sum *service.NegotiationSummary, names map[string]string, l *Localizer, now time.Time) (template.HTML, []legendItem) {
	idx := map[string]int{}
	var series []stepSeries
	for _, r := range sum.Repatriations {
		key := r.From + "\x00" + r.To
		i, ok := idx[key]
		if !ok {
			i = len(series)
			idx[key] = i
			series = append(series, stepSeries{Class: "s" + string(rune('0'+i%4)), Label: l.T("workbench.series_repatriated", partyName(names, r.From), partyName(names, r.To))})
		}
		n := 1
		if k := len(series[i].Points); k > 0 {
			n = series[i].Points[k-1].v + 1
		}
		series[i].Points = append(series[i].Points, point{r.At, n})
	}
	return stepChart(l.T("workbench.rep_chart_title"), series, l, now)
}
