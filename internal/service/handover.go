package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"parley/internal/access"
	"parley/internal/families"
	"parley/internal/handover"
	"parley/internal/lists"
	"parley/internal/msg"
	"parley/internal/negotiation"
	"parley/internal/nodes"
	"parley/internal/person"
	"parley/internal/store"
)

// This file holds the day of the handover: the interview of each person
// before it, his outcome, the identification of remains, the report of an
// agreed stage against what happened, and a person's whole timeline.
// package handover holds the rules; every step here is one transaction with
// one log entry, and goes through handover.Apply, so that the refusal rule
// (a person who refused is never handed over) holds in one place.

// OutcomeRequest records what became of one person of an agreed stage.
type OutcomeRequest struct {
	AgreementID string           `json:"agreement_id"`
	ListID      string           `json:"list_id"`
	Row         int              `json:"row"`
	Outcome     handover.Outcome `json:"outcome"`
	// Substitute names the person brought in his place, for the outcome
	// "substituted".
	Substitute *SubstituteRequest `json:"substitute,omitempty"`
}

// SubstituteRequest names a substitute: a row of a handed-over list of the
// same side, or a new person given in full (names with a complete date of
// birth or a service number; for remains what identifies them). A living
// substitute must have consented at his own interview.
type SubstituteRequest struct {
	ListID    string             `json:"list_id,omitempty"`
	Row       int                `json:"row,omitempty"`
	Person    *person.Person     `json:"person,omitempty"`
	Interview handover.Interview `json:"interview,omitempty"`
}

// StepResult is a person's state after a recorded step, with the stage as
// it now stands: whether it is complete and, after an outcome that can
// break the agreed terms (a substitution, a person not presented or dead)
// and after the step that completes the stage, how the releases as they
// happened break them; such a breach is reported, never silently accepted.
// StageReport gives the whole comparison at any time.
type StepResult struct {
	State         handover.PersonState  `json:"state"`
	Complete      bool                  `json:"complete"`
	Breach        []negotiation.Problem `json:"breach,omitempty"`
	BreachMessage string                `json:"breach_message,omitempty"` // in English
	BreachWhy     msg.Msg               `json:"breach_why,omitzero"`
}

// PersonTimeline is everything recorded about one person of a list, in the
// order it happened, across proposals and stages.
type PersonTimeline struct {
	ListID string         `json:"list_id"`
	Row    int            `json:"row"`
	Party  string         `json:"party"` // the party that holds him (the list's sender)
	Person person.Person  `json:"person"`
	Status string         `json:"status"`
	Steps  []TimelineStep `json:"steps"`
}

// TimelineStep is one step of a timeline, with the proposal or agreement
// it belongs to.
type TimelineStep struct {
	handover.Step
	ProposalID  string `json:"proposal_id,omitempty"`
	AgreementID string `json:"agreement_id,omitempty"`
}

// Timeline statuses beyond package handover's.
const (
	StatusCommission     = "commission"      // a decision of the Mixed Medical Commission
	StatusSubstitutedFor = "substituted_for" // handed over in place of another person
	// A death in captivity recorded by the detaining side, the
	// identification of the remains, and each release of the news to the
	// families (the note holds the state released).
	StatusDeathRecorded     = "death_recorded"
	StatusRemainsIdentified = "remains_identified"
	StatusDeathReleased     = "death_released"
)

// handoverError sorts the refusals of handover.Apply: malformed input is
// invalid; a step out of order, after an outcome or against a refusal is a
// conflict with the person's state. The original error stays wrapped, so
// errors.Is(err, handover.ErrRefused) holds.
func handoverError(err error) error {
	switch {
	case errors.Is(err, handover.ErrEvent):
		return invalidErr(err)
	case errors.Is(err, handover.ErrRefused), errors.Is(err, handover.ErrOrder), errors.Is(err, handover.ErrFinal):
		return conflictErr(err)
	}
	return err
}

// stepper builds the event of a step from the stored record.
type stepper func(ctx context.Context, tx *store.Tx, a *negotiation.Agreement, rec *store.HandoverRecord) (handover.Event, error)

