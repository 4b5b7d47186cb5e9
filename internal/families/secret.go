package families

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"runtime"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/crypto/argon2"
)

// A family comes back with two codes: a reference, which names the inquiry
// and may be written on paper or read out over the telephone, and a secret,
// which proves that the one asking is the one who registered. Both use the
// Crockford base-32 alphabet (no I, L, O or U), so that they survive being
// read aloud and typed on a phone; input is normalised the Crockford way
// (O is read as 0, I and L as 1, case and separators do not matter).
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// ReferencePrefix starts every reference code.
const ReferencePrefix = "PX"

const (
	referenceChars = 8  // 40 bits: enough to be unique, not a credential
	secretChars    = 20 // 100 bits: the credential
)

// ErrBadCode is returned for a reference or secret that cannot be one.
var ErrBadCode = errors.New("not a valid code")

// randomChars returns n characters of the Crockford alphabet from the
// system's cryptographic random source. 256 is a multiple of 32, so taking
// the low five bits of a random byte keeps every character equally likely.
func randomChars(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("families: no random source: " + err.Error())
	}
	for i := range b {
		b[i] = crockford[b[i]&31]
	}
	return string(b)
}

func group(s string, size int) string {
	var parts []string
	for len(s) > size {
		parts = append(parts, s[:size])
		s = s[size:]
	}
	return strings.Join(append(parts, s), "-")
}

// NewReference returns a fresh reference code such as "PX-7K3M-9QF2". The
// caller must still make sure that it is not taken.
func NewReference() string {
	return ReferencePrefix + "-" + group(randomChars(referenceChars), 4)
}

// NewSecret returns a fresh secret of 100 random bits, written as four
// groups of five characters ("K7QM2-9XPAD-3JHTV-W4E8R").
func NewSecret() string { return group(randomChars(secretChars), 5) }

// normalise upper-cases s, drops separators and maps the letters that
// Crockford base 32 reads as digits; it fails on any other character.
func normalise(s string) (string, error) {
	var buf [64]byte
	n, err := normaliseInto(buf[:0], s)
	if err != nil {
		return "", err
	}
	return string(n), nil
}

// normaliseInto is normalise appending to dst, which it does not let grow
// past its capacity: a longer code is no code (ErrBadCode). Upper-casing
// is unicode.ToUpper rune by rune, as strings.ToUpper does, so that a
// letter whose capital is one of the alphabet's (ı, ſ) counts as that.
func normaliseInto(dst []byte, s string) ([]byte, error) {
	for _, r := range s {
		if r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		} else if r > 127 {
			r = unicode.ToUpper(r)
		}
		switch {
		case r == '-' || r == ' ' || r == '\t' || r == '.' || r == '_' || r == '\u00a0':
			continue
		case r == 'O':
			r = '0'
		case r == 'I' || r == 'L':
			r = '1'
		}
		if r > 127 || strings.IndexByte(crockford, byte(r)) < 0 || len(dst) == cap(dst) {
			return nil, ErrBadCode
		}
		dst = append(dst, byte(r))
	}
	return dst, nil
}

// NormalizeReference returns the canonical form of a reference as a family
// may type it ("px 7k3m 9qf2", "7K3M9QF2", "PX-7K3M-9QF2"). A reference
// already in that form is returned as it is, without an allocation.
func NormalizeReference(s string) (string, error) {
	s = strings.TrimSpace(s)
	orig := s
	if len(s) >= len(ReferencePrefix) && strings.EqualFold(s[:len(ReferencePrefix)], ReferencePrefix) {
		s = s[len(ReferencePrefix):]
	}
	var buf [referenceChars]byte
	n, err := normaliseInto(buf[:0], s)
	if err != nil || len(n) != referenceChars {
		return "", fmt.Errorf("reference %q: %w", clip(s, 40), ErrBadCode)
	}
	var out [len(ReferencePrefix) + 2 + referenceChars]byte
	// PREFIX-ABCD-EFGH: the positions follow from the prefix's length.
	const first, split = len(ReferencePrefix) + 1, referenceChars / 2
	copy(out[:], ReferencePrefix+"-")
	copy(out[first:first+split], n[:split])
	out[first+split] = '-'
	copy(out[first+split+1:], n[split:])
	if orig == string(out[:]) {
		return orig, nil
	}
	return string(out[:]), nil
}

