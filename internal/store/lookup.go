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
// when there is none; and the current counts of limits (the failure
// counts checked before the secret; Hits and Expires only). One statement
// by unique keys, prepared once: a single round trip to the database.
func (db *DB) InquiryForStatus(ctx context.Context, ref string, now time.Time, limits ...ThrottleKey) (*families.Inquiry, []ThrottleState, error) {
	var q strings.Builder
	var args []any
	q.WriteString(`SELECT `)
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
		return nil, nil, fmt.Errorf("read inquiry by reference: %w", err)
	}
	hits := make([]sql.NullInt64, 2*len(limits))
	var id, reference, hash, newHash, status, detail, date, wording, created sql.NullString
	dest := make([]any, 0, len(hits)+9)
	for i := range hits {
		dest = append(dest, &hits[i])
	}
	dest = append(dest, &id, &reference, &hash, &newHash, &status, &detail, &date, &wording, &created)
	if err := st.QueryRowContext(ctx, args...).Scan(dest...); err != nil {
		return nil, nil, fmt.Errorf("read inquiry by reference: %w", err)
	}
	states := make([]ThrottleState, len(limits))
	for i := range limits {
		if hits[2*i].Valid {
			states[i] = ThrottleState{Hits: int(hits[2*i].Int64), Expires: time.UnixMilli(hits[2*i+1].Int64).UTC()}
		}
	}
	if !id.Valid {
		return nil, states, nil
	}
	inq := &families.Inquiry{ID: id.String, Reference: reference.String, SecretHash: hash.String, NewSecretHash: newHash.String, Wording: wording.String}
	inq.Status = families.Status(status.String)
	if detail.String != "" {
		inq.Status = families.Status(detail.String)
	}
	inq.Date, inq.CreatedAt = parseDay(date.String), parseTime(created.String)
	return inq, states, nil
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
// committed nothing since and for at most figuresPoll: the figures page is
// asked for by every family after an announcement, and on PostgreSQL each
// read is a round trip. A commit of this process is seen at once (the
// commit count is taken before the read, so one that lands during it
// makes the next request read again); another process writing the same
// database, such as the command line, within figuresPoll.
func (db *DB) FiguresVersion(ctx context.Context) (int64, error) {
	updates := db.updates.Load()
	now := time.Now()
	c := &db.figVersion
	c.mu.Lock()
	if c.ok && c.updates == updates && now.Sub(c.at) < figuresPoll {
		v := c.v
		c.mu.Unlock()
		return v, nil
	}
	c.mu.Unlock()
	st, err := db.prepared(ctx, `SELECT version FROM figures_version WHERE id = 1`)
	if err != nil {
		return 0, fmt.Errorf("read figures version: %w", err)
	}
	var v int64
	if err := st.QueryRowContext(ctx).Scan(&v); err != nil {
		return 0, fmt.Errorf("read figures version: %w", err)
	}
	c.mu.Lock()
	c.v, c.updates, c.at, c.ok = v, updates, now, true
	c.mu.Unlock()
	return v, nil
}

// figuresPoll bounds the age of a reused figures version (see
// DB.FiguresVersion).
const figuresPoll = 100 * time.Millisecond

// figuresVersionCache is the last figures version read, with the count of
// this process's commits before the read.
type figuresVersionCache struct {
	mu      sync.Mutex
	v       int64
	updates int64
	at      time.Time
	ok      bool
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
