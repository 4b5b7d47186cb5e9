// Package hostile makes the corpus of hostile list files that Parley's
// readers must refuse quickly and in bounded memory: zip bombs in a cell,
// in the shared strings and in the rows of a workbook, billion laughs and
// external entities (XXE), a million columns, a 50 MiB line, NUL and other
// control characters, invisible marks in names, damaged XML halfway down a
// sheet, deep nesting and mixed encodings.
//
// Small files are kept in internal/listfile/testdata/hostile (written by
// `go generate ./internal/listfile/hostile`, checked against this package
// by a test); large ones (the 50 MiB line, the million columns) are made
// when needed, so that the repository stays small. Compressed bombs are
// small on disk: that is what makes them bombs.
package hostile

//go:generate go run ./gen ../testdata/hostile

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// File is one hostile file and what reading it must give.
type File struct {
	Name string // file name; its extension gives the format
	// Code is the problem code expected (listfile's Code constants).
	Code string
	// Refused says the whole file is refused (a listfile.Refusal), as
	// opposed to a problem of one row that --skip-invalid could skip.
	Refused bool
	// TooLarge says the refusal is about size (HTTP 413).
	TooLarge bool
	// Large files are not kept in the repository.
	Large bool
	make  func(w io.Writer) error
}

// Write writes the file's content.
func (f File) Write(w io.Writer) error { return f.make(w) }

// WriteFile writes the file's content to path; a file that cannot be
// written whole is removed rather than left half made.
func (f File) WriteFile(path string) (err error) {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			err = errors.Join(err, os.Remove(path))
		}
	}()
	bw := bufio.NewWriterSize(out, 1<<20)
	if err := f.Write(bw); err != nil {
		return fmt.Errorf("%s: %w", f.Name, err)
	}
	return bw.Flush()
}

// Path returns where the file can be read: its kept copy in the directory
// kept (internal/listfile/testdata/hostile) or, for a large file, a copy
// made in dir the first time it is asked for.
func (f File) Path(kept, dir string) (string, error) {
	if !f.Large {
		return filepath.Join(kept, f.Name), nil
	}
	p := filepath.Join(dir, f.Name)
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	return p, f.WriteFile(p)
}

// CountingReader counts the bytes taken from the reader it wraps: how much
// of an upload a reader took before it refused it.
type CountingReader struct {
	R io.Reader
	N int64
}

func (c *CountingReader) Read(p []byte) (int, error) {
	n, err := c.R.Read(p)
	c.N += int64(n)
	return n, err
}

// Bytes returns the file's content.
func (f File) Bytes() ([]byte, error) {
	var b bytes.Buffer
	err := f.make(&b)
	return b.Bytes(), err
}

const (
	header   = "Прізвище,Ім'я,Примітка\n"
	goodRows = "Коваль,Олена,\nБондар,Іван,\n"
)

// Corpus returns every hostile file.
func Corpus() []File {
	return []File{
		{Name: "bomb_cell.xlsx", Code: "unzipped_size", Refused: true, TooLarge: true, make: bombCell},
		{Name: "bomb_shared_strings.xlsx", Code: "zip_ratio", Refused: true, TooLarge: true, make: bombSharedStrings},
		{Name: "bomb_rows.xlsx", Code: "zip_ratio", Refused: true, TooLarge: true, make: bombRows},
		{Name: "billion_laughs.xlsx", Code: "xml_dtd", Refused: true, make: billionLaughs},
		{Name: "xxe.xlsx", Code: "xml_dtd", Refused: true, make: xxe},
		{Name: "bogus_entity.xlsx", Code: "xml_error", Refused: true, make: bogusEntity},
		{Name: "unclosed_mid_sheet.xlsx", Code: "xml_error", Refused: true, make: unclosedMidSheet},
		{Name: "deep.xlsx", Code: "too_deep", Refused: true, make: deepXLSX},
		{Name: "columns_1m.xlsx", Code: "too_many_columns", Refused: true, make: columnsXLSX},
		{Name: "control_char.xlsx", Code: "control_character", make: controlXLSX},
		{Name: "columns_1m.csv", Code: "too_many_columns", Refused: true, Large: true, make: columnsCSV},
		{Name: "line_50mib.csv", Code: "cell_too_long", Refused: true, Large: true, make: line50},
		{Name: "unclosed_quote.csv", Code: "cell_too_long", Refused: true, make: unclosedQuote},
		{Name: "nul.csv", Code: "control_character", make: text(header + "Ко\x00валь,Олена,\n" + goodRows[len("Коваль,Олена,\n"):])},
		{Name: "bidi.csv", Code: "invisible_character", make: text(header + "Ко\u202eлаваь,Олена,\n")},
		{Name: "zero_width.json", Code: "invisible_character", make: text(`[{"surname": "Ко\u200bваль", "given_names": "Олена"}]`)},
		{Name: "nul.json", Code: "control_character", make: text(`[{"surname": "Коваль\u0000", "given_names": "Олена"}]`)},
		{Name: "mixed_encoding.csv", Code: "mixed_encoding", make: mixedEncoding},
		{Name: "deep.json", Code: "too_deep", Refused: true, make: text(strings.Repeat("[", 10000) + strings.Repeat("]", 10000))},
		{Name: "long_string.json", Code: "cell_too_long", Refused: true, Large: true, make: longJSON},
		{Name: "keys_1m.json", Code: "too_many_columns", Refused: true, Large: true, make: keysJSON},
	}
}