// NormalizeSecret returns the canonical form of a secret (upper case,
// without separators), the form that is hashed.
func NormalizeSecret(s string) (string, error) {
	n, err := normalise(strings.TrimSpace(s))
	if err != nil || len(n) != secretChars {
		return "", ErrBadCode
	}
	return n, nil
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// Argon2Params are the cost parameters of the argon2id secret hash, which
// new secrets no longer use when the service has its key (see
// HashSecretKeyed); hashes stored before still verify with it. They are kept in
// every stored hash (PHC string format), so that they can change without
// invalidating the secrets already given out.
type Argon2Params struct {
	Time    uint32
	Memory  uint32 // KiB
	Threads uint8
}

// DefaultArgon2 is the cost of hashing a new secret: argon2id with 12 MiB,
// three passes and one lane, one of the settings OWASP's password storage
// guidance lists as equivalent to its minimum (m=19 MiB, t=2). It takes
// roughly 10–30 ms on one core of a current server (see BenchmarkVerify),
// which keeps a status look-up — one indexed query and one verification —
// fast. Callers that need another cost (tests) pass it to HashSecretWith
// and SpendCheckWith; nothing changes this variable. The secret itself carries 100 random bits, so the hash is defence
// in depth against a copied database, not what stops guessing; the rate
// limits of the web front do that.
var DefaultArgon2 = Argon2Params{Time: 3, Memory: 12 * 1024, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

// verifySlots bounds concurrent hash computations, each of which takes
// Memory KiB: a burst of look-ups queues here instead of exhausting memory.
var verifySlots = make(chan struct{}, 2*runtime.GOMAXPROCS(0))

func argonKey(secret, salt []byte, p Argon2Params) []byte {
	verifySlots <- struct{}{}
	defer func() { <-verifySlots }()
	return argon2.IDKey(secret, salt, p.Time, p.Memory, p.Threads, keyLen)
}

// HashSecret returns the PHC-format argon2id hash of a secret, with a fresh
// random salt: "$argon2id$v=19$m=12288,t=3,p=1$<salt>$<hash>".
func HashSecret(secret string) (string, error) { return HashSecretWith(secret, DefaultArgon2) }

// HashSecretWith is HashSecret at the cost p.
func HashSecretWith(secret string, p Argon2Params) (string, error) {
	n, err := NormalizeSecret(secret)
	if err != nil {
		return "", err
	}
	return hashWith(n, p), nil
}

func hashWith(normalised string, p Argon2Params) string {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		panic("families: no random source: " + err.Error())
	}
	key := argonKey([]byte(normalised), salt, p)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads, enc.EncodeToString(salt), enc.EncodeToString(key))
}

// VerifySecret reports whether secret matches a hash made by HashSecret. A
// malformed secret or hash never matches.
func VerifySecret(hash, secret string) bool {
	n, err := NormalizeSecret(secret)
	if err != nil {
		// Spend the same time as a real verification of this hash, so that
		// the answer time does not tell a malformed guess from a wrong one.
		verifyNormalised(hash, strings.Repeat("0", secretChars))
		return false
	}
	return verifyNormalised(hash, n)
}

