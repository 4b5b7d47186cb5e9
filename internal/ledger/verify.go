package ledger

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"parley/internal/hubclient"
	"parley/internal/lists"
)

// Source is where a verifier reads a log: the three kinds of C2SP
// tlog-tiles resources. A resource that does not exist is reported as an
// error wrapping fs.ErrNotExist.
type Source interface {
	ReadCheckpoint(ctx context.Context) ([]byte, error)
	// ReadTile returns a hash tile; width 0 is a full tile.
	ReadTile(ctx context.Context, level int, index int64, width int) ([]byte, error)
	// ReadEntryBundle returns an entry bundle; width 0 is a full bundle.
	ReadEntryBundle(ctx context.Context, index int64, width int) ([]byte, error)
}

// ListStorage lets the verifier compare the lists as stored now with what
// the log committed. *store.Tx and *store.DB implement it.
type ListStorage interface {
	// HandedOverListIDs returns every list that left the draft state.
	HandedOverListIDs(ctx context.Context) ([]string, error)
	// AuditList returns a list with its entries, or nil if it is missing.
	AuditList(ctx context.Context, id string) (*lists.List, error)
}

// StorageSource reads the log straight from the database (a party or an
// auditor with access to the data directory). Besides the tiles it gives
// the verifier every historical checkpoint, the cosignatures, the
// openings and, when the storage implements ListStorage, the lists
// themselves, so that Verify can say precisely what changed.
type StorageSource struct {
	st ReadStorage
}

// NewStorageSource returns a Source over a database.
func NewStorageSource(st ReadStorage) *StorageSource { return &StorageSource{st: st} }

// ReadCheckpoint returns the latest checkpoint with its cosignatures.
func (s *StorageSource) ReadCheckpoint(ctx context.Context) ([]byte, error) {
	row, err := s.st.LatestCheckpoint(ctx)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("checkpoint: %w", fs.ErrNotExist)
	}
	if err != nil {
		return nil, err
	}
	cos, err := s.st.Cosignatures(ctx, row.Size)
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, c := range cos {
		lines = append(lines, c.Line)
	}
	return appendSigLines(row.Note, lines...), nil
}

// ReadTile returns a hash tile from the stored hashes.
func (s *StorageSource) ReadTile(ctx context.Context, level int, index int64, width int) ([]byte, error) {
	b, err := readTile(ctx, s.st, TilePath{Level: level, Index: index, Width: width})
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("tile %d/%d: %w", level, index, fs.ErrNotExist)
	}
	return b, err
}

// ReadEntryBundle returns an entry bundle from the stored entries.
func (s *StorageSource) ReadEntryBundle(ctx context.Context, index int64, width int) ([]byte, error) {
	return readBundle(ctx, s.st, TilePath{Entries: true, Index: index, Width: width})
}

// HTTPSource reads a log served in the C2SP tlog-tiles layout, for
// example a Parley server's /log/.
type HTTPSource struct {
	URL    string       // the log's prefix, e.g. https://parley.example/log
	Client *http.Client // nil: a client with a 30 s timeout
}

func (h *HTTPSource) get(ctx context.Context, path string) ([]byte, error) {
	c := h.Client
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	u := strings.TrimSuffix(h.URL, "/") + "/" + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", path, err)
	}
	defer resp.Body.Close()
	switch code := resp.StatusCode; {
	case code == http.StatusOK:
	case code == http.StatusNotFound:
		return nil, fmt.Errorf("fetch %s: %w", path, fs.ErrNotExist)
	case code >= 500 && code < 600:
		// The hub (or a proxy before it) failed: told apart from a hub
		// that cannot be reached, with what it said.
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("fetch %s: %w", path, hubclient.FailedAnswer(http.MethodGet, "/"+path, code, body))
	default:
		return nil, fmt.Errorf("fetch %s: HTTP %d", path, code)
	}
	// A full entry bundle is at most 256 entries of 64 KiB.
	return io.ReadAll(io.LimitReader(resp.Body, TileWidth*(MaxEntrySize+2)))
}

// ReadCheckpoint fetches <prefix>/checkpoint.
func (h *HTTPSource) ReadCheckpoint(ctx context.Context) ([]byte, error) {
	return h.get(ctx, "checkpoint")
}

