package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"parley/internal/disputes"
	"parley/internal/families"
	"parley/internal/handover"
	"parley/internal/lists"
	"parley/internal/person"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

// TestDeathAndDisputeStorage: records read back as written on both
// databases; conditional updates refuse a second release, answer or
// closing.
func TestDeathAndDisputeStorage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := famDB(t, b)
		l := &lists.List{ID: "L1", RootID: "L1", Version: 1, From: "A", To: "B", Title: "t", State: lists.HandedOver,
			Entries: []lists.Entry{{Row: 1, Person: person.Person{Kind: person.KindPOW, Surname: "Шевченко", GivenNames: "Сергій"}}}}
		at := time.Date(2025, 6, 3, 10, 0, 0, 0, time.UTC)
		d := &handover.Death{ID: "D1", ListID: "L1", Row: 1, Party: "A", FamilyParty: "B", DiedOn: person.Date{Year: 2025, Month: 6},
			Place: "camp", Cause: "illness", Burial: "plot 4", Grave: "17", ReportedBy: "doctor", Documents: []string{"cert 1", "report 2"},
			State: handover.DeathRecorded, RecordedBy: "oa@A", RecordedAt: at}
		x := &disputes.Dispute{ID: "X1", Kind: disputes.Claim, ListID: "L1", RootID: "L1", RunID: "M1", By: "B", To: "A", Note: "n",
			Persons: []person.Person{{Kind: person.KindPOW, Surname: "Ткаченко"}}, PersonCount: 1, State: disputes.Open, CreatedBy: "ob@B", CreatedAt: at}
		err := db.Update(ctx, func(tx *store.Tx) error {
			if err := tx.InsertList(ctx, l); err != nil {
				return err
			}
			if err := tx.InsertDeath(ctx, d); err != nil {
				return err
			}
			return tx.InsertDispute(ctx, x)
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.Update(ctx, func(tx *store.Tx) error {
			dup := *d
			dup.ID = "D2"
			if err := tx.InsertDeath(ctx, &dup); !errors.Is(err, store.ErrDuplicate) {
				t.Errorf("a second death of one entry: %v", err)
			}
			got, err := tx.Death(ctx, "D1")
			if err != nil {
				return err
			}
			if got.DiedOn != d.DiedOn || len(got.Documents) != 2 || !got.RecordedAt.Equal(at) || !got.PendingRelease() {
				t.Errorf("death read back as %+v", got)
			}
			if err := tx.ReleaseDeath(ctx, "D1", handover.DeathRecorded, "text", "ob@B", at); err != nil {
				return err
			}
			if err := tx.ReleaseDeath(ctx, "D1", handover.DeathRecorded, "again", "ob@B", at); err == nil {
				t.Error("released twice")
			}
			if pend, err := tx.Deaths(ctx, store.DeathFilter{PendingOnly: true}); err != nil || len(pend) != 0 {
				t.Errorf("pending after release: %d %v", len(pend), err)
			}
			if err := tx.SetDeathRemainsIdentified(ctx, "D1", "DNA"); err != nil {
				return err
			}
			if pend, err := tx.Deaths(ctx, store.DeathFilter{PendingOnly: true, Party: "B"}); err != nil || len(pend) != 1 {
				t.Errorf("the identification does not wait for a release: %d %v", len(pend), err)
			}
			gx, err := tx.Dispute(ctx, "X1")
			if err != nil {
				return err
			}
			if gx.Kind != disputes.Claim || len(gx.Persons) != 1 || gx.Persons[0].Surname != "Ткаченко" || gx.RunID != "M1" {
				t.Errorf("dispute read back as %+v", gx)
			}
			if err := tx.AnswerDispute(ctx, "X1", disputes.NewVersion, "", "oa@A", at); err != nil {
				return err
			}
			if err := tx.AnswerDispute(ctx, "X1", disputes.Accepted, "", "oa@A", at); err == nil {
				t.Error("answered twice")
			}
			if err := tx.CloseDispute(ctx, "X1", "L2", "why", at); err != nil {
				return err
			}
			if err := tx.CloseDispute(ctx, "X1", "L3", "why", at); err == nil {
				t.Error("closed twice")
			}
			open, err := tx.Disputes(ctx, store.DisputeFilter{RootID: "L1", UnclosedOnly: true})
			if err != nil || len(open) != 0 {
				t.Errorf("unclosed after closing: %d %v", len(open), err)
			}
			// A detailed family status travels beside the coarse one.
			q := famInquiry("Q1", "PX-0000-0001", "k1")
			if err := tx.InsertInquiry(ctx, q); err != nil {
				return err
			}
			if _, err := tx.SetInquiryOutcome(ctx, "Q1", families.Outcome{Status: families.StatusDeceased, Wording: "text"}, at); err != nil {
				return err
			}
			gq, err := tx.InquiryByID(ctx, "Q1")
			if err != nil || gq.Status != families.StatusDeceased || gq.Wording != "text" {
				t.Errorf("inquiry status read back as %q (%v)", gq.Status, err)
			}
			mine, err := tx.Disputes(ctx, store.DisputeFilter{Party: "C"})
			if err != nil || len(mine) != 0 {
				t.Errorf("a third party's disputes: %d %v", len(mine), err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
