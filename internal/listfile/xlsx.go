package listfile

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"parley/internal/msg"
	"path"
	"strconv"
	"strings"
)

// readXLSX reads the first sheet of a workbook row by row.
//
// The workbook is read here with archive/zip and encoding/xml rather than
// through excelize (which Write still uses), because a reader of uploads
// must account for every row and bound its work, and excelize's row
// iterator does neither: it ends the sheet silently at the first XML error
// (rows.go discards the decoder's error), holds the shared strings and any
// part under its UnzipXMLSizeLimit in memory whole, decodes a cell of any
// size, and keeps large parts in temporary files outside Parley's data
// directory. Here the zip directory is inspected before anything is
// unpacked (declared sizes and compression ratios), each part is unpacked
// through a counting reader that enforces what it really decompresses to,
// no run of text between two XML tags may exceed the longest value
// allowed, element nesting is bounded, any document type declaration
// (entities, external references) is refused, and an XML error is a
// refusal naming the row it was found in.
//
// Cells are read raw rather than as displayed: a date typed into Excel is
// stored as a day count (a "serial") with a date format, and the displayed
// text would follow the format — often with a two-digit year. Date columns
// therefore convert serials themselves (see excelDate), and text dates are
// parsed as in CSV.
func readXLSX(ctx context.Context, r io.Reader, b *builder) error {
	lim := b.opts.Limits
	ra, size, cleanup, err := spool(ctx, r, lim.TempDir, lim.FileBytes)
	defer cleanup()
	if err != nil {
		if _, ok := AsRefusal(err); ok {
			return err
		}
		return fmt.Errorf("read XLSX: %w", err)
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return refusalOf(CodeDamaged, msg.New("listfile.not_xlsx", "detail", msg.Raw(err.Error())), err)
	}
	x := &xlsxReader{ctx: ctx, b: b, lim: lim, files: map[string]*zip.File{}}
	for _, f := range zr.File {
		if err := x.inspect(f); err != nil {
			return err
		}
		x.files[f.Name] = f
		x.files[strings.ToLower(f.Name)] = f
	}
	wb := x.officeDocument()
	sheet, sst, err := x.workbook(wb)
	if err != nil {
		return err
	}
	if err := x.budget(wb, sheet, sst); err != nil {
		return err
	}
	if sst != "" {
		if err := x.sharedStrings(sst); err != nil {
			return err
		}
	}
	b.excelDates = true
	b.date1904 = x.date1904
	t := &table{b: b}
	if err := x.sheet(sheet, t); err != nil {
		return err
	}
	t.end()
	return nil
}

type xlsxReader struct {
	ctx      context.Context
	b        *builder
	lim      Limits
	files    map[string]*zip.File
	unzipped int64 // bytes decompressed so far
	date1904 bool
	// The shared strings, one arena and their offsets: a table of a
	// million short strings would cost far more as Go strings.
	sst    []byte
	sstEnd []uint32
}

// inspect checks one entry of the zip directory before anything is
// unpacked: a part that would grow past the whole budget or that compresses
// like a bomb is refused at once.
func (x *xlsxReader) inspect(f *zip.File) error {
	u, c := f.UncompressedSize64, f.CompressedSize64
	if u > uint64(x.lim.UnzippedBytes) {
		return tooLarge(CodeUnzippedSize, msg.New("listfile.xlsx_part_unpacks", "part", msg.Raw(f.Name), "size", msg.Raw(sizeText(int64(min(u, 1<<62)))), "max", msg.Raw(sizeText(x.lim.UnzippedBytes))))
	}
	if u > 1<<20 && u/max(c, 1) > uint64(x.lim.ZipRatio) {
		return tooLarge(CodeZipRatio, msg.New("listfile.xlsx_zip_ratio", "part", msg.Raw(f.Name), "ratio", int64(u/max(c, 1)), "max", int64(x.lim.ZipRatio)))
	}
	return nil
}

