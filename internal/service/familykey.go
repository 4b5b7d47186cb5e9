package service

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"parley/internal/families"
)

// familyKeyFile holds the key under which family secrets are checked (see
// families.SecretKey), in the data directory's key folder beside the log
// keys: never in the database, so that a copy of the database alone cannot
// test guesses of a secret. Servers that share one PostgreSQL database must
// share this file too.
const familyKeyFile = "keys/family-secret.key"

// loadFamilyKey reads the family secret key of a data directory, creating
// it (mode 0600, in a 0700 folder) when there is none.
func loadFamilyKey(dataDir string) (families.SecretKey, error) {
	path := filepath.Join(dataDir, familyKeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("family secret key: %w", err)
		}
		key := families.NewSecretKey()
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return loadFamilyKey(dataDir) // another process made it first
		}
		if err != nil {
			return nil, fmt.Errorf("family secret key: %w", err)
		}
		_, werr := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
		if serr := f.Sync(); werr == nil {
			werr = serr
		}
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			os.Remove(path)
			return nil, fmt.Errorf("family secret key: write %s: %w", path, werr)
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("family secret key: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("family secret key %s is readable by others (mode %v): make it 0600", path, fi.Mode().Perm())
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != families.SecretKeyLen {
		return nil, fmt.Errorf("family secret key %s: not %d bytes of base64", path, families.SecretKeyLen)
	}
	return key, nil
}
