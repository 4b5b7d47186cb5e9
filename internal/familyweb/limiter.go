package familyweb

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"parley/internal/service"
)

// Rate is at most N events per window of length Per.
type Rate struct {
	N   int
	Per time.Duration
}

// Limits are the rate limits of the public pages and API. Each counts per
// client address (an IPv6 client by its /64 network, which one household
// or one attacker usually holds whole), except ReferenceFailures, which
// counts per reference, so that guesses spread over many addresses are
// throttled too.
type Limits struct {
	// Inquiries: registrations per address.
	Inquiries Rate
	// Lookups: status look-ups per address, right or wrong; this bounds
	// the hashing work one address can cause.
	Lookups Rate
	// LookupFailures: wrong references or secrets per address. Once
	// exceeded, every look-up from the address is refused until the window
	// has passed, even one with the right secret.
	LookupFailures Rate
	// ReferenceFailures: wrong secrets for one reference, from anywhere.
	ReferenceFailures Rate
	// NewSecrets: requests for a replacement secret per address.
	NewSecrets Rate
}

// DefaultLimits suit a public service: a family registers a few relatives
// and looks now and then; an attacker guessing 100-bit secrets gets
// nowhere either way, and the limits keep the hashing load bounded.
func DefaultLimits() Limits {
	return Limits{
		Inquiries:         Rate{N: 10, Per: time.Hour},
		Lookups:           Rate{N: 60, Per: time.Hour},
		LookupFailures:    Rate{N: 5, Per: 15 * time.Minute},
		ReferenceFailures: Rate{N: 10, Per: time.Hour},
		NewSecrets:        Rate{N: 5, Per: time.Hour},
	}
}

func (l *Limits) fill() {
	d := DefaultLimits()
	for _, p := range []struct{ v, def *Rate }{
		{&l.Inquiries, &d.Inquiries}, {&l.Lookups, &d.Lookups}, {&l.LookupFailures, &d.LookupFailures},
		{&l.ReferenceFailures, &d.ReferenceFailures}, {&l.NewSecrets, &d.NewSecrets},
	} {
		if p.v.N <= 0 || p.v.Per <= 0 {
			*p.v = *p.def
		}
	}
}

// limiter counts events per key in fixed windows that start with a key's
// first event. The counts live in the database (the throttle table), so
// every server process on it shares them and a restart lifts none. Each
// call is one statement: allow is a single upsert that counts and checks at
// once; blocked is a read by primary key.
//
// When the database fails, a limiter refuses (fails closed) and logs: a
// rate limit that opens under load is no limit.
type limiter struct {
	svc   *service.Service
	scope string
	rate  Rate
	now   func() time.Time
	log   *slog.Logger
}

func newLimiter(svc *service.Service, scope string, r Rate, now func() time.Time, log *slog.Logger) *limiter {
	return &limiter{svc: svc, scope: scope, rate: r, now: now, log: log}
}

// failClosed is the wait answered when the database could not be asked.
const failClosed = time.Minute

// allow counts one event and reports whether it is within the limit; when
// it is not, retry says when the window ends.
func (l *limiter) allow(ctx context.Context, key string) (ok bool, retry time.Duration) {
	ok, retry, err := l.svc.ThrottleCount(ctx, l.now(), l.scope, key, l.rate.N, l.rate.Per)
	if err != nil {
		l.log.Error("familyweb: rate limit", "scope", l.scope, "err", err)
		return false, failClosed
	}
	return ok, retry
}

// limit is the check of blocked, for blockedAny.
func (l *limiter) limit(key string) service.ThrottleLimit {
	return service.ThrottleLimit{Scope: l.scope, Key: key, N: l.rate.N}
}

// blocked reports, without counting, whether the key has used up its
// window.
func (l *limiter) blocked(ctx context.Context, key string) (bool, time.Duration) {
	return blockedAny(ctx, l, l.limit(key))
}

// blockedAny checks several limits in one read; via gives the clock and
// the log.
func blockedAny(ctx context.Context, via *limiter, limits ...service.ThrottleLimit) (bool, time.Duration) {
	wait, err := via.svc.ThrottleBlocked(ctx, via.now(), limits...)
	if err != nil {
		via.log.Error("familyweb: rate limit", "scope", via.scope, "err", err)
		return true, failClosed
	}
	return wait > 0, wait
}

// add counts one event (a failure).
func (l *limiter) add(ctx context.Context, key string) {
	if _, _, err := l.svc.ThrottleCount(ctx, l.now(), l.scope, key, l.rate.N, l.rate.Per); err != nil {
		l.log.Error("familyweb: rate limit", "scope", l.scope, "err", err)
	}
}

// remoteIP returns the client address of a request as the connection
// shows it; behind a reverse proxy, Options.ClientIP must say how to read
// the proxy's header.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limitKey groups IPv6 addresses by their /64 network.
func limitKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	if a.Is4() {
		// ParseAddr takes an IPv4 address only in its one dotted form
		// (no leading zeros), so ip is already the key.
		return ip
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
