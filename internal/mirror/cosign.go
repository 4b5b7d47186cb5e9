package mirror

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"parley/internal/ledger"
)

// cosign has the node's witness cosign the checkpoint the mirror verified
// in full, with the witness logic every Parley witness runs (never two
// roots for one size, consistency from the last one cosigned; the proof
// comes from the node's own copy of the tree), and sends the cosignature
// to the hub. A checkpoint the hub already serves with the node's
// cosignature is left alone; one whose cosignature did not reach the hub
// is cosigned again (the witness signs the same checkpoint again) and sent.
func (r *run) cosign() error {
	w, ws := r.m.opt.Witness, r.m.opt.WitnessStore
	st := r.st
	if w == nil || ws == nil {
		return nil
	}
	cur, _, err := ws.WitnessState(r.ctx, w.Name(), r.m.v.Name())
	if err != nil {
		return err
	}
	r.res.CosignedSize = cur.Size
	if st.Size != st.LogSize || st.LogSize == 0 || cur.Size > st.LogSize {
		return nil
	}
	if cur.Size == st.LogSize && carriesSignature(r.raw, w.Name()) {
		return nil
	}
	var proof tlog.TreeProof
	if cur.Size > 0 && cur.Size < st.LogSize {
		if proof, err = tlog.ProveTree(st.LogSize, cur.Size, r.local); err != nil {
			return fmt.Errorf("consistency proof from %d: %w", cur.Size, err)
		}
	}
	req := ledger.AddCheckpointRequest{OldSize: cur.Size, Proof: proof, Checkpoint: r.raw}
	sig, err := w.AddCheckpoint(r.ctx, req.Marshal())
	var we *ledger.WitnessError
	if errors.As(err, &we) && (we.Status == http.StatusConflict || we.Status == http.StatusUnprocessableEntity) {
		// The witness cosigned, at some size, a tree this verified log does
		// not extend: someone pushed it another history.
		r.raise(KindFork, "witness "+itoa(cur.Size), map[string]string{
			"size": itoa(st.LogSize), "root": b64(st.LogRoot), "trusted_size": itoa(cur.Size), "trusted_root": b64(tlog.Hash(cur.Root))})
		return err
	}
	if err != nil {
		return err
	}
	r.res.CosignedSize = st.LogSize
	line := strings.TrimSuffix(string(sig), "\n")
	if r.m.opt.PushCosignature == nil {
		return nil
	}
	if err := r.m.opt.PushCosignature(r.ctx, r.raw, line); err != nil {
		return fmt.Errorf("send the cosignature of size %d to the hub: %w", st.LogSize, err)
	}
	return nil
}

// carriesSignature reports whether a signed note has a signature line by
// the key name (not verified: the hub serves it, the witness made it).
func carriesSignature(msg []byte, name string) bool {
	return strings.Contains(string(msg), "\n— "+name+" ")
}
