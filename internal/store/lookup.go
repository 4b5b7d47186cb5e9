package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
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

const inquiryStatusQuery = `SELECT id, reference, secret_hash, new_secret_hash, status, status_detail, status_date, status_wording, created_at
	FROM inquiries WHERE reference = ?`

// InquiryForStatus returns what a status look-up needs of the inquiry with
// a (normalised) reference — its id, reference, secret hashes, status,
// status date, wording and creation time, nothing else filled in — or nil
// when there is none; and, from the same pool, the current states of
// limits (the failure counts checked before the secret). Two indexed reads
// by unique key, outside any transaction: the two need not agree with
// each other to the instant.
func (db *DB) InquiryForStatus(ctx context.Context, ref string, now time.Time, limits ...ThrottleKey) (*families.Inquiry, []ThrottleState, error) {
	var states []ThrottleState
	if len(limits) > 0 {
		limits = uniqueKeys(limits)
		where, args := keysWhere(limits)
		st, err := db.prepared(ctx, `SELECT scope, subject, hits, last_ms, prev_ms, expires_ms FROM throttle WHERE expires_ms > ? AND (`+where+`)`)
		if err != nil {
			return nil, nil, fmt.Errorf("read throttle: %w", err)
		}
		rows, err := st.QueryContext(ctx, append([]any{now.UnixMilli()}, args...)...)
		if err != nil {
			return nil, nil, fmt.Errorf("read throttle: %w", err)
		}
		got := map[[2]string]ThrottleState{}
		for rows.Next() {
			var scope, subject string
			var hits, last, prev, exp int64
			if err := rows.Scan(&scope, &subject, &hits, &last, &prev, &exp); err != nil {
				rows.Close()
				return nil, nil, fmt.Errorf("read throttle: %w", err)
			}
			s := ThrottleState{Hits: int(hits), Last: time.UnixMilli(last).UTC(), Expires: time.UnixMilli(exp).UTC()}
			if prev != 0 {
				s.Prev = time.UnixMilli(prev).UTC()
			}
			got[[2]string{scope, subject}] = s
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, nil, fmt.Errorf("read throttle: %w", err)
		}
		states = statesOf(limits, got)
	}
	st, err := db.prepared(ctx, inquiryStatusQuery)
	if err != nil {
		return nil, nil, fmt.Errorf("read inquiry by reference: %w", err)
	}
	var q families.Inquiry
	var status, detail, date, created string
	err = st.QueryRowContext(ctx, ref).Scan(&q.ID, &q.Reference, &q.SecretHash, &q.NewSecretHash, &status, &detail, &date, &q.Wording, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, states, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read inquiry by reference: %w", err)
	}
	q.Status = families.Status(status)
	if detail != "" {
		q.Status = families.Status(detail)
	}
	q.Date, q.CreatedAt = parseDay(date), parseTime(created)
	return &q, states, nil
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
func (db *DB) FiguresVersion(ctx context.Context) (int64, error) {
	st, err := db.prepared(ctx, `SELECT version FROM figures_version WHERE id = 1`)
	if err != nil {
		return 0, fmt.Errorf("read figures version: %w", err)
	}
	var v int64
	if err := st.QueryRowContext(ctx).Scan(&v); err != nil {
		return 0, fmt.Errorf("read figures version: %w", err)
	}
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
