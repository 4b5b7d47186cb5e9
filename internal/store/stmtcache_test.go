package store_test

import (
	"context"
	"fmt"
	"testing"

	"parley/internal/store"
	"parley/internal/store/storetest"
)

// TestKeptStatements runs statements the way the kept (prepared) SQLite
// statements could go wrong: a query run again inside the loop over its
// own rows, a statement run again with other arguments, more distinct
// statements than one connection keeps, a script of several statements,
// a failing statement followed by a good run of it, and a change of the
// schema under a kept statement. Each must give what an unprepared run
// gives, on both databases.
func TestKeptStatements(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := b.Open(t)
		const n = 5
		if err := db.Update(ctx, func(tx *store.Tx) error {
			for i := range n {
				if _, err := tx.Exec(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)`, fmt.Sprintf("k%d", i), fmt.Sprintf("v%d", i)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		const q = `SELECT key, value FROM settings WHERE key LIKE ? ORDER BY key`
		err := db.View(ctx, func(tx *store.Tx) error {
			for round := range 3 {
				rows, err := tx.Query(ctx, q, "k%")
				if err != nil {
					return err
				}
				seen := 0
				for rows.Next() {
					var k, v string
					if err := rows.Scan(&k, &v); err != nil {
						return err
					}
					if b.Name == "postgres" {
						// One result at a time on a PostgreSQL connection:
						// no query runs inside another's loop.
						seen++
						continue
					}
					// The same text again while its rows are open.
					inner, err := tx.Query(ctx, q, k)
					if err != nil {
						return err
					}
					m := 0
					for inner.Next() {
						var k2, v2 string
						if err := inner.Scan(&k2, &v2); err != nil {
							return err
						}
						if k2 != k || v2 != v {
							t.Errorf("round %d: inner row %s=%s, want %s=%s", round, k2, v2, k, v)
						}
						m++
					}
					if err := inner.Close(); err != nil {
						return err
					}
					if m != 1 {
						t.Errorf("round %d: inner query of %s gave %d rows", round, k, m)
					}
					if want := fmt.Sprintf("k%d", seen); k != want {
						t.Errorf("round %d: outer row %d is %s, want %s", round, seen, k, want)
					}
					seen++
				}
				if err := rows.Close(); err != nil {
					return err
				}
				if seen != n {
					t.Errorf("round %d: outer query gave %d rows, want %d", round, seen, n)
				}
			}
			// More distinct statements than a connection keeps, each run
			// twice: the least recently used are let go and prepared again.
			for round := range 2 {
				for i := range 300 {
					var v string
					if err := tx.QueryRow(ctx, fmt.Sprintf(`SELECT value FROM settings WHERE key = ? AND %d = %d`, i, i), fmt.Sprintf("k%d", i%n)).Scan(&v); err != nil {
						return fmt.Errorf("round %d, statement %d: %w", round, i, err)
					}
					if want := fmt.Sprintf("v%d", i%n); v != want {
						t.Errorf("round %d, statement %d: %s, want %s", round, i, v, want)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// A script, twice (SQLite); a failing insert, then the same text with good
		// arguments.
		const script = `UPDATE settings SET value = value || 'x' WHERE key = 'k1'; UPDATE settings SET value = value || 'y' WHERE key = 'k2'`
		const insert = `INSERT INTO settings (key, value) VALUES (?, ?)`
		for range 2 {
			if err := db.Update(ctx, func(tx *store.Tx) error {
				if b.Name == "postgres" {
					// pgx runs one statement per prepared text.
					for _, s := range []string{`UPDATE settings SET value = value || 'x' WHERE key = 'k1'`, `UPDATE settings SET value = value || 'y' WHERE key = 'k2'`} {
						if _, err := tx.Exec(ctx, s); err != nil {
							return err
						}
					}
					return nil
				}
				_, err := tx.Exec(ctx, script)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Update(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, insert, "k0", "dup")
			return err
		}); err == nil {
			t.Fatal("a duplicate key was inserted")
		}
		if err := db.Update(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, insert, "k9", "v9")
			return err
		}); err != nil {
			t.Fatalf("the insert after a failed one: %v", err)
		}
		want := map[string]string{"k0": "v0", "k1": "v1xx", "k2": "v2yy", "k9": "v9"}
		if err := db.View(ctx, func(tx *store.Tx) error {
			for k, w := range want {
				var v string
				if err := tx.QueryRow(ctx, `SELECT value FROM settings WHERE key = ?`, k).Scan(&v); err != nil {
					return err
				}
				if v != w {
					t.Errorf("%s = %q, want %q", k, v, w)
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		// A new column under a kept statement: SQLite prepares it again.
		// (pgx's own cache refuses a changed result type; migrations run
		// before any statement.)
		if b.Name == "postgres" {
			return
		}
		const all = `SELECT * FROM settings WHERE key = ?`
		cols := func() int {
			t.Helper()
			var n int
			if err := db.View(ctx, func(tx *store.Tx) error {
				rows, err := tx.Query(ctx, all, "k0")
				if err != nil {
					return err
				}
				defer rows.Close()
				c, err := rows.Columns()
				n = len(c)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := cols()
		if err := db.Update(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `ALTER TABLE settings ADD COLUMN kept_statement_test TEXT`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if after := cols(); after != before+1 {
			t.Errorf("after a new column the kept statement gives %d columns, want %d", after, before+1)
		}
	})
}
