// Package httpsig signs and verifies HTTP requests with HTTP Message
// Signatures (RFC 9421) using Ed25519, and computes and checks the
// Content-Digest field of Digest Fields (RFC 9530). A party's node signs
// every request it makes to the hub with the party's key, so the hub knows
// which party asks without passwords or shared secrets, and a recorded
// request proves who sent it.
//
// The profile Parley uses (see docs/nodes.md, "Node to hub protocol"):
// label "sig1"; covered components ("@method" "@target-uri"
// "content-digest"); parameters created, keyid (the signed-note name of the
// party key) and alg="ed25519"; Content-Digest with sha-256, also on empty
// bodies. The verifier accepts a created time within a window around its
// clock. Replays inside the window are harmless by design: every POST the
// hub accepts is idempotent on its statement id, and GETs change nothing.
//
// No RFC 9421 library is used: the signature base is built here, as §2.5
// specifies, and the signature itself is crypto/ed25519 (RFC 8032, as
// §3.3.6 requires).
package httpsig

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Profile components: what a Parley request signature must cover.
var Components = []string{"@method", "@target-uri", "content-digest"}

// Label is the signature label Parley uses in Signature-Input and
// Signature (RFC 9421 §4.1).
const Label = "sig1"

// Alg is the RFC 9421 §3.3.6 algorithm name for Ed25519.
const Alg = "ed25519"

// ContentDigest returns the Content-Digest field value of a body with the
// sha-256 algorithm, as RFC 9530 §2 defines it: a Structured Fields
// dictionary whose member is a byte sequence, "sha-256=:base64:".
func ContentDigest(body []byte) string {
	sum := sha256.Sum256(body)
	return "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":"
}

// CheckContentDigest checks a Content-Digest field value against the body.
// It requires at least one member with a known algorithm (sha-256 or
// sha-512, the two RFC 9530 §5 marks active) and every known member to
// match; unknown algorithms are ignored, as §2 asks.
func CheckContentDigest(field string, body []byte) error {
	members, err := parseDict(field)
	if err != nil {
		return fmt.Errorf("content-digest: %w", err)
	}
	checked := 0
	for _, m := range members {
		var want []byte
		switch m.name {
		case "sha-256":
			s := sha256.Sum256(body)
			want = s[:]
		case "sha-512":
			s := sha512.Sum512(body)
			want = s[:]
		default:
			continue
		}
		if m.bytes == nil {
			return fmt.Errorf("content-digest: %s is not a byte sequence", m.name)
		}
		if !bytes.Equal(m.bytes, want) {
			return fmt.Errorf("content-digest: %s does not match the body", m.name)
		}
		checked++
	}
	if checked == 0 {
		return errors.New("content-digest: no sha-256 or sha-512 digest")
	}
	return nil
}

// Params are the signature parameters of RFC 9421 §2.3 that Parley uses.
type Params struct {
	Created int64 // UNIX seconds; 0 = absent
	Expires int64 // 0 = absent
	KeyID   string
	Alg     string // "" = absent
	Nonce   string
	Tag     string
}

// serialize returns the @signature-params value: the inner list of
// covered components followed by the parameters, serialized as RFC 8941
// §4.1.1.1 says (§2.3 of RFC 9421). Parameters keep the order created,
// expires, nonce, alg, keyid, tag.
func serialize(components []string, p Params) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, c := range components {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(quote(c))
	}
	b.WriteByte(')')
	for _, kv := range p.ordered() {
		b.WriteByte(';')
		b.WriteString(kv.k)
		b.WriteByte('=')
		b.WriteString(kv.v)
	}
	return b.String()
}

type kv struct{ k, v string }

func (p Params) ordered() []kv {
	var out []kv
	if p.Created != 0 {
		out = append(out, kv{"created", strconv.FormatInt(p.Created, 10)})
	}
	if p.Expires != 0 {
		out = append(out, kv{"expires", strconv.FormatInt(p.Expires, 10)})
	}
	if p.Nonce != "" {
		out = append(out, kv{"nonce", quote(p.Nonce)})
	}
	if p.Alg != "" {
		out = append(out, kv{"alg", quote(p.Alg)})
	}
	if p.KeyID != "" {
		out = append(out, kv{"keyid", quote(p.KeyID)})
	}
	if p.Tag != "" {
		out = append(out, kv{"tag", quote(p.Tag)})
	}
	return out
}

