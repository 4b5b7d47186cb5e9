package familyweb

import (
	"strconv"
	"testing"

	"parley/internal/families"
)

// TestChartLabelsFit checks that no axis label of the public chart is cut
// off at the edge of the drawing: each label's width, estimated at 0.62 em
// a character at the 11 px of the stylesheet, stays inside the viewBox.
func TestChartLabelsFit(t *testing.T) {
	const em, font = 0.62, 11.0
	cases := []struct {
		name          string
		listed, repat []families.Point
	}{
		{"a week", []families.Point{{Date: "2025-06-07", Total: 640}, {Date: "2025-06-14", Total: 1000}}, []families.Point{{Date: "2025-06-10", Total: 390}}},
		{"one day", []families.Point{{Date: "2025-12-29", Total: 12}}, nil},
		{"a million", []families.Point{{Date: "2024-01-01", Total: 10}, {Date: "2026-12-31", Total: 1_000_000}}, nil},
	}
	for _, c := range cases {
		ch := buildChart(c.listed, c.repat, "on lists", "repatriated")
		for _, tk := range ch.XTicks {
			x, _ := strconv.ParseFloat(tk.Pos, 64)
			half := float64(len(tk.Label)) * em * font / 2
			if x-half < 0 || x+half > float64(ch.Width) {
				t.Errorf("%s: x label %q at %.0f is cut (%.0f..%.0f of 0..%d)", c.name, tk.Label, x, x-half, x+half, ch.Width)
			}
		}
		for _, tk := range ch.YTicks {
			w := float64(len(tk.Label)) * em * font
			if float64(ch.Left)-6-w < 0 {
				t.Errorf("%s: y label %q is cut (needs %.0f px, has %d)", c.name, tk.Label, w, ch.Left-6)
			}
		}
	}
}