// budget checks that the parts to be read fit in Limits.UnzippedBytes
// together, as the zip directory declares them.
func (x *xlsxReader) budget(parts ...string) error {
	var total uint64
	for _, p := range parts {
		if f := x.file(p); f != nil {
			total += f.UncompressedSize64
		}
	}
	if total > uint64(x.lim.UnzippedBytes) {
		return tooLarge(CodeUnzippedSize, msg.New("listfile.xlsx_unpacks", "size", msg.Raw(sizeText(int64(min(total, 1<<62)))), "max", msg.Raw(sizeText(x.lim.UnzippedBytes))))
	}
	return nil
}

func (x *xlsxReader) file(name string) *zip.File {
	if f, ok := x.files[name]; ok {
		return f
	}
	return x.files[strings.ToLower(name)]
}

// open unpacks one part through partReader.
func (x *xlsxReader) open(name string) (*xml.Decoder, func(), error) {
	f := x.file(name)
	if f == nil {
		return nil, nil, refuse(CodeDamaged, 0, msg.New("listfile.xlsx_no_part", "part", msg.Raw(name)))
	}
	rc, err := f.Open()
	if err != nil {
		return nil, nil, refusalOf(CodeDamaged, msg.New("listfile.xlsx_part_unreadable", "part", msg.Raw(name), "detail", msg.Raw(err.Error())), err)
	}
	pr := &partReader{x: x, r: rc, name: name, maxRun: x.lim.maxCellBytes()}
	d := xml.NewDecoder(pr)
	d.Strict = true
	return d, func() { rc.Close() }, nil
}

// partReader unpacks a part, counting what it really decompresses to
// against Limits.UnzippedBytes (the directory's sizes may lie), refusing a
// run of more than maxRun bytes without a '<' (a cell, or a tag, too long
// to hold), and stopping when the context is done.
type partReader struct {
	x      *xlsxReader
	r      io.Reader
	name   string
	run    int
	maxRun int
	reads  int
}

func (p *partReader) Read(b []byte) (int, error) {
	if p.reads++; p.reads%64 == 0 {
		if err := p.x.ctx.Err(); err != nil {
			return 0, cancelled(err)
		}
	}
	n, err := p.r.Read(b)
	p.x.unzipped += int64(n)
	if p.x.unzipped > p.x.lim.UnzippedBytes {
		return 0, tooLarge(CodeUnzippedSize, msg.New("listfile.xlsx_unpacks_more", "max", msg.Raw(sizeText(p.x.lim.UnzippedBytes))))
	}
	for chunk := b[:n]; ; {
		j := bytes.IndexByte(chunk, '<')
		if j < 0 {
			p.run += len(chunk)
			break
		}
		if p.run+j > p.maxRun {
			p.run += j
			break
		}
		p.run, chunk = 0, chunk[j+1:]
	}
	if p.run > p.maxRun {
		return 0, refuse(CodeCellTooLong, 0, msg.New("listfile.xlsx_run_too_long", "part", msg.Raw(p.name), "max", p.maxRun))
	}
	return n, err
}

// xmlWalker reads tokens with the checks every part needs.
type xmlWalker struct {
	x     *xlsxReader
	d     *xml.Decoder
	part  string
	depth int
	row   func() int // the row being read, for placing an error; nil outside the sheet
}

// next returns the next token, or io.EOF at the end of the part.
func (w *xmlWalker) next() (xml.Token, error) {
	tok, err := w.d.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			if w.depth != 0 {
				return nil, w.damaged("the part ends inside an element")
			}
			return nil, io.EOF
		}
		if r, ok := AsRefusal(err); ok {
			if r.Row == 0 && w.row != nil {
				r.Row = w.row()
			}
			return nil, r
		}
		return nil, w.damaged(err.Error())
	}
	switch t := tok.(type) {
	case xml.StartElement:
		if w.depth++; w.depth > w.x.lim.Depth {
			return nil, w.refuse(CodeTooDeep, msg.New("listfile.xlsx_too_deep", "part", msg.Raw(w.part), "max", w.x.lim.Depth))
		}
	case xml.EndElement:
		w.depth--
	case xml.Directive:
		return nil, w.refuse(CodeXMLDTD, msg.New("listfile.xlsx_dtd", "part", msg.Raw(w.part), "decl", msg.Raw(truncate(string(t), 40))))
	}
	return tok, nil
}

