package service

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"parley/internal/access"
	"parley/internal/disputes"
	"parley/internal/listfile"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

// logged reports how many entries of a type about a subject the signed log
// holds.
func logged(t *testing.T, s *Service, typ, subject string) int {
	t.Helper()
	n := 0
	if err := s.db.View(context.Background(), func(tx *store.Tx) error {
		rows, err := tx.FindLogEntries(context.Background(), typ, subject)
		n = len(rows)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDisputesAndClaims: a reservation on receipt, contested rows and a
// claim of persons left off are each a logged statement; only the two
// sides and the mediator see them; the sender answers each; a corrected
// version closes those it settles, naming itself.
func TestDisputesAndClaims(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newService(t, b)
		observer := access.Actor{Username: "obs", Roles: []access.Role{access.Observer}}
		admin := access.Actor{Username: "adm", Roles: []access.Role{access.Admin}}
		res, err := importFile(t, s, officerA, "testdata/first-list.csv", ImportRequest{From: "A", To: "B", Title: "First list"})
		if err != nil {
			t.Fatal(err)
		}
		v1 := res.List.ID
		if _, err := s.HandOver(ctx, officerA, v1); err != nil {
			t.Fatal(err)
		}

		if _, _, err := s.AcknowledgeWithReservation(ctx, officerA, v1, "x"); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("the sender acknowledged: %v", err)
		}
		l, resv, err := s.AcknowledgeWithReservation(ctx, officerB, v1, "Units of rows 2 and 3 are not ours to verify.")
		if err != nil || l.State != "acknowledged" || resv == nil || resv.Kind != disputes.Reservation || resv.To != "A" {
			t.Fatalf("acknowledge with reservation: %v %+v", err, resv)
		}

		contest := func(actor access.Actor, row int, reason disputes.Reason, note string) (*disputes.Dispute, error) {
			return s.ContestRow(ctx, actor, ContestRequest{ListID: v1, Row: row, Reason: reason, Note: note})
		}
		bad := []struct {
			name   string
			actor  access.Actor
			row    int
			reason disputes.Reason
			note   string
			want   error
		}{
			{"unknown reason", officerB, 2, "dislike", "", ErrInvalid},
			{"other without a note", officerB, 2, disputes.Other, "", ErrInvalid},
			{"the sender contests its own list", officerA, 2, disputes.Civilian, "", access.ErrForbidden},
			{"the mediator contests", mediator, 2, disputes.Civilian, "", access.ErrForbidden},
			{"a row not on the list", officerB, 9, disputes.Civilian, "", ErrNotFound},
		}
		for _, tt := range bad {
			if _, err := contest(tt.actor, tt.row, tt.reason, tt.note); !errors.Is(err, tt.want) {
				t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
			}
		}
		if _, err := contest(officerB, 2, "dislike", ""); err == nil || !strings.Contains(err.Error(), `row 2, field reason: value "dislike"`) {
			t.Errorf("the error does not name row, field and value: %v", err)
		}
		c2, err := contest(officerB, 2, disputes.AlreadyReturned, "Returned on 2025-05-16.")
		if err != nil {
			t.Fatal(err)
		}
		c3, err := contest(officerB, 3, disputes.Civilian, "A volunteer driver.")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := contest(officerB, 3, disputes.Died, ""); !errors.Is(err, ErrConflict) {
			t.Errorf("a row contested twice: %v", err)
		}

		// The left-off report goes to the mediator and the sender as a claim.
		f, err := os.Open("testdata/disputes/registry-B.csv")
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.ImportRegistry(ctx, officerB, RegistryImportRequest{Party: "B", Format: listfile.Format("csv")}, f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		run, err := s.RunMatching(ctx, officerB, MatchRequest{ListID: v1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ClaimLeftOff(ctx, officerA, run.ID, ""); err == nil {
			t.Error("the other side claimed with B's run")
		}
		claim, err := s.ClaimLeftOff(ctx, officerB, run.ID, "Persons we believe you hold who are not on your list.")
		if err != nil {
			t.Fatal(err)
		}
		if claim.PersonCount == 0 || claim.To != "A" || claim.By != "B" {
			t.Fatalf("claim = %+v", claim)
		}
		found := false
		for _, p := range claim.Persons {
			found = found || p.Surname == "Ткаченко"
		}
		if !found {
			t.Errorf("the claim lacks the person left off: %+v", claim.Persons)
		}

		for _, d := range []struct {
			typ string
			d   *disputes.Dispute
		}{{"dispute.reservation", resv}, {"dispute.contested", c2}, {"dispute.contested", c3}, {"dispute.claimed", claim}} {
			if logged(t, s, d.typ, d.d.ID) != 1 {
				t.Errorf("%s %s is not in the log", d.typ, d.d.ID)
			}
		}

		// Who sees them.
		for _, who := range []struct {
			name  string
			actor access.Actor
			n     int
			err   error
		}{{"mediator", mediator, 4, nil}, {"officer A", officerA, 4, nil}, {"officer B", officerB, 4, nil},
			{"observer", observer, 0, access.ErrForbidden}, {"admin", admin, 0, access.ErrForbidden}} {
			ds, err := s.Disputes(ctx, who.actor, DisputeQuery{Open: true})
			if !errors.Is(err, who.err) || len(ds) != who.n {
				t.Errorf("%s sees %d disputes (err %v), want %d (%v)", who.name, len(ds), err, who.n, who.err)
			}
		}
		officerC := access.Actor{Username: "oc", Roles: []access.Role{access.Officer}, Party: "C"}
		if ds, err := s.Disputes(ctx, officerC, DisputeQuery{}); err != nil || len(ds) != 0 {
			t.Errorf("a third party sees %d disputes (%v)", len(ds), err)
		}
		if _, err := s.Dispute(ctx, officerC, claim.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("a third party reads the claim: %v", err)
		}

		// The sender answers.
		if _, err := s.AnswerDispute(ctx, officerB, c2.ID, disputes.Accepted, ""); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("the disputing side answered itself: %v", err)
		}
		if _, err := s.AnswerDispute(ctx, officerA, c2.ID, disputes.Rejected, ""); !errors.Is(err, ErrInvalid) {
			t.Errorf("a rejection without a reason: %v", err)
		}
		answers := map[string]disputes.Answer{resv.ID: disputes.Accepted, c2.ID: disputes.Rejected, c3.ID: disputes.NewVersion, claim.ID: disputes.NewVersion}
		for id, a := range answers {
			if _, err := s.AnswerDispute(ctx, officerA, id, a, "Our records say he is held in camp 5."); err != nil {
				t.Fatal(err)
			}
			if logged(t, s, "dispute.answered", id) != 1 {
				t.Errorf("the answer to %s is not in the log", id)
			}
		}
		if _, err := s.AnswerDispute(ctx, officerA, c2.ID, disputes.Accepted, ""); !errors.Is(err, ErrConflict) {
			t.Errorf("answered twice: %v", err)
		}

		// Version 2 changes row 2, drops row 3 and adds a person.
		res2, err := importFile(t, s, officerA, "testdata/first-list-v2.csv", ImportRequest{From: "A", To: "B", Title: "First list", VersionOf: v1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.HandOver(ctx, officerA, res2.List.ID); err != nil {
			t.Fatal(err)
		}
		want := map[string]disputes.State{resv.ID: disputes.Answered, c2.ID: disputes.Closed, c3.ID: disputes.Closed, claim.ID: disputes.Closed}
		for id, st := range want {
			d, err := s.Dispute(ctx, mediator, id)
			if err != nil {
				t.Fatal(err)
			}
			if d.State != st {
				t.Errorf("%s (%s): state %s, want %s", id, d.Kind, d.State, st)
			}
			if st == disputes.Closed {
				if d.ClosedBy != res2.List.ID || (d.CloseNote != disputes.ClosedNewVersion && d.CloseNote != disputes.ClosedRowChanged) {
					t.Errorf("%s closed by %q (%q), want a reference to %s", id, d.ClosedBy, d.CloseNote, res2.List.ID)
				}
				if logged(t, s, "dispute.closed", id) != 1 {
					t.Errorf("the closing of %s is not in the log", id)
				}
			}
		}
		open, err := s.Disputes(ctx, mediator, DisputeQuery{Open: true, ListID: res2.List.ID})
		if err != nil || len(open) != 1 || open[0].ID != resv.ID {
			t.Errorf("open disputes of the list after version 2: %v %v", open, err)
		}
	})
}

// TestDeadPersonNotProposed: a person whose death in captivity is on
// record is left out by the planner and refused in an explicit proposal,
// before any stage recorded his death.
func TestDeadPersonNotProposed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newService(t, b)
		var ids [2]string
		for i, side := range [][2]string{{"A", "B"}, {"B", "A"}} {
			actor := officerA
			if side[0] == "B" {
				actor = officerB
			}
			res, err := importFile(t, s, actor, "testdata/first-list.csv", ImportRequest{From: side[0], To: side[1], Title: "t"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.HandOver(ctx, actor, res.List.ID); err != nil {
				t.Fatal(err)
			}
			ids[i] = res.List.ID
		}
		d, err := s.RecordDeath(ctx, officerA, DeathRequest{ListID: ids[0], Row: 2, ReportedBy: "camp doctor"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.RecordDeath(ctx, officerA, DeathRequest{ListID: ids[0], Row: 2, ReportedBy: "again"}); !errors.Is(err, ErrConflict) {
			t.Errorf("a second death record: %v", err)
		}
		if _, err := s.RecordDeath(ctx, officerA, DeathRequest{ListID: ids[0], Row: 3, ReportedBy: "x", DiedOn: "2999-01-01"}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "died_on") {
			t.Errorf("a death in the future: %v", err)
		}
		// A record made in error is withdrawn before any release; the
		// person's own side cannot withdraw it.
		wrong, err := s.RecordDeath(ctx, officerA, DeathRequest{ListID: ids[0], Row: 1, ReportedBy: "rumour"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.WithdrawDeath(ctx, officerB, wrong.ID, "not him"); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("the other side withdrew a death record: %v", err)
		}
		if err := s.WithdrawDeath(ctx, officerA, wrong.ID, "another man of the same name"); err != nil {
			t.Fatal(err)
		}
		if logged(t, s, "death.withdrawn", wrong.ID) != 1 {
			t.Error("the withdrawal is not in the log")
		}
		if _, _, err := s.ReleaseDeath(ctx, officerB, d.ID, "We are sorry."); err != nil {
			t.Fatal(err)
		}
		if err := s.WithdrawDeath(ctx, officerA, d.ID, "x"); !errors.Is(err, ErrConflict) {
			t.Errorf("a released death withdrawn: %v", err)
		}
		plan, err := s.PlanStage(ctx, officerA, PlanRequest{ListIDs: ids, Rule: "all-for-all"})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range plan.Sides[0].Released {
			if r.Row == 2 {
				t.Error("the planner released a dead man")
			}
		}
		found := false
		for _, r := range plan.Sides[0].LeftOut {
			found = found || (r.Row == 2 && strings.Contains(r.Reason, d.ID))
		}
		if !found {
			t.Errorf("the planner does not say why row 2 is left out: %+v", plan.Sides[0].LeftOut)
		}
	})
}
