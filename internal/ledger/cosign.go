package ledger

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// CosignAllStorage is what pushing to every witness needs: the log, the
// cosignatures, and the state of the parties' own witnesses served in
// this process. *store.DB implements it.
type CosignAllStorage interface {
	CosignStorage
	WitnessStore
}

// CosignOptions tune CosignAll.
type CosignOptions struct {
	// Client talks to registered witnesses; nil: a client with a 15 s
	// timeout.
	Client *http.Client
	// Attempts is how often a witness that cannot be reached (or answers
	// 5xx) is tried; 0 means 3.
	Attempts int
	// Backoff is the wait before the second attempt, doubled after each;
	// 0 means one second.
	Backoff time.Duration
	// Logger, when set, receives one line per witness.
	Logger *slog.Logger
}

// CosignOutcome is what became of one witness's push.
type CosignOutcome struct {
	Witness string // registry name (a party's own witness: the party id)
	Party   string
	Size    int64 // the checkpoint size pushed
	// Cosigned is true when a valid cosignature of the checkpoint is now
	// stored; Already when it was stored before and nothing was sent.
	Cosigned, Already bool
	// Conflicts are the 409 answers received on the way, each with the
	// size the witness holds.
	Conflicts []*WitnessError
	// Fork is true when the witness's answers show it holds a history
	// this log is not consistent with.
	Fork bool
	Err  error
}

// Status is a short text of the outcome, for the witness list.
func (o CosignOutcome) Status() string {
	switch {
	case o.Already || o.Cosigned:
		return fmt.Sprintf("cosigned %d", o.Size)
	case o.Fork:
		return fmt.Sprintf("fork at %d: %v", o.Size, o.Err)
	default:
		return fmt.Sprintf("failed at %d: %v", o.Size, o.Err)
	}
}

// ErrFork marks a witness's refusal that shows a split view: the witness
// cosigned a history this log's latest checkpoint is not consistent with.
var ErrFork = errors.New("the witness holds a different history (fork)")

// CosignAll pushes the latest checkpoint, with the consistency proof from
// the size each witness last cosigned, to every witness whose cosignature
// counts: the parties' own witnesses whose keys are kept here, and every
// registered witness at its URL. A witness that already cosigned it is
// skipped. A witness that cannot be reached is tried again (Attempts,
// Backoff); one that answers 409 is sent the proof from the size it
// reports. Each valid cosignature is stored. Nothing here holds a lock
// on the log: appends never wait for a witness.
func (l *Log) CosignAll(ctx context.Context, st CosignAllStorage, opt CosignOptions) ([]CosignOutcome, error) {
	row, err := st.LatestCheckpoint(ctx)
	if errors.Is(err, ErrNotFound) {
		return nil, errors.New("the log is empty: nothing to cosign")
	}
	if err != nil {
		return nil, fmt.Errorf("read latest checkpoint: %w", err)
	}
	cs, _, err := l.Cosigners(ctx, st)
	if err != nil {
		return nil, err
	}
	if opt.Client == nil {
		opt.Client = &http.Client{Timeout: 15 * time.Second}
	}
	if opt.Attempts <= 0 {
		opt.Attempts = 3
	}
	if opt.Backoff <= 0 {
		opt.Backoff = time.Second
	}
	var out []CosignOutcome
	for _, c := range cs {
		o := CosignOutcome{Witness: c.Name, Party: c.Party, Size: row.Size}
		last, err := st.LastCosignedSize(ctx, c.KeyName)
		if err != nil {
			return out, err
		}
		if last >= row.Size {
			o.Already = true
			out = append(out, o)
			continue
		}
		var w WitnessClient
		if c.Builtin {
			lw, err := l.Witness(c.Party, st)
			if errors.Is(err, fs.ErrNotExist) {
				// The party keeps its witness key on its own machine: it
				// runs its witness there and registers it.
				o.Err = fmt.Errorf("the private key of party %s's witness is not kept here; register the party's witness with its URL", c.Party)
				out = append(out, o)
				continue
			}
			if err != nil {
				return out, err
			}
			w = lw
		} else if c.URL == "" {
			// A party node's witness the hub cannot reach: the node
			// pushes its cosignatures itself.
			o.Err = fmt.Errorf("witness %s has no URL; its cosignatures come from its node", c.Name)
			out = append(out, o)
			continue
		} else {
			w = &HTTPWitness{URL: c.URL, Client: opt.Client}
		}
		wait := opt.Backoff
		for attempt := 1; ; attempt++ {
			o.Conflicts, o.Fork, o.Err = nil, false, nil
			var res pushResult
			res, o.Err = l.push(ctx, st, row, c, []Cosigner{c}, w)
			o.Conflicts, o.Fork, o.Cosigned = res.conflicts, res.fork, o.Err == nil
			if o.Err == nil || !retryable(o.Err) || attempt >= opt.Attempts {
				break
			}
			if opt.Logger != nil {
				opt.Logger.Warn("witness unreachable, retrying", "witness", c.Name, "attempt", attempt, "err", o.Err)
			}
			select {
			case <-ctx.Done():
				return out, ctx.Err()
			case <-time.After(wait):
			}
			wait *= 2
		}
		if ss, ok := st.(WitnessStatusStorage); ok && !c.Builtin {
			if err := ss.SetLogWitnessStatus(ctx, c.Name, o.Status(), time.Now().UTC()); err != nil {
				return out, err
			}
		}
		if opt.Logger != nil {
			if o.Err != nil {
				opt.Logger.Warn("witness did not cosign", "witness", c.Name, "size", o.Size, "fork", o.Fork, "err", o.Err)
			} else {
				opt.Logger.Info("witness cosigned", "witness", c.Name, "size", o.Size)
			}
		}
		out = append(out, o)
	}
	return out, nil
}

