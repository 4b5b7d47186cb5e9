package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"parley/internal/access"
	"parley/internal/bundle"
	"parley/internal/ledger"
	"parley/internal/msg"
	"parley/internal/nodes"
	"parley/internal/statement"
	"parley/internal/store"
)

// This file carries a node's signed statements by hand, for a delegation
// without network (docs/nodes.md, "Bundles"): export writes the queued
// statements with their payloads and proofs to a parley-bundle/v1 file,
// import at another node of the same party verifies it and queues the
// statements for the hub.

// ErrNothingToExport is returned when no queued statement matches.
var ErrNothingToExport = errors.New("no statement waits for the hub")

// bundleActor checks that the actor may act for the node's party.
func (s *Service) bundleActor(actor access.Actor) error {
	if s.Mode() != nodes.Node {
		return msg.NewError(ErrWrongMode, "err.bundle.node_only")
	}
	if !actor.CanActForParty(s.node.party) {
		return access.Forbid("deny.act_for_party", "actor", actor.String(), "party", s.node.party)
	}
	return nil
}

// ownStatementKey returns the verifier key of the node's statement key.
func (s *Service) ownStatementKey() (string, error) {
	path := strings.TrimSuffix(nodes.PartyKeyFile(s.db.DataDir(), s.node.party), ".key") + ".vkey"
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read the node's statement verifier key: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// hubLogKey returns the hub's log verifier key kept on the node.
func (s *Service) hubLogKey() (string, error) {
	b, err := os.ReadFile(nodes.HubLogVKeyFile(s.db.DataDir()))
	if err != nil {
		return "", fmt.Errorf("read the hub's log key: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// ExportBundle returns a bundle of the statements that wait for the hub:
// those about subject (a list or proposal id), or all when subject is "".
// Each carries its payload; the proofs of the entries they refer to come
// from the node's verified mirror.
func (s *Service) ExportBundle(ctx context.Context, actor access.Actor, subject string) (*bundle.Bundle, error) {
	if err := s.bundleActor(actor); err != nil {
		return nil, err
	}
	key, err := s.ownStatementKey()
	if err != nil {
		return nil, err
	}
	var pending []store.NodeOutboxItem
	err = s.db.View(ctx, func(tx *store.Tx) (err error) {
		pending, err = tx.PendingNodeOutbox(ctx, 10000)
		return err
	})
	if err != nil {
		return nil, err
	}
	b := &bundle.Bundle{Log: s.node.hubOrigin, Party: s.node.party, Key: key}
	var refs []*statement.Statement
	for _, o := range pending {
		if subject != "" && o.Subject != subject {
			continue
		}
		st, err := statement.Text(o.Note)
		if err != nil {
			return nil, fmt.Errorf("queued statement %s: %w", o.ID, err)
		}
		b.Statements = append(b.Statements, bundle.Item{Note: string(o.Note), Payload: o.Payload})
		refs = append(refs, st)
	}
	if len(b.Statements) == 0 {
		return nil, ErrNothingToExport
	}
	if err := s.addBundleProofs(ctx, b, refs); err != nil {
		return nil, err
	}
	return b, nil
}

// addBundleProofs adds, for each statement that refers to an earlier log
// entry, that entry with its inclusion proof in the mirror's latest
// verified checkpoint.
func (s *Service) addBundleProofs(ctx context.Context, b *bundle.Bundle, sts []*statement.Statement) error {
	need := map[string][]string{} // subject -> acceptable types
	for _, st := range sts {
		if types, subj := bundle.References(st); len(types) > 0 {
			need[subj] = types
		}
	}
	if len(need) == 0 {
		return nil
	}
	state, ok, err := s.db.MirrorState(ctx)
	if err != nil {
		return err
	}
	if !ok || state.Size != state.LogSize {
		return Conflict("err.bundle.not_synced")
	}
	var types []string
	for _, ts := range need {
		types = append(types, ts...)
	}
	rows, err := s.db.MirrorEntriesOfType(ctx, types...)
	if err != nil {
		return err
	}
	hr := mirrorHashReader{ctx: ctx, db: s.db}
	found := map[string]bool{}
	for _, r := range rows {
		ts, ok := need[r.Subject]
		if !ok || found[r.Subject] || !containsString(ts, r.Type) || r.Index >= state.Size {
			continue
		}
		p, err := tlog.ProveRecord(state.Size, r.Index, hr)
		if err != nil {
			return fmt.Errorf("prove log entry %d: %w", r.Index, err)
		}
		b.Proofs = append(b.Proofs, bundle.Proof{Index: r.Index, Entry: string(r.Data), Proof: bundle.EncodeProof(p)})
		found[r.Subject] = true
	}
	for subj := range need {
		if !found[subj] {
			return Conflict("err.bundle.no_entry", "subject", subj)
		}
	}
	b.Checkpoint = string(state.Checkpoint)
	return nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// mirrorHashReader reads the mirror's stored tree hashes.
type mirrorHashReader struct {
	ctx context.Context
	db  *store.DB
}

func (h mirrorHashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	raw, err := h.db.MirrorHashes(h.ctx, indexes)
	if err != nil {
		return nil, err
	}
	out := make([]tlog.Hash, len(raw))
	for i, b := range raw {
		if len(b) != tlog.HashSize {
			return nil, fmt.Errorf("mirror hash %d has %d bytes", indexes[i], len(b))
		}
		out[i] = tlog.Hash(b)
	}
	return out, nil
}

// BundleImport says what ImportBundle queued.
type BundleImport struct {
	Queued  []string // ids of the statements queued now
	Already []string // ids already queued (or sent) by this node
}

// ImportBundle verifies a bundle (see bundle.Verify) against what this
// node trusts — the hub's log key, its own statement key and the keys the
// log records as trusted for its party — and queues every statement for
// the hub in one transaction. A statement already in the node's outbox
// is not queued twice; the hub logs each statement once in any case.
func (s *Service) ImportBundle(ctx context.Context, actor access.Actor, data []byte) (*BundleImport, error) {
	if err := s.bundleActor(actor); err != nil {
		return nil, err
	}
	b, err := bundle.Parse(data)
	if err != nil {
		return nil, err
	}
	logKey, err := s.hubLogKey()
	if err != nil {
		return nil, err
	}
	own, err := s.ownStatementKey()
	if err != nil {
		return nil, err
	}
	keys := []string{own}
	trusted, err := s.db.MirrorEntriesOfType(ctx, "party.key_trusted")
	if err != nil {
		return nil, err
	}
	for _, r := range trusted {
		e, err := ledger.ParseEntry(r.Data)
		if err != nil {
			return nil, fmt.Errorf("mirrored log entry %d: %w", r.Index, err)
		}
		if e.Attrs["party"] == s.node.party && e.Attrs["kind"] == nodes.KindStatement {
			keys = append(keys, e.Attrs["key"])
		}
	}
	verified, err := b.Verify(bundle.Trust{LogKey: logKey, Party: s.node.party, PartyKeys: keys})
	if err != nil {
		return nil, err
	}
	res := &BundleImport{}
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		res.Queued, res.Already = nil, nil
		for _, v := range verified {
			have, err := tx.HasNodeOutbox(ctx, v.Statement.ID)
			if err != nil {
				return err
			}
			if have {
				res.Already = append(res.Already, v.Statement.ID)
				continue
			}
			if err := tx.AddNodeOutbox(ctx, store.NodeOutboxItem{ID: v.Statement.ID, Type: v.Statement.Type, Subject: v.Statement.Subject,
				Note: v.Note, Payload: v.Payload, CreatedAt: s.Now()}); err != nil {
				return err
			}
			res.Queued = append(res.Queued, v.Statement.ID)
		}
		if len(res.Queued) > 0 {
			tx.AfterCommit(func() {
				select {
				case s.node.wake <- struct{}{}:
				default:
				}
			})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.Logger.Info("bundle imported", "party", b.Party, "queued", len(res.Queued), "already", len(res.Already))
	return res, nil
}