func text(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

// repeatWriter writes s n times through a writer, in blocks.
func repeat(w io.Writer, s string, n int) error {
	block := strings.Repeat(s, max(1, 64<<10/len(s)))
	per := len(block) / len(s)
	for n > 0 {
		k := min(n, per)
		if _, err := io.WriteString(w, block[:k*len(s)]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// part is one part of a workbook: a fixed text, or a writer of a large one.
type part struct {
	name string
	body func(w io.Writer) error
}

const (
	contentTypes = `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`
	rootRels     = `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`
	workbook     = `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Список" sheetId="1" r:id="rId1"/></sheets></workbook>`
	workbookRels = `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`
	sheetHead    = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`
	sheetTail    = `</sheetData></worksheet>`
	headerRow    = `<row r="1"><c r="A1" t="inlineStr"><is><t>Прізвище</t></is></c><c r="B1" t="inlineStr"><is><t>Ім'я</t></is></c></row>`
	emptySST     = `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"></sst>`
)

func fixed(s string) func(io.Writer) error { return text(s) }

// workbookWith writes a one-sheet workbook with the given sheet and shared
// strings, compressed as hard as deflate can.
func workbookWith(w io.Writer, sheet, sst func(io.Writer) error) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestCompression)
	})
	parts := []part{
		{"[Content_Types].xml", fixed(contentTypes)},
		{"_rels/.rels", fixed(rootRels)},
		{"xl/workbook.xml", fixed(workbook)},
		{"xl/_rels/workbook.xml.rels", fixed(workbookRels)},
		{"xl/sharedStrings.xml", sst},
		{"xl/worksheets/sheet1.xml", sheet},
	}
	for _, p := range parts {
		pw, err := zw.Create(p.name)
		if err != nil {
			return err
		}
		if err := p.body(pw); err != nil {
			return err
		}
	}
	return zw.Close()
}

func sheetRows(rows ...string) func(io.Writer) error {
	return fixed(sheetHead + headerRow + strings.Join(rows, "") + sheetTail)
}

func inline(ref, s string) string {
	return `<c r="` + ref + `" t="inlineStr"><is><t>` + s + `</t></is></c>`
}

func row(n int, cells ...string) string {
	return fmt.Sprintf(`<row r="%d">%s</row>`, n, strings.Join(cells, ""))
}

// bombCell: one cell of 256 MiB, packed into a quarter of a megabyte.
func bombCell(w io.Writer) error {
	return workbookWith(w, func(w io.Writer) error {
		if _, err := io.WriteString(w, sheetHead+headerRow+`<row r="2"><c r="A2" t="inlineStr"><is><t>`); err != nil {
			return err
		}
		if err := repeat(w, "A", 256<<20); err != nil {
			return err
		}
		_, err := io.WriteString(w, `</t></is></c></row>`+sheetTail)
		return err
	}, fixed(emptySST))
}

