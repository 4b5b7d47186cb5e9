package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"parley/internal/parties"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

func TestUsersSessionsTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := b.Open(t)
		err := db.Update(ctx, func(tx *store.Tx) error {
			if err := tx.CreateParty(ctx, parties.Party{ID: "A", Name: "Alpha"}); err != nil {
				return err
			}
			if err := tx.CreateUser(ctx, &store.User{ID: "u1", Username: "olena", PasswordHash: "h1", Roles: []string{"officer"}, Party: "A"}); err != nil {
				return err
			}
			return tx.CreateUser(ctx, &store.User{ID: "u2", Username: "mira", PasswordHash: "h2", Roles: []string{"mediator", "admin"}})
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.Update(ctx, func(tx *store.Tx) error {
			return tx.CreateUser(ctx, &store.User{ID: "u3", Username: "olena", PasswordHash: "h3", Roles: []string{"observer"}})
		})
		if !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("duplicate username: got %v, want ErrDuplicate", err)
		}

		now := time.Now().UTC()
		err = db.Update(ctx, func(tx *store.Tx) error {
			u, err := tx.UserByName(ctx, "olena")
			if err != nil {
				return err
			}
			if u.ID != "u1" || u.Party != "A" || len(u.Roles) != 1 || u.Roles[0] != "officer" || u.PasswordHash != "h1" || u.CreatedAt.IsZero() {
				t.Errorf("UserByName = %+v", u)
			}
			m, err := tx.UserByID(ctx, "u2")
			if err != nil {
				return err
			}
			if m.Party != "" || len(m.Roles) != 2 {
				t.Errorf("UserByID = %+v", m)
			}
			if _, err := tx.UserByName(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("unknown user: %v", err)
			}
			if err := tx.SetPassword(ctx, "u1", "h1b"); err != nil {
				return err
			}
			if err := tx.SetUserDisabled(ctx, "u2", true); err != nil {
				return err
			}
			if u.Language != "" {
				t.Errorf("a new user's language = %q, want none", u.Language)
			}
			if err := tx.SetUserLanguage(ctx, "u1", "uk"); err != nil {
				return err
			}
			if err := tx.SetUserLanguage(ctx, "nope", "ru"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("language of an unknown user: %v", err)
			}
			if u, err := tx.UserByID(ctx, "u1"); err != nil || u.Language != "uk" {
				t.Errorf("saved language: %+v, %v", u, err)
			}
			if err := tx.SetUserDisabled(ctx, "nope", true); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("disable unknown user: %v", err)
			}
			all, err := tx.Users(ctx)
			if err != nil {
				return err
			}
			if len(all) != 2 || all[0].Username != "mira" || !all[0].Disabled || all[1].PasswordHash != "h1b" || all[1].Language != "uk" || all[0].Language != "" {
				t.Errorf("Users = %+v %+v", all[0], all[1])
			}

			for _, s := range []store.Session{
				{IDHash: "live", UserID: "u1", CSRFToken: "c1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
				{IDHash: "other", UserID: "u1", CSRFToken: "c2", CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
				{IDHash: "old", UserID: "u1", CSRFToken: "c3", CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Hour)},
			} {
				if err := tx.CreateSession(ctx, s); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		err = db.Update(ctx, func(tx *store.Tx) error {
			s, err := tx.SessionByHash(ctx, "live", now)
			if err != nil {
				return err
			}
			if s.UserID != "u1" || s.CSRFToken != "c1" || s.ExpiresAt.Unix() != now.Add(time.Hour).Unix() {
				t.Errorf("session = %+v", s)
			}
			if _, err := tx.SessionByHash(ctx, "old", now); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("expired session found: %v", err)
			}
			n, err := tx.DeleteExpiredSessions(ctx, now)
			if err != nil {
				return err
			}
			if n != 1 {
				t.Errorf("deleted %d expired sessions, want 1", n)
			}
			if err := tx.DeleteUserSessions(ctx, "u1", "live"); err != nil {
				return err
			}
			if _, err := tx.SessionByHash(ctx, "other", now); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("other session survived DeleteUserSessions: %v", err)
			}
			if _, err := tx.SessionByHash(ctx, "live", now); err != nil {
				t.Errorf("kept session removed: %v", err)
			}
			if err := tx.DeleteSession(ctx, "live"); err != nil {
				return err
			}
			if _, err := tx.SessionByHash(ctx, "live", now); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("signed-out session found: %v", err)
			}

			tok := &store.Token{ID: "t1", UserID: "u1", Name: "laptop", Hash: "digest1"}
			if err := tx.CreateToken(ctx, tok); err != nil {
				return err
			}
			if err := tx.CreateToken(ctx, &store.Token{ID: "t2", UserID: "u2", Name: "ci", Hash: "digest2"}); err != nil {
				return err
			}
			got, err := tx.TokenByHash(ctx, "digest1")
			if err != nil {
				return err
			}
			if got.ID != "t1" || got.UserID != "u1" || got.Name != "laptop" || !got.RevokedAt.IsZero() {
				t.Errorf("TokenByHash = %+v", got)
			}
			if err := tx.TouchToken(ctx, "t1", now); err != nil {
				return err
			}
			if err := tx.RevokeToken(ctx, "t1"); err != nil {
				return err
			}
			got, err = tx.TokenByID(ctx, "t1")
			if err != nil {
				return err
			}
			if got.RevokedAt.IsZero() || got.LastUsedAt.IsZero() {
				t.Errorf("after touch and revoke: %+v", got)
			}
			first := got.RevokedAt
			if err := tx.RevokeToken(ctx, "t1"); err != nil {
				return err
			}
			if again, _ := tx.TokenByID(ctx, "t1"); !again.RevokedAt.Equal(first) {
				t.Errorf("second revocation moved the time: %v then %v", first, again.RevokedAt)
			}
			mine, err := tx.Tokens(ctx, "u1")
			if err != nil {
				return err
			}
			all, err := tx.Tokens(ctx, "")
			if err != nil {
				return err
			}
			if len(mine) != 1 || len(all) != 2 {
				t.Errorf("Tokens: %d for u1, %d in all; want 1 and 2", len(mine), len(all))
			}
			if _, err := tx.TokenByHash(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("unknown token: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
