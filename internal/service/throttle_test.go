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
		// An attack from many addresses: one guess per fresh address, then
		// those addresses wait on the account's count (at most AccountMax).
		for i := range 10 {
			if _, _, err := one.SignIn(ctx, p, "olena", "wrong guess", "203.0.113."+strconv.Itoa(20+i), t0.Add(2*time.Second)); !errors.Is(err, service.ErrBadCredentials) {
				t.Fatalf("fresh address %d: %v", i, err)
			}
		}
		if _, _, err := two.SignIn(ctx, p, "olena", "another guess", "203.0.113.20", t0.Add(3*time.Second)); !isThrottled(err, time.Second, p.AccountMax) {
			t.Fatalf("second guess from an attacking address: %v, want a wait of at most %v", err, p.AccountMax)
		}
		// ... while the holder, from a clean address, is not held back at all.
		if _, _, err := two.SignIn(ctx, p, "olena", "officer pw 1", victim, t0.Add(3*time.Second)); err != nil {
			t.Fatalf("holder during a distributed attack: %v", err)
		}
		// Parallel guesses are counted one by one: a burst from a new
		// address gets PerPair attempts at the password, no more.
		burst := make(chan error, 10)
		for range 10 {
			go func() {
				_, _, err := one.SignIn(ctx, p, "olena", "wrong guess", "192.0.2.99", t0.Add(4*time.Second))
				burst <- err
			}()
		}
		checked := 0
		for range 10 {
			if err := <-burst; errors.Is(err, service.ErrBadCredentials) {
				checked++
			} else if _, ok := service.IsThrottled(err); !ok {
				t.Fatalf("burst: %v", err)
			}
		}
		if checked != p.PerPair {
			t.Errorf("a burst of 10 had %d passwords checked, want %d", checked, p.PerPair)
		}

		// A restart (reopening the database) keeps the attacker's wait:
		// four attempts from the attacker's address so far (the fourth
		// held back), so a fifth waits 2 × Base after the fourth.
		one.Close()
		two.Close()
		three, err := service.New(ctx, b.Open(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := three.SignIn(ctx, p, "olena", "officer pw 1", attacker, t0.Add(21*time.Second)); !isThrottled(err, 40*time.Second, 40*time.Second) {
			t.Fatalf("after a restart: %v, want 40s", err)
		}
		// Hammering during the wait doubles it.
		if _, _, err := three.SignIn(ctx, p, "olena", "officer pw 1", attacker, t0.Add(22*time.Second)); !isThrottled(err, 119*time.Second, 119*time.Second) {
			t.Fatalf("attempt during the wait: %v, want 119s", err)
		}
		// After a quiet period everything lapses.
		if _, _, err := three.SignIn(ctx, p, "olena", "officer pw 1", attacker, t0.Add(22*time.Second+p.Max)); err != nil {
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
