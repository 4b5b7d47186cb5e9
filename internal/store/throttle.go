package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// ThrottleKey names one throttled thing: a scope (what is counted, such as
// failed sign-ins per account) and the key within it (a username, a client
// address, a reference).
type ThrottleKey struct {
	Scope, Key string
}

// ThrottleState is a key's count. A key never counted, or whose count has
// lapsed, has the zero state.
type ThrottleState struct {
	Hits    int
	Last    time.Time // the latest event
	Prev    time.Time // the event before Last within the count; zero if none
	Expires time.Time // when the count lapses
}

// subject is what the table stores for a key: a digest, so that the table
// holds no username or client address in clear and its index entries have
// one small size.
func (k ThrottleKey) subject() string {
	sum := sha256.Sum256([]byte(k.Scope + "\x00" + k.Key))
	return hex.EncodeToString(sum[:16])
}

// ThrottleWindow selects how a count lapses.
type ThrottleWindow int

const (
	// FixedWindow: the count starts with a key's first event and lapses
	// per later, however many events follow (a rate: N per hour).
	FixedWindow ThrottleWindow = iota
	// SlidingWindow: every event extends the count by per, so it lapses
	// only after per without events (failures that back off).
	SlidingWindow
)

// throttlePruneEvery is how often one process deletes lapsed rows.
const throttlePruneEvery = time.Minute

// ThrottleCount counts one event for each key at now and returns the keys'
// states after it, in the order of keys. It is one statement (an upsert
// on the primary key), outside any transaction, so that a count costs one
// indexed write and is shared at once by every process on the database.
// Lapsed rows are pruned now and then as a side effect.
func (db *DB) ThrottleCount(ctx context.Context, now time.Time, per time.Duration, w ThrottleWindow, keys ...ThrottleKey) ([]ThrottleState, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	all := keys
	keys = uniqueKeys(keys)
	nowMS, expMS := now.UnixMilli(), now.Add(per).UnixMilli()
	var q strings.Builder
	q.WriteString(`INSERT INTO throttle (scope, subject, hits, last_ms, expires_ms) VALUES `)
	args := make([]any, 0, 4*len(keys))
	for i, k := range keys {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, 1, ?, ?)")
		args = append(args, k.Scope, k.subject(), nowMS, expMS)
	}
	q.WriteString(` ON CONFLICT (scope, subject) DO UPDATE SET
		hits = CASE WHEN throttle.expires_ms <= excluded.last_ms THEN 1 ELSE throttle.hits + 1 END,`)
	if w == SlidingWindow {
		q.WriteString(` expires_ms = excluded.expires_ms,`)
	} else {
		q.WriteString(` expires_ms = CASE WHEN throttle.expires_ms <= excluded.last_ms THEN excluded.expires_ms ELSE throttle.expires_ms END,`)
	}
	q.WriteString(` prev_ms = CASE WHEN throttle.expires_ms <= excluded.last_ms THEN 0 ELSE throttle.last_ms END,
		last_ms = excluded.last_ms
		RETURNING scope, subject, hits, last_ms, prev_ms, expires_ms`)

	got, err := db.throttleQuery(ctx, true, q.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("count throttle events: %w", err)
	}
	if next := db.throttlePrune.Load(); nowMS >= next && db.throttlePrune.CompareAndSwap(next, nowMS+throttlePruneEvery.Milliseconds()) {
		if _, err := db.PruneThrottle(ctx, now); err != nil {
			return nil, err
		}
	}
	return statesOf(all, got), nil
}

