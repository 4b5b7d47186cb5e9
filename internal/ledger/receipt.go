package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ReceiptFormat versions the receipt file.
const ReceiptFormat = "parley-receipt/v1"

// EventListHandedOver is the event type of a list's hand-over.
const EventListHandedOver = "list.handed_over"

// Receipt proves, without the server, that a list with a given content
// hash was handed over and logged: it carries the log entry, its index,
// a signed checkpoint (with the parties' cosignatures when there are any)
// and the inclusion proof of the entry in that checkpoint's tree. Whoever
// holds the log's verifier key can check it, years later.
type Receipt struct {
	Format      string      `json:"format"`
	Log         string      `json:"log"` // the checkpoint origin
	ListID      string      `json:"list_id"`
	ContentHash string      `json:"content_hash"`
	Index       int64       `json:"index"`
	Entry       string      `json:"entry"`      // the entry's canonical bytes (UTF-8 text)
	Checkpoint  string      `json:"checkpoint"` // signed note with cosignatures
	Proof       []tlog.Hash `json:"inclusion_proof"`

	// Filled by VerifyReceipt, not serialised.
	Event     *Entry   `json:"-"`
	Size      int64    `json:"-"` // the checkpoint's tree size
	Cosigners []string `json:"-"` // witness key names whose cosignatures verified
}

// Marshal encodes the receipt as indented JSON.
func (r *Receipt) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Receipt builds the receipt of a handed-over list. It proves the entry in
// the latest agreed checkpoint when that one contains it, otherwise in the
// latest checkpoint.
func (l *Log) Receipt(ctx context.Context, st ReadStorage, listID string) (*Receipt, error) {
	r, _, err := l.receipt(ctx, st, listID)
	return r, err
}

func (l *Log) receipt(ctx context.Context, st ReadStorage, listID string) (*Receipt, *Checkpoint, error) {
	rows, err := st.FindLogEntries(ctx, EventListHandedOver, listID)
	if err != nil {
		return nil, nil, err
	}
	if len(rows) == 0 {
		return nil, nil, fmt.Errorf("list %s: no hand-over in the log: %w", listID, ErrNotFound)
	}
	e := rows[len(rows)-1]
	ev, err := ParseEntry(e.Data)
	if err != nil {
		return nil, nil, fmt.Errorf("log entry %d: %w", e.Index, err)
	}
	cp, _, agreed, err := l.Agreed(ctx, st)
	if err != nil {
		return nil, nil, err
	}
	if !agreed || cp.Size <= e.Index {
		if cp, err = l.Checkpoint(ctx, st); err != nil {
			return nil, nil, err
		}
	}
	proof, err := InclusionProof(ctx, st, cp.Size, e.Index)
	if err != nil {
		return nil, nil, err
	}
	return &Receipt{
		Format: ReceiptFormat, Log: l.cfg.Origin, ListID: listID, ContentHash: ev.Attrs["content_hash"],
		Index: e.Index, Entry: string(e.Data), Checkpoint: string(cp.Note), Proof: proof,
	}, cp, nil
}

// maxReceiptSize bounds the receipts VerifyReceipt reads.
const maxReceiptSize = 1 << 20

// ParseReceipt reads a receipt without verifying it.
func ParseReceipt(data []byte) (*Receipt, error) {
	if len(data) > maxReceiptSize {
		return nil, errors.New("receipt too large")
	}
	var r Receipt
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("receipt: %w", err)
	}
	if r.Format != ReceiptFormat {
		return nil, fmt.Errorf("receipt: unknown format %q (want %s)", r.Format, ReceiptFormat)
	}
	if r.Index < 0 || len(r.Proof) > 64 {
		return nil, errors.New("receipt: bad index or proof")
	}
	return &r, nil
}

// VerifyReceipt checks a receipt offline: the checkpoint's signature with
// the log's verifier key, the inclusion of the entry in that checkpoint's
// tree, and that the entry is the hand-over of the receipt's list with the
// receipt's content hash. Each witness key given (cosignature/v1 verifier
// keys) must have a valid cosignature on the checkpoint.
func VerifyReceipt(data []byte, verifierKey string, witnessKeys ...string) (*Receipt, error) {
	r, err := ParseReceipt(data)
	if err != nil {
		return nil, err
	}
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return nil, fmt.Errorf("log verifier key: %w", err)
	}
	cp, _, err := OpenCheckpoint([]byte(r.Checkpoint), v)
	if err != nil {
		return nil, fmt.Errorf("receipt: %w", err)
	}
	if r.Log != cp.Origin {
		return nil, fmt.Errorf("receipt: names log %q, its checkpoint is of %q", r.Log, cp.Origin)
	}
	if r.Index >= cp.Size {
		return nil, fmt.Errorf("receipt: entry %d is beyond the checkpoint's size %d", r.Index, cp.Size)
	}
	if err := tlog.CheckRecord(r.Proof, cp.Size, cp.Root, r.Index, tlog.RecordHash([]byte(r.Entry))); err != nil {
		return nil, fmt.Errorf("receipt: entry %d is not in the signed tree of size %d: %w", r.Index, cp.Size, err)
	}
	ev, err := ParseEntry([]byte(r.Entry))
	if err != nil {
		return nil, fmt.Errorf("receipt: %w", err)
	}
	if ev.Type != EventListHandedOver || ev.Subject != r.ListID {
		return nil, fmt.Errorf("receipt: entry %d is %s of %q, not the hand-over of list %s", r.Index, ev.Type, ev.Subject, r.ListID)
	}
	if ev.Attrs["content_hash"] != r.ContentHash {
		return nil, fmt.Errorf("receipt: entry %d commits to content hash %q, the receipt says %q", r.Index, ev.Attrs["content_hash"], r.ContentHash)
	}
	var ws []note.Verifier
	for _, k := range witnessKeys {
		w, err := fnote.NewVerifierForCosignatureV1(k)
		if err != nil {
			return nil, fmt.Errorf("witness key: %w", err)
		}
		ws = append(ws, w)
	}
	r.Cosigners = cosigners([]byte(r.Checkpoint), ws)
	for _, w := range ws {
		if !slices.Contains(r.Cosigners, w.Name()) {
			return nil, fmt.Errorf("receipt: checkpoint lacks a valid cosignature by %s", w.Name())
		}
	}
	r.Event, r.Size = ev, cp.Size
	return r, nil
}

// CheckOpening checks an opening against the receipt's entry: once the
// receipt is verified, a valid opening proves that the opened row was on
// the list as handed over.
func (r *Receipt) CheckOpening(o *Opening) error {
	if o.Index != r.Index {
		return fmt.Errorf("opening is of log entry %d, the receipt of entry %d", o.Index, r.Index)
	}
	return o.Check([]byte(r.Entry))
}
