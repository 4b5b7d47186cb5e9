package ledger_test

import (
	"context"
	"fmt"
	"testing"

	"parley/internal/ledger"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

// BenchmarkAgreed measures finding the latest agreed checkpoint — what the
// log page, the API and every receipt do — on a log whose 500 latest sizes
// each carry a cosignature by party A's witness, with three registered
// witnesses. "met" requires A: the latest size is agreed. "unmet" requires
// a witness that never cosigned: every cosigned size is examined.
func BenchmarkAgreed(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		bk := storetest.Backend{Name: backend, DataDir: b.TempDir()}
		if backend == "postgres" {
			bk.URL = storetest.NewPostgresURL(b)
		}
		db := bk.Open(b)
		l := newLog(b)
		ctx := context.Background()
		const sizes = 500
		wit, err := l.Witness("A", db)
		if err != nil {
			b.Fatal(err)
		}
		for i := range sizes {
			appendBatch(b, db, l, i, 1)
			if _, err := l.Cosign(ctx, db, "A", wit); err != nil {
				b.Fatal(err)
			}
		}
		if err := db.Update(ctx, func(tx *store.Tx) error {
			for i := range 3 {
				url, vkey := newExternalWitness(b, l, db, fmt.Sprintf("w%d.example/w", i))
				row, err := l.NewWitnessRow(nil, fmt.Sprintf("w%d", i), vkey, url, "")
				if err != nil {
					return err
				}
				if err := tx.AddLogWitness(ctx, row); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		for _, tc := range []struct {
			name   string
			policy ledger.PolicyRow
			agreed bool
		}{
			{"met", ledger.PolicyRow{Required: []string{"A"}}, true},
			{"unmet", ledger.PolicyRow{Required: []string{"A", "w0"}}, false},
		} {
			if err := db.Update(ctx, func(tx *store.Tx) error { return tx.SetLogPolicy(ctx, tc.policy) }); err != nil {
				b.Fatal(err)
			}
			b.Run(backend+"/"+tc.name, func(b *testing.B) {
				for b.Loop() {
					_, _, agreed, err := l.Agreed(ctx, db)
					if err != nil || agreed != tc.agreed {
						b.Fatalf("agreed %v, %v", agreed, err)
					}
				}
			})
		}
	}
}
