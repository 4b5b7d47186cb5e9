package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"

	"parley/internal/families"
)

// The family status look-up is the one read the public hits thousands of
// times a second after an exchange is announced. It reads the inquiry's
// status columns, which the events that change a status write in their own
// transaction (SetInquiryStatus and the outcome recorders), so the row is
// the read model: no joins, no link scans, no writes. Its statements are
// prepared once per pool, so that SQLite does not parse them again on
// every look-up.

// InquiryForStatus returns what a status look-up needs of the inquiry with
// a (normalised) reference — its id, reference, secret hashes, status,
// status date, wording and creation time, nothing else filled in — or nil
// when there is none; the current counts of limits (the failure counts
// checked before the secret; Hits and Expires only); and the look-up
// version the row was read at (see LookupVersion), from the same snapshot.
// One statement by unique keys, prepared once: a single round trip to the
// database.
func (db *DB) InquiryForStatus(ctx context.Context, ref string, now time.Time, limits ...ThrottleKey) (*families.Inquiry, []ThrottleState, int64, error) {
	var q strings.Builder
	var args []any
	q.WriteString(`SELECT (SELECT version FROM lookup_version WHERE id = 1), `)
	for i := range limits {
		fmt.Fprintf(&q, `t%d.hits, t%d.expires_ms, `, i, i)
	}
	q.WriteString(`i.id, i.reference, i.secret_hash, i.new_secret_hash, i.status, i.status_detail, i.status_date, i.status_wording, i.created_at
	FROM (SELECT 1 AS one) d`)
	for i, k := range limits {
		fmt.Fprintf(&q, ` LEFT JOIN throttle t%d ON t%d.scope = ? AND t%d.subject = ? AND t%d.expires_ms > ?`, i, i, i, i)
		args = append(args, k.Scope, k.subject(), now.UnixMilli())
	}
	q.WriteString(` LEFT JOIN inquiries i ON i.reference = ?`)
	args = append(args, ref)
	st, err := db.prepared(ctx, q.String())
	if err != nil {
		return nil, nil, 0, fmt.Errorf("read inquiry by reference: %w", err)
	}
	var version int64
	hits := make([]sql.NullInt64, 2*len(limits))
	var id, reference, hash, newHash, status, detail, date, wording, created sql.NullString
	dest := make([]any, 0, len(hits)+10)
	dest = append(dest, &version)
	for i := range hits {
		dest = append(dest, &hits[i])
	}
	dest = append(dest, &id, &reference, &hash, &newHash, &status, &detail, &date, &wording, &created)
	if err := st.QueryRowContext(ctx, args...).Scan(dest...); err != nil {
		return nil, nil, 0, fmt.Errorf("read inquiry by reference: %w", err)
	}
	states := make([]ThrottleState, len(limits))
	for i := range limits {
		if hits[2*i].Valid {
			states[i] = ThrottleState{Hits: int(hits[2*i].Int64), Expires: time.UnixMilli(hits[2*i+1].Int64).UTC()}
		}
	}
	if !id.Valid {
		return nil, states, version, nil
	}
	inq := &families.Inquiry{ID: id.String, Reference: reference.String, SecretHash: hash.String, NewSecretHash: newHash.String, Wording: wording.String}
	inq.Status = families.Status(status.String)
	if detail.String != "" {
		inq.Status = families.Status(detail.String)
	}
	inq.Date, inq.CreatedAt = parseDay(date.String), parseTime(created.String)
	return inq, states, version, nil
}

// prepared returns query prepared on the read pool, preparing it the first
// time. database/sql re-prepares it on each connection as needed.
func (db *DB) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := db.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := db.read.PrepareContext(ctx, rebind(db.dialect, strings.TrimSpace(query)))
	if err != nil {
		return nil, err
	}
	if prev, loaded := db.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// FiguresVersion returns the counter that every change to what the public
// figures count moves, in the same transaction (triggers of migration
// 00016): equal counters mean equal figures.
//
// The counter read is reused, without a statement, while this process has
// committed nothing since and for at most versionPoll: the figures page is
// asked for by every family after an announcement, and on PostgreSQL each
// read is a round trip. A commit of this process is seen at once (the
// commit count is taken before the read, so one that lands during it
// makes the next request read again); another process writing the same
// database, such as the command line, within versionPoll.
func (db *DB) FiguresVersion(ctx context.Context) (int64, error) {
	v, err := db.figVersion.get(ctx, db, `SELECT version FROM figures_version WHERE id = 1`)
	if err != nil {
		return 0, fmt.Errorf("read figures version: %w", err)
	}
	return v, nil
}

// LookupVersion returns the counter that every change to what a family
// status look-up reads of an inquiry moves, in the same transaction
// (triggers of migration 00028): a row read by InquiryForStatus at the
// version returned now is still the row in the database. It is reused as
// FiguresVersion is: this process's commits are seen at once, another
// process's within versionPoll.
func (db *DB) LookupVersion(ctx context.Context) (int64, error) {
	v, err := db.lookVersion.get(ctx, db, `SELECT version FROM lookup_version WHERE id = 1`)
	if err != nil {
		return 0, fmt.Errorf("read look-up version: %w", err)
	}
	return v, nil
}

// versionPoll bounds the age of a reused version counter (see
// DB.FiguresVersion).
const versionPoll = 100 * time.Millisecond

// versionCache is the last value read of a version counter, with the
// count of this process's commits before the read.
type versionCache struct {
	mu      sync.Mutex
	v       int64
	updates int64
	at      time.Time
	ok      bool
}

// get returns the counter query reads, reusing the last value read while
// this process has committed nothing since and for at most versionPoll.
func (c *versionCache) get(ctx context.Context, db *DB, query string) (int64, error) {
	updates := db.updates.Load()
	now := time.Now()
	c.mu.Lock()
	if c.ok && c.updates == updates && now.Sub(c.at) < versionPoll {
		v := c.v
		c.mu.Unlock()
		return v, nil
	}
	c.mu.Unlock()
	st, err := db.prepared(ctx, query)
	if err != nil {
		return 0, err
	}
	var v int64
	if err := st.QueryRowContext(ctx).Scan(&v); err != nil {
		return 0, err
	}
	c.mu.Lock()
	// A slower read that started earlier must not replace a newer one.
	if !c.ok || updates >= c.updates {
		c.v, c.updates, c.at, c.ok = v, updates, now, true
	}
	c.mu.Unlock()
	return v, nil
}

// FiguresVersion is FiguresVersion read in tx, for figures computed in
// the same snapshot.
func (tx *Tx) FiguresVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := tx.QueryRow(ctx, `SELECT version FROM figures_version WHERE id = 1`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read figures version: %w", err)
	}
	return v, nil
}