// ThrottleStates returns the current states of keys, in their order, in one
// read by primary key.
func (db *DB) ThrottleStates(ctx context.Context, now time.Time, keys ...ThrottleKey) ([]ThrottleState, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	where, args := keysWhere(uniqueKeys(keys))
	got, err := db.throttleQuery(ctx, false, `SELECT scope, subject, hits, last_ms, prev_ms, expires_ms FROM throttle WHERE expires_ms > ? AND (`+where+`)`,
		append([]any{now.UnixMilli()}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("read throttle: %w", err)
	}
	return statesOf(keys, got), nil
}

// ClearThrottle forgets keys (after a successful sign-in, for example).
func (db *DB) ClearThrottle(ctx context.Context, keys ...ThrottleKey) error {
	if len(keys) == 0 {
		return nil
	}
	where, args := keysWhere(uniqueKeys(keys))
	if _, err := db.throttleQuery(ctx, true, `DELETE FROM throttle WHERE `+where, args...); err != nil {
		return fmt.Errorf("clear throttle: %w", err)
	}
	return nil
}

// UncountThrottle takes one event back from each key (an attempt counted
// in advance that turned out to be no failure).
func (db *DB) UncountThrottle(ctx context.Context, keys ...ThrottleKey) error {
	if len(keys) == 0 {
		return nil
	}
	where, args := keysWhere(uniqueKeys(keys))
	if _, err := db.throttleQuery(ctx, true, `UPDATE throttle SET hits = hits - 1 WHERE hits > 0 AND (`+where+`)`, args...); err != nil {
		return fmt.Errorf("uncount throttle: %w", err)
	}
	return nil
}

// PruneThrottle deletes the rows that have lapsed by now and returns how
// many. ThrottleCount calls it about once a minute per process.
func (db *DB) PruneThrottle(ctx context.Context, now time.Time) (int64, error) {
	if db.dialect == SQLite {
		db.writeMu.Lock()
		defer db.writeMu.Unlock()
	}
	res, err := db.throttle.ExecContext(ctx, rebind(db.dialect, `DELETE FROM throttle WHERE expires_ms <= ?`), now.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("prune throttle: %w", err)
	}
	return res.RowsAffected()
}

// throttleQuery runs one statement in autocommit mode and reads the rows it
// returns. Writers on SQLite queue on the process's write lock, as
// transactions do.
func (db *DB) throttleQuery(ctx context.Context, write bool, query string, args ...any) (map[[2]string]ThrottleState, error) {
	pool := db.read
	if write {
		pool = db.throttle
		if db.dialect == SQLite {
			db.writeMu.Lock()
			defer db.writeMu.Unlock()
		}
	}
	rows, err := pool.QueryContext(ctx, rebind(db.dialect, query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[[2]string]ThrottleState{}
	if cols, _ := rows.Columns(); len(cols) == 0 {
		return out, rows.Err()
	}
	for rows.Next() {
		var scope, subject string
		var hits, last, prev, exp int64
		if err := rows.Scan(&scope, &subject, &hits, &last, &prev, &exp); err != nil {
			return nil, err
		}
		st := ThrottleState{Hits: int(hits), Last: time.UnixMilli(last).UTC(), Expires: time.UnixMilli(exp).UTC()}
		if prev != 0 {
			st.Prev = time.UnixMilli(prev).UTC()
		}
		out[[2]string{scope, subject}] = st
	}
	return out, rows.Err()
}

func statesOf(keys []ThrottleKey, got map[[2]string]ThrottleState) []ThrottleState {
	out := make([]ThrottleState, len(keys))
	for i, k := range keys {
		out[i] = got[[2]string{k.Scope, k.subject()}]
	}
	return out
}

func keysWhere(keys []ThrottleKey) (string, []any) {
	var b strings.Builder
	args := make([]any, 0, 2*len(keys))
	for i, k := range keys {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString("(scope = ? AND subject = ?)")
		args = append(args, k.Scope, k.subject())
	}
	return b.String(), args
}

// uniqueKeys drops repeated keys: PostgreSQL refuses an upsert that would
// touch one row twice.
func uniqueKeys(keys []ThrottleKey) []ThrottleKey {
	out := keys[:0:0]
	for _, k := range keys {
		dup := false
		for _, o := range out {
			dup = dup || o == k
		}
		if !dup {
			out = append(out, k)
		}
	}
	return out
}

// ThrottleAdd counts several events at once: hits[i] events for keys[i]
// (keys distinct), all at now, in fixed windows of length per, and returns
// the keys' states after it, in the order of keys. It is what a process
// that counts in memory first writes back in one statement per batch
// (familyweb's look-up limiter), so that many look-ups cost one write.
func (db *DB) ThrottleAdd(ctx context.Context, now time.Time, per time.Duration, keys []ThrottleKey, hits []int) ([]ThrottleState, error) {
	if len(keys) != len(hits) {
		return nil, fmt.Errorf("count throttle events: %d keys, %d counts", len(keys), len(hits))
	}
	out := make([]ThrottleState, 0, len(keys))
	// 5 parameters a row; 500 rows stay far below either database's limit
	// on parameters per statement.
	const batch = 500
	nowMS, expMS := now.UnixMilli(), now.Add(per).UnixMilli()
	for start := 0; start < len(keys); start += batch {
		ks, hs := keys[start:min(start+batch, len(keys))], hits[start:min(start+batch, len(keys))]
		var q strings.Builder
		q.WriteString(`INSERT INTO throttle (scope, subject, hits, last_ms, expires_ms) VALUES `)
		args := make([]any, 0, 5*len(ks))
		for i, k := range ks {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?)")
			args = append(args, k.Scope, k.subject(), hs[i], nowMS, expMS)
		}
		q.WriteString(` ON CONFLICT (scope, subject) DO UPDATE SET
		hits = CASE WHEN throttle.expires_ms <= excluded.last_ms THEN excluded.hits ELSE throttle.hits + excluded.hits END,
		expires_ms = CASE WHEN throttle.expires_ms <= excluded.last_ms THEN excluded.expires_ms ELSE throttle.expires_ms END,
		prev_ms = CASE WHEN throttle.expires_ms <= excluded.last_ms THEN 0 ELSE throttle.last_ms END,
		last_ms = excluded.last_ms
		RETURNING scope, subject, hits, last_ms, prev_ms, expires_ms`)
		got, err := db.throttleQuery(ctx, true, q.String(), args...)
		if err != nil {
			return nil, fmt.Errorf("count throttle events: %w", err)
		}
		out = append(out, statesOf(ks, got)...)
	}
	return out, nil
}
