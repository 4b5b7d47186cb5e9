package service

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"parley/internal/access"
	"parley/internal/lists"
	"parley/internal/msg"
	"parley/internal/store"
)

// Event is one state change as the signed log records it: non-personal
// attributes in clear, personal data only as items the log commits to by
// salted hash.
type Event struct {
	Type     string
	Subject  string
	Attrs    map[string]string
	Personal []EventItem
}

// EventItem is one piece of personal data the log commits to.
type EventItem struct {
	ID   string
	Data []byte
}

// EventLog appends events inside the caller's transaction.
type EventLog interface {
	Append(ctx context.Context, tx *store.Tx, actor string, at time.Time, ev Event) (int64, error)
}

// recordEvent appends ev to the signed log in the same transaction as the
// change it describes: both commit, or neither does.
func (s *Service) recordEvent(ctx context.Context, tx *store.Tx, actor access.Actor, ev Event) error {
	if s.Log == nil {
		return nil
	}
	if err := s.Halted(); err != nil {
		return err
	}
	who := actor.String()
	st := statementOf(ctx)
	if st != nil {
		// Applying a party's signed statement on the hub: the entry names
		// the party and carries its signature (docs/nodes.md).
		who = "party:" + st.party
		ev.Attrs = statementAttrs(st, ev.Attrs)
	}
	idx, err := s.Log.Append(ctx, tx, who, s.Now().UTC(), ev)
	if err != nil {
		return fmt.Errorf("append %s to the log: %w", ev.Type, err)
	}
	if st != nil && st.index < 0 {
		st.index = idx
	}
	return nil
}

func listAttrs(l *lists.List) map[string]string {
	return map[string]string{
		"list_id": l.ID, "root_id": l.RootID, "from": l.From, "to": l.To, "title": l.Title,
		"version": strconv.Itoa(l.Version), "prev_id": l.PrevID,
		"content_hash": l.ContentHash, "entry_count": strconv.Itoa(len(l.Entries)),
	}
}

// listHandedOverEvent commits to the whole list by its content hash and to
// each entry separately, so that the sender can later prove one person's
// presence on the list without disclosing anyone else.
func listHandedOverEvent(l *lists.List) Event {
	ev := Event{Type: "list.handed_over", Subject: l.ID, Attrs: listAttrs(l)}
	for _, e := range l.Entries {
		b, _ := json.Marshal(e)
		ev.Personal = append(ev.Personal, EventItem{ID: "row/" + strconv.Itoa(e.Row), Data: b})
	}
	return ev
}

func listAcknowledgedEvent(l *lists.List) Event {
	return Event{Type: "list.acknowledged", Subject: l.ID, Attrs: map[string]string{"list_id": l.ID, "from": l.From, "to": l.To, "content_hash": l.ContentHash}}
}

// recordAccess writes one line of the access log for personal data.
func (s *Service) recordAccess(ctx context.Context, actor access.Actor, action, subject string, persons int) error {
	if actor.System {
		return nil
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		return s.recordAccessTx(ctx, tx, actor, action, subject, personsDetail(persons))
	})
}

// personsDetail is the detail of an access-log line: how many persons the
// view showed.
func personsDetail(persons int) string {
	return msg.Encode([]msg.Msg{msg.New("access.persons", "count", persons)})
}

// recordAccessTx writes one line of the access log inside the caller's
// transaction. detail is stored as messages (msg.Encode), so that the
// reviewer reads it in his language. The actor is always the one who acted (the local operator
// appears as "system"), never the user acted upon.
func (s *Service) recordAccessTx(ctx context.Context, tx *store.Tx, actor access.Actor, action, subject, detail string) error {
	_, err := tx.Exec(ctx, `INSERT INTO access_log (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)`,
		s.Now().UTC().Format(time.RFC3339Nano), actor.String(), action, subject, detail)
	if err != nil {
		return fmt.Errorf("access log: %w", err)
	}
	return nil
}

// AccessRecord is one line of the access log.
type AccessRecord struct {
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	Action  string    `json:"action"`
	Subject string    `json:"subject"`
	Detail  string    `json:"detail"`
}

// AccessLog returns the newest lines of the access log.
func (s *Service) AccessLog(ctx context.Context, actor access.Actor, limit int) ([]AccessRecord, error) {
	if !actor.CanReviewAccessLog() {
		return nil, access.Forbid("deny.access_log")
	}
	if limit <= 0 || limit > 10000 {
		limit = 500
	}
	var out []AccessRecord
	err := s.db.View(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT at, actor, action, subject, detail FROM access_log ORDER BY at DESC LIMIT ?`, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r AccessRecord
			var at string
			if err := rows.Scan(&at, &r.Actor, &r.Action, &r.Subject, &r.Detail); err != nil {
				return err
			}
			r.At, _ = time.Parse(time.RFC3339Nano, at)
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// OnListHandedOver registers a function that runs after a list has been
// handed over and committed (for example to link family inquiries).
func (s *Service) OnListHandedOver(fn func(ctx context.Context, l *lists.List)) {
	s.handOverHooks = append(s.handOverHooks, fn)
}

func (s *Service) afterListHandedOver(ctx context.Context, l *lists.List) {
	for _, fn := range s.handOverHooks {
		fn(ctx, l)
	}
}
