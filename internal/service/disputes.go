package service

import (
	"context"
	"encoding/json"
	"fmt"
	"parley/internal/nodes"
	"strconv"
	"strings"
	"time"

	"parley/internal/access"
	"parley/internal/disputes"
	"parley/internal/lists"
	"parley/internal/msg"
	"parley/internal/person"
	"parley/internal/store"
)

// Disputes about handed-over lists (see package disputes for the rules).
// Each statement — a reservation, a contested row, a claim of persons left
// off, an answer, a closing — is one transaction with one entry in the
// signed log, whose actor is the side's officer: the side's statement is
// on the record under its name.

// ContestRequest contests one row of a received list.
type ContestRequest struct {
	ListID string          `json:"list_id"`
	Row    int             `json:"row"`
	Reason disputes.Reason `json:"reason"`
	Note   string          `json:"note,omitempty"`
}

// disputeEvent builds the log entry of a dispute's statement. The clear
// attributes name the dispute, the list and the sides; the row, the texts
// and the persons of a claim are personal items.
func disputeEvent(typ string, d *disputes.Dispute) Event {
	ev := Event{Type: typ, Subject: d.ID, Attrs: map[string]string{
		"dispute_id": d.ID, "kind": string(d.Kind), "list_id": d.ListID, "root_id": d.RootID,
		"by": d.By, "to": d.To, "state": string(d.State),
	}}
	if d.Reason != "" {
		ev.Attrs["reason"] = string(d.Reason)
	}
	if d.RunID != "" {
		ev.Attrs["run_id"] = d.RunID
	}
	if d.Answer != "" {
		ev.Attrs["answer"] = string(d.Answer)
	}
	if d.ClosedBy != "" {
		ev.Attrs["closed_by"] = d.ClosedBy
	}
	if d.Kind == disputes.Claim {
		ev.Attrs["person_count"] = strconv.Itoa(d.PersonCount)
	}
	statement, _ := json.Marshal(map[string]any{"row": d.Row, "note": d.Note, "answer_reason": d.AnswerReason, "close_note": d.CloseNote})
	ev.Personal = append(ev.Personal, EventItem{ID: "statement", Data: statement})
	if typ == "dispute.claimed" {
		for i, p := range d.Persons {
			b, _ := json.Marshal(p)
			ev.Personal = append(ev.Personal, EventItem{ID: "person/" + strconv.Itoa(i+1), Data: b})
		}
	}
	return ev
}

// listEntryOf reports whether a list has a row; the one place that names
// list entries for disputes.
func listEntryOf(l *lists.List, row int) bool {
	_, ok := entryAt(l, row)
	return ok
}

func newDispute(kind disputes.Kind, l *lists.List, by, to string, actor access.Actor, at time.Time) *disputes.Dispute {
	return &disputes.Dispute{ID: newID("X"), Kind: kind, ListID: l.ID, RootID: l.RootID, By: by, To: to,
		State: disputes.Open, CreatedBy: actor.String(), CreatedAt: at}
}

