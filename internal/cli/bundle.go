package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"parley/internal/bundle"
)

func init() {
	register("bundle export", "on a node: write the statements waiting for the hub to a parley-bundle/v1 file, to carry by hand", runBundleExport)
	register("bundle import", "on a node: verify a parley-bundle/v1 file of this node's party and queue its statements for the hub", runBundleImport)
}

func runBundleExport(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("bundle export")
	out := fs.String("o", "", "the file to write (required)")
	all := fs.Bool("all", false, "every statement waiting for the hub, not only those about one list or proposal")
	const usage = "usage: parley bundle export (ID | --all) -o FILE"
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if *out == "" || (len(pos) == 1) == *all || len(pos) > 1 {
		return &ExitError{Code: 2, Err: errors.New(usage)}
	}
	subject := ""
	if len(pos) == 1 {
		subject = pos[0]
	}
	s, err := a.openService(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	b, err := s.ExportBundle(ctx, a.actor(), subject)
	if err != nil {
		return err
	}
	data, err := b.Marshal()
	if err != nil {
		return err
	}
	// The file holds lists of persons: readable by its owner only.
	f, err := os.OpenFile(*out, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("write the bundle: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write the bundle: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write the bundle: %w", err)
	}
	fmt.Fprintln(a.Stdout, a.text("node.bundle.wrote", "file", *out, "count", len(b.Statements), "party", b.Party, "proofs", len(b.Proofs)))
	return nil
}

func runBundleImport(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("bundle import")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 1 {
		return &ExitError{Code: 2, Err: errors.New("usage: parley bundle import FILE")}
	}
	data, err := readBounded(pos[0], bundle.MaxSize)
	if err != nil {
		return err
	}
	s, err := a.openService(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := s.ImportBundle(ctx, a.actor(), data)
	if err != nil {
		return err
	}
	fmt.Fprint(a.Stdout, a.text("node.bundle.queued", "count", len(res.Queued)))
	if len(res.Already) > 0 {
		fmt.Fprint(a.Stdout, a.text("node.bundle.already", "count", len(res.Already)))
	}
	fmt.Fprintln(a.Stdout)
	return a.deliver(ctx, s)
}

// readBounded reads a file of at most max bytes.
func readBounded(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s has more than the %d bytes a bundle may have", path, max)
	}
	return b, nil
}
