package ledger

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/tlog"
)

// EventFormat names and versions the canonical encoding of a log entry. It
// is the first line of every entry, so that a reader years from now knows
// how to read the rest; a future encoding gets a new name.
const EventFormat = "parley-event/v1"

// MaxEntrySize is the largest entry the log accepts. C2SP tlog-tiles entry
// bundles prefix each entry with a big-endian uint16 length, so no entry
// can be longer; personal data is committed by one root hash, which keeps
// entries small whatever the number of persons.
const MaxEntrySize = 65535

// Event is something that happened in an exchange and must be provable
// later. Nothing in Type, Actor, Subject or Attrs may identify a person:
// the log is meant to be shown to observers and to the public. Personal
// data goes in Personal, which the log only commits to by salted hashes.
type Event struct {
	// Type is a dotted lower-case name such as "list.handed_over",
	// "list.acknowledged", "proposal.submitted", "agreement.signed",
	// "handover.outcome" or "key.added".
	Type string
	// Time is when it happened; Append sets the current time when zero.
	// It is logged in UTC with the precision given.
	Time time.Time
	// Actor is who did it, as "role:party" or a user id; never a name.
	Actor string
	// Subject is what it is about, for example a list id.
	Subject string
	// Attrs are non-personal attributes: from, to, title, version,
	// content_hash, entry_count, ...
	Attrs map[string]string
	// Personal is personal data to commit to, one Item per person (or per
	// row of a list). The log holds a Merkle root over salted commitments;
	// the salts stay private (see Opening).
	Personal []Item
}

// Item is one piece of personal data to commit to.
type Item struct {
	// ID names the item within its event, for example "row/12". It is
	// not published in the entry, only inside an opening.
	ID string
	// Data is the item's canonical bytes (for a list row: the JSON of the
	// lists.Entry, as in lists.CanonicalBytes).
	Data []byte
}

// Entry is a log entry as read back from its canonical bytes.
type Entry struct {
	Type     string
	Time     time.Time
	Actor    string
	Subject  string
	Attrs    map[string]string
	Personal *PersonalRoot // nil when the event committed to no personal data
}

// PersonalRoot is what an entry publishes about its personal data: how
// many items, and the RFC 6962 Merkle tree hash over their commitments.
type PersonalRoot struct {
	Count int
	Root  tlog.Hash
}

// entryJSON is the JSON object of an entry; the field order here is the
// order in the encoding, and encoding/json sorts the attribute keys.
type entryJSON struct {
	Type     string            `json:"type"`
	Time     string            `json:"time"`
	Actor    string            `json:"actor"`
	Subject  string            `json:"subject,omitempty"`
	Attrs    map[string]string `json:"attrs,omitempty"`
	Personal *personalJSON     `json:"personal,omitempty"`
}

type personalJSON struct {
	Count int       `json:"count"`
	Root  tlog.Hash `json:"root"` // base64, as tlog.Hash marshals
}

const (
	maxNameLen  = 64
	maxFieldLen = 512
)