func verifyNormalised(hash, n string) bool {
	var p Argon2Params
	var version int
	var saltB64, keyB64 string
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false
	}
	if p.Time == 0 || p.Threads == 0 || p.Memory < 8*uint32(p.Threads) || p.Memory > 1<<20 || p.Time > 16 {
		return false // refuse hashes that would stall the server
	}
	saltB64, keyB64 = parts[4], parts[5]
	salt, err := base64.RawStdEncoding.DecodeString(saltB64)
	if err != nil {
		return false
	}
	want, err := base64.RawStdEncoding.DecodeString(keyB64)
	if err != nil || len(want) != keyLen {
		return false
	}
	got := argonKey([]byte(n), salt, p)
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummies holds, per cost, a hash of a secret nobody knows. Checking a
// guess against it costs what a real check costs, so that an unknown
// reference answers as slowly as a known one with a wrong secret.
var dummies sync.Map // Argon2Params → string

func dummyHash(p Argon2Params) string {
	if h, ok := dummies.Load(p); ok {
		return h.(string)
	}
	h, _ := dummies.LoadOrStore(p, hashWith(randomChars(secretChars), p))
	return h.(string)
}

// SpendVerification runs one verification against a hash of a secret
// nobody knows, at the cost DefaultArgon2; callers use it when the
// reference does not exist.
func SpendVerification(secret string) { spendVerification(secret, DefaultArgon2) }

func spendVerification(secret string, p Argon2Params) { VerifySecret(dummyHash(p), secret) }

// # Keyed check of family secrets
//
// A family secret is not a password: NewSecret draws it, 100 bits from the
// system's random source, and no person chooses it. A slow password hash
// (argon2id above) exists to make each guess of a low-entropy, human-chosen
// password expensive, so that a stolen hash cannot be walked back through a
// dictionary. For a uniformly random 100-bit secret there is no dictionary:
// an attacker with the stored value must search 2^99 secrets on average, and
// making each of them 12 ms slower changes nothing that matters, while it
// costs every honest look-up 12 ms of CPU and caps one server at some 80
// families a second — on the day an exchange is announced, when tens of
// thousands check at once.
//
// So a secret is checked with HMAC-SHA-256 under a 256-bit server key
// (SecretKey) that is kept in the data directory (mode 0600), not in the
// database: a leaked database alone then gives no way to test a guess
// offline at all, which even argon2id could not promise; a leak of both
// still leaves the 2^99 search. Online guessing is stopped by the rate
// limits of the web front, as before. The MAC is compared in constant time
// (hmac.Equal). No per-row salt is needed: salts defeat precomputation
// across many hashes of the same low-entropy inputs, and the inputs here are
// random and the key secret.
//
// Hashes made before (argon2id, PHC format) still verify; CheckSecret tells
// the caller to replace them with a keyed hash on the first successful
// check. Passwords of people (package auth) keep argon2id.

// SecretKey is the server's key for checking family secrets.
type SecretKey []byte

// SecretKeyLen is the length of a SecretKey in bytes.
const SecretKeyLen = 32

// NewSecretKey returns a fresh random key.
func NewSecretKey() SecretKey {
	k := make(SecretKey, SecretKeyLen)
	if _, err := rand.Read(k); err != nil {
		panic("families: no random source: " + err.Error())
	}
	return k
}

// keyedPrefix starts a keyed hash: "$hmac-sha256$v=1$<base64 MAC>".
const keyedPrefix = "$hmac-sha256$v=1$"

// macDomain separates this use of the key from any other.
const macDomain = "parley family secret v1\x00"

func secretMAC(key SecretKey, normalised string) []byte {
	st := getMAC(key)
	defer macPool.Put(st)
	n := copy(st.in[:], normalised)
	return bytes.Clone(st.mac(st.in[:n]))
}

// macState is a keyed MAC with the buffers of one check, kept in macPool
// so that checking a secret allocates nothing.
type macState struct {
	key  []byte // a copy of the key h was made with
	h    hash.Hash
	in   [64]byte          // the normalised secret
	sum  [sha256.Size]byte // its MAC
	enc  [64]byte          // the stored MAC, base64
	want [sha256.Size]byte // the stored MAC
}

var (
	macPool        sync.Pool
	macDomainBytes = []byte(macDomain)
	zeroMAC        [sha256.Size]byte
)

