// Package statement encodes, signs and verifies what a party states to the
// hub: that it hands over a list, acknowledges one, proposes, accepts,
// counters or rejects. A statement is a C2SP signed note signed on the
// party's own node with the party's key; the hub logs the whole note, so
// anyone can later prove what the party signed, and the mediator, who never
// holds the key, cannot forge one.
//
// The text of the note is two lines:
//
//	parley-statement/v1
//	{"type":"list.handover","id":"…","party":"A","time":"…","subject":"L…","attrs":{…}}
//
// The JSON follows the rules of parley-event/v1: keys in the order type,
// id, party, time, subject, attrs; attribute keys sorted; no insignificant
// white space; no HTML escaping; time in UTC RFC 3339 with as many
// fractional digits as needed. Parse accepts only that form, so one
// statement has exactly one byte string.
package statement

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Format names and versions the encoding; it is the first line of the text.
const Format = "parley-statement/v1"

// MaxSize bounds the text of a statement. Statements carry hashes, not
// content, so a few kilobytes are plenty.
const MaxSize = 16 << 10

// The statement types and the attributes each one must carry.
const (
	ListHandover    = "list.handover"
	ListAck         = "list.ack"
	ProposalSubmit  = "proposal.submit"
	ProposalCounter = "proposal.counter"
	ProposalAccept  = "proposal.accept"
	ProposalReject  = "proposal.reject"
)

// required lists, per type, the attributes a statement of that type must
// have (it may have more: a future version may add some, and the hub
// checks only what it knows).
var required = map[string][]string{
	ListHandover:    {"content_hash", "from", "to", "title", "version", "entry_count"},
	ListAck:         {"content_hash", "reservation_hash"},
	ProposalSubmit:  {"round", "content_hash"},
	ProposalCounter: {"round", "content_hash", "parent"},
	ProposalAccept:  {"content_hash"},
	ProposalReject:  {"content_hash"},
}

// Types returns the known statement types.
func Types() []string {
	return []string{ListHandover, ListAck, ProposalSubmit, ProposalCounter, ProposalAccept, ProposalReject}
}

// Statement is one thing a party states.
type Statement struct {
	Type    string
	ID      string // random, 32 hex digits; the hub's idempotency key
	Party   string
	Time    time.Time
	Subject string // the list or proposal id
	Attrs   map[string]string
}

// stmtJSON fixes the key order of the encoding.
type stmtJSON struct {
	Type    string            `json:"type"`
	ID      string            `json:"id"`
	Party   string            `json:"party"`
	Time    string            `json:"time"`
	Subject string            `json:"subject"`
	Attrs   map[string]string `json:"attrs"`
}

// NewID returns a fresh random statement id.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("statement: no randomness: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// New returns a statement of the given type with a fresh id and the
// current time.
func New(typ, party, subject string, attrs map[string]string) *Statement {
	return &Statement{Type: typ, ID: NewID(), Party: party, Time: time.Now().UTC(), Subject: subject, Attrs: attrs}
}

func validID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func validParty(p string) bool {
	if p == "" || len(p) > 64 {
		return false
	}
	for _, c := range p {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return p != "." && p != ".."
}

func validAttrName(s string) bool {
	if s == "" || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// validText reports whether s is printable UTF-8 (no control characters),
// so that its JSON encoding is one fixed byte string and the note stays
// one line.
func validText(s string, max int) bool {
	if len(s) > max || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029 || r == utf8.RuneError {
			return false
		}
	}
	return true
}

// Validate checks the statement's fields and that it carries the
// attributes its type requires.
func (s *Statement) Validate() error {
	req, ok := required[s.Type]
	if !ok {
		return fmt.Errorf("statement: unknown type %q", s.Type)
	}
	if !validID(s.ID) {
		return fmt.Errorf("statement %s: id %q: want 32 lower-case hex digits", s.Type, s.ID)
	}
	if !validParty(s.Party) {
		return fmt.Errorf("statement %s: invalid party %q", s.Type, s.Party)
	}
	if s.Time.IsZero() {
		return fmt.Errorf("statement %s: no time", s.Type)
	}
	if s.Subject == "" || !validText(s.Subject, 128) {
		return fmt.Errorf("statement %s: subject must be non-empty printable text", s.Type)
	}
	for k, v := range s.Attrs {
		if !validAttrName(k) {
			return fmt.Errorf("statement %s: attribute name %q: want lower-case letters, digits and '_'", s.Type, k)
		}
		if !validText(v, 1024) {
			return fmt.Errorf("statement %s: attribute %s must be printable text", s.Type, k)
		}
	}
	for _, k := range req {
		if _, ok := s.Attrs[k]; !ok {
			return fmt.Errorf("statement %s: attribute %s is missing", s.Type, k)
		}
	}
	return nil
}

// Encode returns the statement's canonical text: the format line, the JSON
// line, each ended by a newline (a signed note's text ends with one).
func (s *Statement) Encode() ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	attrs := s.Attrs
	if attrs == nil {
		attrs = map[string]string{}
	}
	j := stmtJSON{Type: s.Type, ID: s.ID, Party: s.Party, Time: s.Time.UTC().Format(time.RFC3339Nano), Subject: s.Subject, Attrs: attrs}
	var buf bytes.Buffer
	buf.WriteString(Format + "\n")
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(j); err != nil { // encoding/json sorts map keys
		return nil, fmt.Errorf("encode statement %s: %w", s.Type, err)
	}
	if buf.Len() > MaxSize {
		return nil, fmt.Errorf("statement %s: %d bytes exceeds the limit of %d", s.Type, buf.Len(), MaxSize)
	}
	return buf.Bytes(), nil
}

// Parse reads a statement from its text. It accepts only the canonical
// encoding (it re-encodes and compares), so that a statement cannot be
// presented in two byte strings that sign the same meaning.
func Parse(text []byte) (*Statement, error) {
	if len(text) > MaxSize {
		return nil, fmt.Errorf("statement of %d bytes exceeds the limit of %d", len(text), MaxSize)
	}
	rest, ok := bytes.CutPrefix(text, []byte(Format+"\n"))
	if !ok {
		return nil, fmt.Errorf("statement does not start with %q", Format)
	}
	dec := json.NewDecoder(bytes.NewReader(rest))
	dec.DisallowUnknownFields()
	var j stmtJSON
	if err := dec.Decode(&j); err != nil {
		return nil, fmt.Errorf("statement: %w", err)
	}
	t, err := time.Parse(time.RFC3339Nano, j.Time)
	if err != nil {
		return nil, fmt.Errorf("statement time: %w", err)
	}
	s := &Statement{Type: j.Type, ID: j.ID, Party: j.Party, Time: t, Subject: j.Subject, Attrs: j.Attrs}
	canon, err := s.Encode()
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(canon, text) {
		return nil, errors.New("statement is not in canonical form")
	}
	return s, nil
}
