package web

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"parley/internal/service"
)

// TestFrontEndsUseTheService: the workbench and the family site reach the
// database only through the service's methods, which hold the access
// checks, and show the domain's records. Their non-test sources may not
// import the storage package (nor database/sql) nor call the service's
// administration back door.
func TestFrontEndsUseTheService(t *testing.T) {
	forbiddenImports := map[string]bool{"parley/internal/store": true, "database/sql": true}
	for _, dir := range []string{".", "../familyweb"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			t.Fatalf("no Go files in %s", dir)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			fs := token.NewFileSet()
			af, err := parser.ParseFile(fs, f, src, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, im := range af.Imports {
				p, _ := strconv.Unquote(im.Path.Value)
				if forbiddenImports[p] {
					t.Errorf("%s imports %s; go through the service", f, p)
				}
			}
			ast.Inspect(af, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "AdminStore" {
					t.Errorf("%s: %s calls service.AdminStore, the command line's back door", f, fs.Position(sel.Pos()))
				}
				return true
			})
		}
	}
}

// TestInvalidIsUnprocessable: input the service refuses is 422 here, as on
// the family site (see internal/familyweb's TestServiceErrorStatus).
func TestInvalidIsUnprocessable(t *testing.T) {
	if status, _ := statusOf(fmt.Errorf("%w: bad", service.ErrInvalid)); status != http.StatusUnprocessableEntity {
		t.Errorf("service.ErrInvalid: %d, want 422", status)
	}
}
