package listfile

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestWriteSheet: a table written as CSV keeps its header and cells (in
// any script) behind a byte-order mark, with formulas guarded; as XLSX it
// holds the same text.
func TestWriteSheet(t *testing.T) {
	header := []string{"Ім'я", "Дата"}
	rows := [][]string{{"Шевченко Сергій", "29.12.1997"}, {"=HYPERLINK(\"x\")", ""}}
	for _, c := range []struct {
		format Format
		want   [][]string
	}{
		{CSV, [][]string{header, rows[0], {"'=HYPERLINK(\"x\")", ""}}},
		{XLSX, [][]string{header, rows[0], {"=HYPERLINK(\"x\")"}}},
	} {
		t.Run(string(c.format), func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteSheet(&b, c.format, header, rows, t.TempDir()); err != nil {
				t.Fatal(err)
			}
			var got [][]string
			if c.format == CSV {
				s, ok := strings.CutPrefix(b.String(), "\uFEFF")
				if !ok {
					t.Error("no byte-order mark")
				}
				var err error
				if got, err = csv.NewReader(strings.NewReader(s)).ReadAll(); err != nil {
					t.Fatal(err)
				}
			} else {
				x, err := excelize.OpenReader(&b)
				if err != nil {
					t.Fatal(err)
				}
				if got, err = x.GetRows("Table"); err != nil {
					t.Fatal(err)
				}
			}
			if !slices.EqualFunc(got, c.want, slices.Equal) {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
	if err := WriteSheet(&bytes.Buffer{}, JSON, header, rows, ""); err == nil {
		t.Error("JSON written as a sheet")
	}
}
