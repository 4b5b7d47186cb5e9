package service

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"time"

	"parley/internal/access"
	"parley/internal/ledger"
	"parley/internal/lists"
	"parley/internal/store"
)

// This file holds what the front ends (the workbench, the JSON API, the
// family site and the command line's server) read besides the use cases:
// the signed log's state and receipts, dashboard figures and readiness.
// They reach the database and the log only through these methods, so that
// every access check lives in the service.

// ErrNoLog reports an installation that keeps no signed log.
var ErrNoLog = errors.New("this installation keeps no signed log")

// AdminStore hands the database to the command line's administration and
// to the background workers that run beside the service in one process
// (the notification dispatcher, the durability report at start-up). They
// act as the system, outside any user's request; the web front ends must
// never call it (a test in internal/web checks that they do not).
func AdminStore(s *Service) *store.DB { return s.db }

// HasLog reports whether a signed log is attached.
func (s *Service) HasLog() bool { return s.lg != nil }

// LogState is what the log's public state page and API show: the latest
// checkpoint, the one the witnesses agreed on, who may cosign and under
// which policy, and the verifier keys.
type LogState struct {
	Checkpoint *ledger.Checkpoint
	// Agreed is the latest checkpoint the policy's witnesses cosigned;
	// nil when none has been agreed yet.
	Agreed *ledger.Checkpoint
	// Entries counts the stored log entries.
	Entries   int64
	Cosigners []ledger.Cosigner
	Policy    ledger.Policy
	Parties   []string
	// LogKey is the log's verifier key; WitnessKeys each party's own
	// witness's verifier key.
	LogKey      string
	WitnessKeys map[string]string
}

// LogState issues the current checkpoint and reads its agreement. A
// halted log hands out no checkpoint (see CheckLog). The log is public:
// any caller may read it.
func (s *Service) LogState(ctx context.Context) (*LogState, error) {
	if s.lg == nil {
		return nil, ErrNoLog
	}
	if err := s.Halted(); err != nil {
		return nil, err
	}
	cp, err := s.lg.IssueCheckpoint(ctx, s.db)
	if err != nil {
		return nil, fmt.Errorf("log checkpoint: %w", err)
	}
	agreedCp, _, agreed, err := s.lg.Agreed(ctx, s.db)
	if err != nil {
		return nil, fmt.Errorf("log agreement: %w", err)
	}
	entries, err := s.db.LogSize(ctx)
	if err != nil {
		return nil, fmt.Errorf("log size: %w", err)
	}
	cs, pol, err := s.lg.Cosigners(ctx, s.db)
	if err != nil {
		return nil, fmt.Errorf("log witnesses: %w", err)
	}
	st := &LogState{Checkpoint: cp, Entries: entries, Cosigners: cs, Policy: pol, Parties: s.lg.Parties(), LogKey: s.lg.VerifierKey(), WitnessKeys: map[string]string{}}
	if agreed {
		st.Agreed = agreedCp
	}
	for _, p := range st.Parties {
		wk, err := s.lg.WitnessVerifierKey(p)
		if err != nil {
			return nil, err
		}
		st.WitnessKeys[p] = wk
	}
	return st, nil
}

// LogVerifierKey is the log's verifier key; empty without a log.
func (s *Service) LogVerifierKey() string {
	if s.lg == nil {
		return ""
	}
	return s.lg.VerifierKey()
}

// LogCosigners returns every witness whose cosignature counts and the
// policy in effect, for checking a receipt someone brings.
func (s *Service) LogCosigners(ctx context.Context) ([]ledger.Cosigner, ledger.Policy, error) {
	if s.lg == nil {
		return nil, ledger.Policy{}, ErrNoLog
	}
	return s.lg.Cosigners(ctx, s.db)
}

