package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportRefusalsAndSkippedRows checks the command line's report of
// hostile files: a refused file names its problem and imports nothing,
// even with --skip-invalid; skipping invalid rows names every row skipped.
func TestImportRefusalsAndSkippedRows(t *testing.T) {
	g := initDir(t, "")
	hostile := func(name string) string { return filepath.Join("..", "listfile", "testdata", "hostile", name) }

	code, out, errOut := run(t, append(g, "list", "import", hostile("bogus_entity.xlsx"), "--from", "A", "--to", "B", "--title", "x", "--skip-invalid")...)
	if code != 1 || out != "" || !strings.Contains(errOut, "row 3: ") || !strings.Contains(errOut, "the file was refused; nothing was imported") {
		t.Errorf("refused file: exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	code, _, errOut = run(t, append(g, "list", "import", hostile("bomb_cell.xlsx"), "--from", "A", "--to", "B", "--title", "x", "--max-unzipped-mib", "300", "--max-zip-ratio", "2000")...)
	if code != 1 || !strings.Contains(errOut, "longer than") {
		t.Errorf("bomb with wide limits: exit %d, stderr:\n%s", code, errOut)
	}

	file := filepath.Join(t.TempDir(), "list.csv")
	data := "Прізвище,Ім'я\nКоваль,Олена\nБон\x00дар,Іван\nТкач,Петро\nМель\u202eник,Ігор\nЛисенко,Олег\n"
	if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = run(t, append(g, "list", "import", file, "--from", "A", "--to", "B", "--title", "x", "--skip-invalid")...)
	if code != 0 || !strings.HasPrefix(strings.TrimSpace(out), "L") {
		t.Fatalf("skip-invalid: exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{`row 2, column Прізвище: value "Бон\\u0000дар"`, `row 4, column Прізвище`, "imported 3 rows", "skipped 2 row(s): 2, 4"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}
