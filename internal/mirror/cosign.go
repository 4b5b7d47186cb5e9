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
// A node whose witness key the hub does not trust for its party (the
// party's second node) does not cosign.
//
// The witness's state is shared by every process on the node's database
// (the server's background sync, a "node status" beside it): another one
// may cosign between this one's read of the state and its request, and
// the witness then refuses the request (409, the old size is no longer
// its size). That is no fork: the state is read again and checked
// against the verified tree. Only a witness state this verified log does
// not extend raises the alarm.
func (r *run) cosign() error {
	w, ws := r.m.opt.Witness, r.m.opt.WitnessStore
	st := r.st
	if w == nil || ws == nil {
		return nil
	}
	if !r.audit.trustsWitness(r.m.opt.Party, w) {
		r.m.opt.Logger.Debug("the log trusts another witness key for the party; not cosigning", "party", r.m.opt.Party, "witness", w.Name())
		return nil
	}
	const tries = 3
	for try := 1; ; try++ {
		cur, _, err := ws.WitnessState(r.ctx, w.Name(), r.m.v.Name())
		if err != nil {
			return err
		}
		r.res.CosignedSize = cur.Size
		if st.Size != st.LogSize || st.LogSize == 0 || cur.Size > st.LogSize {
			// Not verified in full yet, or another sync cosigned a later
			// checkpoint (and checked it against the tree it verified).
			return nil
		}
		if cur.Size > 0 {
			root, err := tlog.TreeHash(cur.Size, r.local)
			if err != nil {
				return fmt.Errorf("tree hash at the size last cosigned (%d): %w", cur.Size, err)
			}
			if len(cur.Root) != tlog.HashSize || root != tlog.Hash(cur.Root) {
				// The witness cosigned, at this size, a tree this verified
				// log does not hold: someone pushed it another history.
				r.raise(KindFork, "witness "+itoa(cur.Size), map[string]string{
					"size": itoa(st.LogSize), "root": b64(st.LogRoot), "trusted_size": itoa(cur.Size), "trusted_root": rootText(cur.Root)})
				return fmt.Errorf("the witness cosigned another tree at size %d", cur.Size)
			}
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
		if errors.As(err, &we) && we.Status == http.StatusConflict && try < tries {
			// The state moved since it was read: another sync cosigned.
			r.m.opt.Logger.Debug("the witness moved meanwhile; reading its state again", "old", cur.Size, "err", err)
			continue
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
}

// rootText is a stored root hash in base64, "?" when it is not a hash.
func rootText(root []byte) string {
	if len(root) != tlog.HashSize {
		return "?"
	}
	return b64(tlog.Hash(root))
}

// carriesSignature reports whether a signed note has a signature line by
// the key name (not verified: the hub serves it, the witness made it).
func carriesSignature(msg []byte, name string) bool {
	return strings.Contains(string(msg), "\n— "+name+" ")
}
