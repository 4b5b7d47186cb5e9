package store

import "strings"

// ContentVersion counts this process's commits that changed records:
// figures derived from the records (what waits for each role, the
// dashboard's totals) may be kept while it stays the same. It moves as
// soon as such a commit returns, before the caller hears of it, so a
// derived figure read after a change of this process is never older than
// the change.
//
// Commits that only wrote the bookkeeping of reading (the access log,
// sessions, throttle counts) do not move it: the dashboard records each
// view in the access log, and a version that every view moved would keep
// nothing. Changes of other processes on the same database (the command
// line) are not counted here; whoever keeps a figure must also bound its
// age (the service keeps them for at most 100 ms).
func (db *DB) ContentVersion() int64 { return db.content.Load() }

// Stats returns how many statements and transactions have run through Tx
// since the database was opened, to count what a request costs.
func (db *DB) Stats() (statements, transactions int64) {
	return db.statements.Load(), db.transactions.Load()
}

// note counts a statement and marks the transaction as changing records
// when the statement writes anything but bookkeeping.
func (tx *Tx) note(query string) {
	if tx.db == nil {
		return
	}
	tx.db.statements.Add(1)
	if !tx.content && changesContent(query) {
		tx.content = true
	}
}

// bookkeeping are the tables whose writes change no record that a derived
// figure counts.
var bookkeeping = map[string]bool{"access_log": true, "sessions": true, "throttle": true}

// changesContent reports whether a statement may change records other than
// bookkeeping. Anything it does not recognise as a read or as a write to a
// bookkeeping table counts as a change, so a new kind of statement errs on
// the side of a fresh figure.
func changesContent(query string) bool {
	q := strings.TrimLeft(query, " \t\r\n")
	word, rest := firstWord(q)
	switch strings.ToUpper(word) {
	case "SELECT", "PRAGMA", "SHOW", "EXPLAIN":
		return false
	case "WITH":
		u := strings.ToUpper(rest)
		return strings.Contains(u, "INSERT") || strings.Contains(u, "UPDATE") || strings.Contains(u, "DELETE")
	case "INSERT", "REPLACE", "DELETE":
		// INSERT [OR x] INTO t, REPLACE INTO t, DELETE FROM t
		for w := ""; rest != ""; {
			w, rest = firstWord(rest)
			if u := strings.ToUpper(w); u == "INTO" || u == "FROM" {
				t, _ := firstWord(rest)
				return !bookkeeping[strings.ToLower(strings.Trim(t, `"`))]
			}
		}
		return true
	case "UPDATE":
		t, _ := firstWord(rest)
		return !bookkeeping[strings.ToLower(strings.Trim(t, `"`))]
	}
	return true
}

// firstWord splits off the first word of s (up to a space or an opening
// parenthesis) and returns it with the rest, leading spaces trimmed.
func firstWord(s string) (string, string) {
	s = strings.TrimLeft(s, " \t\r\n")
	i := strings.IndexAny(s, " \t\r\n(")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimLeft(s[i:], " \t\r\n")
}