// bombSharedStrings: a shared string of 150 MiB, under the size limit but
// a thousand times its packed size.
func bombSharedStrings(w io.Writer) error {
	return workbookWith(w, sheetRows(row(2, `<c r="A2" t="s"><v>0</v></c>`)), func(w io.Writer) error {
		if _, err := io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>`); err != nil {
			return err
		}
		if err := repeat(w, "Ш", 75<<20); err != nil {
			return err
		}
		_, err := io.WriteString(w, `</t></si></sst>`)
		return err
	})
}

// bombRows: three million rows without row numbers, 150 MiB of XML packed
// into a fraction of a megabyte.
func bombRows(w io.Writer) error {
	return workbookWith(w, func(w io.Writer) error {
		if _, err := io.WriteString(w, sheetHead+headerRow); err != nil {
			return err
		}
		if err := repeat(w, `<row><c t="inlineStr"><is><t>x</t></is></c></row>`, 3_000_000); err != nil {
			return err
		}
		_, err := io.WriteString(w, sheetTail)
		return err
	}, fixed(emptySST))
}

// billionLaughs: the classic exponential entity expansion.
func billionLaughs(w io.Writer) error {
	var dtd strings.Builder
	dtd.WriteString(`<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY lol "lol">`)
	for i := 1; i <= 9; i++ {
		prev := "lol"
		if i > 1 {
			prev = fmt.Sprintf("lol%d", i-1)
		}
		fmt.Fprintf(&dtd, `<!ENTITY lol%d "%s">`, i, strings.Repeat("&"+prev+";", 10))
	}
	dtd.WriteString(`]>`)
	sheet := dtd.String() + `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + headerRow +
		row(2, inline("A2", "&lol9;")) + sheetTail
	return workbookWith(w, fixed(sheet), fixed(emptySST))
}

// xxe: an external entity that would read a file of the server.
func xxe(w io.Writer) error {
	sheet := `<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + headerRow +
		row(2, inline("A2", "&xxe;")) + sheetTail
	return workbookWith(w, fixed(sheet), fixed(emptySST))
}

// goodSheetRows are rows 2–4 of a valid sheet, so that an error after
// them would silently keep them if the reader stopped there.
var goodSheetRows = []string{
	row(2, inline("A2", "Коваль"), inline("B2", "Олена")),
	row(3, inline("A3", "Бондар"), inline("B3", "Іван")),
}

// bogusEntity: an undefined entity in row 4 (data row 3), with rows after it.
func bogusEntity(w io.Writer) error {
	rows := append(append([]string{}, goodSheetRows...),
		row(4, inline("A4", "Ткач &bogus;"), inline("B4", "Петро")),
		row(5, inline("A5", "Мельник"), inline("B5", "Ігор")))
	return workbookWith(w, sheetRows(rows...), fixed(emptySST))
}

// unclosedMidSheet: a cell left open in row 4.
func unclosedMidSheet(w io.Writer) error {
	rows := append(append([]string{}, goodSheetRows...),
		`<row r="4"><c r="A4" t="inlineStr"><is><t>Ткач</t></is></row>`,
		row(5, inline("A5", "Мельник"), inline("B5", "Ігор")))
	return workbookWith(w, sheetRows(rows...), fixed(emptySST))
}

// deepXLSX: ten thousand nested elements inside a cell.
func deepXLSX(w io.Writer) error {
	deep := strings.Repeat("<x>", 10000) + strings.Repeat("</x>", 10000)
	return workbookWith(w, sheetRows(goodSheetRows[0], row(3, `<c r="A3" t="inlineStr"><is>`+deep+`</is></c>`)), fixed(emptySST))
}

// columnsXLSX: a cell in the last column Excel has, and one past a million.
func columnsXLSX(w io.Writer) error {
	return workbookWith(w, sheetRows(goodSheetRows[0], row(3, inline("A3", "Бондар"), inline("BDWGN3", "x"))), fixed(emptySST))
}

// controlXLSX: U+0001 in a surname, stored as Excel stores it.
func controlXLSX(w io.Writer) error {
	return workbookWith(w, sheetRows(goodSheetRows[0], row(3, inline("A3", "Бон_x0001_дар"), inline("B3", "Іван"))), fixed(emptySST))
}

// columnsCSV: a row of a million cells.
func columnsCSV(w io.Writer) error {
	if _, err := io.WriteString(w, header+"Коваль,Олена,"); err != nil {
		return err
	}
	if err := repeat(w, ",x", 1_000_000); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// line50: one cell of 50 MiB.
func line50(w io.Writer) error {
	if _, err := io.WriteString(w, header+"Коваль,Олена,"); err != nil {
		return err
	}
	if err := repeat(w, "Ж", 25<<20); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// unclosedQuote: a quote that is never closed, followed by many rows: the
// rest of the file would become one cell.
func unclosedQuote(w io.Writer) error {
	if _, err := io.WriteString(w, header+"\"Коваль,Олена,\n"); err != nil {
		return err
	}
	return repeat(w, "Бондар,Іван,примітка\n", 2000)
}

// mixedEncoding: Windows-1251 letters first, UTF-8 text after the window
// from which the encoding is guessed.
func mixedEncoding(w io.Writer) error {
	var b bytes.Buffer
	b.WriteString("Surname,Notes\nA,")
	b.Write([]byte{0xCA, 0xEE, 0xE2, 0xE0, 0xEB, 0xFC})
	b.WriteString("\n")
	for i := range 400 {
		fmt.Fprintf(&b, "B%d,ascii only text\n", i)
	}
	for i := range 100 {
		fmt.Fprintf(&b, "Коваль%d,Олена\n", i)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// longJSON: a name of 8 MiB.
func longJSON(w io.Writer) error {
	if _, err := io.WriteString(w, `[{"surname": "`); err != nil {
		return err
	}
	if err := repeat(w, "Ж", 4<<20); err != nil {
		return err
	}
	_, err := io.WriteString(w, `"}]`)
	return err
}

// keysJSON: an entry with a million keys.
func keysJSON(w io.Writer) error {
	if _, err := io.WriteString(w, `[{"surname": "Коваль", "extra": {`); err != nil {
		return err
	}
	var b strings.Builder
	for i := range 1_000_000 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":1`, i)
		if b.Len() > 64<<10 {
			if _, err := io.WriteString(w, b.String()); err != nil {
				return err
			}
			b.Reset()
		}
	}
	b.WriteString("}}]")
	_, err := io.WriteString(w, b.String())
	return err
}
