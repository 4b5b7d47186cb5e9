package printout_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"parley/internal/printout"
)

// TestWriteTable prints a workbench table of 120 rows in Ukrainian and
// reads it back with an independent reader: the title, the filters, every
// row's cells in Cyrillic, and "page N of M" on every page.
func TestWriteTable(t *testing.T) {
	bin := pdftotext(t)
	d := printout.Table{Title: "Запити родин", Lang: "uk", Footer: "B", Meta: [][2]string{{"Стан", "у списку"}},
		Header: []string{"Номер", "Родич", "Дата народження"}, Widths: []float64{2, 4, 2}}
	for i := range 120 {
		d.Rows = append(d.Rows, []string{fmt.Sprintf("PX-%04d", i), fmt.Sprintf("Шевченко Сергій %d", i), "29.12.1997"})
	}
	var buf bytes.Buffer
	pages, err := printout.WriteTable(&buf, d)
	if err != nil {
		t.Fatal(err)
	}
	if pages < 2 {
		t.Errorf("%d pages for 120 rows", pages)
	}
	path := filepath.Join(t.TempDir(), "t.pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-layout", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	want := []string{"Запити родин", "Стан:", "у списку", "Родич", "PX-0000", "Шевченко Сергій 119", fmt.Sprintf("Сторінка %d з %d", pages, pages)}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("the PDF lacks %q", w)
		}
	}
	if _, err := printout.WriteTable(&buf, printout.Table{Header: []string{"a"}}); err == nil {
		t.Error("a table without widths printed")
	}
}
