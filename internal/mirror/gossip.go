package mirror

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"parley/internal/ledger"
)

// Split view: a hub that shows party A one log and party B another passes
// each node's own checks. The nodes catch it by comparing what they
// verified: each serves its latest verified checkpoint at
// GET /node/v1/checkpoint, and each sync fetches the peers' and checks
// that theirs and its own are two views of one log (same root at the same
// size, a consistency proof otherwise).

// CheckpointPath is where a node serves its latest verified checkpoint.
const CheckpointPath = "/node/v1/checkpoint"

// Handler serves the node's latest verified checkpoint (public: it is the
// hub's signed checkpoint, which anyone may read); 404 before the first
// sync.
func (m *Mirror) Handler() http.Handler {
	return CheckpointHandler(m.st)
}

// CheckpointHandler serves the latest checkpoint verified in st.
func CheckpointHandler(st Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok, err := st.MirrorState(r.Context())
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		if !ok || len(s.Checkpoint) == 0 {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(s.Checkpoint)
	})
}

func (m *Mirror) fetchPeer(ctx context.Context, url string) ([]byte, error) {
	u := strings.TrimSuffix(url, "/") + CheckpointPath
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := m.opt.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		return nil, fs.ErrNotExist
	default:
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 64<<10))
}

// gossip compares the node's verified log with each peer's checkpoint.
func (r *run) gossip() error {
	peers, err := r.m.st.Peers(r.ctx)
	if err != nil {
		return err
	}
	for _, p := range peers {
		size, perr := r.comparePeer(p.URL)
		errText := ""
		if perr != nil {
			errText = perr.Error()
			r.m.opt.Logger.Info("peer checkpoint not compared", "peer", p.URL, "err", perr)
		}
		if err := r.m.st.SetPeerSeen(r.ctx, p.URL, size, r.m.opt.Now().UTC(), errText); err != nil {
			return err
		}
	}
	return nil
}

// comparePeer fetches one peer's checkpoint and compares it with the
// node's own. An error means the comparison could not be made.
func (r *run) comparePeer(url string) (int64, error) {
	raw, err := r.m.fetchPeer(r.ctx, url)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, errors.New("the peer has verified nothing yet")
	}
	if err != nil {
		return 0, err
	}
	pcp, _, err := ledger.OpenCheckpoint(raw, r.m.v)
	if err != nil {
		return 0, fmt.Errorf("the peer's checkpoint: %w", err)
	}
	st := r.st
	splitView := func(cause error) {
		r.m.opt.Logger.Warn("split view", "peer", url, "peer_size", pcp.Size, "size", st.LogSize, "err", cause)
		r.raise(KindSplitView, "peer "+url, map[string]string{
			"peer": url, "size": itoa(pcp.Size), "root": b64(pcp.Root), "our_size": itoa(st.LogSize), "our_root": b64(st.LogRoot)})
	}
	switch {
	case pcp.Size == st.LogSize:
		if pcp.Root != st.LogRoot {
			splitView(errors.New("same size, another root"))
		}
	case pcp.Size <= st.Size:
		root, err := tlog.TreeHash(pcp.Size, r.local)
		if err != nil {
			return pcp.Size, err
		}
		if root != pcp.Root {
			splitView(errors.New("another root than the mirror's tree at that size"))
		}
	case pcp.Size < st.LogSize:
		proof, err := tlog.ProveTree(st.LogSize, pcp.Size, r.tiles)
		if err == nil {
			err = tlog.CheckTree(proof, st.LogSize, st.LogRoot, pcp.Size, pcp.Root)
		}
		if err != nil {
			splitView(err)
		}
	default:
		// The peer is ahead: the hub must prove that its tree at the
		// peer's size extends ours. A hub that showed the peer a tree it
		// does not show us cannot.
		tiles := ledger.TileHashes(r.ctx, r.m.src, pcp.Size)
		proof, err := tlog.ProveTree(pcp.Size, st.LogSize, tiles)
		if err != nil && !errors.Is(err, fs.ErrNotExist) && !isTileError(err) && !strings.Contains(err.Error(), "not in the tree") {
			return pcp.Size, fmt.Errorf("%w: proof to the peer's size: %v", ErrUnreachable, err)
		}
		if err == nil && st.LogSize > 0 {
			err = tlog.CheckTree(proof, pcp.Size, pcp.Root, st.LogSize, st.LogRoot)
		}
		if err != nil {
			splitView(err)
		}
	}
	return pcp.Size, nil
}