// recordStep records one step of one person in one transaction with one log
// entry: handover.Apply decides whether it may happen, a conditional update
// makes sure nobody recorded another step meanwhile, and the stage is
// compared with the agreement afterwards.
func (s *Service) recordStep(ctx context.Context, actor access.Actor, agreementID, listID string, row int, mk stepper) (*StepResult, error) {
	res := &StepResult{}
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		a, err := s.loadAgreement(ctx, tx, actor, agreementID)
		if err != nil {
			return err
		}
		rec, err := tx.HandoverRecord(ctx, agreementID, listID, row)
		if err != nil {
			return err
		}
		ev, err := mk(ctx, tx, a, rec)
		if err != nil {
			return err
		}
		ev.At, ev.By = notBefore(s.Now().UTC().Truncate(time.Microsecond), rec.State), actor.String()
		next, err := handover.Apply(rec.State, ev)
		if err != nil {
			return handoverError(err)
		}
		step := next.Timeline[len(next.Timeline)-1]
		rec.State, rec.UpdatedBy = next, actor.String()
		if err := tx.UpdateHandoverRecord(ctx, rec); err != nil {
			return stateChanged(err)
		}
		pending, err := tx.PendingHandover(ctx, agreementID)
		if err != nil {
			return err
		}
		res.State, res.Complete = next, pending == 0
		// The whole comparison reads every person of the stage; it runs
		// when the step can break the terms or ends the stage, so that a
		// day of thousands of handovers stays linear.
		var codes []string
		switch {
		case res.Complete, ev.Type == handover.EventSubstituted, ev.Type == handover.EventNotPresented, ev.Type == handover.EventDeceased,
			ev.Type == handover.EventCorrected:
			rep, err := s.compareStage(ctx, tx, a)
			if err != nil {
				return err
			}
			res.Breach, res.BreachMessage, res.BreachWhy = rep.Breach, rep.BreachMessage, rep.BreachWhy
			for _, p := range rep.Breach {
				codes = append(codes, p.Code)
			}
		}
		item := map[string]any{"list_id": listID, "row": row, "type": ev.Type, "interview": next.Interview,
			"outcome": next.Outcome, "substitute": next.Substitute, "identification": next.Identification}
		if ev.Type == handover.EventCorrected {
			item["corrected_from"], item["reason"] = step.From, step.Reason
		}
		data, _ := json.Marshal(item)
		attrs := map[string]string{
			"agreement_id": agreementID, "round_id": a.RoundID, "party": rec.State.Party, "step": string(ev.Type),
			"stage_complete": strconv.FormatBool(res.Complete), "breach": strings.Join(codes, ","),
		}
		if ev.Type == handover.EventCorrected {
			attrs["corrected_from"] = string(step.From)
		}
		return s.recordEvent(ctx, tx, actor, Event{Type: "handover." + string(ev.Type), Subject: agreementID, Attrs: attrs,
			Personal: []EventItem{{ID: fmt.Sprintf("release/%s/%d", listID, row), Data: data}}})
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// compareStage compares an agreement with its handover records.
func (s *Service) compareStage(ctx context.Context, tx *store.Tx, a *negotiation.Agreement) (handover.Report, error) {
	sides, err := tx.AgreementReleases(ctx, a.ID)
	if err != nil {
		return handover.Report{}, err
	}
	recs, err := tx.HandoverRecords(ctx, a.ID)
	if err != nil {
		return handover.Report{}, err
	}
	states := make([]handover.PersonState, len(recs))
	for i, r := range recs {
		states[i] = r.State
	}
	stage := negotiation.Stage{Terms: a.Terms, Sides: [2]negotiation.SideRelease{{Party: a.Parties[0], Releases: sides[0]}, {Party: a.Parties[1], Releases: sides[1]}}}
	return handover.Discrepancies(stage, states, s.Catalogue()), nil
}

// RecordInterview records the private interview before the handover: the
// person consents to go home or refuses. Only observers (the neutral
// humanitarian organisation) interview. A refusal stands: the person is
// never handed over in this stage, and is never counted as owed.
func (s *Service) RecordInterview(ctx context.Context, actor access.Actor, agreementID, listID string, row int, iv handover.Interview) (*StepResult, error) {
	return s.RecordInterviewDisclosed(ctx, actor, agreementID, listID, row, iv, false)
}

// RecordInterviewDisclosed is RecordInterview with the person's choice
// about his family: disclose says that a person who refuses agreed that
// his family be told he declined. Without it the family is told only that
// he was not repatriated in this stage (families.Table).
func (s *Service) RecordInterviewDisclosed(ctx context.Context, actor access.Actor, agreementID, listID string, row int, iv handover.Interview, disclose bool) (*StepResult, error) {
	if !actor.CanObserve() {
		return nil, access.Forbid("deny.interview")
	}
	if !iv.Valid() {
		return nil, Invalid("err.handover.interview_outcome", "value", iv)
	}
	if disclose && iv != handover.Refuses {
		return nil, Invalid("err.handover.disclose_refusal")
	}
	res, err := s.recordStep(ctx, actor, agreementID, listID, row, func(context.Context, *store.Tx, *negotiation.Agreement, *store.HandoverRecord) (handover.Event, error) {
		return handover.Event{Type: handover.EventInterviewed, Interview: iv, Disclose: disclose}, nil
	})
	if err == nil && iv == handover.Refuses {
		s.informFamilies(ctx, actor, listID, row, families.FamilyStatus(families.PersonRefused, res.State.DiscloseRefusal), s.Now())
	}
	return res, err
}

// RecordOutcome records what became of a person at the handover: handed
// over, not presented, deceased, or substituted by a named other person.
// Observers and the mediator record outcomes. A substitute must be a row of
// a handed-over list of the same side or a new person given in full; the
// stage is then checked against its rule again, and a breach is returned
// (and kept in the stage report) rather than silently accepted.
func (s *Service) RecordOutcome(ctx context.Context, actor access.Actor, req OutcomeRequest) (*StepResult, error) {
	if !actor.CanObserve() && !actor.CanMediate() {
		return nil, access.Forbid("deny.record_outcomes")
	}
	var evType handover.EventType
	switch req.Outcome {
	case handover.HandedOver:
		evType = handover.EventHandedOver
	case handover.NotPresented:
		evType = handover.EventNotPresented
	case handover.Deceased:
		evType = handover.EventDeceased
	case handover.Substituted:
		evType = handover.EventSubstituted
		if req.Substitute == nil {
			return nil, Invalid("err.handover.substitution_needs_substitute")
		}
	default:
		return nil, Invalid("err.handover.outcome", "value", req.Outcome)
	}
	if req.Outcome != handover.Substituted && req.Substitute != nil {
		return nil, Invalid("err.handover.substitute_without_substitution")
	}
	res, err := s.recordStep(ctx, actor, req.AgreementID, req.ListID, req.Row, func(ctx context.Context, tx *store.Tx, a *negotiation.Agreement, rec *store.HandoverRecord) (handover.Event, error) {
		ev := handover.Event{Type: evType}
		// (A person who refused or has an outcome is refused by
		// handover.Apply, with the reason that matters.)
		if evType == handover.EventDeceased && rec.State.Person.Kind != person.KindRemains && !rec.State.Done() {
			// A death is reported with its Art. 120 particulars by the
			// detaining party before the stage can record it.
			if _, ok, err := deathOf(ctx, tx, rec.State.ListID, rec.State.Row); err != nil {
				return ev, err
			} else if !ok {
				return ev, Conflict("err.handover.record_death_first", "row", msg.Plain(rec.State.Row), "list", rec.State.ListID)
			}
		}
		if evType == handover.EventHandedOver {
			if err := noDeath(ctx, tx, rec.State.ListID, rec.State.Row); err != nil {
				return ev, err
			}
		}
		if evType == handover.EventSubstituted {
			sub, err := s.substitute(ctx, tx, actor, a, rec, req.Substitute)
			if err != nil {
				return ev, err
			}
			if sub.ListID != "" {
				if err := noDeath(ctx, tx, sub.ListID, sub.Row); err != nil {
					return ev, err
				}
			}
			ev.Substitute = sub
		}
		return ev, nil
	})
	if err != nil {
		return nil, err
	}
	s.Logger.Info("handover outcome", "agreement", req.AgreementID, "outcome", string(req.Outcome), "complete", res.Complete, "breach", len(res.Breach))
	// What the families see follows families.Table; a death is never
	// passed on here: it waits for an officer of the person's side to
	// release it (ReleaseDeath).
	switch {
	case req.Outcome == handover.HandedOver:
		s.informFamilies(ctx, actor, req.ListID, req.Row, families.FamilyStatus(families.PersonHandedOver, false), s.Now())
	case req.Outcome == handover.NotPresented:
		s.informFamilies(ctx, actor, req.ListID, req.Row, families.FamilyStatus(families.PersonNotPresented, false), s.Now())
	case req.Outcome == handover.Substituted:
		s.informFamilies(ctx, actor, req.ListID, req.Row, families.FamilyStatus(families.PersonSubstituted, false), s.Now())
		if res.State.Substitute != nil && res.State.Substitute.ListID != "" {
			s.informFamilies(ctx, actor, res.State.Substitute.ListID, res.State.Substitute.Row, families.FamilyStatus(families.PersonHandedOver, false), s.Now())
		}
	}
	return res, nil
}

// noDeath refuses to hand over alive a person whose death in captivity is
// on record: one of the two statements is wrong, and the family must not be
// told both.
func noDeath(ctx context.Context, tx *store.Tx, listID string, row int) error {
	d, ok, err := deathOf(ctx, tx, listID, row)
	if err != nil || !ok {
		return err
	}
	return Conflict("err.handover.dead_not_alive", "row", msg.Plain(row), "list", listID, "death", d.ID)
}

// substitute resolves the person brought in place of an agreed one.
func (s *Service) substitute(ctx context.Context, tx *store.Tx, actor access.Actor, a *negotiation.Agreement, rec *store.HandoverRecord, req *SubstituteRequest) (*handover.Substitute, error) {
	party := rec.State.Party
	sub := &handover.Substitute{Interview: req.Interview}
	switch {
	case req.ListID != "" && req.Person != nil:
		return nil, Invalid("err.handover.substitute_row_or_person")
	case req.ListID != "":
		l, err := s.loadHandedOverList(ctx, tx, actor, req.ListID)
		if err != nil {
			return nil, err
		}
		if l.From != party {
			return nil, Invalid("err.handover.substitute_list", "party", party, "list", l.ID, "from", l.From)
		}
		if l.ID == rec.State.ListID && req.Row == rec.State.Row {
			return nil, Invalid("err.handover.substitute_self")
		}
		e, ok := entryAt(l, req.Row)
		if !ok {
			return nil, Invalid("err.row_not_on_list", "row", msg.Plain(req.Row), "list", l.ID)
		}
		held, err := tx.EntryAgreements(ctx, l.ID, req.Row)
		if err != nil {
			return nil, err
		}
		var elsewhere []store.EntryAgreement
		for _, h := range held {
			if h.AgreementID != a.ID {
				elsewhere = append(elsewhere, h)
			}
		}
		if ag, why := boundBy(elsewhere); ag != "" {
			return nil, Conflict("err.substitute_bound", "row", msg.Plain(req.Row), "list", l.ID, "why", why, "agreement", ag)
		}
		p := e.Person
		p.Categories = append([]string(nil), e.Categories...)
		prop, err := tx.Proposal(ctx, a.ProposalID)
		if err != nil {
			return nil, err
		}
		if prop.RefDate.Complete() && p.Kind != person.KindRemains {
			s.Catalogue().DeriveYouth(&p, prop.RefDate)
		}
		sub.ListID, sub.Row, sub.Person = l.ID, e.Row, p
	case req.Person != nil:
		p := *req.Person
		p.Normalize()
		if errs := p.Validate(); len(errs) > 0 {
			return nil, Invalid("err.handover.substitute_invalid", "problems", fieldProblems(errs))
		}
		if !givenInFull(&p) {
			return nil, Invalid("err.handover.substitute_in_full")
		}
		sub.Person = p
	default:
		return nil, Invalid("err.handover.name_substitute", "party", party)
	}
	return sub, nil
}

// givenInFull reports whether a person on no list is identified well enough
// to be handed over as a substitute (GC III Art. 17: names, date of birth,
// serial number; Art. 120 for the dead).
func givenInFull(p *person.Person) bool {
	if p.Kind == person.KindRemains {
		return p.FullName() != "" || p.FullNameLatin() != "" || p.GraveID != "" || p.DNASampleRef != ""
	}
	named := (p.Surname != "" && p.GivenNames != "") || (p.SurnameLatin != "" && p.GivenNamesLatin != "")
	return named && (p.BirthDate.Complete() || p.ServiceNumber != "")
}

// RecordIdentification advances the identification of a set of remains of
// an agreed stage (presumed → DNA pending → confirmed). Observers and the
// mediator record it.
func (s *Service) RecordIdentification(ctx context.Context, actor access.Actor, agreementID, listID string, row int, id handover.Identification) (*StepResult, error) {
	if !actor.CanObserve() && !actor.CanMediate() {
		return nil, access.Forbid("deny.record_identification")
	}
	return s.recordStep(ctx, actor, agreementID, listID, row, func(context.Context, *store.Tx, *negotiation.Agreement, *store.HandoverRecord) (handover.Event, error) {
		return handover.Event{Type: handover.EventIdentified, Identification: id}, nil
	})
}

// StageReport compares an agreed stage with its handover: per side and per
// category, who was handed over, refused (never owed), not presented,
// deceased, substituted, handed over outside the agreement or still
// pending, and how the releases as they happened break the agreed rule.
func (s *Service) StageReport(ctx context.Context, actor access.Actor, agreementID string) (*handover.Report, error) {
	if s.Mode() == nodes.Node {
		return nil, s.nodeHubOnly(ctx, actor, agreementID)
	}
	var rep handover.Report
	err := s.db.View(ctx, func(tx *store.Tx) error {
		a, err := s.loadAgreement(ctx, tx, actor, agreementID)
		if err != nil {
			return err
		}
		rep, err = s.compareStage(ctx, tx, a)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := s.recordAccess(ctx, actor, "stage.report", agreementID, len(rep.Items)); err != nil {
		return nil, err
	}
	return &rep, nil
}

// informFamilies passes what became of a person to the families whose
// inquiries are linked to his list row. It runs right after the change is
// committed (SetInquiryOutcome has its own transaction); a failure is
// logged and does not undo the change, which the log already holds.
func (s *Service) informFamilies(ctx context.Context, actor access.Actor, listID string, row int, status families.Status, date time.Time) {
	if _, err := s.SetInquiryOutcome(context.WithoutCancel(ctx), actor, listID, row, status, date, ""); err != nil {
		s.Logger.Warn("passing a stage outcome to family inquiries", "list", listID, "status", string(status), "err", err)
	}
}

// afterAgreed tells the families of every person of a new agreement that
// their relative is included in an agreed stage.
func (s *Service) afterAgreed(ctx context.Context, actor access.Actor, a *negotiation.Agreement, persons []handover.PersonState) {
	date := s.Now()
	if t, ok := a.Date.Time(); ok {
		date = t
	}
	for _, p := range persons {
		s.informFamilies(ctx, actor, p.ListID, p.Row, families.FamilyStatus(families.PersonAgreed, false), date)
	}
}

// PersonTimeline returns everything recorded about one row of a list:
// listed, each proposal (the actor may see) that released him, the medical
// commission's decisions, and in each agreed stage agreed, interviewed and
// his outcome, or his being handed over in another's place; each step with
// who and when.
func (s *Service) PersonTimeline(ctx context.Context, actor access.Actor, listID string, row int) (*PersonTimeline, error) {
	if s.Mode() == nodes.Node {
		// The proposals, agreements and handover steps of a person are the hub's.
		return nil, msg.NewError(ErrWrongMode, "node.hub_only.timeline", "list", listID, "row", row)
	}
	var t *PersonTimeline
	err := s.db.View(ctx, func(tx *store.Tx) error {
		l, err := s.loadHandedOverList(ctx, tx, actor, listID)
		if err != nil {
			return err
		}
		e, ok := entryAt(l, row)
		if !ok {
			return fmt.Errorf("row %d of list %s: %w", row, listID, ErrNotFound)
		}
		t = &PersonTimeline{ListID: listID, Row: row, Party: l.From, Person: e.Person}
		t.Steps, err = s.timelineSteps(ctx, tx, actor, l, row)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, st := range t.Steps {
		if st.Status != StatusCommission {
			t.Status = st.Status
		}
	}
	if err := s.recordAccess(ctx, actor, "person.timeline", fmt.Sprintf("%s/%d", listID, row), 1); err != nil {
		return nil, err
	}
	return t, nil
}

// dateParam is a recorded date as a message parameter: a complete one in
// the reader's way, a partial one as written.
func dateParam(d person.Date) any {
	if d.Complete() {
		return msg.CalendarDate{Y: d.Year, M: d.Month, D: d.Day}
	}
	return msg.Raw(d.String())
}

// noted gives a timeline step its detail as a message (Why) and in
// English (Note).
func noted(st handover.Step, why msg.Msg) handover.Step {
	st.Why, st.Note = why, why.String()
	return st
}

func (s *Service) timelineSteps(ctx context.Context, tx *store.Tx, actor access.Actor, l *lists.List, row int) ([]TimelineStep, error) {
	by := l.CreatedBy
	if by == "" {
		by = l.From
	}
	steps := []TimelineStep{{Step: noted(handover.Step{Status: handover.StatusListed, At: l.HandedOverAt, By: by}, msg.New("timeline.listed", "list", msg.Raw(l.ID), "from", msg.Raw(l.From), "to", msg.Raw(l.To)))}}
	props, err := tx.EntryProposals(ctx, l.ID, row)
	if err != nil {
		return nil, err
	}
	for _, p := range props {
		if p.State == negotiation.ProposalDraft || !proposalVisible(actor, p) {
			continue
		}
		steps = append(steps, TimelineStep{ProposalID: p.ID, Step: noted(handover.Step{Status: handover.StatusProposed, At: p.SubmittedAt, By: p.CreatedBy},
			msg.New("timeline.proposed", "from", msg.Raw(p.From), "to", msg.Raw(p.To), "rule", msg.Enum{Kind: "rule", Code: string(p.Terms.Rule)}, "state", msg.Enum{Kind: "proposal_state", Code: string(p.State)}))})
	}
	decisions, err := tx.EntryCommission(ctx, l.ID, row)
	if err != nil {
		return nil, err
	}
	for _, d := range decisions {
		note := msg.New("timeline.commission", "decision", msg.Enum{Kind: "commission", Code: string(d.Outcome.Decision)})
		if !d.Outcome.DecidedOn.IsZero() {
			note = msg.New("timeline.commission_on", "text", note, "date", dateParam(d.Outcome.DecidedOn))
		}
		if !d.Outcome.ReexamineOn.IsZero() {
			note = msg.New("timeline.commission_reexamine", "text", note, "date", dateParam(d.Outcome.ReexamineOn))
		}
		steps = append(steps, TimelineStep{ProposalID: d.ProposalID, Step: noted(handover.Step{Status: StatusCommission, At: d.RecordedAt, By: d.RecordedBy}, note)})
	}
	visible := map[string]bool{}
	sees := func(id string) (bool, error) {
		if v, ok := visible[id]; ok {
			return v, nil
		}
		a, err := tx.Agreement(ctx, id)
		if err != nil {
			return false, err
		}
		visible[id] = actor.SeesNegotiation(a.Parties[0], a.Parties[1])
		return visible[id], nil
	}
	recs, err := tx.EntryHandoverRecords(ctx, l.ID, row)
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		if ok, err := sees(r.AgreementID); err != nil || !ok {
			if err != nil {
				return nil, err
			}
			continue
		}
		for _, st := range r.State.Timeline {
			// listed and proposed come from the list and the proposals
			if st.Status == handover.StatusListed || st.Status == handover.StatusProposed {
				continue
			}
			steps = append(steps, TimelineStep{AgreementID: r.AgreementID, Step: st})
		}
	}
	in, err := tx.SubstitutedIn(ctx, l.ID, row)
	if err != nil {
		return nil, err
	}
	for _, r := range in {
		if ok, err := sees(r.AgreementID); err != nil || !ok {
			if err != nil {
				return nil, err
			}
			continue
		}
		for _, st := range r.State.Timeline {
			if st.Status == handover.StatusSubstituted {
				steps = append(steps, TimelineStep{AgreementID: r.AgreementID, Step: noted(handover.Step{Status: StatusSubstitutedFor, At: st.At, By: st.By},
					msg.New("timeline.substituted_for", "row", msg.Plain(r.State.Row), "list", msg.Raw(r.State.ListID)))})
			}
		}
	}
	if d, ok, err := deathOf(ctx, tx, l.ID, row); err != nil {
		return nil, err
	} else if ok && seesDeath(actor, d) {
		note := msg.New("timeline.death_reported", "by", msg.Raw(d.ReportedBy))
		if !d.DiedOn.IsZero() {
			note = msg.New("timeline.death_died", "date", dateParam(d.DiedOn), "by", msg.Raw(d.ReportedBy))
		}
		steps = append(steps, TimelineStep{Step: noted(handover.Step{Status: StatusDeathRecorded, At: d.RecordedAt, By: d.RecordedBy}, note)})
		if d.ReleasedState != "" {
			steps = append(steps, TimelineStep{Step: handover.Step{Status: StatusDeathReleased, At: d.ReleasedAt, By: d.ReleasedBy, Note: d.ReleasedState}})
		}
	}
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].At.Before(steps[j].At) })
	return steps, nil
}
