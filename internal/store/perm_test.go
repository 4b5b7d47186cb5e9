package store_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"parley/internal/store"
)

// TestFileModes: the data directory is 0700 and the SQLite database with
// its -wal and -shm files 0600, even under a permissive umask, and a
// directory and files left looser by an older version are tightened.
func TestFileModes(t *testing.T) {
	old := syscall.Umask(0o002)
	t.Cleanup(func() { syscall.Umask(old) })
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")

	check := func(when string) {
		t.Helper()
		want := map[string]os.FileMode{dir: 0o700}
		for _, name := range []string{"parley.db", "parley.db-wal", "parley.db-shm"} {
			want[filepath.Join(dir, name)] = 0o600
		}
		for path, mode := range want {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
			if fi.Mode().Perm() != mode {
				t.Errorf("%s: %s has mode %v, want %v", when, filepath.Base(path), fi.Mode().Perm(), mode)
			}
		}
	}
	open := func() *store.DB {
		db, err := store.Open(ctx, dir, "")
		if err != nil {
			t.Fatal(err)
		}
		// A write, so that the -wal and -shm files exist.
		if _, err := db.ThrottleCount(ctx, time.Now(), time.Minute, store.FixedWindow, store.ThrottleKey{Scope: "t", Key: "k"}); err != nil {
			t.Fatal(err)
		}
		return db
	}
	db := open()
	check("new data directory")
	db.Close()

	for path, mode := range map[string]os.FileMode{dir: 0o755, filepath.Join(dir, "parley.db"): 0o644} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}
	db = open()
	defer db.Close()
	check("reopened after loosening")
}
