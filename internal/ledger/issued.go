package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Kinds of IssuedRow.
const (
	IssuedCheckpoint = "checkpoint"
	IssuedReceipt    = "receipt"
)

// IssuedRow records a promise that left the server: a checkpoint it served
// (the tree of Size has root Root) or a receipt it issued (entry Index,
// whose leaf hash is Leaf, is in that tree). A party may hold it forever,
// so the stored tree must go on agreeing with it.
type IssuedRow struct {
	Kind    string
	Size    int64
	Index   int64 // the receipt's entry; -1 for a checkpoint
	Root    []byte
	Leaf    []byte // the receipt's leaf hash; empty for a checkpoint
	Subject string // the receipt's list
	Time    time.Time
}

// IssueStorage records what left the server. *store.DB implements it; the
// record is on disk before the method returns.
type IssueStorage interface {
	ReadStorage
	RecordIssued(ctx context.Context, r IssuedRow) error
	// IssuedRows returns every record, by kind, size and index.
	IssuedRows(ctx context.Context) ([]IssuedRow, error)
}

// issuedMax is the largest checkpoint size this process recorded as
// served, so that serving the same checkpoint again costs no write.
type issuedMax struct{ n atomic.Int64 }

// IssueCheckpoint returns the latest checkpoint, as Checkpoint does, after
// recording durably that it was served (see IssuedRow). Hand out a
// checkpoint through this, not Checkpoint.
func (l *Log) IssueCheckpoint(ctx context.Context, st IssueStorage) (*Checkpoint, error) {
	cp, err := l.Checkpoint(ctx, st)
	if err != nil {
		return nil, err
	}
	if err := l.recordCheckpoint(ctx, st, cp); err != nil {
		return nil, err
	}
	return cp, nil
}

func (l *Log) recordCheckpoint(ctx context.Context, st IssueStorage, cp *Checkpoint) error {
	if cp.Size == 0 || cp.Size <= l.issued.n.Load() {
		return nil
	}
	err := st.RecordIssued(ctx, IssuedRow{Kind: IssuedCheckpoint, Size: cp.Size, Index: -1, Root: cp.Root[:], Leaf: []byte{}, Time: time.Now().UTC()})
	if err != nil {
		return fmt.Errorf("record issued checkpoint %d: %w", cp.Size, err)
	}
	for {
		old := l.issued.n.Load()
		if cp.Size <= old || l.issued.n.CompareAndSwap(old, cp.Size) {
			return nil
		}
	}
}

// IssueReceipt builds the receipt of a handed-over list, as Receipt does,
// after recording durably that it was issued.
func (l *Log) IssueReceipt(ctx context.Context, st IssueStorage, listID string) (*Receipt, error) {
	r, cp, err := l.receipt(ctx, st, listID)
	if err != nil {
		return nil, err
	}
	leaf := tlog.RecordHash([]byte(r.Entry))
	err = st.RecordIssued(ctx, IssuedRow{
		Kind: IssuedReceipt, Size: cp.Size, Index: r.Index, Root: cp.Root[:], Leaf: leaf[:],
		Subject: listID, Time: time.Now().UTC(),
	})
	if err != nil {
		return nil, fmt.Errorf("record issued receipt of list %s: %w", listID, err)
	}
	return r, nil
}

// InconsistentError lists what the stored log no longer agrees with.
type InconsistentError struct {
	TreeSize int64
	Problems []string
}

func (e *InconsistentError) Error() string {
	return fmt.Sprintf("the stored log (size %d) contradicts what it already signed or issued: %s",
		e.TreeSize, strings.Join(e.Problems, "; "))
}

