package store

import (
	"context"
	"fmt"
)

// HasNodeOutbox reports whether the node's outbox holds the statement
// (queued, sent or refused), so that a statement carried in a bundle is
// not queued twice.
func (tx *Tx) HasNodeOutbox(ctx context.Context, id string) (bool, error) {
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM node_outbox WHERE id = ?`, id).Scan(&n); err != nil {
		return false, fmt.Errorf("look up statement %s in the outbox: %w", id, err)
	}
	return n > 0, nil
}
