package listfile

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadCSV feeds arbitrary bytes to the CSV reader: it must never panic,
// every problem must name a row ≥ 1 or the file (0), problems come in row
// order, and every row returned must be a valid person.
func FuzzReadCSV(f *testing.F) {
	for _, pattern := range []string{"testdata/*.csv", "testdata/*.tsv"} {
		files, _ := filepath.Glob(pattern)
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte("sep=;\nПрізвище;Категорія\n\"Коваль\n;x"))
	f.Add([]byte{0xCF, 0xF0, 0xB3, 0xE7, 0xE2, 0xE8, 0xF9, 0xE5, '\n', 'a', '\n'})
	f.Add([]byte{0xFF, 0xFE, 'a', 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Read(bytes.NewReader(data), Options{Format: CSV, Registry: len(data)%2 == 1})
		if err != nil {
			return
		}
		prev := 0
		for _, p := range res.Problems {
			if p.Row < 0 {
				t.Fatalf("problem with row %d: %s", p.Row, p)
			}
			if p.Row < prev {
				t.Fatalf("problems out of order: row %d after row %d", p.Row, prev)
			}
			prev = p.Row
			if p.Reason == "" {
				t.Fatalf("problem without a reason: %+v", p)
			}
		}
		last := 0
		for _, r := range res.Rows {
			if r.Line <= last {
				t.Fatalf("row line %d after %d", r.Line, last)
			}
			last = r.Line
			if errs := r.Person.Validate(); len(errs) > 0 {
				t.Fatalf("row %d returned with problems %v", r.Line, errs)
			}
		}
	})
}

// FuzzParseDate checks that every accepted date is a real, printable date
// that reads back the same.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"12.03.1990", "1990-03", "00.00.1990", "31.02.1990", "12/3/1990 р.", "1990-03-12T00:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		if verr := d.Validate(); verr != nil {
			t.Fatalf("ParseDate(%q) = %v, which is invalid: %v", s, d, verr)
		}
		back, err := ParseDate(d.String())
		if err != nil || back != d {
			t.Fatalf("ParseDate(%q) = %v; reading %q back gives %v, %v", s, d, d.String(), back, err)
		}
	})
}
