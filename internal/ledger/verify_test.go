package ledger_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"parley/internal/ledger"
	"parley/internal/ledger/ledgertest"
	"parley/internal/person"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

// tamperFixture is a log with two handed-over lists (L7 at entry 3, L8 at
// entry 8), cosigned by both parties at size 9, grown to size 12, and a
// verifier state that trusts size 12.
type tamperFixture struct {
	b     storetest.Backend
	db    *store.DB
	l     *ledger.Log
	state *ledger.State
}

func newTamperFixture(t *testing.T, b storetest.Backend) *tamperFixture {
	t.Helper()
	ctx := context.Background()
	f := &tamperFixture{b: b, db: b.Open(t), l: newLog(t)}
	appendN(t, f.db, f.l, 0, 3)
	if idx := handOver(t, f.db, f.l, "L7"); idx != 3 {
		t.Fatalf("L7 at entry %d", idx)
	}
	appendN(t, f.db, f.l, 4, 4)
	if idx := handOver(t, f.db, f.l, "L8"); idx != 8 {
		t.Fatalf("L8 at entry %d", idx)
	}
	for _, p := range testParties {
		w, err := f.l.Witness(p, f.db)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.l.Cosign(ctx, f.db, p, w); err != nil {
			t.Fatal(err)
		}
	}
	appendN(t, f.db, f.l, 9, 3)
	f.state = &ledger.State{}
	rep := f.verify(t, f.state)
	if !rep.OK() || f.state.Size != 12 {
		t.Fatalf("untampered log does not verify: %s", rep)
	}
	return f
}

func (f *tamperFixture) witnessKeys(t *testing.T) []string {
	var ks []string
	for _, p := range testParties {
		k, err := f.l.WitnessVerifierKey(p)
		if err != nil {
			t.Fatal(err)
		}
		ks = append(ks, k)
	}
	return ks
}

