package cli

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"parley/internal/listfile"
	"parley/internal/matching"
	"parley/internal/msg"
	"parley/internal/person"
)

func init() {
	register("match", "find each person of a received list in a registry", runMatch)
}

const matchUsage = `usage: parley match --list FILE --registry FILE [--out FILE]
                    [--threshold-match X] [--threshold-review Y] [--explain] [--skip-invalid]

Matches every person of a list received from the other party against a
registry of missing people, across Cyrillic and Latin script, Ukrainian and
Russian name forms, typos, initials, swapped names and dates. Files may be
CSV, XLSX or JSON (by extension); the registry needs a status column.

Writes CSV (to --out, or standard output) with the header
  list_row,registry_row,score,decision,reason
one line per list row, in list order. list_row and registry_row are data-row
numbers of the input files (the header row not counted, from 1);
registry_row is empty when the decision is none. score (4 decimals) is the
estimated probability that the registry row is the person. decision is
"match" (score >= --threshold-match), "review" (score >= --threshold-review:
a person must look; never treat it as a match) or "none". reason says which
fields agreed and which did not; with --explain it also gives each field's
weight (log2 likelihood ratio) and the other candidates with their scores.

If a file has problems they are printed and nothing is matched (exit status
1), unless --skip-invalid is given: then the rows that parsed are matched and
the others are left out of the output, each named on standard error
("row N skipped"). Namesakes in the registry (rows with the same name and
date of birth) are not problems: both are kept and are both candidates, so
that a list row that fits both goes to review.

flags:
`

func runMatch(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("match")
	def := matching.DefaultConfig()
	listPath := fs.String("list", "", "the received list (CSV, XLSX or JSON)")
	regPath := fs.String("registry", "", "the registry of missing people (CSV, XLSX or JSON)")
	outPath := fs.String("out", "", "write the results to this file instead of standard output")
	thrMatch := fs.Float64("threshold-match", def.MatchThreshold, "lowest score of a match")
	thrReview := fs.Float64("threshold-review", def.ReviewThreshold, "lowest score sent to review")
	explain := fs.Bool("explain", false, "give field weights and other candidates in the reason")
	skipInvalid := fs.Bool("skip-invalid", false, "match the rows that parsed even if a file has problems")
	fs.Usage = func() {
		fmt.Fprint(a.Stderr, matchUsage)
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &ExitError{Code: 2, Silent: true}
	}
	if len(pos) > 0 || *listPath == "" || *regPath == "" {
		fmt.Fprintln(a.Stderr, "parley match: --list and --registry are required, and nothing else")
		fs.Usage()
		return &ExitError{Code: 2, Silent: true}
	}
	cfg := def
	cfg.MatchThreshold, cfg.ReviewThreshold = *thrMatch, *thrReview

	start := time.Now()
	list, listLines, okList, err := readForMatch(ctx, a, *listPath, false)
	if err != nil {
		return err
	}
	reg, regLines, okReg, err := readForMatch(ctx, a, *regPath, true)
	if err != nil {
		return err
	}
	if (!okList || !okReg) && !*skipInvalid {
		fmt.Fprintln(a.Stderr, "parley match: the input has problems; fix them, or give --skip-invalid to match the rows that parsed")
		return &ExitError{Code: 1, Silent: true}
	}

	var progress func(done, total int)
	lastReport := time.Now()
	if isTerminal(a.Stderr) || len(list)*max(len(reg), 1) > 1e8 {
		progress = func(done, total int) {
			if done < total && time.Since(start) > time.Second && time.Since(lastReport) > time.Second {
				lastReport = time.Now()
				fmt.Fprintf(a.Stderr, "matching: %d of %d list rows\n", done, total)
			}
		}
	}
	results, err := matching.Match(ctx, list, reg, cfg, progress)
	if err != nil {
		return fmt.Errorf("matching %s against %s: %w", *listPath, *regPath, err)
	}

	var w io.Writer = a.Stdout
	var f *os.File
	if *outPath != "" {
		f, err = os.Create(*outPath)
		if err != nil {
			return fmt.Errorf("creating output: %w", err)
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	rowName := func(isList bool, i int) string {
		if isList {
			return strconv.Itoa(listLines[i])
		}
		return strconv.Itoa(regLines[i])
	}
	var nMatch, nReview, nNone int
	if err := cw.Write([]string{"list_row", "registry_row", "score", "decision", "reason"}); err != nil {
		return fmt.Errorf("writing results: %w", err)
	}
	for _, r := range results {
		regRow := ""
		switch r.Decision {
		case matching.DecisionMatch:
			nMatch++
		case matching.DecisionReview:
			nReview++
		default:
			nNone++
		}
		if r.RegistryIndex >= 0 && r.Decision != matching.DecisionNone {
			regRow = rowName(false, r.RegistryIndex)
		}
		rec := []string{rowName(true, r.ListIndex), regRow, strconv.FormatFloat(r.Score, 'f', 4, 64), string(r.Decision), r.Describe(rowName, *explain)}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("writing results: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing results: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing results: %w", err)
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return fmt.Errorf("writing %s: %w", *outPath, err)
		}
	}
	fmt.Fprintf(a.Stderr, "matched %d list rows against %d registry rows in %s: %d match, %d review, %d none\n",
		len(results), len(reg), time.Since(start).Round(10*time.Millisecond), nMatch, nReview, nNone)
	return nil
}

// readForMatch reads a list or registry file, printing its problems on
// standard error; ok is false when there were any. lines holds the data-row
// number of each person.
func readForMatch(ctx context.Context, a *App, path string, registry bool) (persons []person.Person, lines []int, ok bool, err error) {
	format, err := listfile.FormatFromName(path)
	if err != nil {
		return nil, nil, false, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, false, fmt.Errorf("opening %s: %w", path, err)
	}
	defer f.Close()
	res, err := listfile.ReadContext(ctx, f, listfile.Options{Format: format, Registry: registry})
	if err != nil {
		return nil, nil, false, fmt.Errorf("reading %s: %w", path, err)
	}
	for i, w := range res.Warnings {
		if i < len(res.Notes) {
			w = msg.Text(a.lang(), res.Notes[i])
		}
		fmt.Fprintf(a.Stderr, "%s: %s\n", path, a.text("cli.warning", "text", w))
	}
	for _, n := range res.Namesakes {
		fmt.Fprintf(a.Stderr, "%s: row %d: namesake of row %d (same name and date of birth); both kept\n", path, n.Row, n.Of)
	}
	for _, p := range res.Problems {
		fmt.Fprintf(a.Stderr, "%s: %s\n", path, p.TextIn(a.lang()))
	}
	for _, row := range skippedRows(res) {
		fmt.Fprintf(a.Stderr, "%s: row %d skipped\n", path, row)
	}
	persons = make([]person.Person, len(res.Rows))
	lines = make([]int, len(res.Rows))
	for i, r := range res.Rows {
		persons[i], lines[i] = r.Person, r.Line
	}
	return persons, lines, len(res.Problems) == 0, nil
}

// isTerminal reports whether w is a character device (a terminal), where
// progress lines help rather than clutter a log.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
