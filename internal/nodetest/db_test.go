package nodetest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"parley/internal/ledger"
	"parley/internal/store"
)

// sqlDB returns the instance's database, opened directly as an operator
// with access to the server could (the tests use it to look at what the
// hub holds and to tamper with it). It is opened once per instance and
// closed when the test ends: a test polls it many times, and a handle
// per call would hold a PostgreSQL connection each until then.
func (in *inst) sqlDB() *sql.DB {
	in.t.Helper()
	if in.handle == nil {
		db, err := store.Open(context.Background(), in.dir, in.db)
		if err != nil {
			in.t.Fatalf("%s: open the database: %v", in.name, err)
		}
		in.t.Cleanup(func() { db.Close() })
		in.handle = db
	}
	return in.handle.SQL()
}

// pgConnections returns how many connections the PostgreSQL server holds
// open to the instance's database: the running server's and the test's.
func (in *inst) pgConnections() int {
	in.t.Helper()
	return in.count("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()")
}

// query rewrites "?" placeholders for PostgreSQL.
func (in *inst) query(q string) string {
	if in.db == "" {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// exec runs one statement against the instance's database.
func (in *inst) exec(q string, args ...any) int64 {
	in.t.Helper()
	res, err := in.sqlDB().Exec(in.query(q), args...)
	if err != nil {
		in.t.Fatalf("%s: %s: %v", in.name, q, err)
	}
	n, _ := res.RowsAffected()
	return n
}

// count returns the result of a counting query.
func (in *inst) count(q string, args ...any) int {
	in.t.Helper()
	var n int
	if err := in.sqlDB().QueryRow(in.query(q), args...).Scan(&n); err != nil {
		in.t.Fatalf("%s: %s: %v", in.name, q, err)
	}
	return n
}

// loggedEntry is one log entry of the hub, parsed.
type loggedEntry struct {
	Index int64
	Entry *ledger.Entry
}

// logEntries returns the hub's log entries of one type about one subject
// ("" for any subject).
func (in *inst) logEntries(eventType, subject string) []loggedEntry {
	in.t.Helper()
	q, args := "SELECT idx, data FROM log_entries WHERE event_type = ?", []any{eventType}
	if subject != "" {
		q, args = q+" AND subject = ?", append(args, subject)
	}
	rows, err := in.sqlDB().Query(in.query(q+" ORDER BY idx"), args...)
	if err != nil {
		in.t.Fatalf("%s: log entries: %v", in.name, err)
	}
	defer rows.Close()
	var out []loggedEntry
	for rows.Next() {
		var idx int64
		var data []byte
		if err := rows.Scan(&idx, &data); err != nil {
			in.t.Fatal(err)
		}
		e, err := ledger.ParseEntry(data)
		if err != nil {
			in.t.Fatalf("%s: log entry %d: %v", in.name, idx, err)
		}
		out = append(out, loggedEntry{idx, e})
	}
	if err := rows.Err(); err != nil {
		in.t.Fatal(err)
	}
	return out
}

// tables lists the tables of the instance's database.
func (in *inst) tables() []string {
	in.t.Helper()
	q := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
	if in.db != "" {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
	}
	rows, err := in.sqlDB().Query(q)
	if err != nil {
		in.t.Fatalf("%s: tables: %v", in.name, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			in.t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// eachCell calls fn with the text of every cell of every row of a table.
func (in *inst) eachCell(table string, fn func(column, value string)) {
	in.t.Helper()
	rows, err := in.sqlDB().Query("SELECT * FROM " + table)
	if err != nil {
		in.t.Fatalf("%s: read %s: %v", in.name, table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		in.t.Fatal(err)
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			in.t.Fatalf("%s: read %s: %v", in.name, table, err)
		}
		for i, v := range vals {
			switch v := v.(type) {
			case string:
				fn(cols[i], v)
			case []byte:
				fn(cols[i], string(v))
			}
		}
	}
	if err := rows.Err(); err != nil {
		in.t.Fatal(err)
	}
}
