package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"parley/internal/access"
	"parley/internal/ledger"
	"parley/internal/metrics"
	"parley/internal/mirror"
	"parley/internal/msg"
	"parley/internal/nodes"
	"parley/internal/store"
)

// NewMirror returns the mirror of a party's node: the hub's log as the
// node verifies it (with the hub's log key kept on the node), the node's
// witness cosigning what it verified and pushing the cosignature to the
// hub, and the lists handed over to or by the party fetched through the
// node's signed hub client.
func (s *Service) NewMirror(logger *slog.Logger) (*mirror.Mirror, error) {
	if s.Mode() != nodes.Node {
		return nil, errors.New("this data directory is not a party's node (parley init --node PARTY --hub URL)")
	}
	dir, party := s.db.DataDir(), s.NodeParty()
	logKey, err := ledger.ReadVerifierKey(nodes.HubLogVKeyFile(dir))
	if err != nil {
		return nil, fmt.Errorf("the hub's log key: %w", err)
	}
	own, err := os.ReadFile(strings.TrimSuffix(nodes.PartyKeyFile(dir, party), ".key") + ".vkey")
	if err != nil {
		return nil, fmt.Errorf("the party's verifier key: %w", err)
	}
	wkey, err := os.ReadFile(nodes.WitnessKeyFile(dir, party))
	if err != nil {
		return nil, fmt.Errorf("the node's witness key: %w", err)
	}
	w, err := ledger.NewWitness(strings.TrimSpace(string(wkey)), logKey, s.db)
	if err != nil {
		return nil, err
	}
	hub := s.HubClient()
	return mirror.New(s.db, mirror.Options{
		HubURL: s.HubURL(), LogKey: logKey, Party: party, OwnKey: strings.TrimSpace(string(own)),
		Client: &http.Client{Timeout: 30 * time.Second}, Logger: logger, Now: s.Now,
		Witness: w, WitnessStore: s.db,
		PushCosignature: func(ctx context.Context, cp []byte, line string) error {
			var res mirror.CosignatureResponse
			return hub.Do(ctx, http.MethodPost, mirror.CosignaturesPath, mirror.CosignatureRequest{Checkpoint: string(cp), Cosignature: line}, &res)
		},
		FetchList:   hub.List,
		AlarmCounts: setAlarmMetrics,
	})
}

// setAlarmMetrics sets parley_node_alarms{kind}.
func setAlarmMetrics(counts map[string]int) {
	for k, n := range counts {
		metrics.SetNodeAlarms(k, n)
	}
}

func (s *Service) refreshAlarmMetrics(ctx context.Context) error {
	counts, err := mirror.AlarmCounts(ctx, s.db)
	if err != nil {
		return err
	}
	setAlarmMetrics(counts)
	return nil
}

// The alarms of a party's node: raised by its mirror of the hub's log
// (package mirror) when the hub contradicts what the node verified, and
// kept until an officer acknowledges them. An alarm carries no personal
// data, only indexes, hashes and list ids.

// NodeAlarms returns the node's alarms, newest first: the unacknowledged
// ones, or all when all is set. Anyone with a role on the node may read
// them: they concern the record everyone relies on.
func (s *Service) NodeAlarms(ctx context.Context, actor access.Actor, all bool) ([]mirror.Alarm, error) {
	if !actor.System && len(actor.Roles) == 0 {
		return nil, access.Forbid("alarm.forbidden_read")
	}
	return s.db.Alarms(ctx, all)
}

// AckNodeAlarm records that an officer has seen an alarm and taken it in
// hand; it no longer holds /readyz down. The alarm stays on record.
func (s *Service) AckNodeAlarm(ctx context.Context, actor access.Actor, id string) error {
	if !actor.System && !actor.Has(access.Officer) {
		return access.Forbid("alarm.forbidden_ack")
	}
	err := s.db.AckAlarm(ctx, id, actor.String(), s.Now().UTC())
	if errors.Is(err, store.ErrNotFound) {
		return msg.NewError(ErrNotFound, "alarm.not_found", "id", id)
	}
	if err != nil {
		return err
	}
	s.Logger.Info("node alarm acknowledged", "alarm", id, "by", actor.String())
	return s.refreshAlarmMetrics(ctx)
}

// FirstNodeAlarm returns the newest unacknowledged alarm, or nil; the
// readiness check and the dashboard banner show it.
func (s *Service) FirstNodeAlarm(ctx context.Context) (*mirror.Alarm, error) {
	as, err := s.db.Alarms(ctx, false)
	if err != nil || len(as) == 0 {
		return nil, err
	}
	return &as[0], nil
}

// TrustedWitnessKeys returns the witness keys (cosignature/v1 verifier
// keys) the mediator trusts for a party: a cosignature the party's node
// pushes to the hub must verify with one of them.
func (s *Service) TrustedWitnessKeys(ctx context.Context, party string) ([]string, error) {
	var out []string
	err := s.db.View(ctx, func(tx *store.Tx) error {
		ks, err := tx.PartyKeys(ctx)
		for _, k := range ks {
			if k.Party == party && k.Kind == nodes.KindWitness {
				out = append(out, k.VKey)
			}
		}
		return err
	})
	return out, err
}
