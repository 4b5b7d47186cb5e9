package ledger

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ErrNotFound is returned by storage when a record does not exist.
var ErrNotFound = errors.New("not found")

// EntryRow is a stored log entry.
type EntryRow struct {
	Index   int64
	Data    []byte
	Type    string // the event type, repeated for look-ups
	Subject string // the event subject, repeated for look-ups
	Time    time.Time
}

// CheckpointRow is a stored checkpoint, with the log's signature only.
type CheckpointRow struct {
	Size int64
	Note []byte
	Time time.Time
}

// CosignatureRow is a stored cosignature of a checkpoint.
type CosignatureRow struct {
	Size    int64
	Witness string // the witness key name
	Line    string // the note signature line, "— name base64"
	Time    time.Time
}

// OpeningRow is the private half of one commitment.
type OpeningRow struct {
	Index      int64 // the log entry
	Position   int   // the item's place in the entry's personal tree
	ItemID     string
	Salt       []byte
	Commitment []byte // SHA-256(salt || data), as committed
}

// HashRow is one stored hash in the tlog layout.
type HashRow struct {
	Index int64 // tlog storage index
	Hash  []byte
}

// AppendRecord is everything one append writes, in one call so that a
// store can write it in few statements.
type AppendRecord struct {
	Entry      EntryRow
	Hashes     []HashRow
	Openings   []OpeningRow
	Checkpoint CheckpointRow
}

// ReadStorage reads the log. *store.DB and *store.Tx implement it.
type ReadStorage interface {
	// LogSize returns the number of entries.
	LogSize(ctx context.Context) (int64, error)
	// LogHashes returns the stored hashes at the given tlog storage
	// indexes, in order; a missing one is an error.
	LogHashes(ctx context.Context, indexes []int64) ([][]byte, error)
	// LogEntries returns the entries with start ≤ index < end in index
	// order. A missing entry is simply absent (the verifier reports it).
	LogEntries(ctx context.Context, start, end int64) ([]EntryRow, error)
	// FindLogEntries returns the entries of one event type about one
	// subject, in index order.
	FindLogEntries(ctx context.Context, eventType, subject string) ([]EntryRow, error)
	// LatestCheckpoint returns the checkpoint of the largest size, or
	// ErrNotFound.
	LatestCheckpoint(ctx context.Context) (CheckpointRow, error)
	// CheckpointAt returns the checkpoint for one size, or ErrNotFound.
	CheckpointAt(ctx context.Context, size int64) (CheckpointRow, error)
	// Checkpoints returns the checkpoints with from ≤ size ≤ to, by size.
	Checkpoints(ctx context.Context, from, to int64) ([]CheckpointRow, error)
	// Cosignatures returns the cosignatures of the checkpoint of one size.
	Cosignatures(ctx context.Context, size int64) ([]CosignatureRow, error)
	// CosignedSizes returns the sizes that have any cosignature, largest
	// first.
	CosignedSizes(ctx context.Context) ([]int64, error)
	// LastCosignedSize returns the largest size a witness cosigned, or 0.
	LastCosignedSize(ctx context.Context, witness string) (int64, error)
	// LogOpenings returns an entry's openings by position.
	LogOpenings(ctx context.Context, index int64) ([]OpeningRow, error)
}

// Storage is what Append needs: the caller's open transaction.
// *store.Tx implements it.
type Storage interface {
	ReadStorage
	// LockLog serialises appenders until the transaction ends (on
	// PostgreSQL it locks the head row) and returns the log's size.
	LockLog(ctx context.Context) (int64, error)
	// AppendLog writes one entry with its hashes, openings and checkpoint
	// and moves the head to Entry.Index+1.
	AppendLog(ctx context.Context, rec AppendRecord) error
}

// CosignStorage adds the one write cosigning needs. *store.DB and
// *store.Tx implement it.
type CosignStorage interface {
	ReadStorage
	AddCosignature(ctx context.Context, c CosignatureRow) error
}

// Log is the transparency log of one Parley installation: its keys and
// configuration. It holds no database handle; every method takes the
// storage to use, so that appends run in the caller's transaction. A Log
// is safe for concurrent use.
type Log struct {
	cfg       Config
	signer    note.Signer
	verifier  note.Verifier
	vkey      string
	witnesses map[string]witnessKey // by party
	dataDir   string
	issued    issuedMax
}

