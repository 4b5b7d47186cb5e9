package nodetest

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley/internal/ledger"
	"parley/internal/store"
)

// appendEvents appends n events to an instance's log in-process, with
// the log key of its data directory: what the mediator can do with its
// own server at any time, bypassing the hub's protocol. The hub may keep
// running: appenders on one database queue on the log's lock.
func (in *inst) appendEvents(n int, ev func(i int) ledger.Event) {
	in.t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, in.dir, in.db)
	if err != nil {
		in.t.Fatalf("%s: open the database: %v", in.name, err)
	}
	defer db.Close()
	lg, err := ledger.Open(in.dir)
	if err != nil {
		in.t.Fatalf("%s: open the log: %v", in.name, err)
	}
	const batch = 500
	for i := 0; i < n; i += batch {
		err := db.Update(ctx, func(tx *store.Tx) error {
			for j := i; j < min(n, i+batch); j++ {
				if _, err := lg.Append(ctx, tx, ev(j)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			in.t.Fatalf("%s: append to the log: %v", in.name, err)
		}
	}
}

// mediatorNotes is an event the mediator may log on its own.
func mediatorNotes(tag string) func(i int) ledger.Event {
	return func(i int) ledger.Event {
		return ledger.Event{Type: "round.noted", Actor: "mediator", Subject: fmt.Sprintf("%s-%d", tag, i)}
	}
}

// logSize is the size of an instance's log.
func (in *inst) logSize() int {
	in.t.Helper()
	return in.count("SELECT size FROM log_head WHERE id = 1")
}

// copyDir copies a stopped instance's data directory: a forked copy of
// the hub, as anyone with its disk can make.
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.Walk(from, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		dst := filepath.Join(to, rel)
		if fi.IsDir() {
			return os.MkdirAll(dst, fi.Mode().Perm())
		}
		src, err := os.Open(path)
		if err != nil {
			return err
		}
		defer src.Close()
		out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, fi.Mode().Perm())
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, src); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
	if err != nil {
		t.Fatalf("copy %s: %v", from, err)
	}
}

// forkHub stops the hub, copies its data directory (SQLite) and starts it
// again: the copy is a second hub with the same log key and the same
// history so far, from which a different history can grow.
func (c *cluster) forkHub() *inst {
	c.t.Helper()
	if c.backend != onSQLite {
		c.t.Fatal("forkHub copies an SQLite data directory")
	}
	c.hub.stop()
	fork := &inst{t: c.t, name: "forked hub", dir: filepath.Join(c.t.TempDir(), "fork")}
	copyDir(c.t, c.hub.dir, fork.dir)
	c.restartHub()
	return fork
}

// handOver imports a list at a node, hands it over and waits until the
// other node holds it.
func (c *cluster) handOver(from *inst, file, title string) string {
	c.t.Helper()
	to := c.b
	if from == c.b {
		to = c.a
	}
	id := from.importList(testdata(c.t, file), to.party, title)
	from.run("list", "handover", id)
	waitFor(c.t, 2*time.Minute, to.name+" holds list "+id, func() (bool, string) {
		_, ok := to.showList(id)
		return ok, "not yet"
	})
	return id
}

// TestHubCannotForge: the hub refuses a statement without a valid party
// signature and logs nothing; an entry the hub writes into its log on its
// own, in the name of a party, is flagged by both nodes' audit as not
// signed by that party.
func TestHubCannotForge(t *testing.T) {
	c := newCluster(t, onSQLite)
	l := c.handOver(c.a, "neg-list-A.csv", "Stage 1, from A")
	c.waitSynced()

	// The mediator, with its own log key, writes "B acknowledged L" into
	// the log. B never signed it.
	c.hub.appendEvents(1, func(int) ledger.Event {
		return ledger.Event{Type: "list.acknowledged", Actor: "party:B", Subject: l,
			Attrs: map[string]string{"content_hash": "sha256:" + strings.Repeat("0", 64)}}
	})
	idx := c.hub.logSize() - 1
	for _, n := range []*inst{c.a, c.b} {
		alarm := n.waitAlarm("an entry the hub wrote in B's name")
		for _, want := range []string{"entry_unsigned", fmt.Sprint(idx), "list.acknowledged", "B"} {
			if !strings.Contains(alarm, want) {
				t.Errorf("%s: alarm %q does not name %q", n.name, alarm, want)
			}
		}
	}
}

