package service_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"parley/internal/families"
	"parley/internal/listfile"
	"parley/internal/negotiation"
	"parley/internal/service"
	"parley/internal/service/servicetest"
	"parley/internal/store/storetest"
)

// TestOutcomeAndDeathFollowThePerson: an outcome and a death recorded on
// version 1 of a list belong to the person, not to the row: version 2
// lists the same men in another order (Шевченко moves from row 1 to row
// 3), and what was recorded is found there for Шевченко and for nobody
// else, in the service and on the family's status page.
func TestOutcomeAndDeathFollowThePerson(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s, _ := famService(t, b)
		reg := register(t, s, sergii)
		v1 := famList(t, s, "testdata/entryids/list-v1.csv", "")
		links := pending(t, s, servicetest.OfficerB)
		if len(links) != 1 || links[0].Link.Row != 1 {
			t.Fatalf("links: %+v", links)
		}
		if err := s.ConfirmLink(ctx, servicetest.OfficerB, links[0].Link.ID, ""); err != nil {
			t.Fatal(err)
		}
		agreed := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
		if n, err := s.SetInquiryOutcome(ctx, servicetest.Mediator, v1, 1, families.StatusAgreed, agreed, ""); err != nil || n != 1 {
			t.Fatalf("outcome on version 1: %d families, %v", n, err)
		}
		d, err := s.RecordDeath(ctx, servicetest.OfficerA, service.DeathRequest{ListID: v1, Row: 1, DiedOn: "2025-05-20", ReportedBy: "camp doctor"})
		if err != nil {
			t.Fatal(err)
		}

		v2 := famList(t, s, "testdata/entryids/list-v2.csv", v1)
		// The same outcome recorded again for Шевченко on version 2 is no
		// change: his outcome is known there.
		if n, err := s.SetInquiryOutcome(ctx, servicetest.Mediator, v2, 3, families.StatusAgreed, agreed, ""); err != nil || n != 0 {
			t.Errorf("the same outcome on version 2 row 3: %d families changed, %v", n, err)
		}
		// So is his death: a second record is refused.
		if _, err := s.RecordDeath(ctx, servicetest.OfficerA, service.DeathRequest{ListID: v2, Row: 3, DiedOn: "2025-05-20", ReportedBy: "camp doctor"}); !errors.Is(err, service.ErrConflict) {
			t.Errorf("a second death of Шевченко on version 2: %v", err)
		}
		// An outcome recorded for him on version 2 reaches the family
		// linked to him on version 1.
		home := time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC)
		if n, err := s.SetInquiryOutcome(ctx, servicetest.Mediator, v2, 3, families.StatusRepatriated, home, ""); err != nil || n != 1 {
			t.Errorf("repatriated on version 2 row 3: %d families changed, %v", n, err)
		}
		if st := status(t, s, reg); st.Status != families.StatusRepatriated || st.Date != "2025-06-02" {
			t.Errorf("before the release the family sees %+v", st)
		}
		if _, _, err := s.ReleaseDeath(ctx, servicetest.OfficerB, d.ID, "We are sorry."); err != nil {
			t.Fatal(err)
		}
		if st := status(t, s, reg); st.Status != families.StatusDeceased || st.Wording != "We are sorry." {
			t.Errorf("after the release the family sees %+v", st)
		}
		// No other status replaces his released death, on any version.
		if _, err := s.SetInquiryOutcome(ctx, servicetest.Mediator, v2, 3, families.StatusRepatriated, agreed, ""); !errors.Is(err, service.ErrConflict) {
			t.Errorf("repatriated over a released death on version 2: %v", err)
		}
		// Row 1 of version 2 is Коваленко, who neither died nor has the
		// family's outcome: his own outcome is recorded, and the family's
		// page does not change.
		if n, err := s.SetInquiryOutcome(ctx, servicetest.Mediator, v2, 1, families.StatusRepatriated, agreed, ""); err != nil || n != 0 {
			t.Errorf("Коваленко on version 2: %d families changed, %v", n, err)
		}
		if _, err := s.RecordDeath(ctx, servicetest.OfficerA, service.DeathRequest{ListID: v2, Row: 1, ReportedBy: "camp doctor"}); err != nil {
			t.Errorf("Коваленко's death on version 2: %v", err)
		}
		if st := status(t, s, reg); st.Status != families.StatusDeceased {
			t.Errorf("at the end the family sees %s", st.Status)
		}
		ds, err := s.Deaths(ctx, servicetest.OfficerB, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 2 {
			t.Fatalf("deaths: %+v", ds)
		}
		if ds[0].Death.EntryID == "" || ds[0].Death.PersonID == "" || ds[0].Death.EntryID == ds[1].Death.EntryID || ds[0].Person.Surname != "Шевченко" {
			t.Errorf("deaths name entries %+v / %+v", ds[0].Death, ds[1].Death)
		}
	})
}

// TestAgreementHoldsPersonAcrossVersions: a person agreed for release on
// version 1 of a list is held by that agreement on version 2 too, where he
// stands in another row; the others on version 2 are free.
func TestAgreementHoldsPersonAcrossVersions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newNegFixture(t, newNegService(t, b))
		f.agree(t, negotiation.Terms{Rule: negotiation.OneForOne}, refs(f.listA, 1), refs(f.listB, 1))

		fh, err := os.Open("testdata/entryids/list-A-v2.csv")
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		res, err := f.s.ImportList(ctx, servicetest.OfficerA, service.ImportRequest{From: "A", To: "B", Title: "A v2", Format: listfile.Format("csv"), VersionOf: f.listA}, fh)
		if err != nil {
			t.Fatal(err)
		}
		v2 := res.List.ID
		if _, err := f.s.HandOver(ctx, servicetest.OfficerA, v2); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Acknowledge(ctx, servicetest.OfficerB, v2); err != nil {
			t.Fatal(err)
		}
		last := res.List.EntryCount // Petrenko, row 1 of version 1
		_, err = f.propose(t, servicetest.OfficerA, negotiation.Terms{Rule: negotiation.OneForOne}, refs(v2, last), refs(f.listB, 2))
		if !errors.Is(err, service.ErrConflict) || !strings.Contains(err.Error(), "in agreement") {
			t.Errorf("Petrenko again on version 2 row %d: %v", last, err)
		}
		if _, err := f.propose(t, servicetest.OfficerA, negotiation.Terms{Rule: negotiation.OneForOne}, refs(v2, 1), refs(f.listB, 2)); err != nil {
			t.Errorf("Sydorenko, row 1 of version 2: %v", err)
		}
	})
}
