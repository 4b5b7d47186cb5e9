package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"parley/internal/ledger"
)

// This file keeps the registry of the log's witnesses and the agreement
// policy (tables log_witnesses and log_policy, migration 00012): the
// current state of what the witness.added, witness.removed and policy.set
// log entries record.

var (
	_ ledger.WitnessRegistryStorage = (*Tx)(nil)
	_ ledger.WitnessRegistry        = (*DB)(nil)
	_ ledger.WitnessStatusStorage   = (*DB)(nil)
	_ ledger.CosignAllStorage       = (*DB)(nil)
	_ ledger.CosignatureIndex       = (*DB)(nil)
	_ ledger.CosignatureIndex       = (*Tx)(nil)
)

func (l logQ) cosignatureWitnesses(ctx context.Context) (map[int64][]string, error) {
	rows, err := l.query(ctx, `SELECT size, witness FROM log_cosignatures`)
	if err != nil {
		return nil, fmt.Errorf("read cosigners: %w", err)
	}
	defer rows.Close()
	out := map[int64][]string{}
	for rows.Next() {
		var n int64
		var w string
		if err := rows.Scan(&n, &w); err != nil {
			return nil, fmt.Errorf("read cosigners: %w", err)
		}
		out[n] = append(out[n], w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read cosigners: %w", err)
	}
	return out, nil
}

// CosignatureWitnesses returns who cosigned each checkpoint (witness key
// names), without the lines.
func (db *DB) CosignatureWitnesses(ctx context.Context) (map[int64][]string, error) {
	return db.lq().cosignatureWitnesses(ctx)
}

// CosignatureWitnesses returns who cosigned each checkpoint (witness key
// names), without the lines.
func (tx *Tx) CosignatureWitnesses(ctx context.Context) (map[int64][]string, error) {
	return tx.lq().cosignatureWitnesses(ctx)
}

func (l logQ) logWitnesses(ctx context.Context) ([]ledger.WitnessRow, error) {
	rows, err := l.query(ctx, `SELECT name, key_name, vkey, url, party, added_at, last_status, last_attempt_at FROM log_witnesses ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("read witnesses: %w", err)
	}
	defer rows.Close()
	var out []ledger.WitnessRow
	for rows.Next() {
		var w ledger.WitnessRow
		var added, attempt string
		if err := rows.Scan(&w.Name, &w.KeyName, &w.Key, &w.URL, &w.Party, &added, &w.LastStatus, &attempt); err != nil {
			return nil, fmt.Errorf("read witnesses: %w", err)
		}
		w.Added, w.LastAttempt = parseTime(added), parseTime(attempt)
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read witnesses: %w", err)
	}
	return out, nil
}

func (l logQ) logPolicy(ctx context.Context) (ledger.PolicyRow, bool, error) {
	var req, updated string
	var p ledger.PolicyRow
	err := l.queryRow(ctx, `SELECT required, independent, updated_at FROM log_policy WHERE id = 1`).Scan(&req, &p.Independent, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return ledger.PolicyRow{}, false, nil
	}
	if err != nil {
		return ledger.PolicyRow{}, false, fmt.Errorf("read agreement policy: %w", err)
	}
	if req != "" {
		p.Required = strings.Split(req, ",")
	}
	p.Updated = parseTime(updated)
	return p, true, nil
}

// LogWitnesses returns the registered witnesses by name.
func (tx *Tx) LogWitnesses(ctx context.Context) ([]ledger.WitnessRow, error) {
	return tx.lq().logWitnesses(ctx)
}

// LogPolicy returns the agreement policy, and false when none was set.
func (tx *Tx) LogPolicy(ctx context.Context) (ledger.PolicyRow, bool, error) {
	return tx.lq().logPolicy(ctx)
}

// AddLogWitness registers a witness.
func (tx *Tx) AddLogWitness(ctx context.Context, w ledger.WitnessRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO log_witnesses (name, key_name, vkey, url, party, added_at) VALUES (?, ?, ?, ?, ?, ?)`,
		w.Name, w.KeyName, w.Key, w.URL, w.Party, timeText(w.Added))
	if err != nil {
		return fmt.Errorf("register witness %s: %w", w.Name, err)
	}
	return nil
}

// RemoveLogWitness deletes a witness from the registry.
func (tx *Tx) RemoveLogWitness(ctx context.Context, name string) error {
	res, err := tx.Exec(ctx, `DELETE FROM log_witnesses WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("remove witness %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("witness %q: %w", name, ledger.ErrNotFound)
	}
	return nil
}

// SetLogPolicy replaces the agreement policy.
func (tx *Tx) SetLogPolicy(ctx context.Context, p ledger.PolicyRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO log_policy (id, required, independent, updated_at) VALUES (1, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET required = excluded.required, independent = excluded.independent, updated_at = excluded.updated_at`,
		strings.Join(p.Required, ","), p.Independent, timeText(p.Updated))
	if err != nil {
		return fmt.Errorf("set agreement policy: %w", err)
	}
	return nil
}

// LogWitnesses returns the registered witnesses by name.
func (db *DB) LogWitnesses(ctx context.Context) ([]ledger.WitnessRow, error) {
	return db.lq().logWitnesses(ctx)
}

// LogPolicy returns the agreement policy, and false when none was set.
func (db *DB) LogPolicy(ctx context.Context) (ledger.PolicyRow, bool, error) {
	return db.lq().logPolicy(ctx)
}

// SetLogWitnessStatus records the outcome of the latest push to a
// registered witness. It is bookkeeping for the log page, outside any
// logged transaction.
func (db *DB) SetLogWitnessStatus(ctx context.Context, name, status string, at time.Time) error {
	if len(status) > 500 {
		status = strings.ToValidUTF8(status[:500], "")
	}
	if _, err := db.lq().exec(ctx, `UPDATE log_witnesses SET last_status = ?, last_attempt_at = ? WHERE name = ?`, status, timeText(at), name); err != nil {
		return fmt.Errorf("record status of witness %s: %w", name, err)
	}
	return nil
}
