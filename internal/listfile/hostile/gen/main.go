// Command gen writes the small files of the hostile corpus (see package
// hostile) into a directory: go run ./internal/listfile/hostile/gen DIR.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"parley/internal/listfile/hostile"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gen DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, f := range hostile.Corpus() {
		if f.Large {
			continue
		}
		out, err := os.Create(filepath.Join(dir, f.Name))
		if err == nil {
			err = f.Write(out)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", f.Name, err)
			os.Exit(1)
		}
	}
}
