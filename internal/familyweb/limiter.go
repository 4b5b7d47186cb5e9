package familyweb

import (
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
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
// first event. It is kept in memory: a restart forgets it, and several
// server processes each count on their own (an attacker then gets a few
// times the limit, which the secret's 100 bits absorb).
type limiter struct {
	rate Rate
	now  func() time.Time

	mu      sync.Mutex
	windows map[string]*window
	sweep   time.Time
}

type window struct {
	start time.Time
	count int
}

// maxKeys bounds the memory of a limiter under a flood of addresses.
const maxKeys = 100_000

func newLimiter(r Rate, now func() time.Time) *limiter {
	return &limiter{rate: r, now: now, windows: map[string]*window{}}
}

func (l *limiter) current(key string, now time.Time) *window {
	if now.Sub(l.sweep) > l.rate.Per || len(l.windows) >= maxKeys {
		for k, w := range l.windows {
			if now.Sub(w.start) >= l.rate.Per {
				delete(l.windows, k)
			}
		}
		l.sweep = now
	}
	w := l.windows[key]
	if w == nil || now.Sub(w.start) >= l.rate.Per {
		if w == nil && len(l.windows) >= maxKeys {
			return &window{start: now, count: l.rate.N} // full: refuse rather than forget
		}
		w = &window{start: now}
		l.windows[key] = w
	}
	return w
}

// allow counts one event and reports whether it is within the limit; when
// it is not, retry says when the window ends.
func (l *limiter) allow(key string) (ok bool, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	w := l.current(key, now)
	if w.count >= l.rate.N {
		return false, w.start.Add(l.rate.Per).Sub(now)
	}
	w.count++
	return true, 0
}

// blocked reports, without counting, whether the key has used up its
// window.
func (l *limiter) blocked(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	w := l.current(key, now)
	if w.count >= l.rate.N {
		return true, w.start.Add(l.rate.Per).Sub(now)
	}
	return false, 0
}

// add counts one event (a failure).
func (l *limiter) add(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.current(key, l.now()).count++
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
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
