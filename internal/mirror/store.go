package mirror

import (
	"context"
	"errors"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"parley/internal/ledger"
)

// State is how far the node's copy of the log is verified.
type State struct {
	Origin string
	// Size entries are stored, and Root is the tree hash over them.
	Size int64
	Root tlog.Hash
	// LogSize, LogRoot and Checkpoint are the latest signed checkpoint of
	// the hub that the node verified; Size ≤ LogSize, and the tree of Size
	// is proven consistent with it.
	LogSize    int64
	LogRoot    tlog.Hash
	Checkpoint []byte
	Updated    time.Time
}

// Batch is what one transaction of a sync writes: entries, the hashes
// they add to the tree, and the state after them.
type Batch struct {
	// From is the Size of the state the batch extends; the store refuses
	// the batch when the state moved meanwhile (another sync).
	From    int64
	Entries []ledger.EntryRow
	Hashes  []ledger.HashRow
	State   State
}

// Alarm is something the hub served that contradicts what the node
// verified before, or a statement logged without its party's signature.
type Alarm struct {
	ID string
	// Kind is one of the Kind* constants.
	Kind string
	// Subject names what the alarm is about ("entry 12", "list L7",
	// "size 40"), so that the same problem seen again is one alarm.
	Subject string
	// Params are the catalogue parameters of the alarm's message.
	Params    map[string]string
	FirstSeen time.Time
	LastSeen  time.Time
	AckedBy   string
	AckedAt   time.Time
}

// Acked reports whether an officer acknowledged the alarm.
func (a Alarm) Acked() bool { return !a.AckedAt.IsZero() }

// Alarm kinds.
const (
	KindFork             = "fork"               // the hub's log is not an extension of what the node verified
	KindTruncated        = "truncated"          // the hub's log is smaller than what the node verified
	KindEntryChanged     = "entry_changed"      // an entry's bytes are not those the tree holds
	KindEntryUnsigned    = "entry_unsigned"     // a party's statement without that party's valid signature
	KindListHashMismatch = "list_hash_mismatch" // a list's bytes do not hash to what the log recorded
	KindSplitView        = "split_view"         // another node was shown another log
	KindSignatureInvalid = "signature_invalid"  // a checkpoint or cosignature does not verify
)

// Kinds lists every alarm kind, for metrics and pages.
var Kinds = []string{KindFork, KindTruncated, KindEntryChanged, KindEntryUnsigned, KindListHashMismatch, KindSplitView, KindSignatureInvalid}

// Peer is another node whose verified checkpoint this node compares with
// its own.
type Peer struct {
	URL       string
	Added     time.Time
	LastSize  int64
	LastSeen  time.Time
	LastError string
}

// ReceivedList is a list handed over to (or by) the node's party, as
// fetched from the hub and checked against its log entry.
type ReceivedList struct {
	ID          string
	Index       int64  // the list.handed_over entry
	PrevID      string // the version it replaces, as the entry recorded it
	ContentHash string // as the entry recorded it
	Data        []byte // the canonical bytes (parley-list/v1)
	Received    time.Time
	Checked     time.Time
}

// ErrMoved is what SaveMirrorBatch wraps when the stored size is no
// longer the batch's start: another sync of the same database stored a
// batch first.
var ErrMoved = errors.New("the mirror moved meanwhile (another sync stored a batch)")

// Store keeps the mirror in the node's database. *store.DB implements it.
type Store interface {
	// MirrorState returns the state, and false before the first sync.
	MirrorState(ctx context.Context) (State, bool, error)
	// MirrorHashes returns stored hashes by tlog storage index, in order;
	// a missing one is an error.
	MirrorHashes(ctx context.Context, indexes []int64) ([][]byte, error)
	// MirrorEntries returns the entries with start ≤ index < end.
	MirrorEntries(ctx context.Context, start, end int64) ([]ledger.EntryRow, error)
	// MirrorEntriesOfType returns the entries of the given event types,
	// in index order.
	MirrorEntriesOfType(ctx context.Context, types ...string) ([]ledger.EntryRow, error)
	// SaveMirrorBatch writes a batch in one transaction; it fails when the
	// stored size is not b.From (wrapping ErrMoved).
	SaveMirrorBatch(ctx context.Context, b Batch) error

	// RaiseAlarm stores an alarm, or moves last_seen (and the params) of
	// the one of the same kind and subject. It reports whether the alarm
	// is new.
	RaiseAlarm(ctx context.Context, a Alarm) (bool, error)
	// Alarms returns the alarms, newest first; acknowledged ones only
	// when all is set.
	Alarms(ctx context.Context, all bool) ([]Alarm, error)
	// AckAlarm marks an alarm acknowledged; ErrNotFound when there is none.
	AckAlarm(ctx context.Context, id, by string, at time.Time) error

	// Peers returns the configured peers.
	Peers(ctx context.Context) ([]Peer, error)
	// AddPeer adds a peer (adding one twice is no error).
	AddPeer(ctx context.Context, url string, at time.Time) error
	// SetPeerSeen records the outcome of the latest comparison.
	SetPeerSeen(ctx context.Context, url string, size int64, at time.Time, errText string) error

	// ReceivedLists returns the lists the node fetched from the hub.
	ReceivedLists(ctx context.Context) ([]ReceivedList, error)
	// SaveReceivedList records a fetched list and stores it among the
	// node's lists, in one transaction.
	SaveReceivedList(ctx context.Context, r ReceivedList) error
	// SetListChecked records when a received list was last re-checked.
	SetListChecked(ctx context.Context, id string, at time.Time) error
}