// ReadTile fetches a hash tile.
func (h *HTTPSource) ReadTile(ctx context.Context, level int, index int64, width int) ([]byte, error) {
	return h.get(ctx, TilePath{Level: level, Index: index, Width: width}.String())
}

// ReadEntryBundle fetches an entry bundle.
func (h *HTTPSource) ReadEntryBundle(ctx context.Context, index int64, width int) ([]byte, error) {
	return h.get(ctx, TilePath{Entries: true, Index: index, Width: width}.String())
}

// StateFormat versions the verifier's state file.
const StateFormat = "parley-verify-state/v1"

// State is what a verifier trusts from its previous run: the last
// checkpoint it verified. A later checkpoint must be consistent with it;
// a smaller one means the log was truncated, a different root at the same
// size means it forked.
type State struct {
	Format     string    `json:"format"`
	Origin     string    `json:"origin"`
	Size       int64     `json:"size"`
	Root       tlog.Hash `json:"root"`
	Checkpoint string    `json:"checkpoint"`
}

// LoadState reads a state file; a missing file is an empty state (first
// run).
func LoadState(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &State{Format: StateFormat}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("state file %s: %w", path, err)
	}
	if s.Format != StateFormat {
		return nil, fmt.Errorf("state file %s: unknown format %q", path, s.Format)
	}
	return &s, nil
}

// Save writes the state file atomically (write, sync, rename).
func (s *State) Save(path string) error {
	s.Format = StateFormat
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".state-*")
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("save state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return nil
}

// Problem kinds.
const (
	ProblemCheckpoint  = "checkpoint"  // a checkpoint's signature or content is wrong
	ProblemTruncated   = "truncated"   // the log is smaller than the trusted state
	ProblemFork        = "fork"        // the log's history differs from the trusted state
	ProblemEntry       = "entry"       // an entry was edited, reordered or deleted
	ProblemTree        = "tree"        // the tree hashes disagree with the entries
	ProblemCosignature = "cosignature" // a cosignature does not verify
	ProblemList        = "list"        // a list differs from what the log committed
	ProblemRow         = "row"         // a list row differs from its commitment
	ProblemOpenings    = "openings"    // the private openings were altered
)

// Problem is one thing found wrong, named as precisely as the evidence
// allows.
type Problem struct {
	Kind    string
	Entry   int64 // the log entry concerned, or -1
	ListID  string
	Row     int
	Message string
}

func (p Problem) String() string { return p.Message }

// Report is the outcome of Verify.
type Report struct {
	Origin    string
	Size      int64
	Root      tlog.Hash
	Entries   int64    // entries read and checked
	Lists     int      // lists compared with their commitments
	Cosigners []string // witnesses whose cosignature on the latest checkpoint verified
	Problems  []Problem
}

// OK reports whether nothing was found wrong.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

func (r *Report) add(kind string, entry int64, format string, args ...any) {
	r.Problems = append(r.Problems, Problem{Kind: kind, Entry: entry, Message: fmt.Sprintf(format, args...)})
}

func (r *Report) addList(kind string, entry int64, listID string, row int, format string, args ...any) {
	r.Problems = append(r.Problems, Problem{Kind: kind, Entry: entry, ListID: listID, Row: row, Message: fmt.Sprintf(format, args...)})
}

// String renders the report for people: a summary line, then one line per
// problem.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "log %s: size %d, root %s\n", r.Origin, r.Size, base64.StdEncoding.EncodeToString(r.Root[:]))
	if len(r.Cosigners) > 0 {
		fmt.Fprintf(&b, "cosigned by: %s\n", strings.Join(r.Cosigners, ", "))
	}
	if r.OK() {
		fmt.Fprintf(&b, "OK: %d entries and %d lists verified\n", r.Entries, r.Lists)
		return b.String()
	}
	fmt.Fprintf(&b, "FAILED: %d problems\n", len(r.Problems))
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "  %s\n", p.Message)
	}
	return b.String()
}

// Verify checks a log from src as an independent party would, trusting
// nothing but the log's verifier key and its own state from the previous
// run. See VerifyWitnessed.
func Verify(ctx context.Context, src Source, verifierKey string, state *State) (*Report, error) {
	return VerifyWitnessed(ctx, src, verifierKey, nil, state)
}

