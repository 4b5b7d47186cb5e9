package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"parley/internal/service"
)

func init() {
	register("registry import", "replace a party's registry of missing people from a file", runRegistryImport)
	register("registry show", "print a party's registry", runRegistryShow)
	register("registry versions", "list the versions of a party's registry", runRegistryVersions)
	register("registry diff", "what a version of a party's registry added, changed and removed", runRegistryDiff)
}

func runRegistryVersions(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("registry versions")
	party := fs.String("party", "", "party id")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseInterspersed(fs, args); err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if *party == "" {
		return &ExitError{Code: 2, Err: errors.New("usage: parley registry versions --party ID [--json]")}
	}
	s, err := a.openService(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	vs, err := s.RegistryVersions(ctx, a.actor(), *party)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(a.Stdout, map[string]any{"party": *party, "versions": vs})
	}
	for _, v := range vs {
		fmt.Fprintf(a.Stdout, "%d\t%s\t%d records\t%d added\t%d changed\t%d removed\t%s\n", v.Version, v.CreatedAt.Format("2006-01-02 15:04"), v.Records, v.Added, v.Changed, v.Removed, v.SourceName)
	}
	return nil
}

func runRegistryDiff(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("registry diff")
	party := fs.String("party", "", "party id")
	version := fs.Int("version", 0, "the version (default: the latest)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseInterspersed(fs, args); err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if *party == "" {
		return &ExitError{Code: 2, Err: errors.New("usage: parley registry diff --party ID [--version N] [--json]")}
	}
	s, err := a.openService(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	v := *version
	if v == 0 {
		vs, err := s.RegistryVersions(ctx, a.actor(), *party)
		if err != nil {
			return err
		}
		if len(vs) == 0 {
			return fmt.Errorf("party %s has no registry", *party)
		}
		v = vs[0].Version
	}
	d, err := s.RegistryDiff(ctx, a.actor(), *party, v)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(a.Stdout, d)
	}
	fmt.Fprintf(a.Stdout, "registry version %d: %d added, %d changed, %d removed\n", v, len(d.Added), len(d.Changed), len(d.Removed))
	for _, e := range d.Added {
		fmt.Fprintf(a.Stdout, "added\t%s\t%s\t%s\n", e.ID, e.FullName(), e.BirthDate)
	}
	for _, c := range d.Changed {
		var fields []string
		for _, f := range c.Fields {
			fields = append(fields, fmt.Sprintf("%s %q → %q", f.Field, f.Old, f.New))
		}
		fmt.Fprintf(a.Stdout, "changed\t%s\t%s\t%s\n", c.ID, c.Name, strings.Join(fields, "; "))
	}
	for _, e := range d.Removed {
		fmt.Fprintf(a.Stdout, "removed\t%s\t%s\t%s\n", e.ID, e.FullName(), e.BirthDate)
	}
	return nil
}

func runRegistryImport(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("registry import")
	party := fs.String("party", "", "party id")
	format := fs.String("format", "", "csv, xlsx or json (default: from the file name)")
	var maps multiFlag
	fs.Var(&maps, "map", "column override COLUMN=FIELD (repeat)")
	skip := fs.Bool("skip-invalid", false, "import the valid rows and report the others")
	lim := addLimitFlags(fs)
	dry := fs.Bool("dry-run", false, "check the file, store nothing")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 1 || *party == "" {
		return &ExitError{Code: 2, Err: errors.New("usage: parley registry import FILE --party ID [--format F] [--map COL=FIELD] [--skip-invalid] [--dry-run]")}
	}
	m, err := parseMaps(maps)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	f, err := formatFor(*format, pos[0])
	if err != nil {
		return &ExitError{Code: 2, Err: err}
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
	res, err := s.ImportRegistry(ctx, a.actor(), service.RegistryImportRequest{Party: *party, Format: f, Map: m, SkipInvalid: *skip, DryRun: *dry, SourceName: filepath.Base(pos[0]), Progress: progress}, file)
	done()
	if err := reportImport(a, res, err); err != nil {
		return err
	}
	if *dry {
		fmt.Fprintln(a.Stderr, a.text("cli.registry.dry_run", "valid", res.Imported))
		return nil
	}
	if n := len(res.Read.Problems); n > 0 {
		fmt.Fprintln(a.Stderr, a.text("cli.registry.partial", "count", res.Imported, "problems", n))
		reportSkipped(a, res)
	}
	fmt.Fprintf(a.Stdout, "imported %d registry records for %s\n", res.Imported, *party)
	if v, d := res.Registry, res.RegistryDiff; v != nil && d != nil {
		fmt.Fprintf(a.Stdout, "registry version %d: %d added, %d changed, %d removed\n", v.Version, v.Added, v.Changed, v.Removed)
		for _, c := range d.Changed {
			var fields []string
			for _, f := range c.Fields {
				fields = append(fields, fmt.Sprintf("%s %q → %q", f.Field, f.Old, f.New))
			}
			fmt.Fprintf(a.Stdout, "changed\t%s\t%s\t%s\n", c.ID, c.Name, strings.Join(fields, "; "))
		}
		for _, e := range d.Removed {
			fmt.Fprintf(a.Stdout, "removed\t%s\t%s\t%s\n", e.ID, e.FullName(), e.BirthDate)
		}
	}
	return nil
}

func runRegistryShow(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("registry show")
	party := fs.String("party", "", "party id")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseInterspersed(fs, args); err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if *party == "" {
		return &ExitError{Code: 2, Err: errors.New("usage: parley registry show --party ID [--json]")}
	}
	s, err := a.openService(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	entries, err := s.Registry(ctx, a.actor(), *party)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(a.Stdout, map[string]any{"party": *party, "entries": entries})
	}
	for _, e := range entries {
		fmt.Fprintf(a.Stdout, "%s\t%d\t%s\t%s\t%s\t%s\n", e.ID, e.Row, e.FullName(), e.BirthDate, e.ServiceNumber, e.Status)
	}
	return nil
}