func (f *tamperFixture) verify(t *testing.T, state *ledger.State) *ledger.Report {
	t.Helper()
	ctx := context.Background()
	var rep *ledger.Report
	err := f.db.View(ctx, func(tx *store.Tx) error {
		var err error
		rep, err = ledger.VerifyWitnessed(ctx, ledger.NewStorageSource(tx), f.l.VerifierKey(), f.witnessKeys(t), state)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// verifyHTTP verifies the log as served on /log/, with no access to the
// database.
func (f *tamperFixture) verifyHTTP(t *testing.T, state *ledger.State) *ledger.Report {
	t.Helper()
	srv := tilesServer(t, f.l, f.db)
	defer srv.Close()
	rep, err := ledger.VerifyWitnessed(context.Background(), &ledger.HTTPSource{URL: srv.URL + "/log", Client: srv.Client()}, f.l.VerifierKey(), f.witnessKeys(t), state)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// rewriteHistory replaces the log by another one of the given size, signed
// with the same key: entries, hashes and checkpoints, all consistent with
// each other. Only the parties' cosignatures and verifiers' states remain
// from the true history.
func (f *tamperFixture) rewriteHistory(t *testing.T, size int64) {
	ctx := context.Background()
	forged := forgeLog(t, f.l, int(size))
	f.exec(t, `DELETE FROM log_openings`)
	f.exec(t, `DELETE FROM log_entries`)
	f.exec(t, `DELETE FROM log_hashes`)
	es, _ := forged.LogEntries(ctx, 0, size)
	for _, e := range es {
		f.exec(t, `INSERT INTO log_entries (idx, data, event_type, subject, created_at) VALUES (?, ?, ?, ?, ?)`, e.Index, e.Data, e.Type, e.Subject, "2025-06-07T00:00:00Z")
	}
	idx := make([]int64, tlog.StoredHashCount(size))
	for i := range idx {
		idx[i] = int64(i)
	}
	hs, err := forged.LogHashes(ctx, idx)
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range hs {
		f.exec(t, `INSERT INTO log_hashes (idx, hash) VALUES (?, ?)`, int64(i), h)
	}
	cps, _ := forged.Checkpoints(ctx, 1, size)
	for _, c := range cps {
		if c.Size <= 12 {
			f.exec(t, `UPDATE log_checkpoints SET note = ? WHERE size = ?`, string(c.Note), c.Size)
		} else {
			f.exec(t, `INSERT INTO log_checkpoints (size, note, created_at) VALUES (?, ?, ?)`, c.Size, string(c.Note), "2025-06-07T00:00:00Z")
		}
	}
	f.exec(t, `UPDATE log_head SET size = ? WHERE id = 1`, size)
}

// exec runs a statement behind the store's back, with "?" placeholders.
func (f *tamperFixture) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if f.b.URL != "" {
		n := 0
		q = rebindQ(q, &n)
	}
	if _, err := f.db.SQL().ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func rebindQ(q string, n *int) string {
	var b strings.Builder
	for _, c := range q {
		if c == '?' {
			*n++
			fmt.Fprintf(&b, "$%d", *n)
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (f *tamperFixture) entryData(t *testing.T, idx int64) []byte {
	t.Helper()
	es, err := f.db.LogEntries(context.Background(), idx, idx+1)
	if err != nil || len(es) != 1 {
		t.Fatalf("entry %d: %v %v", idx, es, err)
	}
	return es[0].Data
}

// rewriteHashes recomputes every stored hash from the entries as they are
// now, as a careful forger would.
func (f *tamperFixture) rewriteHashes(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	es, err := f.db.LogEntries(ctx, 0, 1<<40)
	if err != nil {
		t.Fatal(err)
	}
	var all []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = all[x]
		}
		return out, nil
	})
	for i, e := range es {
		hs, err := tlog.StoredHashes(int64(i), e.Data, reader)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, hs...)
	}
	for i, h := range all {
		f.exec(t, `UPDATE log_hashes SET hash = ? WHERE idx = ?`, h[:], int64(i))
	}
}

func TestVerifyCatchesTampering(t *testing.T) {
	t.Parallel() // waits on PostgreSQL mostly; overlap the waits
	tests := []struct {
		name string
		// tamper changes the database behind the server's back.
		tamper func(t *testing.T, f *tamperFixture)
		// want are substrings that must each appear in some problem.
		want []string
		// wantNoState are substrings that must appear even without the
		// trusted state (from the database's own evidence).
		wantNoState []string
		// public: a verifier that sees only the served log (/log/) notices
		// it too. Changes to the lists are visible only with the database.
		public bool
	}{
		{
			name: "edit a person in a handed-over list",
			tamper: func(t *testing.T, f *tamperFixture) {
				p := ledgertest.Persons(t)[11]
				p.Surname = "Інший"
				b, _ := json.Marshal(p)
				f.exec(t, `UPDATE list_entries SET person = ? WHERE list_id = ? AND row_no = ?`, string(b), "L7", 12)
			},
			want: []string{
				"list L7 row 12: content no longer matches commitment in log entry 3",
				"list L7: content hash is now",
			},
			wantNoState: []string{"list L7 row 12: content no longer matches commitment in log entry 3"},
		},
		{
			name: "remove a person from a handed-over list",
			tamper: func(t *testing.T, f *tamperFixture) {
				f.exec(t, `DELETE FROM list_entries WHERE list_id = ? AND row_no = ?`, "L8", 2)
			},
			want: []string{"list L8 row 2: removed after hand-over (committed in log entry 8)"},
		},
		{
			name: "add a person to a handed-over list",
			tamper: func(t *testing.T, f *tamperFixture) {
				b, _ := json.Marshal(person.Person{Kind: person.KindPOW, Surname: "Новий"})
				f.exec(t, `INSERT INTO list_entries (list_id, row_no, person, surname, categories) VALUES (?, ?, ?, ?, ?)`, "L7", 13, string(b), "Новий", "")
			},
			want: []string{"list L7 row 13: not in the list committed in log entry 3 (added after hand-over)"},
		},
		{
			name: "delete an entry",
			tamper: func(t *testing.T, f *tamperFixture) {
				f.exec(t, `DELETE FROM log_entries WHERE idx = ?`, int64(5))
			},
			want:        []string{"entry 5: missing from the log (deleted)"},
			wantNoState: []string{"entry 5: missing from the log (deleted)"},
			public:      true,
		},
		{
			name: "reorder entries",
			tamper: func(t *testing.T, f *tamperFixture) {
				a, b := f.entryData(t, 4), f.entryData(t, 5)
				f.exec(t, `UPDATE log_entries SET data = ? WHERE idx = ?`, b, int64(4))
				f.exec(t, `UPDATE log_entries SET data = ? WHERE idx = ?`, a, int64(5))
			},
			want: []string{
				"entry 4: hash differs from the tree (entry edited or reordered)",
				"entry 5: hash differs from the tree (entry edited or reordered)",
			},
			public: true,
		},
		{
			name: "edit an entry and rewrite the hashes to match",
			tamper: func(t *testing.T, f *tamperFixture) {
				d := strings.Replace(string(f.entryData(t, 5)), `"stage":"5"`, `"stage":"6"`, 1)
				f.exec(t, `UPDATE log_entries SET data = ? WHERE idx = ?`, []byte(d), int64(5))
				f.rewriteHashes(t)
			},
			want: []string{
				"entry 5: differs from what the log signed at size 6",
				"the 12 entries give root",
			},
			wantNoState: []string{"entry 5: differs from what the log signed at size 6"},
			public:      true,
		},
		{
			name: "truncate the log",
			tamper: func(t *testing.T, f *tamperFixture) {
				f.exec(t, `DELETE FROM log_cosignatures WHERE size > ?`, int64(10))
				f.exec(t, `DELETE FROM log_checkpoints WHERE size > ?`, int64(10))
				f.exec(t, `DELETE FROM log_openings WHERE idx >= ?`, int64(10))
				f.exec(t, `DELETE FROM log_entries WHERE idx >= ?`, int64(10))
				f.exec(t, `DELETE FROM log_hashes WHERE idx >= ?`, tlog.StoredHashCount(10))
				f.exec(t, `UPDATE log_head SET size = ? WHERE id = 1`, int64(10))
			},
			want:   []string{"log truncated: checkpoint size 10, trusted state size 12"},
			public: true,
		},
		{
			name: "replace the checkpoint with one of another tree of the same size",
			tamper: func(t *testing.T, f *tamperFixture) {
				forged := forgeLog(t, f.l, 12)
				row, err := forged.CheckpointAt(context.Background(), 12)
				if err != nil {
					t.Fatal(err)
				}
				f.exec(t, `UPDATE log_checkpoints SET note = ? WHERE size = ?`, string(row.Note), int64(12))
			},
			want: []string{
				"checkpoint for size 12 has root",
				"at the same size: fork",
				"the 12 entries give root",
			},
			wantNoState: []string{"the 12 entries give root"},
			public:      true,
		},
		{
			name:   "rewrite the whole history (entries, hashes, checkpoints)",
			tamper: func(t *testing.T, f *tamperFixture) { f.rewriteHistory(t, 12) },
			want: []string{
				"checkpoint for size 12 has root",
				"cosignature of parley.test/log/witness/A does not verify",
				"cosignature of parley.test/log/witness/B does not verify",
				"list L7: handed over in the database, but its hand-over is not in the log",
			},
			// Without a trusted state, the parties' cosignatures still
			// expose the rewrite.
			wantNoState: []string{"cosignature of parley.test/log/witness/A does not verify"},
			public:      true,
		},
		{
			name:   "rewrite the history and grow beyond the trusted size",
			tamper: func(t *testing.T, f *tamperFixture) { f.rewriteHistory(t, 14) },
			want: []string{
				"checkpoint for size 14 is not consistent with the trusted checkpoint for size 12",
				"cosignature of parley.test/log/witness/A does not verify",
			},
			public: true,
		},
	}
	// One fixture per backend; each case tampers, verifies, and restores
	// the tables, since creating a PostgreSQL database per case is slow.
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newTamperFixture(t, b)
		f.snapshot(t)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				defer f.restore(t)
				tt.tamper(t, f)
				state := *f.state
				rep := f.verify(t, &state)
				t.Logf("report:\n%s", rep)
				if rep.OK() {
					t.Fatalf("tampering went unnoticed:\n%s", rep)
				}
				if state != *f.state {
					t.Error("the state advanced although verification failed")
				}
				checkProblems(t, rep, tt.want)
				if tt.wantNoState != nil {
					checkProblems(t, f.verify(t, nil), tt.wantNoState)
				}
				if tt.public {
					state := *f.state
					if rep := f.verifyHTTP(t, &state); rep.OK() {
						t.Errorf("a verifier of the served log did not notice:\n%s", rep)
					} else {
						t.Logf("served log:\n%s", rep)
					}
				}
			})
		}
	})
}

