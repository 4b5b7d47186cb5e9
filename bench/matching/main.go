// Command matching benchmarks Parley's identity matching against the
// baseline a team would otherwise reach for: PostgreSQL's pg_trgm trigram
// similarity over the full name as written.
//
//	go run ./bench/matching -list 10000 -registry 100000
//
// Both run on the same generated data (package internal/matching/gen, whose
// noise model is documented there) in the same run. A list row counts as a
// positive when Parley decides "match" (a "review" is not a match) or when
// the best pg_trgm candidate's similarity reaches the threshold; it is a
// true positive when the registry row is the right one. The pg_trgm
// threshold is the one that maximises its F1 on this very data, chosen after
// the fact, which favours the baseline.
//
// It also reports how many true pairs are surfaced — decided match, or
// review with the right registry row as the best candidate — how many rows
// go to review and by which review rule, and how many are matched wrongly.
// With -variant the data come from gen.Variant, which the weights and
// rules were not tuned on; -seed gives a fresh draw of either.
//
// With -calibrate the command instead counts, for every field, how often
// each comparison outcome occurs among true pairs (m) and among pairs of
// different persons proposed by blocking (u): the numbers from which the
// default weights of package matching were set.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"parley/internal/matching"
	"parley/internal/matching/gen"
	"parley/internal/person"
)

func main() {
	listN := flag.Int("list", 10000, "list rows")
	regN := flag.Int("registry", 100000, "registry records")
	seed := flag.Uint64("seed", 1, "generator seed")
	pgURL := flag.String("pg", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL for the pg_trgm baseline")
	noPG := flag.Bool("no-pg", false, "skip the pg_trgm baseline")
	pgSample := flag.Int("pg-sample", -1, "list rows to query in pg_trgm (0: all; -1: 1,000) — its query time is extrapolated to the whole list")
	calibrate := flag.Bool("calibrate", false, "print m/u outcome frequencies instead of benchmarking")
	showErrors := flag.Int("errors", 0, "print this many wrong or missed rows of Parley")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of Parley's matching to this file")
	flag.BoolVar(&variant, "variant", false, "generate the variant data set (gen.Variant: other noise rates, 5% namesakes, 1% duplicate registry records), which the weights were not calibrated on")
	flag.BoolVar(&second, "second", false, "generate the second variant (gen.Second: other rates again, 4% namesakes, 3% duplicate registry records), kept out of the development of the duplicate rule")
	flag.BoolVar(&holdout, "holdout", false, "generate the hold-out data set (gen.Holdout), kept out of the development of the rules")
	flag.IntVar(&why, "why", -1, "sort reviewed and missed rows into causes, printing this many examples of each")
	flag.Float64Var(&prior, "prior", 0, "share of list rows assumed present in the registry (0: the default)")
	flag.IntVar(&updateN, "update", 0, "also time a registry version that changes this many records (taken out and put in again with a new date of birth) applied to the index, and single inquiries against it")
	flag.Parse()
	profile = *cpuProfile
	if err := run(context.Background(), os.Stdout, *listN, *regN, *seed, *pgURL, *noPG, *pgSample, *calibrate, *showErrors); err != nil {
		fmt.Fprintln(os.Stderr, "bench/matching:", err)
		os.Exit(1)
	}
}

type metrics struct {
	tp, fp, fn, positives, present int
}

func (m metrics) precision() float64 { return ratio(m.tp, m.tp+m.fp) }
func (m metrics) recall() float64    { return ratio(m.tp, m.present) }
func (m metrics) f1() float64 {
	p, r := m.precision(), m.recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// score counts true and false positives: pred[i] is the predicted registry
// row of list row i, or -1. A duplicate registry record of the person
// counts as the right row.
func score(pred, truth []int) metrics {
	var m metrics
	for i, p := range pred {
		if truth[i] >= 0 {
			m.present++
		}
		if p < 0 {
			if truth[i] >= 0 {
				m.fn++
			}
			continue
		}
		m.positives++
		if same(p, truth[i]) {
			m.tp++
		} else {
			m.fp++
			if truth[i] >= 0 {
				m.fn++
			}
		}
	}
	return m
}

var (
	profile, load string
	variant       bool
	holdout       bool
	second        bool
	why           = -1
	prior         float64
	updateN       int
	same          = func(a, b int) bool { return a == b }
)

func loadAverage() string { return load }

// readLoadAverage returns the 1-minute load average (Linux), or "".
func readLoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return ""
}

// cpuTime returns the user and system CPU time of the process so far, to
// tell the work done from the wall time on a busy machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func maxRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss * 1024 // kilobytes on Linux
}

