package store_test

import (
	"context"
	"testing"

	"parley/internal/store"
	"parley/internal/store/storetest"
)

// TestContentVersion: a commit that changes records moves the content
// version before Update returns; reads, failed writers and commits that
// only write the access log or sessions do not; statements are counted.
func TestContentVersion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := b.Open(t)
		cases := []struct {
			name  string
			read  bool
			stmt  string
			args  []any
			fail  bool
			moves bool
		}{
			{name: "read", read: true, stmt: `SELECT COUNT(*) FROM lists`},
			{name: "access log", stmt: `INSERT INTO access_log (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)`, args: []any{"2026-01-01T00:00:00Z", "u", "a", "s", ""}},
			{name: "setting", stmt: `INSERT INTO settings (key, value) VALUES (?, ?)`, args: []any{"content-test", "1"}, moves: true},
			{name: "setting changed", stmt: ` update settings SET value = ? WHERE key = ?`, args: []any{"2", "content-test"}, moves: true},
			{name: "failed writer", stmt: `INSERT INTO settings (key, value) VALUES (?, ?)`, args: []any{"content-test2", "1"}, fail: true},
			{name: "select in a write transaction", stmt: `SELECT COUNT(*) FROM settings`},
		}
		for _, c := range cases {
			v0 := db.ContentVersion()
			s0, _ := db.Stats()
			run := db.Update
			if c.read {
				run = db.View
			}
			err := run(ctx, func(tx *store.Tx) error {
				if _, err := tx.Exec(ctx, c.stmt, c.args...); err != nil {
					return err
				}
				if c.fail {
					return context.Canceled
				}
				return nil
			})
			if (err != nil) != c.fail {
				t.Fatalf("%s: %v", c.name, err)
			}
			if moved := db.ContentVersion() != v0; moved != c.moves {
				t.Errorf("%s: content version moved %v, want %v", c.name, moved, c.moves)
			}
			if s, _ := db.Stats(); s != s0+1 {
				t.Errorf("%s: %d statements counted, want 1", c.name, s-s0)
			}
		}
	})
}
