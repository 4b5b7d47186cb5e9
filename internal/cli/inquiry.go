package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"parley/internal/person"
	"parley/internal/service"
)

func init() {
	register("inquiry import", "import family inquiries from a PFIF 1.4 file", runInquiryImport)
	register("inquiry export", "write family inquiries as a PFIF 1.4 file", runInquiryExport)
	register("inquiry relink", "compare every inquiry with every handed-over list again", runInquiryRelink)
}

// checkPFIF accepts only the PFIF format: inquiries travel between
// people-finder systems in PFIF, and nothing else is defined for them.
func checkPFIF(format string) error {
	if strings.ToLower(format) != "pfif" {
		return fmt.Errorf("--format %q: inquiries are exchanged as pfif", format)
	}
	return nil
}

func runInquiryImport(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("inquiry import")
	format := fs.String("format", "pfif", "file format (pfif)")
	party := fs.String("party", "", "the side the sought relatives belong to (party id)")
	kind := fs.String("kind", "pow", "what the relatives are: pow or civilian")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 1 || *party == "" {
		return &ExitError{Code: 2, Err: errors.New("usage: parley inquiry import --format pfif --party ID [--kind pow|civilian] FILE")}
	}
	if err := checkPFIF(*format); err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	s, err := a.openService(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := s.ImportInquiriesPFIF(ctx, a.actor(), f, service.PFIFImportOptions{Party: *party, Kind: person.Kind(*kind)})
	if err != nil {
		return err
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(a.Stderr, "warning: %s\n", w)
	}
	for _, sk := range res.Skipped {
		fmt.Fprintf(a.Stderr, "skipped: %s\n", sk)
	}
	fmt.Fprintf(a.Stdout, "%d inquiries imported, %d records skipped\n", res.Imported, len(res.Skipped))
	return nil
}

func runInquiryExport(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("inquiry export")
	format := fs.String("format", "pfif", "file format (pfif)")
	out := fs.String("o", "", "output file (- for stdout)")
	party := fs.String("party", "", "export only inquiries about relatives of this side")
	domain := fs.String("domain", "parley.invalid", "domain of the PFIF record ids minted here (domain/inquiry.ID); keep it the same from export to export")
	source := fs.String("source-name", "Parley", "source_name and author of the records and notes written here")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 0 || *out == "" {
		return &ExitError{Code: 2, Err: errors.New("usage: parley inquiry export --format pfif -o FILE [--party ID] [--domain DOMAIN]")}
	}
	if err := checkPFIF(*format); err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	if strings.ContainsAny(*domain, "/ \t") || *domain == "" {
		return &ExitError{Code: 2, Err: fmt.Errorf("--domain %q: want a domain name such as parley.example.org", *domain)}
	}
	s, err := a.openService(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	opts := service.PFIFExportOptions{Party: *party, Domain: *domain, SourceName: *source}
	if *out == "-" {
		_, err := s.ExportInquiriesPFIF(ctx, a.actor(), a.Stdout, opts)
		return err
	}
	// Write to a temporary file and rename, so that a failed export never
	// leaves a truncated file under the requested name.
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".parley-export-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	n, err := s.ExportInquiriesPFIF(ctx, a.actor(), tmp, opts)
	if err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return err
	}
	fmt.Fprintf(a.Stderr, "%d inquiries written to %s\n", n, *out)
	return nil
}

func runInquiryRelink(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("inquiry relink")
	if _, err := parseInterspersed(fs, args); err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	s, err := a.openService(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	return s.RelinkInquiries(ctx, a.actor())
}
