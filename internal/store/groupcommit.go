package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Group commit on SQLite.
//
// With synchronous=FULL every commit waits for the disk, so one transaction
// per state change would bound the writers of a busy server by the flush
// latency. Instead, writers of this process that arrive while another one
// is working join its SQLite transaction: each runs its own function, in
// its own goroutine, between SAVEPOINT and RELEASE (or ROLLBACK TO, when it
// fails), and the last of them commits the lot behind one flush. Each
// caller's changes and the log entries that record them still stand or
// fall together, since a savepoint is undone as a whole; callers whose
// functions failed leave nothing behind; and no caller returns before the
// commit that holds its changes has reached the disk, so a success is
// never reported for something a power cut can take back.
//
// The functions run one at a time, under writeMu, exactly as without
// batching: a later one sees what the earlier ones wrote. The batch is
// committed as soon as no other writer of this process is queued, or when
// it holds maxBatch callers or is older than maxBatchAge, so a lone writer
// pays one flush and waits for no one.

const (
	maxBatch    = 128
	maxBatchAge = 20 * time.Millisecond
)

// writeBatch is one SQLite transaction shared by several writers.
type writeBatch struct {
	tx      *sql.Tx
	started time.Time
	members int           // callers whose changes are in the transaction
	done    chan struct{} // closed once the batch committed or failed
	err     error         // the outcome, valid after done
}

// updateBatched is Update on SQLite: fn joins the open batch, or opens one.
func (db *DB) updateBatched(ctx context.Context, fn func(tx *Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	db.waiting.Add(1)
	db.writeMu.Lock()
	db.waiting.Add(-1)
	b, err := db.joinBatch()
	if err != nil {
		db.writeMu.Unlock()
		return err
	}
	db.transactions.Add(1)
	tx := &Tx{tx: b.tx, dialect: db.dialect, db: db, detached: true}
	returned, ok := false, false
	// The deferred function also runs when fn panics or calls
	// runtime.Goexit (t.Fatal in a test): the savepoint is undone and the
	// batch goes on without this caller.
	defer func() {
		lerr := db.leaveBatch(b, ok)
		if !returned {
			return
		}
		if lerr != nil {
			err = lerr
			return
		}
		if !ok {
			return
		}
		<-b.done
		if b.err != nil {
			err = b.err
			return
		}
		db.updates.Add(1)
		if tx.content {
			db.content.Add(1)
		}
		for _, f := range tx.afterCommit {
			f()
		}
	}()
	ferr := fn(tx)
	returned, ok = true, ferr == nil
	return ferr
}

// joinBatch returns the open batch, or begins one, and sets this caller's
// savepoint. The caller holds writeMu.
func (db *DB) joinBatch() (*writeBatch, error) {
	b := db.batch
	if b == nil {
		stx, err := db.beginWrite()
		if err != nil {
			return nil, err
		}
		b = &writeBatch{tx: stx, started: time.Now(), done: make(chan struct{})}
		db.batch = b
	}
	if _, err := b.tx.Exec(`SAVEPOINT parley_writer`); err != nil {
		err = fmt.Errorf("begin transaction: savepoint: %w", err)
		db.abortBatch(b, err)
		return nil, err
	}
	return b, nil
}

// beginWrite begins an immediate SQLite transaction. It does not take the
// caller's context: the transaction outlives the caller that opened it
// (database/sql would roll it back when that context ends).
func (db *DB) beginWrite() (*sql.Tx, error) {
	for attempt := 0; ; attempt++ {
		stx, err := db.sql.BeginTx(context.Background(), nil)
		if err == nil {
			return stx, nil
		}
		// SQLite reports a busy database at BEGIN IMMEDIATE when the busy
		// timeout ran out; one more try is cheap and clears most bursts.
		if attempt >= 3 || !strings.Contains(err.Error(), "SQLITE_BUSY") {
			return nil, fmt.Errorf("begin transaction: %w", err)
		}
		time.Sleep(time.Duration(50*(attempt+1)) * time.Millisecond)
	}
}

// leaveBatch keeps (ok) or undoes this caller's savepoint, then commits
// the batch when no other writer is queued, and releases writeMu. It
// returns an error only when this caller's changes could not be kept.
func (db *DB) leaveBatch(b *writeBatch, ok bool) error {
	defer db.writeMu.Unlock()
	var mine error
	if ok {
		if _, err := b.tx.Exec(`RELEASE parley_writer`); err != nil {
			mine = fmt.Errorf("commit: release savepoint: %w", err)
			db.abortBatch(b, mine)
			return mine
		}
		b.members++
	} else {
		// A failed statement may have ended the whole transaction (SQLite
		// rolls back on some I/O errors and on interrupts): then ROLLBACK TO
		// fails and every caller of the batch is told.
		if _, err := b.tx.Exec(`ROLLBACK TO parley_writer`); err != nil {
			db.abortBatch(b, fmt.Errorf("commit: the transaction was rolled back by a failed writer: %w", err))
			return nil
		}
		if _, err := b.tx.Exec(`RELEASE parley_writer`); err != nil {
			db.abortBatch(b, fmt.Errorf("commit: release savepoint: %w", err))
			return nil
		}
	}
	if db.waiting.Load() > 0 && b.members < maxBatch && time.Since(b.started) < maxBatchAge {
		return mine // the next writer carries on
	}
	db.batch = nil
	if b.members == 0 {
		_ = b.tx.Rollback()
	} else if err := b.tx.Commit(); err != nil {
		b.err = fmt.Errorf("commit: %w", err)
	} else {
		db.commits.Add(1)
	}
	close(b.done)
	return mine
}

// abortBatch rolls the batch back and tells its callers why. The caller
// holds writeMu.
func (db *DB) abortBatch(b *writeBatch, err error) {
	_ = b.tx.Rollback()
	b.err = err
	if db.batch == b {
		db.batch = nil
	}
	close(b.done)
}

// detachedQueryer runs statements of a shared batch: a statement that has
// begun is never interrupted by its caller's context, because SQLite
// answers an interrupt inside a transaction by rolling back all of it, the
// other callers' changes included. A context that has already ended still
// stops the next statement.
type detachedQueryer struct{ q queryer }

func (d detachedQueryer) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return d.q.ExecContext(context.WithoutCancel(ctx), query, args...)
}

func (d detachedQueryer) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return d.q.QueryContext(context.WithoutCancel(ctx), query, args...)
}

func (d detachedQueryer) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return d.q.QueryRowContext(context.WithoutCancel(ctx), query, args...)
}