// TestHubCannotRewrite: each way the hub could rewrite the shared record
// raises an alarm on the nodes that names what differs. Editing a person
// of a handed-over list in the hub's database runs with the hub on SQLite
// and on PostgreSQL; the fork and the split view copy the hub's data
// directory, which the nodes cannot tell from any other way of keeping a
// second history, so they run on SQLite only.
func TestHubCannotRewrite(t *testing.T) {
	tests := []struct {
		name    string
		backend backend
		tamper  func(t *testing.T, c *cluster, list string) (nodes []*inst, names []string)
	}{
		{"edit a handed-over person/sqlite", onSQLite, editPerson},
		{"edit a handed-over person/postgres", onPostgres, editPerson},
		{"fork the log", onSQLite, forkLog},
		{"split view", onSQLite, splitView},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t, tt.backend)
			l := c.handOver(c.a, "neg-list-A.csv", "Stage 1, from A")
			c.waitSynced()
			nodes, names := tt.tamper(t, c, l)
			for _, n := range nodes {
				alarm := n.waitAlarm(tt.name)
				for _, want := range names {
					if !strings.Contains(alarm, want) {
						t.Errorf("%s: alarm %q does not name %q", n.name, alarm, want)
					}
				}
			}
		})
	}
}

// editPerson changes the surname of row 1 of the list in the hub's
// database. The node that received the list finds, on its next check
// against the hub, that the list no longer hashes to what the log
// recorded.
func editPerson(t *testing.T, c *cluster, list string) ([]*inst, []string) {
	n := c.hub.exec("UPDATE list_entries SET person = replace(person, 'Petrenko', 'Petrenkov'), surname = 'Petrenkov' WHERE list_id = ? AND row_no = 1", list)
	if n != 1 {
		t.Fatalf("edited %d rows of the hub's list %s, want 1", n, list)
	}
	return []*inst{c.b}, []string{"list_hash_mismatch", list, "row 1"}
}

// forkLog replaces the hub by a copy of itself taken earlier, on which a
// different, longer history grew: both nodes verified the real history
// beyond the copy, so no consistency proof can join the two.
func forkLog(t *testing.T, c *cluster, _ string) ([]*inst, []string) {
	fork := c.forkHub()
	c.handOver(c.a, "neg-list-A.csv", "Stage 2, from A")
	c.waitSynced()
	real := c.hub.logSize()
	fork.appendEvents(real+2-fork.logSize(), mediatorNotes("fork"))
	c.hub.stop()
	fork.start()
	for _, p := range c.proxy {
		p.setTarget(t, fork.URL())
	}
	return []*inst{c.a, c.b}, []string{"fork", fmt.Sprint(real), fork.rootAt(real + 2)}
}

// splitView serves B, through its proxy, the log of a copy of the hub
// that grew one different entry, signed with the hub's own key, while A
// sees the real log grow by one: each log is consistent in itself, and
// only the nodes' gossip of their checkpoints shows that the hub told
// them different things.
func splitView(t *testing.T, c *cluster, _ string) ([]*inst, []string) {
	fork := c.forkHub()
	fork.appendEvents(1, mediatorNotes("told B"))
	fork.start()
	c.proxy["B"].logTarget.Store(mustURL(t, fork.URL()))
	c.hub.appendEvents(1, mediatorNotes("told A"))
	size := c.hub.logSize()
	return []*inst{c.a, c.b}, []string{"split_view", fmt.Sprint(size), c.hub.rootAt(size), fork.rootAt(size)}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// rootAt returns the base64 root hash of the instance's checkpoint for a
// tree size, as alarms name it.
func (in *inst) rootAt(size int) string {
	in.t.Helper()
	var note string
	if err := in.sqlDB().QueryRow(in.query("SELECT note FROM log_checkpoints WHERE size = ?"), size).Scan(&note); err != nil {
		in.t.Fatalf("%s: checkpoint %d: %v", in.name, size, err)
	}
	lines := strings.SplitN(note, "\n", 4)
	if len(lines) < 3 {
		in.t.Fatalf("%s: checkpoint %d: %q", in.name, size, note)
	}
	return lines[2]
}
