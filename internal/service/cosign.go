package service

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"time"

	"parley/internal/access"
	"parley/internal/ledger"
	"parley/internal/msg"
	"parley/internal/nodes"
)

// How a party's witness cosigns the log, as the log page tells an officer.
const (
	// CosignHere: a single server keeps the party's witness key, and the
	// party's officer has it cosign the latest checkpoint from the page.
	CosignHere = "here"
	// CosignByNode: a party node cosigns the hub's checkpoints itself, with
	// the key it keeps; the page shows the state only.
	CosignByNode = "node"
	// CosignElsewhere: the party's witness runs on the party's own machine
	// (registered by its URL), or the actor acts for no party.
	CosignElsewhere = ""
)

// LogCosignWay says how the actor's party cosigns the log here.
func (s *Service) LogCosignWay(actor access.Actor) string {
	switch {
	case actor.Party == "" || !actor.CanActForParty(actor.Party):
		return CosignElsewhere
	case s.Mode() == nodes.Node:
		return CosignByNode
	case s.lg == nil:
		return CosignElsewhere
	case s.Mode() != nodes.Single || !slices.Contains(s.lg.Parties(), actor.Party):
		return CosignElsewhere
	}
	if _, err := s.lg.Witness(actor.Party, s.db); err != nil {
		return CosignElsewhere
	}
	return CosignHere
}

// CosignLog has the actor's party's witness, whose key this server keeps,
// cosign the latest checkpoint after checking that the log as stored is
// the one its checkpoints commit to (as the command line's log cosign).
// It returns the checkpoint with every cosignature it now carries. A
// checkpoint the witness cosigned before is not cosigned again.
func (s *Service) CosignLog(ctx context.Context, actor access.Actor) (*ledger.Checkpoint, error) {
	if s.lg == nil {
		return nil, ErrNoLog
	}
	if actor.Party == "" || !actor.CanActForParty(actor.Party) {
		return nil, access.Forbid("deny.cosign_officers")
	}
	if s.Mode() != nodes.Single {
		return nil, Conflict("log.cosign_not_here")
	}
	w, err := s.lg.Witness(actor.Party, s.db)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Conflict("log.cosign_key_elsewhere", "party", msg.Raw(actor.Party))
	}
	if err != nil {
		return nil, err
	}
	if err := s.lg.CheckStored(ctx, s.db); err != nil {
		return nil, fmt.Errorf("refusing to have a checkpoint cosigned: %w", err)
	}
	cp, err := s.lg.Cosign(ctx, s.db, actor.Party, w)
	if err != nil {
		return nil, err
	}
	s.Logger.Info("log cosigned", "party", actor.Party, "size", cp.Size, "by", actor.UserID)
	return cp, nil
}

// NodeCosign is what a party node knows of its witness's work: the size
// of the hub's latest checkpoint it verified, and the largest its witness
// cosigned.
type NodeCosign struct {
	Verified int64
	Cosigned int64
	Updated  time.Time
}

// NodeCosignState returns the node's cosigning state for its officers;
// nil before the node's first sync with the hub.
func (s *Service) NodeCosignState(ctx context.Context, actor access.Actor) (*NodeCosign, error) {
	if s.Mode() != nodes.Node {
		return nil, Conflict("log.cosign_not_here")
	}
	if !actor.CanActForParty(s.NodeParty()) && !actor.CanMediate() && !actor.CanAdminister() {
		return nil, access.Forbid("deny.node_state")
	}
	st, ok, err := s.db.MirrorState(ctx)
	if err != nil || !ok {
		return nil, err
	}
	out := &NodeCosign{Verified: st.LogSize, Updated: st.Updated}
	row, ok, err := s.db.WitnessState(ctx, nodes.WitnessName(st.Origin, s.NodeParty()), st.Origin)
	if err != nil {
		return nil, err
	}
	if ok {
		out.Cosigned = row.Size
	}
	return out, nil
}
