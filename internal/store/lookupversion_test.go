package store_test

import (
	"context"
	"testing"
	"time"

	"parley/internal/store"
	"parley/internal/store/storetest"
)

// TestLookupVersionFollowsInquiries: every change to what a status look-up
// reads of an inquiry moves the look-up version in its own transaction,
// and a change to anything else leaves it; the row read for a look-up
// carries the version of its snapshot; a commit of another process is
// seen within the poll interval.
func TestLookupVersionFollowsInquiries(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := famDB(t, b)
		if err := db.Update(ctx, func(tx *store.Tx) error { return tx.InsertInquiry(ctx, famInquiry("Q1", "PX-0000-0001", "k1")) }); err != nil {
			t.Fatal(err)
		}
		read := func(d *store.DB) int64 {
			t.Helper()
			v, err := d.LookupVersion(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		for _, tc := range []struct {
			name, stmt string
			moves      bool
		}{
			{"status", `UPDATE inquiries SET status = 'listed' WHERE id = 'Q1'`, true},
			{"status detail", `UPDATE inquiries SET status_detail = 'deceased' WHERE id = 'Q1'`, true},
			{"status date", `UPDATE inquiries SET status_date = '2025-07-01' WHERE id = 'Q1'`, true},
			{"wording", `UPDATE inquiries SET status_wording = 'x' WHERE id = 'Q1'`, true},
			{"secret", `UPDATE inquiries SET secret_hash = '$argon2id$y' WHERE id = 'Q1'`, true},
			{"replacement secret", `UPDATE inquiries SET new_secret_hash = '$argon2id$z' WHERE id = 'Q1'`, true},
			{"contact", `UPDATE inquiries SET email = 'n@example.org' WHERE id = 'Q1'`, false},
			{"removal", `DELETE FROM inquiries WHERE id = 'Q1'`, true},
		} {
			before := read(db)
			if err := db.Update(ctx, func(tx *store.Tx) error { _, err := tx.Exec(ctx, tc.stmt); return err }); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if after := read(db); (after != before) != tc.moves {
				t.Errorf("%s: version %d → %d, want moved=%v", tc.name, before, after, tc.moves)
			}
		}

		// The row of a look-up comes with the version of its snapshot.
		if err := db.Update(ctx, func(tx *store.Tx) error { return tx.InsertInquiry(ctx, famInquiry("Q2", "PX-0000-0002", "k2")) }); err != nil {
			t.Fatal(err)
		}
		q, _, v, err := db.InquiryForStatus(ctx, "PX-0000-0002", time.Now())
		if err != nil || q == nil {
			t.Fatalf("read for status: %v %v", q, err)
		}
		if cur := read(db); v != cur {
			t.Errorf("row read at version %d, current %d", v, cur)
		}

		// Another process's change shows within the poll interval.
		other := b.Open(t)
		if err := other.Update(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE inquiries SET status = 'listed' WHERE id = 'Q2'`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(150 * time.Millisecond)
		if got := read(db); got == v {
			t.Errorf("a change by another process not seen after 150 ms: version still %d", got)
		}
	})
}
