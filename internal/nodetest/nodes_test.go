package nodetest

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHubAndNodes runs the production shape: a hub and the nodes of A and
// B as three processes. A list imported and handed over at A reaches B;
// B acknowledges it; a proposal goes from A through the
// hub to B and B's acceptance back; both nodes verify and cosign the whole
// log; and afterwards the hub's data directory and database hold no
// private key of A or B and no registry, matching or family row.
// B acknowledges with a reservation: the hub logs it as a dispute entry
// of its own subject that carries B's statement, and neither node's audit
// raises an alarm.
func TestHubAndNodes(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		c := newCluster(t, b)
		a, bn, hub := c.a, c.b, c.hub

		// A list from A reaches B.
		la := a.importList(testdata(t, "neg-list-A.csv"), "B", "Stage 1, from A")
		a.run("list", "handover", la)
		sent, ok := a.showList(la)
		if !ok || sent.ContentHash == "" {
			t.Fatalf("A does not show its handed-over list %s: %+v", la, sent)
		}
		var got listJSON
		waitFor(t, 2*time.Minute, "B holds list "+la, func() (bool, string) {
			var ok bool
			got, ok = bn.showList(la)
			return ok, "not yet"
		})
		if got.ContentHash != sent.ContentHash || got.From != "A" || got.To != "B" || len(got.Entries) != len(sent.Entries) {
			t.Fatalf("B holds %+v, A handed over %+v", got, sent)
		}
		if e := hub.logEntries("list.handed_over", la); len(e) != 1 || e[0].Entry.Actor != "party:A" || !strings.Contains(e[0].Entry.Attrs["statement"], "parley-statement/v1") {
			t.Fatalf("hub log entries of the hand-over: %+v", e)
		}

		// B works on its own data: its registry and a matching run stay
		// on its node.
		bn.run("registry", "import", testdata(t, "registry-B.csv"), "--party", "B")
		bn.run("matches", "run", la)

		// B acknowledges with a reservation; the hub logs B's statement
		// on both entries.
		bn.run("list", "ack", la, "--reservation", "Row 3 is not ours; we will answer in writing.")
		waitFor(t, 2*time.Minute, "the hub logs B's acknowledgement", func() (bool, string) {
			e := hub.logEntries("list.acknowledged", la)
			return len(e) == 1 && e[0].Entry.Actor == "party:B" && e[0].Entry.Attrs["statement"] != "", "not yet"
		})
		ack := hub.logEntries("list.acknowledged", la)[0].Entry.Attrs["statement_id"]
		if ds := hub.logEntries("dispute.reservation", ""); len(ds) != 1 || ds[0].Entry.Actor != "party:B" ||
			ds[0].Entry.Attrs["list_id"] != la || ds[0].Entry.Attrs["statement_id"] != ack || ds[0].Entry.Attrs["statement"] == "" {
			t.Fatalf("hub log entries of B's reservation: %+v", ds)
		}

		// A list from B, so that a stage can release persons both ways.
		lb := bn.importList(testdata(t, "neg-list-B.csv"), "A", "Stage 1, from B")
		bn.run("list", "handover", lb)
		waitFor(t, 2*time.Minute, "A holds list "+lb, func() (bool, string) {
			_, ok := a.showList(lb)
			return ok, "not yet"
		})

		// The mediator convenes a round on the hub; A proposes, B accepts.
		// A node reads rounds and proposals from the hub when it needs them.
		round := strings.TrimSpace(hub.run("round", "create", "--title", "First round", "--party", "A", "--party", "B"))
		hub.run("round", "attach", round, la)
		prop := strings.TrimSpace(a.run("stage", "propose", "--round", round, "--from", "A", "--rule", "unilateral",
			"--release", la+":1"))
		waitFor(t, 2*time.Minute, "B sees proposal "+prop, func() (bool, string) {
			st, out := proposalState(bn, prop)
			return st == "submitted", out
		})
		bn.run("stage", "accept", prop)
		waitFor(t, 2*time.Minute, "A sees B's acceptance of "+prop, func() (bool, string) {
			st, out := proposalState(a, prop)
			return st == "accepted", out
		})
		for _, typ := range []string{"proposal.submitted", "proposal.accepted"} {
			if e := hub.logEntries(typ, prop); len(e) != 1 || e[0].Entry.Attrs["statement"] == "" {
				t.Errorf("hub log entries %s of %s: %+v", typ, prop, e)
			}
		}

		// Both nodes verify and cosign the whole log; the hub holds both
		// cosignatures.
		c.waitSynced()
		for _, n := range []*inst{a, bn} {
			witness := witnessKeyName(t, c.vkeys[n.party])
			waitFor(t, 2*time.Minute, "the hub holds "+n.name+"'s cosignature", func() (bool, string) {
				return hub.count("SELECT COUNT(*) FROM log_cosignatures WHERE witness = ?", witness) > 0, "none yet"
			})
		}

		for _, n := range []*inst{a, bn} {
			if k := n.count("SELECT COUNT(*) FROM node_alarms"); k != 0 {
				st, _ := n.status()
				t.Errorf("%s holds %d alarms: %s", n.name, k, st)
			}
		}

		assertHubHoldsNoPartyData(t, c)

		// The hub's connections: its server's pools (at most 20 + 8, see
		// store.Open) and this test's one handle, however often the test
		// read the database above.
		if b == onPostgres {
			n := hub.pgConnections()
			t.Logf("PostgreSQL connections to the hub's database: %d", n)
			if n > 20+8+1 {
				t.Errorf("%d PostgreSQL connections to the hub's database, want at most %d", n, 20+8+1)
			}
		}
	})
}