// ListReceipt issues the receipt of a handed-over list the actor may read;
// a list the actor may not read is not found.
func (s *Service) ListReceipt(ctx context.Context, actor access.Actor, id string) (*ledger.Receipt, error) {
	l, err := s.ReadableList(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if l.State == lists.Draft {
		return nil, fmt.Errorf("list %s has not been handed over, so it has no receipt: %w", id, ErrNotFound)
	}
	if s.lg == nil {
		return nil, ErrNoLog
	}
	rc, err := s.lg.IssueReceipt(ctx, s.db, id)
	if errors.Is(err, ledger.ErrNotFound) {
		return nil, fmt.Errorf("list %s: no hand-over in the log: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("receipt of list %s: %w", id, err)
	}
	return rc, nil
}

// LogHandlers returns what serves the log to the outside: the C2SP tiles
// and each party's witness endpoint, keyed by party. Both are nil without
// a log.
func (s *Service) LogHandlers() (tiles http.Handler, witnesses map[string]http.Handler, err error) {
	if s.lg == nil {
		return nil, nil, nil
	}
	witnesses = map[string]http.Handler{}
	for _, p := range s.lg.Parties() {
		h, err := s.lg.WitnessHandler(p, s.db)
		if err != nil {
			return nil, nil, err
		}
		witnesses[p] = h
	}
	return s.lg.TilesHandler(s.db), witnesses, nil
}

// LogParties names the parties whose witnesses the log keeps, in order.
func (s *Service) LogParties() []string {
	if s.lg == nil {
		return nil
	}
	return s.lg.Parties()
}

// RunLogCosigner cosigns the log every interval until ctx ends; it returns
// at once without a log.
func (s *Service) RunLogCosigner(ctx context.Context, every time.Duration, opt ledger.CosignOptions) {
	if s.lg == nil {
		return
	}
	s.lg.RunCosigner(ctx, s.db, every, opt)
}

// listFilter is the selection of lists the actor sees (see ListLists).
func listFilter(actor access.Actor) (store.ListFilter, error) {
	f := store.ListFilter{}
	switch {
	case actor.System:
	case actor.Has(access.Officer):
		f.Party = actor.Party
	case actor.Has(access.Mediator), actor.Has(access.Observer):
		f.HandedOverOnly = true
	default:
		return f, access.Forbid("deny.no_lists")
	}
	return f, nil
}

// visible applies the selection of listFilter to one header, as
// store.Tx.Lists does in SQL.
func visible(f store.ListFilter, l *lists.List) bool {
	if f.Party != "" && l.From != f.Party && (l.To != f.Party || l.State == lists.Draft) {
		return false
	}
	if f.HandedOverOnly && l.State == lists.Draft {
		return false
	}
	return true
}

// ReadableList returns the header of one list among those ListLists shows
// the actor, without listing them all; any other id is not found. It
// records no access: a header names no person.
func (s *Service) ReadableList(ctx context.Context, actor access.Actor, id string) (*lists.List, error) {
	f, err := listFilter(actor)
	if errors.Is(err, access.ErrForbidden) {
		return nil, fmt.Errorf("list %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	var l *lists.List
	err = s.db.View(ctx, func(tx *store.Tx) (err error) {
		l, err = tx.List(ctx, id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, ErrNotFound) || (err == nil && !visible(f, l)) {
		return nil, fmt.Errorf("list %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return l, nil
}

// CategoryCounts counts persons per category code on those of the given
// lists the actor sees ("" for persons with no category); only totals
// leave the service, no person. The dashboard asks for them on every view
// and they count every entry of the lists, so they are kept per process
// until this process changes a record (see derive).
func (s *Service) CategoryCounts(ctx context.Context, actor access.Actor, ids []string) (map[string]int, error) {
	counts, err := deriveLists(ctx, s, "categories|"+scopeKey(actor)+"|"+strings.Join(ids, ","), func() (map[string]int, error) {
		return s.categoryCounts(ctx, actor, ids)
	})
	if err != nil {
		return nil, err
	}
	return maps.Clone(counts), nil
}

func (s *Service) categoryCounts(ctx context.Context, actor access.Actor, ids []string) (map[string]int, error) {
	seen, err := s.ListLists(ctx, actor)
	if err != nil {
		return nil, err
	}
	may := make(map[string]bool, len(seen))
	for _, l := range seen {
		may[l.ID] = true
	}
	var keep []string
	for _, id := range ids {
		if may[id] {
			keep = append(keep, id)
		}
	}
	counts := map[string]int{}
	const batch = 200
	err = s.db.View(ctx, func(tx *store.Tx) error {
		for start := 0; start < len(keep); start += batch {
			part := keep[start:min(start+batch, len(keep))]
			args := make([]any, len(part))
			for i, id := range part {
				args[i] = id
			}
			q := `SELECT categories, COUNT(*) FROM list_entries WHERE list_id IN (?` + strings.Repeat(", ?", len(part)-1) + `) GROUP BY categories`
			rows, err := tx.Query(ctx, q, args...)
			if err != nil {
				return fmt.Errorf("count categories: %w", err)
			}
			for rows.Next() {
				var cats string
				var n int
				if err := rows.Scan(&cats, &n); err != nil {
					rows.Close()
					return err
				}
				if cats == "" {
					counts[""] += n
					continue
				}
				for _, c := range strings.Split(cats, ";") {
					counts[c] += n
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return counts, nil
}

// Ready reports whether the database answers.
func (s *Service) Ready(ctx context.Context) error {
	return s.db.View(ctx, func(tx *store.Tx) error {
		var one int
		return tx.QueryRow(ctx, `SELECT 1`).Scan(&one)
	})
}
