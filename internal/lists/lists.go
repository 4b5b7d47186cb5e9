// Package lists defines the lists of persons that one party hands over to
// another, their lifecycle (draft → handed over → acknowledged), their
// content hash, and the difference between two versions.
//
// A handed-over list is frozen: its content hash is recorded and the log
// commits to it, so that "that person was never on your list" can be settled
// by a proof. A change after hand-over is a new version of the list.
package lists

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"parley/internal/person"
)

// State is a list's place in its lifecycle.
type State string

// List states.
const (
	Draft        State = "draft"
	HandedOver   State = "handed_over"
	Acknowledged State = "acknowledged"
)

// List is one version of a list from one party to another.
type List struct {
	ID             string    `json:"id"`
	From           string    `json:"from"`
	To             string    `json:"to"`
	Title          string    `json:"title"`
	Version        int       `json:"version"`
	PrevID         string    `json:"prev_id,omitempty"` // the version this one replaces
	RootID         string    `json:"root_id"`           // the first version's id
	State          State     `json:"state"`
	ContentHash    string    `json:"content_hash,omitempty"` // recorded at hand-over
	EntryCount     int       `json:"entry_count"`
	SourceName     string    `json:"source_name,omitempty"`
	CreatedBy      string    `json:"created_by,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	HandedOverAt   time.Time `json:"handed_over_at,omitzero"`
	AcknowledgedAt time.Time `json:"acknowledged_at,omitzero"`
	Entries        []Entry   `json:"entries,omitempty"`
}

// Frozen reports whether the list can no longer change.
func (l *List) Frozen() bool { return l.State != Draft }

// Entry is one person on a list, with its row number (from 1, in the order
// of the source file).
type Entry struct {
	Row int `json:"row"`
	// ID names the person across the versions of the list (with the list's
	// root id): the party's own record id when the file had one, else the id
	// of the same person in the version before, else a new one. It is
	// Parley's bookkeeping and not part of the content hash, which covers
	// what the party handed over.
	ID string `json:"id,omitempty"`
	person.Person
}

// hashedEntry is an entry as the content hash covers it.
type hashedEntry struct {
	Row int `json:"row"`
	person.Person
}

// hashedList is the canonical content that a list's hash covers: who hands
// it to whom, which list and version it is, and every entry. Any change to a
// person, a category or the order of rows changes the hash.
type hashedList struct {
	Format  string        `json:"format"`
	ID      string        `json:"id"`
	From    string        `json:"from"`
	To      string        `json:"to"`
	Title   string        `json:"title"`
	Version int           `json:"version"`
	Entries []hashedEntry `json:"entries"`
}

// HashFormat versions the canonical encoding behind ContentHash.
const HashFormat = "parley-list/v1"

// CanonicalBytes returns the canonical encoding that ContentHash covers:
// JSON with the field order of the Go types and map keys sorted, which
// encoding/json guarantees.
func CanonicalBytes(l *List) ([]byte, error) {
	entries := make([]hashedEntry, len(l.Entries))
	for i, e := range l.Entries {
		entries[i] = hashedEntry{Row: e.Row, Person: e.Person}
	}
	b, err := json.Marshal(hashedList{Format: HashFormat, ID: l.ID, From: l.From, To: l.To, Title: l.Title, Version: l.Version, Entries: entries})
	if err != nil {
		return nil, fmt.Errorf("encode list %s: %w", l.ID, err)
	}
	return b, nil
}

// ContentHash returns "sha256:<hex>" of the list's canonical bytes.
func ContentHash(l *List) (string, error) {
	b, err := CanonicalBytes(l)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// ParseCanonical reads a list from its canonical bytes, as a hub receives
// it from the sending party's node and a node receives it from the hub. It
// accepts only bytes that re-encode to themselves, so the content hash of
// what was read is the hash of what was sent. The list comes back without
// the bookkeeping the bytes do not carry (state, version chain, entry ids).
func ParseCanonical(b []byte) (*List, error) {
	var h hashedList
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	if dec.More() {
		return nil, errors.New("list: data after the JSON object")
	}
	if h.Format != HashFormat {
		return nil, fmt.Errorf("list: unknown format %q", h.Format)
	}
	l := &List{ID: h.ID, From: h.From, To: h.To, Title: h.Title, Version: h.Version, EntryCount: len(h.Entries)}
	l.Entries = make([]Entry, len(h.Entries))
	for i, e := range h.Entries {
		l.Entries[i] = Entry{Row: e.Row, Person: e.Person}
	}
	again, err := CanonicalBytes(l)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(again, b) {
		return nil, errors.New("list: not in canonical form")
	}
	return l, nil
}
