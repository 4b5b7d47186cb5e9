package nodes

import (
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

func TestCreateNodeKeys(t *testing.T) {
	dir := t.TempDir()
	_, logVKey, _ := note.GenerateKey(rand.Reader, "hub.test/parley")
	keys, err := CreateNodeKeys(dir, "hub.test/parley", "A", logVKey)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "keys")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("keys directory: %v %v", fi, err)
	}
	for _, f := range []string{"party-A.key", "party-A.vkey", "witness-A.key", "witness-A.vkey", "log.vkey"} {
		if fi, err := os.Stat(filepath.Join(dir, "keys", f)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", f, fi, err)
		}
	}
	if _, err := CreateNodeKeys(dir, "hub.test/parley", "A", logVKey); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("keys overwritten: %v", err)
	}
	if _, err := LoadPartySigner(dir, "A"); err != nil {
		t.Fatal(err)
	}
	_, otherOrigin, _ := note.GenerateKey(rand.Reader, "other.test/parley/party/A")
	cases := []struct {
		name, party, vkey, kind string
	}{
		{"statement key", "A", keys.Statement, KindStatement},
		{"witness key", "A", keys.Witness, KindWitness},
		{"another party's name", "B", keys.Statement, ""},
		{"another hub's key", "A", otherOrigin, ""},
		{"the log key", "A", logVKey, ""},
		{"not a key", "A", "hello", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			kind, _, err := KeyKind("hub.test/parley", c.party, c.vkey)
			if kind != c.kind || (c.kind == "") != (err != nil) {
				t.Fatalf("KeyKind = %q, %v; want %q", kind, err, c.kind)
			}
		})
	}
	for _, m := range []string{"", "single", "hub", "node"} {
		if _, err := ParseMode(m); err != nil {
			t.Errorf("ParseMode(%q): %v", m, err)
		}
	}
	if _, err := ParseMode("mirror"); err == nil {
		t.Error("ParseMode accepted an unknown mode")
	}
}