func run(ctx context.Context, out io.Writer, listN, regN int, seed uint64, pgURL string, noPG bool, pgSample int, calibrate bool, showErrors int) error {
	t0 := time.Now()
	gcfg := gen.Config{Registry: regN, List: listN, Seed: seed, Noise: gen.DefaultNoise()}
	dataName := "default generator"
	if variant {
		gcfg = gen.Variant(regN, listN, seed)
		dataName = "generator variant"
	}
	if holdout {
		gcfg = gen.Holdout(regN, listN, seed)
		dataName = "hold-out generator"
	}
	if second {
		gcfg = gen.Second(regN, listN, seed)
		dataName = "second generator variant"
	}
	data, err := gen.Generate(gcfg)
	if err != nil {
		return err
	}
	same = data.Same
	genTime := time.Since(t0)
	fmt.Fprintf(os.Stderr, "generated %d list rows and %d registry records in %s\n", listN, regN, genTime.Round(time.Millisecond))
	if calibrate {
		return calibrateWeights(out, data)
	}

	runtime.GC()
	cfg := matching.DefaultConfig()
	if prior > 0 {
		cfg.PriorPresent = prior
	}
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	load = readLoadAverage()
	cpu0 := cpuTime()
	t0 = time.Now()
	ix := matching.NewIndex(data.Registry)
	indexTime := time.Since(t0)
	t1 := time.Now()
	results, err := ix.MatchAll(ctx, data.List, cfg, nil)
	if err != nil {
		return err
	}
	matchTime := time.Since(t1)
	total := time.Since(t0)
	cpuUsed := cpuTime() - cpu0
	if profile != "" {
		pprof.StopCPUProfile()
	}
	rss := maxRSS()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)

	pred := make([]int, len(results))
	var nMatch, nReview, nNone, reviewTrue, byRule, falseMatch, surfaced, surfacedTop3, present, reviewAbsent int
	rules := map[matching.Rule]int{}
	for i, r := range results {
		pred[i] = -1
		if data.Truth[i] >= 0 {
			present++
		}
		switch r.Decision {
		case matching.DecisionMatch:
			nMatch++
			pred[i] = r.RegistryIndex
			if !same(r.RegistryIndex, data.Truth[i]) {
				falseMatch++
			}
		case matching.DecisionReview:
			nReview++
			if same(r.RegistryIndex, data.Truth[i]) {
				reviewTrue++
			}
			if r.Rule != "" {
				byRule++
				rules[r.Rule]++
			}
			if data.Truth[i] < 0 {
				reviewAbsent++
			}
		default:
			nNone++
		}
		if data.Truth[i] < 0 || r.Decision == matching.DecisionNone {
			continue
		}
		if same(r.RegistryIndex, data.Truth[i]) {
			surfaced++
			surfacedTop3++
			continue
		}
		for _, c := range r.Candidates {
			if same(c.RegistryIndex, data.Truth[i]) {
				surfacedTop3++
				break
			}
		}
	}
	// Exact ties: a true pair not surfaced whose right record scores
	// exactly as the best candidate, another person — nothing the list row
	// gives tells them apart (a namesake, the date missing or only the
	// year), so no rule can put the right one first but by chance; the row
	// is a review by necessity.
	var ties, tieReviews int
	for i, r := range results {
		if r.Decision == matching.DecisionReview && len(r.Candidates) > 1 && !r.Candidates[1].SameAsBest &&
			r.Candidates[1].Score >= r.Candidates[0].Score*(1-1e-9) {
			tieReviews++ // the row cannot tell its two best candidates apart
		}
		t := data.Truth[i]
		if t < 0 || len(r.Candidates) == 0 || r.Decision == matching.DecisionMatch || same(r.Candidates[0].RegistryIndex, t) {
			continue
		}
		if math.Abs(fieldsTotal(ix.Compare(data.List[i], t, cfg))-fieldsTotal(r.Fields)) < 1e-9 {
			ties++
		}
	}
	if updateN > 0 {
		measureUpdate(os.Stderr, ix, data, updateN, cfg)
	}
	pm := score(pred, data.Truth)
	if showErrors > 0 {
		// How precision and recall would move with the match threshold.
		for _, t := range []float64{0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.99} {
			alt := make([]int, len(results))
			for i, r := range results {
				alt[i] = -1
				if len(r.Candidates) > 0 && r.Candidates[0].Score >= t {
					alt[i] = r.Candidates[0].RegistryIndex
				}
			}
			m := score(alt, data.Truth)
			fmt.Fprintf(os.Stderr, "threshold %.2f: precision %.4f recall %.4f F1 %.4f\n", t, m.precision(), m.recall(), m.f1())
		}
	}
	if showErrors > 0 {
		printErrors(os.Stderr, data, results, pred, showErrors)
	}
	if why >= 0 {
		explainReviews(os.Stderr, data, results, why)
	}

	type baseline struct {
		m                    metrics
		threshold            float64
		load, query, queryEx time.Duration
		sampled, rows        int
	}
	var bl *baseline
	if !noPG {
		if pgSample < 0 {
			pgSample = 1000 // a full run takes about 0.1–0.4 s per row at 100,000 records
		}
		b := &baseline{}
		b.m, b.threshold, b.load, b.query, b.rows, err = pgTrgm(ctx, pgURL, data, pgSample)
		if err != nil {
			return fmt.Errorf("pg_trgm baseline: %w", err)
		}
		b.sampled = b.rows
		b.queryEx = time.Duration(float64(b.query) * float64(listN) / float64(b.rows))
		bl = b
	}

	fmt.Fprintf(out, "### Matching %d list rows against %d registry records (%s, seed %d, %d CPUs)\n\n", listN, regN, dataName, seed, runtime.NumCPU())
	if la := loadAverage(); la != "" {
		fmt.Fprintf(out, "Load average of the machine when Parley ran: %s (other work shares the CPUs; CPU time shows Parley's own work).\n\n", la)
	}
	fmt.Fprintf(out, "| | Parley | pg_trgm |\n|---|---|---|\n")
	row := func(name, a, b string) { fmt.Fprintf(out, "| %s | %s | %s |\n", name, a, b) }
	na := "—"
	blf := func(f func(*baseline) string) string {
		if bl == nil {
			return na
		}
		return f(bl)
	}
	row("precision", fmt.Sprintf("%.4f", pm.precision()), blf(func(b *baseline) string { return fmt.Sprintf("%.4f", b.m.precision()) }))
	row("recall", fmt.Sprintf("%.4f", pm.recall()), blf(func(b *baseline) string { return fmt.Sprintf("%.4f", b.m.recall()) }))
	row("F1", fmt.Sprintf("**%.4f**", pm.f1()), blf(func(b *baseline) string { return fmt.Sprintf("**%.4f**", b.m.f1()) }))
	row("decision rule", fmt.Sprintf("score ≥ %.2f (review ≥ %.2f not counted)", cfg.MatchThreshold, cfg.ReviewThreshold),
		blf(func(b *baseline) string {
			return fmt.Sprintf("similarity ≥ %.2f (best F1 on this data)", b.threshold)
		}))
	row("index / load time", dur(indexTime), blf(func(b *baseline) string { return dur(b.load) + " (COPY + GIN index + ANALYZE)" }))
	row("matching / query time", dur(matchTime), blf(func(b *baseline) string {
		if b.rows < listN {
			return fmt.Sprintf("%s (measured on %d rows: %s)", dur(b.queryEx), b.rows, dur(b.query))
		}
		return dur(b.query)
	}))
	row("CPU time (user + system)", dur(cpuUsed), na)
	row("total", dur(total), blf(func(b *baseline) string { return dur(b.load + b.queryEx) }))
	row("speed-up: pg_trgm query time ÷ Parley matching time", blf(func(b *baseline) string { return fmt.Sprintf("%.0f×", float64(b.queryEx)/float64(matchTime)) }), "")
	row("speed-up: pg_trgm total ÷ Parley total", blf(func(b *baseline) string { return fmt.Sprintf("%.0f×", float64(b.load+b.queryEx)/float64(total)) }), "")
	row("peak memory", fmt.Sprintf("%s RSS of the whole process (data included), heap in use %s", mib(rss), mib(int64(ms.HeapInuse))), "server process, not measured")
	fmt.Fprintf(out, "\nParley decisions: %d match, %d review (%d of them the right row; %d by a review rule), %d none; %d of %d list rows are in the registry. Data generation took %s and is not counted.\n",
		nMatch, nReview, reviewTrue, byRule, nNone, pm.present, listN, dur(genTime))
	var ruleCounts []string
	for _, k := range []matching.Rule{matching.RuleFullName, matching.RuleNamesBirthDate, matching.RuleServiceNumber} {
		ruleCounts = append(ruleCounts, fmt.Sprintf("%s %d", k, rules[k]))
	}
	fmt.Fprintf(out, "Reviews by rule: %s; reviews of persons not in the registry: %d.\n", strings.Join(ruleCounts, ", "), reviewAbsent)
	fmt.Fprintf(out, "\n| surfacing | figure | target |\n|---|---|---|\n")
	fmt.Fprintf(out, "| surfaced: match or review with the right best candidate, of true pairs | **%.4f** (%d of %d) | ≥ 0.99 |\n", ratio(surfaced, present), surfaced, present)
	fmt.Fprintf(out, "| the right row among the three candidates shown, of true pairs | %.4f (%d) | — |\n", ratio(surfacedTop3, present), surfacedTop3)
	fmt.Fprintf(out, "| true pairs not surfaced because the right record ties exactly with another person's (unavoidable) | %d | — |\n", ties)
	fmt.Fprintf(out, "| surfaced, of true pairs not lost to an exact tie | **%.4f** (%d of %d) | — |\n", ratio(surfaced, present-ties), surfaced, present-ties)
	fmt.Fprintf(out, "| reviews, of list rows | **%.4f** (%d) | ≤ 0.05 |\n", ratio(nReview, listN), nReview)
	fmt.Fprintf(out, "| … of them exact ties: the two best candidates, other persons, score the same (unavoidable) | %d | — |\n", tieReviews)
	fmt.Fprintf(out, "| reviews other than exact ties, of list rows | %.4f (%d) | — |\n", ratio(nReview-tieReviews, listN), nReview-tieReviews)
	fmt.Fprintf(out, "| false matches, of list rows | **%.4f** (%d) | ≤ 0.001 |\n", ratio(falseMatch, listN), falseMatch)
	fmt.Fprintf(out, "| index + matching wall time | **%s** | < 10 s at 10k × 1M |\n", dur(total))
	if bl != nil && bl.rows < listN {
		fmt.Fprintf(out, "\npg_trgm was queried for a sample of %d of the %d list rows (the first ones; the list is shuffled); its precision, recall and F1 are over that sample, and its query time is extrapolated linearly to the whole list.\n", bl.rows, listN)
	}
	return nil
}