// VerifyWitnessed checks a log:
//   - the latest checkpoint's signature by the log key, and the
//     cosignatures of the given witnesses (cosignature/v1 verifier keys);
//   - against the trusted state: a smaller size is a truncation, another
//     root at the same size or a failed consistency proof is a fork;
//   - every entry: it recomputes the whole tree from the entries, compares
//     each leaf with the served tiles, the root with the checkpoint, and
//     proves each entry's inclusion from the served tiles;
//   - from a StorageSource also every historical checkpoint and
//     cosignature (which localises a rewritten entry even when its hashes
//     were rewritten too), and every handed-over list against its
//     content hash and per-row commitments.
//
// Problems found go into the report; an error is returned only when the
// verification itself could not run (a bad key, an unreachable server).
// When the report is OK and state is not nil, state is advanced to the
// verified checkpoint; the caller saves it.
func VerifyWitnessed(ctx context.Context, src Source, verifierKey string, witnessKeys []string, state *State) (*Report, error) {
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return nil, fmt.Errorf("log verifier key: %w", err)
	}
	var ws []note.Verifier
	for _, k := range witnessKeys {
		w, err := fnote.NewVerifierForCosignatureV1(k)
		if err != nil {
			return nil, fmt.Errorf("witness key: %w", err)
		}
		ws = append(ws, w)
	}
	rep := &Report{Origin: v.Name(), Root: emptyRoot}
	vr := &verifier{rep: rep, src: src, v: v, ws: ws}
	if err := vr.run(ctx, state); err != nil {
		return nil, err
	}
	if rep.OK() && state != nil {
		*state = State{Format: StateFormat, Origin: rep.Origin, Size: rep.Size, Root: rep.Root, Checkpoint: vr.raw}
	}
	return rep, nil
}

type verifier struct {
	rep  *Report
	src  Source
	v    note.Verifier
	ws   []note.Verifier
	raw  string
	tree *memTree
	// badEntries are entries already reported, to keep the report short.
	badEntries map[int64]bool
	// handovers are the list hand-overs found in the log, by list id.
	handovers map[string][]handover
}

type handover struct {
	index int64
	entry *Entry
}

