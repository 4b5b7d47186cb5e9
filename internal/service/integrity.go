package service

import (
	"context"
	"errors"
	"fmt"

	"parley/internal/ledger"
)

// ErrHalted is returned for every state change while the stored log
// contradicts what it already signed or issued (see CheckLog).
var ErrHalted = errors.New("the server is halted")

// CheckLog checks that the stored log agrees with everything it has
// promised (ledger.Log.CheckStored: the latest checkpoint, every issued
// checkpoint and receipt, every cosignature). When it does not, the
// service halts: Halted returns the reason, readiness fails with it and
// every state change is refused, so that the log never appends a
// different entry at an index it already signed. Only an operator who
// restores the lost entries (from a backup or a party's mirror) can
// resume; restarting is not enough, since the check runs again.
func (s *Service) CheckLog(ctx context.Context) error {
	if s.lg == nil {
		return nil
	}
	err := s.lg.CheckStored(ctx, s.db)
	if err == nil {
		// Checked: the smaller issued checkpoints are prefixes of the
		// largest one and need not be checked again one by one.
		return s.db.PruneIssuedCheckpoints(ctx)
	}
	var bad *ledger.InconsistentError
	if errors.As(err, &bad) {
		s.halted.Store(&err)
		s.Logger.Error("the stored log contradicts what it already signed or issued; refusing state changes", "err", err)
	}
	return err
}

// Halted returns why the service refuses state changes, or nil.
func (s *Service) Halted() error {
	if p := s.halted.Load(); p != nil {
		return fmt.Errorf("%w: %w", ErrHalted, *p)
	}
	return nil
}
