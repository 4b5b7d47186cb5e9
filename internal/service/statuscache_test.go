package service_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"parley/internal/families"
	"parley/internal/service"
	"parley/internal/service/servicetest"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

// TestStatusLookupSeesChanges: look-ups answered from memory tell only
// what the database holds — a change committed by this process shows at
// the next look-up, one by another process (another handle on the same
// database) within the look-up version's poll interval — and the secret
// is still checked on every look-up, wrong and unknown alike refused.
func TestStatusLookupSeesChanges(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s, _ := famService(t, b)
		other := b.Open(t)
		reg := register(t, s, sergii)
		var id string
		if err := service.StoreOf(s).View(ctx, func(tx *store.Tx) error {
			q, err := tx.InquiryByReference(ctx, reg.Reference)
			if q != nil {
				id = q.ID
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		set := func(db *store.DB, stmt string, args ...any) {
			t.Helper()
			if err := db.Update(ctx, func(tx *store.Tx) error { _, err := tx.Exec(ctx, stmt, args...); return err }); err != nil {
				t.Fatal(err)
			}
		}
		want := func(step string, secret string, st families.Status) {
			t.Helper()
			// Twice: the second look-up is the one memory may answer.
			for range 2 {
				got, err := s.InquiryStatus(ctx, reg.Reference, secret)
				if err != nil {
					t.Fatalf("%s: %v", step, err)
				}
				if got.Status != st {
					t.Fatalf("%s: status %q, want %q", step, got.Status, st)
				}
			}
		}
		refused := func(step, ref, secret string) {
			t.Helper()
			if _, err := s.InquiryStatus(ctx, ref, secret); !errors.Is(err, service.ErrNotRecognised) {
				t.Fatalf("%s: %v, want not recognised", step, err)
			}
		}

		want("new inquiry", reg.Secret, families.StatusNone)
		refused("wrong secret", reg.Reference, families.NewSecret())
		refused("unknown reference", "PX-ZZZZ-ZZZZ", reg.Secret)

		set(service.StoreOf(s), `UPDATE inquiries SET status = 'listed' WHERE id = ?`, id)
		want("status set by this process", reg.Secret, families.StatusListed)

		set(other, `UPDATE inquiries SET status = 'repatriated' WHERE id = ?`, id)
		time.Sleep(150 * time.Millisecond)
		want("status set by another process", reg.Secret, families.StatusRepatriated)

		// Another process replaces the secret: the old one stops working.
		secret := families.NewSecret()
		h, err := families.HashSecretWith(secret, servicetest.CheapSecrets)
		if err != nil {
			t.Fatal(err)
		}
		set(other, `UPDATE inquiries SET secret_hash = ? WHERE id = ?`, h, id)
		time.Sleep(150 * time.Millisecond)
		refused("old secret after replacement", reg.Reference, reg.Secret)
		want("new secret", secret, families.StatusRepatriated)

		// Removed by another process: the family is no longer answered.
		set(other, `DELETE FROM inquiries WHERE id = ?`, id)
		time.Sleep(150 * time.Millisecond)
		refused("removed inquiry", reg.Reference, secret)
	})
}

// TestStatusLookupBlockedAfterFailures: once the failures counted for a
// client reach their limit, even the right secret is refused with a wait,
// although its row is in memory.
func TestStatusLookupBlockedAfterFailures(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s, _ := famService(t, b)
		reg := register(t, s, sergii)
		now := time.Now()
		limit := service.ThrottleLimit{Scope: "family_lookup_failure", Key: "192.0.2.7", N: 2}
		for range 2 {
			st, wait, err := s.InquiryStatusLimited(ctx, reg.Reference, reg.Secret, now, limit)
			if err != nil || st == nil || wait != 0 {
				t.Fatalf("before failures: %v %v %v", st, wait, err)
			}
		}
		for i := range 2 {
			if _, wait, err := s.InquiryStatusLimited(ctx, reg.Reference, families.NewSecret(), now, limit); !errors.Is(err, service.ErrNotRecognised) || wait != 0 {
				t.Fatalf("failure %d: %v %v", i, wait, err)
			}
			if _, _, err := s.ThrottleCount(ctx, now, limit.Scope, limit.Key, limit.N, time.Hour); err != nil {
				t.Fatal(err)
			}
		}
		st, wait, err := s.InquiryStatusLimited(ctx, reg.Reference, reg.Secret, now, limit)
		if err != nil || st != nil || wait <= 0 {
			t.Fatalf("after %d failures: %v %v %v, want refused with a wait", limit.N, st, wait, err)
		}
		// Another client is not held back by this one's failures.
		if st, wait, err := s.InquiryStatusLimited(ctx, reg.Reference, reg.Secret, now, service.ThrottleLimit{Scope: limit.Scope, Key: "192.0.2.8", N: 2}); err != nil || st == nil || wait != 0 {
			t.Fatalf("another client: %v %v %v", st, wait, err)
		}
	})
}