func (vr *verifier) run(ctx context.Context, state *State) error {
	rep := vr.rep
	raw, err := vr.src.ReadCheckpoint(ctx)
	if errors.Is(err, fs.ErrNotExist) {
		// An empty log. That is fine unless we saw it bigger.
		if state != nil && state.Size > 0 {
			rep.add(ProblemTruncated, -1, "log truncated: the log has no checkpoint, trusted state size %d", state.Size)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("read checkpoint: %w", err)
	}
	vr.raw = string(raw)
	cp, _, err := OpenCheckpoint(raw, vr.v)
	if err != nil {
		rep.add(ProblemCheckpoint, -1, "latest checkpoint: %v (key %s)", err, vr.v.Name())
		return nil
	}
	rep.Size, rep.Root = cp.Size, cp.Root
	vr.checkCosignatures(raw, cp.Size, true)

	if state != nil && state.Size > 0 {
		switch {
		case state.Origin != "" && state.Origin != cp.Origin:
			rep.add(ProblemFork, -1, "checkpoint origin %q is not the trusted log %q", cp.Origin, state.Origin)
		case cp.Size < state.Size:
			rep.add(ProblemTruncated, -1, "log truncated: checkpoint size %d, trusted state size %d", cp.Size, state.Size)
		case cp.Size == state.Size && cp.Root != state.Root:
			rep.add(ProblemFork, -1, "checkpoint for size %d has root %s but trusted state saw root %s at the same size: fork",
				cp.Size, b64(cp.Root), b64(state.Root))
		}
	}

	tiles := newTileReader(ctx, vr.src, cp.Size)
	if state != nil && state.Size > 0 && cp.Size > state.Size {
		proof, err := tlog.ProveTree(cp.Size, state.Size, tiles)
		if err == nil {
			err = tlog.CheckTree(proof, cp.Size, cp.Root, state.Size, state.Root)
		}
		if err != nil {
			rep.add(ProblemFork, -1, "checkpoint for size %d is not consistent with the trusted checkpoint for size %d (root %s): history was rewritten (fork): %v",
				cp.Size, state.Size, b64(state.Root), err)
		}
	}

	if err := vr.checkEntries(ctx, cp, tiles); err != nil {
		return err
	}
	if ss, ok := vr.src.(*StorageSource); ok {
		if err := vr.checkHistory(ctx, ss.st, cp.Size); err != nil {
			return err
		}
		if ls, ok := ss.st.(ListStorage); ok {
			if err := vr.checkLists(ctx, ss.st, ls); err != nil {
				return err
			}
		}
	}
	return nil
}

func b64(h tlog.Hash) string { return base64.StdEncoding.EncodeToString(h[:]) }

// checkCosignatures reports cosignatures by known witnesses that do not
// verify on a checkpoint note; for the latest one it records who cosigned.
func (vr *verifier) checkCosignatures(msg []byte, size int64, latest bool) {
	for _, w := range vr.ws {
		n, err := note.Open(msg, note.VerifierList(w))
		var inv *note.InvalidSignatureError
		switch {
		case errors.As(err, &inv):
			vr.rep.add(ProblemCosignature, -1, "checkpoint for size %d: cosignature of %s does not verify (the checkpoint was changed after it was cosigned)", size, w.Name())
		case err == nil && latest:
			for _, s := range n.Sigs {
				if s.Name == w.Name() {
					vr.rep.Cosigners = append(vr.rep.Cosigners, w.Name())
				}
			}
		}
	}
}

// entriesOf returns the entries of bundle k (width w), with nil for an
// entry that is missing. From a database it reads rows, so that a deleted
// entry is named; from a server it parses the bundle. When the whole
// bundle is unusable it reports that once and returns whole = true.
func (vr *verifier) entriesOf(ctx context.Context, k int64, w int) (out [][]byte, whole bool, err error) {
	start := k * TileWidth
	out = make([][]byte, w)
	if ss, ok := vr.src.(*StorageSource); ok {
		rows, err := ss.st.LogEntries(ctx, start, start+int64(w))
		if err != nil {
			return nil, false, err
		}
		for _, r := range rows {
			if r.Index >= start && r.Index < start+int64(w) {
				out[r.Index-start] = r.Data
			}
		}
		return out, false, nil
	}
	last := start + int64(w) - 1
	b, err := vr.src.ReadEntryBundle(ctx, k, widthParam(w))
	if err != nil {
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		vr.rep.add(ProblemEntry, start, "entries %d to %d: entry bundle %d cannot be fetched: %v", start, last, k, err)
		return out, true, nil
	}
	es, err := ParseBundle(b)
	if err != nil {
		vr.rep.add(ProblemEntry, start, "entries %d to %d: entry bundle %d is malformed: %v", start, last, k, err)
		return out, true, nil
	}
	if len(es) != w {
		vr.rep.add(ProblemEntry, start, "entries %d to %d: entry bundle %d has %d entries, want %d", start, last, k, len(es), w)
		return out, true, nil
	}
	copy(out, es)
	return out, false, nil
}

func (vr *verifier) checkEntries(ctx context.Context, cp *Checkpoint, tiles *tileReader) error {
	rep, size := vr.rep, cp.Size
	vr.tree = newMemTree(int(min(size, 1<<24)))
	vr.badEntries = map[int64]bool{}
	vr.handovers = map[string][]handover{}
	leaves := make([]tlog.Hash, 0, min(size, 1<<24))
	for k := int64(0); k*TileWidth < size; k++ {
		w := int(min(TileWidth, size-k*TileWidth))
		es, whole, err := vr.entriesOf(ctx, k, w)
		if err != nil {
			return fmt.Errorf("read entries: %w", err)
		}
		for j, data := range es {
			i := k*TileWidth + int64(j)
			served, serr := tiles.leaf(i)
			var leaf tlog.Hash
			switch {
			case data == nil:
				if !whole {
					rep.add(ProblemEntry, i, "entry %d: missing from the log (deleted)", i)
				}
				vr.badEntries[i] = true
				leaf = served // keep the rest of the tree checkable
			default:
				leaf = tlog.RecordHash(data)
				if serr == nil && leaf != served {
					rep.add(ProblemEntry, i, "entry %d: hash differs from the tree (entry edited or reordered)", i)
					vr.badEntries[i] = true
				}
				if e, err := ParseEntry(data); err != nil {
					rep.add(ProblemEntry, i, "entry %d: not a valid %s entry: %v", i, EventFormat, err)
					vr.badEntries[i] = true
				} else if e.Type == EventListHandedOver {
					vr.handovers[e.Subject] = append(vr.handovers[e.Subject], handover{index: i, entry: e})
				}
			}
			if serr != nil {
				if t := tlog.TileForIndex(TileHeight, tlog.StoredHashIndex(0, i)); !tiles.reported[t.N] {
					tiles.reported[t.N] = true
					rep.add(ProblemTree, i, "hash tile 0/%d (entries %d to %d) cannot be read: %v", t.N, t.N*TileWidth, t.N*TileWidth+int64(w)-1, serr)
				}
				vr.badEntries[i] = true
			}
			if err := vr.tree.add(leaf); err != nil {
				return err
			}
			leaves = append(leaves, leaf)
		}
	}
	rep.Entries = size
	if root := vr.tree.root(); root != cp.Root {
		rep.add(ProblemTree, -1, "the %d entries give root %s, but the signed checkpoint for size %d says %s", size, b64(root), size, b64(cp.Root))
	}
	// Tiles above level 0 must be what the entries give.
	for _, t := range tlog.NewTiles(TileHeight, 0, size) {
		if t.L == 0 {
			continue
		}
		want, err := tlog.ReadTileData(t, vr.tree)
		if err != nil {
			return err
		}
		got, err := tiles.tile(t.L, t.N, t.W)
		if err != nil || string(got) != string(want) {
			rep.add(ProblemTree, -1, "hash tile %s differs from the tree recomputed from the entries", TilePath{Level: t.L, Index: t.N, Width: widthParam(t.W)})
		}
	}
	// Every entry must be provably included in the signed tree, with proofs
	// built from the served tiles, as a light client would build them.
	// (When the root already differs, every proof fails: nothing to add.)
	if vr.tree.root() != cp.Root {
		return nil
	}
	failed := 0
	for i, leaf := range leaves {
		if vr.badEntries[int64(i)] {
			continue
		}
		p, err := tlog.ProveRecord(size, int64(i), tiles)
		if err == nil {
			err = tlog.CheckRecord(p, size, cp.Root, int64(i), leaf)
		}
		if err != nil {
			if failed < 10 {
				rep.add(ProblemTree, int64(i), "entry %d: not provably included in the signed tree of size %d: %v", i, size, err)
			}
			failed++
		}
	}
	if failed > 10 {
		rep.add(ProblemTree, -1, "%d more entries are not provably included", failed-10)
	}
	return nil
}

// sizeList renders up to ten sizes.
func sizeList(sizes []int64) string {
	var parts []string
	for i, n := range sizes {
		if i == 10 {
			parts = append(parts, fmt.Sprintf("and %d more", len(sizes)-10))
			break
		}
		parts = append(parts, fmt.Sprint(n))
	}
	return strings.Join(parts, ", ")
}

func widthParam(w int) int {
	if w == TileWidth {
		return 0
	}
	return w
}

// checkHistory checks every stored checkpoint against the recomputed tree:
// the first size whose signed root differs pins a rewritten entry, even
// when its stored hashes were rewritten to match. It also checks every
// stored cosignature against the checkpoint it was made on.
func (vr *verifier) checkHistory(ctx context.Context, st ReadStorage, size int64) error {
	rep := vr.rep
	const page = 10000
	var bad []int64 // sizes whose signed root differs from the entries
	missing := 0
	next := int64(1)
	for from := int64(1); from <= size; from += page {
		rows, err := st.Checkpoints(ctx, from, min(from+page-1, size))
		if err != nil {
			return err
		}
		for _, row := range rows {
			missing += int(row.Size - next)
			next = row.Size + 1
			cp, _, err := OpenCheckpoint(row.Note, vr.v)
			if err != nil {
				rep.add(ProblemCheckpoint, -1, "stored checkpoint for size %d: %v", row.Size, err)
				continue
			}
			if cp.Size != row.Size {
				rep.add(ProblemCheckpoint, -1, "stored checkpoint for size %d says size %d", row.Size, cp.Size)
				continue
			}
			if cp.Root != vr.tree.rootAt(row.Size) {
				bad = append(bad, row.Size)
			}
		}
	}
	missing += int(size + 1 - next)
	if missing > 0 {
		rep.add(ProblemCheckpoint, -1, "%d of the %d checkpoints the log signed are missing from the database", missing, size)
	}
	switch first := int64(0); {
	case len(bad) == 0:
	case int64(len(bad)) == size-bad[0]+1 && bad[0] < size:
		// Every checkpoint from one size on disagrees: the entry that
		// size added is not what was signed.
		first = bad[0]
		rep.add(ProblemEntry, first-1, "entry %d: differs from what the log signed at size %d (entry edited, reordered or replaced after it was logged); the %d checkpoints from size %d on disagree with the entries",
			first-1, first, len(bad), first)
	case len(bad) == 1 && bad[0] == size:
		rep.add(ProblemCheckpoint, size-1, "the checkpoint for size %d disagrees with the entries: it was replaced, or entry %d was changed after it was logged", size, size-1)
	default:
		rep.add(ProblemCheckpoint, -1, "the signed checkpoints for sizes %s disagree with the entries while others agree: checkpoints were replaced", sizeList(bad))
	}
	sizes, err := st.CosignedSizes(ctx)
	if err != nil {
		return err
	}
	for _, s := range sizes {
		row, err := st.CheckpointAt(ctx, s)
		if err != nil {
			rep.add(ProblemCosignature, -1, "cosigned checkpoint for size %d is missing", s)
			continue
		}
		cos, err := st.Cosignatures(ctx, s)
		if err != nil {
			return err
		}
		var lines []string
		for _, c := range cos {
			lines = append(lines, c.Line)
		}
		vr.checkCosignatures(appendSigLines(row.Note, lines...), s, false)
	}
	return nil
}

// checkLists compares every list with what its hand-over entry committed.
func (vr *verifier) checkLists(ctx context.Context, st ReadStorage, ls ListStorage) error {
	rep := vr.rep
	ids := make([]string, 0, len(vr.handovers))
	for id := range vr.handovers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		for _, h := range vr.handovers[id] {
			if err := vr.checkList(ctx, st, ls, id, h); err != nil {
				return err
			}
		}
		rep.Lists++
	}
	stored, err := ls.HandedOverListIDs(ctx)
	if err != nil {
		return err
	}
	for _, id := range stored {
		if _, ok := vr.handovers[id]; ok {
			continue
		}
		// Handed over after the checkpoint being verified? Then its entry
		// is beyond it, and the next verification covers it.
		later, err := st.FindLogEntries(ctx, EventListHandedOver, id)
		if err != nil {
			return err
		}
		if len(later) > 0 && later[len(later)-1].Index >= rep.Size {
			continue
		}
		rep.addList(ProblemList, -1, id, 0, "list %s: handed over in the database, but its hand-over is not in the log", id)
	}
	return nil
}

