// Package benchdb gives the benchmark programs a database of their own on
// a PostgreSQL server, so that a run measures an empty database and leaves
// nothing behind.
package benchdb

import (
	"database/sql"
	"fmt"
	"log"
	"net/url"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx driver for database/sql
)

// Fresh creates a fresh PostgreSQL database named prefix_<nanoseconds> on
// the server at admin and returns its URL with a function that drops it;
// with admin "" it returns "" (SQLite) and a function that does nothing.
// A program that cannot create its database has nothing to measure, so
// Fresh exits on an error.
func Fresh(admin, prefix string) (string, func()) {
	if admin == "" {
		return "", func() {}
	}
	db, err := sql.Open("pgx", admin)
	if err != nil {
		log.Fatal(err)
	}
	name := fmt.Sprintf("%s_%d", prefix, time.Now().UnixNano())
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		log.Fatal(err)
	}
	u, err := url.Parse(admin)
	if err != nil {
		log.Fatal(err)
	}
	u.Path = "/" + name
	return u.String(), func() {
		_, _ = db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		db.Close()
	}
}
