package service

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestRefusalsCarryCodes reads the sources of the service and of the
// packages that refuse requests on its behalf, and fails on a refusal
// worded in English inside the code: fmt.Errorf of one of the refusal
// kinds (ErrInvalid, ErrConflict, ErrWrongMode, ErrForbidden) with words
// in its format, or an httpError built from errors.New or fmt.Errorf.
// Such refusals are made with Invalid, Conflict, access.Forbid or
// msg.NewError, whose words live in the catalogue (package msg), so that
// every reader gets them in his language and API clients get a code.
func TestRefusalsCarryCodes(t *testing.T) {
	kinds := map[string]bool{"ErrInvalid": true, "ErrConflict": true, "ErrWrongMode": true, "ErrForbidden": true}
	words := regexp.MustCompile(`[A-Za-z]{2,}`)
	verbs := regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z]`)
	var found []string
	for _, dir := range []string{".", "../web", "../access", "../auth"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, name, src, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CallExpr:
					if !isCall(n, "fmt", "Errorf") || len(n.Args) == 0 {
						return true
					}
					format, ok := stringLit(n.Args[0])
					if !ok || !words.MatchString(verbs.ReplaceAllString(format, "")) {
						return true
					}
					for _, a := range n.Args[1:] {
						if kinds[lastName(a)] {
							found = append(found, fset.Position(n.Pos()).String()+": "+strconv.Quote(format))
						}
					}
				case *ast.CompositeLit:
					if lastName(n.Type) != "httpError" {
						return true
					}
					for _, el := range n.Elts {
						if c, ok := el.(*ast.CallExpr); ok && (isCall(c, "errors", "New") || isCall(c, "fmt", "Errorf")) {
							found = append(found, fset.Position(c.Pos()).String()+": an httpError worded in the code")
						}
					}
				}
				return true
			})
		}
	}
	for _, f := range found {
		t.Errorf("%s: a refusal without a catalogue code", f)
	}
}

func isCall(c *ast.CallExpr, pkg, fn string) bool {
	sel, ok := c.Fun.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != fn {
		return false
	}
	id, ok := sel.X.(*ast.Ident)
	return ok && id.Name == pkg
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

func lastName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return e.Sel.Name
	case *ast.UnaryExpr:
		return lastName(e.X)
	}
	return ""
}
