package auth

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// fast parameters keep the tests quick; the format and the verification
// path are the same as with DefaultParams.
var fast = Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashAndVerify(t *testing.T) {
	h, err := HashPassword("correct horse battery", fast)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\$argon2id\$v=19\$m=1024,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`).MatchString(h) {
		t.Fatalf("hash %q is not in PHC form", h)
	}
	h2, _ := HashPassword("correct horse battery", fast)
	if h == h2 {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	tests := []struct {
		password string
		want     bool
	}{
		{"correct horse battery", true},
		{"correct horse batterY", false},
		{"", false},
		{"correct horse battery ", false},
	}
	for _, tt := range tests {
		got, err := VerifyPassword(h, tt.password)
		if err != nil || got != tt.want {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", tt.password, got, err, tt.want)
		}
	}
}

// TestVerifyReferenceHash checks against a hash made by the reference
// implementation's command-line tool (Debian package argon2):
// echo -n password | argon2 somesalt -id -t 2 -k 256 -p 2 -l 24 -e
func TestVerifyReferenceHash(t *testing.T) {
	const ref = "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$5cmjPIOJnS9cibudqE+DN3oCkFOfh2Mv"
	ok, err := VerifyPassword(ref, "password")
	if err != nil || !ok {
		t.Fatalf("reference hash: %v, %v", ok, err)
	}
	if ok, _ := VerifyPassword(ref, "passwore"); ok {
		t.Fatal("reference hash accepted a wrong password")
	}
}

func TestMalformedHashes(t *testing.T) {
	good, _ := HashPassword("x", fast)
	parts := strings.Split(good, "$")
	for _, enc := range []string{
		"",
		"plain",
		"$argon2i$v=19$m=1024,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=16$m=1024,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=0,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=1024,t=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=1024,t=1,p=1,x=2$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=1024,t=1,p=999$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=1024,t=1,p=1$!!$" + parts[5],
		"$argon2id$v=19$m=1024,t=1,p=1$" + parts[4] + "$c2hvcnQ",
	} {
		if _, err := VerifyPassword(enc, "x"); !errors.Is(err, ErrMalformedHash) {
			t.Errorf("VerifyPassword(%q) error = %v, want ErrMalformedHash", enc, err)
		}
	}
}

func TestNeedsRehash(t *testing.T) {
	h, _ := HashPassword("x", fast)
	if !NeedsRehash(h, DefaultParams) {
		t.Error("a weak hash should need rehashing under DefaultParams")
	}
	if NeedsRehash(h, fast) {
		t.Error("a hash made with the current parameters needs no rehash")
	}
	if !NeedsRehash("garbage", fast) {
		t.Error("a malformed hash needs replacing")
	}
}

func TestCheckPasswordStrength(t *testing.T) {
	tests := []struct {
		pw, user string
		ok       bool
	}{
		{"short", "", false},
		{"exactly10!", "", true},
		{"дуже довгий пароль", "", true},
		{"olena-secret-2026", "olena", false},
		{"OLENA-secret-2026", "olena", false},
		{strings.Repeat("a", MaxPasswordLen+1), "", false},
	}
	for _, tt := range tests {
		if got := CheckPasswordStrength(tt.pw, tt.user).IsZero(); got != tt.ok {
			t.Errorf("CheckPasswordStrength(%.20q, %q) ok = %v, want %v", tt.pw, tt.user, got, tt.ok)
		}
	}
}

func TestGeneratePassword(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		p := GeneratePassword()
		if len(p) != 20 || strings.ContainsAny(p, "lIO01") {
			t.Fatalf("generated password %q: wrong length or look-alike letters", p)
		}
		if !CheckPasswordStrength(p, "").IsZero() {
			t.Fatalf("generated password %q fails the strength check", p)
		}
		if seen[p] {
			t.Fatalf("generated password repeated: %q", p)
		}
		seen[p] = true
	}
}

func TestTokens(t *testing.T) {
	tok := NewToken()
	if !LooksLikeToken(tok) {
		t.Fatalf("new token %q does not look like a token", tok)
	}
	for _, bad := range []string{"", "parley_", "parley_short", "bearer " + tok, strings.TrimPrefix(tok, TokenPrefix), tok + "x", TokenPrefix + strings.Repeat("*", 43)} {
		if LooksLikeToken(bad) {
			t.Errorf("LooksLikeToken(%q) = true", bad)
		}
	}
	if NewSecret() == NewSecret() {
		t.Error("two secrets are equal")
	}
	// SHA-256("abc"), FIPS 180-2 appendix B.1.
	if got := Digest("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("Digest(abc) = %s", got)
	}
}
