package familyweb

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"parley/internal/families"
	"parley/internal/parties"
	"parley/internal/service"
	"parley/internal/store/storetest"
)

// TestLimiter: the family-site limits count in the database, on SQLite and
// PostgreSQL; two servers on one database share them and reopening the
// database (a restart) keeps them.
func TestLimiter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		open := func() *service.Service {
			s, err := service.New(ctx, b.Open(t), nil)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		one, two := open(), open()
		now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		rate := Rate{N: 3, Per: time.Minute}
		l1 := newLimiter(one, "test", rate, clock, slog.Default())
		l2 := newLimiter(two, "test", rate, clock, slog.Default())
		for i, l := range []*limiter{l1, l2, l1} {
			if ok, _ := l.allow(ctx, "k"); !ok {
				t.Fatalf("event %d refused", i+1)
			}
		}
		ok, retry := l2.allow(ctx, "k")
		if ok || retry <= 0 || retry > time.Minute {
			t.Fatalf("fourth event, on the other server: ok=%v retry=%v", ok, retry)
		}
		if ok, _ := l1.allow(ctx, "other"); !ok {
			t.Error("another key is limited too")
		}
		l1.add(ctx, "f")
		l2.add(ctx, "f")
		if b, _ := l1.blocked(ctx, "f"); b {
			t.Error("blocked below the limit")
		}
		l1.add(ctx, "f")
		if b, _ := l2.blocked(ctx, "f"); !b {
			t.Error("not blocked at the limit")
		}
		one.Close()
		two.Close()
		l3 := newLimiter(open(), "test", rate, clock, slog.Default())
		if ok, _ := l3.allow(ctx, "k"); ok {
			t.Error("a restart lifted the limit")
		}
		if b, _ := blockedAny(ctx, l3, l3.limit("nothing"), l3.limit("f")); !b {
			t.Error("blockedAny misses a blocked key")
		}
		now = now.Add(time.Minute)
		if ok, _ := l3.allow(ctx, "k"); !ok {
			t.Error("a new window did not start")
		}
	})
}

func TestLimitKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7":                 "192.0.2.7",
		"::ffff:192.0.2.7":          "192.0.2.7",
		"2001:db8:1:2:3:4:5:6":      "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1":      "2001:db8:1:2::/64",
		"not an address":            "not an address",
		"2001:db8:1:3::1":           "2001:db8:1:3::/64",
		"2001:0db8:0001:0002::0001": "2001:db8:1:2::/64",
	} {
		if got := limitKey(in); got != want {
			t.Errorf("limitKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestChart(t *testing.T) {
	listed := []families.Point{{Date: "2025-06-07", Total: 640}, {Date: "2025-06-14", Total: 1000}}
	rep := []families.Point{{Date: "2025-06-10", Total: 390}}
	ch := buildChart(listed, rep, "on lists", "repatriated")
	if ch == nil || len(ch.Series) != 2 {
		t.Fatalf("chart = %+v", ch)
	}
	if ch.YTicks[len(ch.YTicks)-1].Label != "1000" {
		t.Errorf("y axis ends at %s, want 1000", ch.YTicks[len(ch.YTicks)-1].Label)
	}
	for _, s := range ch.Series {
		for _, pt := range strings.Fields(s.Points) {
			xs, ys, _ := strings.Cut(pt, ",")
			x, _ := strconv.ParseFloat(xs, 64)
			y, _ := strconv.ParseFloat(ys, 64)
			if x < float64(ch.Left) || x > float64(ch.Right) || y < float64(ch.Top) || y > float64(ch.Bottom) {
				t.Errorf("%s: point %s outside the plot", s.Class, pt)
			}
		}
	}
	if buildChart(nil, nil, "a", "b") != nil {
		t.Error("a chart without data")
	}
	for v, want := range map[int]int{0: 10, 3: 5, 10: 10, 11: 20, 640: 1000, 1000: 1000, 1001: 2000} {
		if got := niceCeil(v); got != want {
			t.Errorf("niceCeil(%d) = %d, want %d", v, got, want)
		}
	}
}

// TestPublicTemplateWithStages renders the public page with every part
// filled, stages included, which a fresh database cannot show.
func TestPublicTemplateWithStages(t *testing.T) {
	svc, err := service.New(context.Background(), storetest.Backend{Name: "sqlite", DataDir: t.TempDir()}.Open(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.CreateParties(context.Background(), []parties.Party{{ID: "A", Name: "A"}, {ID: "B", Name: "B"}}); err != nil {
		t.Fatal(err)
	}
	h, err := NewHandler(svc, Options{InsecureCookies: true})
	if err != nil {
		t.Fatal(err)
	}
	day := func(d int) time.Time { return time.Date(2025, 6, d, 0, 0, 0, 0, time.UTC) }
	c := families.FigureCounts{
		Lists: 2, ListedByState: map[string]int{"handed_over": 640, "acknowledged": 4},
		ListedByCategory: map[string]int{"wounded": 300, "youth": 7, "": 337},
		Agreed:           390, Repatriated: 390, InquiriesByStatus: map[families.Status]int{families.StatusNone: 50, families.StatusListed: 3},
		Stages:   []families.StageCounts{{Stage: "G1", Date: day(14), Agreed: 390, HandedOver: 390, Repatriated: 390}, {Stage: "G2", Date: day(15), Agreed: 5}},
		ListedOn: []families.Dated{{Day: day(7), Count: 640}, {Day: day(9), Count: 4}}, RepatriatedOn: []families.Dated{{Day: day(14), Count: 390}},
	}
	f := c.Publish(10, day(16))
	d := publicData{F: f, Generated: "2025-06-16", Chart: buildChart(f.ListedOverTime, f.RepatriatedOverTime, "on lists", "repatriated")}
	for _, r := range f.ByCategory {
		d.Categories = append(d.Categories, labelled{r.Key, r.Cell})
	}
	for _, r := range f.ByListState {
		d.States = append(d.States, labelled{r.Key, r.Cell})
	}
	w := httptest.NewRecorder()
	h.render(w, httptest.NewRequest("GET", "/public?lang=uk", nil), 200, "public.html", &page{Title: "public.title", Data: d})
	body := w.Body.String()
	for _, want := range []string{"<svg", "Етапи обмінів", "<th scope=\"row\">1</th><td class=\"date\">2025-06-14</td><td>390</td>", "<th scope=\"row\">2</th><td class=\"date\">2025-06-15</td><td>&lt; 10</td>", ">644<", "&lt; 10"} {
		if !strings.Contains(body, want) {
			t.Errorf("public page lacks %q", want)
		}
	}
	// 4 acknowledged is small: it and the smallest other state are hidden,
	// so 644 − 640 does not give it away.
	if strings.Contains(body, ">640<") {
		t.Error("640 is shown beside the total 644: the difference reveals 4")
	}
	if strings.Contains(body, "G1") {
		t.Error("the page shows agreement ids instead of stage numbers")
	}
}