func (vr *verifier) checkList(ctx context.Context, st ReadStorage, ls ListStorage, id string, h handover) error {
	rep := vr.rep
	l, err := ls.AuditList(ctx, id)
	if err != nil {
		return fmt.Errorf("read list %s: %w", id, err)
	}
	if l == nil {
		rep.addList(ProblemList, h.index, id, 0, "list %s: its hand-over is in log entry %d, but the list is missing from the database", id, h.index)
		return nil
	}
	if l.State == lists.Draft {
		rep.addList(ProblemList, h.index, id, 0, "list %s: log entry %d records its hand-over, but the database has it as a draft", id, h.index)
	}
	got, err := lists.ContentHash(l)
	if err != nil {
		return err
	}
	if want := h.entry.Attrs["content_hash"]; got != want {
		rep.addList(ProblemList, h.index, id, 0, "list %s: content hash is now %s, log entry %d committed to %s", id, got, h.index, want)
	}
	if l.ContentHash != "" && l.ContentHash != h.entry.Attrs["content_hash"] {
		rep.addList(ProblemList, h.index, id, 0, "list %s: the recorded content hash %s is not the one log entry %d committed to", id, l.ContentHash, h.index)
	}
	if h.entry.Personal == nil {
		return nil
	}
	ops, err := st.LogOpenings(ctx, h.index)
	if err != nil {
		return err
	}
	tree, err := personalTree(ops)
	if err != nil || tree.n != int64(h.entry.Personal.Count) || tree.root() != h.entry.Personal.Root {
		rep.addList(ProblemOpenings, h.index, id, 0, "log entry %d: the stored openings no longer match the committed personal data (openings altered or deleted); rows of list %s can still be compared one by one", h.index, id)
	}
	items, err := ListItems(l)
	if err != nil {
		return err
	}
	data := make(map[string][]byte, len(items))
	for _, it := range items {
		data[it.ID] = it.Data
	}
	committed := make(map[string]bool, len(ops))
	for _, o := range ops {
		committed[o.ItemID] = true
		row := itemIDRow(o.ItemID)
		d, ok := data[o.ItemID]
		switch {
		case !ok:
			rep.addList(ProblemRow, h.index, id, row, "list %s row %d: removed after hand-over (committed in log entry %d)", id, row, h.index)
		case len(o.Commitment) != tlog.HashSize || Commitment(o.Salt, d) != tlog.Hash(o.Commitment):
			rep.addList(ProblemRow, h.index, id, row, "list %s row %d: content no longer matches commitment in log entry %d", id, row, h.index)
		}
	}
	for _, it := range items {
		if !committed[it.ID] {
			row := itemIDRow(it.ID)
			rep.addList(ProblemRow, h.index, id, row, "list %s row %d: not in the list committed in log entry %d (added after hand-over)", id, row, h.index)
		}
	}
	return nil
}

