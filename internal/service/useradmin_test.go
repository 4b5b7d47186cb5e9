package service_test

import (
	"context"
	"errors"
	"testing"

	"parley/internal/access"
	"parley/internal/msg"
	"parley/internal/service"
	"parley/internal/store/storetest"
)

func TestSetUserRoles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newUserService(t, b)
		if err := s.CreateUser(ctx, access.System, service.NewUser{Username: "petro", Password: "long enough pw", Roles: []access.Role{access.Observer}}); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateUser(ctx, access.System, service.NewUser{Username: "root", Password: "long enough pw", Roles: []access.Role{access.Admin}}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name     string
			actor    access.Actor
			user     string
			roles    []access.Role
			party    string
			want     error
			problems []string // message codes, all at once
		}{
			{"officer may not", uOfficerA, "petro", []access.Role{access.Mediator}, "", access.ErrForbidden, nil},
			{"unknown user", uAdmin, "nobody", []access.Role{access.Mediator}, "", service.ErrNotFound, nil},
			{"every problem", uAdmin, "petro", []access.Role{"king", access.Officer, access.Officer}, "", service.ErrInvalid,
				[]string{"user.unknown_role", "user.role_twice", "user.officer_needs_party"}},
			{"unknown party", uAdmin, "petro", []access.Role{access.Officer}, "Z", service.ErrInvalid, []string{"user.unknown_party"}},
			{"keeps own admin", uAdmin, "root", []access.Role{access.Observer}, "", service.ErrConflict, nil},
			{"officer of B", uAdmin, "petro", []access.Role{access.Officer, access.Observer}, "B", nil, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u, err := s.SetUserRoles(ctx, tt.actor, tt.user, tt.roles, tt.party)
				if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
				if tt.problems != nil {
					var ps service.Problems
					if !errors.As(err, &ps) {
						t.Fatalf("%v is not a list of problems", err)
					}
					var got []string
					for _, m := range ps.Messages() {
						got = append(got, m.Code)
					}
					if len(got) != len(tt.problems) {
						t.Fatalf("problems %v, want %v", got, tt.problems)
					}
					for i := range got {
						if got[i] != tt.problems[i] {
							t.Errorf("problem %d is %s, want %s", i, got[i], tt.problems[i])
						}
						if msg.Text("uk", ps.Messages()[i]) == msg.Text("en", ps.Messages()[i]) {
							t.Errorf("problem %s is not translated", got[i])
						}
					}
				}
				if err == nil && (u.Party != "B" || len(u.Roles) != 2) {
					t.Errorf("user after the change: %+v", u)
				}
			})
		}
		got, err := s.GetUser(ctx, access.System, "petro")
		if err != nil || got.Party != "B" || len(got.Roles) != 2 {
			t.Fatalf("stored: %+v %v", got, err)
		}
	})
}

func TestResetPasswordOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newUserService(t, b)
		if err := s.CreateUser(ctx, access.System, service.NewUser{Username: "petro", Password: "long enough pw", Roles: []access.Role{access.Observer}}); err != nil {
			t.Fatal(err)
		}
		actor, err := s.Authenticate(ctx, "petro", "long enough pw")
		if err != nil {
			t.Fatal(err)
		}
		si, err := s.StartSession(ctx, actor, 3600e9)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ResetPasswordOnce(ctx, uOfficerA, "petro"); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("an officer reset a password: %v", err)
		}
		pw, err := s.ResetPasswordOnce(ctx, uAdmin, "petro")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SessionActor(ctx, si.ID); !errors.Is(err, service.ErrNotFound) {
			t.Errorf("the session survived the reset: %v", err)
		}
		if _, err := s.Authenticate(ctx, "petro", "long enough pw"); !errors.Is(err, service.ErrBadCredentials) {
			t.Errorf("the old password still works: %v", err)
		}
		actor, err = s.Authenticate(ctx, "petro", pw)
		if err != nil {
			t.Fatalf("the one-time password: %v", err)
		}
		si, err = s.StartSession(ctx, actor, 3600e9)
		if err != nil {
			t.Fatal(err)
		}
		if _, info, err := s.SessionActor(ctx, si.ID); err != nil || !info.MustChangePassword {
			t.Fatalf("a one-time password's session need not change it: %+v %v", info, err)
		}
		if err := s.ChangePassword(ctx, actor, pw, "my own new secret", si.ID); err != nil {
			t.Fatal(err)
		}
		if _, info, err := s.SessionActor(ctx, si.ID); err != nil || info.MustChangePassword {
			t.Errorf("after the change the session must still change it: %+v %v", info, err)
		}
		recs, err := s.AccessLog(ctx, uAdmin, 50)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range recs {
			found = found || (r.Action == "user.password_reset" && r.Subject == "petro" && r.Actor == uAdmin.Username)
		}
		if !found {
			t.Error("the reset is not in the access log")
		}
	})
}
