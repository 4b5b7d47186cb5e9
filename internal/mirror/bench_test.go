package mirror_test

import (
	"context"
	"log/slog"
	"os"
	"testing"

	"parley/internal/mirror"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

// BenchmarkSync100k measures a node joining late: it mirrors a served log
// of 100,000 entries from nothing (fetching the checkpoint, every entry
// bundle and level-0 tile over HTTP from the hub's real tiles handler,
// verifying every leaf, the consistency of each batch with the signed
// checkpoint and the root, and storing entries and hashes). It reports
// the mirror's storage per 100,000 entries. The node's database is SQLite
// (the expected shape of a node); set PARLEY_BENCH_PG=1 for PostgreSQL.
//
//	go test -run '^$' -bench BenchmarkSync100k -benchtime 1x ./internal/mirror/
func BenchmarkSync100k(b *testing.B) {
	const n = 100_000
	backend := storetest.Backend{Name: "sqlite"}
	if os.Getenv("PARLEY_BENCH_PG") == "1" {
		backend = storetest.Backend{Name: "postgres", URL: "pg"}
	}
	h := newHub(b, storetest.Backend{Name: "sqlite"})
	h.fillHub(b, n)
	ctx := context.Background()
	b.ResetTimer()
	var bytes int64
	for range b.N {
		b.StopTimer()
		db := openDB(b, backend)
		m, err := mirror.New(db, mirror.Options{HubURL: h.srv.URL, LogKey: h.logKey(), Party: "A", Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := m.Sync(ctx)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if res.VerifiedSize != n || len(res.Alarms) != 0 {
			b.Fatalf("sync: %+v", res)
		}
		if bytes, err = mirrorBytes(ctx, db); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(bytes)/(1<<20), "MB/100k")
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

// mirrorBytes returns the space the mirror's tables take in the database:
// on SQLite the pages of the tables and their indexes (dbstat), on
// PostgreSQL their total relation size.
func mirrorBytes(ctx context.Context, db *store.DB) (int64, error) {
	var n int64
	q := `SELECT SUM(pgsize) FROM dbstat WHERE name IN ('mirror_entries', 'mirror_hashes', 'mirror_entries_subject')`
	if db.Dialect() == store.Postgres {
		q = `SELECT pg_total_relation_size('mirror_entries') + pg_total_relation_size('mirror_hashes')`
	}
	err := db.SQL().QueryRowContext(ctx, q).Scan(&n)
	return n, err
}

// BenchmarkRecheckEntries100k measures what "node status" adds to a sync
// by re-reading the node's copy of a log of 100,000 entries and checking
// it against the verified tree (SQLite, the node's database).
//
//	go test -run '^$' -bench BenchmarkRecheckEntries100k -benchtime 3x ./internal/mirror/
func BenchmarkRecheckEntries100k(b *testing.B) {
	const n = 100_000
	h := newHub(b, storetest.Backend{Name: "sqlite"})
	h.fillHub(b, n)
	ctx := context.Background()
	m, err := mirror.New(openDB(b, storetest.Backend{Name: "sqlite"}), mirror.Options{HubURL: h.srv.URL, LogKey: h.logKey(), Party: "A", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	if res, err := m.Sync(ctx); err != nil || res.VerifiedSize != n {
		b.Fatalf("sync: %+v %v", res, err)
	}
	b.ResetTimer()
	for range b.N {
		if checked, err := m.RecheckEntries(ctx); err != nil || checked != n {
			b.Fatalf("recheck: %d, %v", checked, err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}
