package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"parley/internal/ledger"
	"parley/internal/lists"
	"parley/internal/mirror"
)

// This file keeps a node's verified copy of the hub's log (tables
// mirror_*, node_alarms, node_peers; migrations 00020 and 00021) for
// package mirror.

var _ mirror.Store = (*DB)(nil)

// MirrorState returns the mirror's state, and false before the first sync.
func (db *DB) MirrorState(ctx context.Context) (mirror.State, bool, error) {
	var s mirror.State
	var root, logRoot []byte
	var cp, updated string
	err := db.read.QueryRowContext(ctx, `SELECT origin, size, root, log_size, log_root, checkpoint, updated_at FROM mirror_state WHERE id = 1`).
		Scan(&s.Origin, &s.Size, &root, &s.LogSize, &logRoot, &cp, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return s, false, nil
	}
	if err != nil {
		return s, false, fmt.Errorf("read mirror state: %w", err)
	}
	if len(root) != tlog.HashSize || len(logRoot) != tlog.HashSize {
		return s, false, errors.New("read mirror state: stored root is not a hash")
	}
	s.Root, s.LogRoot = tlog.Hash(root), tlog.Hash(logRoot)
	s.Checkpoint, s.Updated = []byte(cp), parseTime(updated)
	return s, true, nil
}

// MirrorHashes returns stored hashes of the mirror by tlog storage index.
func (db *DB) MirrorHashes(ctx context.Context, indexes []int64) ([][]byte, error) {
	return logQ{q: db.read, d: db.dialect}.hashesFrom(ctx, "mirror_hashes", indexes)
}

// MirrorEntries returns the mirrored entries with start ≤ index < end.
func (db *DB) MirrorEntries(ctx context.Context, start, end int64) ([]ledger.EntryRow, error) {
	rows, err := db.read.QueryContext(ctx, rebind(db.dialect, `SELECT idx, data, event_type, subject FROM mirror_entries WHERE idx >= ? AND idx < ? ORDER BY idx`), start, end)
	if err != nil {
		return nil, fmt.Errorf("read mirror entries: %w", err)
	}
	return scanMirrorEntries(rows)
}

// MirrorEntriesOfType returns the mirrored entries of some event types.
func (db *DB) MirrorEntriesOfType(ctx context.Context, types ...string) ([]ledger.EntryRow, error) {
	if len(types) == 0 {
		return nil, nil
	}
	args := make([]any, len(types))
	for i, t := range types {
		args[i] = t
	}
	rows, err := db.read.QueryContext(ctx, rebind(db.dialect, `SELECT idx, data, event_type, subject FROM mirror_entries WHERE event_type IN (`+placeholders(len(types))+`) ORDER BY idx`), args...)
	if err != nil {
		return nil, fmt.Errorf("read mirror entries: %w", err)
	}
	return scanMirrorEntries(rows)
}

