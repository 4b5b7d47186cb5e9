package mirror

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"parley/internal/ledger"
)

// Lists handed over to the party (or by it) are fetched from the hub and
// kept only when their bytes hash to the content hash their hand-over
// entry recorded; the hub cannot slip in other persons than those the
// sender signed for. Each re-check (node status) fetches them again: a
// person edited in the hub's database shows as a list whose bytes no
// longer hash to the logged hash, and the row that changed is named by
// comparing with the bytes kept at receipt.

// contentHash returns "sha256:<hex>" of canonical list bytes, as
// lists.ContentHash does for a list.
func contentHash(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// receiveLists fetches every list whose hand-over the mirror holds, to or
// from the party, that the node has not received yet.
func (r *run) receiveLists() error {
	if r.m.opt.FetchList == nil {
		return nil
	}
	held, err := r.m.st.ReceivedLists(r.ctx)
	if err != nil {
		return err
	}
	have := make(map[string]bool, len(held))
	for _, h := range held {
		have[h.ID] = true
	}
	rows, err := r.m.st.MirrorEntriesOfType(r.ctx, "list.handed_over")
	if err != nil {
		return err
	}
	for _, row := range rows {
		e, err := ledger.ParseEntry(row.Data)
		if err != nil || have[e.Subject] || (e.Attrs["to"] != r.m.opt.Party && e.Attrs["from"] != r.m.opt.Party) {
			continue
		}
		data, err := r.m.opt.FetchList(r.ctx, e.Subject)
		if err != nil {
			r.m.opt.Logger.Warn("fetch a handed-over list from the hub", "list", e.Subject, "err", err)
			continue
		}
		logged := e.Attrs["content_hash"]
		if got := contentHash(data); got != logged {
			r.raise(KindListHashMismatch, "list "+e.Subject, map[string]string{
				"list": e.Subject, "index": itoa(row.Index), "logged": logged, "served": got})
			continue
		}
		rl := ReceivedList{ID: e.Subject, Index: row.Index, PrevID: e.Attrs["prev_id"], ContentHash: logged, Data: data, Received: r.m.opt.Now().UTC()}
		if err := r.m.st.SaveReceivedList(r.ctx, rl); err != nil {
			return err
		}
		have[e.Subject] = true
		r.m.opt.Logger.Info("list received from the hub", "list", e.Subject, "from", e.Attrs["from"], "to", e.Attrs["to"])
	}
	r.res.ListsReceived = len(have)
	return nil
}

// RecheckLists fetches every list the node received again and compares it
// with the hash its hand-over entry recorded; a list that differs raises
// list_hash_mismatch naming the list and, when it can, the first row that
// changed. It returns the number of lists checked.
func (m *Mirror) RecheckLists(ctx context.Context) (int, error) {
	if m.opt.FetchList == nil {
		return 0, nil
	}
	held, err := m.st.ReceivedLists(ctx)
	if err != nil {
		return 0, err
	}
	r := &run{m: m, ctx: ctx, res: &Result{}}
	for _, h := range held {
		data, err := m.opt.FetchList(ctx, h.ID)
		if err != nil {
			return 0, fmt.Errorf("%w: list %s: %w", ErrUnreachable, h.ID, err)
		}
		if got := contentHash(data); got != h.ContentHash {
			params := map[string]string{"list": h.ID, "index": itoa(h.Index), "logged": h.ContentHash, "served": got}
			if row, ok := firstChangedRow(h.Data, data); ok {
				params["row"] = strconv.Itoa(row)
			}
			r.raise(KindListHashMismatch, "list "+h.ID, params)
			continue
		}
		if err := m.st.SetListChecked(ctx, h.ID, m.opt.Now().UTC()); err != nil {
			return 0, err
		}
	}
	return len(held), m.RefreshMetrics(ctx)
}

// firstChangedRow compares two encodings of a list row by row and returns
// the row number of the first entry that differs.
func firstChangedRow(kept, served []byte) (int, bool) {
	type list struct {
		Entries []json.RawMessage `json:"entries"`
	}
	var a, b list
	if json.Unmarshal(kept, &a) != nil || json.Unmarshal(served, &b) != nil {
		return 0, false
	}
	for i := range max(len(a.Entries), len(b.Entries)) {
		switch {
		case i >= len(a.Entries):
			return rowOf(b.Entries[i]), true
		case i >= len(b.Entries):
			return rowOf(a.Entries[i]), true
		case !bytes.Equal(a.Entries[i], b.Entries[i]):
			return rowOf(a.Entries[i]), true
		}
	}
	return 0, false
}

func rowOf(raw json.RawMessage) int {
	var e struct {
		Row int `json:"row"`
	}
	_ = json.Unmarshal(raw, &e)
	return e.Row
}