func dur(d time.Duration) string {
	switch {
	case d >= time.Minute:
		return fmt.Sprintf("%.1f min", d.Minutes())
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func fullName(p *person.Person) string {
	if n := p.FullName(); n != "" {
		return n
	}
	return p.FullNameLatin()
}

// pgTrgm loads the registry's full names into a table with a GIN trigram
// index and asks, for each list row (or a sample), for the most similar
// name among those above pg_trgm's similarity threshold (the % operator,
// default 0.3, which the index serves). It returns the metrics at the
// decision threshold that maximises F1.
func pgTrgm(ctx context.Context, url string, d *gen.Data, sample int) (m metrics, threshold float64, load, query time.Duration, rows int, err error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return m, 0, 0, 0, 0, fmt.Errorf("connecting: %w", err)
	}
	defer pool.Close()
	// A table of this process's own, so that two runs on one server do not
	// drop each other's.
	table := fmt.Sprintf("parley_bench_registry_%d", os.Getpid())
	t0 := time.Now()
	for _, q := range []string{
		"CREATE EXTENSION IF NOT EXISTS pg_trgm",
		"DROP TABLE IF EXISTS " + table,
		"CREATE TABLE " + table + " (id integer NOT NULL, name text NOT NULL)",
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			return m, 0, 0, 0, 0, fmt.Errorf("%s: %w", q, err)
		}
	}
	i := 0
	_, err = pool.CopyFrom(ctx, pgx.Identifier{table}, []string{"id", "name"}, pgx.CopyFromFunc(func() ([]any, error) {
		if i >= len(d.Registry) {
			return nil, nil
		}
		r := []any{int32(i), fullName(&d.Registry[i])}
		i++
		return r, nil
	}))
	if err != nil {
		return m, 0, 0, 0, 0, fmt.Errorf("COPY: %w", err)
	}
	for _, q := range []string{
		"CREATE INDEX " + table + "_trgm ON " + table + " USING gin (name gin_trgm_ops)",
		"ANALYZE " + table,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			return m, 0, 0, 0, 0, fmt.Errorf("%s: %w", q, err)
		}
	}
	load = time.Since(t0)
	defer pool.Exec(context.Background(), "DROP TABLE IF EXISTS "+table)

	n := len(d.List)
	if sample > 0 && sample < n {
		n = sample
	}
	best := make([]int, n)
	sims := make([]float64, n)
	t0 = time.Now()
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, runtime.NumCPU())
	for w := 0; w < runtime.NumCPU(); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				j := next
				next++
				mu.Unlock()
				if j >= n {
					return
				}
				best[j] = -1
				var id int32
				var s float32
				err := pool.QueryRow(ctx, `SELECT id, similarity(name, $1) AS s FROM `+table+`
					WHERE name % $1 ORDER BY s DESC, id LIMIT 1`, fullName(&d.List[j])).Scan(&id, &s)
				if err == pgx.ErrNoRows {
					continue
				}
				if err != nil {
					errs <- fmt.Errorf("query: %w", err)
					return
				}
				best[j], sims[j] = int(id), float64(s)
			}
		}()
	}
	wg.Wait()
	query = time.Since(t0)
	select {
	case err := <-errs:
		return m, 0, 0, 0, 0, err
	default:
	}
	truth := d.Truth[:n]
	bestF1 := -1.0
	for t := 0.30; t <= 1.0001; t += 0.01 {
		pred := make([]int, n)
		for j := range pred {
			pred[j] = -1
			if best[j] >= 0 && sims[j] >= t {
				pred[j] = best[j]
			}
		}
		if sm := score(pred, truth); sm.f1() > bestF1 {
			bestF1, m, threshold = sm.f1(), sm, t
		}
	}
	return m, threshold, load, query, n, nil
}

