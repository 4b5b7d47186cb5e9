package cli

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"parley/internal/listfile"
	"parley/internal/matching/gen"
	"parley/internal/person"
)

func init() {
	register("bench gen", "generate a test list, registry and true answers for measuring matching", runBenchGen)
}

const benchGenUsage = `usage: parley bench gen --list N --registry M [--seed S] [--present P] --out DIR

Generates synthetic data for measuring identity matching (no real person):
a registry of M missing servicemen written the way a Ukrainian registry
writes them, and a list of N persons written the way the other party would
(Russian forms, Latin transliterations, typos, initials, swapped names and
dates; the noise model is documented in package internal/matching/gen), a
share P of them drawn from the registry. Writes DIR/list.csv,
DIR/registry.csv and DIR/truth.csv (list_row,registry_row as data-row
numbers from 1; registry_row empty for a person not in the registry). The
same seed gives the same files.

flags:
`

func runBenchGen(_ context.Context, a *App, args []string) error {
	fs := a.newFlagSet("bench gen")
	listN := fs.Int("list", 1000, "list rows")
	regN := fs.Int("registry", 10000, "registry records")
	seed := fs.Uint64("seed", 1, "seed of the generator")
	present := fs.Float64("present", 0.85, "share of list rows present in the registry")
	out := fs.String("out", "", "directory to write list.csv, registry.csv and truth.csv into")
	fs.Usage = func() {
		fmt.Fprint(a.Stderr, benchGenUsage)
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &ExitError{Code: 2, Silent: true}
	}
	if len(pos) > 0 || *out == "" {
		fmt.Fprintln(a.Stderr, "parley bench gen: --out is required, and no arguments")
		fs.Usage()
		return &ExitError{Code: 2, Silent: true}
	}
	if *present <= 0 || *present > 1 {
		return &ExitError{Code: 2, Err: fmt.Errorf("--present %v must be in (0, 1]", *present)}
	}
	d, err := gen.Generate(gen.Config{Registry: *regN, List: *listN, Present: *present, Seed: *seed, Noise: gen.DefaultNoise()})
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", *out, err)
	}
	if err := writeListFile(filepath.Join(*out, "list.csv"), d.List); err != nil {
		return err
	}
	if err := writeListFile(filepath.Join(*out, "registry.csv"), d.Registry); err != nil {
		return err
	}
	if err := writeTruth(filepath.Join(*out, "truth.csv"), d.Truth); err != nil {
		return err
	}
	fmt.Fprintf(a.Stderr, "wrote %d list rows, %d registry rows and the answers to %s\n", len(d.List), len(d.Registry), *out)
	return nil
}

func writeListFile(path string, persons []person.Person) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	bw := bufio.NewWriter(f)
	if err := listfile.Write(bw, listfile.CSV, listfile.Meta{}, persons); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func writeTruth(path string, truth []int) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	w := csv.NewWriter(f) // buffered by itself
	w.Write([]string{"list_row", "registry_row"})
	for i, t := range truth {
		reg := ""
		if t >= 0 {
			reg = strconv.Itoa(t + 1)
		}
		w.Write([]string{strconv.Itoa(i + 1), reg})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
