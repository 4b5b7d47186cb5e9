package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"parley/internal/store"
	"parley/internal/store/storetest"
)

// TestConcurrentUpdates runs many writers at once, some of which fail or
// panic, and checks that exactly the changes
// of the writers that succeeded are stored, each whole, and that each
// writer saw its own after-commit hook only on success. On SQLite the
// writers share commits; the test also checks that they did.
func TestConcurrentUpdates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := b.Open(t)
		const writers = 60
		errBoom := errors.New("boom")
		var wg sync.WaitGroup
		results := make([]error, writers)
		hooks := make([]bool, writers)
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { _ = recover() }()
				results[i] = db.Update(ctx, func(tx *store.Tx) error {
					tx.AfterCommit(func() { hooks[i] = true })
					// Two rows per writer: both or neither must be stored.
					for _, k := range []string{"a", "b"} {
						if _, err := tx.Exec(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)`, fmt.Sprintf("w%02d%s", i, k), "v"); err != nil {
							return err
						}
					}
					switch i % 6 {
					case 1:
						return errBoom
					case 3:
						panic("writer panicked")
					case 5:
						// A unique-key violation after the writer's rows.
						_, err := tx.Exec(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)`, fmt.Sprintf("w%02da", i), "dup")
						return err
					}
					return nil
				})
			}()
		}
		wg.Wait()
		var stored map[string]bool
		err := db.View(ctx, func(tx *store.Tx) error {
			rows, err := tx.Query(ctx, `SELECT key FROM settings WHERE key LIKE 'w%'`)
			if err != nil {
				return err
			}
			defer rows.Close()
			stored = map[string]bool{}
			for rows.Next() {
				var k string
				if err := rows.Scan(&k); err != nil {
					return err
				}
				stored[k] = true
			}
			return rows.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
		for i := range writers {
			ok := i%6 == 0 || i%6 == 2 || i%6 == 4
			for _, k := range []string{"a", "b"} {
				if got := stored[fmt.Sprintf("w%02d%s", i, k)]; got != ok {
					t.Errorf("writer %d row %s stored = %v, want %v (result %v)", i, k, got, ok, results[i])
				}
			}
			if ok && results[i] != nil {
				t.Errorf("writer %d: %v", i, results[i])
			}
			if i%6 == 1 && !errors.Is(results[i], errBoom) {
				t.Errorf("writer %d: error %v, want its own", i, results[i])
			}
			if i%6 == 5 && results[i] == nil {
				t.Errorf("writer %d: duplicate key accepted", i)
			}
			if hooks[i] != ok {
				t.Errorf("writer %d: after-commit hook ran = %v, want %v", i, hooks[i], ok)
			}
		}
		updates, commits := db.WriteStats()
		t.Logf("%d updates in %d commits", updates, commits)
		if updates != writers/2 {
			t.Errorf("%d successful updates counted, want %d", updates, writers/2)
		}
	})
}

// TestGroupCommitShares checks that concurrent SQLite writers share
// commits: clearly fewer flushes than updates (about 6 updates a commit
// here when measured; the bound is loose for loaded machines).
func TestGroupCommitShares(t *testing.T) {
	ctx := context.Background()
	db := storetest.Backend{Name: "sqlite", DataDir: t.TempDir()}.Open(t)
	const writers, each = 8, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := db.Update(ctx, func(tx *store.Tx) error {
					_, err := tx.Exec(ctx, `INSERT INTO settings (key, value) VALUES (?, 'v')`, fmt.Sprintf("g%d-%d", w, i))
					return err
				}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	updates, commits := db.WriteStats()
	t.Logf("%d updates in %d commits", updates, commits)
	if updates != writers*each {
		t.Fatalf("%d updates, want %d", updates, writers*each)
	}
	if commits*4 > updates*3 {
		t.Errorf("%d updates took %d commits: writers are not sharing commits", updates, commits)
	}
}

// TestUpdateCancelledContext checks that a writer whose context ends does
// not take down the writers it shares a commit with.
func TestUpdateCancelledContext(t *testing.T) {
	ctx := context.Background()
	db := storetest.Backend{Name: "sqlite", DataDir: t.TempDir()}.Open(t)
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, cancel := context.WithCancel(ctx)
			defer cancel()
			errs[i] = db.Update(c, func(tx *store.Tx) error {
				if _, err := tx.Exec(c, `INSERT INTO settings (key, value) VALUES (?, 'v')`, fmt.Sprintf("c%02d", i)); err != nil {
					return err
				}
				if i%2 == 1 {
					cancel()
				}
				_, err := tx.Exec(c, `UPDATE settings SET value = 'w' WHERE key = ?`, fmt.Sprintf("c%02d", i))
				return err
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if (i%2 == 0) != (err == nil) {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	var n int
	if err := db.View(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT COUNT(*) FROM settings WHERE key LIKE 'c%' AND value = 'w'`).Scan(&n)
	}); err != nil {
		t.Fatal(err)
	}
	if n != 10 {
		t.Errorf("%d writers' changes stored, want 10", n)
	}
}
