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

// The MAC is compared in constant time: CheckSecret (in checkKeyed)
// compares it with
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
		if d, ok := d.(*ast.FuncDecl); ok && d.Name.Name == "checkKeyed" {
			fn = d
		}
	}
	if fn == nil {
		t.Fatal("checkKeyed not found")
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
		t.Error("checkKeyed does not compare with hmac.Equal")
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

// A status look-up checks a secret on every request: the keyed check, the
// work spent on an unknown reference and the normalisation of a reference
// typed the canonical way allocate nothing.
func TestKeyedCheckAllocatesNothing(t *testing.T) {
	key, secret := NewSecretKey(), NewSecret()
	h, err := HashSecretKeyed(key, secret)
	if err != nil {
		t.Fatal(err)
	}
	ref, wrong := NewReference(), NewSecret()
	tests := []struct {
		name string
		f    func()
	}{
		{"right secret", func() {
			if ok, _ := CheckSecret(key, h, secret); !ok {
				t.Fatal("no match")
			}
		}},
		{"wrong secret", func() {
			if ok, _ := CheckSecret(key, h, wrong); ok {
				t.Fatal("a wrong secret matches")
			}
		}},
		{"malformed secret", func() { CheckSecret(key, h, secret[:5]) }},
		{"spent check", func() { SpendCheck(key, secret) }},
		{"canonical reference", func() {
			if got, err := NormalizeReference(ref); err != nil || got != ref {
				t.Fatalf("NormalizeReference(%q) = %q, %v", ref, got, err)
			}
		}},
	}
	for _, tt := range tests {
		tt.f() // the pool holds a state for key
		if raceEnabled {
			continue // run for the race check; pools drop items at random
		}
		if n := testing.AllocsPerRun(100, tt.f); n != 0 {
			t.Errorf("%s: %v allocations, want 0", tt.name, n)
		}
	}
}

func TestNormalizeReferenceForms(t *testing.T) {
	tests := []struct{ in, want string }{
		{"PX-7K3M-9QF2", "PX-7K3M-9QF2"},
		{" px 7k3m 9qf2 ", "PX-7K3M-9QF2"},
		{"7K3M9QF2", "PX-7K3M-9QF2"},
		{"px-7k3m-9qfz", "PX-7K3M-9QFZ"},
		{"PX-OK3M-IQL2", "PX-0K3M-1Q12"},
		{"PX-\u01317K3M-9QF", "PX-17K3-M9QF"}, // dotless i reads as I, then 1
		{"PX-7K3M-9QF", ""},
		{"PX-7K3M-9QF22", ""},
		{"PX-7K3M-9QFU", ""},
		{"PX-7K3M-9QF\xff", ""},
	}
	for _, tt := range tests {
		got, err := NormalizeReference(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("NormalizeReference(%q) = %q, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeReference(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
}
