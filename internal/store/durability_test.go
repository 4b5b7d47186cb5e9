package store_test

import (
	"context"
	"database/sql"
	"net/url"
	"strings"
	"testing"

	"parley/internal/store"
	"parley/internal/store/storetest"
)

// TestDurabilityAtStartUp asserts what the databases themselves report on
// the store's connections after Open: SQLite flushes every commit
// (PRAGMA synchronous = FULL) and PostgreSQL has synchronous_commit and
// fsync on.
func TestDurabilityAtStartUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := b.Open(t)
		d, err := db.Durability(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !d.Flushed() {
			t.Errorf("durability %s: commits are not flushed", d)
		}
		if b.Name == "sqlite" {
			// Ask every pooled connection, not just one: each must have
			// had the pragma applied when it was opened.
			var conns []*sql.Conn
			for range 4 {
				c, err := db.SQL().Conn(ctx)
				if err != nil {
					t.Fatal(err)
				}
				conns = append(conns, c)
			}
			for i, c := range conns {
				var n int
				if err := c.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n < 2 {
					t.Errorf("connection %d: PRAGMA synchronous = %d, want 2 (FULL) or 3 (EXTRA)", i, n)
				}
				c.Close()
			}
			return
		}
		var sc, fs string
		if err := db.SQL().QueryRowContext(ctx, `SHOW synchronous_commit`).Scan(&sc); err != nil {
			t.Fatal(err)
		}
		if err := db.SQL().QueryRowContext(ctx, `SHOW fsync`).Scan(&fs); err != nil {
			t.Fatal(err)
		}
		if sc == "off" || fs != "on" {
			t.Errorf("synchronous_commit = %s, fsync = %s; want both on", sc, fs)
		}
	})
}

// TestRefuseUnflushedPostgres turns synchronous_commit off for a fresh
// database and checks that Open refuses it with a reason, and opens it
// only with the explicit override.
func TestRefuseUnflushedPostgres(t *testing.T) {
	u := storetest.NewPostgresURL(t)
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(pu.Path, "/")
	admin, err := sql.Open("pgx", storetest.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "ALTER DATABASE "+name+" SET synchronous_commit = off"); err != nil {
		t.Fatal(err)
	}
	t.Setenv(store.UnsafeDurabilityEnv, "")
	db, err := store.Open(ctx, t.TempDir(), u)
	if err == nil {
		db.Close()
		t.Fatal("Open accepted a database with synchronous_commit = off")
	}
	if !strings.Contains(err.Error(), "synchronous_commit=off") || !strings.Contains(err.Error(), store.UnsafeDurabilityEnv) {
		t.Errorf("error does not name the setting and the override: %v", err)
	}
	t.Setenv(store.UnsafeDurabilityEnv, "1")
	db, err = store.Open(ctx, t.TempDir(), u)
	if err != nil {
		t.Fatalf("Open with the override: %v", err)
	}
	db.Close()
}