type witnessKey struct {
	party    string
	name     string
	vkey     string // cosignature/v1 verifier key
	verifier note.Verifier
}

// Open loads the log's configuration and keys from dataDir/keys.
func Open(dataDir string) (*Log, error) {
	cfg, err := LoadConfig(dataDir)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(dataDir, keysDir)
	if fi, err := os.Stat(dir); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("key directory %s is accessible to other users (mode %v); want 0700", dir, fi.Mode().Perm())
	}
	if err := tightenKeyFiles(dir); err != nil {
		return nil, err
	}
	skey, err := readKeyFile(dir, logKeyFile)
	if err != nil {
		return nil, err
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("log signing key: %w", err)
	}
	vkey, err := readKeyFile(dir, logVKeyFile)
	if err != nil {
		return nil, err
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("log verifier key: %w", err)
	}
	if signer.Name() != cfg.Origin || verifier.Name() != cfg.Origin || signer.KeyHash() != verifier.KeyHash() {
		return nil, errors.New("log keys do not match each other or the configured origin")
	}
	l := &Log{cfg: *cfg, signer: signer, verifier: verifier, vkey: vkey, witnesses: map[string]witnessKey{}, dataDir: dataDir}
	for _, p := range cfg.Parties {
		wvk, err := readKeyFile(dir, fmt.Sprintf(witnessVKeyFmt, p))
		if err != nil {
			return nil, err
		}
		v, err := fnote.NewVerifierForCosignatureV1(wvk)
		if err != nil {
			return nil, fmt.Errorf("witness key of %s: %w", p, err)
		}
		l.witnesses[p] = witnessKey{party: p, name: v.Name(), vkey: wvk, verifier: v}
	}
	return l, nil
}

// Origin returns the checkpoint origin, which is also the log key's name.
func (l *Log) Origin() string { return l.cfg.Origin }

// Config returns the log's configuration.
func (l *Log) Config() Config { return l.cfg }

// VerifierKey returns the log's public key in the signed-note verifier
// key format ("origin+hash+base64"), to hand to anyone who verifies.
func (l *Log) VerifierKey() string { return l.vkey }

// WitnessVerifierKey returns a party's witness key as a cosignature/v1
// verifier key.
func (l *Log) WitnessVerifierKey(party string) (string, error) {
	w, ok := l.witnesses[party]
	if !ok {
		return "", fmt.Errorf("party %q has no witness key in this log", party)
	}
	return w.vkey, nil
}

// Parties returns the parties whose witnesses cosign, sorted.
func (l *Log) Parties() []string {
	ps := slices.Clone(l.cfg.Parties)
	slices.Sort(ps)
	return ps
}

// required returns the parties whose cosignatures make a checkpoint agreed.
func (l *Log) required() []string {
	if len(l.cfg.Required) > 0 {
		return l.cfg.Required
	}
	return l.cfg.Parties
}

// storageHashes adapts ReadStorage to tlog.HashReader. tlog's interface
// has no context, so the adapter carries one.
type storageHashes struct {
	ctx context.Context
	st  ReadStorage
	// extra holds hashes written in this append but not yet visible
	// through st (they are, within the same transaction, but reading them
	// back would cost a query).
	extra map[int64]tlog.Hash
}

func (s storageHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var need []int64
	var at []int
	for i, x := range indexes {
		if h, ok := s.extra[x]; ok {
			out[i] = h
			continue
		}
		need = append(need, x)
		at = append(at, i)
	}
	if len(need) == 0 {
		return out, nil
	}
	got, err := s.st.LogHashes(s.ctx, need)
	if err != nil {
		return nil, err
	}
	if len(got) != len(need) {
		return nil, fmt.Errorf("storage returned %d hashes for %d indexes", len(got), len(need))
	}
	for j, h := range got {
		if len(h) != tlog.HashSize {
			return nil, fmt.Errorf("stored hash %d has %d bytes", need[j], len(h))
		}
		out[at[j]] = tlog.Hash(h)
	}
	return out, nil
}