// snapshotTables are the tables the tamper cases change, children first.
var snapshotTables = []string{"log_cosignatures", "log_openings", "log_checkpoints", "log_entries", "log_hashes", "log_head", "list_entries"}

func (f *tamperFixture) snapshot(t *testing.T) {
	for _, tb := range snapshotTables {
		f.exec(t, `CREATE TABLE snap_`+tb+` AS SELECT * FROM `+tb)
	}
	if rep := f.verify(t, nil); !rep.OK() {
		t.Fatalf("snapshot does not verify: %s", rep)
	}
}

func (f *tamperFixture) restore(t *testing.T) {
	for _, tb := range snapshotTables {
		f.exec(t, `DELETE FROM `+tb)
	}
	for i := len(snapshotTables) - 1; i >= 0; i-- {
		f.exec(t, `INSERT INTO `+snapshotTables[i]+` SELECT * FROM snap_`+snapshotTables[i])
	}
	if rep := f.verify(t, nil); !rep.OK() {
		t.Fatalf("restored log does not verify: %s", rep)
	}
}

func checkProblems(t *testing.T, rep *ledger.Report, want []string) {
	t.Helper()
	for _, w := range want {
		found := false
		for _, p := range rep.Problems {
			if strings.Contains(p.Message, w) {
				found = true
			}
		}
		if !found {
			t.Errorf("no problem says %q; report:\n%s", w, rep)
		}
	}
}

