package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"parley/internal/access"
	"parley/internal/store"
)

// ThrottledError refuses an attempt that came too soon after failures; the
// caller may try again after Wait.
type ThrottledError struct {
	Wait time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many failed attempts; try again in %s", e.Wait.Round(time.Second))
}

// IsThrottled reports whether err is a ThrottledError and returns the wait.
func IsThrottled(err error) (time.Duration, bool) {
	var te *ThrottledError
	if errors.As(err, &te) {
		return te.Wait, true
	}
	return 0, false
}

// SignInPolicy sets how sign-ins back off. The counts live in the database
// (see store.ThrottleCount), so every server process on it applies the same
// ones and a restart lifts none.
//
// Three counts are kept, each lapsing after Quiet without attempts:
//   - per account and address: after PerPair free failures each further
//     attempt doubles the wait, from Base up to Max. This is what slows an
//     attacker guessing one account from one address.
//   - per address, over all accounts: the same after PerAddress, for one
//     address trying many accounts.
//   - per account, over all addresses: after PerAccount the wait doubles
//     too, up to AccountMax, but only for addresses that have themselves
//     failed on this account. Anybody can fail sign-ins for any username;
//     an address that has not been failing (the holder's, as a rule) is
//     never held back by this count, so nobody can lock the holder out.
//     An attacker spread over many addresses gets one guess per fresh
//     address, and then this count.
type SignInPolicy struct {
	PerPair, PerAddress, PerAccount int
	Base, Max, AccountMax, Quiet    time.Duration
}

// DefaultSignInPolicy suits a workbench with a few dozen users.
func DefaultSignInPolicy() SignInPolicy {
	return SignInPolicy{PerPair: 5, PerAddress: 30, PerAccount: 10, Base: 30 * time.Second, Max: 15 * time.Minute, AccountMax: 5 * time.Minute, Quiet: 15 * time.Minute}
}

// Fill replaces zero fields by the defaults.
func (p *SignInPolicy) Fill() {
	d := DefaultSignInPolicy()
	for _, f := range []struct{ v, def *int }{{&p.PerPair, &d.PerPair}, {&p.PerAddress, &d.PerAddress}, {&p.PerAccount, &d.PerAccount}} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	for _, f := range []struct{ v, def *time.Duration }{{&p.Base, &d.Base}, {&p.Max, &d.Max}, {&p.AccountMax, &d.AccountMax}, {&p.Quiet, &d.Quiet}} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
}

// backoff is the wait after the given number of failures, once free have
// been used up: base, 2·base, 4·base, ... up to ceiling.
func backoff(failures, free int, base, ceiling time.Duration) time.Duration {
	if failures < free {
		return 0
	}
	d := base
	for i := free; i < failures && d < ceiling; i++ {
		d *= 2
	}
	return min(d, ceiling)
}

// Scopes of the throttle table.
const (
	scopeSignInPair    = "signin_pair"
	scopeSignInAddress = "signin_address"
	scopeSignInAccount = "signin_account"
	scopePassword      = "password_change"
)

func signInKeys(username, addr string) []store.ThrottleKey {
	return []store.ThrottleKey{
		{Scope: scopeSignInPair, Key: username + "\x00" + addr},
		{Scope: scopeSignInAddress, Key: addr},
		{Scope: scopeSignInAccount, Key: username},
	}
}

// signInWait is how long the throttles hold back an attempt that has just
// been counted in advance (st, from signInKeys): each count's previous
// attempt plus the backoff its earlier attempts earned.
func (p SignInPolicy) signInWait(now time.Time, st []store.ThrottleState) time.Duration {
	clean := st[0].Hits <= 1 // this address had not failed on this account
	wait := time.Duration(0)
	for i, lim := range []struct {
		free    int
		ceiling time.Duration
	}{{p.PerPair, p.Max}, {p.PerAddress, p.Max}, {p.PerAccount, p.AccountMax}} {
		if st[i].Prev.IsZero() || (i == 2 && clean) {
			continue
		}
		wait = max(wait, st[i].Prev.Add(backoff(st[i].Hits-1, lim.free, p.Base, lim.ceiling)).Sub(now))
	}
	return wait
}

