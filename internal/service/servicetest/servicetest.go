// Package servicetest holds the fixtures that the tests of the service and
// of its front ends share: an actor of each role and a service over a
// fresh database (see storetest) with the two parties A and B. It is
// imported by tests only.
package servicetest

import (
	"context"
	"log/slog"
	"testing"

	"parley/internal/access"
	"parley/internal/auth"
	"parley/internal/parties"
	"parley/internal/service"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

// The actors of the tests, one per role; the officers serve parties A and B.
var (
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

// Parties are the two sides every fixture service knows.
var Parties = []parties.Party{{ID: "A", Name: "Party A", Translit: "icao"}, {ID: "B", Name: "Party B", Translit: "ua2010"}}

// New opens a service over the backend's fresh database, with Parties and
// CheapPasswords (opts may override them), logging nowhere. It returns the
// database too, for tests that check what was stored; both close when the
// test ends.
func New(t testing.TB, b storetest.Backend, opts ...service.Option) (*service.Service, *store.DB) {
	t.Helper()
	db := b.Open(t)
	s, err := service.New(context.Background(), db, slog.New(slog.DiscardHandler), append([]service.Option{service.WithPasswordParams(CheapPasswords)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateParties(context.Background(), Parties); err != nil {
		t.Fatal(err)
	}
	return s, db
}
