package store_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"

	"parley/internal/families"
	"parley/internal/matching"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

// Data stored before records had lasting ids carries over: list entries,
// registry records, match results (with their reviews and candidates) and
// family links all get ids, and nothing is lost.
func TestIdentityMigrationKeepsData(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		ts := "'2026-01-01T00:00:00Z'"
		migrateAndSeed(t, b, 9, []string{
			`INSERT INTO parties (id, name, created_at) VALUES ('A', 'Alpha', ` + ts + `), ('B', 'Beta', ` + ts + `)`,
			`INSERT INTO lists (id, from_party, to_party, title, version, root_id, state, created_at) VALUES ('L1', 'A', 'B', 't', 1, 'L1', 'handed_over', ` + ts + `)`,
			`INSERT INTO list_entries (list_id, row_no, person, surname) VALUES ('L1', 1, '{"kind":"pow","surname":"Шевченко"}', 'Шевченко'), ('L1', 2, '{"kind":"pow","surname":"Коваленко"}', 'Коваленко')`,
			`INSERT INTO registry_entries (party, row_no, person, status, updated_at) VALUES ('B', 1, '{"kind":"pow","surname":"Бондар","status":"missing"}', 'missing', ` + ts + `), ('B', 2, '{"kind":"pow","surname":"Шевченко","status":"believed_captured"}', 'believed_captured', ` + ts + `)`,
			`INSERT INTO match_runs (id, list_id, party, threshold_match, threshold_review, registry_size, matched, review, unmatched, created_by, created_at) VALUES ('M1', 'L1', 'B', 0.9, 0.5, 2, 1, 0, 1, 'b', ` + ts + `)`,
			`INSERT INTO match_results (run_id, list_row, registry_row, score, decision, reason, candidates, review, reviewed_row, reviewed_by, reviewed_at) VALUES
				('M1', 1, 2, 0.99, 'match', 'r', '2:0.9900 1:0.0010', 'confirmed', 2, 'b', ` + ts + `),
				('M1', 2, 0, 0.01, 'none', 'r', '', 'pending', 0, '', '')`,
			`INSERT INTO inquiries (id, reference, party, relative, source, dedup_key, secret_hash, created_at) VALUES ('Q1', 'REF1', 'B', 'x', 'web', 'k1', 'h', ` + ts + `)`,
			`INSERT INTO inquiry_links (id, inquiry_id, list_id, row_no, party, score, decision, state, created_at) VALUES ('K1', 'Q1', 'L1', 1, 'B', 0.9, 'match', 'confirmed', ` + ts + `)`,
		})

		db := b.Open(t) // applies the rest
		err := db.View(ctx, func(tx *store.Tx) error {
			es, err := tx.Entries(ctx, "L1")
			if err != nil {
				return err
			}
			if len(es) != 2 || es[0].ID != "L1-1" || es[1].ID != "L1-2" || es[0].Surname != "Шевченко" {
				t.Errorf("list entries: %+v", es)
			}
			reg, err := tx.Registry(ctx, "B")
			if err != nil {
				return err
			}
			if len(reg) != 2 || reg[0].ID != "r1" || reg[1].ID != "r2" || reg[1].Surname != "Шевченко" {
				t.Errorf("registry: %+v", reg)
			}
			if v, err := tx.RegistryVersionNumber(ctx, "B"); err != nil || v != 1 {
				t.Errorf("registry version %d, %v", v, err)
			}
			rows, err := tx.MatchRows(ctx, "M1")
			if err != nil {
				return err
			}
			if len(rows) != 2 {
				t.Fatalf("match rows: %+v", rows)
			}
			r := rows[0]
			cs := matching.CandidateList(r.Candidates)
			if r.EntryID != "L1-1" || r.RegistryID != "r2" || r.Review != "confirmed" || r.ReviewedID != "r2" || len(cs) != 2 || cs[0].ID != "r2" || cs[1].ID != "r1" {
				t.Errorf("confirmed row: %+v", r)
			}
			if rows[1].EntryID != "L1-2" || rows[1].RegistryID != "" || rows[1].Candidates != "" {
				t.Errorf("unmatched row: %+v", rows[1])
			}
			links, err := tx.Links(ctx, store.LinkFilter{InquiryID: "Q1"})
			if err != nil {
				return err
			}
			if len(links) != 1 || links[0].PersonID != "L1/L1-1" || links[0].State != families.LinkConfirmed {
				t.Errorf("links: %+v", links)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// migrateAndSeed brings a fresh database of the backend up to migration
// version only and runs stmts on it, to store data as an older Parley
// did; opening the store afterwards applies the later migrations to it.
func migrateAndSeed(t *testing.T, b storetest.Backend, version int64, stmts []string) {
	t.Helper()
	ctx := context.Background()
	driver, dialect, dsn := "sqlite", goose.DialectSQLite3, "file:"+filepath.Join(b.DataDir, "parley.db")+"?_pragma=foreign_keys(1)"
	if b.URL != "" {
		driver, dialect, dsn = "pgx", goose.DialectPostgres, b.URL
	}
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	p, err := goose.NewProvider(dialect, raw, os.DirFS("migrations/"+b.Name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		t.Fatal(err)
	}
	for _, q := range stmts {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}
