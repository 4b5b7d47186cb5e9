package service

import (
	"context"
	"errors"
	"fmt"

	"parley/internal/access"
	"parley/internal/ledger"
	"parley/internal/store"
)

// The log's witnesses and agreement policy. Registering a witness,
// removing one and changing the policy are appended to the log in the
// transaction that makes the change, so that everyone can see who
// witnesses and whose cosignatures make a checkpoint agreed.

func (s *Service) witnessAdmin(actor access.Actor) error {
	if !actor.CanAdminister() && !actor.CanMediate() {
		return access.Forbid("deny.witnesses")
	}
	if s.lg == nil {
		return Conflict("err.no_log")
	}
	return nil
}

// AddWitness registers a witness by its verifier key and the URL of its
// add-checkpoint endpoint, optionally on behalf of a party, and logs it.
func (s *Service) AddWitness(ctx context.Context, actor access.Actor, name, vkey, url, party string) (ledger.WitnessRow, error) {
	if err := s.witnessAdmin(actor); err != nil {
		return ledger.WitnessRow{}, err
	}
	var row ledger.WitnessRow
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		ws, err := tx.LogWitnesses(ctx)
		if err != nil {
			return err
		}
		row, err = s.lg.NewWitnessRow(ws, name, vkey, url, party)
		if err != nil {
			return invalidErr(err)
		}
		if err := tx.AddLogWitness(ctx, row); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, actor, eventOf(ledger.WitnessAddedEvent(row)))
	})
	return row, err
}

// RemoveWitness removes a registered witness and logs it. A witness the
// agreement policy needs cannot be removed before the policy changes.
func (s *Service) RemoveWitness(ctx context.Context, actor access.Actor, name string) error {
	if err := s.witnessAdmin(actor); err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		ws, err := tx.LogWitnesses(ctx)
		if err != nil {
			return err
		}
		p, has, err := tx.LogPolicy(ctx)
		if err != nil {
			return err
		}
		w, err := s.lg.CheckRemoval(ws, p, has, name)
		if errors.Is(err, ledger.ErrNotFound) {
			return fmt.Errorf("%w: %v", ErrNotFound, err)
		}
		if err != nil {
			return conflictErr(err)
		}
		if err := tx.RemoveLogWitness(ctx, name); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, actor, eventOf(ledger.WitnessRemovedEvent(w)))
	})
}

// Witnesses returns the registered witnesses. They are public: the log
// publishes them.
func (s *Service) Witnesses(ctx context.Context) ([]ledger.WitnessRow, error) {
	return s.db.LogWitnesses(ctx)
}

// SetPolicy replaces the agreement policy — the witnesses (registry names,
// or party ids meaning any witness of that party) that must cosign, and
// how many independent witnesses besides — and logs it.
func (s *Service) SetPolicy(ctx context.Context, actor access.Actor, required []string, independent int) (ledger.PolicyRow, error) {
	if err := s.witnessAdmin(actor); err != nil {
		return ledger.PolicyRow{}, err
	}
	var row ledger.PolicyRow
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		ws, err := tx.LogWitnesses(ctx)
		if err != nil {
			return err
		}
		row, err = s.lg.NewPolicyRow(ws, required, independent)
		if err != nil {
			return invalidErr(err)
		}
		if err := tx.SetLogPolicy(ctx, row); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, actor, eventOf(ledger.PolicySetEvent(row)))
	})
	return row, err
}

// eventOf turns a ledger event (without personal data) into the service's.
func eventOf(ev ledger.Event) Event {
	return Event{Type: ev.Type, Subject: ev.Subject, Attrs: ev.Attrs}
}
