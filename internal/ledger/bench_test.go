package ledger_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/tlog"

	"parley/internal/ledger"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

// BenchmarkAppend measures appends, each in its own transaction with its
// checkpoint signed, by one writer and by four concurrent writers (which
// queue on the log's lock), on SQLite and PostgreSQL, with every commit
// flushed to disk (SQLite synchronous=FULL; PostgreSQL synchronous_commit
// on). It reports entries/s and how many appends shared one commit (SQLite
// batches concurrent writers behind one flush).
func BenchmarkAppend(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		for _, writers := range []int{1, 4} {
			b.Run(fmt.Sprintf("%s/writers=%d", backend, writers), func(b *testing.B) {
				bk := storetest.Backend{Name: backend, DataDir: b.TempDir()}
				if backend == "postgres" {
					bk.URL = storetest.NewPostgresURL(b)
				}
				db := bk.Open(b)
				l := newLog(b)
				ctx := context.Background()
				appendBatch(b, db, l, 0, 1000) // not an empty log
				var next atomic.Int64
				var wg sync.WaitGroup
				errs := make(chan error, writers)
				u0, c0 := db.WriteStats()
				b.ResetTimer()
				start := time.Now()
				for w := 0; w < writers; w++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							i := next.Add(1)
							if i > int64(b.N) {
								return
							}
							ev := event(int(i))
							if err := db.Update(ctx, func(tx *store.Tx) error {
								_, err := l.Append(ctx, tx, ev)
								return err
							}); err != nil {
								errs <- err
								return
							}
						}
					}()
				}
				wg.Wait()
				elapsed := time.Since(start)
				b.StopTimer()
				close(errs)
				for err := range errs {
					b.Fatal(err)
				}
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "entries/s")
				u1, c1 := db.WriteStats()
				if c1 > c0 {
					b.ReportMetric(float64(u1-u0)/float64(c1-c0), "appends/commit")
				}
			})
		}
	}
}

// BenchmarkAppendListHandOver measures the append of a hand-over of a
// list of 640 persons (the size of a real first list), with its 640
// salted commitments and openings, on SQLite.
func BenchmarkAppendListHandOver(b *testing.B) {
	ctx := context.Background()
	db, err := store.Open(ctx, b.TempDir(), "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	l := newLog(b)
	items := make([]ledger.Item, 640)
	for i := range items {
		items[i] = ledger.Item{ID: ledger.ListItemID(i + 1), Data: []byte(fmt.Sprintf(`{"row":%d,"kind":"pow","surname":"%s"}`, i+1, strings.Repeat("x", 40)))}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ev := ledger.Event{Type: ledger.EventListHandedOver, Actor: "operator:A", Subject: fmt.Sprint("L", i),
			Attrs: map[string]string{"content_hash": "sha256:00"}, Personal: items}
		if err := db.Update(ctx, func(tx *store.Tx) error {
			_, err := l.Append(ctx, tx, ev)
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
}

// memHashes is a tlog.HashReader over hashes kept in memory.
type memHashes []tlog.Hash

func (m memHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		out[i] = m[x]
	}
	return out, nil
}

const millionEntries = 1_000_000

var (
	millionOnce sync.Once
	million     memHashes
	millionRoot tlog.Hash
)

// millionTree builds, once, the stored hashes of a log of a million
// entries, as Append would store them.
func millionTree(b *testing.B) (memHashes, tlog.Hash) {
	millionOnce.Do(func() {
		hs := make(memHashes, 0, tlog.StoredHashCount(millionEntries))
		for i := int64(0); i < millionEntries; i++ {
			add, err := tlog.StoredHashes(i, []byte(fmt.Sprintf("parley-event/v1\n{\"n\":%d}", i)), hs)
			if err != nil {
				panic(err)
			}
			hs = append(hs, add...)
		}
		million = hs
		root, err := tlog.TreeHash(millionEntries, hs)
		if err != nil {
			panic(err)
		}
		millionRoot = root
	})
	return million, millionRoot
}

// BenchmarkProofs1M measures proof generation and verification in a log
// of a million entries, with tlog (which Parley builds proofs with) and
// transparency-dev/merkle (which independent verifiers use).
func BenchmarkProofs1M(b *testing.B) {
	hs, root := millionTree(b)
	const n = millionEntries
	rng := rand.New(rand.NewPCG(1, 2))
	b.Run("inclusion/prove", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := tlog.ProveRecord(n, rng.Int64N(n), hs); err != nil {
				b.Fatal(err)
			}
		}
	})
	idx := rng.Int64N(n)
	p, _ := tlog.ProveRecord(n, idx, hs)
	leaf := hs[tlog.StoredHashIndex(0, idx)]
	b.Run("inclusion/verify-tlog", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := tlog.CheckRecord(p, n, root, idx, leaf); err != nil {
				b.Fatal(err)
			}
		}
	})
	pb := hashes(p)
	b.Run("inclusion/verify-merkle", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(idx), n, leaf[:], pb, root[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("consistency/prove", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := tlog.ProveTree(n, 1+rng.Int64N(n-1), hs); err != nil {
				b.Fatal(err)
			}
		}
	})
	old := int64(654_321)
	oldRoot, _ := tlog.TreeHash(old, hs)
	cp, _ := tlog.ProveTree(n, old, hs)
	b.Run("consistency/verify-tlog", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := tlog.CheckTree(cp, n, root, old, oldRoot); err != nil {
				b.Fatal(err)
			}
		}
	})
	cpb := hashes(cp)
	b.Run("consistency/verify-merkle", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := proof.VerifyConsistency(rfc6962.DefaultHasher, uint64(old), n, cpb, oldRoot[:], root[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkProofFromSQLite1M measures proof generation as the server does
// it, reading the stored hashes of a million-entry log from SQLite.
func BenchmarkProofFromSQLite1M(b *testing.B) {
	hs, root := millionTree(b)
	ctx := context.Background()
	db, err := store.Open(ctx, b.TempDir(), "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(ctx, func(tx *store.Tx) error {
		const batch = 400
		for start := 0; start < len(hs); start += batch {
			end := min(start+batch, len(hs))
			args := make([]any, 0, 2*(end-start))
			for i := start; i < end; i++ {
				args = append(args, int64(i), hs[i][:])
			}
			q := "INSERT INTO log_hashes (idx, hash) VALUES " + strings.TrimSuffix(strings.Repeat("(?, ?), ", end-start), ", ")
			if _, err := tx.Exec(ctx, q, args...); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		idx := rng.Int64N(millionEntries)
		p, err := ledger.InclusionProof(ctx, db, millionEntries, idx)
		if err != nil {
			b.Fatal(err)
		}
		if err := tlog.CheckRecord(p, millionEntries, root, idx, hs[tlog.StoredHashIndex(0, idx)]); err != nil {
			b.Fatal(err)
		}
	}
}
