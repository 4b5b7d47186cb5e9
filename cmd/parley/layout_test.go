package main

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestLayout holds the README's Layout section to the code: every package
// of the module is listed (a sub-package counts as its parent's), and each
// imports only packages listed below it, so that the list, read from the
// top, goes from the binary inwards to the domain.
func TestLayout(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Layout\n")
	if !ok {
		t.Fatal("README.md has no Layout section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	rank := map[string]int{}
	var listed []string
	for _, line := range strings.Split(section, "\n") {
		f := strings.Fields(line)
		if !strings.HasPrefix(line, "    ") || len(f) == 0 || !(strings.HasPrefix(f[0], "internal/") || strings.HasPrefix(f[0], "cmd/")) {
			continue
		}
		rank[f[0]] = len(listed)
		listed = append(listed, f[0])
	}
	if len(listed) < 10 {
		t.Fatalf("the Layout section lists %d packages", len(listed))
	}
	// owner returns the listed package a directory belongs to.
	owner := func(dir string) (string, bool) {
		for d := dir; d != "." && d != "/"; d = filepath.Dir(d) {
			if _, ok := rank[d]; ok {
				return d, true
			}
		}
		return "", false
	}
	const module = "parley/"
	for _, root := range []string{"cmd", "internal"} {
		err := filepath.WalkDir(filepath.Join("../..", root), func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.Contains(path, "/testdata/") {
				return err
			}
			dir, _ := filepath.Rel("../..", filepath.Dir(path))
			from, ok := owner(dir)
			if !ok {
				t.Errorf("%s is not in the README's Layout section", dir)
				return filepath.SkipDir
			}
			af, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			for _, im := range af.Imports {
				p, _ := strconv.Unquote(im.Path.Value)
				if !strings.HasPrefix(p, module) {
					continue
				}
				to, ok := owner(strings.TrimPrefix(p, module))
				if ok && to != from && rank[to] < rank[from] {
					t.Errorf("%s imports %s, which the Layout lists above it", path, p)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
