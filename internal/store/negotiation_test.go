package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"parley/internal/handover"
	"parley/internal/lists"
	"parley/internal/negotiation"
	"parley/internal/parties"
	"parley/internal/person"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

// negotiationFixture stores two parties and a handed-over list from each.
func negotiationFixture(t *testing.T, db *store.DB) (listA, listB *lists.List) {
	t.Helper()
	ctx := context.Background()
	listA = &lists.List{ID: "LA", RootID: "LA", From: "A", To: "B", Title: "first", Version: 1, State: lists.Draft, Entries: []lists.Entry{
		{Row: 1, Person: person.Person{Kind: person.KindPOW, Surname: "Petrenko", GivenNames: "Ivan", BirthDate: person.Date{Year: 1980}, Categories: []string{"wounded"}}},
		{Row: 2, Person: person.Person{Kind: person.KindPOW, Surname: "Kovalenko", GivenNames: "Petro", BirthDate: person.Date{Year: 2002, Month: 3, Day: 3}, Categories: []string{"youth"}}},
	}}
	listB = &lists.List{ID: "LB", RootID: "LB", From: "B", To: "A", Title: "counter", Version: 1, State: lists.Draft, Entries: []lists.Entry{
		{Row: 1, Person: person.Person{Kind: person.KindPOW, Surname: "Ivanov", GivenNames: "Sergei", Categories: []string{"wounded"}}},
	}}
	err := db.Update(ctx, func(tx *store.Tx) error {
		for _, p := range []parties.Party{{ID: "A", Name: "Party A"}, {ID: "B", Name: "Party B"}} {
			if err := tx.CreateParty(ctx, p); err != nil {
				return err
			}
		}
		for _, l := range []*lists.List{listA, listB} {
			if err := tx.InsertList(ctx, l); err != nil {
				return err
			}
			if err := tx.SetListState(ctx, l.ID, lists.Draft, lists.HandedOver, "sha256:x"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return listA, listB
}

func TestNegotiationStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := b.Open(t)
		la, lb := negotiationFixture(t, db)
		crit := &negotiation.Criteria{Categories: []string{"wounded"}, AgeMin: 18, AgeMax: 25, RefDate: person.Date{Year: 2025, Month: 6, Day: 7}}
		round := &negotiation.Round{ID: "R1", Title: "Istanbul", Venue: "Istanbul", StartsOn: person.Date{Year: 2025, Month: 6, Day: 2},
			Parties: [2]string{"A", "B"}, Participants: []string{"Delegation A"}, Criteria: crit, ConvenedBy: "med"}
		basis := negotiation.LegalBasis{Code: negotiation.BasisSpecialAgreement, Agreement: "Istanbul"}
		sides := [2][]negotiation.Release{
			{{Party: "A", ListID: la.ID, Row: 1, Person: la.Entries[0].Person, LegalBasis: basis}, {Party: "A", ListID: la.ID, Row: 2, Person: la.Entries[1].Person, LegalBasis: basis}},
			{{Party: "B", ListID: lb.ID, Row: 1, Person: lb.Entries[0].Person, LegalBasis: basis}},
		}
		p := &negotiation.ProposalRecord{ID: "P1", RoundID: "R1", ThreadID: "P1", From: "A", To: "B", State: "submitted",
			Terms: negotiation.Terms{Rule: negotiation.AllForAll, Categories: []string{"wounded", "youth"}, Scale: map[string]float64{"private": 1.5}},
			Date:  person.Date{Year: 2025, Month: 6, Day: 10}, CreatedBy: "oa@A"}
		err := db.Update(ctx, func(tx *store.Tx) error {
			if err := tx.InsertRound(ctx, round); err != nil {
				return err
			}
			if added, err := tx.AttachList(ctx, &negotiation.RoundList{RoundID: "R1", ListID: la.ID, Nonconforming: 1, AttachedBy: "med"}); err != nil || !added {
				t.Errorf("attach: %v %v", added, err)
			}
			if added, err := tx.AttachList(ctx, &negotiation.RoundList{RoundID: "R1", ListID: la.ID, Nonconforming: 5, AttachedBy: "med"}); err != nil || added {
				t.Errorf("attach twice: %v %v", added, err)
			}
			return tx.InsertProposal(ctx, p, sides)
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.View(ctx, func(tx *store.Tx) error {
			r, err := tx.Round(ctx, "R1")
			if err != nil {
				return err
			}
			if r.Criteria == nil || r.Criteria.AgeMax != 25 || r.Criteria.RefDate != crit.RefDate || r.StartsOn != round.StartsOn || !r.EndsOn.IsZero() || r.Participants[0] != "Delegation A" {
				t.Errorf("round read back as %+v", r)
			}
			rls, err := tx.RoundLists(ctx, "R1")
			if err != nil || len(rls) != 1 || rls[0].Nonconforming != 1 {
				t.Errorf("round lists = %+v, %v", rls, err)
			}
			got, err := tx.Proposal(ctx, "P1")
			if err != nil {
				return err
			}
			if got.Counts != [2]int{2, 1} || got.Terms.Scale["private"] != 1.5 || got.Date != p.Date || got.SubmittedAt.IsZero() || got.CounterOf != "" {
				t.Errorf("proposal read back as %+v", got)
			}
			rel, err := tx.ProposalReleases(ctx, "P1")
			if err != nil {
				return err
			}
			if len(rel[0]) != 2 || len(rel[1]) != 1 || rel[0][0].Person.BirthDate != (person.Date{Year: 1980}) || rel[0][1].Row != 2 || rel[1][0].LegalBasis != basis {
				t.Errorf("releases read back as %+v", rel)
			}
			if _, err := tx.Proposal(ctx, "P9"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("missing proposal: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Two answers to one proposal: the second finds it changed.
		for i, want := range []error{nil, store.ErrStateChanged} {
			err := db.Update(ctx, func(tx *store.Tx) error {
				_, err := tx.SetProposalState(ctx, store.ProposalChange{ID: "P1", From: "submitted", To: "accepted", By: "ob@B"})
				return err
			})
			if !errors.Is(err, want) && !(want == nil && err == nil) {
				t.Errorf("answer %d: err = %v, want %v", i, err, want)
			}
		}
		// The agreement and its handover records.
		ag := &negotiation.Agreement{ID: "G1", ProposalID: "P1", RoundID: "R1", Parties: [2]string{"A", "B"}, Terms: p.Terms, ContentHash: "sha256:y",
			AcceptedBy: "ob@B", WitnessedBy: "med", CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
		var recs []store.HandoverRecord
		for i, side := range sides {
			for _, r := range side {
				st, err := handover.Listed(r.Party, r.ListID, r.Row, r.Person, time.Now(), "oa")
				if err != nil {
					t.Fatal(err)
				}
				recs = append(recs, store.HandoverRecord{AgreementID: "G1", Side: i, State: st, UpdatedBy: "med"})
			}
		}
		err = db.Update(ctx, func(tx *store.Tx) error {
			if err := tx.InsertAgreement(ctx, ag, sides); err != nil {
				return err
			}
			return tx.InsertHandoverRecords(ctx, recs)
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Update(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE agreements SET content_hash = 'sha256:z' WHERE id = ?`, "G1")
			return err
		}); err == nil {
			t.Error("an agreement was updated")
		}
		var rec *store.HandoverRecord
		err = db.View(ctx, func(tx *store.Tx) error {
			got, err := tx.Agreement(ctx, "G1")
			if err != nil || got.ContentHash != "sha256:y" || !got.CreatedAt.Equal(ag.CreatedAt) {
				t.Errorf("agreement read back as %+v, %v", got, err)
			}
			if n, err := tx.PendingHandover(ctx, "G1"); err != nil || n != 3 {
				t.Errorf("pending = %d, %v", n, err)
			}
			rec, err = tx.HandoverRecord(ctx, "G1", la.ID, 2)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		stale := *rec
		rec.State.Interview, rec.State.Outcome, rec.State.Status = handover.Consents, handover.HandedOver, "handed_over"
		if err := db.Update(ctx, func(tx *store.Tx) error { return tx.UpdateHandoverRecord(ctx, rec) }); err != nil {
			t.Fatal(err)
		}
		stale.State.Outcome = handover.NotPresented
		if err := db.Update(ctx, func(tx *store.Tx) error { return tx.UpdateHandoverRecord(ctx, &stale) }); !errors.Is(err, store.ErrStateChanged) {
			t.Errorf("stale update: err = %v, want changed concurrently", err)
		}
		// A second agreement cannot hold a person the first holds; once he
		// was not presented, it can.
		p2 := &negotiation.ProposalRecord{ID: "P2", RoundID: "R1", ThreadID: "P2", From: "A", To: "B", State: "agreed", Terms: p.Terms, CreatedBy: "oa@A"}
		ag2 := &negotiation.Agreement{ID: "G2", ProposalID: "P2", RoundID: "R1", Parties: [2]string{"A", "B"}, Terms: p.Terms, ContentHash: "sha256:w",
			AcceptedBy: "ob@B", WitnessedBy: "med", CreatedAt: time.Now().UTC()}
		if err := db.Update(ctx, func(tx *store.Tx) error {
			if err := tx.InsertProposal(ctx, p2, [2][]negotiation.Release{sides[0][:1], sides[1]}); err != nil {
				return err
			}
			return tx.InsertAgreement(ctx, ag2, [2][]negotiation.Release{sides[0][:1], sides[1]})
		}); err != nil {
			t.Fatal(err)
		}
		second := func(r store.HandoverRecord) error {
			return db.Update(ctx, func(tx *store.Tx) error {
				r.AgreementID, r.Version = "G2", 0
				return tx.InsertHandoverRecords(ctx, []store.HandoverRecord{r})
			})
		}
		if err := second(recs[0]); !errors.Is(err, store.ErrBound) {
			t.Errorf("a person pending in G1 held by G2: err = %v, want bound", err)
		}
		var lbRec *store.HandoverRecord
		if err := db.View(ctx, func(tx *store.Tx) (err error) { lbRec, err = tx.HandoverRecord(ctx, "G1", lb.ID, 1); return err }); err != nil {
			t.Fatal(err)
		}
		lbRec.State.Outcome, lbRec.State.Status = handover.NotPresented, "not_presented"
		if err := db.Update(ctx, func(tx *store.Tx) error { return tx.UpdateHandoverRecord(ctx, lbRec) }); err != nil {
			t.Fatal(err)
		}
		if err := second(recs[2]); err != nil {
			t.Errorf("a person not presented in G1 held by G2: %v", err)
		}
		err = db.View(ctx, func(tx *store.Tx) error {
			held, err := tx.EntryAgreements(ctx, la.ID, 2)
			if err != nil || len(held) != 1 || held[0].Outcome != "handed_over" || held[0].AgreementID != "G1" {
				t.Errorf("entry agreements = %+v, %v", held, err)
			}
			counts, err := tx.StageCounts(ctx)
			if err != nil || len(counts) != 2 || counts[0].Agreed != 3 || counts[0].HandedOver != 1 || counts[0].Stage != "G1" || counts[1].Agreed != 1 {
				t.Errorf("stage counts = %+v, %v", counts, err)
			}
			all, err := tx.HandoverRecords(ctx, "G1")
			if err != nil || len(all) != 3 || all[0].State.Row != 1 || all[2].Side != 1 || all[1].Version != 2 {
				t.Errorf("records = %+v, %v", all, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
