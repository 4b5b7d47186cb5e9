package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"time"
)

// This file keeps what party nodes add (migrations 00018-00019): the mode
// settings, the hub's trusted party keys and applied statements, and a
// node's outbox of signed statements for the hub.

// NodeSettings returns every node_settings row.
func (tx *Tx) NodeSettings(ctx context.Context) (map[string]string, error) {
	rows, err := tx.Query(ctx, `SELECT key, value FROM node_settings`)
	if err != nil {
		return nil, fmt.Errorf("read node settings: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("read node settings: %w", err)
		}
		out[k] = v
	}
	return out, rows.Err()
}

// SetNodeSetting writes one setting.
func (tx *Tx) SetNodeSetting(ctx context.Context, key, value string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM node_settings WHERE key = ?`, key); err != nil {
		return fmt.Errorf("set node setting %s: %w", key, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO node_settings (key, value) VALUES (?, ?)`, key, value); err != nil {
		return fmt.Errorf("set node setting %s: %w", key, err)
	}
	return nil
}

// PartyKey is a key the hub trusts for a party.
type PartyKey struct {
	Party     string
	Kind      string // "statement" or "witness"
	KeyName   string
	VKey      string
	TrustedAt time.Time
}

// PartyKeys returns the trusted keys, oldest first.
func (tx *Tx) PartyKeys(ctx context.Context) ([]PartyKey, error) {
	rows, err := tx.Query(ctx, `SELECT party, kind, key_name, vkey, trusted_at FROM party_keys ORDER BY trusted_at, vkey`)
	if err != nil {
		return nil, fmt.Errorf("read party keys: %w", err)
	}
	defer rows.Close()
	var out []PartyKey
	for rows.Next() {
		var k PartyKey
		var at string
		if err := rows.Scan(&k.Party, &k.Kind, &k.KeyName, &k.VKey, &at); err != nil {
			return nil, fmt.Errorf("read party keys: %w", err)
		}
		k.TrustedAt = parseTime(at)
		out = append(out, k)
	}
	return out, rows.Err()
}

// AddPartyKey stores a trusted key; false when it was trusted already.
func (tx *Tx) AddPartyKey(ctx context.Context, k PartyKey) (bool, error) {
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM party_keys WHERE vkey = ?`, k.VKey).Scan(&n); err != nil {
		return false, fmt.Errorf("read party keys: %w", err)
	}
	if n > 0 {
		return false, nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO party_keys (party, kind, key_name, vkey, trusted_at) VALUES (?, ?, ?, ?, ?)`,
		k.Party, k.Kind, k.KeyName, k.VKey, timeText(k.TrustedAt))
	if err != nil {
		return false, fmt.Errorf("trust key of %s: %w", k.Party, err)
	}
	return true, nil
}

// HubStatement is a statement the hub applied.
type HubStatement struct {
	ID, Party, Type, Subject, Note string
	Index                          int64
	ReceivedAt                     time.Time
}

// HubStatement returns an applied statement by id, or ErrNotFound.
func (tx *Tx) HubStatement(ctx context.Context, id string) (*HubStatement, error) {
	var h HubStatement
	var at string
	err := tx.QueryRow(ctx, `SELECT id, party, type, subject, note, idx, received_at FROM hub_statements WHERE id = ?`, id).
		Scan(&h.ID, &h.Party, &h.Type, &h.Subject, &h.Note, &h.Index, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read statement %s: %w", id, err)
	}
	h.ReceivedAt = parseTime(at)
	return &h, nil
}

// LockHubStatement makes the transactions that apply one statement (the
// same id arriving twice at once, as when a node retries while its first
// copy is still being applied) take turns until the transaction ends, so
// that the later one reads the earlier one's hub_statements row, answers
// with it and applies nothing. On PostgreSQL it takes a transaction-scoped
// advisory lock keyed on the id (two ids sharing a key merely wait for
// each other); on SQLite the write transaction already holds the
// database's write lock.
func (tx *Tx) LockHubStatement(ctx context.Context, id string) error {
	if tx.dialect != Postgres {
		return nil
	}
	h := fnv.New64a()
	h.Write([]byte("parley/hub_statement\x00"))
	h.Write([]byte(id))
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(h.Sum64())); err != nil {
		return fmt.Errorf("lock statement %s: %w", id, err)
	}
	return nil
}