func (w *xmlWalker) refuse(code string, m msg.Msg) *Refusal {
	row := 0
	if w.row != nil {
		row = w.row()
	}
	return refuse(code, row, m)
}

func (w *xmlWalker) damaged(detail string) *Refusal {
	if w.row != nil {
		return w.refuse(CodeXMLError, msg.New("listfile.xml_damaged_row", "detail", msg.Raw(detail)))
	}
	return w.refuse(CodeXMLError, msg.New("listfile.xml_damaged_part", "part", msg.Raw(w.part), "detail", msg.Raw(detail)))
}

// walk calls fn for every token of a part.
func (x *xlsxReader) walk(part string, row func() int, fn func(w *xmlWalker, tok xml.Token) error) error {
	d, done, err := x.open(part)
	if err != nil {
		return err
	}
	defer done()
	w := &xmlWalker{x: x, d: d, part: part, row: row}
	for {
		tok, err := w.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(w, tok); err != nil {
			return err
		}
	}
}

// officeDocument finds the workbook part through the package's
// relationships.
func (x *xlsxReader) officeDocument() string {
	target := ""
	if x.file("_rels/.rels") != nil {
		rels, _ := x.rels("_rels/.rels", "")
		for _, r := range rels {
			if strings.HasSuffix(r.typ, "/officeDocument") {
				target = r.target
				break
			}
		}
	}
	if target == "" || x.file(target) == nil {
		return "xl/workbook.xml"
	}
	return target
}

type relationship struct{ id, typ, target string }

