// Package nodes holds what the three ways of running Parley share: the
// mode a data directory serves (single, hub or node) and a node's own keys.
//
// A hub is the mediator's server: the shared record only (lists after
// hand-over, acknowledgements, negotiation, the signed log). A node is one
// party's server: its users, drafts, registry, matching and families, and
// its own statement and witness keys, generated on the node and never
// sent anywhere. Single is one server for everything, as before nodes.
package nodes

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"parley/internal/statement"
)

// Mode is what a data directory serves.
type Mode string

// The modes.
const (
	Single Mode = "single"
	Hub    Mode = "hub"
	Node   Mode = "node"
)

// ParseMode reads a stored mode; "" is Single (a directory made before
// modes existed).
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case "", Single:
		return Single, nil
	case Hub, Node:
		return Mode(s), nil
	}
	return "", fmt.Errorf("unknown mode %q", s)
}

// Keys of node_settings.
const (
	SettingMode       = "mode"
	SettingParty      = "party"
	SettingHubURL     = "hub_url"
	SettingHubOrigin  = "hub_origin"
	SettingHubLogVKey = "hub_log_vkey"
)

// Key kinds of the hub's party_keys.
const (
	KindStatement = "statement"
	KindWitness   = "witness"
)

// Key files of a node, in DATA/keys (0700), each 0600.
const (
	keysDir        = "keys"
	partyKeyFmt    = "party-%s.key"
	partyVKeyFmt   = "party-%s.vkey"
	witnessKeyFmt  = "witness-%s.key"
	witnessVKeyFmt = "witness-%s.vkey"
	logVKeyFile    = "log.vkey"
)

// PartyKeyFile returns the path of a node's party statement key.
func PartyKeyFile(dataDir, party string) string {
	return filepath.Join(dataDir, keysDir, fmt.Sprintf(partyKeyFmt, party))
}

// WitnessKeyFile returns the path of a node's witness key.
func WitnessKeyFile(dataDir, party string) string {
	return filepath.Join(dataDir, keysDir, fmt.Sprintf(witnessKeyFmt, party))
}

// HubLogVKeyFile returns the path of the hub's log verifier key kept on a
// node (public).
func HubLogVKeyFile(dataDir string) string { return filepath.Join(dataDir, keysDir, logVKeyFile) }

// WitnessName returns the key name of a party's witness, as the log names
// it (ledger.WitnessName).
func WitnessName(origin, party string) string { return origin + "/witness/" + party }

// NodeKeys are a node's two verifier keys: the statement key (signed-note
// Ed25519, algorithm 0x01) and the witness key (cosignature/v1, 0x04).
type NodeKeys struct {
	Statement string
	Witness   string
}

// CreateNodeKeys generates the node's keys in dataDir/keys and stores the
// hub's log verifier key beside them. The private keys are written 0600 in
// a 0700 directory and never leave it; it refuses to overwrite keys, since
// a replaced key would orphan everything signed with the old one.
func CreateNodeKeys(dataDir, origin, party, hubLogVKey string) (*NodeKeys, error) {
	dir := filepath.Join(dataDir, keysDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create key directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("key directory: %w", err)
	}
	if _, err := os.Stat(PartyKeyFile(dataDir, party)); err == nil {
		return nil, fmt.Errorf("party keys already exist in %s: %w", dir, fs.ErrExist)
	}
	ssk, svk, err := note.GenerateKey(rand.Reader, statement.KeyName(origin, party))
	if err != nil {
		return nil, fmt.Errorf("generate the party key: %w", err)
	}
	wsk, wvk, err := note.GenerateKey(rand.Reader, WitnessName(origin, party))
	if err != nil {
		return nil, fmt.Errorf("generate the witness key: %w", err)
	}
	cvk, err := fnote.VKeyToCosignatureV1(wvk)
	if err != nil {
		return nil, fmt.Errorf("witness key: %w", err)
	}
	files := []struct{ name, content string }{
		{fmt.Sprintf(partyKeyFmt, party), ssk},
		{fmt.Sprintf(partyVKeyFmt, party), svk},
		{fmt.Sprintf(witnessKeyFmt, party), wsk},
		{fmt.Sprintf(witnessVKeyFmt, party), cvk},
		{logVKeyFile, hubLogVKey},
	}
	for _, f := range files {
		if err := writeNew(filepath.Join(dir, f.name), f.content+"\n"); err != nil {
			return nil, err
		}
	}
	return &NodeKeys{Statement: svk, Witness: cvk}, nil
}

func writeNew(path, content string) error {
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

// LoadPartySigner reads the node's party statement key.
func LoadPartySigner(dataDir, party string) (note.Signer, error) {
	b, err := os.ReadFile(PartyKeyFile(dataDir, party))
	if err != nil {
		return nil, fmt.Errorf("party key: %w", err)
	}
	s, err := note.NewSigner(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("party key: %w", err)
	}
	return s, nil
}

// KeyKind tells a statement key (signed-note Ed25519, 0x01) from a witness
// key (cosignature/v1, 0x04) and checks that it is a key of the party
// under the hub's origin.
func KeyKind(origin, party, vkey string) (string, string, error) {
	vkey = strings.TrimSpace(vkey)
	if v, err := note.NewVerifier(vkey); err == nil {
		if v.Name() != statement.KeyName(origin, party) {
			return "", "", fmt.Errorf("key %s is not named %s", v.Name(), statement.KeyName(origin, party))
		}
		if _, _, err := statement.PublicKey(vkey); err != nil {
			return "", "", err
		}
		return KindStatement, v.Name(), nil
	}
	if v, err := fnote.NewVerifierForCosignatureV1(vkey); err == nil {
		if v.Name() != WitnessName(origin, party) {
			return "", "", fmt.Errorf("key %s is not named %s", v.Name(), WitnessName(origin, party))
		}
		return KindWitness, v.Name(), nil
	}
	return "", "", errors.New("not a signed-note Ed25519 key (0x01) or a cosignature/v1 key (0x04)")
}
