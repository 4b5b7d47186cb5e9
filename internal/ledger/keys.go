package ledger

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// Key files live in <data dir>/keys. The private keys never leave this
// directory and are never logged; the verifier keys (".vkey") are public
// and meant to be handed to the parties, observers and courts.
const (
	keysDir        = "keys"
	configFile     = "log.json"
	logKeyFile     = "log.key"
	logVKeyFile    = "log.vkey"
	witnessKeyFmt  = "witness-%s.key"
	witnessVKeyFmt = "witness-%s.vkey"
)

// ConfigFormat versions the log's configuration file.
const ConfigFormat = "parley-log-config/v1"

// Config is the log's public configuration, kept in keys/log.json.
type Config struct {
	Format string `json:"format"`
	// Origin is the checkpoint origin line and the name of the log's key.
	Origin string `json:"origin"`
	// Parties are the parties whose witnesses cosign checkpoints.
	Parties []string `json:"parties"`
	// Required lists the parties whose cosignatures make a checkpoint
	// agreed; empty means all parties.
	Required []string `json:"required,omitempty"`
}

// WitnessName returns the key name of a party's witness: the origin, then
// "/witness/" and the party id, a schema-less URL as C2SP
// tlog-cosignature recommends.
func WitnessName(origin, party string) string { return origin + "/witness/" + party }

// validKeyName reports whether s can be a signed-note key name (and thus a
// checkpoint origin or part of one): non-empty, valid UTF-8, no spaces and
// no "+".
func validKeyName(s string) bool {
	return s != "" && utf8.ValidString(s) && strings.IndexFunc(s, unicode.IsSpace) < 0 &&
		!strings.Contains(s, "+") && strings.IndexFunc(s, unicode.IsControl) < 0
}

// validParty reports whether a party id is usable in a key name and a file
// name.
func validParty(p string) bool {
	if p == "" || len(p) > 64 {
		return false
	}
	for _, c := range p {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return p != "." && p != ".."
}

// Init creates the log's keys in dataDir/keys: the mediator's Ed25519 log
// signing key, named after origin, and one Ed25519 witness (cosigning) key
// per party. It refuses to overwrite existing keys: a lost or replaced
// log key would make every earlier checkpoint unverifiable with the new
// one. The directory is created 0700 and every key file 0600.
func Init(dataDir, origin string, parties []string) error {
	if !validKeyName(origin) {
		return fmt.Errorf("log origin %q: want a key name without spaces or '+' (for example example.org/parley)", origin)
	}
	if len(parties) == 0 {
		return errors.New("log init: at least one party is needed")
	}
	return initKeys(dataDir, origin, parties)
}

// InitHub creates the keys of a hub's log: the mediator's log signing key
// only. The parties' witness keys are generated on their own nodes and
// trusted by their public halves (parley party trust), so the hub's
// directory never holds a key that could cosign for a party.
func InitHub(dataDir, origin string) error {
	if !validKeyName(origin) {
		return fmt.Errorf("log origin %q: want a key name without spaces or '+' (for example example.org/parley)", origin)
	}
	return initKeys(dataDir, origin, nil)
}

func initKeys(dataDir, origin string, parties []string) error {
	seen := map[string]bool{}
	for _, p := range parties {
		if !validParty(p) {
			return fmt.Errorf("party id %q: want letters, digits, '-', '_' or '.'", p)
		}
		if seen[p] {
			return fmt.Errorf("party id %q given twice", p)
		}
		seen[p] = true
	}
	dir := filepath.Join(dataDir, keysDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create key directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("key directory: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, logKeyFile)); err == nil {
		return fmt.Errorf("log keys already exist in %s: %w", dir, fs.ErrExist)
	}

	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return fmt.Errorf("generate log key: %w", err)
	}
	files := map[string]string{logKeyFile: skey, logVKeyFile: vkey}
	for _, p := range parties {
		wsk, wvk, err := note.GenerateKey(rand.Reader, WitnessName(origin, p))
		if err != nil {
			return fmt.Errorf("generate witness key for %s: %w", p, err)
		}
		// Publish the witness key as a cosignature/v1 verifier key (type
		// 0x04), the form C2SP tlog-cosignature specifies.
		cvk, err := fnote.VKeyToCosignatureV1(wvk)
		if err != nil {
			return fmt.Errorf("witness key for %s: %w", p, err)
		}
		files[fmt.Sprintf(witnessKeyFmt, p)] = wsk
		files[fmt.Sprintf(witnessVKeyFmt, p)] = cvk
	}
	cfg := Config{Format: ConfigFormat, Origin: origin, Parties: slices.Clone(parties)}
	cb, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	files[configFile] = string(cb)
	// Write the configuration last: Open looks for it, so a crash half-way
	// leaves no half-initialised log behind that looks complete.
	for name, content := range files {
		if name == configFile {
			continue
		}
		if err := writeKeyFile(filepath.Join(dir, name), content+"\n"); err != nil {
			return err
		}
	}
	return writeKeyFile(filepath.Join(dir, configFile), files[configFile]+"\n")
}

// writeKeyFile writes a new file with mode 0600, failing if it exists.
func writeKeyFile(path, content string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return fmt.Errorf("write key file %s: %w", filepath.Base(path), err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write key file %s: %w", filepath.Base(path), err)
	}
	return f.Close()
}

func readKeyFile(dir, name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", name, err)
	}
	return string(bytes.TrimSpace(b)), nil
}

// LoadConfig reads the log's configuration from dataDir/keys/log.json.
func LoadConfig(dataDir string) (*Config, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, keysDir, configFile))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no log keys in %s (run parley init first): %w", dataDir, err)
		}
		return nil, fmt.Errorf("read log configuration: %w", err)
	}
	var cfg Config
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("log configuration: %w", err)
	}
	if cfg.Format != ConfigFormat {
		return nil, fmt.Errorf("log configuration: unknown format %q", cfg.Format)
	}
	if !validKeyName(cfg.Origin) {
		return nil, fmt.Errorf("log configuration: invalid origin %q", cfg.Origin)
	}
	for _, r := range cfg.Required {
		if !slices.Contains(cfg.Parties, r) {
			return nil, fmt.Errorf("log configuration: required cosigner %q is not a party", r)
		}
	}
	return &cfg, nil
}

// ReadVerifierKey returns a key given as text ("name+hash+base64") or as
// the path of a file holding it, as the command line accepts both.
func ReadVerifierKey(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("verifier key: empty")
	}
	if fi, err := os.Stat(s); err == nil && fi.Mode().IsRegular() {
		b, err := os.ReadFile(s)
		if err != nil {
			return "", fmt.Errorf("verifier key: %w", err)
		}
		k := strings.TrimSpace(string(b))
		if !looksLikeKey(k) {
			return "", fmt.Errorf("verifier key file %s does not hold a verifier key", s)
		}
		return k, nil
	}
	if !looksLikeKey(s) {
		return "", fmt.Errorf("verifier key %q: neither a key (name+hash+base64) nor a readable file", s)
	}
	return s, nil
}

// looksLikeKey reports whether s has the shape of a signed-note verifier
// key: a name, "+", eight hex digits, "+", base64. (The base64 part may
// itself contain "+".)
func looksLikeKey(s string) bool {
	name, rest, ok := strings.Cut(s, "+")
	if !ok || !validKeyName(name) {
		return false
	}
	hash, key, ok := strings.Cut(rest, "+")
	if !ok || len(hash) != 8 || strings.Trim(hash, "0123456789abcdef") != "" {
		return false
	}
	_, err := base64.StdEncoding.DecodeString(key)
	return err == nil && key != ""
}
