package service

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"parley/internal/disputes"
	"parley/internal/listfile"
	"parley/internal/store/storetest"
)

// BenchmarkHandOverVersion measures the hand-over of a corrected version
// of a list of 2,000 persons, with no open dispute (the baseline) and with
// 200 open contests of its first version, which the hand-over compares
// with the new version and closes in the same transaction (SQLite).
func BenchmarkHandOverVersion(b *testing.B) {
	const size, contests = 2000, 200
	csv := func(changed int) string {
		var s strings.Builder
		s.WriteString("kind,surname,given_names,birth_date,service_number\n")
		for i := 1; i <= size; i++ {
			day := i%28 + 1
			if i <= changed {
				day = (i+1)%28 + 1 // a corrected date of birth
			}
			fmt.Fprintf(&s, "pow,Тестенко,Особа %d,1990-01-%02d,N-%05d\n", i, day, i)
		}
		return s.String()
	}
	for _, n := range []int{0, contests} {
		b.Run(fmt.Sprintf("open_disputes=%d", n), func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				b.StopTimer()
				s := newService(b, storetest.Backend{Name: "sqlite", DataDir: b.TempDir()})
				v1, err := s.ImportList(ctx, officerA, ImportRequest{From: "A", To: "B", Title: "t", Format: listfile.Format("csv")}, strings.NewReader(csv(0)))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := s.HandOver(ctx, officerA, v1.List.ID); err != nil {
					b.Fatal(err)
				}
				for i := 1; i <= n; i++ {
					if _, err := s.ContestRow(ctx, officerB, ContestRequest{ListID: v1.List.ID, Row: i * (size / contests), Reason: disputes.NotOurs}); err != nil {
						b.Fatal(err)
					}
				}
				v2, err := s.ImportList(ctx, officerA, ImportRequest{From: "A", To: "B", Title: "t", Format: listfile.Format("csv"), VersionOf: v1.List.ID}, strings.NewReader(csv(size/2)))
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if _, err := s.HandOver(ctx, officerA, v2.List.ID); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				_ = s.Close()
				b.StartTimer()
			}
		})
	}
}