// Append records an event as the next log entry and signs a checkpoint for
// the new size. It must run inside the caller's transaction, the one that
// makes the state change the event records, so that both are committed
// or neither is. It serialises with every other appender on the same
// database (even in another process) through st.LockLog; the lock is held
// until the transaction ends, so call Append as the last step of the
// transaction (on PostgreSQL, locking other rows after it could deadlock
// with another appender). Several appends in one transaction are fine.
func (l *Log) Append(ctx context.Context, st Storage, ev Event) (int64, error) {
	s, err := seal(ev)
	if err != nil {
		return 0, err
	}
	n, err := st.LockLog(ctx)
	if err != nil {
		return 0, fmt.Errorf("lock log: %w", err)
	}
	leaf := tlog.RecordHash(s.entry)
	hr := storageHashes{ctx: ctx, st: st}
	hashes, err := tlog.StoredHashesForRecordHash(n, leaf, hr)
	if err != nil {
		return 0, fmt.Errorf("log entry %d: compute hashes: %w", n, err)
	}
	base := tlog.StoredHashCount(n)
	rec := AppendRecord{
		Entry: EntryRow{Index: n, Data: s.entry, Type: s.parsed.Type, Subject: s.parsed.Subject, Time: s.parsed.Time},
	}
	hr.extra = make(map[int64]tlog.Hash, len(hashes))
	for i, h := range hashes {
		rec.Hashes = append(rec.Hashes, HashRow{Index: base + int64(i), Hash: h[:]})
		hr.extra[base+int64(i)] = h
	}
	root, err := tlog.TreeHash(n+1, hr)
	if err != nil {
		return 0, fmt.Errorf("log entry %d: tree hash: %w", n, err)
	}
	cp, err := l.sign(n+1, root)
	if err != nil {
		return 0, err
	}
	rec.Checkpoint = CheckpointRow{Size: n + 1, Note: cp, Time: time.Now().UTC()}
	for _, o := range s.openings {
		o.Index = n
		rec.Openings = append(rec.Openings, o)
	}
	if err := st.AppendLog(ctx, rec); err != nil {
		return 0, fmt.Errorf("append log entry %d: %w", n, err)
	}
	return n, nil
}

// sign returns the signed checkpoint note for a tree.
func (l *Log) sign(size int64, root tlog.Hash) ([]byte, error) {
	msg, err := note.Sign(&note.Note{Text: string(checkpointText(l.cfg.Origin, size, root))}, l.signer)
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint %d: %w", size, err)
	}
	return msg, nil
}

// Checkpoint returns the latest checkpoint with its cosignatures. An empty
// log has a checkpoint too (size 0, the empty tree's hash), signed on
// demand.
func (l *Log) Checkpoint(ctx context.Context, st ReadStorage) (*Checkpoint, error) {
	row, err := st.LatestCheckpoint(ctx)
	if errors.Is(err, ErrNotFound) {
		msg, err := l.sign(0, emptyRoot)
		if err != nil {
			return nil, err
		}
		return &Checkpoint{Origin: l.cfg.Origin, Size: 0, Root: emptyRoot, Note: msg}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read latest checkpoint: %w", err)
	}
	return l.withCosignatures(ctx, st, row)
}

// CheckpointAt returns the checkpoint for one size with its cosignatures.
func (l *Log) CheckpointAt(ctx context.Context, st ReadStorage, size int64) (*Checkpoint, error) {
	row, err := st.CheckpointAt(ctx, size)
	if err != nil {
		return nil, fmt.Errorf("read checkpoint %d: %w", size, err)
	}
	return l.withCosignatures(ctx, st, row)
}

func (l *Log) withCosignatures(ctx context.Context, st ReadStorage, row CheckpointRow) (*Checkpoint, error) {
	cp, err := ParseCheckpoint(row.Note)
	if err != nil {
		return nil, fmt.Errorf("stored checkpoint %d: %w", row.Size, err)
	}
	cos, err := st.Cosignatures(ctx, row.Size)
	if err != nil {
		return nil, fmt.Errorf("read cosignatures of checkpoint %d: %w", row.Size, err)
	}
	var lines []string
	for _, c := range cos {
		lines = append(lines, c.Line)
	}
	cp.Note = appendSigLines(row.Note, lines...)
	return cp, nil
}