func scanMirrorEntries(rows *sql.Rows) ([]ledger.EntryRow, error) {
	defer rows.Close()
	var out []ledger.EntryRow
	for rows.Next() {
		var e ledger.EntryRow
		if err := rows.Scan(&e.Index, &e.Data, &e.Type, &e.Subject); err != nil {
			return nil, fmt.Errorf("read mirror entries: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read mirror entries: %w", err)
	}
	return out, nil
}

// SaveMirrorBatch writes entries, hashes and the new state in one
// transaction, only if the stored size is still b.From.
func (db *DB) SaveMirrorBatch(ctx context.Context, b mirror.Batch) error {
	return db.Update(ctx, func(tx *Tx) error {
		s := b.State
		var res sql.Result
		var err error
		if b.From == 0 {
			// The first batch creates the row (or replaces one at size 0);
			// a second first batch inserts nothing, as a moved state
			// should.
			var n int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM mirror_state WHERE id = 1 AND size <> 0`).Scan(&n); err != nil {
				return fmt.Errorf("read mirror state: %w", err)
			}
			if n > 0 {
				return fmt.Errorf("save mirror batch: %w: past size 0", mirror.ErrMoved)
			}
			_, err = tx.Exec(ctx, `DELETE FROM mirror_state WHERE id = 1 AND size = 0`)
			if err == nil {
				res, err = tx.Exec(ctx, `INSERT INTO mirror_state (id, origin, size, root, log_size, log_root, checkpoint, updated_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?)
					ON CONFLICT (id) DO NOTHING`,
					s.Origin, s.Size, s.Root[:], s.LogSize, s.LogRoot[:], string(s.Checkpoint), timeText(now()))
			}
		} else {
			res, err = tx.Exec(ctx, `UPDATE mirror_state SET origin = ?, size = ?, root = ?, log_size = ?, log_root = ?, checkpoint = ?, updated_at = ? WHERE id = 1 AND size = ?`,
				s.Origin, s.Size, s.Root[:], s.LogSize, s.LogRoot[:], string(s.Checkpoint), timeText(now()), b.From)
		}
		if err != nil {
			return fmt.Errorf("save mirror state: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("save mirror batch: %w: no longer at size %d", mirror.ErrMoved, b.From)
		}
		err = tx.insertRows(ctx, "mirror_entries", []string{"idx", "data", "event_type", "subject"}, len(b.Entries), func(i int) ([]any, error) {
			e := &b.Entries[i]
			return []any{e.Index, e.Data, e.Type, e.Subject}, nil
		})
		if err != nil {
			return fmt.Errorf("save mirror entries: %w", err)
		}
		err = tx.insertRows(ctx, "mirror_hashes", []string{"idx", "hash"}, len(b.Hashes), func(i int) ([]any, error) {
			return []any{b.Hashes[i].Index, b.Hashes[i].Hash}, nil
		})
		if err != nil {
			return fmt.Errorf("save mirror hashes: %w", err)
		}
		return nil
	})
}

// newAlarmID returns a random alarm id, short enough to type.
func newAlarmID() string {
	const alphabet = "abcdefghjkmnpqrstvwxyz23456789"
	var b [8]byte
	_, _ = rand.Read(b[:])
	out := []byte("AL")
	for _, c := range b {
		out = append(out, alphabet[int(c)%len(alphabet)])
	}
	return string(out)
}

// RaiseAlarm stores an alarm or refreshes the one of the same kind and
// subject.
func (db *DB) RaiseAlarm(ctx context.Context, a mirror.Alarm) (bool, error) {
	params, err := json.Marshal(a.Params)
	if err != nil {
		return false, fmt.Errorf("encode alarm: %w", err)
	}
	at := timeText(a.LastSeen)
	if at == "" {
		at = timeText(now())
	}
	isNew := false
	err = db.Update(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE node_alarms SET last_seen = ?, params = ? WHERE kind = ? AND subject = ?`, at, string(params), a.Kind, a.Subject)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		isNew = true
		_, err = tx.Exec(ctx, `INSERT INTO node_alarms (id, kind, subject, params, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)`,
			newAlarmID(), a.Kind, a.Subject, string(params), at, at)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("raise alarm %s: %w", a.Kind, err)
	}
	return isNew, nil
}

// Alarms returns the alarms, newest first.
func (db *DB) Alarms(ctx context.Context, all bool) ([]mirror.Alarm, error) {
	q := `SELECT id, kind, subject, params, first_seen, last_seen, acked_by, acked_at FROM node_alarms`
	if !all {
		q += ` WHERE acked_at = ''`
	}
	rows, err := db.read.QueryContext(ctx, q+` ORDER BY first_seen DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("read alarms: %w", err)
	}
	defer rows.Close()
	var out []mirror.Alarm
	for rows.Next() {
		var a mirror.Alarm
		var params, first, last, acked string
		if err := rows.Scan(&a.ID, &a.Kind, &a.Subject, &params, &first, &last, &a.AckedBy, &acked); err != nil {
			return nil, fmt.Errorf("read alarms: %w", err)
		}
		if err := json.Unmarshal([]byte(params), &a.Params); err != nil {
			return nil, fmt.Errorf("alarm %s: %w", a.ID, err)
		}
		a.FirstSeen, a.LastSeen, a.AckedAt = parseTime(first), parseTime(last), parseTime(acked)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read alarms: %w", err)
	}
	return out, nil
}

// AckAlarm marks an alarm acknowledged by an officer.
func (db *DB) AckAlarm(ctx context.Context, id, by string, at time.Time) error {
	return db.Update(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE node_alarms SET acked_by = ?, acked_at = ? WHERE id = ? AND acked_at = ''`, by, timeText(at), id)
		if err != nil {
			return fmt.Errorf("acknowledge alarm: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("alarm %s: %w", id, ErrNotFound)
		}
		return nil
	})
}

// Peers returns the other nodes this node compares checkpoints with.
func (db *DB) Peers(ctx context.Context) ([]mirror.Peer, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT url, added_at, last_size, last_seen, last_error FROM node_peers ORDER BY url`)
	if err != nil {
		return nil, fmt.Errorf("read peers: %w", err)
	}
	defer rows.Close()
	var out []mirror.Peer
	for rows.Next() {
		var p mirror.Peer
		var added, seen string
		if err := rows.Scan(&p.URL, &added, &p.LastSize, &seen, &p.LastError); err != nil {
			return nil, fmt.Errorf("read peers: %w", err)
		}
		p.Added, p.LastSeen = parseTime(added), parseTime(seen)
		out = append(out, p)
	}
	return out, rows.Err()
}

// AddPeer adds a peer; adding one twice changes nothing.
func (db *DB) AddPeer(ctx context.Context, url string, at time.Time) error {
	return db.Update(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO node_peers (url, added_at) VALUES (?, ?) ON CONFLICT (url) DO NOTHING`, url, timeText(at))
		if err != nil {
			return fmt.Errorf("add peer: %w", err)
		}
		return nil
	})
}