func printErrors(w io.Writer, d *gen.Data, results []matching.Result, pred []int, limit int) {
	byNoise := map[string]int{}
	shown := 0
	for i, r := range results {
		// Shown: true pairs not surfaced, and false matches.
		if t := d.Truth[i]; (t >= 0 && r.Decision != matching.DecisionNone && same(r.RegistryIndex, t)) ||
			(t < 0 && r.Decision != matching.DecisionMatch) || (pred[i] >= 0 && same(pred[i], t)) {
			continue
		}
		for _, a := range d.Applied[i] {
			byNoise[a]++
		}
		if shown < limit {
			shown++
			l := d.List[i]
			fmt.Fprintf(w, "list %d [%s] %q %s %s | decision %s score %.3f\n", i, strings.Join(d.Applied[i], ","), fullName(&l), l.BirthDate, l.ServiceNumber, r.Decision, r.Score)
			if d.Truth[i] >= 0 {
				t := d.Registry[d.Truth[i]]
				fmt.Fprintf(w, "    truth %d %q %s %s\n", d.Truth[i], fullName(&t), t.BirthDate, t.ServiceNumber)
			} else {
				fmt.Fprintf(w, "    truth: absent\n")
			}
			if len(r.Candidates) > 0 {
				c := d.Registry[r.Candidates[0].RegistryIndex]
				fmt.Fprintf(w, "    best  %d %q %s %s: %s\n", r.Candidates[0].RegistryIndex, fullName(&c), c.BirthDate, c.ServiceNumber, r.Describe(nil, true))
			}
		}
	}
	var keys []string
	for k := range byNoise {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintln(w, "errors by noise kind:")
	for _, k := range keys {
		fmt.Fprintf(w, "  %-18s %d\n", k, byNoise[k])
	}
}

// calibrateWeights counts outcomes among true pairs (m) and among pairs of
// different persons that blocking proposed (u), per field and outcome.
func calibrateWeights(w io.Writer, d *gen.Data) error {
	cfg := matching.DefaultConfig()
	cfg.ReviewThreshold = 0 // keep every best candidate
	cfg.MatchThreshold = 1e-9
	ix := matching.NewIndex(d.Registry)
	results, err := ix.MatchAll(context.Background(), d.List, cfg, nil)
	if err != nil {
		return err
	}
	type key struct{ field, outcome string }
	mCount, uCount := map[key]int{}, map[key]int{}
	var mTotal, uTotal int
	label := func(f matching.FieldComparison) string {
		if f.Outcome == matching.OutcomePartial {
			d := f.Detail
			if i := strings.IndexByte(d, ':'); i >= 0 {
				d = d[:i]
			}
			return "partial:" + d
		}
		return string(f.Outcome)
	}
	r := rand.New(rand.NewPCG(7, 7))
	for i, res := range results {
		if t := d.Truth[i]; t >= 0 {
			mTotal++
			for _, f := range ix.Compare(d.List[i], t, cfg) {
				mCount[key{f.Field, label(f)}]++
			}
		}
		// u: the blocking candidates that are not the person, and one
		// random registry record.
		others := []int{r.IntN(len(d.Registry))}
		for _, c := range res.Candidates {
			others = append(others, c.RegistryIndex)
		}
		for _, o := range others {
			if o == d.Truth[i] {
				continue
			}
			uTotal++
			for _, f := range ix.Compare(d.List[i], o, cfg) {
				uCount[key{f.Field, label(f)}]++
			}
		}
	}
	keys := map[key]bool{}
	for k := range mCount {
		keys[k] = true
	}
	for k := range uCount {
		keys[k] = true
	}
	var ks []key
	for k := range keys {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool {
		if ks[i].field != ks[j].field {
			return ks[i].field < ks[j].field
		}
		return ks[i].outcome < ks[j].outcome
	})
	fmt.Fprintf(w, "%d true pairs, %d pairs of different persons (blocking candidates and random records)\n\n", mTotal, uTotal)
	fmt.Fprintf(w, "| field | outcome | m | u | log2(m/u) |\n|---|---|---|---|---|\n")
	for _, k := range ks {
		m := float64(mCount[k]) / float64(max(mTotal, 1))
		u := float64(uCount[k]) / float64(max(uTotal, 1))
		lw := "—"
		if m > 0 && u > 0 {
			lw = fmt.Sprintf("%+.1f", log2(m/u))
		}
		fmt.Fprintf(w, "| %s | %s | %.4f | %.4f | %s |\n", k.field, k.outcome, m, u, lw)
	}
	return nil
}

func log2(x float64) float64 { return math.Log2(x) }

// explainReviews sorts the rows that are reviewed or not surfaced into
// causes, to see what a change of the rules should address.
func explainReviews(w io.Writer, d *gen.Data, results []matching.Result, examples int) {
	counts := map[string]int{}
	shown := map[string]int{}
	for i, r := range results {
		t := d.Truth[i]
		var cause string
		switch {
		case t >= 0 && r.Decision == matching.DecisionMatch && same(r.RegistryIndex, t):
			continue
		case t < 0 && r.Decision == matching.DecisionNone:
			continue
		case t < 0:
			cause = fmt.Sprintf("absent %s rule=%s", r.Decision, r.Rule)
		case r.Decision == matching.DecisionNone:
			cause = "present none"
		case r.Decision == matching.DecisionMatch:
			cause = "present wrong match"
		default:
			right := same(r.RegistryIndex, t)
			rival := ""
			if len(r.Candidates) > 1 {
				o := r.Candidates[1].RegistryIndex
				if !right {
					o = r.RegistryIndex
				}
				switch {
				case same(o, t):
					rival = "dup-of-person"
				case sameNames(&d.Registry[o], &d.Registry[t]):
					rival = "namesake"
				default:
					rival = "other"
				}
			}
			dob := "dob"
			if d.List[i].BirthDate.Year == 0 {
				dob = "nodob"
			} else if d.List[i].BirthDate.Day == 0 {
				dob = "year"
			}
			cause = fmt.Sprintf("present review right=%v rival=%s %s rule=%s", right, rival, dob, r.Rule)
		}
		counts[cause]++
		if shown[cause] < examples {
			shown[cause]++
			l := d.List[i]
			fmt.Fprintf(w, "[%s] list %d [%s] %q %s | %s %.3f\n", cause, i, strings.Join(d.Applied[i], ","), fullName(&l), l.BirthDate, r.Decision, r.Score)
			if t >= 0 {
				tr := d.Registry[t]
				fmt.Fprintf(w, "    truth %d %q %s\n", t, fullName(&tr), tr.BirthDate)
			}
			for _, c := range r.Candidates {
				cr := d.Registry[c.RegistryIndex]
				fmt.Fprintf(w, "    cand %d %q %s %s %.3f %v\n", c.RegistryIndex, fullName(&cr), cr.BirthDate, cr.ServiceNumber, c.Score, c.Reasons)
			}
		}
	}
	// Rows of present persons whose right record ties with another
	// candidate: no rule can put the right one first but by chance.
	ties := 0
	for i, r := range results {
		if d.Truth[i] < 0 || len(r.Candidates) < 2 {
			continue
		}
		c := r.Candidates
		if c[1].Score >= c[0].Score*0.999 && (same(c[0].RegistryIndex, d.Truth[i]) || same(c[1].RegistryIndex, d.Truth[i])) && !same(c[0].RegistryIndex, c[1].RegistryIndex) {
			ties++
		}
	}
	fmt.Fprintf(w, "present rows whose right record ties with another person's: %d\n", ties)
	// How often the best candidate is the right one, by score band.
	var bandN, bandRight [10]int
	for i, r := range results {
		if len(r.Candidates) == 0 {
			continue
		}
		b := min(int(r.Candidates[0].Score*10), 9)
		bandN[b]++
		if same(r.Candidates[0].RegistryIndex, d.Truth[i]) {
			bandRight[b]++
		}
	}
	for b := range bandN {
		fmt.Fprintf(w, "score %.1f–%.1f: %d rows, best right %d (%.3f)\n", float64(b)/10, float64(b+1)/10, bandN[b], bandRight[b], ratio(bandRight[b], bandN[b]))
	}
	var keys []string
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return counts[keys[i]] > counts[keys[j]] })
	for _, k := range keys {
		fmt.Fprintf(w, "%6d  %s\n", counts[k], k)
	}
}

