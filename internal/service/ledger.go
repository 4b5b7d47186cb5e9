package service

import (
	"strings"

	"context"
	"parley/internal/access"
	"time"

	"parley/internal/ledger"
	"parley/internal/metrics"
	"parley/internal/store"
)

// ledgerLog adapts the signed log of package ledger to EventLog.
type ledgerLog struct{ lg *ledger.Log }

func (l ledgerLog) Append(ctx context.Context, tx *store.Tx, actor string, at time.Time, ev Event) (int64, error) {
	items := make([]ledger.Item, len(ev.Personal))
	for i, it := range ev.Personal {
		items[i] = ledger.Item{ID: it.ID, Data: it.Data}
	}
	idx, err := l.lg.Append(ctx, tx, ledger.Event{Type: ev.Type, Time: at, Actor: actor, Subject: ev.Subject, Attrs: ev.Attrs, Personal: items})
	if err == nil {
		tx.AfterCommit(func() { metrics.SetLogSize(idx + 1) })
	}
	return idx, err
}

// AttachLedger makes every state change append to the signed log lg, in
// the same transaction as the change.
func (s *Service) AttachLedger(lg *ledger.Log) {
	s.lg = lg
	s.Log = ledgerLog{lg}
}

// RecordKeys appends a "keys.published" event that commits the log to its
// own verifier key and to each party's witness key, so that a later key
// change cannot go unnoticed: whoever replaces a key must log the change.
func (s *Service) RecordKeys(ctx context.Context, actor access.Actor) error {
	if !actor.CanAdminister() && !actor.CanMediate() {
		return access.Forbid("deny.publish_keys")
	}
	if s.lg == nil {
		return Conflict("err.no_log")
	}
	attrs := map[string]string{"origin": s.lg.Origin(), "log_key": s.lg.VerifierKey()}
	for _, p := range s.lg.Parties() {
		k, err := s.lg.WitnessVerifierKey(p)
		if err != nil {
			return err
		}
		attrs["witness_key."+strings.ToLower(p)] = k
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		return s.recordEvent(ctx, tx, actor, Event{Type: "keys.published", Subject: s.lg.Origin(), Attrs: attrs})
	})
}
