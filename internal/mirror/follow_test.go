package mirror_test

import (
	"testing"
	"time"

	"parley/internal/ledger"
	"parley/internal/mirror"
	"parley/internal/statement"
	"parley/internal/store/storetest"
)

// TestAuditFollowingEntries: an entry the hub logs as a consequence of a
// party's statement has its own subject and names the statement's subject
// in the attribute that links it (docs/nodes.md, "In the log"). It passes
// the audit with the statement attached when that link holds for the
// statement's type, and raises entry_unsigned when it does not.
func TestAuditFollowingEntries(t *testing.T) {
	handover := map[string]string{"content_hash": "sha256:01", "from": "A", "to": "B", "title": "Second", "version": "2", "entry_count": "3", "prev_id": "L1"}
	tests := []struct {
		name      string
		typ       string // the entry's type
		subject   string
		attrs     map[string]string
		stmtType  string
		stmtSubj  string
		stmtAttrs map[string]string
		unsigned  bool
	}{
		{name: "reservation follows the acknowledgement", typ: "dispute.reservation", subject: "X1",
			attrs: map[string]string{"list_id": "L1", "by": "A"}, stmtType: statement.ListAck, stmtSubj: "L1",
			stmtAttrs: map[string]string{"content_hash": "sha256:00", "reservation_hash": statement.ReservationHash("late")}},
		{name: "reservation about another list", typ: "dispute.reservation", subject: "X2",
			attrs: map[string]string{"list_id": "L9", "by": "A"}, stmtType: statement.ListAck, stmtSubj: "L1",
			stmtAttrs: map[string]string{"content_hash": "sha256:00", "reservation_hash": ""}, unsigned: true},
		{name: "dispute closed by a new version", typ: "dispute.closed", subject: "X3",
			attrs: map[string]string{"list_id": "L1", "closed_by": "L2"}, stmtType: statement.ListHandover, stmtSubj: "L2",
			stmtAttrs: handover},
		{name: "hand-over does not link by list_id", typ: "dispute.reservation", subject: "X4",
			attrs: map[string]string{"list_id": "L2"}, stmtType: statement.ListHandover, stmtSubj: "L2",
			stmtAttrs: handover, unsigned: true},
		{name: "countered proposal names the counter", typ: "proposal.countered", subject: "P1",
			attrs: map[string]string{"party": "A", "counter_id": "P2"}, stmtType: statement.ProposalCounter, stmtSubj: "P2",
			stmtAttrs: map[string]string{"content_hash": "00", "parent": "P1", "round": "R1"}},
		{name: "counter statement on an accepted entry", typ: "proposal.accepted", subject: "P1",
			attrs: map[string]string{"party": "A", "counter_id": "P2"}, stmtType: statement.ProposalCounter, stmtSubj: "P2",
			stmtAttrs: map[string]string{"content_hash": "00", "parent": "P1", "round": "R1"}, unsigned: true},
	}
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				h := newHub(t, b)
				a := newParty(t, "A")
				h.trust(t, a)
				id := statement.NewID()
				attrs := map[string]string{"statement": a.statement(t, tc.stmtType, id, tc.stmtSubj, tc.stmtAttrs), "statement_id": id}
				for k, v := range tc.attrs {
					attrs[k] = v
				}
				h.appendTo(h.db, 0, 1, func(int) ledger.Event {
					return ledger.Event{Type: tc.typ, Time: time.Now(), Actor: "party:A", Subject: tc.subject, Attrs: attrs}
				})
				n := newNode(t, b, h.srv.URL, h.logKey(), "B", mirror.Options{})
				n.sync(t)
				as := n.alarms(t)
				if !tc.unsigned {
					if len(as) != 0 {
						t.Fatalf("alarmed: %+v", as)
					}
					return
				}
				wantAlarm(t, as, mirror.KindEntryUnsigned, map[string]string{"index": "1", "type": tc.typ, "party": "A"})
			})
		}
	})
}