// proposalState returns the state of a proposal as "stage ls --json"
// shows it at an instance ("" when it does not show it), and the output.
func proposalState(in *inst, id string) (string, string) {
	in.t.Helper()
	_, out, errOut := in.try("stage", "ls", "--json")
	var ls struct {
		Proposals []struct {
			ID    string `json:"id"`
			State string `json:"state"`
		} `json:"proposals"`
	}
	if json.Unmarshal([]byte(out), &ls) != nil {
		return "", out + errOut
	}
	for _, p := range ls.Proposals {
		if p.ID == id {
			return p.State, out
		}
	}
	return "", out + errOut
}

// witnessKeyName returns the name of the witness key among a node's
// verifier keys ("<origin>/witness/<P>").
func witnessKeyName(t *testing.T, vkeys []string) string {
	t.Helper()
	for _, k := range vkeys {
		name, _, _ := strings.Cut(k, "+")
		if strings.Contains(name, "/witness/") {
			return name
		}
	}
	t.Fatalf("no witness key among %q", vkeys)
	return ""
}

// partyOnlyTables are tables whose rows belong to a party's node alone: a
// registry of missing people, matching and its reviews, family inquiries
// and what families are told. The hub must have none of their rows.
var partyOnlyTables = []string{
	"registry_entries", "registry_versions",
	"match_runs", "match_results",
	"inquiries", "inquiry_links", "inquiry_list_scans",
}

// assertHubHoldsNoPartyData scans the hub's data directory (every file)
// and database (every table, every text cell) for the parties' private
// keys, and checks that no party-only table has a row and that the hub
// holds no draft list.
func assertHubHoldsNoPartyData(t *testing.T, c *cluster) {
	t.Helper()
	var secrets []string
	for _, n := range []*inst{c.a, c.b} {
		keys, err := filepath.Glob(filepath.Join(n.dir, "keys", "*.key"))
		if err != nil || len(keys) < 2 {
			t.Fatalf("%s: private keys %v (%v), want the party and witness keys", n.name, keys, err)
		}
		for _, k := range keys {
			b, err := os.ReadFile(k)
			if err != nil {
				t.Fatal(err)
			}
			line := strings.TrimSpace(string(b))
			if len(line) < 16 {
				t.Fatalf("%s: private key file %s holds %q", n.name, k, line)
			}
			secrets = append(secrets, line)
			// The key material alone, in case it was stored re-encoded
			// with another name. A signed-note private key reads
			// PRIVATE+KEY+<name>+<hash>+<base64>, and the base64 may
			// itself hold '+', so the fields are counted from the left.
			// Other keys (the family secret key) are base64 alone.
			if !strings.HasPrefix(line, "PRIVATE+KEY+") {
				continue
			}
			if f := strings.SplitN(line, "+", 5); len(f) == 5 && len(f[4]) >= 16 {
				secrets = append(secrets, f[4])
			} else {
				t.Fatalf("%s: private key file %s is not a signed-note key", n.name, k)
			}
		}
	}
	err := filepath.WalkDir(c.hub.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		base := d.Name()
		if strings.HasPrefix(base, "party-") || strings.HasPrefix(base, "witness-") {
			t.Errorf("the hub's data directory holds %s", path)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				t.Errorf("the hub's file %s holds a party's private key", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, table := range c.hub.tables() {
		have[table] = true
		c.hub.eachCell(table, func(col, v string) {
			for _, s := range secrets {
				if strings.Contains(v, s) {
					t.Errorf("the hub's table %s (column %s) holds a party's private key", table, col)
				}
			}
		})
	}
	for _, table := range partyOnlyTables {
		if !have[table] {
			continue
		}
		if n := c.hub.count("SELECT COUNT(*) FROM " + table); n != 0 {
			t.Errorf("the hub's table %s has %d rows, want none", table, n)
		}
	}
	if n := c.hub.count("SELECT COUNT(*) FROM lists WHERE state = 'draft'"); n != 0 {
		t.Errorf("the hub holds %d draft lists", n)
	}
	// The nodes do hold what the hub must not: the check above can fail.
	if n := c.b.count("SELECT COUNT(*) FROM registry_entries"); n == 0 {
		t.Error("B's node holds no registry: the scan of the hub proves nothing")
	}
}
