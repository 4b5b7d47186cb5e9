package web

import (
	"parley/internal/handover"
	"parley/internal/msg"
	"parley/internal/negotiation"
	"parley/internal/service"
)

// The domain gives breaches, report items and timeline steps as messages
// (Why) with their English text (Message, Detail, Note) beside. An API
// answer carries both the message, for programs, and its text in the
// reader's language: these functions put that text in place of the
// English one, on copies.

// localProblems renders each problem's message in lang.
func localProblems(lang string, ps []negotiation.Problem) []negotiation.Problem {
	if ps == nil {
		return nil
	}
	out := make([]negotiation.Problem, len(ps))
	for i, p := range ps {
		if !p.Why.IsZero() {
			p.Message = msg.Text(lang, p.Why)
		}
		out[i] = p
	}
	return out
}

// localReport renders a stage report's items and breach in lang.
func localReport(lang string, rep *handover.Report) *handover.Report {
	c := *rep
	c.Items = make([]handover.Item, len(rep.Items))
	for i, it := range rep.Items {
		if !it.Why.IsZero() {
			it.Detail = msg.Text(lang, it.Why)
		}
		c.Items[i] = it
	}
	c.Breach = localProblems(lang, rep.Breach)
	if !rep.BreachWhy.IsZero() {
		c.BreachMessage = msg.Text(lang, rep.BreachWhy)
	}
	return &c
}

// localTimeline renders the notes of a person's timeline in lang.
func localTimeline(lang string, t *service.PersonTimeline) *service.PersonTimeline {
	c := *t
	c.Steps = make([]service.TimelineStep, len(t.Steps))
	for i, st := range t.Steps {
		if !st.Why.IsZero() {
			st.Note = msg.Text(lang, st.Why)
		}
		c.Steps[i] = st
	}
	return &c
}
