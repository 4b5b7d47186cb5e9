package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"reflect"
	"sync"
)

// Statements prepared once per SQLite connection.
//
// SQLite parses and plans a statement's text each time it is run unless
// the statement is kept prepared; on the workbench's pages that parsing
// was the largest single cost of the database work (BENCHMARKS.md, "The
// list pages, cheaper per request"). The SQLite connections are therefore
// opened through stmtConnector, whose connections keep each statement they
// run prepared, by its text, up to maxConnStmts of them, and run it again
// with new arguments. PostgreSQL needs none of this: pgx keeps its own
// per-connection statement cache.
//
// One prepared statement can serve one result at a time: a statement whose
// rows are still open when its text is run again on the same connection
// (a query run inside the loop over its own rows) runs as a statement of
// its own, as it would without the cache.

// maxConnStmts bounds the statements one connection keeps: queries whose
// text is built from a search (one pattern per word) vary without end, and
// the least recently used are let go.
const maxConnStmts = 256

var (
	sqliteDriverOnce sync.Once
	sqliteDriver     driver.Driver
	sqliteDriverErr  error
)

// openSQLite opens a pool of SQLite connections that keep their statements
// prepared.
func openSQLite(dsn string) (*sql.DB, error) {
	sqliteDriverOnce.Do(func() {
		// The driver modernc.org/sqlite registers, with whatever was
		// registered on it.
		db, err := sql.Open("sqlite", "")
		if err != nil {
			sqliteDriverErr = err
			return
		}
		sqliteDriver = db.Driver()
		sqliteDriverErr = db.Close()
	})
	if sqliteDriverErr != nil {
		return nil, fmt.Errorf("sqlite driver: %w", sqliteDriverErr)
	}
	return sql.OpenDB(stmtConnector{dsn: dsn, d: sqliteDriver}), nil
}

type stmtConnector struct {
	dsn string
	d   driver.Driver
}

func (c stmtConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.d.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return newStmtConn(conn)
}

func (c stmtConnector) Driver() driver.Driver { return c.d }

// sqliteConn is what stmtConn needs of a modernc.org/sqlite connection.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// stmtConn is a SQLite connection that keeps the statements it runs
// prepared. database/sql uses a connection from one goroutine at a time
// (and closes rows under the connection's lock), so it needs no lock.
type stmtConn struct {
	c     sqliteConn
	stmts map[string]*connStmt
	tick  uint64
}

type connStmt struct {
	st interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	}
	busy bool   // its rows are open
	used uint64 // the connection's tick when it was last run
}

func newStmtConn(conn driver.Conn) (driver.Conn, error) {
	c, ok := conn.(sqliteConn)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("sqlite driver: connection %T lacks a method the statement cache needs", conn)
	}
	return &stmtConn{c: c, stmts: map[string]*connStmt{}}, nil
}

// stmt returns the prepared statement of query, preparing it the first
// time, or nil when query must run as a statement of its own: its
// statement is busy, or it cannot be kept (a script of several
// statements is prepared one statement at a time, on each run).
func (c *stmtConn) stmt(ctx context.Context, query string) (*connStmt, error) {
	c.tick++
	if cs := c.stmts[query]; cs != nil {
		if cs.busy {
			return nil, nil
		}
		cs.used = c.tick
		return cs, nil
	}
	ds, err := c.c.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	st, ok := ds.(interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	})
	if !ok {
		ds.Close()
		return nil, nil
	}
	if len(c.stmts) >= maxConnStmts {
		c.evict()
	}
	cs := &connStmt{st: st, used: c.tick}
	c.stmts[query] = cs
	return cs, nil
}

// evict closes the least recently used statement that is not busy.
func (c *stmtConn) evict() {
	var oldest string
	var o *connStmt
	for q, cs := range c.stmts {
		if !cs.busy && (o == nil || cs.used < o.used) {
			oldest, o = q, cs
		}
	}
	if o != nil {
		delete(c.stmts, oldest)
		o.st.Close()
	}
}

func (c *stmtConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.c.QueryContext(ctx, query, args)
	}
	rows, err := cs.st.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	cs.busy = true
	return &stmtRows{rows: rows, cs: cs}, nil
}

func (c *stmtConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.c.ExecContext(ctx, query, args)
	}
	return cs.st.ExecContext(ctx, args)
}

func (c *stmtConn) Prepare(query string) (driver.Stmt, error) { return c.c.Prepare(query) }

func (c *stmtConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.c.PrepareContext(ctx, query)
}

func (c *stmtConn) Begin() (driver.Tx, error) { return c.c.Begin() }

func (c *stmtConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.c.BeginTx(ctx, opts)
}

func (c *stmtConn) Ping(ctx context.Context) error         { return c.c.Ping(ctx) }
func (c *stmtConn) ResetSession(ctx context.Context) error { return c.c.ResetSession(ctx) }
func (c *stmtConn) IsValid() bool                          { return c.c.IsValid() }

// Close finalizes the kept statements, then closes the connection.
func (c *stmtConn) Close() error {
	for q, cs := range c.stmts {
		cs.st.Close()
		delete(c.stmts, q)
	}
	return c.c.Close()
}

// stmtRows are the rows of a kept statement: closing them frees the
// statement for its next run.
type stmtRows struct {
	rows driver.Rows
	cs   *connStmt
}

func (r *stmtRows) Columns() []string              { return r.rows.Columns() }
func (r *stmtRows) Next(dest []driver.Value) error { return r.rows.Next(dest) }

func (r *stmtRows) Close() error {
	err := r.rows.Close()
	r.cs.busy = false
	return err
}

func (r *stmtRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *stmtRows) ColumnTypeLength(i int) (int64, bool) {
	if t, ok := r.rows.(driver.RowsColumnTypeLength); ok {
		return t.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *stmtRows) ColumnTypeNullable(i int) (bool, bool) {
	if t, ok := r.rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *stmtRows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	if t, ok := r.rows.(driver.RowsColumnTypePrecisionScale); ok {
		return t.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}

func (r *stmtRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}
