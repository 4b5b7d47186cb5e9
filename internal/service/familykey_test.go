package service_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"parley/internal/families"
	"parley/internal/service"
	"parley/internal/service/servicetest"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

// Family secrets are checked with the data directory's key; a hash stored
// before (argon2id) still lets its family in and is replaced by a keyed hash
// on that first look-up; wrong secrets are refused either way.
func TestFamilySecretKeyedAndUpgraded(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s, _ := famService(t, b)
		fi, err := os.Stat(filepath.Join(b.DataDir, "keys", "family-secret.key"))
		if err != nil {
			t.Fatalf("no key file: %v", err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
		}
		reg := register(t, s, sergii)
		stored := func() string {
			var q *families.Inquiry
			if err := service.StoreOf(s).View(ctx, func(tx *store.Tx) (err error) {
				q, err = tx.InquiryByReference(ctx, reg.Reference)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return q.SecretHash
		}
		if h := stored(); !families.IsKeyedHash(h) {
			t.Fatalf("a new secret is stored as %.20q…, want a keyed hash", h)
		}
		if _, err := s.InquiryStatus(ctx, reg.Reference, reg.Secret); err != nil {
			t.Fatalf("right secret refused: %v", err)
		}
		if _, err := s.InquiryStatus(ctx, reg.Reference, families.NewSecret()); !errors.Is(err, service.ErrNotRecognised) {
			t.Fatalf("wrong secret: %v", err)
		}

		// A hash from before keyed hashes.
		legacy, err := families.HashSecretWith(reg.Secret, servicetest.CheapSecrets)
		if err != nil {
			t.Fatal(err)
		}
		if err := service.StoreOf(s).Update(ctx, func(tx *store.Tx) error {
			q, err := tx.InquiryByReference(ctx, reg.Reference)
			if err != nil {
				return err
			}
			return tx.ReplaceInquirySecretHash(ctx, q.ID, q.SecretHash, legacy)
		}); err != nil {
			t.Fatal(err)
		}
		if h := stored(); !strings.HasPrefix(h, "$argon2id$") {
			t.Fatalf("legacy hash not in place: %.20q", h)
		}
		if _, err := s.InquiryStatus(ctx, reg.Reference, families.NewSecret()); !errors.Is(err, service.ErrNotRecognised) {
			t.Fatalf("wrong secret against a legacy hash: %v", err)
		}
		if h := stored(); !strings.HasPrefix(h, "$argon2id$") {
			t.Fatal("a wrong secret changed the stored hash")
		}
		if _, err := s.InquiryStatus(ctx, reg.Reference, reg.Secret); err != nil {
			t.Fatalf("right secret refused against a legacy hash: %v", err)
		}
		if h := stored(); !families.IsKeyedHash(h) {
			t.Fatalf("legacy hash not upgraded: %.20q", h)
		}
		if _, err := s.InquiryStatus(ctx, reg.Reference, reg.Secret); err != nil {
			t.Fatalf("right secret refused after the upgrade: %v", err)
		}

		// The same data directory opened again keeps its key.
		s2, err := service.New(ctx, b.Open(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s2.InquiryStatus(ctx, reg.Reference, reg.Secret); err != nil {
			t.Fatalf("a second server on the same data directory refuses the secret: %v", err)
		}
	})
}