// retryable reports whether a push failed for a reason that may pass: the
// witness could not be reached, or answered with a server error. A
// witness's considered refusal (4xx) is not retried.
func retryable(err error) bool {
	var we *WitnessError
	if errors.As(err, &we) {
		return we.Status >= 500
	}
	return !errors.Is(err, ErrFork) && !errors.Is(err, ErrNoCosignature) && !errors.Is(err, context.Canceled)
}

type pushResult struct {
	conflicts []*WitnessError
	fork      bool
}

// push sends one checkpoint to one witness, proving consistency from the
// size primary last cosigned (or the size the witness reports in a 409),
// and stores the cosignature line of whichever of accept verifies.
func (l *Log) push(ctx context.Context, st CosignStorage, row CheckpointRow, primary Cosigner, accept []Cosigner, w WitnessClient) (pushResult, error) {
	var res pushResult
	size := row.Size
	// The checkpoint leaves the server here, to a witness that may be
	// another party's: record it first, like any checkpoint served.
	if is, ok := st.(IssueStorage); ok {
		cp, err := ParseCheckpoint(row.Note)
		if err != nil {
			return res, fmt.Errorf("stored checkpoint %d: %w", size, err)
		}
		if err := l.recordCheckpoint(ctx, is, cp); err != nil {
			return res, err
		}
	}
	old, err := st.LastCosignedSize(ctx, primary.KeyName)
	if err != nil {
		return res, err
	}
	var sigs []byte
	for attempt := 0; ; attempt++ {
		if old > size {
			res.fork = true
			return res, fmt.Errorf("witness %s has cosigned size %d, larger than this log's latest checkpoint %d: this log was truncated or forked: %w", primary.Name, old, size, ErrFork)
		}
		proof, err := ConsistencyProof(ctx, st, size, old)
		if err != nil {
			return res, err
		}
		req := AddCheckpointRequest{OldSize: old, Proof: proof, Checkpoint: row.Note}
		sigs, err = w.AddCheckpoint(ctx, req.Marshal())
		var we *WitnessError
		if errors.As(err, &we) && we.Status == http.StatusConflict {
			res.conflicts = append(res.conflicts, we)
			if we.Size >= 0 && we.Size != old && attempt < 2 {
				old = we.Size // the witness knows another size: prove from there
				continue
			}
			res.fork = we.Size >= 0
			if res.fork {
				return res, fmt.Errorf("witness %s refused checkpoint %d: 409 Conflict, it holds size %d with another root: %w", primary.Name, size, we.Size, ErrFork)
			}
		}
		if errors.As(err, &we) && we.Status == http.StatusUnprocessableEntity {
			// The proof from the size the witness holds does not lead to
			// this checkpoint: what it cosigned at that size is not a
			// prefix of this log.
			res.fork = true
			return res, fmt.Errorf("witness %s refused checkpoint %d: the consistency proof from size %d, which it holds, does not verify (422): %w",
				primary.Name, size, old, ErrFork)
		}
		if err != nil {
			return res, fmt.Errorf("cosign checkpoint %d by %s: %w", size, primary.Name, err)
		}
		break
	}
	full := appendSigLines(row.Note, strings.Split(strings.TrimSuffix(string(sigs), "\n"), "\n")...)
	for _, c := range accept {
		n, err := note.Open(full, note.VerifierList(c.Verifier))
		if err != nil {
			continue
		}
		for _, s := range n.Sigs {
			if s.Name != c.KeyName || s.Hash != c.Verifier.KeyHash() {
				continue
			}
			line := fmt.Sprintf("— %s %s", s.Name, s.Base64)
			if err := st.AddCosignature(ctx, CosignatureRow{Size: size, Witness: c.KeyName, Line: line, Time: time.Now().UTC()}); err != nil {
				return res, err
			}
			return res, nil
		}
	}
	return res, fmt.Errorf("the answer of witness %s: %w (key %s)", primary.Name, ErrNoCosignature, primary.KeyName)
}

// ErrNoCosignature is a witness's answer without a cosignature that
// verifies with the key registered for it: asking again will not help.
var ErrNoCosignature = errors.New("no cosignature that verifies with the witness's key")

// partyCosigners returns a party's own witness and the witnesses
// registered on its behalf.
func partyCosigners(cs []Cosigner, party string) []Cosigner {
	var out []Cosigner
	for _, c := range cs {
		if c.Party == party {
			out = append(out, c)
		}
	}
	return out
}

// RunCosigner pushes each new checkpoint to every witness (CosignAll)
// until ctx ends: at once, then every interval, as long as the latest
// checkpoint is not cosigned by all of them. It runs beside the server, so
// that agreement does not wait for someone to type a command; appends
// never wait for it. A witness that is down or refuses is retried at the
// next interval.
func (l *Log) RunCosigner(ctx context.Context, st CosignAllStorage, every time.Duration, opt CosignOptions) {
	if opt.Attempts <= 0 {
		opt.Attempts = 1 // the next tick is the retry
	}
	t := time.NewTicker(every)
	defer t.Stop()
	done := int64(-1) // the size every witness has cosigned
	for {
		row, err := st.LatestCheckpoint(ctx)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			if opt.Logger != nil && ctx.Err() == nil {
				opt.Logger.Warn("cosigner: read latest checkpoint", "err", err)
			}
		case row.Size != done:
			outs, err := l.CosignAll(ctx, st, opt)
			if err != nil && opt.Logger != nil && ctx.Err() == nil {
				opt.Logger.Warn("cosigner", "err", err)
			}
			if err == nil && allCosigned(outs) {
				done = row.Size
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func allCosigned(outs []CosignOutcome) bool {
	for _, o := range outs {
		if !o.Cosigned && !o.Already {
			return false
		}
	}
	return true
}