// SetPeerSeen records the latest comparison with a peer.
func (db *DB) SetPeerSeen(ctx context.Context, url string, size int64, at time.Time, errText string) error {
	return db.Update(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `UPDATE node_peers SET last_size = ?, last_seen = ?, last_error = ? WHERE url = ?`, size, timeText(at), errText, url)
		if err != nil {
			return fmt.Errorf("record peer: %w", err)
		}
		return nil
	})
}

// ReceivedLists returns the lists fetched from the hub, by id.
func (db *DB) ReceivedLists(ctx context.Context) ([]mirror.ReceivedList, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT list_id, idx, content_hash, data, received_at, checked_at FROM mirror_lists ORDER BY list_id`)
	if err != nil {
		return nil, fmt.Errorf("read received lists: %w", err)
	}
	defer rows.Close()
	var out []mirror.ReceivedList
	for rows.Next() {
		var r mirror.ReceivedList
		var rec, chk string
		if err := rows.Scan(&r.ID, &r.Index, &r.ContentHash, &r.Data, &rec, &chk); err != nil {
			return nil, fmt.Errorf("read received lists: %w", err)
		}
		r.Received, r.Checked = parseTime(rec), parseTime(chk)
		out = append(out, r)
	}
	return out, rows.Err()
}

// SaveReceivedList records a list fetched from the hub and, unless the
// node already holds it (its own list, handed over from here), stores it
// among the node's lists as handed over, in one transaction.
func (db *DB) SaveReceivedList(ctx context.Context, r mirror.ReceivedList) error {
	var l lists.List
	if err := json.Unmarshal(r.Data, &l); err != nil {
		return fmt.Errorf("received list %s: %w", r.ID, err)
	}
	if l.ID != r.ID {
		return fmt.Errorf("received list %s: the bytes are those of list %s", r.ID, l.ID)
	}
	return db.Update(ctx, func(tx *Tx) error {
		// The node's server and a "node status" or "node sync" run beside
		// it may fetch the same list at once: the first one records it.
		res, err := tx.Exec(ctx, `INSERT INTO mirror_lists (list_id, idx, content_hash, data, received_at, checked_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (list_id) DO NOTHING`,
			r.ID, r.Index, r.ContentHash, r.Data, timeText(r.Received), timeText(r.Received))
		if err != nil {
			return fmt.Errorf("record received list %s: %w", r.ID, err)
		}
		if k, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("record received list %s: %w", r.ID, err)
		} else if k == 0 {
			return nil
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM lists WHERE id = ?`, r.ID).Scan(&n); err != nil {
			return fmt.Errorf("look up list %s: %w", r.ID, err)
		}
		if n > 0 {
			return nil
		}
		l.State, l.ContentHash, l.RootID = lists.HandedOver, r.ContentHash, l.ID
		l.SourceName, l.CreatedBy = "hub", "party:"+l.From
		if r.PrevID != "" {
			var prevRoot string
			err := tx.QueryRow(ctx, `SELECT root_id FROM lists WHERE id = ?`, r.PrevID).Scan(&prevRoot)
			switch {
			case err == nil:
				l.PrevID, l.RootID = r.PrevID, prevRoot
			case !errors.Is(err, sql.ErrNoRows):
				return fmt.Errorf("look up list %s: %w", r.PrevID, err)
			}
		}
		if err := tx.InsertList(ctx, &l); err != nil {
			return fmt.Errorf("store received list %s: %w", r.ID, err)
		}
		_, err = tx.Exec(ctx, `UPDATE lists SET handed_over_at = ? WHERE id = ?`, timeText(r.Received), r.ID)
		if err != nil {
			return fmt.Errorf("store received list %s: %w", r.ID, err)
		}
		return nil
	})
}

// SetListChecked records when a received list was last re-checked.
func (db *DB) SetListChecked(ctx context.Context, id string, at time.Time) error {
	return db.Update(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `UPDATE mirror_lists SET checked_at = ? WHERE list_id = ?`, timeText(at), id)
		if err != nil {
			return fmt.Errorf("record list check: %w", err)
		}
		return nil
	})
}