// forgeLog builds, in a scratch database, another log of the given size
// signed with the same key: what a dishonest mediator could produce.
func forgeLog(t *testing.T, l *ledger.Log, size int) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "forged"), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for i := 0; i < size; i++ {
		ev := event(1000 + i)
		err := db.Update(ctx, func(tx *store.Tx) error {
			_, err := l.Append(ctx, tx, ev)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// TestVerifyStateAdvances runs on SQLite only: it is about the state file,
// and the storage paths it uses are covered on both backends elsewhere.
func TestVerifyStateAdvances(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l := newLog(t)
	path := filepath.Join(t.TempDir(), "state.json")
	for round, n := range []int{1, 300, 0, 5} { // 301 crosses a full tile
		if n > 0 {
			appendBatch(t, db, l, 10000*round, n)
		}
		st, err := ledger.LoadState(path)
		if err != nil {
			t.Fatal(err)
		}
		before := st.Size
		rep, err := ledger.Verify(ctx, ledger.NewStorageSource(db), l.VerifierKey(), st)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() {
			t.Fatalf("round %d: %s", round, rep)
		}
		if st.Size != before+int64(n) {
			t.Errorf("round %d: state size %d, want %d", round, st.Size, before+int64(n))
		}
		if err := st.Save(path); err != nil {
			t.Fatal(err)
		}
	}
}

func TestVerifyRejectsWrongKey(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, other := newLog(t), newLog(t)
	appendN(t, db, l, 0, 2)
	rep, err := ledger.Verify(ctx, ledger.NewStorageSource(db), other.VerifierKey(), nil)
	if err != nil {
		t.Fatal(err)
	}
	checkProblems(t, rep, []string{"latest checkpoint: checkpoint signature"})
	if _, err := ledger.Verify(ctx, ledger.NewStorageSource(db), "not a key", nil); err == nil {
		t.Error("Verify accepted a malformed key")
	}
}
