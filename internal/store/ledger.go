package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"parley/internal/ledger"
	"parley/internal/lists"
)

// This file stores the transparency log of package ledger (tables log_*,
// migration 00002). *Tx implements ledger.Storage, so that an append runs
// in the same transaction as the state change it records; *DB implements
// the read side (ledger.ReadStorage) for the HTTP handlers, reading
// outside any transaction so that serving the log never waits for a
// writer.

// Compile-time checks that the adapters fit the ports.
var (
	_ ledger.Storage       = (*Tx)(nil)
	_ ledger.CosignStorage = (*Tx)(nil)
	_ ledger.CosignStorage = (*DB)(nil)
	_ ledger.WitnessStore  = (*Tx)(nil)
	_ ledger.WitnessStore  = (*DB)(nil)
	_ ledger.ListStorage   = (*Tx)(nil)
	_ ledger.ListStorage   = (*DB)(nil)
	_ ledger.IssueStorage  = (*DB)(nil)
)

// queryer is what *sql.Tx and *sql.DB have in common.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// logQ runs the log's queries on a transaction or on the pool.
type logQ struct {
	q queryer
	d Dialect
	// tx is the transaction the queries run in, db the database when they
	// run on the pool: either counts them (see ContentVersion).
	tx *Tx
	db *DB
}

func (tx *Tx) lq() logQ { return logQ{q: tx.q(), d: tx.dialect, tx: tx} }
func (db *DB) lq() logQ { return logQ{q: db.sql, d: db.dialect, db: db} }

func (l logQ) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	l.note(q)
	res, err := l.q.ExecContext(ctx, rebind(l.d, q), args...)
	if err == nil && l.db != nil && changesContent(q) {
		// A statement on the pool commits by itself.
		l.db.content.Add(1)
	}
	return res, err
}

func (l logQ) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	l.note(q)
	return l.q.QueryContext(ctx, rebind(l.d, q), args...)
}

func (l logQ) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	l.note(q)
	return l.q.QueryRowContext(ctx, rebind(l.d, q), args...)
}

func (l logQ) note(q string) {
	switch {
	case l.tx != nil:
		l.tx.note(q)
	case l.db != nil:
		l.db.statements.Add(1)
	}
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func (l logQ) logSize(ctx context.Context) (int64, error) {
	var n int64
	if err := l.queryRow(ctx, `SELECT size FROM log_head WHERE id = 1`).Scan(&n); err != nil {
		return 0, fmt.Errorf("read log size: %w", err)
	}
	return n, nil
}

func (l logQ) logHashes(ctx context.Context, indexes []int64) ([][]byte, error) {
	return l.hashesFrom(ctx, "log_hashes", indexes)
}

// hashesFrom reads stored tlog hashes from a table of (idx, hash): the
// log's own, or a node's mirror of the hub's.
func (l logQ) hashesFrom(ctx context.Context, table string, indexes []int64) ([][]byte, error) {
	found := make(map[int64][]byte, len(indexes))
	const batch = 500
	for start := 0; start < len(indexes); start += batch {
		part := indexes[start:min(start+batch, len(indexes))]
		args := make([]any, len(part))
		for i, x := range part {
			args[i] = x
		}
		rows, err := l.query(ctx, `SELECT idx, hash FROM `+table+` WHERE idx IN (`+placeholders(len(part))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", table, err)
		}
		for rows.Next() {
			var x int64
			var h []byte
			if err := rows.Scan(&x, &h); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read %s: %w", table, err)
			}
			found[x] = h
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", table, err)
		}
	}
	out := make([][]byte, len(indexes))
	for i, x := range indexes {
		h, ok := found[x]
		if !ok {
			return nil, fmt.Errorf("%s %d: %w", table, x, ledger.ErrNotFound)
		}
		out[i] = h
	}
	return out, nil
}

func scanEntries(rows *sql.Rows) ([]ledger.EntryRow, error) {
	defer rows.Close()
	var out []ledger.EntryRow
	for rows.Next() {
		var e ledger.EntryRow
		var ts string
		if err := rows.Scan(&e.Index, &e.Data, &e.Type, &e.Subject, &ts); err != nil {
			return nil, fmt.Errorf("read log entries: %w", err)
		}
		e.Time = parseTime(ts)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read log entries: %w", err)
	}
	return out, nil
}