// quote serializes an RFC 8941 sf-string (§4.1.6): only printable ASCII,
// with '"' and '\' escaped.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// Message is what a signature covers: the request, and for a request
// received by a server, the scheme and authority it was addressed to (a
// server's *http.Request carries no absolute URL).
type Message struct {
	Req    *http.Request
	Scheme string // "http" or "https"; derived from Req.URL or Req.TLS when empty
}

func (m Message) scheme() string {
	if m.Scheme != "" {
		return m.Scheme
	}
	if m.Req.URL.Scheme != "" {
		return strings.ToLower(m.Req.URL.Scheme)
	}
	if m.Req.TLS != nil {
		return "https"
	}
	return "http"
}

func (m Message) authority() string {
	h := m.Req.Host
	if h == "" {
		h = m.Req.URL.Host
	}
	return strings.ToLower(h)
}

// componentValue returns the value of one covered component: a derived
// component (§2.2) or an HTTP field (§2.1).
func (m Message) componentValue(c string) (string, error) {
	r := m.Req
	switch c {
	case "@method": // §2.2.1
		return r.Method, nil
	case "@target-uri": // §2.2.2: the full target URI, as RFC 9110 §7.1 reconstructs it
		return m.scheme() + "://" + m.authority() + requestTarget(r), nil
	case "@authority": // §2.2.3
		return m.authority(), nil
	case "@scheme": // §2.2.4
		return m.scheme(), nil
	case "@request-target": // §2.2.5
		return requestTarget(r), nil
	case "@path": // §2.2.6
		p := r.URL.EscapedPath()
		if p == "" {
			p = "/"
		}
		return p, nil
	case "@query": // §2.2.7
		return "?" + r.URL.RawQuery, nil
	}
	if strings.HasPrefix(c, "@") {
		return "", fmt.Errorf("derived component %s is not supported", c)
	}
	if c != strings.ToLower(c) {
		return "", fmt.Errorf("component %q: field names are covered in lower case", c)
	}
	// §2.1: the field's values, each trimmed, joined by ", ".
	vals := r.Header.Values(c)
	if len(vals) == 0 && c == "content-length" && r.ContentLength >= 0 && (r.ContentLength > 0 || r.Body != nil && r.Body != http.NoBody) {
		vals = []string{strconv.FormatInt(r.ContentLength, 10)} // net/http keeps it out of Header
	}
	if len(vals) == 0 && c == "host" {
		vals = []string{r.Host}
	}
	if len(vals) == 0 {
		return "", fmt.Errorf("covered field %s is absent", c)
	}
	for i, v := range vals {
		vals[i] = strings.TrimSpace(v)
	}
	return strings.Join(vals, ", "), nil
}

func requestTarget(r *http.Request) string {
	if r.RequestURI != "" && strings.HasPrefix(r.RequestURI, "/") {
		return r.RequestURI
	}
	return r.URL.RequestURI()
}

// SignatureBase builds the signature base of RFC 9421 §2.5: one line per
// covered component, `"name": value`, then the "@signature-params" line,
// with no newline after it.
func SignatureBase(m Message, components []string, p Params) ([]byte, error) {
	var b bytes.Buffer
	seen := map[string]bool{}
	for _, c := range components {
		if seen[c] {
			return nil, fmt.Errorf("component %s covered twice", c) // §2.5, step 2.1
		}
		seen[c] = true
		if c == "@signature-params" {
			return nil, errors.New("@signature-params cannot be covered") // §2.3
		}
		v, err := m.componentValue(c)
		if err != nil {
			return nil, err
		}
		if !printableASCII(v) {
			return nil, fmt.Errorf("component %s: value is not printable ASCII", c)
		}
		fmt.Fprintf(&b, "%s: %s\n", quote(c), v)
	}
	fmt.Fprintf(&b, "%s: %s", quote("@signature-params"), serialize(components, p))
	return b.Bytes(), nil
}

// Signer signs requests with one Ed25519 key.
type Signer struct {
	KeyID string
	Key   ed25519.PrivateKey
	Now   func() time.Time // time.Now when nil
}

