package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"parley/internal/service"
)

func init() {
	register("stage print", "write an agreement as PDF, to print and sign", runStagePrint)
	register("matches print-left-off", "write the left-off report of a matching run as PDF", runMatchesPrintLeftOff)
}

func runStagePrint(ctx context.Context, a *App, args []string) error {
	return printPDF(ctx, a, "stage print", "usage: parley stage print AGREEMENT -o FILE [--lang en|uk|ru]", args,
		func(s *service.Service, id, lang string, w io.Writer) error {
			_, err := s.ExportAgreementPDF(ctx, a.actor(), id, lang, w)
			return err
		})
}

func runMatchesPrintLeftOff(ctx context.Context, a *App, args []string) error {
	return printPDF(ctx, a, "matches print-left-off", "usage: parley matches print-left-off RUN -o FILE [--lang en|uk|ru]", args,
		func(s *service.Service, id, lang string, w io.Writer) error {
			_, err := s.ExportLeftOffPDF(ctx, a.actor(), id, lang, service.TableQuery{}, w)
			return err
		})
}

// printPDF runs a command that writes one record as a PDF to -o, through
// a temporary file so that a failure leaves no truncated PDF behind.
func printPDF(ctx context.Context, a *App, name, usage string, args []string, write func(s *service.Service, id, lang string, w io.Writer) error) error {
	fs := a.newFlagSet(name)
	out := fs.String("o", "", "output file (- for stdout)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 1 || *out == "" {
		return &ExitError{Code: 2, Err: errors.New(usage)}
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
	if *out == "-" {
		return write(s, pos[0], l, a.Stdout)
	}
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".parley-print-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(s, pos[0], l, tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	return os.Rename(tmp.Name(), *out)
}
