package service_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"parley/internal/access"
	"parley/internal/auth"
	"parley/internal/msg"
	"parley/internal/service"
	"parley/internal/service/servicetest"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

// newUserService opens a service with two parties and cheap password
// hashing (see servicetest).
func newUserService(t *testing.T, b storetest.Backend) *service.Service {
	t.Helper()
	s, _ := servicetest.New(t, b)
	return s
}

var (
	uAdmin    = servicetest.Admin
	uOfficerA = servicetest.OfficerA
	uMediator = servicetest.Mediator
	uObserver = servicetest.Observer
	// cheapPasswords is the cost the fixture service hashes with.
	cheapPasswords = servicetest.CheapPasswords
)

func TestCreateUserRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newUserService(t, b)
		good := service.NewUser{Username: "Olena", Password: "long enough pw", Roles: []access.Role{access.Officer}, Party: "A"}
		tests := []struct {
			name  string
			actor access.Actor
			user  service.NewUser
			want  error
		}{
			{"officer may not", uOfficerA, good, access.ErrForbidden},
			{"mediator may not", uMediator, good, access.ErrForbidden},
			{"observer may not", uObserver, good, access.ErrForbidden},
			{"admin creates", uAdmin, good, nil},
			{"duplicate, other case", access.System, service.NewUser{Username: "OLENA", Password: "long enough pw", Roles: []access.Role{access.Observer}}, service.ErrConflict},
			{"bad username", uAdmin, service.NewUser{Username: "o lena", Password: "long enough pw", Roles: []access.Role{access.Observer}}, service.ErrInvalid},
			{"cyrillic username", uAdmin, service.NewUser{Username: "олена", Password: "long enough pw", Roles: []access.Role{access.Observer}}, service.ErrInvalid},
			{"weak password", uAdmin, service.NewUser{Username: "petro", Password: "short", Roles: []access.Role{access.Observer}}, service.ErrInvalid},
			{"password holds username", uAdmin, service.NewUser{Username: "petro", Password: "petro-is-great", Roles: []access.Role{access.Observer}}, service.ErrInvalid},
			{"no role", uAdmin, service.NewUser{Username: "petro", Password: "long enough pw"}, service.ErrInvalid},
			{"unknown role", uAdmin, service.NewUser{Username: "petro", Password: "long enough pw", Roles: []access.Role{"king"}}, service.ErrInvalid},
			{"officer without party", uAdmin, service.NewUser{Username: "petro", Password: "long enough pw", Roles: []access.Role{access.Officer}}, service.ErrInvalid},
			{"officer of unknown party", uAdmin, service.NewUser{Username: "petro", Password: "long enough pw", Roles: []access.Role{access.Officer}, Party: "Z"}, service.ErrInvalid},
			{"mediator bound to party", uAdmin, service.NewUser{Username: "petro", Password: "long enough pw", Roles: []access.Role{access.Mediator}, Party: "A"}, service.ErrInvalid},
			{"system creates admin", access.System, service.NewUser{Username: "root", Password: "long enough pw", Roles: []access.Role{access.Admin}}, nil},
		}
		for _, tt := range tests {
			err := s.CreateUser(ctx, tt.actor, tt.user)
			if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("%s: CreateUser error = %v, want %v", tt.name, err, tt.want)
			}
		}
		if _, err := s.Users(ctx, uOfficerA); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("officer lists users: %v", err)
		}
		users, err := s.Users(ctx, uAdmin)
		if err != nil {
			t.Fatal(err)
		}
		if len(users) != 2 || users[0].Username != "olena" || users[0].Party != "A" || users[0].Roles[0] != access.Officer {
			t.Fatalf("Users = %+v", users)
		}
		// The access log names who made each account, with which rights.
		recs, err := s.AccessLog(ctx, uAdmin, 10)
		if err != nil || len(recs) != 2 {
			t.Fatalf("access log = %+v, %v; want two account creations", recs, err)
		}
		created := map[string]service.AccessRecord{}
		for _, r := range recs {
			created[r.Subject] = r
		}
		if r := created["olena"]; r.Actor != "root" || r.Action != "user.create" || msg.TextOf("en", r.Detail) != "roles officer, party A" {
			t.Errorf("creation of olena logged as %+v", r)
		}
		if r := created["root"]; r.Actor != "system" || msg.TextOf("en", r.Detail) != "roles admin" {
			t.Errorf("creation of root logged as %+v", r)
		}
		if _, err := s.GetUser(ctx, access.Actor{UserID: users[0].ID, Username: "olena", Roles: []access.Role{access.Officer}, Party: "A"}, "olena"); err != nil {
			t.Errorf("a user reads their own account: %v", err)
		}
		if _, err := s.GetUser(ctx, uOfficerA, "root"); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("an officer reads another account: %v", err)
		}
		if _, err := s.GetUser(ctx, uAdmin, "nobody"); !errors.Is(err, service.ErrNotFound) {
			t.Errorf("unknown user: %v", err)
		}
	})
}

func TestAuthenticateAndSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newUserService(t, b)
		clock := time.Now().UTC()
		s.Now = func() time.Time { return clock }
		if err := s.CreateUser(ctx, uAdmin, service.NewUser{Username: "olena", Password: "first password", Roles: []access.Role{access.Officer}, Party: "A"}); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			user, pw string
			ok       bool
		}{
			{"olena", "first password", true},
			{" Olena ", "first password", true},
			{"olena", "first passworD", false},
			{"nobody", "first password", false},
			{"", "", false},
		} {
			actor, err := s.Authenticate(ctx, tt.user, tt.pw)
			if tt.ok && (err != nil || actor.Username != "olena" || actor.Party != "A" || !actor.Has(access.Officer) || actor.UserID == "") {
				t.Errorf("Authenticate(%q) = %+v, %v", tt.user, actor, err)
			}
			if !tt.ok && !errors.Is(err, service.ErrBadCredentials) {
				t.Errorf("Authenticate(%q, %q) error = %v, want ErrBadCredentials", tt.user, tt.pw, err)
			}
		}

		actor, _ := s.Authenticate(ctx, "olena", "first password")
		s1, err := s.StartSession(ctx, actor, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		s2, _ := s.StartSession(ctx, actor, time.Hour)
		if s1.ID == s2.ID || s1.CSRFToken == s2.CSRFToken || len(s1.ID) != 43 {
			t.Fatalf("sessions not random: %+v %+v", s1, s2)
		}
		got, si, err := s.SessionActor(ctx, s1.ID)
		if err != nil || got.UserID != actor.UserID || si.CSRFToken != s1.CSRFToken {
			t.Fatalf("SessionActor = %+v %+v %v", got, si, err)
		}
		if _, _, err := s.SessionActor(ctx, "not-a-session"); !errors.Is(err, service.ErrNotFound) {
			t.Errorf("unknown session: %v", err)
		}

		// Changing the password keeps this session and ends the other.
		if err := s.ChangePassword(ctx, actor, "wrong", "second password", s1.ID); !errors.Is(err, service.ErrInvalid) {
			t.Errorf("change with a wrong current password: %v", err)
		}
		if err := s.ChangePassword(ctx, actor, "first password", "second password", s1.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SessionActor(ctx, s1.ID); err != nil {
			t.Errorf("current session ended by password change: %v", err)
		}
		if _, _, err := s.SessionActor(ctx, s2.ID); !errors.Is(err, service.ErrNotFound) {
			t.Errorf("other session survived the password change: %v", err)
		}
		if _, err := s.Authenticate(ctx, "olena", "first password"); !errors.Is(err, service.ErrBadCredentials) {
			t.Errorf("old password still works: %v", err)
		}

		// Expiry follows the service clock.
		clock = clock.Add(2 * time.Hour)
		if _, _, err := s.SessionActor(ctx, s1.ID); !errors.Is(err, service.ErrNotFound) {
			t.Errorf("expired session accepted: %v", err)
		}
		if n, err := s.PurgeExpiredSessions(ctx); err != nil || n != 1 {
			t.Errorf("PurgeExpiredSessions = %d, %v; want 1", n, err)
		}

		// Disabling ends sessions and refuses sign-in.
		s3, _ := s.StartSession(ctx, actor, time.Hour)
		if err := s.SetUserDisabled(ctx, uOfficerA, "olena", true); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("officer disables a user: %v", err)
		}
		if err := s.SetUserDisabled(ctx, uAdmin, "olena", true); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SessionActor(ctx, s3.ID); !errors.Is(err, service.ErrNotFound) {
			t.Errorf("session of a disabled user accepted: %v", err)
		}
		if _, err := s.Authenticate(ctx, "olena", "second password"); !errors.Is(err, service.ErrBadCredentials) {
			t.Errorf("disabled user signs in: %v", err)
		}
		if err := s.SetUserDisabled(ctx, uAdmin, "olena", false); err != nil {
			t.Fatal(err)
		}
		if err := s.ResetPassword(ctx, uAdmin, "olena", "third password"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, "olena", "third password"); err != nil {
			t.Errorf("reset password refused: %v", err)
		}
		if err := s.EndSession(ctx, s3.ID); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRehashOnSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newUserService(t, b)
		if err := s.CreateUser(ctx, uAdmin, service.NewUser{Username: "mira", Password: "mediator pw 1", Roles: []access.Role{access.Mediator}}); err != nil {
			t.Fatal(err)
		}
		// The same database served with a higher cost.
		dearer := cheapPasswords
		dearer.Time = 2
		s, err := service.New(ctx, service.StoreOf(s), nil, service.WithPasswordParams(dearer))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, "mira", "mediator pw 1"); err != nil {
			t.Fatal(err)
		}
		var hash string
		if err := service.StoreOf(s).View(ctx, func(tx *store.Tx) error {
			u, err := tx.UserByName(ctx, "mira")
			hash = u.PasswordHash
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if auth.NeedsRehash(hash, s.PasswordParams()) || !strings.Contains(hash, ",t=2,") {
			t.Errorf("hash %s was not upgraded at sign-in", hash)
		}
		if _, err := s.Authenticate(ctx, "mira", "mediator pw 1"); err != nil {
			t.Errorf("sign-in after rehash: %v", err)
		}
	})
}

func TestTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newUserService(t, b)
		for _, nu := range []service.NewUser{
			{Username: "olena", Password: "officer pw 1", Roles: []access.Role{access.Officer}, Party: "A"},
			{Username: "mira", Password: "mediator pw 1", Roles: []access.Role{access.Mediator}},
		} {
			if err := s.CreateUser(ctx, uAdmin, nu); err != nil {
				t.Fatal(err)
			}
		}
		olena, _ := s.Authenticate(ctx, "olena", "officer pw 1")
		mira, _ := s.Authenticate(ctx, "mira", "mediator pw 1")

		if _, _, err := s.CreateToken(ctx, mira, "olena", "x"); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("mediator issues a token for an officer: %v", err)
		}
		// Separation of duties: an administrator cannot mint a token that
		// would act as the officer (and read the officer's registry).
		if _, _, err := s.CreateToken(ctx, uAdmin, "olena", "x"); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("administrator issues a token for an officer: %v", err)
		}
		if _, _, err := s.CreateToken(ctx, access.System, "nobody", "x"); !errors.Is(err, service.ErrNotFound) {
			t.Errorf("token for unknown user: %v", err)
		}
		// The command line issues a token to the user it names; the access
		// log names the operator, not the holder.
		tok, info, err := s.CreateToken(ctx, access.System, "olena", "laptop")
		if err != nil {
			t.Fatal(err)
		}
		recs, err := s.AccessLog(ctx, uAdmin, 1)
		if err != nil || len(recs) != 1 || recs[0].Actor != "system" || recs[0].Action != "token.issue" || recs[0].Subject != "olena" || !strings.Contains(recs[0].Detail, info.ID) {
			t.Fatalf("access log after a command-line issue = %+v, %v", recs, err)
		}
		if !auth.LooksLikeToken(tok) || info.Username != "olena" || info.Name != "laptop" {
			t.Fatalf("CreateToken = %q %+v", tok, info)
		}
		own, _, err := s.CreateToken(ctx, mira, "mira", "script")
		if err != nil {
			t.Fatalf("a user issues their own token: %v", err)
		}
		if recs, _ := s.AccessLog(ctx, uAdmin, 1); len(recs) != 1 || recs[0].Actor != "mira" || recs[0].Subject != "mira" {
			t.Fatalf("access log after a user's own issue = %+v", recs)
		}
		actor, err := s.TokenActor(ctx, tok)
		if err != nil || actor.UserID != olena.UserID || actor.Party != "A" {
			t.Fatalf("TokenActor = %+v, %v", actor, err)
		}
		if _, err := s.TokenActor(ctx, auth.NewToken()); !errors.Is(err, service.ErrNotFound) {
			t.Errorf("unknown token: %v", err)
		}
		if _, err := s.TokenActor(ctx, "garbage"); !errors.Is(err, service.ErrNotFound) {
			t.Errorf("malformed token: %v", err)
		}
		list, err := s.Tokens(ctx, uAdmin, "")
		if err != nil || len(list) != 2 {
			t.Fatalf("Tokens(all) = %+v, %v", list, err)
		}
		if _, err := s.Tokens(ctx, mira, "olena"); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("mediator lists an officer's tokens: %v", err)
		}
		mine, err := s.Tokens(ctx, olena, "olena")
		if err != nil || len(mine) != 1 || mine[0].LastUsedAt.IsZero() {
			t.Fatalf("own tokens = %+v, %v (last use should be recorded)", mine, err)
		}
		// Someone else's token id is not found, not forbidden.
		if err := s.RevokeToken(ctx, mira, info.ID); !errors.Is(err, service.ErrNotFound) {
			t.Errorf("mediator revokes an officer's token: %v", err)
		}
		if err := s.RevokeToken(ctx, olena, info.ID); err != nil {
			t.Fatalf("owner revokes own token: %v", err)
		}
		if _, err := s.TokenActor(ctx, tok); !errors.Is(err, service.ErrNotFound) {
			t.Errorf("revoked token accepted: %v", err)
		}
		if err := s.SetUserDisabled(ctx, uAdmin, "mira", true); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TokenActor(ctx, own); !errors.Is(err, service.ErrNotFound) {
			t.Errorf("token of a disabled user accepted: %v", err)
		}
	})
}
