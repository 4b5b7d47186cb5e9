package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"parley/internal/families"
	"parley/internal/lists"
	"parley/internal/names"
	"parley/internal/person"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

// TestInquiryPage: the inquiries about a side are searched (the relative's
// name in any script, the date of birth, the reference), filtered (status,
// links, day made), sorted and paged by the database, alike on both;
// inquiries without their search columns are keyed, and another side's
// inquiries never show.
func TestInquiryPage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := famDB(t, b)
		day := func(d int) time.Time { return time.Date(2025, 6, d, 10, 0, 0, 0, time.UTC) }
		mk := func(id, surname, given string, birth person.Date, created time.Time, party string) *families.Inquiry {
			q := famInquiry(id, "PX-0000-000"+id[1:], "k"+id)
			q.Party, q.CreatedAt = party, created
			q.Relative = person.Person{Kind: person.KindPOW, Surname: surname, GivenNames: given, BirthDate: birth}
			return q
		}
		qs := []*families.Inquiry{
			mk("Q1", "Шевченко", "Сергій", person.Date{Year: 1997, Month: 12, Day: 29}, day(1), "B"),
			mk("Q2", "Коваль", "Микола", person.Date{Year: 1980}, day(2), "B"),
			mk("Q3", "Жук", "Олег", person.Date{Year: 1990, Month: 5}, day(3), "B"),
			mk("Q4", "Шевченко", "Петро", person.Date{Year: 1997, Month: 1, Day: 2}, day(4), "A"),
		}
		l := &lists.List{ID: "L1", RootID: "L1", From: "A", To: "B", Title: "t", Version: 1, State: lists.Draft,
			Entries: []lists.Entry{{Row: 1, Person: qs[0].Relative}, {Row: 2, Person: qs[1].Relative}}}
		if err := db.Update(ctx, func(tx *store.Tx) error {
			for _, q := range qs {
				if err := tx.InsertInquiry(ctx, q); err != nil {
					return err
				}
			}
			if err := tx.InsertList(ctx, l); err != nil {
				return err
			}
			for _, k := range []families.Link{
				{ID: "K1", InquiryID: "Q1", ListID: "L1", Row: 1, Party: "B", Score: 0.9, Decision: "match", State: families.LinkPending},
				{ID: "K2", InquiryID: "Q2", ListID: "L1", Row: 2, Party: "B", Score: 0.9, Decision: "match", State: families.LinkPending},
			} {
				if _, err := tx.InsertLink(ctx, &k); err != nil {
					return err
				}
			}
			if err := tx.DecideLink(ctx, "K2", families.LinkPending, families.LinkConfirmed, "x", "", day(5)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `UPDATE inquiries SET status = 'listed' WHERE id = 'Q2'`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		var keyed [2]int
		var unkeyed [2]bool
		if err := db.Update(ctx, func(tx *store.Tx) (err error) {
			if unkeyed[0], err = tx.UnkeyedInquiries(ctx, "B"); err != nil {
				return err
			}
			if keyed[0], err = tx.KeyInquiries(ctx, "B"); err != nil {
				return err
			}
			if keyed[1], err = tx.KeyInquiries(ctx, "B"); err != nil {
				return err
			}
			unkeyed[1], err = tx.UnkeyedInquiries(ctx, "B")
			return err
		}); err != nil || keyed != [2]int{3, 0} || unkeyed != [2]bool{true, false} {
			t.Fatalf("keyed %v, unkeyed %v, %v", keyed, unkeyed, err)
		}
		for _, c := range []struct {
			name  string
			q     store.InquiryQuery
			want  []string
			total int
		}{
			{"newest first", store.InquiryQuery{}, []string{"Q3", "Q2", "Q1"}, 3},
			{"a page", store.InquiryQuery{Offset: 1, Limit: 1}, []string{"Q2"}, 3},
			{"by name, as romanized", store.InquiryQuery{Sort: "name"}, []string{"Q2", "Q1", "Q3"}, 3},
			{"by birth, descending", store.InquiryQuery{Sort: "birth", Desc: true}, []string{"Q1", "Q3", "Q2"}, 3},
			{"name in Latin", store.InquiryQuery{PersonFilter: store.PersonFilter{Names: names.NewQuery("Shevchenko").Patterns()}}, []string{"Q1"}, 1},
			{"year of birth", store.InquiryQuery{PersonFilter: store.PersonFilter{Birth: "1997"}}, []string{"Q1"}, 1},
			{"reference", store.InquiryQuery{PersonFilter: store.PersonFilter{Number: "px-0000-0002"}}, []string{"Q2"}, 1},
			{"status", store.InquiryQuery{Status: "listed"}, []string{"Q2"}, 1},
			{"pending links", store.InquiryQuery{Links: "pending"}, []string{"Q1"}, 1},
			{"confirmed links", store.InquiryQuery{Links: "confirmed"}, []string{"Q2"}, 1},
			{"no links", store.InquiryQuery{Links: "none"}, []string{"Q3"}, 1},
			{"days made", store.InquiryQuery{CreatedFrom: day(2).Truncate(24 * time.Hour).Format(time.RFC3339Nano), CreatedBefore: day(3).Truncate(24 * time.Hour).Format(time.RFC3339Nano)}, []string{"Q2"}, 1},
		} {
			t.Run(c.name, func(t *testing.T) {
				c.q.Party = "B"
				var rows []store.InquiryRow
				var total int
				if err := db.View(ctx, func(tx *store.Tx) (err error) {
					rows, total, err = tx.InquiryPage(ctx, c.q)
					return err
				}); err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, r := range rows {
					got = append(got, r.ID)
				}
				if !slices.Equal(got, c.want) || total != c.total {
					t.Errorf("got %v of %d, want %v of %d", got, total, c.want, c.total)
				}
			})
		}
		var rows []store.InquiryRow
		if err := db.View(ctx, func(tx *store.Tx) (err error) {
			rows, _, err = tx.InquiryPage(ctx, store.InquiryQuery{Party: "B", Sort: "created"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 || rows[0].PendingLinks != 1 || rows[1].ConfirmedLinks != 1 || rows[1].PendingLinks != 0 || rows[0].Relative.Surname != "Шевченко" {
			t.Errorf("rows %+v", rows)
		}
	})
}
