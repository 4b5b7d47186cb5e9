// Package bundle reads, writes and verifies parley-bundle/v1 files: one or
// more signed statements of a party, with what the hub needs to apply them
// (the payload: a list's canonical bytes, a reservation, a proposal), the
// signer's verifier key, and proofs that what the statements refer to is
// already in the hub's log. A delegation without network exports a bundle
// on its node, carries the file by hand, and imports it on a node of the
// same party that can reach the hub; the importing node verifies the
// bundle and queues the statements in its outbox, and the hub, which
// deduplicates on the statement id, logs each exactly once however many
// copies arrive.
//
// A bundle carries nothing that is not already meant for the hub: no
// private key, no registry, no family data.
package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"parley/internal/ledger"
	"parley/internal/statement"
)

// Format names and versions the file format; readers refuse any other.
const Format = "parley-bundle/v1"

// MaxSize bounds a bundle file: a list of some thousands of persons in
// canonical JSON, base64-encoded, with room to spare.
const MaxSize = 64 << 20

// Bundle is the content of a parley-bundle/v1 file.
type Bundle struct {
	Format string `json:"format"`
	// Log is the origin of the hub's log the statements are for.
	Log string `json:"log"`
	// Party is the party whose statements these are.
	Party string `json:"party"`
	// Key is the verifier key (C2SP signed-note, "name+hash+base64") of
	// the key that signed the statements, named "<log>/party/<party>".
	Key string `json:"key"`
	// Statements are the signed statements, in the order they were made.
	Statements []Item `json:"statements"`
	// Checkpoint is a checkpoint of the hub's log, signed by the hub,
	// that every proof is checked against; empty when there are no
	// proofs.
	Checkpoint string `json:"checkpoint,omitempty"`
	// Proofs prove log entries the statements refer to: the hand-over of
	// an acknowledged list or of a list's previous version, the proposal
	// an answer is about.
	Proofs []Proof `json:"proofs,omitempty"`
}