// getMAC returns a macState for key, reset; the caller puts it back in
// macPool. A pooled state made with another key (another service in the
// same process) is dropped.
func getMAC(key SecretKey) *macState {
	if st, _ := macPool.Get().(*macState); st != nil && subtle.ConstantTimeCompare(st.key, key) == 1 {
		st.h.Reset()
		return st
	}
	return &macState{key: bytes.Clone(key), h: hmac.New(sha256.New, key)}
}

// mac returns the MAC of the normalised secret n, in st.sum.
func (st *macState) mac(n []byte) []byte {
	st.h.Write(macDomainBytes)
	st.h.Write(n)
	return st.h.Sum(st.sum[:0])
}

// normalisedSecret normalises secret into st.in; a malformed secret
// gives a string of zeros, so that it costs the same work as a wrong one.
func (st *macState) normalisedSecret(secret string) ([]byte, bool) {
	n, err := normaliseInto(st.in[:0:secretChars], strings.TrimSpace(secret))
	if err != nil || len(n) != secretChars {
		n = st.in[:secretChars]
		for i := range n {
			n[i] = '0'
		}
		return n, false
	}
	return n, true
}

// HashSecretKeyed returns the keyed hash of a secret, to be stored in
// place of the secret.
func HashSecretKeyed(key SecretKey, secret string) (string, error) {
	if len(key) < SecretKeyLen {
		return "", errors.New("families: secret key too short")
	}
	n, err := NormalizeSecret(secret)
	if err != nil {
		return "", err
	}
	return keyedPrefix + base64.RawStdEncoding.EncodeToString(secretMAC(key, n)), nil
}

// IsKeyedHash reports whether a stored hash is a keyed one (not a legacy
// argon2id hash).
func IsKeyedHash(hash string) bool { return strings.HasPrefix(hash, keyedPrefix) }

// CheckSecret reports whether secret matches a stored hash: a keyed hash
// (HashSecretKeyed) under key, or a legacy argon2id hash (HashSecret). For a
// legacy hash that matches, upgrade is set: the caller should store
// HashSecretKeyed in its place, so that the next check is fast. A malformed
// secret or hash, or a keyed hash without a key, never matches.
func CheckSecret(key SecretKey, hash, secret string) (ok, upgrade bool) {
	if IsKeyedHash(hash) {
		return checkKeyed(key, hash[len(keyedPrefix):], secret), false
	}
	if VerifySecret(hash, secret) {
		return true, len(key) >= SecretKeyLen
	}
	return false, false
}

// SpendCheck does the work of one keyed check of secret against a value
// nobody holds; callers use it when the reference does not exist, so that
// the answer time does not tell an unknown reference from a wrong secret.
func SpendCheck(key SecretKey, secret string) { SpendCheckWith(key, secret, DefaultArgon2) }

// SpendCheckWith is SpendCheck for a service whose secrets, without a key,
// are hashed at the cost p.
func SpendCheckWith(key SecretKey, secret string, p Argon2Params) {
	if len(key) < SecretKeyLen {
		spendVerification(secret, p)
		return
	}
	st := getMAC(key)
	n, _ := st.normalisedSecret(secret)
	hmac.Equal(st.mac(n), zeroMAC[:])
	macPool.Put(st)
}

// checkKeyed reports whether secret matches enc, the base64 MAC of a
// keyed hash, comparing the MACs in constant time (hmac.Equal). It
// allocates nothing.
func checkKeyed(key SecretKey, enc, secret string) bool {
	if len(key) < SecretKeyLen || len(enc) != base64.RawStdEncoding.EncodedLen(sha256.Size) {
		return false
	}
	st := getMAC(key)
	defer macPool.Put(st)
	n, wellFormed := st.normalisedSecret(secret)
	k := copy(st.enc[:], enc)
	if d, err := base64.RawStdEncoding.Decode(st.want[:], st.enc[:k]); err != nil || d != sha256.Size {
		return false
	}
	return hmac.Equal(st.mac(n), st.want[:]) && wellFormed
}
