// Package store is the storage adapter of Parley: one schema on embedded
// SQLite (the default, pure Go, no cgo) or on PostgreSQL (pgx), with versioned
// migrations for both. Every state change runs in one transaction (see Tx),
// so that a crash or an error leaves the previous state intact.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	neturl "net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Dialect is the SQL dialect of the database behind a DB.
type Dialect int

// Dialects.
const (
	SQLite Dialect = iota
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

//go:embed migrations
var migrations embed.FS

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("not found")

// DB is an open Parley database.
type DB struct {
	sql *sql.DB
	// read serves read-only transactions. On SQLite it is a second pool
	// whose transactions start deferred, so that readers never take the
	// write lock; on PostgreSQL it is the same pool as sql.
	read    *sql.DB
	dialect Dialect
	dataDir string
	// writeMu queues this process's SQLite writers in Go instead of in
	// SQLite's busy handler, which polls with sleeps and makes latency
	// jump under contention. Other processes still meet the busy timeout.
	writeMu sync.Mutex
	// throttle serves the throttle table's writes: on PostgreSQL a pool
	// whose sessions commit asynchronously, on SQLite the same as sql.
	throttle *sql.DB
	// throttlePrune is the Unix millisecond after which the next
	// ThrottleCount deletes lapsed throttle rows.
	throttlePrune atomic.Int64
	// waiting counts this process's SQLite writers queued on writeMu, and
	// batch is the transaction they share (see groupcommit.go).
	waiting atomic.Int32
	batch   *writeBatch
	// updates and commits count successful Update calls and the commits
	// that carried them, to show how well writers are batched.
	updates, commits atomic.Int64
	// figVersion and lookVersion are the figures and look-up versions
	// last read (see FiguresVersion and LookupVersion).
	figVersion, lookVersion versionCache
	// content counts this process's commits that changed records (see
	// ContentVersion); statements and transactions count what ran through
	// Tx, to show what a request costs (see Stats).
	content, statements, transactions atomic.Int64
	// stmts holds statements prepared once on the read pool for the
	// family status look-up (see lookup.go).
	stmts sync.Map
}

// WriteStats returns how many Update calls succeeded and in how many
// commits: on SQLite, concurrent writers share commits (group commit).
func (db *DB) WriteStats() (updates, commits int64) {
	return db.updates.Load(), db.commits.Load()
}

// IsPostgresURL reports whether url names a PostgreSQL database.
func IsPostgresURL(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

// Open opens the database: PostgreSQL when url is a postgres:// URL,
// otherwise SQLite in dataDir/parley.db. It applies pending migrations.
func Open(ctx context.Context, dataDir, url string) (*DB, error) {
	db := &DB{dataDir: dataDir}
	var err error
	if IsPostgresURL(url) {
		db.dialect = Postgres
		db.sql, err = sql.Open("pgx", url)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		db.sql.SetMaxOpenConns(20)
		// Idle connections are kept up to the limit: database/sql keeps
		// only 2 by default, and under concurrent reads (family look-ups)
		// every further connection would be opened, its statements
		// prepared, and closed again for each query.
		db.sql.SetMaxIdleConns(20)
		db.read = db.sql
		// Throttle counts commit without waiting for the WAL flush: a
		// crash may lose the last fraction of a second of counts, which
		// matters far less than the look-ups per second this allows. A
		// clean shutdown or restart keeps them all.
		tu, err := neturl.Parse(url)
		if err != nil {
			db.sql.Close()
			return nil, fmt.Errorf("database URL: %w", err)
		}
		q := tu.Query()
		q.Set("synchronous_commit", "off")
		tu.RawQuery = q.Encode()
		if db.throttle, err = sql.Open("pgx", tu.String()); err != nil {
			db.sql.Close()
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		db.throttle.SetMaxOpenConns(8)
		db.throttle.SetMaxIdleConns(8)
		// The data directory still holds the log's keys.
		if fi, err := os.Stat(dataDir); err == nil && fi.IsDir() && fi.Mode().Perm() != 0o700 {
			if err := os.Chmod(dataDir, 0o700); err != nil {
				db.sql.Close()
				return nil, fmt.Errorf("data directory: %w", err)
			}
		}
	} else {
		if url != "" {
			return nil, fmt.Errorf("unsupported database URL (want postgres://...; leave empty for SQLite in the data directory)")
		}
		path := filepath.Join(dataDir, "parley.db")
		if err := makePrivate(dataDir, path); err != nil {
			return nil, err
		}
		// WAL lets readers go on while one writer commits; immediate
		// transactions take the write lock at BEGIN so that two writers
		// queue instead of failing half-way; the busy timeout makes them wait.
		// synchronous(FULL) flushes the WAL at every commit: with NORMAL a
		// power cut can take back commits that already returned, and with
		// them log entries whose receipts and checkpoints have left the
		// server. Writers are batched behind one flush (see Update).
		dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)"
		db.sql, err = openSQLite(dsn + "&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		db.sql.SetMaxOpenConns(4)
		db.read, err = openSQLite(dsn + "&_pragma=query_only(1)")
		if err != nil {
			db.sql.Close()
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		db.read.SetMaxOpenConns(8)
		db.read.SetMaxIdleConns(8) // as on PostgreSQL above
		db.throttle = db.sql
	}
	if err := db.sql.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s: %w", db.dialect, err)
	}
	if err := db.checkDurability(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// makePrivate keeps the data directory (0700) and the SQLite files (0600)
// to their owner: the database holds every list and registry. The database
// file is created here, before SQLite opens it, because SQLite gives the
// -wal and -shm files it creates later the mode of the database file.
// Files and a directory left looser by an older version are tightened.
func makePrivate(dataDir, dbPath string) error {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	if err := os.Chmod(dataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	f, err := os.OpenFile(dbPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("create database file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("create database file: %w", err)
	}
	for _, p := range []string{dbPath, dbPath + "-wal", dbPath + "-shm", dbPath + "-journal"} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("database file: %w", err)
		}
		if fi.Mode().Perm() != 0o600 {
			if err := os.Chmod(p, 0o600); err != nil {
				return fmt.Errorf("database file %s: %w", filepath.Base(p), err)
			}
		}
	}
	return nil
}

func (db *DB) migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations/"+db.dialect.String())
	if err != nil {
		return err
	}
	dialect := goose.DialectSQLite3
	// Migrations written side by side may land in any order: a database
	// that already has a later one still gets an earlier one it lacks.
	opts := []goose.ProviderOption{goose.WithAllowOutofOrder(true)}
	if db.dialect == Postgres {
		dialect = goose.DialectPostgres
		// Two server processes starting at once must not both migrate.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, db.sql, sub, opts...)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return nil
}

// Close closes the database.
func (db *DB) Close() error {
	err := db.sql.Close()
	for _, other := range []*sql.DB{db.read, db.throttle} {
		if other != nil && other != db.sql {
			if oerr := other.Close(); err == nil {
				err = oerr
			}
		}
	}
	return err
}

// Dialect returns the database's dialect.
func (db *DB) Dialect() Dialect { return db.dialect }

// DataDir returns the data directory (keys and other files live there).
func (db *DB) DataDir() string { return db.dataDir }

// SQL returns the underlying handle, for tests and benchmarks that must
// reach behind the store's back (for example to tamper with data).
func (db *DB) SQL() *sql.DB { return db.sql }

// Tx is one database transaction. Queries use "?" placeholders in both
// dialects; they are rewritten to $n for PostgreSQL.
type Tx struct {
	tx      *sql.Tx
	dialect Dialect
	db      *DB
	// content is set once a statement changed records (see ContentVersion).
	content bool
	// afterCommit runs once the transaction has committed (e.g. to wake a
	// notifier); never on rollback.
	afterCommit []func()
	// detached marks a share of a group commit: its statements are not
	// interrupted by the caller's context (see detachedQueryer).
	detached bool
}

// q returns what the transaction's statements run on.
func (tx *Tx) q() queryer {
	if tx.detached {
		return detachedQueryer{tx.tx}
	}
	return tx.tx
}

// Dialect returns the transaction's dialect.
func (tx *Tx) Dialect() Dialect { return tx.dialect }

// AfterCommit registers fn to run after a successful commit.
func (tx *Tx) AfterCommit(fn func()) { tx.afterCommit = append(tx.afterCommit, fn) }

// Exec runs a statement.
func (tx *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	tx.note(query)
	return tx.q().ExecContext(ctx, rebind(tx.dialect, query), args...)
}

// Query runs a query.
func (tx *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	tx.note(query)
	return tx.q().QueryContext(ctx, rebind(tx.dialect, query), args...)
}

// scanAll reads every row with scan, appending to out (nil or an empty
// slice, as the caller wants none to read: JSON tells null from []), and
// closes rows.
func scanAll[T any](rows *sql.Rows, out []T, scan func(func(...any) error) (T, error)) ([]T, error) {
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// QueryRow runs a query that returns at most one row.
func (tx *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	tx.note(query)
	return tx.q().QueryRowContext(ctx, rebind(tx.dialect, query), args...)
}

// Update runs fn in a read-write transaction and commits it when fn returns
// nil; any error or panic rolls everything back. It returns once the
// changes are on disk. On SQLite, concurrent callers share one commit
// (group commit, see groupcommit.go); fn must not call Update itself.
func (db *DB) Update(ctx context.Context, fn func(tx *Tx) error) (err error) {
	if db.dialect == SQLite {
		return db.updateBatched(ctx, fn)
	}
	return db.run(ctx, false, fn)
}

// View runs fn in a read-only transaction, for a consistent snapshot.
func (db *DB) View(ctx context.Context, fn func(tx *Tx) error) error {
	return db.run(ctx, true, fn)
}

func (db *DB) run(ctx context.Context, readOnly bool, fn func(tx *Tx) error) (err error) {
	opts := &sql.TxOptions{}
	if db.dialect == Postgres {
		opts.ReadOnly = readOnly
	}
	pool := db.sql
	if readOnly {
		pool = db.read
	}
	var stx *sql.Tx
	for attempt := 0; ; attempt++ {
		stx, err = pool.BeginTx(ctx, opts)
		if err == nil {
			break
		}
		// SQLite reports a busy database at BEGIN IMMEDIATE when the busy
		// timeout ran out; one more try is cheap and clears most bursts.
		if attempt >= 3 || !strings.Contains(err.Error(), "SQLITE_BUSY") {
			return fmt.Errorf("begin transaction: %w", err)
		}
		time.Sleep(time.Duration(50*(attempt+1)) * time.Millisecond)
	}
	db.transactions.Add(1)
	tx := &Tx{tx: stx, dialect: db.dialect, db: db}
	defer func() {
		if p := recover(); p != nil {
			_ = stx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		_ = stx.Rollback()
		return err
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if !readOnly {
		db.updates.Add(1)
		db.commits.Add(1)
		if tx.content {
			db.content.Add(1)
		}
	}
	for _, f := range tx.afterCommit {
		f()
	}
	return nil
}

// rebind rewrites "?" placeholders to "$1", "$2", ... for PostgreSQL. It
// skips question marks inside single-quoted string literals.
func rebind(d Dialect, q string) string {
	if d != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	inStr := false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			inStr = !inStr
			b.WriteByte(c)
		case c == '?' && !inStr:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// now is the store's clock, in UTC with microsecond precision so that the
// text form is equal in both dialects.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// timeText formats a time for storage; the zero time is stored as "".
func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// parseTime reads a stored time; "" is the zero time.
func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}
