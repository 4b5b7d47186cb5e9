package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"parley/internal/httpx"
	"parley/internal/listfile"
	"parley/internal/lists"
	"parley/internal/msg"
	"parley/internal/person"
	"parley/internal/printout"
	"parley/internal/service"
)

func init() {
	register("list import", "import a list from CSV, XLSX or JSON (prints the new list id)", runListImport)
	register("list ls", "show the lists and their state", runListLs)
	register("list show", "print one list", runListShow)
	register("list handover", "hand a draft list over to the other party (freezes it)", runListHandover)
	register("list ack", "acknowledge receipt of a handed-over list", runListAck)
	register("list diff", "show what changed between two lists", runListDiff)
	register("list export", "write a list as CSV, XLSX, JSON or PDF (to print and sign)", runListExport)
	register("list verify-file", "check a received list file against the log's receipt of its hand-over", runListVerifyFile)
}

// parseMaps turns repeated COL=FIELD flags into a map.
func parseMaps(maps []string) (map[string]string, error) {
	if len(maps) == 0 {
		return nil, nil
	}
	m := map[string]string{}
	for _, v := range maps {
		col, field, ok := strings.Cut(v, "=")
		if !ok || col == "" || field == "" {
			return nil, fmt.Errorf("--map %q: want COLUMN=FIELD", v)
		}
		m[col] = field
	}
	return m, nil
}

// formatFor picks the format from the flag or from the file name.
func formatFor(flagValue, name string) (listfile.Format, error) {
	if flagValue != "" {
		switch f := listfile.Format(strings.ToLower(flagValue)); f {
		case "csv", "xlsx", "json":
			return f, nil
		}
		return "", fmt.Errorf("--format %q: want csv, xlsx or json", flagValue)
	}
	return listfile.FormatFromName(name)
}

// progressPrinter reports rows read on stderr when the import is long.
func progressPrinter(w io.Writer, what string) (func(int), func()) {
	start := time.Now()
	printed := false
	return func(rows int) {
			if time.Since(start) > time.Second {
				fmt.Fprintf(w, "\r%s: %d rows read", what, rows)
				printed = true
			}
		}, func() {
			if printed {
				fmt.Fprintln(w)
			}
		}
}

// reportImport prints an import's warnings and problems on stderr and turns
// a refused file into exit status 1.
func reportImport(a *App, res *service.ImportResult, err error) error {
	if res != nil {
		printProblems(a.Stderr, res.Read, a.lang())
	}
	var ie *service.ImportError
	if errors.As(err, &ie) {
		if res == nil || res.Read == nil {
			for _, p := range ie.Problems {
				fmt.Fprintln(a.Stderr, p.TextIn(a.lang()))
			}
		}
		if ie.Refused {
			fmt.Fprintln(a.Stderr, a.text("cli.import.refused"))
		} else {
			fmt.Fprintln(a.Stderr, a.text("cli.import.problems", "count", len(ie.Problems)))
		}
		return &ExitError{Code: 1, Silent: true}
	}
	return err
}

// reportSkipped names, after an import with --skip-invalid, every row that
// was left out, so that none is lost without a word.
func reportSkipped(a *App, res *service.ImportResult) {
	if res == nil || res.Read == nil || len(res.Read.Problems) == 0 {
		return
	}
	var rows []string
	file := false
	seen := map[int]bool{}
	for _, p := range res.Read.Problems {
		if p.Row == 0 {
			file = true
			continue
		}
		if !seen[p.Row] {
			seen[p.Row] = true
			rows = append(rows, strconv.Itoa(p.Row))
		}
	}
	if len(rows) > 0 {
		fmt.Fprintln(a.Stderr, a.text("cli.import.skipped", "count", len(rows), "rows", msg.Raw(strings.Join(rows, ", "))))
	}
	if file {
		fmt.Fprintln(a.Stderr, a.text("cli.import.file_problems"))
	}
}

// skippedRows returns the data rows with problems, each once, in order.
func skippedRows(res *listfile.Result) []int {
	var out []int
	for _, p := range res.Problems {
		if p.Row > 0 && (len(out) == 0 || out[len(out)-1] != p.Row) {
			out = append(out, p.Row)
		}
	}
	return out
}

func printProblems(w io.Writer, res *listfile.Result, lang string) {
	if res == nil {
		return
	}
	for i, warn := range res.Warnings {
		if i < len(res.Notes) {
			warn = msg.Text(lang, res.Notes[i])
		}
		fmt.Fprintln(w, msg.Text(lang, msg.New("cli.warning", "text", warn)))
	}
	for _, p := range res.Problems {
		fmt.Fprintln(w, p.TextIn(lang))
	}
}

