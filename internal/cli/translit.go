package cli

import (
	"context"
	"fmt"

	"parley/internal/translit"
)

func init() {
	register("translit", "romanize Cyrillic text with an official system", runTranslit)
}

func runTranslit(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("translit")
	system := fs.String("system", string(translit.UA2010), "ua2010, icao, gost-b or bgn")
	fs.Usage = func() {
		fmt.Fprintln(a.Stderr, "usage: parley translit --system SYSTEM TEXT...   (one line of output per argument)")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	sys, err := translit.ParseSystem(*system)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	if len(pos) == 0 {
		fs.Usage()
		return &ExitError{Code: 2, Silent: true}
	}
	for _, text := range pos {
		fmt.Fprintln(a.Stdout, translit.Romanize(sys, text))
	}
	return nil
}
