package store_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"parley/internal/families"
	"parley/internal/lists"
	"parley/internal/parties"
	"parley/internal/person"
	"parley/internal/pfif"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

func famDB(t *testing.T, b storetest.Backend) *store.DB {
	t.Helper()
	db := b.Open(t)
	err := db.Update(context.Background(), func(tx *store.Tx) error {
		for _, p := range []parties.Party{{ID: "A", Name: "Alpha"}, {ID: "B", Name: "Beta"}} {
			if err := tx.CreateParty(context.Background(), p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func famInquiry(id, ref, key string) *families.Inquiry {
	return &families.Inquiry{
		ID: id, Reference: ref, Party: "B", DedupKey: key, SecretHash: "$argon2id$x", Source: families.SourceWeb, Lang: "uk",
		Relative:     person.Person{Kind: person.KindPOW, Surname: "Шевченко", GivenNames: "Сергій", BirthDate: person.Date{Year: 1999, Month: 3}},
		Relationship: "parent", Email: "m@example.org", WebhookURL: "https://h.example.org/x", WebhookStatus: true,
		CreatedAt: time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC),
	}
}

func TestInquiryStorage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := famDB(t, b)
		q := famInquiry("Q1", "PX-0000-0001", "k1")
		q.PFIF = &families.PFIFOrigin{RecordID: "example.org/p.1", Notes: []pfif.Note{{NoteRecordID: "example.org/n.1", Text: "seen", AuthorName: "X", SourceDate: "2025-06-01T00:00:00Z"}}}
		if err := db.Update(ctx, func(tx *store.Tx) error { return tx.InsertInquiry(ctx, q) }); err != nil {
			t.Fatal(err)
		}
		var got *families.Inquiry
		if err := db.View(ctx, func(tx *store.Tx) (err error) { got, err = tx.InquiryByReference(ctx, "PX-0000-0001"); return err }); err != nil {
			t.Fatal(err)
		}
		if got.Status != families.StatusNone {
			t.Errorf("status %q, want none", got.Status)
		}
		got.Status = q.Status
		if !reflect.DeepEqual(got, q) {
			t.Errorf("read back\n %+v\nwant\n %+v", got, q)
		}
		tests := []struct {
			name string
			q    *families.Inquiry
		}{
			{"same reference", famInquiry("Q2", "PX-0000-0001", "k2")},
			{"same relative and contact", famInquiry("Q3", "PX-0000-0003", "k1")},
			{"same PFIF record", func() *families.Inquiry {
				x := famInquiry("Q4", "PX-0000-0004", "k4")
				x.PFIF = &families.PFIFOrigin{RecordID: "example.org/p.1"}
				return x
			}()},
		}
		for _, tc := range tests {
			err := db.Update(ctx, func(tx *store.Tx) error { return tx.InsertInquiry(ctx, tc.q) })
			if !errors.Is(err, store.ErrDuplicate) {
				t.Errorf("%s: err = %v, want ErrDuplicate", tc.name, err)
			}
		}
		// A status change counts its version; the day is kept as a day.
		o := families.Outcome{Status: families.StatusRepatriated, Date: time.Date(2025, 6, 15, 0, 0, 0, 0, time.UTC), Wording: "home"}
		var v int
		if err := db.Update(ctx, func(tx *store.Tx) (err error) { v, err = tx.SetInquiryOutcome(ctx, "Q1", o, time.Now()); return err }); err != nil || v != 1 {
			t.Fatalf("set outcome: v=%d %v", v, err)
		}
		_ = db.View(ctx, func(tx *store.Tx) (err error) { got, err = tx.InquiryByID(ctx, "Q1"); return err })
		if !got.Outcome.Equal(o) || got.StatusVersion != 1 || got.StatusChangedAt.IsZero() {
			t.Errorf("after outcome: %+v", got.Outcome)
		}
		// Unlinked until marked.
		var ids []string
		_ = db.View(ctx, func(tx *store.Tx) (err error) { ids, err = tx.UnlinkedInquiries(ctx); return err })
		if len(ids) != 1 {
			t.Errorf("unlinked = %v", ids)
		}
		_ = db.Update(ctx, func(tx *store.Tx) error { return tx.MarkInquiryLinked(ctx, "Q1", time.Now()) })
		_ = db.View(ctx, func(tx *store.Tx) (err error) { ids, err = tx.UnlinkedInquiries(ctx); return err })
		if len(ids) != 0 {
			t.Errorf("still unlinked: %v", ids)
		}
	})
}

func TestLinkStorage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := famDB(t, b)
		l := &lists.List{ID: "L1", RootID: "L1", From: "A", To: "B", Title: "t", Version: 1, State: lists.Draft,
			Entries: []lists.Entry{{Row: 1, Person: person.Person{Kind: person.KindPOW, Surname: "Шевченко", Categories: []string{"wounded"}}}, {Row: 2, Person: person.Person{Kind: person.KindPOW, Surname: "Мельник"}}}}
		err := db.Update(ctx, func(tx *store.Tx) error {
			if err := tx.InsertInquiry(ctx, famInquiry("Q1", "PX-0000-0001", "k1")); err != nil {
				return err
			}
			if err := tx.InsertList(ctx, l); err != nil {
				return err
			}
			return tx.SetListState(ctx, "L1", lists.Draft, lists.HandedOver, "sha256:x")
		})
		if err != nil {
			t.Fatal(err)
		}
		link := &families.Link{ID: "K1", InquiryID: "Q1", ListID: "L1", Row: 1, Party: "B", Score: 0.97, Decision: "match", Reason: "r", State: families.LinkPending}
		for i, want := range []bool{true, false} {
			var added bool
			if err := db.Update(ctx, func(tx *store.Tx) (err error) {
				c := *link
				c.ID = "K" + string(rune('1'+i))
				added, err = tx.InsertLink(ctx, &c)
				return err
			}); err != nil || added != want {
				t.Errorf("insert %d: added=%v err=%v, want %v", i, added, err, want)
			}
		}
		err = db.Update(ctx, func(tx *store.Tx) error {
			return tx.DecideLink(ctx, "K1", families.LinkConfirmed, families.LinkRejected, "x", "", time.Now())
		})
		if err == nil {
			t.Error("a pending link was decided as if it were confirmed")
		}
		if err := db.Update(ctx, func(tx *store.Tx) error {
			return tx.DecideLink(ctx, "K1", families.LinkPending, families.LinkConfirmed, "b@B", "note", time.Now())
		}); err != nil {
			t.Fatal(err)
		}
		var got []*families.Link
		_ = db.View(ctx, func(tx *store.Tx) (err error) {
			got, err = tx.Links(ctx, store.LinkFilter{ListID: "L1", Row: 1, State: families.LinkConfirmed})
			return err
		})
		if len(got) != 1 || got[0].DecidedBy != "b@B" || got[0].Note != "note" || got[0].Score != 0.97 {
			t.Errorf("confirmed links = %+v", got)
		}
		// Outcomes per list entry, and the figures counted from them.
		day := time.Date(2025, 6, 15, 0, 0, 0, 0, time.UTC)
		if err := db.Update(ctx, func(tx *store.Tx) error {
			return tx.SetEntryOutcome(ctx, "L1", 1, families.Outcome{Status: families.StatusRepatriated, Date: day}, "o", time.Now())
		}); err != nil {
			t.Fatal(err)
		}
		var c families.FigureCounts
		_ = db.View(ctx, func(tx *store.Tx) (err error) { c, err = tx.FigureCounts(ctx); return err })
		if c.Lists != 1 || c.ListedByState["handed_over"] != 2 || c.ListedByCategory["wounded"] != 1 || c.ListedByCategory[""] != 1 ||
			c.Repatriated != 1 || c.InquiriesByStatus[families.StatusNone] != 1 || len(c.ListedOn) != 1 || len(c.RepatriatedOn) != 1 {
			t.Errorf("figure counts = %+v", c)
		}
	})
}

