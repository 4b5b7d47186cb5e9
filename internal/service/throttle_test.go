package service_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"parley/internal/access"
	"parley/internal/service"
	"parley/internal/store/storetest"
)

// TestSignInThrottleSharedAndDurable: two servers on one database apply
// the same sign-in throttles, a restart lifts none, and failures anybody
// can cause against a username never lock its holder out for long.
func TestSignInThrottleSharedAndDurable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		one := newUserService(t, b)
		two, err := service.New(ctx, b.Open(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		if err := one.CreateUser(ctx, uAdmin, service.NewUser{Username: "olena", Password: "officer pw 1", Roles: []access.Role{access.Officer}, Party: "A"}); err != nil {
			t.Fatal(err)
		}
		p := service.SignInPolicy{PerPair: 3, PerAddress: 100, PerAccount: 6, Base: 30 * time.Second, Max: 15 * time.Minute, AccountMax: 10 * time.Second, Quiet: 15 * time.Minute}
		t0 := time.Now().UTC().Truncate(time.Millisecond)
		const attacker, victim = "203.0.113.9", "198.51.100.1"

		for i := range 3 {
			_, locked, err := one.SignIn(ctx, p, "olena", "wrong guess", attacker, t0)
			if !errors.Is(err, service.ErrBadCredentials) || locked != (i == 2) {
				t.Fatalf("failure %d on server one: locked=%v, %v", i+1, locked, err)
			}
		}
		// Server two holds the attacker's address back, even with the
		// right password, which is not even checked.
		if _, _, err := two.SignIn(ctx, p, "olena", "officer pw 1", attacker, t0.Add(time.Second)); !isThrottled(err, 29*time.Second, 30*time.Second) {
			t.Fatalf("server two after three failures on server one: %v", err)
		}
		// The holder, from an address that has not been failing, signs in.
		if a, _, err := two.SignIn(ctx, p, "olena", "officer pw 1", victim, t0.Add(time.Second)); err != nil || a.Username != "olena" {
			t.Fatalf("holder from a clean address: %+v, %v", a, err)
		}
		// Failures from many addresses against the account hold the holder
		// back at most AccountMax, never long.
		for i := range 10 {
			_, _, _ = one.SignIn(ctx, p, "olena", "wrong guess", "203.0.113."+strconv.Itoa(20+i), t0.Add(2*time.Second))
		}
		_, _, err = two.SignIn(ctx, p, "olena", "officer pw 1", victim, t0.Add(3*time.Second))
		if !isThrottled(err, time.Second, p.AccountMax) {
			t.Fatalf("holder during a distributed attack: %v, want a wait of at most %v", err, p.AccountMax)
		}
		if _, _, err := two.SignIn(ctx, p, "olena", "officer pw 1", victim, t0.Add(2*time.Second+p.AccountMax)); err != nil {
			t.Fatalf("holder after the short wait: %v", err)
		}

		// A restart (reopening the database) keeps the attacker's wait.
		one.Close()
		two.Close()
		three, err := service.New(ctx, b.Open(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := three.SignIn(ctx, p, "olena", "officer pw 1", attacker, t0.Add(20*time.Second)); !isThrottled(err, 9*time.Second, 10*time.Second) {
			t.Fatalf("after a restart: %v", err)
		}
		// Each further failure doubles the wait.
		if _, _, err := three.SignIn(ctx, p, "olena", "wrong guess", attacker, t0.Add(31*time.Second)); !errors.Is(err, service.ErrBadCredentials) {
			t.Fatal(err)
		}
		if _, _, err := three.SignIn(ctx, p, "olena", "officer pw 1", attacker, t0.Add(31*time.Second)); !isThrottled(err, time.Minute, time.Minute) {
			t.Fatalf("after a fourth failure: %v, want a one-minute wait", err)
		}
		// After a quiet period everything lapses.
		if _, _, err := three.SignIn(ctx, p, "olena", "officer pw 1", attacker, t0.Add(31*time.Second+p.Max)); err != nil {
			t.Fatalf("after the quiet period: %v", err)
		}
	})
}

func isThrottled(err error, low, high time.Duration) bool {
	wait, ok := service.IsThrottled(err)
	return ok && wait >= low && wait <= high
}

// TestPasswordChangeThrottled: guesses of the current password on the
// account page back off, shared through the database.
func TestPasswordChangeThrottled(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newUserService(t, b)
		if err := s.CreateUser(ctx, uAdmin, service.NewUser{Username: "mira", Password: "mediator pw 1", Roles: []access.Role{access.Mediator}}); err != nil {
			t.Fatal(err)
		}
		mira, err := s.Authenticate(ctx, "mira", "mediator pw 1")
		if err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			if err := s.ChangePassword(ctx, mira, "guess number "+strconv.Itoa(i), "a brand new pw 2", ""); !errors.Is(err, service.ErrInvalid) {
				t.Fatalf("guess %d: %v", i+1, err)
			}
		}
		other, err := service.New(ctx, b.Open(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		if err := other.ChangePassword(ctx, mira, "mediator pw 1", "a brand new pw 2", ""); !isThrottled(err, time.Second, 30*time.Second) {
			t.Fatalf("sixth attempt, on another server, with the right password: %v", err)
		}
		if _, err := s.Authenticate(ctx, "mira", "mediator pw 1"); err != nil {
			t.Fatalf("the password changed while throttled: %v", err)
		}
	})
}
