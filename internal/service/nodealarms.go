package service

import (
	"context"
	"errors"

	"parley/internal/access"
	"parley/internal/mirror"
	"parley/internal/msg"
	"parley/internal/store"
)

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
	return mirror.RefreshMetrics(ctx, s.db)
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