func TestOutboxLeases(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := b.Open(t)
		now := time.Now().UTC()
		if err := db.Update(ctx, func(tx *store.Tx) error {
			return tx.EnqueueOutbox(ctx, &store.OutboxItem{ID: "n1", Channel: "email", Recipient: "m@example.org", Payload: []byte(`{"secret":"S"}`), CreatedAt: now})
		}); err != nil {
			t.Fatal(err)
		}
		lease := func(owner string, at time.Time) bool {
			var ok bool
			if err := db.Update(ctx, func(tx *store.Tx) (err error) {
				_, ok, err = tx.LeaseOutbox(ctx, "n1", owner, at, at.Add(time.Minute))
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !lease("a", now) || lease("b", now.Add(time.Second)) {
			t.Fatal("two owners hold one lease")
		}
		if !lease("b", now.Add(2*time.Minute)) {
			t.Fatal("an expired lease was not taken over")
		}
		// The first owner's late answer does not reschedule b's attempt.
		_ = db.Update(ctx, func(tx *store.Tx) error { return tx.RetryOutbox(ctx, "n1", "a", now.Add(time.Hour), "late") })
		var it *store.OutboxItem
		_ = db.View(ctx, func(tx *store.Tx) (err error) { it, err = tx.OutboxItem(ctx, "n1"); return err })
		if it.LeaseOwner != "b" || it.Attempts != 2 || it.LastError != "" {
			t.Errorf("after a stale retry: %+v", it)
		}
		var due []string
		_ = db.View(ctx, func(tx *store.Tx) (err error) { due, err = tx.DueOutbox(ctx, now.Add(2*time.Minute), 10); return err })
		if len(due) != 0 {
			t.Errorf("a leased notification is due: %v", due)
		}
		if err := db.Update(ctx, func(tx *store.Tx) error { return tx.CompleteOutbox(ctx, "n1", []byte(`{}`), now) }); err != nil {
			t.Fatal(err)
		}
		_ = db.View(ctx, func(tx *store.Tx) (err error) { it, err = tx.OutboxItem(ctx, "n1"); return err })
		if it.State != store.OutboxDelivered || string(it.Payload) != "{}" || it.DeliveredAt.IsZero() {
			t.Errorf("delivered item = %+v", it)
		}
		var ok bool
		_ = db.View(ctx, func(tx *store.Tx) (err error) { _, ok, err = tx.NextOutboxDue(ctx); return err })
		if ok {
			t.Error("nothing is pending, yet a next due time is reported")
		}
	})
}

// TestFiguresVersionSeesWriters: the figures version read is reused between
// requests, but a commit of this process shows at once and one of another
// process (another handle on the same database) once the poll interval is
// over.
func TestFiguresVersionSeesWriters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db, other := b.Open(t), b.Open(t)
		bump := func(d *store.DB) {
			t.Helper()
			if err := d.Update(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, `UPDATE figures_version SET version = version + 1 WHERE id = 1`)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		read := func() int64 {
			t.Helper()
			v, err := db.FiguresVersion(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		v0 := read()
		bump(db)
		v1 := read()
		if v1 == v0 {
			t.Fatalf("a commit of this process left the figures version at %d", v1)
		}
		bump(other)
		// How soon is not asked (a loaded machine may be slow): only a
		// commit that is never seen fails, after a minute.
		deadline := time.Now().Add(time.Minute)
		for read() == v1 {
			if time.Now().After(deadline) {
				t.Fatal("a commit of another process had not been seen after a minute")
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}