// rels reads a relationships part; targets are resolved against dir.
func (x *xlsxReader) rels(part, dir string) ([]relationship, error) {
	var out []relationship
	err := x.walk(part, nil, func(w *xmlWalker, tok xml.Token) error {
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "Relationship" {
			return nil
		}
		var r relationship
		external := false
		for _, a := range se.Attr {
			switch a.Name.Local {
			case "Id":
				r.id = a.Value
			case "Type":
				r.typ = a.Value
			case "Target":
				r.target = a.Value
			case "TargetMode":
				external = strings.EqualFold(a.Value, "External")
			}
		}
		if external {
			return nil // never followed
		}
		if strings.HasPrefix(r.target, "/") {
			r.target = strings.TrimPrefix(r.target, "/")
		} else {
			r.target = path.Join(dir, r.target)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// workbook reads the workbook part: the first sheet, the date system and,
// through the workbook's relationships, where the sheet and the shared
// strings are.
func (x *xlsxReader) workbook(wb string) (sheet, sst string, err error) {
	type sheetRef struct{ name, rid string }
	var sheets []sheetRef
	err = x.walk(wb, nil, func(w *xmlWalker, tok xml.Token) error {
		se, ok := tok.(xml.StartElement)
		if !ok {
			return nil
		}
		switch se.Name.Local {
		case "workbookPr":
			for _, a := range se.Attr {
				if a.Name.Local == "date1904" {
					x.date1904 = a.Value == "1" || strings.EqualFold(a.Value, "true")
				}
			}
		case "sheet":
			var s sheetRef
			for _, a := range se.Attr {
				switch {
				case a.Name.Local == "name":
					s.name = a.Value
				case a.Name.Local == "id" && a.Name.Space != "":
					s.rid = a.Value
				}
			}
			sheets = append(sheets, s)
		}
		return nil
	})
	if err != nil {
		return "", "", err
	}
	if len(sheets) == 0 {
		return "", "", refuse(CodeDamaged, 0, msg.New("listfile.xlsx_no_sheets"))
	}
	if len(sheets) > 1 {
		x.b.warn("listfile.warn.sheets", "count", len(sheets), "sheet", quote(sheets[0].name))
	}
	dir, base := path.Split(wb)
	relsPart := path.Join(dir, "_rels", base+".rels")
	if x.file(relsPart) != nil {
		rels, err := x.rels(relsPart, path.Clean(dir))
		if err != nil {
			return "", "", err
		}
		for _, r := range rels {
			switch {
			case r.id == sheets[0].rid:
				sheet = r.target
			case strings.HasSuffix(r.typ, "/sharedStrings"):
				sst = r.target
			}
		}
	}
	if sheet == "" {
		sheet = path.Join(dir, "worksheets/sheet1.xml")
	}
	if sst == "" && x.file(path.Join(dir, "sharedStrings.xml")) != nil {
		sst = path.Join(dir, "sharedStrings.xml")
	}
	if x.file(sheet) == nil {
		return "", "", refuse(CodeDamaged, 0, msg.New("listfile.xlsx_no_sheet_part", "sheet", quote(sheets[0].name), "part", msg.Raw(sheet)))
	}
	return sheet, sst, nil
}

// sharedStrings reads the table of strings that cells of type "s" point
// into. Phonetic runs (rPh) are not part of the text.
func (x *xlsxReader) sharedStrings(part string) error {
	var cur []byte
	in, inT, phonetic := false, false, 0
	maxCell := x.lim.maxCellBytes()
	return x.walk(part, nil, func(w *xmlWalker, tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				in, cur = true, cur[:0]
			case "rPh":
				phonetic++
			case "t":
				inT = in && phonetic == 0
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				x.sst = append(x.sst, unescapeOOXML(cur)...)
				x.sstEnd = append(x.sstEnd, uint32(len(x.sst)))
				in = false
			case "rPh":
				phonetic--
			case "t":
				inT = false
			}
		case xml.CharData:
			if inT {
				if len(cur)+len(t) > maxCell {
					return w.refuse(CodeCellTooLong, msg.New("listfile.shared_string_too_long", "max", maxCell))
				}
				cur = append(cur, t...)
			}
		}
		return nil
	})
}

func (x *xlsxReader) sharedString(v string) (string, bool) {
	i, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || i < 0 || i >= len(x.sstEnd) {
		return "", false
	}
	start := uint32(0)
	if i > 0 {
		start = x.sstEnd[i-1]
	}
	return string(x.sst[start:x.sstEnd[i]]), true
}

// sheet streams the rows of a sheet to the table. Rows missing from the
// XML (a spreadsheet leaves empty rows out) are passed as empty rows, so
// that row numbers stay the spreadsheet's own.
func (x *xlsxReader) sheet(part string, t *table) error {
	var (
		inData, inRow, inCell, inV, inIS bool
		inT                              bool
		phonetic                         int
		rowNum, prevRow, col, prevCol    int
		cellType                         string
		val                              []byte
		cells                            []string
		stopped                          bool
	)
	maxCell := x.lim.maxCellBytes()
	current := func() int {
		if rowNum == 0 {
			return 0
		}
		return max(rowNum-t.headerRow, 1)
	}
	return x.walk(part, current, func(w *xmlWalker, tok xml.Token) error {
		switch e := tok.(type) {
		case xml.StartElement:
			switch e.Name.Local {
			case "sheetData":
				inData = true
			case "row":
				if !inData || inRow {
					return nil
				}
				n := prevRow + 1
				if r := attr(e, "r"); r != "" {
					v, err := strconv.Atoi(r)
					if err != nil || v <= prevRow {
						rowNum = n
						return w.refuse(CodeXMLError, msg.New("listfile.row_number_bad", "value", quote(truncate(r, 20)), "row", msg.Plain(prevRow)))
					}
					n = v
				}
				if err := t.checkRows(n); err != nil {
					return err
				}
				if stopped {
					return nil
				}
				for k := prevRow + 1; k < n; k++ {
					if !t.row(k, nil) {
						stopped = true
						return nil
					}
				}
				rowNum, prevRow, prevCol, inRow = n, n, 0, true
				cells = cells[:0]
				if err := x.ctx.Err(); err != nil {
					return cancelled(err)
				}
			case "c":
				if !inRow {
					return nil
				}
				c := prevCol + 1
				if ref := attr(e, "r"); ref != "" {
					v, ok := cellColumn(ref)
					if !ok || v <= prevCol {
						return w.refuse(CodeXMLError, msg.New("listfile.cell_ref_bad", "ref", quote(truncate(ref, 20))))
					}
					c = v
				}
				if c > x.lim.Columns {
					return w.refuse(CodeTooManyColumns, msg.New("listfile.too_many_cells", "column", c, "max", x.lim.Columns))
				}
				col, prevCol, inCell, cellType, val = c, c, true, attr(e, "t"), val[:0]
			case "v":
				inV = inCell
			case "is":
				inIS = inCell
			case "t":
				inT = inIS
			case "rPh":
				phonetic++
			}
		case xml.EndElement:
			switch e.Name.Local {
			case "sheetData":
				inData = false
			case "row":
				if !inRow {
					return nil
				}
				inRow = false
				if !stopped && !t.row(rowNum, cells) {
					stopped = true
				}
			case "c":
				if !inCell {
					return nil
				}
				inCell = false
				v := string(val)
				switch cellType {
				case "s":
					s, ok := x.sharedString(v)
					if !ok && v != "" {
						return w.refuse(CodeDamaged, msg.New("listfile.shared_string_missing", "cell", msg.Raw(fmt.Sprintf("%s%d", columnLetters(col), rowNum)), "value", quote(truncate(v, 20))))
					}
					v = s
				case "inlineStr":
					v = string(unescapeOOXML(val))
				}
				for len(cells) < col-1 {
					cells = append(cells, "")
				}
				cells = append(cells, v)
			case "v":
				inV = false
			case "is":
				inIS = false
			case "t":
				inT = false
			case "rPh":
				phonetic--
			}
		case xml.CharData:
			if inV || (inT && phonetic == 0 && cellType == "inlineStr") {
				if len(val)+len(e) > maxCell {
					return w.refuse(CodeCellTooLong, msg.New("listfile.cell_too_long", "cell", msg.Raw(fmt.Sprintf("%s%d", columnLetters(col), rowNum)), "max", maxCell))
				}
				val = append(val, e...)
			}
		}
		return nil
	})
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value
		}
	}
	return ""
}

// cellColumn reads the column of a cell reference such as "AB12".
func cellColumn(ref string) (int, bool) {
	n, i := 0, 0
	for ; i < len(ref); i++ {
		c := ref[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c < 'A' || c > 'Z' {
			break
		}
		n = n*26 + int(c-'A'+1)
		if n > 1<<24 {
			return 0, false
		}
	}
	if i == 0 {
		return 0, false
	}
	return n, true
}

// unescapeOOXML undoes the _xHHHH_ escapes with which spreadsheets store
// characters XML cannot carry (control characters) — so that the reader
// sees, and reports, what the cell really holds.
func unescapeOOXML(b []byte) []byte {
	if !bytes.Contains(b, []byte("_x")) {
		return b
	}
	var out []byte
	for i := 0; i < len(b); {
		if i+7 <= len(b) && b[i] == '_' && b[i+1] == 'x' && b[i+6] == '_' {
			if v, err := strconv.ParseUint(string(b[i+2:i+6]), 16, 16); err == nil {
				out = append(out, string(rune(v))...)
				i += 7
				continue
			}
		}
		out = append(out, b[i])
		i++
	}
	return out
}
