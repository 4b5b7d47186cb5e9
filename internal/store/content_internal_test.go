package store

import "testing"

func TestChangesContent(t *testing.T) {
	cases := []struct {
		q    string
		want bool
	}{
		{"SELECT 1", false},
		{"\n\t  select * from lists", false},
		{"PRAGMA foreign_keys", false},
		{"WITH x AS (SELECT 1) SELECT * FROM x", false},
		{"WITH x AS (SELECT 1) INSERT INTO lists SELECT * FROM x", true},
		{"INSERT INTO access_log (at) VALUES (?)", false},
		{"INSERT INTO lists (id) VALUES (?)", true},
		{"INSERT OR IGNORE INTO sessions (id) VALUES (?)", false},
		{"INSERT OR IGNORE INTO proposals (id) VALUES (?)", true},
		{"INSERT INTO throttle(key) VALUES (?)", false},
		{"UPDATE sessions SET x = 1", false},
		{"UPDATE proposals SET state = ?", true},
		{"DELETE FROM sessions WHERE expires_unix < ?", false},
		{"DELETE FROM disputes", true},
		{"CREATE TABLE t (x int)", true},
		{"INSERT", true},
	}
	for _, c := range cases {
		if got := changesContent(c.q); got != c.want {
			t.Errorf("changesContent(%q) = %v, want %v", c.q, got, c.want)
		}
	}
}
