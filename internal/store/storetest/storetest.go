// Package storetest opens real databases for tests: SQLite in a temporary
// directory, and a fresh database on a real PostgreSQL server. The same
// store test suite runs against both; the PostgreSQL run is never a mock.
//
// The PostgreSQL server is the one named by $PARLEY_TEST_PG (a postgres://
// URL with rights to create databases), or 127.0.0.1:5432 as user postgres.
// When no server answers, the PostgreSQL subtests are skipped — except when
// $CI is set or $PARLEY_REQUIRE_PG is 1, where they fail: CI must never
// pass by skipping them. The test command (make test) starts a server when
// none is running.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"parley/internal/store"
)

// DefaultPostgresURL is used when $PARLEY_TEST_PG is empty.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// PostgresURL returns the admin URL of the test server.
func PostgresURL() string {
	if u := os.Getenv("PARLEY_TEST_PG"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

func requirePG() bool { return os.Getenv("CI") != "" || os.Getenv("PARLEY_REQUIRE_PG") == "1" }

var (
	pgOnce sync.Once
	pgErr  error
)

func pgAvailable() error {
	pgOnce.Do(func() {
		db, err := sql.Open("pgx", PostgresURL())
		if err != nil {
			pgErr = err
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		pgErr = db.PingContext(ctx)
	})
	return pgErr
}

// NewPostgresURL creates a fresh, empty database on the test server and
// returns its URL; the database is dropped when the test ends.
func NewPostgresURL(t testing.TB) string {
	t.Helper()
	if err := pgAvailable(); err != nil {
		if requirePG() {
			t.Fatalf("PostgreSQL is required for this run but not reachable at %s: %v", redact(PostgresURL()), err)
		}
		t.Skipf("PostgreSQL not reachable (%v); set PARLEY_TEST_PG or run make test", err)
	}
	admin, err := sql.Open("pgx", PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "parley_test_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatalf("create test database: %v", err)
	}
	u, err := url.Parse(PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	t.Cleanup(func() {
		defer admin.Close()
		_, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return u.String()
}

func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(invalid URL)"
	}
	return u.Redacted()
}

// Backend is one database backend for a test.
type Backend struct {
	Name    string // "sqlite" or "postgres"
	DataDir string
	URL     string // "" for SQLite
}

// Open opens the backend's store; it is closed when the test ends.
func (b Backend) Open(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), b.DataDir, b.URL)
	if err != nil {
		t.Fatalf("open %s store: %v", b.Name, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Each runs fn once against SQLite and once against PostgreSQL, each with a
// fresh, empty database and data directory.
func Each(t *testing.T, fn func(t *testing.T, b Backend)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, Backend{Name: "sqlite", DataDir: t.TempDir()})
	})
	t.Run("postgres", func(t *testing.T) {
		u := NewPostgresURL(t)
		fn(t, Backend{Name: "postgres", DataDir: t.TempDir(), URL: u})
	})
}
