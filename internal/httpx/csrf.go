package httpx

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
)

// DoubleSubmit is the CSRF defence of forms that have no session behind
// them (sign-in, a family's inquiry): a random token in a cookie the page
// cannot read and, repeated, in the form. A cross-site form can make the
// browser send the cookie but cannot read it to repeat it. It stands behind
// the cross-origin check, never instead of it.
type DoubleSubmit struct {
	// Name is the cookie's name; with Secure it gets the __Host- prefix,
	// which binds it to this host and path "/".
	Name   string
	Secure bool
	// MaxAge in seconds; 0 makes a cookie that ends with the browser.
	MaxAge int
}

// tokenLen is the length of a token: 32 random bytes, base64url, unpadded.
const tokenLen = 43

func (d DoubleSubmit) cookieName() string {
	if d.Secure {
		return "__Host-" + d.Name
	}
	return d.Name
}

// Token returns the request's token, setting a new cookie when it has none.
func (d DoubleSubmit) Token(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(d.cookieName()); err == nil && len(c.Value) == tokenLen {
		return c.Value
	}
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand, Go ≥ 1.24)
	tok := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{
		Name: d.cookieName(), Value: tok, Path: "/", MaxAge: d.MaxAge,
		HttpOnly: true, Secure: d.Secure, SameSite: http.SameSiteStrictMode,
	})
	return tok
}

// Check reports whether got, the token the form or header carried, is the
// cookie's, comparing in constant time.
func (d DoubleSubmit) Check(r *http.Request, got string) bool {
	c, err := r.Cookie(d.cookieName())
	if err != nil || len(c.Value) != tokenLen {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(c.Value), []byte(got)) == 1
}