// Agreed returns the latest checkpoint whose cosignatures satisfy the
// agreement policy (see Cosigners and Policy; by default every party's
// witness), with the names of the witnesses that cosigned it (a party's own
// witness is named by the party id), and agreed = true. When no checkpoint
// is agreed yet it returns the latest checkpoint, whatever cosignatures it
// has, and agreed = false.
func (l *Log) Agreed(ctx context.Context, st ReadStorage) (*Checkpoint, []string, bool, error) {
	cs, pol, err := l.Cosigners(ctx, st)
	if err != nil {
		return nil, nil, false, err
	}
	sizes, err := st.CosignedSizes(ctx)
	if err != nil {
		return nil, nil, false, fmt.Errorf("read cosigned checkpoints: %w", err)
	}
	claimed := claimedCosigners(ctx, st, cs)
	for _, size := range sizes {
		// Verify only where the stored lines could satisfy the policy.
		if names, err := claimed(size); err != nil {
			return nil, nil, false, err
		} else if !pol.Satisfied(cs, names) {
			continue
		}
		cp, err := l.CheckpointAt(ctx, st, size)
		if err != nil {
			return nil, nil, false, err
		}
		who := CosignedBy(cp.Note, cs)
		if pol.Satisfied(cs, who) {
			return cp, who, true, nil
		}
	}
	cp, err := l.Checkpoint(ctx, st)
	if err != nil {
		return nil, nil, false, err
	}
	return cp, CosignedBy(cp.Note, cs), false, nil
}

// InclusionProof proves that entry index is in the tree of the given size.
func InclusionProof(ctx context.Context, st ReadStorage, size, index int64) (tlog.RecordProof, error) {
	p, err := tlog.ProveRecord(size, index, storageHashes{ctx: ctx, st: st})
	if err != nil {
		return nil, fmt.Errorf("prove entry %d in tree %d: %w", index, size, err)
	}
	return p, nil
}

// ConsistencyProof proves that the tree of size old is a prefix of the
// tree of size size.
func ConsistencyProof(ctx context.Context, st ReadStorage, size, old int64) (tlog.TreeProof, error) {
	if old == 0 || old == size {
		return tlog.TreeProof{}, nil
	}
	p, err := tlog.ProveTree(size, old, storageHashes{ctx: ctx, st: st})
	if err != nil {
		return nil, fmt.Errorf("prove tree %d contains tree %d: %w", size, old, err)
	}
	return p, nil
}

// Open returns an opening of one personal item of an entry: the data the
// caller holds for the item (for a list row, the row as it is now), its
// salt, and a proof against the entry's personal root. It fails when the
// data is not what was committed.
func (l *Log) Open(ctx context.Context, st ReadStorage, index int64, it Item) (*Opening, error) {
	rows, err := st.LogOpenings(ctx, index)
	if err != nil {
		return nil, fmt.Errorf("read openings of entry %d: %w", index, err)
	}
	pos := slices.IndexFunc(rows, func(r OpeningRow) bool { return r.ItemID == it.ID })
	if pos < 0 {
		return nil, fmt.Errorf("entry %d has no item %q: %w", index, it.ID, ErrNotFound)
	}
	if Commitment(rows[pos].Salt, it.Data) != tlog.Hash(rows[pos].Commitment) {
		return nil, fmt.Errorf("entry %d item %s: the data given is not what the log committed to", index, it.ID)
	}
	tree, err := personalTree(rows)
	if err != nil {
		return nil, err
	}
	proof, err := tlog.ProveRecord(tree.n, int64(pos), tree)
	if err != nil {
		return nil, err
	}
	return &Opening{
		Format: OpeningFormat, Index: index, ItemID: it.ID, Data: it.Data, Salt: rows[pos].Salt,
		Position: pos, Count: len(rows), Proof: proof,
	}, nil
}

// tightenKeyFiles makes every file in the key directory 0600: the signing
// keys must be readable by their owner only, whatever copied them there.
func tightenKeyFiles(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("key directory: %w", err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			return fmt.Errorf("key file %s: %w", e.Name(), err)
		}
		if fi.Mode().Perm() != 0o600 {
			if err := os.Chmod(filepath.Join(dir, e.Name()), 0o600); err != nil {
				return fmt.Errorf("key file %s: %w", e.Name(), err)
			}
		}
	}
	return nil
}
