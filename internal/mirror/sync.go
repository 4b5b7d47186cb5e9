package mirror

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"parley/internal/ledger"
)

// ErrUnreachable marks a sync that could not reach the hub (or a peer):
// nothing was learnt, nothing is wrong with the log.
var ErrUnreachable = errors.New("the hub cannot be reached")

// DefaultBatch is how many entries one transaction of a sync stores.
const DefaultBatch = 4096

// Options configure a Mirror.
type Options struct {
	// HubURL is the hub's base URL; the log is under HubURL/log/.
	HubURL string
	// LogKey is the hub's log verifier key (keys/log.vkey on the node).
	LogKey string
	// Party is the node's party.
	Party string
	// OwnKey is the verifier key of the node's own party key, trusted for
	// the party's statements besides the keys the log publishes.
	OwnKey string
	// Client fetches from the hub and the peers; nil: 30 s timeout.
	Client *http.Client
	Logger *slog.Logger
	// Batch is the number of entries stored per transaction, a multiple
	// of 256; 0 means DefaultBatch.
	Batch int
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// Witness, when set, is the node's witness: it cosigns each checkpoint
	// the mirror verified in full, with its state in WitnessStore.
	Witness      *ledger.Witness
	WitnessStore ledger.WitnessStore
	// PushCosignature sends the witness's cosignature line of a checkpoint
	// to the hub (POST /hub/v1/cosignatures); nil: not sent.
	PushCosignature func(ctx context.Context, checkpoint []byte, line string) error
	// AlarmCounts, when set, receives after each sync the number of
	// unacknowledged alarms of every kind (for the parley_node_alarms
	// metric).
	AlarmCounts func(counts map[string]int)
	// FetchList returns the canonical bytes of a handed-over list as the
	// hub serves them (GET /hub/v1/lists/{id}); nil: lists are not
	// fetched.
	FetchList func(ctx context.Context, id string) ([]byte, error)
}

// Mirror keeps the node's verified copy of the hub's log. It is safe for
// concurrent use; syncs run one at a time.
type Mirror struct {
	opt Options
	st  Store
	v   note.Verifier
	src *ledger.HTTPSource
	mu  sync.Mutex
}