// AcknowledgeWithReservation acknowledges receipt of a list, as
// Acknowledge, and when reservation is not empty records it as a dispute
// that the sender must answer, in the same transaction.
func (s *Service) AcknowledgeWithReservation(ctx context.Context, actor access.Actor, id, reservation string) (*lists.List, *disputes.Dispute, error) {
	reservation = strings.TrimSpace(reservation)
	if err := disputes.CheckText("reservation", reservation, false); err != nil {
		return nil, nil, invalidErr(err)
	}
	var d *disputes.Dispute
	err := s.db.Update(ctx, func(tx *store.Tx) (err error) {
		d, err = s.acknowledgeWithReservation(ctx, tx, actor, id, reservation)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	l, err := s.header(ctx, id)
	return l, d, err
}

// acknowledgeWithReservation is AcknowledgeWithReservation in the caller's
// transaction. On a party node it also queues the signed list.ack
// statement for the hub, in the same transaction.
func (s *Service) acknowledgeWithReservation(ctx context.Context, tx *store.Tx, actor access.Actor, id, reservation string) (*disputes.Dispute, error) {
	l, err := s.acknowledge(ctx, tx, actor, id)
	if err != nil {
		return nil, err
	}
	if s.Mode() == nodes.Node {
		if err := s.queueAck(ctx, tx, l, reservation); err != nil {
			return nil, err
		}
	}
	if reservation == "" {
		return nil, nil
	}
	d := newDispute(disputes.Reservation, l, l.To, l.From, actor, s.Now().UTC().Truncate(time.Microsecond))
	d.Note = reservation
	if err := tx.InsertDispute(ctx, d); err != nil {
		return nil, err
	}
	return d, s.recordEvent(ctx, tx, actor, disputeEvent("dispute.reservation", d))
}

// ContestRow records that the receiving side contests one row of a list
// it received, with a reason code and a note. A row has one unsettled
// contest at a time.
func (s *Service) ContestRow(ctx context.Context, actor access.Actor, req ContestRequest) (*disputes.Dispute, error) {
	req.Note = strings.TrimSpace(req.Note)
	if !req.Reason.Valid() {
		return nil, Invalid("err.dispute.reason", "row", msg.Plain(req.Row), "value", string(req.Reason), "choices", disputeReasons())
	}
	if err := disputes.CheckText("note", req.Note, req.Reason == disputes.Other); err != nil {
		return nil, invalidBecause("err.row_reason", err, "row", msg.Plain(req.Row))
	}
	var d *disputes.Dispute
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		l, err := s.loadHandedOverList(ctx, tx, actor, req.ListID)
		if err != nil {
			return err
		}
		if !actor.CanAcknowledge(listView(l)) {
			return access.Forbid("deny.contest", "list", l.ID, "party", l.To)
		}
		if !listEntryOf(l, req.Row) {
			return fmt.Errorf("row %d of list %s: %w", req.Row, l.ID, ErrNotFound)
		}
		open, err := tx.Disputes(ctx, store.DisputeFilter{ListID: l.ID, UnclosedOnly: true})
		if err != nil {
			return err
		}
		for _, o := range open {
			if o.Kind == disputes.Contest && o.Row == req.Row && o.State == disputes.Open {
				return Conflict("err.dispute.contested", "row", msg.Plain(req.Row), "list", l.ID, "dispute", o.ID)
			}
		}
		d = newDispute(disputes.Contest, l, l.To, l.From, actor, s.Now().UTC().Truncate(time.Microsecond))
		d.Row, d.Reason, d.Note = req.Row, req.Reason, req.Note
		if err := tx.InsertDispute(ctx, d); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, actor, disputeEvent("dispute.contested", d))
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// ClaimLeftOff puts the left-off report of a matching run to the mediator
// and the list's sender as a formal claim: persons the claiming side
// believes the sender holds who are not on its list. The persons are those
// of the report at this moment, kept with the claim.
func (s *Service) ClaimLeftOff(ctx context.Context, actor access.Actor, runID, note string) (*disputes.Dispute, error) {
	note = strings.TrimSpace(note)
	if err := disputes.CheckText("note", note, false); err != nil {
		return nil, invalidErr(err)
	}
	var d *disputes.Dispute
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		run, err := s.loadRun(ctx, tx, actor, runID)
		if err != nil {
			return err
		}
		if !actor.CanActForParty(run.Party) {
			return access.Forbid("deny.claim", "party", run.Party)
		}
		l, err := tx.List(ctx, run.ListID)
		if err != nil {
			return err
		}
		entries, err := leftOff(ctx, tx, run)
		if err != nil {
			return err
		}
		if len(entries) == 0 {
			return Invalid("err.dispute.left_off_empty", "run", runID)
		}
		d = newDispute(disputes.Claim, l, run.Party, l.From, actor, s.Now().UTC().Truncate(time.Microsecond))
		d.RunID, d.Note, d.PersonCount = run.ID, note, len(entries)
		d.Persons = make([]person.Person, len(entries))
		for i, e := range entries {
			d.Persons[i] = e.Person
		}
		if err := tx.InsertDispute(ctx, d); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, actor, disputeEvent("dispute.claimed", d))
	})
	if err != nil {
		return nil, err
	}
	s.Logger.Info("left-off claim submitted", "dispute", d.ID, "run", runID, "persons", d.PersonCount)
	return d, nil
}

// seesDispute: the two sides and the mediator. Observers and
// administrators take no part in disputes between the parties.
func seesDispute(actor access.Actor, d *disputes.Dispute) bool {
	return actor.System || actor.Has(access.Mediator) || (actor.Has(access.Officer) && (actor.Party == d.By || actor.Party == d.To))
}

// DisputeQuery selects disputes.
type DisputeQuery struct {
	ListID string // about this list or any of its versions
	Open   bool   // not closed
}

// Disputes returns the disputes the actor may see, oldest first: the
// mediator all of them, an officer those his side made or must answer.
func (s *Service) Disputes(ctx context.Context, actor access.Actor, q DisputeQuery) ([]*disputes.Dispute, error) {
	out, persons, err := s.disputes(ctx, actor, q)
	if err != nil {
		return nil, err
	}
	if err := s.recordAccess(ctx, actor, "disputes.view", q.ListID, persons); err != nil {
		return nil, err
	}
	return out, nil
}

