package store

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// UnsafeDurabilityEnv names the environment variable that lets Parley start
// on a PostgreSQL server that does not flush commits to disk. Only for
// throw-away test servers: a receipt or a cosigned checkpoint issued by such
// a server can be taken back by a power cut.
const UnsafeDurabilityEnv = "PARLEY_UNSAFE_NO_FSYNC"

// Durability is the effective durability setting of an open database, as
// the database itself reports it on one of the store's connections.
type Durability struct {
	// SQLite: the value of PRAGMA synchronous (2 = FULL, 3 = EXTRA).
	Synchronous int
	// PostgreSQL: SHOW synchronous_commit and SHOW fsync.
	SynchronousCommit string
	Fsync             string
}

// String describes the setting in the databases' own words, for logs and
// benchmark notes.
func (d Durability) String() string {
	if d.SynchronousCommit != "" || d.Fsync != "" {
		return fmt.Sprintf("synchronous_commit=%s, fsync=%s", d.SynchronousCommit, d.Fsync)
	}
	names := map[int]string{0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
	if n, ok := names[d.Synchronous]; ok {
		return "synchronous=" + n
	}
	return fmt.Sprintf("synchronous=%d", d.Synchronous)
}

// Flushed reports whether every commit reaches the disk before it returns.
// Anything the server promises (an API success, a receipt, a cosigned
// checkpoint) rests on that: a commit that a power cut can take back would
// let the log reuse an index it already signed, a fork of its own making.
func (d Durability) Flushed() bool {
	if d.SynchronousCommit != "" || d.Fsync != "" {
		return d.Fsync == "on" && d.SynchronousCommit != "off"
	}
	return d.Synchronous >= 2
}

// Durability reads the effective durability setting from the database.
func (db *DB) Durability(ctx context.Context) (Durability, error) {
	var d Durability
	if db.dialect == Postgres {
		if err := db.sql.QueryRowContext(ctx, `SHOW synchronous_commit`).Scan(&d.SynchronousCommit); err != nil {
			return d, fmt.Errorf("read synchronous_commit: %w", err)
		}
		if err := db.sql.QueryRowContext(ctx, `SHOW fsync`).Scan(&d.Fsync); err != nil {
			return d, fmt.Errorf("read fsync: %w", err)
		}
		d.SynchronousCommit = strings.ToLower(d.SynchronousCommit)
		d.Fsync = strings.ToLower(d.Fsync)
		return d, nil
	}
	if err := db.sql.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&d.Synchronous); err != nil {
		return d, fmt.Errorf("read PRAGMA synchronous: %w", err)
	}
	return d, nil
}

// checkDurability refuses a database that does not flush its commits,
// unless UnsafeDurabilityEnv is set to 1, and then says so loudly.
func (db *DB) checkDurability(ctx context.Context) error {
	d, err := db.Durability(ctx)
	if err != nil {
		return err
	}
	if d.Flushed() {
		return nil
	}
	if os.Getenv(UnsafeDurabilityEnv) == "1" {
		slog.Warn("DATABASE DOES NOT FLUSH COMMITS: a power cut can take back receipts and checkpoints already issued; never run a real exchange like this",
			"setting", d.String(), "override", UnsafeDurabilityEnv+"=1")
		return nil
	}
	if db.dialect == Postgres {
		return fmt.Errorf("the PostgreSQL server does not flush commits to disk (%s): a power cut could take back receipts and checkpoints already issued; "+
			"set synchronous_commit = on and fsync = on (postgresql.conf, or ALTER DATABASE/ROLE ... SET synchronous_commit = on), "+
			"or set %s=1 to start anyway on a throw-away server", d, UnsafeDurabilityEnv)
	}
	return fmt.Errorf("the SQLite database does not flush commits to disk (%s)", d)
}
