// Package servicetest holds the fixtures that the tests of the service and
// of its front ends share: an actor of each role and a service over a
// fresh database (see storetest) with the two parties A and B. It is
// imported by tests only.
package servicetest

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"parley/internal/access"
	"parley/internal/auth"
	"parley/internal/families"
	"parley/internal/parties"
	"parley/internal/service"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

// The actors of the tests, one per role; the officers serve parties A and
// B, and OfficerC a party that no fixture service knows.
var (
	OfficerC = access.Actor{UserID: "c", Username: "c", Roles: []access.Role{access.Officer}, Party: "C"}
	OfficerA = access.Actor{UserID: "a", Username: "a", Roles: []access.Role{access.Officer}, Party: "A"}
	OfficerB = access.Actor{UserID: "b", Username: "b", Roles: []access.Role{access.Officer}, Party: "B"}
	Mediator = access.Actor{UserID: "m", Username: "m", Roles: []access.Role{access.Mediator}}
	Observer = access.Actor{UserID: "o", Username: "o", Roles: []access.Role{access.Observer}}
	Admin    = access.Actor{UserID: "x", Username: "root", Roles: []access.Role{access.Admin}}
)

// CheapPasswords hash passwords at the lowest cost: the tests check what
// is done with passwords, not how long hashing takes, and each hash
// carries its parameters, so verification runs the real code path.
var CheapPasswords = auth.Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// CheapSecrets hash family secrets at the lowest cost, for the same
// reason, when a fixture service has no family key.
var CheapSecrets = families.Argon2Params{Time: 1, Memory: 64, Threads: 1}

// Parties are the two sides every fixture service knows.
var Parties = []parties.Party{{ID: "A", Name: "Party A", Translit: "icao"}, {ID: "B", Name: "Party B", Translit: "ua2010"}}

// New opens a service over the backend's fresh database, with Parties,
// CheapPasswords and CheapSecrets (opts may override them), logging
// nowhere. It returns the database too, for tests that check what was
// stored; both close when the test ends, after the service's background
// jobs have stopped.
func New(t testing.TB, b storetest.Backend, opts ...service.Option) (*service.Service, *store.DB) {
	t.Helper()
	db := b.Open(t)
	s, err := service.New(context.Background(), db, slog.New(slog.DiscardHandler), append([]service.Option{service.WithPasswordParams(CheapPasswords), service.WithSecretParams(CheapSecrets)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop) // before the database closes
	if err := s.CreateParties(context.Background(), Parties); err != nil {
		t.Fatal(err)
	}
	return s, db
}

// Log is an EventLog that keeps the events of committed transactions
// only, so that a test sees exactly what the signed log would hold.
type Log struct {
	mu     sync.Mutex
	events []service.Event
}

// Append keeps ev once its transaction commits.
func (l *Log) Append(_ context.Context, tx *store.Tx, _ string, _ time.Time, ev service.Event) (int64, error) {
	tx.AfterCommit(func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.events = append(l.events, ev)
	})
	return 0, nil
}

// Events returns a copy of the committed events, oldest first.
func (l *Log) Events() []service.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]service.Event(nil), l.events...)
}

// Count returns how many committed events have the type.
func (l *Log) Count(typ string) int {
	return l.CountFunc(func(t string) bool { return t == typ })
}

// CountFunc returns how many committed events have a type for which keep
// is true.
func (l *Log) CountFunc(keep func(typ string) bool) int {
	n := 0
	for _, e := range l.Events() {
		if keep(e.Type) {
			n++
		}
	}
	return n
}