// tileReader reads hashes from a Source's tiles for a tree of one size, as
// a tlog.HashReader. It does not trust the tiles: the verifier compares
// what it reads with what it recomputes.
type tileReader struct {
	ctx   context.Context
	src   Source
	size  int64
	cache map[[2]int64][]byte
	// reported are the level-0 tiles whose failure is already reported.
	reported map[int64]bool
}

func newTileReader(ctx context.Context, src Source, size int64) *tileReader {
	return &tileReader{ctx: ctx, src: src, size: size, cache: map[[2]int64][]byte{}, reported: map[int64]bool{}}
}

// widthAt returns the width of tile (level, n) in the tree, 0 if none.
func (t *tileReader) widthAt(level int, n int64) int {
	hashes := t.size >> (TileHeight * uint(level))
	if hashes <= n*TileWidth {
		return 0
	}
	return int(min(TileWidth, hashes-n*TileWidth))
}

func (t *tileReader) tile(level int, n int64, w int) ([]byte, error) {
	key := [2]int64{int64(level), n}
	if b, ok := t.cache[key]; ok {
		return b, nil
	}
	b, err := t.src.ReadTile(t.ctx, level, n, widthParam(w))
	if err != nil {
		return nil, err
	}
	if len(b) != w*tlog.HashSize {
		return nil, fmt.Errorf("tile %d/%d has %d bytes, want %d", level, n, len(b), w*tlog.HashSize)
	}
	t.cache[key] = b
	return b, nil
}

// ReadHashes implements tlog.HashReader.
func (t *tileReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		tl := tlog.TileForIndex(TileHeight, x)
		w := t.widthAt(tl.L, tl.N)
		if w < tl.W {
			return nil, fmt.Errorf("hash %d is not in the tree of size %d", x, t.size)
		}
		b, err := t.tile(tl.L, tl.N, w)
		if err != nil {
			return nil, err
		}
		tl.W = w
		h, err := tlog.HashFromTile(tl, b, x)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}

func (t *tileReader) leaf(i int64) (tlog.Hash, error) {
	hs, err := t.ReadHashes([]int64{tlog.StoredHashIndex(0, i)})
	if err != nil {
		return tlog.Hash{}, err
	}
	return hs[0], nil
}

// TileHashes returns a tlog.HashReader over the hash tiles a Source serves
// for the tree of the given size, caching each tile it reads. It trusts
// the tiles no more than a proof checked against a signed root does: use
// it to build proofs (tlog.ProveTree, tlog.ProveRecord) that the caller
// then checks.
func TileHashes(ctx context.Context, src Source, size int64) tlog.HashReader {
	return newTileReader(ctx, src, size)
}
