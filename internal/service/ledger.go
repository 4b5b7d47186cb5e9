package service

import (
	"context"
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
	s.Ledger = lg
	s.Log = ledgerLog{lg}
}