// validName reports whether s is a dotted lower-case name: an event type or
// an attribute key.
func validName(s string) bool {
	if s == "" || len(s) > maxNameLen || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// validText reports whether s is valid UTF-8 without control characters,
// so that its JSON encoding is one fixed byte string.
func validText(s string, max int) bool {
	if len(s) > max || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

func (e *Entry) validate() error {
	if !validName(e.Type) {
		return fmt.Errorf("event type %q: want a dotted lower-case name", e.Type)
	}
	if e.Actor == "" || !validText(e.Actor, maxFieldLen) {
		return fmt.Errorf("event %s: actor must be non-empty printable text", e.Type)
	}
	if !validText(e.Subject, maxFieldLen) {
		return fmt.Errorf("event %s: subject must be printable text", e.Type)
	}
	for k, v := range e.Attrs {
		if !validName(k) {
			return fmt.Errorf("event %s: attribute name %q: want a dotted lower-case name", e.Type, k)
		}
		if !utf8.ValidString(v) {
			return fmt.Errorf("event %s: attribute %s is not valid UTF-8", e.Type, k)
		}
	}
	if e.Personal != nil && e.Personal.Count <= 0 {
		return fmt.Errorf("event %s: personal data count must be positive", e.Type)
	}
	return nil
}

// Encode returns the entry's canonical bytes: the line "parley-event/v1",
// then one JSON object with the keys type, time, actor, subject, attrs,
// personal in that order (empty ones left out), attribute keys sorted, no
// insignificant white space, no HTML escaping, time in UTC RFC 3339 with
// as many fractional digits as needed, and no final newline.
func (e *Entry) Encode() ([]byte, error) {
	if err := e.validate(); err != nil {
		return nil, err
	}
	j := entryJSON{
		Type:    e.Type,
		Time:    e.Time.UTC().Format(time.RFC3339Nano),
		Actor:   e.Actor,
		Subject: e.Subject,
	}
	if len(e.Attrs) > 0 {
		j.Attrs = e.Attrs
	}
	if e.Personal != nil {
		j.Personal = &personalJSON{Count: e.Personal.Count, Root: e.Personal.Root}
	}
	var buf bytes.Buffer
	buf.WriteString(EventFormat + "\n")
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(j); err != nil {
		return nil, fmt.Errorf("encode event %s: %w", e.Type, err)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if len(b) > MaxEntrySize {
		return nil, fmt.Errorf("event %s: entry of %d bytes exceeds the limit of %d", e.Type, len(b), MaxEntrySize)
	}
	return b, nil
}

// ParseEntry reads an entry from its canonical bytes. It accepts only the
// canonical encoding (it re-encodes and compares), so that one event has
// exactly one byte string and thus one leaf hash.
func ParseEntry(data []byte) (*Entry, error) {
	if len(data) > MaxEntrySize {
		return nil, fmt.Errorf("entry of %d bytes exceeds the limit of %d", len(data), MaxEntrySize)
	}
	rest, ok := bytes.CutPrefix(data, []byte(EventFormat+"\n"))
	if !ok {
		return nil, fmt.Errorf("entry does not start with %q", EventFormat)
	}
	dec := json.NewDecoder(bytes.NewReader(rest))
	dec.DisallowUnknownFields()
	var j entryJSON
	if err := dec.Decode(&j); err != nil {
		return nil, fmt.Errorf("entry: %w", err)
	}
	if dec.More() {
		return nil, errors.New("entry: data after the JSON object")
	}
	t, err := time.Parse(time.RFC3339Nano, j.Time)
	if err != nil {
		return nil, fmt.Errorf("entry time: %w", err)
	}
	e := &Entry{Type: j.Type, Time: t, Actor: j.Actor, Subject: j.Subject, Attrs: j.Attrs}
	if j.Personal != nil {
		e.Personal = &PersonalRoot{Count: j.Personal.Count, Root: j.Personal.Root}
	}
	canon, err := e.Encode()
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(canon, data) {
		return nil, errors.New("entry is not in canonical form")
	}
	return e, nil
}

// SaltSize is the size of the random salt of each commitment: enough that
// no one can find the committed data by trying candidates.
const SaltSize = 32

// Commitment returns SHA-256(salt || data), the salted commitment to one
// item of personal data.
func Commitment(salt, data []byte) tlog.Hash {
	h := sha256.New()
	h.Write(salt)
	h.Write(data)
	var out tlog.Hash
	h.Sum(out[:0])
	return out
}

// commitmentLeaf returns the leaf hash of an item in the personal-data tree:
// the RFC 6962 leaf hash of the item id, a newline and the commitment. The
// id is inside so that an opening cannot be passed off for another row.
func commitmentLeaf(id string, c tlog.Hash) tlog.Hash {
	b := make([]byte, 0, len(id)+1+len(c))
	b = append(b, id...)
	b = append(b, '\n')
	b = append(b, c[:]...)
	return tlog.RecordHash(b)
}

func validItemID(id string) bool {
	return id != "" && validText(id, maxFieldLen)
}

// sealed is an event made ready for the log: its entry and its openings.
type sealed struct {
	entry    []byte
	parsed   *Entry
	openings []OpeningRow // Index left zero; set by Append
}

// seal turns an event into its canonical entry, drawing a fresh salt for
// every personal item.
func seal(ev Event) (*sealed, error) {
	e := &Entry{Type: ev.Type, Time: ev.Time, Actor: ev.Actor, Subject: ev.Subject, Attrs: ev.Attrs}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.Time = e.Time.UTC()
	s := &sealed{parsed: e}
	if len(ev.Personal) > 0 {
		seen := make(map[string]bool, len(ev.Personal))
		tree := newMemTree(len(ev.Personal))
		for i, it := range ev.Personal {
			if !validItemID(it.ID) {
				return nil, fmt.Errorf("event %s: personal item %d: invalid id %q", ev.Type, i, it.ID)
			}
			if seen[it.ID] {
				return nil, fmt.Errorf("event %s: personal item id %q twice", ev.Type, it.ID)
			}
			seen[it.ID] = true
			salt := make([]byte, SaltSize)
			if _, err := rand.Read(salt); err != nil {
				return nil, fmt.Errorf("draw salt: %w", err)
			}
			c := Commitment(salt, it.Data)
			if err := tree.add(commitmentLeaf(it.ID, c)); err != nil {
				return nil, err
			}
			s.openings = append(s.openings, OpeningRow{Position: i, ItemID: it.ID, Salt: salt, Commitment: c[:]})
		}
		e.Personal = &PersonalRoot{Count: len(ev.Personal), Root: tree.root()}
	}
	b, err := e.Encode()
	if err != nil {
		return nil, err
	}
	s.entry = b
	return s, nil
}

// OpeningFormat versions the encoding of an Opening.
const OpeningFormat = "parley-opening/v1"

// Opening opens one commitment of one entry: it discloses one item's data
// with its salt and proves, with a Merkle inclusion proof, that the entry
// committed to exactly that item under that id. Anyone holding the public
// entry can check it; nothing about the other items is disclosed.
type Opening struct {
	Format   string      `json:"format"`
	Index    int64       `json:"index"` // the log entry
	ItemID   string      `json:"item_id"`
	Data     []byte      `json:"data"`
	Salt     []byte      `json:"salt"`
	Position int         `json:"position"` // the item's place in the entry's personal tree
	Count    int         `json:"count"`
	Proof    []tlog.Hash `json:"proof"`
}

// Check verifies the opening against the public entry bytes.
func (o *Opening) Check(entry []byte) error {
	if o.Format != OpeningFormat {
		return fmt.Errorf("opening: unknown format %q", o.Format)
	}
	e, err := ParseEntry(entry)
	if err != nil {
		return fmt.Errorf("opening: %w", err)
	}
	if e.Personal == nil {
		return fmt.Errorf("opening: entry %d commits to no personal data", o.Index)
	}
	if o.Count != e.Personal.Count || o.Position < 0 || o.Position >= o.Count {
		return fmt.Errorf("opening: position %d of %d does not fit entry %d with %d items", o.Position, o.Count, o.Index, e.Personal.Count)
	}
	if len(o.Salt) != SaltSize {
		return fmt.Errorf("opening: salt of %d bytes, want %d", len(o.Salt), SaltSize)
	}
	if !validItemID(o.ItemID) {
		return fmt.Errorf("opening: invalid item id %q", o.ItemID)
	}
	leaf := commitmentLeaf(o.ItemID, Commitment(o.Salt, o.Data))
	if err := tlog.CheckRecord(o.Proof, int64(o.Count), e.Personal.Root, int64(o.Position), leaf); err != nil {
		return fmt.Errorf("opening: item %s does not match the commitment in entry %d: %w", o.ItemID, o.Index, err)
	}
	return nil
}

// ParseOpening reads an opening from its JSON form.
func ParseOpening(data []byte) (*Opening, error) {
	var o Opening
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return nil, fmt.Errorf("opening: %w", err)
	}
	if o.Format != OpeningFormat {
		return nil, fmt.Errorf("opening: unknown format %q", o.Format)
	}
	return &o, nil
}

// personalTree rebuilds the tree over an entry's stored openings.
func personalTree(rows []OpeningRow) (*memTree, error) {
	tree := newMemTree(len(rows))
	for i, r := range rows {
		if r.Position != i {
			return nil, fmt.Errorf("opening %d of entry %d is missing", i, r.Index)
		}
		if len(r.Commitment) != tlog.HashSize {
			return nil, fmt.Errorf("opening %s of entry %d: bad commitment", r.ItemID, r.Index)
		}
		if err := tree.add(commitmentLeaf(r.ItemID, tlog.Hash(r.Commitment))); err != nil {
			return nil, err
		}
	}
	return tree, nil
}

// memTree is an RFC 6962 tree kept in memory in the tlog stored-hash
// layout; it serves small trees (personal data) and the verifier's
// recomputation of the whole log.
type memTree struct {
	hashes []tlog.Hash
	n      int64
}

func newMemTree(capacity int) *memTree {
	return &memTree{hashes: make([]tlog.Hash, 0, 2*capacity)}
}

func (m *memTree) add(leaf tlog.Hash) error {
	hs, err := tlog.StoredHashesForRecordHash(m.n, leaf, m)
	if err != nil {
		return err
	}
	m.hashes = append(m.hashes, hs...)
	m.n++
	return nil
}

// ReadHashes implements tlog.HashReader.
func (m *memTree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m.hashes)) {
			return nil, fmt.Errorf("hash %d not stored (have %d)", x, len(m.hashes))
		}
		out[i] = m.hashes[x]
	}
	return out, nil
}

// rootAt returns the tree hash at size n ≤ m.n.
func (m *memTree) rootAt(n int64) tlog.Hash {
	if n == 0 {
		return emptyRoot
	}
	h, err := tlog.TreeHash(n, m)
	if err != nil {
		panic("ledger: memTree: " + err.Error()) // all hashes are in memory
	}
	return h
}

func (m *memTree) root() tlog.Hash { return m.rootAt(m.n) }

// leaf returns the leaf hash of record i.
func (m *memTree) leaf(i int64) tlog.Hash { return m.hashes[tlog.StoredHashIndex(0, i)] }

// emptyRoot is the RFC 6962 hash of the empty tree, SHA-256 of the empty
// string. Older versions of tlog.TreeHash return zeros for size 0, so the
// log never asks it.
var emptyRoot = tlog.Hash(sha256.Sum256(nil))

// itemIDRow returns the row number of an item id "row/N", or 0.
func itemIDRow(id string) int {
	s, ok := strings.CutPrefix(id, "row/")
	if !ok {
		return 0
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' || n > 1e8 {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}
