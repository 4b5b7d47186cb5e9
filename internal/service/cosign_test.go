package service_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"parley/internal/access"
	"parley/internal/ledger"
	"parley/internal/service"
	"parley/internal/service/servicetest"
	"parley/internal/store/storetest"
)

// TestCosignLog: a party's officer has the party's witness cosign when
// this server keeps its key; a party whose key was taken away (it runs
// its witness itself) is told so, and roles without a party may not.
func TestCosignLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s, _ := servicetest.New(t, b)
		if err := ledger.Init(b.DataDir, "parley.test/log", []string{"A", "B"}); err != nil {
			t.Fatal(err)
		}
		lg, err := ledger.Open(b.DataDir)
		if err != nil {
			t.Fatal(err)
		}
		s.AttachLedger(lg)
		if err := s.RecordKeys(ctx, servicetest.Mediator); err != nil {
			t.Fatal(err)
		}
		// B keeps its witness key on its own machine.
		if err := os.Remove(filepath.Join(b.DataDir, "keys", "witness-B.key")); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name  string
			actor access.Actor
			way   string
			want  error
		}{
			{"mediator", servicetest.Mediator, service.CosignElsewhere, access.ErrForbidden},
			{"officer of B, key elsewhere", servicetest.OfficerB, service.CosignElsewhere, service.ErrConflict},
			{"officer of A", servicetest.OfficerA, service.CosignHere, nil},
			{"officer of A again", servicetest.OfficerA, service.CosignHere, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := s.LogCosignWay(tt.actor); got != tt.way {
					t.Errorf("way %q, want %q", got, tt.way)
				}
				cp, err := s.CosignLog(ctx, tt.actor)
				if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
				if err == nil && cp.Size == 0 {
					t.Error("an empty checkpoint was cosigned")
				}
			})
		}
		st, err := s.LogState(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := ledger.CosignedBy(st.Checkpoint.Note, st.Cosigners); len(got) != 1 {
			t.Errorf("cosigned by %v, want A's witness alone", got)
		}
	})
}