func (l logQ) logEntries(ctx context.Context, start, end int64) ([]ledger.EntryRow, error) {
	rows, err := l.query(ctx, `SELECT idx, data, event_type, subject, created_at FROM log_entries WHERE idx >= ? AND idx < ? ORDER BY idx`, start, end)
	if err != nil {
		return nil, fmt.Errorf("read log entries: %w", err)
	}
	return scanEntries(rows)
}

func (l logQ) findLogEntries(ctx context.Context, eventType, subject string) ([]ledger.EntryRow, error) {
	rows, err := l.query(ctx, `SELECT idx, data, event_type, subject, created_at FROM log_entries WHERE subject = ? AND event_type = ? ORDER BY idx`, subject, eventType)
	if err != nil {
		return nil, fmt.Errorf("find log entries: %w", err)
	}
	return scanEntries(rows)
}

func scanCheckpoints(rows *sql.Rows) ([]ledger.CheckpointRow, error) {
	defer rows.Close()
	var out []ledger.CheckpointRow
	for rows.Next() {
		var c ledger.CheckpointRow
		var n, ts string
		if err := rows.Scan(&c.Size, &n, &ts); err != nil {
			return nil, fmt.Errorf("read checkpoints: %w", err)
		}
		c.Note, c.Time = []byte(n), parseTime(ts)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read checkpoints: %w", err)
	}
	return out, nil
}

func (l logQ) oneCheckpoint(ctx context.Context, q string, args ...any) (ledger.CheckpointRow, error) {
	rows, err := l.query(ctx, q, args...)
	if err != nil {
		return ledger.CheckpointRow{}, fmt.Errorf("read checkpoint: %w", err)
	}
	cs, err := scanCheckpoints(rows)
	if err != nil {
		return ledger.CheckpointRow{}, err
	}
	if len(cs) == 0 {
		return ledger.CheckpointRow{}, ledger.ErrNotFound
	}
	return cs[0], nil
}

func (l logQ) latestCheckpoint(ctx context.Context) (ledger.CheckpointRow, error) {
	return l.oneCheckpoint(ctx, `SELECT size, note, created_at FROM log_checkpoints ORDER BY size DESC LIMIT 1`)
}

func (l logQ) checkpointAt(ctx context.Context, size int64) (ledger.CheckpointRow, error) {
	return l.oneCheckpoint(ctx, `SELECT size, note, created_at FROM log_checkpoints WHERE size = ?`, size)
}

func (l logQ) checkpoints(ctx context.Context, from, to int64) ([]ledger.CheckpointRow, error) {
	rows, err := l.query(ctx, `SELECT size, note, created_at FROM log_checkpoints WHERE size >= ? AND size <= ? ORDER BY size`, from, to)
	if err != nil {
		return nil, fmt.Errorf("read checkpoints: %w", err)
	}
	return scanCheckpoints(rows)
}

func (l logQ) cosignatures(ctx context.Context, size int64) ([]ledger.CosignatureRow, error) {
	rows, err := l.query(ctx, `SELECT size, witness, line, created_at FROM log_cosignatures WHERE size = ? ORDER BY witness`, size)
	if err != nil {
		return nil, fmt.Errorf("read cosignatures: %w", err)
	}
	defer rows.Close()
	var out []ledger.CosignatureRow
	for rows.Next() {
		var c ledger.CosignatureRow
		var ts string
		if err := rows.Scan(&c.Size, &c.Witness, &c.Line, &ts); err != nil {
			return nil, fmt.Errorf("read cosignatures: %w", err)
		}
		c.Time = parseTime(ts)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read cosignatures: %w", err)
	}
	return out, nil
}