// fieldsTotal is the summed weight of a field-by-field comparison.
func fieldsTotal(fs []matching.FieldComparison) float64 {
	t := 0.0
	for _, f := range fs {
		t += f.Weight
	}
	return t
}

func sameNames(a, b *person.Person) bool {
	return a.Surname == b.Surname && a.GivenNames == b.GivenNames && a.Patronymic == b.Patronymic &&
		a.SurnameLatin == b.SurnameLatin && a.GivenNamesLatin == b.GivenNamesLatin
}

// measureUpdate times matching.Index.Update with a version that changes n
// records, and single look-ups (Best) against the updated index, as an
// inquiry would make them.
func measureUpdate(w io.Writer, ix *matching.Index, d *gen.Data, n int, cfg matching.Config) {
	r := rand.New(rand.NewPCG(3, 3))
	removed := r.Perm(len(d.Registry))[:n]
	added := make([]person.Person, n)
	for k, id := range removed {
		p := d.Registry[id]
		p.BirthDate.Day = p.BirthDate.Day%28 + 1
		added[k] = p
	}
	runtime.GC()
	cpu0, t0 := cpuTime(), time.Now()
	nx, err := ix.Update(removed, added)
	if err != nil {
		fmt.Fprintln(w, "update:", err)
		return
	}
	wall, cpu := time.Since(t0), cpuTime()-cpu0
	var lat []time.Duration
	for i := 0; i < min(2000, len(d.List)); i++ {
		t := time.Now()
		nx.Best(d.List[i], cfg)
		lat = append(lat, time.Since(t))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	fmt.Fprintf(w, "index update, %d of %d records changed: %s wall, %s CPU (load %s); then %d single look-ups: p50 %s, p99 %s, max %s\n",
		n, len(d.Registry), wall.Round(time.Millisecond), cpu.Round(time.Millisecond), readLoadAverage(), len(lat),
		lat[len(lat)/2].Round(10*time.Microsecond), lat[len(lat)*99/100].Round(10*time.Microsecond), lat[len(lat)-1].Round(10*time.Microsecond))
}