// AddHubStatement records an applied statement.
func (tx *Tx) AddHubStatement(ctx context.Context, h HubStatement) error {
	_, err := tx.Exec(ctx, `INSERT INTO hub_statements (id, party, type, subject, note, idx, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		h.ID, h.Party, h.Type, h.Subject, h.Note, h.Index, timeText(h.ReceivedAt))
	if err != nil {
		return fmt.Errorf("record statement %s: %w", h.ID, err)
	}
	return nil
}

// NodeOutboxItem is a signed statement a node sends to the hub.
type NodeOutboxItem struct {
	ID, Type, Subject string
	Seq               int64
	Note              []byte
	Payload           []byte // JSON
	CreatedAt         time.Time
	Attempts          int
	LastError         string
	SentAt, RefusedAt time.Time
	HubIndex          int64
}

// AddNodeOutbox queues a statement, after every one queued before it.
func (tx *Tx) AddNodeOutbox(ctx context.Context, o NodeOutboxItem) error {
	var seq int64
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM node_outbox`).Scan(&seq); err != nil {
		return fmt.Errorf("queue statement: %w", err)
	}
	_, err := tx.Exec(ctx, `INSERT INTO node_outbox (id, seq, type, subject, note, payload, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		o.ID, seq, o.Type, o.Subject, string(o.Note), string(o.Payload), timeText(o.CreatedAt))
	if err != nil {
		return fmt.Errorf("queue statement %s: %w", o.ID, err)
	}
	return nil
}

const outboxCols = `id, seq, type, subject, note, payload, created_at, attempts, last_error, sent_at, refused_at, hub_index`

func scanNodeOutbox(rows *sql.Rows) ([]NodeOutboxItem, error) {
	defer rows.Close()
	var out []NodeOutboxItem
	for rows.Next() {
		var o NodeOutboxItem
		var note, payload, created, sent, refused string
		if err := rows.Scan(&o.ID, &o.Seq, &o.Type, &o.Subject, &note, &payload, &created, &o.Attempts, &o.LastError, &sent, &refused, &o.HubIndex); err != nil {
			return nil, fmt.Errorf("read outbox: %w", err)
		}
		o.Note, o.Payload = []byte(note), []byte(payload)
		o.CreatedAt, o.SentAt, o.RefusedAt = parseTime(created), parseTime(sent), parseTime(refused)
		out = append(out, o)
	}
	return out, rows.Err()
}

// PendingNodeOutbox returns the statements not yet sent nor refused, in the
// order they were made.
func (tx *Tx) PendingNodeOutbox(ctx context.Context, limit int) ([]NodeOutboxItem, error) {
	rows, err := tx.Query(ctx, `SELECT `+outboxCols+` FROM node_outbox WHERE sent_at = '' AND refused_at = '' ORDER BY seq LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	return scanNodeOutbox(rows)
}

// NodeOutbox returns every queued statement, newest first.
func (tx *Tx) NodeOutbox(ctx context.Context, limit int) ([]NodeOutboxItem, error) {
	rows, err := tx.Query(ctx, `SELECT `+outboxCols+` FROM node_outbox ORDER BY seq DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	return scanNodeOutbox(rows)
}

// CountPendingNodeOutbox counts the statements waiting for the hub.
func (tx *Tx) CountPendingNodeOutbox(ctx context.Context) (int, error) {
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM node_outbox WHERE sent_at = '' AND refused_at = ''`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count outbox: %w", err)
	}
	return n, nil
}

// MarkNodeOutboxSent records the hub's acceptance of a statement.
func (tx *Tx) MarkNodeOutboxSent(ctx context.Context, id string, at time.Time, hubIndex int64) error {
	_, err := tx.Exec(ctx, `UPDATE node_outbox SET sent_at = ?, hub_index = ?, attempts = attempts + 1, last_error = '' WHERE id = ?`, timeText(at), hubIndex, id)
	if err != nil {
		return fmt.Errorf("mark statement %s sent: %w", id, err)
	}
	return nil
}

// MarkNodeOutboxFailed records a failed attempt; refused marks the hub's
// final refusal.
func (tx *Tx) MarkNodeOutboxFailed(ctx context.Context, id string, at time.Time, msg string, refused bool) error {
	q := `UPDATE node_outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?`
	args := []any{msg, id}
	if refused {
		q = `UPDATE node_outbox SET attempts = attempts + 1, last_error = ?, refused_at = ? WHERE id = ?`
		args = []any{msg, timeText(at), id}
	}
	if _, err := tx.Exec(ctx, q, args...); err != nil {
		return fmt.Errorf("mark statement %s failed: %w", id, err)
	}
	return nil
}

// HubStatementsAbout returns the applied statements about a subject, in
// the order they were received.
func (tx *Tx) HubStatementsAbout(ctx context.Context, subject string) ([]HubStatement, error) {
	rows, err := tx.Query(ctx, `SELECT id, party, type, subject, note, idx, received_at FROM hub_statements WHERE subject = ? ORDER BY idx`, subject)
	if err != nil {
		return nil, fmt.Errorf("read statements about %s: %w", subject, err)
	}
	defer rows.Close()
	var out []HubStatement
	for rows.Next() {
		var h HubStatement
		var at string
		if err := rows.Scan(&h.ID, &h.Party, &h.Type, &h.Subject, &h.Note, &h.Index, &at); err != nil {
			return nil, fmt.Errorf("read statements about %s: %w", subject, err)
		}
		h.ReceivedAt = parseTime(at)
		out = append(out, h)
	}
	return out, rows.Err()
}
