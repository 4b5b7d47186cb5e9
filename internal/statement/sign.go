package statement

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// KeyName returns the name of a party's statement key: the log origin,
// "/party/" and the party id, as witness keys are named "/witness/".
func KeyName(origin, party string) string { return origin + "/party/" + party }

// PartyOfKey returns the party a statement key name belongs to, given the
// hub's origin, or "" when the name is not a party key of that origin.
func PartyOfKey(origin, keyName string) string {
	p, ok := strings.CutPrefix(keyName, origin+"/party/")
	if !ok || !validParty(p) {
		return ""
	}
	return p
}

// Sign encodes the statement and signs it as a note with the party's key.
// It returns the note text (the statement, a blank line, the signature).
func Sign(s *Statement, signer note.Signer) ([]byte, error) {
	text, err := s.Encode()
	if err != nil {
		return nil, err
	}
	msg, err := note.Sign(&note.Note{Text: string(text)}, signer)
	if err != nil {
		return nil, fmt.Errorf("sign statement %s: %w", s.Type, err)
	}
	return msg, nil
}

// ErrUnsigned is returned by Open when the note bears no signature by a
// key the verifier trusts.
var ErrUnsigned = errors.New("statement is not signed by a trusted key")

// Open verifies a signed statement note with the given verifiers and
// parses it. It also requires the signer's key to be the key of the party
// the statement names, so that a statement signed by A cannot speak for B.
// It returns the statement and the name of the key that signed it.
func Open(msg []byte, origin string, verifiers note.Verifiers) (*Statement, string, error) {
	if len(msg) > MaxSize+1024 {
		return nil, "", fmt.Errorf("signed statement of %d bytes is too large", len(msg))
	}
	n, err := note.Open(msg, verifiers)
	if err != nil {
		// Unknown signer, bad signature or a malformed note: all mean the
		// statement is not one the party is known to have signed.
		return nil, "", fmt.Errorf("%w: %v", ErrUnsigned, err)
	}
	s, err := Parse([]byte(n.Text))
	if err != nil {
		return nil, "", err
	}
	for _, sig := range n.Sigs {
		if sig.Name == KeyName(origin, s.Party) {
			return s, sig.Name, nil
		}
	}
	return nil, "", fmt.Errorf("%w: statement of party %s is not signed by %s", ErrUnsigned, s.Party, KeyName(origin, s.Party))
}

// Text returns the statement text of a signed note without verifying it,
// for display and for recovering what a stored note says.
func Text(msg []byte) (*Statement, error) {
	text, _, ok := strings.Cut(string(msg), "\n\n")
	if !ok {
		return nil, errors.New("statement note: no signature block")
	}
	return Parse([]byte(text + "\n"))
}

// Ed25519 signed-note keys (C2SP signed-note, algorithm 0x01): the verifier
// key is "name+hash+base64(0x01 || public key)", the private key
// "PRIVATE+KEY+name+hash+base64(0x01 || seed)". The same key signs the
// party's statements and its HTTP requests (package httpsig), so the hub
// trusts one key per party for both.
const algEd25519 = 1

// PrivateKey decodes a signed-note Ed25519 private key into its name and
// the crypto/ed25519 key.
func PrivateKey(skey string) (string, ed25519.PrivateKey, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(skey), "PRIVATE+KEY+")
	if !ok {
		return "", nil, errors.New("private key: not a signed-note private key")
	}
	name, data, err := splitKey(rest)
	if err != nil {
		return "", nil, fmt.Errorf("private key: %w", err)
	}
	if len(data) != 1+ed25519.SeedSize || data[0] != algEd25519 {
		return "", nil, errors.New("private key: not an Ed25519 key")
	}
	return name, ed25519.NewKeyFromSeed(data[1:]), nil
}

// PublicKey decodes a signed-note Ed25519 verifier key into its name and
// the crypto/ed25519 key, checking the key hash.
func PublicKey(vkey string) (string, ed25519.PublicKey, error) {
	vkey = strings.TrimSpace(vkey)
	if _, err := note.NewVerifier(vkey); err != nil {
		return "", nil, fmt.Errorf("verifier key: %w", err)
	}
	name, data, err := splitKey(vkey)
	if err != nil {
		return "", nil, fmt.Errorf("verifier key: %w", err)
	}
	if len(data) != 1+ed25519.PublicKeySize || data[0] != algEd25519 {
		return "", nil, errors.New("verifier key: not an Ed25519 signed-note key")
	}
	return name, ed25519.PublicKey(data[1:]), nil
}

func splitKey(s string) (string, []byte, error) {
	name, rest, ok := strings.Cut(s, "+")
	if !ok {
		return "", nil, errors.New("malformed key")
	}
	_, b64, ok := strings.Cut(rest, "+")
	if !ok {
		return "", nil, errors.New("malformed key")
	}
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", nil, errors.New("malformed key")
	}
	return name, data, nil
}

// Fingerprint returns the SHA-256 of a verifier key line in hex, grouped
// by four digits, for a mediator and a party to compare by telephone or
// on paper before the mediator trusts the key.
func Fingerprint(vkey string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(vkey)))
	h := hex.EncodeToString(sum[:])
	var b strings.Builder
	for i := 0; i < len(h); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(h[i : i+4])
	}
	return b.String()
}

// ReservationHash returns the hex SHA-256 of a reservation text, or ""
// when there is none, as list.ack statements carry it.
func ReservationHash(reservation string) string {
	if reservation == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(reservation))
	return hex.EncodeToString(sum[:])
}