func (l logQ) cosignedSizes(ctx context.Context) ([]int64, error) {
	rows, err := l.query(ctx, `SELECT DISTINCT size FROM log_cosignatures ORDER BY size DESC`)
	if err != nil {
		return nil, fmt.Errorf("read cosigned sizes: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("read cosigned sizes: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

func (l logQ) lastCosignedSize(ctx context.Context, witness string) (int64, error) {
	var n int64
	if err := l.queryRow(ctx, `SELECT COALESCE(MAX(size), 0) FROM log_cosignatures WHERE witness = ?`, witness).Scan(&n); err != nil {
		return 0, fmt.Errorf("read last cosigned size of %s: %w", witness, err)
	}
	return n, nil
}

func (l logQ) logOpenings(ctx context.Context, index int64) ([]ledger.OpeningRow, error) {
	rows, err := l.query(ctx, `SELECT idx, position, item_id, salt, commitment FROM log_openings WHERE idx = ? ORDER BY position`, index)
	if err != nil {
		return nil, fmt.Errorf("read openings of entry %d: %w", index, err)
	}
	defer rows.Close()
	var out []ledger.OpeningRow
	for rows.Next() {
		var o ledger.OpeningRow
		if err := rows.Scan(&o.Index, &o.Position, &o.ItemID, &o.Salt, &o.Commitment); err != nil {
			return nil, fmt.Errorf("read openings of entry %d: %w", index, err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read openings of entry %d: %w", index, err)
	}
	return out, nil
}

func (l logQ) addCosignature(ctx context.Context, c ledger.CosignatureRow) error {
	_, err := l.exec(ctx, `INSERT INTO log_cosignatures (size, witness, line, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (size, witness) DO NOTHING`, c.Size, c.Witness, c.Line, timeText(c.Time))
	if err != nil {
		return fmt.Errorf("store cosignature of %s on checkpoint %d: %w", c.Witness, c.Size, err)
	}
	return nil
}

func (l logQ) witnessState(ctx context.Context, witness, origin string) (ledger.WitnessStateRow, bool, error) {
	var s ledger.WitnessStateRow
	var cp string
	err := l.queryRow(ctx, `SELECT size, root, checkpoint FROM log_witness_state WHERE witness = ? AND origin = ?`, witness, origin).Scan(&s.Size, &s.Root, &cp)
	if errors.Is(err, sql.ErrNoRows) {
		return ledger.WitnessStateRow{}, false, nil
	}
	if err != nil {
		return ledger.WitnessStateRow{}, false, fmt.Errorf("read witness state of %s: %w", witness, err)
	}
	s.Checkpoint = []byte(cp)
	return s, true, nil
}

func (l logQ) swapWitnessState(ctx context.Context, witness, origin string, old *ledger.WitnessStateRow, next ledger.WitnessStateRow) (bool, error) {
	var res sql.Result
	var err error
	if old == nil {
		res, err = l.exec(ctx, `INSERT INTO log_witness_state (witness, origin, size, root, checkpoint, updated_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (witness, origin) DO NOTHING`, witness, origin, next.Size, next.Root, string(next.Checkpoint), timeText(now()))
	} else {
		res, err = l.exec(ctx, `UPDATE log_witness_state SET size = ?, root = ?, checkpoint = ?, updated_at = ?
			WHERE witness = ? AND origin = ? AND size = ? AND root = ?`,
			next.Size, next.Root, string(next.Checkpoint), timeText(now()), witness, origin, old.Size, old.Root)
	}
	if err != nil {
		return false, fmt.Errorf("update witness state of %s: %w", witness, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("update witness state of %s: %w", witness, err)
	}
	return n == 1, nil
}

func (l logQ) handedOverListIDs(ctx context.Context) ([]string, error) {
	rows, err := l.query(ctx, `SELECT id FROM lists WHERE state <> 'draft' ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list handed-over lists: %w", err)
	}
	return scanStrings(rows)
}

// --- ledger.Storage on *Tx ---

// LogSize returns the number of log entries.
func (tx *Tx) LogSize(ctx context.Context) (int64, error) { return tx.lq().logSize(ctx) }

// LogHashes returns stored tree hashes by tlog storage index.
func (tx *Tx) LogHashes(ctx context.Context, indexes []int64) ([][]byte, error) {
	return tx.lq().logHashes(ctx, indexes)
}

// LogEntries returns the log entries with start ≤ index < end.
func (tx *Tx) LogEntries(ctx context.Context, start, end int64) ([]ledger.EntryRow, error) {
	return tx.lq().logEntries(ctx, start, end)
}

// FindLogEntries returns the entries of one event type about one subject.
func (tx *Tx) FindLogEntries(ctx context.Context, eventType, subject string) ([]ledger.EntryRow, error) {
	return tx.lq().findLogEntries(ctx, eventType, subject)
}

// LatestCheckpoint returns the checkpoint of the largest size.
func (tx *Tx) LatestCheckpoint(ctx context.Context) (ledger.CheckpointRow, error) {
	return tx.lq().latestCheckpoint(ctx)
}

// CheckpointAt returns the checkpoint of one size.
func (tx *Tx) CheckpointAt(ctx context.Context, size int64) (ledger.CheckpointRow, error) {
	return tx.lq().checkpointAt(ctx, size)
}

// Checkpoints returns the checkpoints with from ≤ size ≤ to.
func (tx *Tx) Checkpoints(ctx context.Context, from, to int64) ([]ledger.CheckpointRow, error) {
	return tx.lq().checkpoints(ctx, from, to)
}

// Cosignatures returns the cosignatures of one checkpoint.
func (tx *Tx) Cosignatures(ctx context.Context, size int64) ([]ledger.CosignatureRow, error) {
	return tx.lq().cosignatures(ctx, size)
}

// CosignedSizes returns the checkpoint sizes with any cosignature.
func (tx *Tx) CosignedSizes(ctx context.Context) ([]int64, error) { return tx.lq().cosignedSizes(ctx) }

// LastCosignedSize returns the largest size a witness cosigned, or 0.
func (tx *Tx) LastCosignedSize(ctx context.Context, witness string) (int64, error) {
	return tx.lq().lastCosignedSize(ctx, witness)
}

// LogOpenings returns the openings of one entry.
func (tx *Tx) LogOpenings(ctx context.Context, index int64) ([]ledger.OpeningRow, error) {
	return tx.lq().logOpenings(ctx, index)
}

// LockLog serialises log appenders until the transaction ends and returns
// the log's size. On PostgreSQL it locks the head row, so that two server
// processes on one database queue instead of forking the log; on SQLite
// the immediate transaction already holds the database's write lock.
func (tx *Tx) LockLog(ctx context.Context) (int64, error) {
	q := `SELECT size FROM log_head WHERE id = 1`
	if tx.dialect == Postgres {
		q += ` FOR UPDATE`
	}
	var n int64
	if err := tx.QueryRow(ctx, q).Scan(&n); err != nil {
		return 0, fmt.Errorf("lock log head: %w", err)
	}
	return n, nil
}

// AppendLog writes one entry with its hashes, openings and checkpoint, and
// moves the head. The caller must hold the lock from LockLog.
func (tx *Tx) AppendLog(ctx context.Context, rec ledger.AppendRecord) error {
	idx := rec.Entry.Index
	res, err := tx.Exec(ctx, `UPDATE log_head SET size = ? WHERE id = 1 AND size = ?`, idx+1, idx)
	if err != nil {
		return fmt.Errorf("move log head: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("log head is not at %d: another writer appended without the lock", idx)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO log_entries (idx, data, event_type, subject, created_at) VALUES (?, ?, ?, ?, ?)`,
		idx, rec.Entry.Data, rec.Entry.Type, rec.Entry.Subject, timeText(rec.Entry.Time)); err != nil {
		return fmt.Errorf("insert log entry %d: %w", idx, err)
	}
	if len(rec.Hashes) > 0 {
		args := make([]any, 0, 2*len(rec.Hashes))
		for _, h := range rec.Hashes {
			args = append(args, h.Index, h.Hash)
		}
		q := `INSERT INTO log_hashes (idx, hash) VALUES ` + strings.TrimSuffix(strings.Repeat("(?, ?), ", len(rec.Hashes)), ", ")
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("insert hashes of log entry %d: %w", idx, err)
		}
	}
	err = tx.insertRows(ctx, "log_openings", []string{"idx", "position", "item_id", "salt", "commitment"}, len(rec.Openings), func(i int) ([]any, error) {
		o := &rec.Openings[i]
		return []any{o.Index, o.Position, o.ItemID, o.Salt, o.Commitment}, nil
	})
	if err != nil {
		return fmt.Errorf("insert openings of log entry %d: %w", idx, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO log_checkpoints (size, note, created_at) VALUES (?, ?, ?)`,
		rec.Checkpoint.Size, string(rec.Checkpoint.Note), timeText(rec.Checkpoint.Time)); err != nil {
		return fmt.Errorf("insert checkpoint %d: %w", rec.Checkpoint.Size, err)
	}
	return nil
}

// AddCosignature stores a witness's cosignature of a checkpoint.
func (tx *Tx) AddCosignature(ctx context.Context, c ledger.CosignatureRow) error {
	return tx.lq().addCosignature(ctx, c)
}

// WitnessState returns what a witness last cosigned for a log origin.
func (tx *Tx) WitnessState(ctx context.Context, witness, origin string) (ledger.WitnessStateRow, bool, error) {
	return tx.lq().witnessState(ctx, witness, origin)
}

// SwapWitnessState replaces a witness's state only if it still is old
// (none, when old is nil), in one statement; it reports whether it did.
func (tx *Tx) SwapWitnessState(ctx context.Context, witness, origin string, old *ledger.WitnessStateRow, next ledger.WitnessStateRow) (bool, error) {
	return tx.lq().swapWitnessState(ctx, witness, origin, old, next)
}

// HandedOverListIDs returns the ids of every list that left the draft state.
func (tx *Tx) HandedOverListIDs(ctx context.Context) ([]string, error) {
	return tx.lq().handedOverListIDs(ctx)
}

// AuditList returns a list with its entries as stored now, or nil when it
// does not exist.
func (tx *Tx) AuditList(ctx context.Context, id string) (*lists.List, error) {
	l, err := tx.ListWithEntries(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return l, err
}

// --- ledger.ReadStorage (and the cosigning and witness writes) on *DB ---

// LogSize returns the number of log entries.
func (db *DB) LogSize(ctx context.Context) (int64, error) { return db.lq().logSize(ctx) }

// LogHashes returns stored tree hashes by tlog storage index.
func (db *DB) LogHashes(ctx context.Context, indexes []int64) ([][]byte, error) {
	return db.lq().logHashes(ctx, indexes)
}

// LogEntries returns the log entries with start ≤ index < end.
func (db *DB) LogEntries(ctx context.Context, start, end int64) ([]ledger.EntryRow, error) {
	return db.lq().logEntries(ctx, start, end)
}

// FindLogEntries returns the entries of one event type about one subject.
func (db *DB) FindLogEntries(ctx context.Context, eventType, subject string) ([]ledger.EntryRow, error) {
	return db.lq().findLogEntries(ctx, eventType, subject)
}

// LatestCheckpoint returns the checkpoint of the largest size.
func (db *DB) LatestCheckpoint(ctx context.Context) (ledger.CheckpointRow, error) {
	return db.lq().latestCheckpoint(ctx)
}

// CheckpointAt returns the checkpoint of one size.
func (db *DB) CheckpointAt(ctx context.Context, size int64) (ledger.CheckpointRow, error) {
	return db.lq().checkpointAt(ctx, size)
}

// Checkpoints returns the checkpoints with from ≤ size ≤ to.
func (db *DB) Checkpoints(ctx context.Context, from, to int64) ([]ledger.CheckpointRow, error) {
	return db.lq().checkpoints(ctx, from, to)
}

// Cosignatures returns the cosignatures of one checkpoint.
func (db *DB) Cosignatures(ctx context.Context, size int64) ([]ledger.CosignatureRow, error) {
	return db.lq().cosignatures(ctx, size)
}

// CosignedSizes returns the checkpoint sizes with any cosignature.
func (db *DB) CosignedSizes(ctx context.Context) ([]int64, error) { return db.lq().cosignedSizes(ctx) }

// LastCosignedSize returns the largest size a witness cosigned, or 0.
func (db *DB) LastCosignedSize(ctx context.Context, witness string) (int64, error) {
	return db.lq().lastCosignedSize(ctx, witness)
}

// LogOpenings returns the openings of one entry.
func (db *DB) LogOpenings(ctx context.Context, index int64) ([]ledger.OpeningRow, error) {
	return db.lq().logOpenings(ctx, index)
}

// AddCosignature stores a witness's cosignature of a checkpoint.
func (db *DB) AddCosignature(ctx context.Context, c ledger.CosignatureRow) error {
	return db.lq().addCosignature(ctx, c)
}

// WitnessState returns what a witness last cosigned for a log origin.
func (db *DB) WitnessState(ctx context.Context, witness, origin string) (ledger.WitnessStateRow, bool, error) {
	return db.lq().witnessState(ctx, witness, origin)
}

// SwapWitnessState replaces a witness's state only if it still is old
// (none, when old is nil), in one statement; it reports whether it did.
func (db *DB) SwapWitnessState(ctx context.Context, witness, origin string, old *ledger.WitnessStateRow, next ledger.WitnessStateRow) (bool, error) {
	return db.lq().swapWitnessState(ctx, witness, origin, old, next)
}

// HandedOverListIDs returns the ids of every list that left the draft state.
func (db *DB) HandedOverListIDs(ctx context.Context) ([]string, error) {
	return db.lq().handedOverListIDs(ctx)
}

// AuditList returns a list with its entries as stored now, or nil when it
// does not exist.
func (db *DB) AuditList(ctx context.Context, id string) (*lists.List, error) {
	var l *lists.List
	err := db.View(ctx, func(tx *Tx) error {
		var err error
		l, err = tx.AuditList(ctx, id)
		return err
	})
	return l, err
}

// RecordIssued records, durably, a checkpoint or receipt that is about to
// leave the server (table log_issued). Recording the same one again is a
// no-op.
func (db *DB) RecordIssued(ctx context.Context, r ledger.IssuedRow) error {
	return db.Update(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO log_issued (kind, size, idx, root, leaf, subject, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (kind, size, idx) DO NOTHING`, r.Kind, r.Size, r.Index, r.Root, r.Leaf, r.Subject, timeText(r.Time))
		if err != nil {
			return fmt.Errorf("record issued %s %d: %w", r.Kind, r.Size, err)
		}
		return nil
	})
}

// IssuedRows returns every issued checkpoint and receipt recorded.
func (db *DB) IssuedRows(ctx context.Context) ([]ledger.IssuedRow, error) {
	rows, err := db.lq().query(ctx, `SELECT kind, size, idx, root, leaf, subject, issued_at FROM log_issued ORDER BY kind, size, idx`)
	if err != nil {
		return nil, fmt.Errorf("read issued checkpoints and receipts: %w", err)
	}
	defer rows.Close()
	var out []ledger.IssuedRow
	for rows.Next() {
		var r ledger.IssuedRow
		var ts string
		if err := rows.Scan(&r.Kind, &r.Size, &r.Index, &r.Root, &r.Leaf, &r.Subject, &ts); err != nil {
			return nil, fmt.Errorf("read issued checkpoints and receipts: %w", err)
		}
		r.Time = parseTime(ts)
		out = append(out, r)
	}
	return out, rows.Err()
}

// PruneIssuedCheckpoints forgets the issued checkpoints below the largest
// one. Call it only right after the stored log passed its consistency
// check (ledger.Log.CheckStored): the tree then agrees with all of them,
// so a tree that still agrees with the largest one later also agrees with
// every smaller one (they are its prefixes), and the start-up check need
// not recompute a root for every size ever served.
func (db *DB) PruneIssuedCheckpoints(ctx context.Context) error {
	return db.Update(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM log_issued WHERE kind = 'checkpoint'
			AND size < (SELECT MAX(size) FROM log_issued WHERE kind = 'checkpoint')`)
		if err != nil {
			return fmt.Errorf("prune issued checkpoints: %w", err)
		}
		return nil
	})
}
