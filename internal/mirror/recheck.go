package mirror

import (
	"context"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"parley/internal/ledger"
)

// recheckStep is how many entries RecheckEntries reads per query.
const recheckStep = 4096

// RecheckEntries re-reads every entry the node holds and checks its copy
// against the tree it verified: the root computed from the entries alone
// must be the verified root (and, when the whole log is held, the root of
// the hub's signed checkpoint kept with it). Where it is not, the first
// entry whose hash differs from the stored tree's leaf is named, as an
// entry_changed alarm about the node's own copy (a disk fault, or an edit
// behind the node's back). It reads the whole mirror once, one query per
// 4,096 entries, and hashes each entry: linear in the log's size and
// cheap beside a sync (see BenchmarkRecheckEntries). It returns the
// number of entries checked.
func (m *Mirror) RecheckEntries(ctx context.Context) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st, ok, err := m.st.MirrorState(ctx)
	if err != nil || !ok || st.Size == 0 {
		return 0, err
	}
	r := &run{m: m, ctx: ctx, res: &Result{}}
	want := st.Root
	if st.Size == st.LogSize {
		cp, _, err := ledger.OpenCheckpoint(st.Checkpoint, m.v)
		if err != nil || cp.Size != st.Size || cp.Root != st.Root {
			// The kept checkpoint is no longer the hub's signed one for
			// the verified tree: the copy's own record was changed.
			r.raise(KindEntryChanged, "held entries", map[string]string{"held": "1", "to": itoa(st.Size - 1), "size": itoa(st.Size)})
			return st.Size, m.RefreshMetrics(ctx)
		}
		want = cp.Root
	}
	leaves := make([]tlog.Hash, 0, st.Size)
	for from := int64(0); from < st.Size; from += recheckStep {
		rows, err := m.st.MirrorEntries(ctx, from, min(from+recheckStep, st.Size))
		if err != nil {
			return 0, err
		}
		for _, row := range rows {
			if row.Index != int64(len(leaves)) {
				break // a missing entry: the root below differs
			}
			leaves = append(leaves, tlog.RecordHash(row.Data))
		}
	}
	if int64(len(leaves)) == st.Size && rootOf(leaves) == want {
		return st.Size, nil
	}
	params, err := r.firstChangedLeaf(leaves, st.Size)
	if err != nil {
		return 0, err
	}
	r.raise(KindEntryChanged, "held entries", params)
	return st.Size, m.RefreshMetrics(ctx)
}

// firstChangedLeaf names the first held entry whose hash is not the stored
// tree's leaf (or that is missing); when every held entry matches its
// stored leaf, the stored tree itself was changed and the whole range is
// named.
func (r *run) firstChangedLeaf(leaves []tlog.Hash, size int64) (map[string]string, error) {
	for from := int64(0); from < size; from += recheckStep {
		to := min(from+recheckStep, size)
		idx := make([]int64, 0, to-from)
		for i := from; i < to; i++ {
			idx = append(idx, tlog.StoredHashIndex(0, i))
		}
		stored, err := r.m.st.MirrorHashes(r.ctx, idx)
		if err != nil {
			return nil, fmt.Errorf("read the mirror's leaf hashes: %w", err)
		}
		for k, h := range stored {
			i := from + int64(k)
			if i >= int64(len(leaves)) {
				return map[string]string{"held": "1", "index": itoa(i), "got": "-", "want": b64(tlog.Hash(h))}, nil
			}
			if len(h) != tlog.HashSize || tlog.Hash(h) != leaves[i] {
				return map[string]string{"held": "1", "index": itoa(i), "got": b64(leaves[i]), "want": rootText(h)}, nil
			}
		}
	}
	return map[string]string{"held": "1", "to": itoa(size - 1), "size": itoa(size)}, nil
}

// rootOf is the RFC 6962 tree hash over leaf hashes.
func rootOf(leaves []tlog.Hash) tlog.Hash {
	switch len(leaves) {
	case 0:
		return emptyRoot()
	case 1:
		return leaves[0]
	}
	k := 1
	for 2*k < len(leaves) {
		k *= 2
	}
	return tlog.NodeHash(rootOf(leaves[:k]), rootOf(leaves[k:]))
}
