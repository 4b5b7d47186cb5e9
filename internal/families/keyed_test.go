package families

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

func TestKeyedSecretCheck(t *testing.T) {
	key, otherKey := NewSecretKey(), NewSecretKey()
	secret, other := NewSecret(), NewSecret()
	h, err := HashSecretKeyed(key, secret)
	if err != nil {
		t.Fatal(err)
	}
	if !IsKeyedHash(h) || strings.Contains(h, secret) {
		t.Fatalf("hash %q", h)
	}
	if h2, _ := HashSecretKeyed(key, secret); h2 != h {
		t.Error("a keyed hash is not deterministic: it could never be checked")
	}
	if _, err := HashSecretKeyed(key[:16], secret); err == nil {
		t.Error("a short key is accepted")
	}
	n, _ := NormalizeSecret(secret)
	legacy := hashWith(n, Argon2Params{Time: 1, Memory: 64, Threads: 1}) // a hash stored before keyed hashes
	tests := []struct {
		name         string
		key          SecretKey
		hash, secret string
		ok, upgrade  bool
	}{
		{"right", key, h, secret, true, false},
		{"typed loosely", key, h, strings.ToLower(strings.ReplaceAll(secret, "-", " ")), true, false},
		{"wrong secret", key, h, other, false, false},
		{"empty secret", key, h, "", false, false},
		{"malformed secret", key, h, secret + "X", false, false},
		{"another server's key", otherKey, h, secret, false, false},
		{"no key", nil, h, secret, false, false},
		{"tampered hash", key, h[:len(h)-2] + "AA", secret, false, false},
		{"truncated hash", key, h[:len(h)-4], secret, false, false},
		{"legacy argon2id, right", key, legacy, secret, true, true},
		{"legacy argon2id, no key to upgrade to", nil, legacy, secret, true, false},
		{"legacy argon2id, wrong", key, legacy, other, false, false},
		{"placeholder", key, "-", secret, false, false},
	}
	for _, tc := range tests {
		ok, up := CheckSecret(tc.key, tc.hash, tc.secret)
		if ok != tc.ok || up != tc.upgrade {
			t.Errorf("%s: CheckSecret = %v, %v; want %v, %v", tc.name, ok, up, tc.ok, tc.upgrade)
		}
	}
	// The upgraded hash checks the same secret.
	up, _ := HashSecretKeyed(key, secret)
	if ok, _ := CheckSecret(key, up, secret); !ok {
		t.Error("the upgraded hash does not check")
	}
	SpendCheck(key, other) // must not panic on any input
	SpendCheck(key, "")
}

// The MAC is compared in constant time: CheckSecret compares it with
// hmac.Equal and nowhere with ==, bytes.Equal or string conversion, which
// return at the first differing byte and let an attacker who measures
// answer times find a valid MAC byte by byte.
func TestKeyedCheckComparesInConstantTime(t *testing.T) {
	fs := token.NewFileSet()
	f, err := parser.ParseFile(fs, "secret.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var fn *ast.FuncDecl
	for _, d := range f.Decls {
		if d, ok := d.(*ast.FuncDecl); ok && d.Name.Name == "CheckSecret" {
			fn = d
		}
	}
	if fn == nil {
		t.Fatal("CheckSecret not found")
	}
	var constantTime bool
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if id, ok := n.X.(*ast.Ident); ok {
				switch id.Name + "." + n.Sel.Name {
				case "hmac.Equal", "subtle.ConstantTimeCompare":
					constantTime = true
				case "bytes.Equal", "bytes.Compare", "strings.Compare", "strings.EqualFold":
					t.Errorf("%s: %s.%s is not constant time", fs.Position(n.Pos()), id.Name, n.Sel.Name)
				}
			}
		case *ast.BinaryExpr:
			if n.Op == token.EQL || n.Op == token.NEQ {
				if c, ok := n.X.(*ast.CallExpr); ok {
					if id, ok := c.Fun.(*ast.Ident); ok && id.Name == "string" {
						t.Errorf("%s: MAC compared as strings", fs.Position(n.Pos()))
					}
				}
			}
		}
		return true
	})
	if !constantTime {
		t.Error("CheckSecret does not compare with hmac.Equal")
	}
}

func BenchmarkCheckSecretKeyed(b *testing.B) {
	key, secret := NewSecretKey(), NewSecret()
	h, _ := HashSecretKeyed(key, secret)
	for b.Loop() {
		if ok, _ := CheckSecret(key, h, secret); !ok {
			b.Fatal("no match")
		}
	}
}
