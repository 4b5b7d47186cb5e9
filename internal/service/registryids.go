package service

import (
	"context"

	"parley/internal/access"
	"parley/internal/lists"
	"parley/internal/store"
)

// RegistryEntries returns the records of a party's registry with the
// given ids (current or removed), by id, for its own officers: a page
// that names a few records — the other candidates of a matching run's
// rows — reads those, never the whole registry, which may hold a million.
// The read is logged with the count of records it returns.
func (s *Service) RegistryEntries(ctx context.Context, actor access.Actor, party string, ids []string) (map[string]*lists.Entry, error) {
	if !actor.CanReadRegistry(party) {
		return nil, access.Forbid("deny.registry_own")
	}
	out := make(map[string]*lists.Entry, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	err := s.db.View(ctx, func(tx *store.Tx) error {
		recs, err := tx.RegistryRecords(ctx, party, ids)
		for id, r := range recs {
			out[id] = &r.Entry
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := s.recordAccess(ctx, actor, "registry.view", party, len(out)); err != nil {
		return nil, err
	}
	return out, nil
}
