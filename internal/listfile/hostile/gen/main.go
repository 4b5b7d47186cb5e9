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
		if err := f.WriteFile(filepath.Join(dir, f.Name)); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", f.Name, err)
			os.Exit(1)
		}
	}
}
