// Package auth holds the secrets of signing in: password hashing with
// argon2id, random session ids and API tokens (stored only as digests), and
// the throttle that slows down password guessing.
//
// The lists behind the sign-in name prisoners and their wounds; an account
// taken over is a list leaked (Geneva Convention III, Art. 13). So passwords
// are hashed with a memory-hard function, and nothing that opens an account
// is ever stored in the clear.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"parley/internal/msg"
)

// Params are the argon2id cost parameters. They are written into every
// encoded hash, so raising them later does not break existing passwords.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// DefaultParams follow the OWASP Password Storage Cheat Sheet (argon2id,
// 19 MiB, 2 passes, 1 lane): strong against guessing on GPUs, yet cheap
// enough that a burst of sign-ins on handover day does not exhaust the
// server's memory.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 10

// MaxPasswordLen bounds the work an attacker can make the server do per
// attempt.
const MaxPasswordLen = 1024

// ErrMalformedHash is returned for an encoded hash that cannot be read.
var ErrMalformedHash = errors.New("malformed password hash")

var b64 = base64.RawStdEncoding

// HashPassword hashes a password with argon2id and returns it in the PHC
// string format used by the reference implementation:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash> (unpadded standard base64).
func HashPassword(password string, p Params) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches the encoded hash. The
// comparison takes the same time wherever the first difference lies.
func VerifyPassword(encoded, password string) (bool, error) {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// NeedsRehash reports whether an encoded hash was made with weaker
// parameters than p, so that it can be replaced at the next sign-in.
func NeedsRehash(encoded string, p Params) bool {
	q, _, _, err := decodeHash(encoded)
	return err != nil || q.Memory < p.Memory || q.Time < p.Time
}

func decodeHash(encoded string) (Params, []byte, []byte, error) {
	var p Params
	parts := strings.Split(encoded, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, ErrMalformedHash
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("%w: unsupported argon2 version %q", ErrMalformedHash, parts[2])
	}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return p, nil, nil, ErrMalformedHash
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return p, nil, nil, fmt.Errorf("%w: parameter %s", ErrMalformedHash, k)
		}
		switch k {
		case "m":
			p.Memory = uint32(n)
		case "t":
			p.Time = uint32(n)
		case "p":
			if n > 255 {
				return p, nil, nil, ErrMalformedHash
			}
			p.Threads = uint8(n)
		default:
			return p, nil, nil, fmt.Errorf("%w: unknown parameter %s", ErrMalformedHash, k)
		}
	}
	if p.Memory == 0 || p.Time == 0 || p.Threads == 0 {
		return p, nil, nil, fmt.Errorf("%w: missing parameter", ErrMalformedHash)
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return p, nil, nil, fmt.Errorf("%w: salt", ErrMalformedHash)
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 {
		return p, nil, nil, fmt.Errorf("%w: hash", ErrMalformedHash)
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}

// CheckPasswordStrength returns the reason (a message of package msg) when
// a new password is too weak, or the zero Msg when it is acceptable.
// Length is what counts (NIST SP 800-63B): no composition rules, which
// only make people write passwords down.
func CheckPasswordStrength(password, username string) msg.Msg {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLen:
		return msg.New("err.password.short", "min", MinPasswordLen)
	case len(password) > MaxPasswordLen:
		return msg.New("err.password.long", "max", MaxPasswordLen)
	case username != "" && strings.Contains(strings.ToLower(password), strings.ToLower(username)):
		return msg.New("err.password.has_username")
	}
	return msg.Msg{}
}

// GeneratePassword returns a random password of 20 characters from an
// alphabet without look-alike letters (about 112 bits), for an operator to
// read out or paste once.
func GeneratePassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	return randomString(alphabet, 20)
}

func randomString(alphabet string, n int) string {
	out := make([]byte, n)
	// Rejection sampling keeps every letter equally likely.
	limit := 256 - 256%len(alphabet)
	var buf [64]byte
	for i := 0; i < n; {
		_, _ = rand.Read(buf[:])
		for _, b := range buf {
			if int(b) < limit && i < n {
				out[i] = alphabet[int(b)%len(alphabet)]
				i++
			}
		}
	}
	return string(out)
}