// SignIn checks a username and password from a client address behind the
// sign-in throttles. The attempt is counted first, as a failure, in one
// statement over the three counts; that statement also says when the
// previous attempt was, so the check and the count are one atomic step and
// a burst of parallel guesses is held back like a sequence. An attempt held
// back is answered with a ThrottledError without checking the password (a
// right guess then gains nothing) and stays counted: hammering during a
// wait makes it longer. A success takes the attempt back from the address
// and clears the account's and the pair's counts. locked reports that this
// failure started a backoff, for the log; now is the caller's clock.
func (s *Service) SignIn(ctx context.Context, p SignInPolicy, username, password, addr string, now time.Time) (actor access.Actor, locked bool, err error) {
	p.Fill()
	name := NormalizeUsername(username)
	keys := signInKeys(name, addr)
	now = now.UTC()
	st, err := s.db.ThrottleCount(ctx, now, max(p.Quiet, p.Max), store.SlidingWindow, keys...)
	if err != nil {
		return access.Actor{}, false, err
	}
	if wait := p.signInWait(now, st); wait > 0 {
		return access.Actor{}, false, &ThrottledError{Wait: wait}
	}
	actor, err = s.Authenticate(ctx, name, password)
	if errors.Is(err, ErrBadCredentials) {
		locked = st[0].Hits == p.PerPair || st[1].Hits == p.PerAddress || (st[0].Hits > 1 && st[2].Hits == p.PerAccount)
		return access.Actor{}, locked, err
	}
	if err != nil {
		return access.Actor{}, false, err
	}
	if err := s.db.ClearThrottle(ctx, keys[0], keys[2]); err != nil {
		return access.Actor{}, false, err
	}
	if err := s.db.UncountThrottle(ctx, keys[1]); err != nil {
		return access.Actor{}, false, err
	}
	return actor, false, nil
}

// passwordWait: the current password on /account/password is a guess like a
// sign-in, by someone who holds a session (perhaps a stolen one). After 5
// wrong ones each further doubles the wait, from 30 s up to 15 min.
func passwordWait(now time.Time, st store.ThrottleState) time.Duration {
	if st.Hits == 0 {
		return 0
	}
	return st.Last.Add(backoff(st.Hits, 5, 30*time.Second, 15*time.Minute)).Sub(now)
}

// ThrottleCount counts one event for key in scope within a fixed window of
// per and reports whether the count is still within n; when it is not,
// retry says when the window ends. One statement: the check and the count
// are the same upsert.
func (s *Service) ThrottleCount(ctx context.Context, now time.Time, scope, key string, n int, per time.Duration) (ok bool, retry time.Duration, err error) {
	k := store.ThrottleKey{Scope: scope, Key: key}
	st, err := s.db.ThrottleCount(ctx, now, per, store.FixedWindow, k)
	if err != nil {
		return false, 0, err
	}
	// A count that reached its limit closes the status look-up's fast path
	// for the key (see statusCache).
	s.statuses.block(k, st[0], n, now)
	if st[0].Hits > n {
		return false, st[0].Expires.Sub(now), nil
	}
	return true, 0, nil
}

// ThrottleLimit is one fixed-window limit to check.
type ThrottleLimit struct {
	Scope, Key string
	N          int
}

// ThrottleBlocked reports, without counting, the longest wait among limits
// whose count has reached N (0 when none has), in one read.
func (s *Service) ThrottleBlocked(ctx context.Context, now time.Time, limits ...ThrottleLimit) (time.Duration, error) {
	keys := make([]store.ThrottleKey, len(limits))
	for i, l := range limits {
		keys[i] = store.ThrottleKey{Scope: l.Scope, Key: l.Key}
	}
	st, err := s.db.ThrottleStates(ctx, now, keys...)
	if err != nil {
		return 0, err
	}
	wait := time.Duration(0)
	for i, l := range limits {
		if st[i].Hits >= l.N {
			wait = max(wait, st[i].Expires.Sub(now))
		}
	}
	return wait, nil
}

// ThrottleAdd counts hits[i] events for the distinct keys[i] of one scope
// in fixed windows of per, in as few statements as possible, and returns
// their states after it.
func (s *Service) ThrottleAdd(ctx context.Context, now time.Time, scope string, keys []string, hits []int, per time.Duration) ([]store.ThrottleState, error) {
	tk := make([]store.ThrottleKey, len(keys))
	for i, k := range keys {
		tk[i] = store.ThrottleKey{Scope: scope, Key: k}
	}
	return s.db.ThrottleAdd(ctx, now, per, tk, hits)
}