// Item is one signed statement with its payload, as submitted to the hub
// (POST /hub/v1/statements).
type Item struct {
	Note    string          `json:"note"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// Proof is one log entry with its inclusion proof in Checkpoint's tree.
type Proof struct {
	Index int64    `json:"index"`
	Entry string   `json:"entry"` // the entry's bytes (parley-event/v1)
	Proof []string `json:"proof"` // base64 hashes, tlog.RecordProof order
}

// Error is a bundle that does not verify. Code names the check that
// failed, for a caller that maps it to a message in the reader's language;
// Error() is the English text.
type Error struct {
	Code   string
	Detail string
}

func (e *Error) Error() string { return "bundle refused: " + e.Detail }

// Problem codes of Error.
const (
	CodeFormat    = "bundle.format"    // not a parley-bundle/v1 file
	CodeKey       = "bundle.key"       // the signer's key is not one trusted for the party
	CodeSignature = "bundle.signature" // a statement is not signed by the key
	CodeContent   = "bundle.content"   // a payload does not hash to what the statement signed
	CodeProof     = "bundle.proof"     // a proof does not hold against the hub's signed checkpoint
	CodeParty     = "bundle.party"     // the bundle is another party's, or another log's
)

func fail(code, format string, args ...any) error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// Marshal writes the bundle as indented JSON with a final newline.
func (b *Bundle) Marshal() ([]byte, error) {
	b.Format = Format
	out, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode bundle: %w", err)
	}
	return append(out, '\n'), nil
}

// Parse reads a bundle file. It refuses other formats, unknown fields and
// trailing data; it does not verify anything (see Verify).
func Parse(data []byte) (*Bundle, error) {
	if len(data) > MaxSize {
		return nil, fail(CodeFormat, "the file has %d bytes, more than the %d a bundle may have", len(data), MaxSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var b Bundle
	if err := dec.Decode(&b); err != nil {
		return nil, fail(CodeFormat, "not a %s file: %v", Format, err)
	}
	if dec.More() {
		return nil, fail(CodeFormat, "not a %s file: data after the bundle", Format)
	}
	if b.Format != Format {
		return nil, fail(CodeFormat, "format %q, want %q", b.Format, Format)
	}
	if len(b.Statements) == 0 {
		return nil, fail(CodeFormat, "the bundle holds no statement")
	}
	return &b, nil
}

// Trust is what the verifying node trusts.
type Trust struct {
	// LogKey is the hub's log verifier key (the node's keys/log.vkey).
	LogKey string
	// Party is the node's own party: a node sends only its party's
	// statements (the hub checks that the signer of a statement is the
	// party whose key signed the request).
	Party string
	// PartyKeys are the statement verifier keys trusted for Party: the
	// node's own and those the hub's log records as trusted.
	PartyKeys []string
}

// Verified is one statement of a verified bundle, ready to queue.
type Verified struct {
	Statement *statement.Statement
	Note      []byte
	Payload   json.RawMessage
}

// Verify checks the bundle against what the node trusts: the signer's
// key is the party's and trusted, every statement is signed by it and
// names the party, every payload hashes to what its statement signed,
// and every proof holds against a checkpoint signed with the hub's log
// key and matches the statement that refers to it.
func (b *Bundle) Verify(tr Trust) ([]Verified, error) {
	logV, err := note.NewVerifier(tr.LogKey)
	if err != nil {
		return nil, fmt.Errorf("the hub's log key: %w", err)
	}
	origin := logV.Name()
	if b.Log != origin {
		return nil, fail(CodeParty, "it is for the log %q, this node follows %q", b.Log, origin)
	}
	if b.Party != tr.Party {
		return nil, fail(CodeParty, "it holds statements of party %s; this node sends only those of party %s", b.Party, tr.Party)
	}
	name, _, err := statement.PublicKey(b.Key)
	if err != nil {
		return nil, fail(CodeKey, "the signer's key %q: %v", b.Key, err)
	}
	if name != statement.KeyName(origin, b.Party) || !slices.Contains(tr.PartyKeys, b.Key) {
		return nil, fail(CodeKey, "the signer's key %s is not a key trusted for party %s", b.Key, b.Party)
	}
	v, err := note.NewVerifier(b.Key)
	if err != nil {
		return nil, fail(CodeKey, "the signer's key: %v", err)
	}
	entries, err := b.provenEntries(logV)
	if err != nil {
		return nil, err
	}
	out := make([]Verified, 0, len(b.Statements))
	seen := map[string]bool{}
	for i, it := range b.Statements {
		st, _, err := statement.Open([]byte(it.Note), origin, note.VerifierList(v))
		if err != nil {
			return nil, fail(CodeSignature, "statement %d: %v", i+1, err)
		}
		if st.Party != b.Party {
			return nil, fail(CodeSignature, "statement %d speaks for party %s, the bundle is party %s's", i+1, st.Party, b.Party)
		}
		if seen[st.ID] {
			return nil, fail(CodeFormat, "statement %s appears twice", st.ID)
		}
		seen[st.ID] = true
		if err := checkPayload(st, it.Payload); err != nil {
			return nil, fail(CodeContent, "statement %d (%s of %s): %v", i+1, st.Type, st.Subject, err)
		}
		if err := checkReferences(st, entries); err != nil {
			return nil, fail(CodeProof, "statement %d (%s of %s): %v", i+1, st.Type, st.Subject, err)
		}
		out = append(out, Verified{Statement: st, Note: []byte(it.Note), Payload: it.Payload})
	}
	return out, nil
}

// provenEntries checks every proof against the bundle's checkpoint and
// returns the proven entries.
func (b *Bundle) provenEntries(logV note.Verifier) ([]*ledger.Entry, error) {
	if len(b.Proofs) == 0 {
		return nil, nil
	}
	cp, _, err := ledger.OpenCheckpoint([]byte(b.Checkpoint), logV)
	if err != nil {
		return nil, fail(CodeProof, "its checkpoint: %v", err)
	}
	var out []*ledger.Entry
	for _, p := range b.Proofs {
		if p.Index < 0 || p.Index >= cp.Size {
			return nil, fail(CodeProof, "entry %d is outside the checkpoint's tree of size %d", p.Index, cp.Size)
		}
		proof := make(tlog.RecordProof, len(p.Proof))
		for i, h := range p.Proof {
			raw, err := base64.StdEncoding.DecodeString(h)
			if err != nil || len(raw) != tlog.HashSize {
				return nil, fail(CodeProof, "entry %d: hash %d of its proof is not a base64 SHA-256 hash", p.Index, i+1)
			}
			proof[i] = tlog.Hash(raw)
		}
		if err := tlog.CheckRecord(proof, cp.Size, cp.Root, p.Index, tlog.RecordHash([]byte(p.Entry))); err != nil {
			return nil, fail(CodeProof, "entry %d is not in the hub's signed tree of size %d: %v", p.Index, cp.Size, err)
		}
		e, err := ledger.ParseEntry([]byte(p.Entry))
		if err != nil {
			return nil, fail(CodeProof, "entry %d: %v", p.Index, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// checkPayload checks that the payload is what the statement signed.
func checkPayload(st *statement.Statement, payload json.RawMessage) error {
	switch st.Type {
	case statement.ListHandover:
		var p struct {
			List []byte `json:"list"`
		}
		if err := json.Unmarshal(payload, &p); err != nil || len(p.List) == 0 {
			return errors.New("the list's canonical bytes are missing")
		}
		if got := hashOf(p.List); got != st.Attrs["content_hash"] {
			return fmt.Errorf("the list hashes to %s, the statement signed %s", got, st.Attrs["content_hash"])
		}
		var l struct {
			ID      string            `json:"id"`
			From    string            `json:"from"`
			To      string            `json:"to"`
			Entries []json.RawMessage `json:"entries"`
		}
		if err := json.Unmarshal(p.List, &l); err != nil {
			return fmt.Errorf("the list: %v", err)
		}
		if l.ID != st.Subject || l.From != st.Attrs["from"] || l.To != st.Attrs["to"] || fmt.Sprint(len(l.Entries)) != st.Attrs["entry_count"] {
			return fmt.Errorf("the list is %s from %s to %s with %d persons, the statement names %s from %s to %s with %s",
				l.ID, l.From, l.To, len(l.Entries), st.Subject, st.Attrs["from"], st.Attrs["to"], st.Attrs["entry_count"])
		}
	case statement.ListAck:
		var p struct {
			Reservation string `json:"reservation"`
		}
		if len(payload) > 0 {
			if err := json.Unmarshal(payload, &p); err != nil {
				return fmt.Errorf("the reservation: %v", err)
			}
		}
		if got := statement.ReservationHash(p.Reservation); got != st.Attrs["reservation_hash"] {
			return fmt.Errorf("the reservation hashes to %q, the statement signed %q", got, st.Attrs["reservation_hash"])
		}
	default:
		var p struct {
			Proposal json.RawMessage `json:"proposal"`
		}
		if err := json.Unmarshal(payload, &p); err != nil || len(p.Proposal) == 0 {
			return errors.New("the proposal is missing")
		}
	}
	return nil
}

// References names the log entry a statement refers to and that must be
// proven: the hand-over an acknowledgement answers, the previous version
// a new version replaces, the proposal an answer is about.
func References(st *statement.Statement) (types []string, subject string) {
	switch st.Type {
	case statement.ListAck:
		return []string{ledger.EventListHandedOver}, st.Subject
	case statement.ListHandover:
		if prev := st.Attrs["prev_id"]; prev != "" {
			return []string{ledger.EventListHandedOver}, prev
		}
	case statement.ProposalAccept, statement.ProposalReject, statement.ProposalCounter:
		subject := st.Subject
		if st.Type == statement.ProposalCounter {
			subject = st.Attrs["parent"]
		}
		return []string{"proposal.submitted", "proposal.countered"}, subject
	}
	return nil, ""
}

func checkReferences(st *statement.Statement, entries []*ledger.Entry) error {
	types, subject := References(st)
	if len(types) == 0 {
		return nil
	}
	for _, e := range entries {
		if !slices.Contains(types, e.Type) || e.Subject != subject {
			continue
		}
		if st.Type == statement.ListAck && e.Attrs["content_hash"] != st.Attrs["content_hash"] {
			return fmt.Errorf("the log recorded list %s with content hash %s, the acknowledgement signed %s", subject, e.Attrs["content_hash"], st.Attrs["content_hash"])
		}
		return nil
	}
	return fmt.Errorf("no proof that the log holds %s of %s", strings.Join(types, " or "), subject)
}

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// EncodeProof turns an inclusion proof into the bundle's form.
func EncodeProof(p tlog.RecordProof) []string {
	out := make([]string, len(p))
	for i, h := range p {
		out[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return out
}
