package ledger_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"parley/internal/ledger"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

// truncate cuts the stored log back to size n, as a lost tail would:
// entries, hashes and the head always; the checkpoints and cosignatures
// above n too when all is set (then only the records of what was issued,
// or the witnesses' own state, still show that the log was larger).
func truncate(t *testing.T, db *store.DB, n int64, all bool) {
	t.Helper()
	ctx := context.Background()
	stmts := []string{
		`DELETE FROM log_openings WHERE idx >= ?`,
		`DELETE FROM log_entries WHERE idx >= ?`,
		`UPDATE log_head SET size = ? WHERE id = 1`,
	}
	if all {
		stmts = append(stmts, `DELETE FROM log_cosignatures WHERE size > ?`, `DELETE FROM log_checkpoints WHERE size > ?`)
	}
	q := func(s string) string {
		if db.Dialect() == store.Postgres {
			return strings.ReplaceAll(s, "?", "$1")
		}
		return s
	}
	for _, s := range stmts {
		if _, err := db.SQL().ExecContext(ctx, q(s), n); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	// Hashes of the tree of size n are those with storage index below
	// StoredHashCount(n).
	if _, err := db.SQL().ExecContext(ctx, q(`DELETE FROM log_hashes WHERE idx >= ?`), tlog.StoredHashCount(n)); err != nil {
		t.Fatal(err)
	}
}

// TestCheckStored truncates the log below what it issued, in several
// ways, and checks that the start-up check reports each, and passes on an
// intact log.
func TestCheckStored(t *testing.T) {
	t.Parallel() // waits on PostgreSQL mostly; overlap the waits
	cases := []struct {
		name string
		// damage changes the stored log after 10 entries, a receipt of
		// entry 9 at size 10, an issued checkpoint of size 12 and A's
		// cosignature of size 12 (14 entries in all).
		damage func(t *testing.T, db *store.DB, l *ledger.Log)
		want   []string // substrings of the error; none: consistent
	}{
		{"intact", func(*testing.T, *store.DB, *ledger.Log) {}, nil},
		{"tail lost, checkpoints kept", func(t *testing.T, db *store.DB, l *ledger.Log) { truncate(t, db, 8, false) },
			[]string{"latest checkpoint 14 is of size 14, beyond the stored tree", "issued receipt of list L1", "issued checkpoint 12", "cosigned checkpoint 12"}},
		{"tail lost below the issued checkpoint", func(t *testing.T, db *store.DB, l *ledger.Log) { truncate(t, db, 11, true) },
			[]string{"issued checkpoint 12 is of size 12, beyond the stored tree", "witness"}},
		{"forked after the receipt", func(t *testing.T, db *store.DB, l *ledger.Log) {
			truncate(t, db, 9, true)
			appendN(t, db, l, 100, 5) // different entries at 9..13
		}, []string{"issued receipt of list L1 (entry 9, checkpoint 10): root hash differs", "issued checkpoint 12: root hash differs"}},
	}
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				ctx := context.Background()
				db := storetest.Backend{Name: b.Name, DataDir: t.TempDir(), URL: freshURL(t, b)}.Open(t)
				l := newLog(t)
				appendN(t, db, l, 0, 9)
				handOver(t, db, l, "L1") // entry 9
				if _, err := l.IssueReceipt(ctx, db, "L1"); err != nil {
					t.Fatal(err)
				}
				appendN(t, db, l, 10, 2)
				if cp, err := l.IssueCheckpoint(ctx, db); err != nil || cp.Size != 12 {
					t.Fatalf("issue checkpoint: %v", err)
				}
				mux := http.NewServeMux()
				h, err := l.WitnessHandler("A", db)
				if err != nil {
					t.Fatal(err)
				}
				mux.Handle("/witness/A/", http.StripPrefix("/witness/A", h))
				srv := httptest.NewServer(mux)
				defer srv.Close()
				if _, err := l.Cosign(ctx, db, "A", &ledger.HTTPWitness{URL: srv.URL + "/witness/A", Client: srv.Client()}); err != nil {
					t.Fatal(err)
				}
				appendN(t, db, l, 12, 2)
				if err := l.CheckStored(ctx, db); err != nil {
					t.Fatalf("before the damage: %v", err)
				}
				c.damage(t, db, l)
				err = l.CheckStored(ctx, db)
				if len(c.want) == 0 {
					if err != nil {
						t.Fatal(err)
					}
					return
				}
				var bad *ledger.InconsistentError
				if !errors.As(err, &bad) {
					t.Fatalf("damage not reported: %v", err)
				}
				for _, w := range c.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error lacks %q:\n%v", w, err)
					}
				}
			})
		}
	})
}

func freshURL(t *testing.T, b storetest.Backend) string {
	if b.Name == "postgres" {
		return storetest.NewPostgresURL(t)
	}
	return ""
}