// Sign sets Content-Digest (of body, which must be the request's body),
// Signature-Input and Signature on req. req.URL must be absolute.
func (s *Signer) Sign(req *http.Request, body []byte) error {
	if req.URL.Scheme == "" || req.URL.Host == "" {
		return errors.New("httpsig: sign: the request URL must be absolute")
	}
	if !printableASCII(s.KeyID) || s.KeyID == "" {
		return errors.New("httpsig: sign: key id must be printable ASCII")
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	req.Header.Set("Content-Digest", ContentDigest(body))
	p := Params{Created: now().Unix(), KeyID: s.KeyID, Alg: Alg}
	base, err := SignatureBase(Message{Req: req}, Components, p)
	if err != nil {
		return fmt.Errorf("httpsig: sign: %w", err)
	}
	sig := ed25519.Sign(s.Key, base)
	req.Header.Set("Signature-Input", Label+"="+serialize(Components, p))
	req.Header.Set("Signature", Label+"=:"+base64.StdEncoding.EncodeToString(sig)+":")
	return nil
}

// ErrUnsigned is returned by Verify when the request bears no usable
// signature; ErrBadSignature when it bears one that does not verify.
var (
	ErrUnsigned     = errors.New("request is not signed")
	ErrBadSignature = errors.New("request signature does not verify")
)

// Verifier checks request signatures.
type Verifier struct {
	// Keys returns the public keys trusted under a key id (a party may
	// have replaced its key: each is tried), or an error when the id is
	// not trusted.
	Keys func(keyID string) ([]ed25519.PublicKey, error)
	// Skew is the largest difference allowed between created and the
	// verifier's clock (5 minutes when zero).
	Skew time.Duration
	Now  func() time.Time
	// Scheme is the scheme the server is reached by ("" = from TLS); set
	// "https" behind a TLS-terminating proxy.
	Scheme string
	// MaxBody bounds the body Verify reads (1 MiB when zero).
	MaxBody int64
}

// Verify checks the request's Parley signature and Content-Digest. It
// reads the body (up to MaxBody) and returns it, with the key id that
// signed. The signature must cover at least the profile's components.
func (v *Verifier) Verify(r *http.Request) (keyID string, body []byte, err error) {
	max := v.MaxBody
	if max == 0 {
		max = 1 << 20
	}
	body, err = io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		return "", nil, fmt.Errorf("read body: %w", err)
	}
	if int64(len(body)) > max {
		return "", nil, fmt.Errorf("body larger than %d bytes", max)
	}
	inputs, err := parseDict(r.Header.Get("Signature-Input"))
	if err != nil {
		return "", nil, fmt.Errorf("%w: Signature-Input: %v", ErrUnsigned, err)
	}
	sigs, err := parseDict(r.Header.Get("Signature"))
	if err != nil {
		return "", nil, fmt.Errorf("%w: Signature: %v", ErrUnsigned, err)
	}
	var in *member
	for i := range inputs {
		if inputs[i].name == Label {
			in = &inputs[i]
		}
	}
	if in == nil || in.list == nil {
		return "", nil, fmt.Errorf("%w: no %s in Signature-Input", ErrUnsigned, Label)
	}
	var sig []byte
	for _, s := range sigs {
		if s.name == Label {
			sig = s.bytes
		}
	}
	if sig == nil {
		return "", nil, fmt.Errorf("%w: no %s in Signature", ErrUnsigned, Label)
	}
	for _, c := range Components {
		if !slices.Contains(in.list, c) {
			return "", nil, fmt.Errorf("%w: the signature does not cover %s", ErrBadSignature, c)
		}
	}
	p, err := in.params()
	if err != nil {
		return "", nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	if p.Alg != "" && p.Alg != Alg {
		return "", nil, fmt.Errorf("%w: algorithm %q, want %q", ErrBadSignature, p.Alg, Alg)
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	skew := v.Skew
	if skew == 0 {
		skew = 5 * time.Minute
	}
	t := now()
	if p.Created == 0 {
		return "", nil, fmt.Errorf("%w: no created time", ErrBadSignature)
	}
	if d := t.Sub(time.Unix(p.Created, 0)); d > skew || d < -skew {
		return "", nil, fmt.Errorf("%w: created %s is too far from now (%s)", ErrBadSignature, time.Unix(p.Created, 0).UTC().Format(time.RFC3339), t.UTC().Format(time.RFC3339))
	}
	if p.Expires != 0 && t.Unix() > p.Expires {
		return "", nil, fmt.Errorf("%w: the signature has expired", ErrBadSignature)
	}
	pubs, err := v.Keys(p.KeyID)
	if err != nil {
		return "", nil, fmt.Errorf("%w: key %q: %v", ErrBadSignature, p.KeyID, err)
	}
	base, err := SignatureBase(Message{Req: r, Scheme: v.Scheme}, in.list, p)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	if !slices.ContainsFunc(pubs, func(pub ed25519.PublicKey) bool { return ed25519.Verify(pub, base, sig) }) {
		return "", nil, fmt.Errorf("%w: by key %q", ErrBadSignature, p.KeyID)
	}
	if err := CheckContentDigest(r.Header.Get("Content-Digest"), body); err != nil {
		return "", nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return p.KeyID, body, nil
}