// New returns a mirror keeping its copy in st.
func New(st Store, opt Options) (*Mirror, error) {
	v, err := note.NewVerifier(opt.LogKey)
	if err != nil {
		return nil, fmt.Errorf("hub log verifier key: %w", err)
	}
	if opt.HubURL == "" {
		return nil, errors.New("mirror: no hub URL")
	}
	if opt.Client == nil {
		opt.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Batch <= 0 {
		opt.Batch = DefaultBatch
	}
	opt.Batch = (opt.Batch + ledger.TileWidth - 1) / ledger.TileWidth * ledger.TileWidth
	if opt.Now == nil {
		opt.Now = time.Now
	}
	src := &ledger.HTTPSource{URL: strings.TrimSuffix(opt.HubURL, "/") + "/log", Client: opt.Client}
	return &Mirror{opt: opt, st: st, v: v, src: src}, nil
}

// Witness returns the node's witness, nil when none is configured.
func (m *Mirror) Witness() *ledger.Witness { return m.opt.Witness }

// Origin returns the log's origin, the name of its key.
func (m *Mirror) Origin() string { return m.v.Name() }

// Result is what one sync found.
type Result struct {
	// LogSize is the size of the hub's latest verified checkpoint,
	// VerifiedSize the entries held and verified.
	LogSize, VerifiedSize int64
	// Added is the number of entries stored by this sync.
	Added int64
	// CosignedSize is the size the node's witness last cosigned.
	CosignedSize int64
	// ListsReceived is the number of lists fetched and checked so far.
	ListsReceived int
	// Alarms are those raised (or seen again) by this sync.
	Alarms []Alarm
}

// Sync fetches the hub's latest checkpoint, verifies it against what the
// node verified before, fetches and verifies the new entries, stores them
// batch by batch, audits them, cosigns, compares with the peers and
// fetches the lists handed over to or by the party. A problem with the
// log raises an alarm and stops the sync before anything unverified is
// stored; an error means the sync could not run (the hub unreachable,
// the database failing) and is retried next time.
func (m *Mirror) Sync(ctx context.Context) (*Result, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := &run{m: m, ctx: ctx, res: &Result{}}
	err := r.sync()
	// The node's server and a "node status" or "node sync" beside it may
	// sync the same database at once (the lock above is per process):
	// when the other one stored a batch first, start again from what it
	// stored.
	for try := 0; errors.Is(err, ErrMoved) && try < 3; try++ {
		m.opt.Logger.Debug("another sync moved the mirror; syncing again", "err", err)
		r = &run{m: m, ctx: ctx, res: &Result{}}
		err = r.sync()
	}
	if merr := m.RefreshMetrics(ctx); merr != nil && err == nil {
		err = merr
	}
	return r.res, err
}

// run is the state of one sync.
type run struct {
	m   *Mirror
	ctx context.Context
	res *Result
	st  State
	raw []byte
	cp  *ledger.Checkpoint
	// tiles read the hub's hash tiles for the tree of cp.
	tiles tlog.HashReader
	local *localHashes
	audit *auditor
}

func (r *run) raise(kind, subject string, params map[string]string) {
	a := Alarm{Kind: kind, Subject: subject, Params: params, LastSeen: r.m.opt.Now().UTC()}
	r.res.Alarms = append(r.res.Alarms, a)
	isNew, err := r.m.st.RaiseAlarm(r.ctx, a)
	if err != nil {
		r.m.opt.Logger.Error("store alarm", "kind", kind, "subject", subject, "err", err)
		return
	}
	args := []any{"kind", kind, "subject", subject}
	for k, v := range params {
		args = append(args, k, v)
	}
	if isNew {
		r.m.opt.Logger.Warn("node alarm", args...)
	} else {
		r.m.opt.Logger.Debug("node alarm seen again", args...)
	}
}

func b64(h tlog.Hash) string { return base64.StdEncoding.EncodeToString(h[:]) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func (r *run) sync() error {
	st, ok, err := r.m.st.MirrorState(r.ctx)
	if err != nil {
		return err
	}
	if !ok {
		st = State{Origin: r.m.v.Name(), Root: emptyRoot(), LogRoot: emptyRoot()}
	}
	r.st = st
	r.res.LogSize, r.res.VerifiedSize = st.LogSize, st.Size
	r.local = newLocalHashes(r.ctx, r.m.st)

	raw, err := r.m.src.ReadCheckpoint(r.ctx)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	if errors.Is(err, fs.ErrNotExist) {
		if st.LogSize > 0 {
			r.raise(KindTruncated, "size "+itoa(st.LogSize), map[string]string{"size": "0", "trusted_size": itoa(st.LogSize)})
		}
		return nil
	}
	cp, _, err := ledger.OpenCheckpoint(raw, r.m.v)
	if err != nil {
		size := "?"
		if c, perr := ledger.ParseCheckpoint(raw); perr == nil {
			size = itoa(c.Size)
		}
		r.raise(KindSignatureInvalid, "checkpoint "+size, map[string]string{"size": size, "key": r.m.v.Name()})
		return nil
	}
	r.raw, r.cp = raw, cp
	r.tiles = ledger.TileHashes(r.ctx, r.m.src, cp.Size)
	if ok, err := r.checkHead(); err != nil || !ok {
		return err
	}
	if r.audit, err = newAuditor(r.ctx, r.m, st.Size); err != nil {
		return err
	}
	r.audit.checkCosignatures(r, raw, cp.Size)
	if ok, err := r.fetchEntries(); err != nil || !ok {
		return err
	}
	if err := r.cosign(); err != nil {
		r.m.opt.Logger.Warn("cosign the hub's checkpoint", "size", r.cp.Size, "err", err)
	}
	if err := r.gossip(); err != nil {
		return err
	}
	return r.receiveLists()
}

// checkHead checks the hub's checkpoint against the last one the node
// verified: not smaller, not another root at the same size, and
// consistent with it (proof from the hub's tiles).
func (r *run) checkHead() (bool, error) {
	st, cp := r.st, r.cp
	if st.LogSize == 0 {
		return true, nil
	}
	fork := func(err error) {
		r.m.opt.Logger.Warn("hub checkpoint not consistent", "size", cp.Size, "trusted_size", st.LogSize, "err", err)
		r.raise(KindFork, "size "+itoa(st.LogSize), map[string]string{
			"size": itoa(cp.Size), "root": b64(cp.Root), "trusted_size": itoa(st.LogSize), "trusted_root": b64(st.LogRoot)})
	}
	switch {
	case cp.Size < st.LogSize:
		r.raise(KindTruncated, "size "+itoa(st.LogSize), map[string]string{"size": itoa(cp.Size), "trusted_size": itoa(st.LogSize)})
		return false, nil
	case cp.Size == st.LogSize:
		if cp.Root != st.LogRoot {
			fork(errors.New("same size, another root"))
			return false, nil
		}
		return true, nil
	}
	proof, err := tlog.ProveTree(cp.Size, st.LogSize, r.tiles)
	if err != nil && !errors.Is(err, fs.ErrNotExist) && !isTileError(err) {
		return false, fmt.Errorf("%w: consistency proof: %w", ErrUnreachable, err)
	}
	if err == nil {
		err = tlog.CheckTree(proof, cp.Size, cp.Root, st.LogSize, st.LogRoot)
	}
	if err != nil {
		fork(err)
		return false, nil
	}
	return true, nil
}

// isTileError reports whether a proof failed on what the hub served (a
// tile of the wrong size) rather than on the way there.
func isTileError(err error) bool {
	return strings.Contains(err.Error(), "has") && strings.Contains(err.Error(), "bytes, want")
}

// fetchEntries fetches, verifies and stores the entries the node does not
// hold yet, batch by batch.
func (r *run) fetchEntries() (bool, error) {
	cp := r.cp
	b := &batch{from: r.st.Size}
	saved := r.st
	for next := r.st.Size; next < cp.Size; {
		k := next / ledger.TileWidth
		w := int(min(ledger.TileWidth, cp.Size-k*ledger.TileWidth))
		ok, err := r.readBundle(k, w, next, b)
		if err != nil || !ok {
			return ok, err
		}
		next = k*ledger.TileWidth + int64(w)
		if next-b.from >= int64(r.m.opt.Batch) || next == cp.Size {
			ok, err := r.flush(b, next, &saved)
			if err != nil || !ok {
				return ok, err
			}
			b = &batch{from: next}
		}
	}
	if r.st.Size == cp.Size && (saved.LogSize != cp.Size || string(saved.Checkpoint) != string(r.raw)) {
		// No new entry, but a newer checkpoint note (a new size with
		// entries already held, or new cosignatures): keep it.
		saved.LogSize, saved.LogRoot, saved.Checkpoint = cp.Size, cp.Root, r.raw
		if err := r.m.st.SaveMirrorBatch(r.ctx, Batch{From: saved.Size, State: saved}); err != nil {
			return false, err
		}
	}
	r.st = saved
	r.res.LogSize, r.res.VerifiedSize = saved.LogSize, saved.Size
	return true, nil
}

// batch collects the entries of one transaction.
type batch struct {
	from    int64
	entries []ledger.EntryRow
	hashes  []ledger.HashRow
	// leafMismatch is the first entry whose leaf hash differs from the
	// hub's tile, with both hashes.
	leafMismatch      int64
	leafGot, leafWant tlog.Hash
	mismatched        bool
	parsed            []*ledger.Entry
}

// readBundle reads entry bundle k (width w) and the matching level-0 hash
// tile, and adds the entries from index next on to the batch. Entries
// before next are held already: they must be served unchanged.
func (r *run) readBundle(k int64, w int, next int64, b *batch) (bool, error) {
	start := k * ledger.TileWidth
	data, err := r.m.src.ReadEntryBundle(r.ctx, k, widthParam(w))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("%w: entry bundle %d: %w", ErrUnreachable, k, err)
	}
	var es [][]byte
	if err == nil {
		es, err = ledger.ParseBundle(data)
	}
	if err != nil || len(es) != w {
		r.raise(KindEntryChanged, "entries "+itoa(start), map[string]string{"from": itoa(start), "to": itoa(start + int64(w) - 1), "size": itoa(r.cp.Size)})
		return false, nil
	}
	if next > start {
		held, err := r.m.st.MirrorEntries(r.ctx, start, next)
		if err != nil {
			return false, err
		}
		for _, h := range held {
			if d := es[h.Index-start]; string(d) != string(h.Data) {
				got, want := tlog.RecordHash(d), tlog.RecordHash(h.Data)
				r.raise(KindEntryChanged, "entry "+itoa(h.Index), map[string]string{"index": itoa(h.Index), "got": b64(got), "want": b64(want)})
				return false, nil
			}
		}
	}
	for j := int(next - start); j < w; j++ {
		i := start + int64(j)
		d := es[j]
		leaf := tlog.RecordHash(d)
		if served, err := r.leafFromTiles(i); err == nil && served != leaf && !b.mismatched {
			b.mismatched, b.leafMismatch, b.leafGot, b.leafWant = true, i, leaf, served
		}
		hs, err := tlog.StoredHashesForRecordHash(i, leaf, r.local)
		if err != nil {
			return false, fmt.Errorf("entry %d: compute hashes: %w", i, err)
		}
		base := tlog.StoredHashCount(i)
		for n, h := range hs {
			r.local.pending[base+int64(n)] = h
			b.hashes = append(b.hashes, ledger.HashRow{Index: base + int64(n), Hash: h[:]})
		}
		row := ledger.EntryRow{Index: i, Data: d}
		e, perr := ledger.ParseEntry(d)
		if perr == nil {
			row.Type, row.Subject = e.Type, e.Subject
		}
		b.entries = append(b.entries, row)
		b.parsed = append(b.parsed, e)
	}
	return true, nil
}

func (r *run) leafFromTiles(i int64) (tlog.Hash, error) {
	hs, err := r.tiles.ReadHashes([]int64{tlog.StoredHashIndex(0, i)})
	if err != nil {
		return tlog.Hash{}, err
	}
	return hs[0], nil
}

// flush verifies the batch against the signed checkpoint (the root when it
// ends there, a consistency proof from the hub's tiles otherwise), audits
// it and stores it.
func (r *run) flush(b *batch, end int64, saved *State) (bool, error) {
	cp := r.cp
	root, err := tlog.TreeHash(end, r.local)
	if err != nil {
		return false, fmt.Errorf("tree hash at %d: %w", end, err)
	}
	var verr error
	if end == cp.Size {
		if root != cp.Root {
			verr = errors.New("root differs from the signed checkpoint")
		}
	} else {
		proof, err := tlog.ProveTree(cp.Size, end, r.tiles)
		if err != nil && !errors.Is(err, fs.ErrNotExist) && !isTileError(err) {
			return false, fmt.Errorf("%w: consistency proof: %w", ErrUnreachable, err)
		}
		if err == nil {
			err = tlog.CheckTree(proof, cp.Size, cp.Root, end, root)
		}
		verr = err
	}
	if verr != nil {
		r.m.opt.Logger.Warn("mirrored entries do not verify", "from", b.from, "to", end-1, "size", cp.Size, "err", verr)
		if b.mismatched {
			r.raise(KindEntryChanged, "entry "+itoa(b.leafMismatch), map[string]string{
				"index": itoa(b.leafMismatch), "got": b64(b.leafGot), "want": b64(b.leafWant)})
		} else {
			r.raise(KindEntryChanged, "entries "+itoa(b.from), map[string]string{"from": itoa(b.from), "to": itoa(end - 1), "size": itoa(cp.Size)})
		}
		return false, nil
	}
	for j, e := range b.parsed {
		r.audit.check(r, b.entries[j].Index, e)
	}
	next := State{Origin: r.m.v.Name(), Size: end, Root: root, LogSize: cp.Size, LogRoot: cp.Root, Checkpoint: r.raw}
	if err := r.m.st.SaveMirrorBatch(r.ctx, Batch{From: b.from, Entries: b.entries, Hashes: b.hashes, State: next}); err != nil {
		return false, err
	}
	*saved = next
	r.st.Size = end
	r.res.Added += int64(len(b.entries))
	r.res.VerifiedSize = end
	r.local.commit()
	return true, nil
}

func widthParam(w int) int {
	if w == ledger.TileWidth {
		return 0
	}
	return w
}

// emptyRoot is the tree hash of the empty tree (RFC 6962: SHA-256 of
// nothing).
func emptyRoot() tlog.Hash {
	h, _ := tlog.TreeHash(0, nil)
	return h
}

// localHashes reads the mirror's stored hashes, and those of the batch
// being built, as a tlog.HashReader.
type localHashes struct {
	ctx     context.Context
	st      Store
	pending map[int64]tlog.Hash
	cache   map[int64]tlog.Hash
}

func newLocalHashes(ctx context.Context, st Store) *localHashes {
	return &localHashes{ctx: ctx, st: st, pending: map[int64]tlog.Hash{}, cache: map[int64]tlog.Hash{}}
}

// commit forgets the hashes of a stored batch but the few the next
// entries will read again (the right edge of the tree).
func (l *localHashes) commit() {
	l.cache = l.pending
	l.pending = map[int64]tlog.Hash{}
}

// ReadHashes implements tlog.HashReader.
func (l *localHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var need []int64
	var at []int
	for i, x := range indexes {
		if h, ok := l.pending[x]; ok {
			out[i] = h
		} else if h, ok := l.cache[x]; ok {
			out[i] = h
		} else {
			need = append(need, x)
			at = append(at, i)
		}
	}
	if len(need) == 0 {
		return out, nil
	}
	got, err := l.st.MirrorHashes(l.ctx, need)
	if err != nil {
		return nil, err
	}
	for j, h := range got {
		if len(h) != tlog.HashSize {
			return nil, fmt.Errorf("stored mirror hash %d has %d bytes", need[j], len(h))
		}
		out[at[j]] = tlog.Hash(h)
		l.cache[need[j]] = tlog.Hash(h)
	}
	return out, nil
}

// RefreshMetrics hands the counts of unacknowledged alarms by kind to
// Options.AlarmCounts.
func (m *Mirror) RefreshMetrics(ctx context.Context) error {
	if m.opt.AlarmCounts == nil {
		return nil
	}
	counts, err := AlarmCounts(ctx, m.st)
	if err != nil {
		return err
	}
	m.opt.AlarmCounts(counts)
	return nil
}

// AlarmCounts returns the number of unacknowledged alarms of every kind
// (zero included).
func AlarmCounts(ctx context.Context, st Store) (map[string]int, error) {
	as, err := st.Alarms(ctx, false)
	if err != nil {
		return nil, err
	}
	counts := make(map[string]int, len(Kinds))
	for _, k := range Kinds {
		counts[k] = 0
	}
	for _, a := range as {
		counts[a.Kind]++
	}
	return counts, nil
}
