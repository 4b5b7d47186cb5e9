package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// TokenPrefix starts every API token, so that a token pasted into the
// wrong place (a chat, a commit) is recognisable and can be revoked.
const TokenPrefix = "parley_"

// NewSecret returns 256 random bits, URL-safe base64 without padding: a
// session id, a CSRF token or the body of an API token.
func NewSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// NewToken returns a new API token: TokenPrefix followed by a secret.
func NewToken() string { return TokenPrefix + NewSecret() }

// Digest returns the hex SHA-256 of a secret, the form in which session ids
// and API tokens are stored. A fast hash is enough here: the secrets carry
// 256 random bits, so there is nothing to guess (unlike a password).
func Digest(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// LooksLikeToken reports whether s has the shape of an API token, to refuse
// garbage before a database look-up.
func LooksLikeToken(s string) bool {
	body, ok := strings.CutPrefix(s, TokenPrefix)
	if !ok || len(body) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(body)
	return err == nil
}
