package cli

import (
	"os"
	"path/filepath"
	"testing"
)

// TestResetTempDir checks that the server's start empties the data
// directory's temporary folder (files left by a crash, with personal data)
// and makes it the process's temporary directory.
func TestResetTempDir(t *testing.T) {
	t.Setenv("TMPDIR", os.TempDir()) // restored when the test ends
	OwnsProcess = true
	t.Cleanup(func() { OwnsProcess = false })
	data := t.TempDir()
	left := filepath.Join(data, "tmp", "upload-123.xlsx")
	if err := os.MkdirAll(filepath.Dir(left), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(left, []byte("personal data"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir, err := resetTempDir(data)
	if err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("%s still holds %v", dir, entries)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("%s: %v, mode %v; want a folder only its owner can read", dir, err, st.Mode().Perm())
	}
	if os.TempDir() != dir {
		t.Errorf("os.TempDir() = %s, want %s", os.TempDir(), dir)
	}
}