func runListImport(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("list import")
	from := fs.String("from", "", "sending party id")
	to := fs.String("to", "", "receiving party id")
	title := fs.String("title", "", "title of the list")
	format := fs.String("format", "", "csv, xlsx or json (default: from the file name)")
	var maps multiFlag
	fs.Var(&maps, "map", "column override COLUMN=FIELD (repeat)")
	skip := fs.Bool("skip-invalid", false, "import the valid rows and report the others")
	dry := fs.Bool("dry-run", false, "check the file, store nothing")
	lim := addLimitFlags(fs)
	versionOf := fs.String("version-of", "", "make the import a new version of this list")
	youthRef := fs.String("youth-ref", "", "derive the youth category from dates of birth on this date (YYYY-MM-DD)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if *from == "" {
		*from = a.impliedParty(ctx)
	}
	if len(pos) != 1 || *from == "" || *to == "" {
		return &ExitError{Code: 2, Err: errors.New("usage: parley list import FILE --from A --to B --title TEXT [--format csv|xlsx|json] [--map COL=FIELD ...] [--skip-invalid] [--dry-run]")}
	}
	m, err := parseMaps(maps)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	f, err := formatFor(*format, pos[0])
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	ref, err := person.ParseISODate(*youthRef)
	if err != nil || (*youthRef != "" && !ref.Complete()) {
		return &ExitError{Code: 2, Err: fmt.Errorf("--youth-ref %q: want YYYY-MM-DD", *youthRef)}
	}
	file, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer file.Close()
	s, err := a.openService(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	lim.apply(s, a.DataDir)
	progress, done := progressPrinter(a.Stderr, "importing "+filepath.Base(pos[0]))
	res, err := s.ImportList(ctx, a.actor(), service.ImportRequest{
		From: *from, To: *to, Title: *title, Format: f, Map: m, SkipInvalid: *skip, DryRun: *dry,
		VersionOf: *versionOf, YouthRef: ref, SourceName: filepath.Base(pos[0]), Progress: progress,
	}, file)
	done()
	if err := reportImport(a, res, err); err != nil {
		return err
	}
	if *dry {
		fmt.Fprintln(a.Stderr, a.text("cli.import.dry_run", "valid", res.Imported, "problems", len(res.Read.Problems)))
		if len(res.Read.Problems) > 0 {
			return &ExitError{Code: 1, Silent: true}
		}
		return nil
	}
	if n := len(res.Read.Problems); n > 0 {
		fmt.Fprintln(a.Stderr, a.text("cli.import.partial", "count", res.Imported, "problems", n))
		reportSkipped(a, res)
	}
	fmt.Fprintln(a.Stdout, res.List.ID)
	return nil
}

func runListLs(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("list ls")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseInterspersed(fs, args); err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	s, err := a.openService(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	ls, err := s.ListLists(ctx, a.actor())
	if err != nil {
		return err
	}
	if *asJSON {
		if ls == nil {
			ls = []*lists.List{}
		}
		return writeJSON(a.Stdout, ls)
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	a.columns(tw, "", "cli.col.id", "cli.col.from", "cli.col.to", "cli.col.version", "cli.col.state", "cli.col.entries", "cli.col.title")
	for _, l := range ls {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%d\t%s\n", l.ID, l.From, l.To, l.Version, l.State, l.EntryCount, l.Title)
	}
	return tw.Flush()
}

func runListShow(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("list show")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 1 {
		return &ExitError{Code: 2, Err: errors.New("usage: parley list show ID [--json]")}
	}
	s, err := a.openService(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	l, err := s.GetList(ctx, a.actor(), pos[0])
	if err != nil {
		return err
	}
	if *asJSON {
		if l.Entries == nil {
			l.Entries = []lists.Entry{}
		}
		return writeJSON(a.Stdout, l)
	}
	fmt.Fprintf(a.Stdout, "%s  %s → %s  version %d  %s  %q\n", l.ID, l.From, l.To, l.Version, l.State, l.Title)
	if l.ContentHash != "" {
		fmt.Fprintf(a.Stdout, "content hash %s\n", l.ContentHash)
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	a.columns(tw, "", "cli.col.row", "cli.col.kind", "cli.col.name", "cli.col.latin", "cli.col.born", "cli.col.rank", "cli.col.categories")
	for _, e := range l.Entries {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Row, e.Kind, e.FullName(), e.FullNameLatin(), e.BirthDate, e.Rank, strings.Join(e.Categories, ", "))
	}
	return tw.Flush()
}

func runListHandover(ctx context.Context, a *App, args []string) error {
	return listTransition(ctx, a, "list handover", args, func(ctx context.Context, s *service.Service, id string) (*lists.List, error) {
		return s.HandOver(ctx, a.actor(), id)
	})
}

func runListAck(ctx context.Context, a *App, args []string) error {
	var reservation string
	return listTransitionFlags(ctx, a, "list ack", args, func(fs *flag.FlagSet) {
		fs.StringVar(&reservation, "reservation", "", "a reservation stated with the acknowledgement, which the sender must answer")
	}, func(ctx context.Context, s *service.Service, id string) (*lists.List, error) {
		l, d, err := s.AcknowledgeWithReservation(ctx, a.actor(), id, reservation)
		if d != nil {
			fmt.Fprintln(a.Stdout, a.text("cli.dispute.reserved", "id", msg.Raw(d.ID), "to", msg.Raw(d.To), "state", disputeEnum("state", string(d.State))))
		}
		return l, err
	})
}

func listTransition(ctx context.Context, a *App, name string, args []string, do func(context.Context, *service.Service, string) (*lists.List, error)) error {
	return listTransitionFlags(ctx, a, name, args, nil, do)
}

func listTransitionFlags(ctx context.Context, a *App, name string, args []string, flags func(*flag.FlagSet), do func(context.Context, *service.Service, string) (*lists.List, error)) error {
	fs := a.newFlagSet(name)
	if flags != nil {
		flags(fs)
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 1 {
		return &ExitError{Code: 2, Err: fmt.Errorf("usage: parley %s ID", name)}
	}
	s, err := a.openService(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	l, err := do(ctx, s, pos[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "%s %s %s\n", l.ID, l.State, l.ContentHash)
	return a.deliver(ctx, s)
}

func runListDiff(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("list diff")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 2 {
		return &ExitError{Code: 2, Err: errors.New("usage: parley list diff ID1 ID2 [--json]")}
	}
	s, err := a.openService(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	d, err := s.DiffLists(ctx, a.actor(), pos[0], pos[1])
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(a.Stdout, d)
	}
	fmt.Fprintf(a.Stdout, "%s → %s: %d added, %d removed, %d changed\n", d.From, d.To, len(d.Added), len(d.Removed), len(d.Changed))
	for _, e := range d.Added {
		fmt.Fprintf(a.Stdout, "+ row %d: %s %s\n", e.Row, e.FullName(), e.BirthDate)
	}
	for _, e := range d.Removed {
		fmt.Fprintf(a.Stdout, "- row %d: %s %s\n", e.Row, e.FullName(), e.BirthDate)
	}
	for _, c := range d.Changed {
		fmt.Fprintf(a.Stdout, "~ row %d → %d: %s\n", c.OldRow, c.NewRow, c.Name)
		for _, f := range c.Fields {
			fmt.Fprintf(a.Stdout, "    %s: %q → %q\n", f.Field, f.Old, f.New)
		}
	}
	return nil
}

func runListExport(ctx context.Context, a *App, args []string) error {
	const usage = "usage: parley list export ID --format csv|xlsx|json|pdf -o FILE [--lang en|uk|ru] [--no-bom] [--all-columns]"
	fs := a.newFlagSet("list export")
	format := fs.String("format", "", "csv, xlsx, json or pdf (default: from the output name)")
	out := fs.String("o", "", "output file (- for stdout)")
	noBOM := fs.Bool("no-bom", false, "CSV: leave out the UTF-8 byte-order mark")
	allColumns := fs.Bool("all-columns", false, "CSV: write every column, also those without data")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 1 || *out == "" {
		return &ExitError{Code: 2, Err: errors.New(usage)}
	}
	var f listfile.Format
	if strings.EqualFold(*format, "pdf") || (*format == "" && strings.EqualFold(filepath.Ext(*out), ".pdf")) {
		f = "pdf"
	} else if f, err = formatFor(*format, *out); err != nil {
		return &ExitError{Code: 2, Err: fmt.Errorf("%w (or pdf)", err)}
	}
	l, err := cliLang(a.LangFlag)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	s, err := a.openService(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	write := func(w io.Writer) error {
		switch f {
		case "pdf":
			_, err := s.ExportListPDF(ctx, a.actor(), pos[0], l, w)
			return err
		case listfile.CSV:
			return s.ExportListCSV(ctx, a.actor(), pos[0], listfile.ExportOptions{Lang: l, NoBOM: *noBOM, AllColumns: *allColumns}, w)
		}
		return s.ExportList(ctx, a.actor(), pos[0], f, w)
	}
	if *out == "-" {
		return write(a.Stdout)
	}
	// Write to a temporary file and rename, so that a failed export never
	// leaves a truncated file under the requested name.
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".parley-export-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), *out)
}

// lang is the language of what the command writes for people: --lang,
// else the locale, else English (see cliLang).
func (a *App) lang() string {
	l, err := cliLang(a.LangFlag)
	if err != nil {
		return msg.English
	}
	return l
}

// text renders a message of the catalogue in the command's language.
func (a *App) text(code string, kv ...any) string { return msg.Text(a.lang(), msg.New(code, kv...)) }

// errorText is an error as the command prints it: in English its whole
// text, with the context each layer added; in another language the
// message it carries, from the catalogue, or for a refusal that carries
// none the catalogue's phrase for its kind (not found, forbidden, …).
func (a *App) errorText(err error) string {
	lang := a.lang()
	if lang == msg.English {
		return err.Error()
	}
	if _, has := msg.Of(err); !has {
		if _, _, known := httpx.Status(err); known {
			_, _, text, _ := httpx.Message(err, lang)
			return text
		}
	}
	_, text := msg.ErrorText(lang, err)
	return text
}

// cliLang is the language of what the command writes for people: --lang,
// else the locale (LC_ALL, LC_MESSAGES, LANG), else English.
func cliLang(flag string) (string, error) {
	if flag != "" {
		for _, l := range printout.Languages {
			if flag == l {
				return l, nil
			}
		}
		return "", fmt.Errorf("--lang %q: want en, uk or ru", flag)
	}
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if s := os.Getenv(v); s != "" {
			return msg.Pick(msg.FromLocale(s)), nil
		}
	}
	return printout.Languages[0], nil
}

func runListVerifyFile(ctx context.Context, a *App, args []string) error {
	const usage = "usage: parley list verify-file FILE --receipt RECEIPT [--format csv|xlsx|json] [--json]"
	fs := a.newFlagSet("list verify-file")
	receipt := fs.String("receipt", "", "the receipt of the list's hand-over (parley log receipt)")
	format := fs.String("format", "", "csv, xlsx or json (default: from the file name)")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 1 || *receipt == "" {
		return &ExitError{Code: 2, Err: errors.New(usage)}
	}
	f, err := formatFor(*format, pos[0])
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	rdata, err := os.ReadFile(*receipt)
	if err != nil {
		return fmt.Errorf("read receipt: %w", err)
	}
	file, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer file.Close()
	s, err := a.openService(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	fc, err := s.CheckListFile(ctx, a.actor(), file, f, rdata)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := writeJSON(a.Stdout, fc); err != nil {
			return err
		}
	} else {
		printFileCheck(a.Stdout, pos[0], fc)
	}
	if !fc.Match {
		return &ExitError{Code: 1, Silent: true, Err: errors.New("the file differs from the list the log recorded")}
	}
	return nil
}

// printFileCheck prints the verdict on a received file, one line per row
// and field that differs.
func printFileCheck(w io.Writer, name string, fc *service.FileCheck) {
	if fc.Match {
		fmt.Fprintf(w, "OK: %s holds exactly the %d persons the log recorded for list %s (%s)\n", name, fc.Rows, fc.ListID, fc.ContentHash)
		return
	}
	fmt.Fprintf(w, "DIFFERS: %s does not hold the persons the log recorded for list %s\n", name, fc.ListID)
	fmt.Fprintf(w, "  recorded %d persons, content hash %s\n  file     %d persons, content hash %s\n", fc.Recorded, fc.ContentHash, fc.Rows, fc.FileHash)
	for _, p := range fc.Problems {
		fmt.Fprintf(w, "  unreadable: %s\n", p)
	}
	for _, d := range fc.Differences {
		switch d.Kind {
		case "missing":
			fmt.Fprintf(w, "  row %d (%s): missing from the file\n", d.Row, d.Name)
		case "extra":
			fmt.Fprintf(w, "  file row %d (%s): not on the recorded list\n", d.FileRow, d.Name)
		default:
			fmt.Fprintf(w, "  row %d (%s), field %s: recorded %q, file %q", d.Row, d.Name, d.Field, d.Recorded, d.File)
			if d.FileRow != d.Row {
				fmt.Fprintf(w, " (file row %d)", d.FileRow)
			}
			fmt.Fprintln(w)
		}
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// columns prints a table's header line in the command's language, after
// prefix (a blank line or an indent), the columns separated by tabs.
func (a *App) columns(w io.Writer, prefix string, keys ...string) {
	columns(w, a.lang(), prefix, keys...)
}

// columns prints a table's header line in lang.
func columns(w io.Writer, lang, prefix string, keys ...string) {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = msg.Text(lang, msg.New(k))
	}
	fmt.Fprintln(w, prefix+strings.Join(names, "\t"))
}