// CheckStored checks, typically at start-up, that the stored tree still
// agrees with everything the log has promised: its latest stored
// checkpoint, every checkpoint and receipt recorded as issued (when st
// records them), and every stored cosignature and witness state. Each
// must be of a size no larger than the tree, with the root hash the
// stored tree has at that size (and a receipt's entry must be the one
// stored at its index). A log that lost its tail in a crash, or was
// restored from an old backup, fails here with an *InconsistentError,
// instead of appending different entries at indexes it already signed.
func (l *Log) CheckStored(ctx context.Context, st ReadStorage) error {
	n, err := st.LogSize(ctx)
	if err != nil {
		return err
	}
	hr := storageHashes{ctx: ctx, st: st}
	roots := map[int64]tlog.Hash{0: emptyRoot}
	bad := &InconsistentError{TreeSize: n}
	// check reports whether a tree of size has root; it records the
	// problem under what when not.
	check := func(what string, size int64, root []byte) bool {
		if size > n {
			bad.Problems = append(bad.Problems, fmt.Sprintf("%s is of size %d, beyond the stored tree", what, size))
			return false
		}
		r, ok := roots[size]
		if !ok {
			h, err := tlog.TreeHash(size, hr)
			if err != nil {
				bad.Problems = append(bad.Problems, fmt.Sprintf("%s: cannot recompute the root of size %d: %v", what, size, err))
				return false
			}
			r = h
			roots[size] = r
		}
		if !bytes.Equal(r[:], root) {
			bad.Problems = append(bad.Problems, fmt.Sprintf("%s: root hash differs from the stored tree's at size %d", what, size))
			return false
		}
		return true
	}

	row, err := st.LatestCheckpoint(ctx)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return fmt.Errorf("read latest checkpoint: %w", err)
	default:
		cp, err := ParseCheckpoint(row.Note)
		if err != nil {
			bad.Problems = append(bad.Problems, fmt.Sprintf("latest checkpoint %d: %v", row.Size, err))
		} else {
			check(fmt.Sprintf("latest checkpoint %d", cp.Size), cp.Size, cp.Root[:])
		}
	}

	if is, ok := st.(IssueStorage); ok {
		rows, err := is.IssuedRows(ctx)
		if err != nil {
			return fmt.Errorf("read issued checkpoints and receipts: %w", err)
		}
		for _, r := range rows {
			what := fmt.Sprintf("issued checkpoint %d", r.Size)
			if r.Kind == IssuedReceipt {
				what = fmt.Sprintf("issued receipt of list %s (entry %d, checkpoint %d)", r.Subject, r.Index, r.Size)
			}
			if !check(what, r.Size, r.Root) || r.Kind != IssuedReceipt {
				continue
			}
			if r.Index < 0 || r.Index >= r.Size {
				bad.Problems = append(bad.Problems, what+": entry is outside its checkpoint")
				continue
			}
			leaf, err := st.LogHashes(ctx, []int64{tlog.StoredHashIndex(0, r.Index)})
			if err != nil || !bytes.Equal(leaf[0], r.Leaf) {
				bad.Problems = append(bad.Problems, what+": the stored entry is not the one receipted")
			}
		}
	}

	sizes, err := st.CosignedSizes(ctx)
	if err != nil {
		return err
	}
	// Cosignatures are checked with the keys of every witness known now: a
	// party's own and every registered one. A cosignature by a witness
	// removed since cannot be checked here and is left to verifiers that
	// hold its key.
	cs, _, err := l.Cosigners(ctx, st)
	if err != nil {
		return err
	}
	verifiers := make([]note.Verifier, 0, len(cs))
	known := make(map[string]bool, len(cs))
	for _, c := range cs {
		verifiers = append(verifiers, c.Verifier)
		known[c.KeyName] = true
	}
	for _, size := range sizes {
		what := fmt.Sprintf("cosigned checkpoint %d", size)
		cp, err := l.CheckpointAt(ctx, st, size)
		if err != nil {
			bad.Problems = append(bad.Problems, fmt.Sprintf("%s: %v", what, err))
			continue
		}
		if !check(what, cp.Size, cp.Root[:]) {
			continue
		}
		cos, err := st.Cosignatures(ctx, size)
		if err != nil {
			return err
		}
		valid := cosigners(cp.Note, verifiers)
		for _, c := range cos {
			if known[c.Witness] && !slices.Contains(valid, c.Witness) {
				bad.Problems = append(bad.Problems, fmt.Sprintf("%s: the cosignature of %s does not verify", what, c.Witness))
			}
		}
	}

	if ws, ok := st.(WitnessStore); ok {
		for _, p := range l.Parties() {
			name := l.witnesses[p].name
			s, found, err := ws.WitnessState(ctx, name, l.cfg.Origin)
			if err != nil {
				return err
			}
			if found {
				check(fmt.Sprintf("witness %s's last cosigned checkpoint %d", name, s.Size), s.Size, s.Root)
			}
		}
	}
	if len(bad.Problems) > 0 {
		return bad
	}
	return nil
}