// disputes is Disputes without the access-log record, for ToDo, which
// shows no person of them, only how many wait; it returns how many persons
// the disputes name.
func (s *Service) disputes(ctx context.Context, actor access.Actor, q DisputeQuery) ([]*disputes.Dispute, int, error) {
	if !actor.System && !actor.Has(access.Mediator) && !actor.Has(access.Officer) {
		return nil, 0, access.Forbid("deny.see_disputes")
	}
	var out []*disputes.Dispute
	err := s.db.View(ctx, func(tx *store.Tx) error {
		rootID := ""
		if q.ListID != "" {
			l, err := tx.List(ctx, q.ListID)
			if err != nil {
				return err
			}
			if !actor.CanReadList(listView(l)) {
				return fmt.Errorf("list %q: %w", q.ListID, ErrNotFound)
			}
			rootID = l.RootID
		}
		var err error
		out, err = disputesTx(ctx, tx, actor, rootID, q.Open)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return out, disputedPersons(out), nil
}

// disputesTx reads, in tx, the disputes the actor may see (about the list
// of rootID and its versions when rootID is set; open only when open),
// oldest first. The caller checked that the actor may see disputes and,
// with rootID, the list.
func disputesTx(ctx context.Context, tx *store.Tx, actor access.Actor, rootID string, open bool) ([]*disputes.Dispute, error) {
	f := store.DisputeFilter{UnclosedOnly: open, RootID: rootID}
	if actor.Has(access.Officer) && !actor.System && !actor.Has(access.Mediator) {
		f.Party = actor.Party
	}
	ds, err := tx.Disputes(ctx, f)
	if err != nil {
		return nil, err
	}
	out := []*disputes.Dispute{}
	for _, d := range ds {
		if seesDispute(actor, d) {
			out = append(out, d)
		}
	}
	return out, nil
}

// disputedPersons counts the persons of disputes, for the access log.
func disputedPersons(ds []*disputes.Dispute) int {
	n := 0
	for _, d := range ds {
		n += len(d.Persons)
	}
	return n
}

// Dispute returns one dispute the actor may see.
func (s *Service) Dispute(ctx context.Context, actor access.Actor, id string) (*disputes.Dispute, error) {
	var d *disputes.Dispute
	err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		d, err = tx.Dispute(ctx, id)
		if err == nil && !seesDispute(actor, d) {
			err = fmt.Errorf("dispute %q: %w", id, ErrNotFound)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := s.recordAccess(ctx, actor, "dispute.view", id, len(d.Persons)); err != nil {
		return nil, err
	}
	return d, nil
}

// AnswerDispute records the answer of the side a dispute is addressed to:
// accepted, rejected (with a reason) or "will appear in a new version".
func (s *Service) AnswerDispute(ctx context.Context, actor access.Actor, id string, answer disputes.Answer, reason string) (*disputes.Dispute, error) {
	reason = strings.TrimSpace(reason)
	if err := disputes.CheckAnswer(answer, reason); err != nil {
		return nil, invalidErr(err)
	}
	var d *disputes.Dispute
	err := s.db.Update(ctx, func(tx *store.Tx) (err error) {
		if d, err = tx.Dispute(ctx, id); err != nil {
			return err
		}
		if !seesDispute(actor, d) {
			return fmt.Errorf("dispute %q: %w", id, ErrNotFound)
		}
		if !actor.CanActForParty(d.To) {
			return access.Forbid("deny.answer_dispute", "dispute", id, "party", d.To)
		}
		if d.State != disputes.Open {
			return Conflict("err.dispute.state", "dispute", id, "state", msg.Enum{Kind: "svc_dispute_state", Code: string(d.State)})
		}
		now := s.Now().UTC().Truncate(time.Microsecond)
		if err := tx.AnswerDispute(ctx, id, answer, reason, actor.String(), now); err != nil {
			return changedMeanwhile(err)
		}
		d.State, d.Answer, d.AnswerReason, d.AnsweredBy, d.AnsweredAt = disputes.Answered, answer, reason, actor.String(), now
		return s.recordEvent(ctx, tx, actor, disputeEvent("dispute.answered", d))
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// closeDisputes closes, in the hand-over's transaction, the disputes that
// a new version of a list settles (disputes.Closing), each with a log
// entry that names the version.
func (s *Service) closeDisputes(ctx context.Context, tx *store.Tx, actor access.Actor, next *lists.List) error {
	if next.PrevID == "" {
		return nil
	}
	open, err := tx.Disputes(ctx, store.DisputeFilter{RootID: next.RootID, UnclosedOnly: true})
	if err != nil || len(open) == 0 {
		return err
	}
	changed := map[string]map[int]bool{}
	for _, d := range open {
		if d.ListID == next.ID {
			continue
		}
		rows, ok := changed[d.ListID]
		if !ok {
			old, err := tx.ListWithEntries(ctx, d.ListID)
			if err != nil {
				return err
			}
			rows = disputes.ChangedRows(lists.Compare(old, next))
			changed[d.ListID] = rows
		}
		why := disputes.Closing(d, next, rows)
		if why == "" {
			continue
		}
		now := s.Now().UTC().Truncate(time.Microsecond)
		if err := tx.CloseDispute(ctx, d.ID, next.ID, why, now); err != nil {
			return err
		}
		d.State, d.ClosedBy, d.CloseNote, d.ClosedAt = disputes.Closed, next.ID, why, now
		if err := s.recordEvent(ctx, tx, actor, disputeEvent("dispute.closed", d)); err != nil {
			return err
		}
	}
	return nil
}

// disputeReasons are the codes of the reasons a row is contested for.
func disputeReasons() []string {
	var out []string
	for _, r := range disputes.Reasons() {
		out = append(out, string(r))
	}
	return out
}
