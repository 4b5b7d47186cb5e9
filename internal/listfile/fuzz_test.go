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
		checkFuzzResult(t, res, err)
	})
}

// checkFuzzResult holds what every reader promises for any input: an error
// is a refusal with a code; problems name a row ≥ 1 or the file (0), come
// in row order, each with a code and a reason; every row returned is a
// valid person whose names obey the character rules.
func checkFuzzResult(t *testing.T, res *Result, err error) {
	t.Helper()
	if err != nil {
		r, ok := AsRefusal(err)
		if !ok {
			t.Fatalf("error that is not a refusal: %v", err)
		}
		if r.Code == "" || r.Reason == "" {
			t.Fatalf("refusal without a code or a reason: %+v", r.Problem)
		}
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
		if p.Reason == "" || p.Code == "" {
			t.Fatalf("problem without a reason or a code: %+v", p)
		}
	}
	last := 0
	lim := DefaultLimits()
	for _, r := range res.Rows {
		if r.Line <= last {
			t.Fatalf("row line %d after %d", r.Line, last)
		}
		last = r.Line
		if errs := r.Person.Validate(); len(errs) > 0 {
			t.Fatalf("row %d returned with problems %v", r.Line, errs)
		}
		p := r.Person
		for _, name := range []string{p.Surname, p.GivenNames, p.Patronymic, p.SurnameLatin, p.GivenNamesLatin, p.PatronymicLatin} {
			if code, reason := checkText(name, textName, lim); code != "" {
				t.Fatalf("row %d: name %q returned although %s", r.Line, name, reason)
			}
		}
	}
}

// FuzzReadXLSX feeds arbitrary bytes to the workbook reader, seeded with
// real workbooks and the small files of the hostile corpus.
func FuzzReadXLSX(f *testing.F) {
	for _, pattern := range []string{"testdata/*.xlsx", "testdata/hostile/*.xlsx"} {
		files, _ := filepath.Glob(pattern)
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			if len(b) <= 64<<10 {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Read(bytes.NewReader(data), Options{Format: XLSX})
		checkFuzzResult(t, res, err)
	})
}

// FuzzReadXLSXSheet feeds arbitrary XML as the sheet of a well-formed
// workbook, where the fuzzer gets much further than through the zip.
func FuzzReadXLSXSheet(f *testing.F) {
	f.Add([]byte(inlineRow(1, "Прізвище", "Дата народження") + inlineRow(2, "Коваль", "1990") + `<row r="4"><c r="B4"><v>33000</v></c><c r="A4" t="s"><v>0</v></c></row>`))
	f.Add([]byte(inlineRow(1, "Прізвище") + `<row><c t="inlineStr"><is><r><t>Ко</t></r><r><t>валь</t></r><rPh><t>x</t></rPh></is></c></row>`))
	f.Add([]byte(inlineRow(1, "Прізвище") + inlineRow(3, "Ко_x0001_валь &amp; &bogus;")))
	f.Fuzz(func(t *testing.T, sheet []byte) {
		res, err := Read(bytes.NewReader(rawXLSX(t, string(sheet))), Options{Format: XLSX})
		checkFuzzResult(t, res, err)
	})
}

// FuzzReadJSON feeds arbitrary bytes to the JSON reader.
func FuzzReadJSON(f *testing.F) {
	for _, pattern := range []string{"testdata/*.json", "testdata/hostile/*.json"} {
		files, _ := filepath.Glob(pattern)
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte(`{"title": "x", "version": 2, "entries": [{"surname": "Коваль", "categories": ["поранений", 3], "extra": {"a": [1]}}, 5]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Read(bytes.NewReader(data), Options{Format: JSON, Registry: len(data)%2 == 1})
		checkFuzzResult(t, res, err)
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
