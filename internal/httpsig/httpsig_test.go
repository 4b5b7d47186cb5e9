package httpsig

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// rfcRequest is the test request of RFC 9421 Appendix B.2.
func rfcRequest(t *testing.T) *http.Request {
	t.Helper()
	body := `{"hello": "world"}`
	r, err := http.NewRequest("POST", "http://example.com/foo?param=Value&Pet=dog", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Date", "Tue, 20 Apr 2021 02:07:55 GMT")
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Content-Digest", "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:")
	return r
}

func rfcKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	b, err := os.ReadFile("testdata/rfc9421-b14-ed25519.pem")
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k.(ed25519.PrivateKey)
}

// TestRFC9421B26 reproduces Appendix B.2.6: the signature base of the test
// request and, Ed25519 being deterministic, the very signature printed in
// the RFC.
func TestRFC9421B26(t *testing.T) {
	want, err := os.ReadFile("testdata/rfc9421-b26.txt")
	if err != nil {
		t.Fatal(err)
	}
	r := rfcRequest(t)
	comps := []string{"date", "@method", "@path", "@authority", "content-type", "content-length"}
	p := Params{Created: 1618884473, KeyID: "test-key-ed25519"}
	base, err := SignatureBase(Message{Req: r}, comps, p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(base, want) {
		t.Fatalf("signature base:\n%s\nwant\n%s", base, want)
	}
	sig := ed25519.Sign(rfcKey(t), base)
	const rfcSig = "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw=="
	if got := base64.StdEncoding.EncodeToString(sig); got != rfcSig {
		t.Fatalf("signature %s, want the RFC's %s", got, rfcSig)
	}
	// And the Signature-Input line of the RFC parses back to the same base.
	in, err := parseDict(`sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"`)
	if err != nil {
		t.Fatal(err)
	}
	pp, err := in[0].params()
	if err != nil || pp != p || strings.Join(in[0].list, " ") != strings.Join(comps, " ") {
		t.Fatalf("parsed %+v %+v %v", in[0], pp, err)
	}
}

// TestContentDigestRFC9530 checks the examples of RFC 9530 §2 for the body
// {"hello": "world"}.
func TestContentDigestRFC9530(t *testing.T) {
	body := []byte(`{"hello": "world"}`)
	if got, want := ContentDigest(body), "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"; got != want {
		t.Fatalf("ContentDigest = %s, want %s", got, want)
	}
	cases := []struct {
		field string
		ok    bool
	}{
		{"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", true},
		{"sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:", true},
		{"md5=:Sd/dVLAcvNLSq16eXua5uQ==:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", true},
		{"sha-256=:Y48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", false},
		{"md5=:Sd/dVLAcvNLSq16eXua5uQ==:", false},
		{"sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", false},
		{"", false},
	}
	for _, c := range cases {
		if err := CheckContentDigest(c.field, body); (err == nil) != c.ok {
			t.Errorf("CheckContentDigest(%q) = %v, want ok=%v", c.field, err, c.ok)
		}
	}
}

// TestSignVerify signs requests as a node does and verifies them in a
// real HTTP server, then spoils each part the signature protects.
func TestSignVerify(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	now := time.Now()
	v := &Verifier{Keys: func(id string) ([]ed25519.PublicKey, error) {
		if id == "hub.example/party/A" {
			return []ed25519.PublicKey{pub}, nil
		}
		return nil, errors.New("not trusted")
	}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, body, err := v.Verify(r)
		if err != nil {
			http.Error(w, err.Error(), 401)
			return
		}
		fmt.Fprintf(w, "%s %s", id, body)
	}))
	defer srv.Close()

	type tc struct {
		name   string
		key    ed25519.PrivateKey
		keyID  string
		at     time.Time
		mangle func(r *http.Request)
		body   []byte
		ok     bool
	}
	cases := []tc{
		{name: "good", ok: true},
		{name: "good, empty body", ok: true, body: []byte{}},
		{name: "other key", key: other},
		{name: "untrusted key id", keyID: "hub.example/party/B"},
		{name: "too old", at: now.Add(-6 * time.Minute)},
		{name: "from the future", at: now.Add(6 * time.Minute)},
		{name: "body changed", mangle: func(r *http.Request) { r.Body = io.NopCloser(strings.NewReader(`{"x":2}`)); r.ContentLength = 7 }},
		{name: "path changed", mangle: func(r *http.Request) { r.URL.Path = "/hub/v1/other" }},
		{name: "query changed", mangle: func(r *http.Request) { r.URL.RawQuery = "since=0" }},
		{name: "method changed", mangle: func(r *http.Request) { r.Method = "PUT" }},
		{name: "no signature", mangle: func(r *http.Request) { r.Header.Del("Signature") }},
		{name: "no signature input", mangle: func(r *http.Request) { r.Header.Del("Signature-Input") }},
		{name: "digest not covered", mangle: func(r *http.Request) {
			r.Header.Set("Signature-Input", strings.Replace(r.Header.Get("Signature-Input"), ` "content-digest"`, "", 1))
		}},
		{name: "other algorithm", mangle: func(r *http.Request) {
			r.Header.Set("Signature-Input", strings.Replace(r.Header.Get("Signature-Input"), `alg="ed25519"`, `alg="hmac-sha256"`, 1))
		}},
		{name: "unknown parameter", mangle: func(r *http.Request) {
			r.Header.Set("Signature-Input", r.Header.Get("Signature-Input")+`;x="1"`)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			key, keyID, at := priv, "hub.example/party/A", now
			if c.key != nil {
				key = c.key
			}
			if c.keyID != "" {
				keyID = c.keyID
			}
			if !c.at.IsZero() {
				at = c.at
			}
			body := []byte(`{"x":1}`)
			if c.body != nil {
				body = c.body
			}
			r, err := http.NewRequest("POST", srv.URL+"/hub/v1/statements?a=1", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			s := &Signer{KeyID: keyID, Key: key, Now: func() time.Time { return at }}
			if err := s.Sign(r, body); err != nil {
				t.Fatal(err)
			}
			if c.mangle != nil {
				c.mangle(r)
			}
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if (resp.StatusCode == 200) != c.ok {
				t.Fatalf("status %d (%s), want ok=%v", resp.StatusCode, got, c.ok)
			}
			if c.ok && !strings.HasPrefix(string(got), "hub.example/party/A ") {
				t.Fatalf("verified as %q", got)
			}
		})
	}
}

func FuzzParseDict(f *testing.F) {
	f.Add(`sig1=("@method" "@target-uri" "content-digest");created=1;keyid="k";alg="ed25519"`)
	f.Add(`sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, a=?1, b;c=1`)
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := parseDict(s)
		if err != nil {
			return
		}
		for _, m := range ms {
			_, _ = m.params()
		}
	})
}
