package service_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"parley/internal/service"
	"parley/internal/service/servicetest"
	"parley/internal/store/storetest"
)

// TestToDoFollowsChanges: what waits is kept between changes, but a change
// made through this process shows at once, and one made by another process
// on the same database (the command line) in time.
func TestToDoFollowsChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newNegService(t, b)
		s.Log = &servicetest.Log{}
		other, err := service.New(ctx, b.Open(t), slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		other.Log = &servicetest.Log{}
		toAck := func() int {
			t.Helper()
			items, err := s.ToDo(ctx, servicetest.OfficerB)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, it := range items {
				if it.Kind == service.ToAcknowledge {
					n++
				}
			}
			return n
		}
		n0 := toAck()
		id := negImport(t, s, servicetest.OfficerA, servicetest.OfficerB, "testdata/negotiation/list-A.csv", "A", "B", false)
		if _, err := s.HandOver(ctx, servicetest.OfficerA, id); err != nil {
			t.Fatal(err)
		}
		if n := toAck(); n != n0+1 {
			t.Fatalf("lists to acknowledge right after a hand-over here: %d, want %d", n, n0+1)
		}
		if _, err := other.Acknowledge(ctx, servicetest.OfficerB, id); err != nil {
			t.Fatal(err)
		}
		// Another process's change shows once the kept to-do is
		// computed again (derivedMaxAge). How soon is not asked: a
		// loaded machine may be slow; only a change that never shows
		// fails, after a minute.
		deadline := time.Now().Add(time.Minute)
		for toAck() != n0 {
			if time.Now().After(deadline) {
				t.Fatal("an acknowledgement by another process had not shown after a minute")
			}
			time.Sleep(10 * time.Millisecond)
		}
		// The negotiation summary and the to-do handed out are copies:
		// changing them changes nothing kept.
		sum, err := s.NegotiationSummary(ctx, servicetest.Mediator)
		if err != nil {
			t.Fatal(err)
		}
		sum.Proposals["x"] = 99
		if again, err := s.NegotiationSummary(ctx, servicetest.Mediator); err != nil || again.Proposals["x"] != 0 {
			t.Fatalf("a caller's change reached the kept summary: %v, %v", again, err)
		}
	})
}
