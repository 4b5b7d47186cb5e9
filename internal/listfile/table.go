package listfile

import (
	"parley/internal/msg"
	"strconv"
	"strings"
)

// headerScan is how many non-empty rows are searched for the header; real
// lists sometimes carry a title, a date or a signature line above it.
const headerScan = 10

// table turns the rows of a spreadsheet (CSV or XLSX) into persons: it finds
// the header, binds the columns and passes each data row to the builder.
type table struct {
	b         *builder
	cols      []*binding // nil until the header is found
	headerRow int        // spreadsheet row of the header, from 1
	nonEmpty  int        // non-empty rows before the header
	first     []string   // the first non-empty row, for the header-less message
	stopped   bool
	dataRows  int // non-empty data rows
	cells     []cell
	// unescape undoes the guard Write puts before CSV cells that a
	// spreadsheet would run as formulas.
	unescape bool
	// invalid lists the cells of the current row that held bytes of
	// another encoding (a UTF-8 file with pasted Windows-1251 text); the
	// reader has replaced those bytes with U+FFFD.
	invalid []int
}

// checkRows refuses spreadsheet row n once it lies more than Limits.Rows
// below the header (or below the top, before the header is found).
func (t *table) checkRows(n int) error {
	if lim := t.b.opts.Limits.Rows; n-t.headerRow > lim {
		r := refuse(CodeTooManyRows, 0, msg.New("listfile.too_many_rows", "max", lim))
		r.TooLarge = true
		return r
	}
	return nil
}

// row takes spreadsheet row n (from 1) with its raw cells. It returns false
// once reading should stop (no header found).
func (t *table) row(n int, raw []string) bool {
	if t.stopped {
		return false
	}
	if t.cols == nil {
		return t.findHeader(n, raw)
	}
	line := n - t.headerRow
	t.b.reached(line)
	last := -1
	for i := range raw {
		raw[i] = t.clean(raw[i])
		if raw[i] != "" {
			last = i
		}
	}
	if last < 0 {
		return true
	}
	t.dataRows++
	var shape []Problem
	if last >= len(t.cols) {
		for i := len(t.cols); i < len(raw); i++ {
			if raw[i] != "" {
				shape = append(shape, Problem{
					Row: line, Column: columnLetters(i + 1), Value: shownValue(raw[i]),
					Msg: msg.New("listfile.row_cells_mismatch", "cells", last+1, "columns", len(t.cols)),
				})
				break
			}
		}
	}
	for _, i := range t.invalid {
		if i < len(raw) && raw[i] != "" {
			col := columnLetters(i + 1)
			if i < len(t.cols) {
				col = t.cols[i].header
			}
			shape = append(shape, Problem{Row: line, Column: col, Value: shownValue(raw[i]), Code: CodeInvalidUTF8,
				Msg: msg.New("listfile.cell_not_utf8")})
		}
	}
	t.cells = t.cells[:0]
	for i, bd := range t.cols {
		v := ""
		if i < len(raw) {
			v = raw[i]
		}
		t.cells = append(t.cells, cell{b: bd, val: v})
	}
	t.b.add(line, t.cells, shape...)
	return true
}

func (t *table) clean(s string) string {
	s = strings.TrimSpace(s)
	if t.unescape {
		s = strings.TrimSpace(unescapeCell(s))
	}
	return s
}

func (t *table) findHeader(n int, raw []string) bool {
	last := -1
	for i := range raw {
		raw[i] = t.clean(raw[i])
		if raw[i] != "" {
			last = i
		}
	}
	if last < 0 {
		return true
	}
	raw = raw[:last+1]
	t.nonEmpty++
	if t.first == nil {
		t.first = append([]string(nil), raw...)
	}
	if !t.looksLikeHeader(raw) {
		if t.nonEmpty >= headerScan {
			t.headerless()
			t.stopped = true
			return false
		}
		return true
	}
	switch t.nonEmpty {
	case 1:
	case 2:
		t.b.warn("listfile.warn.one_row_above_header")
	default:
		t.b.warn("listfile.warn.rows_above_header", "count", t.nonEmpty-1)
	}
	t.headerRow = n
	claimed := map[string]string{}
	for i, h := range raw {
		t.cols = append(t.cols, t.b.bind(h, i+1, claimed))
	}
	t.b.checkColumns()
	return true
}

func (t *table) looksLikeHeader(raw []string) bool {
	for _, h := range raw {
		if h == "" {
			continue
		}
		if _, ok := t.b.m.lookup(h); ok {
			return true
		}
		if recognise(h) != "" || strings.HasPrefix(strings.ToLower(h), extraPrefix) {
			return true
		}
	}
	return false
}

func (t *table) headerless() {
	var q []string
	for i, c := range t.first {
		if i == 5 {
			q = append(q, "…")
			break
		}
		q = append(q, strconv.Quote(c))
	}
	t.b.fileProblem("listfile.no_header_row", "cells", msg.Raw(strings.Join(q, ", ")))
}

// end reports what the whole file lacked.
func (t *table) end() {
	switch {
	case t.stopped:
	case t.cols == nil && t.nonEmpty == 0:
		t.b.fileProblem("listfile.file_empty")
	case t.cols == nil:
		t.headerless()
	case t.dataRows == 0:
		t.b.fileProblem("listfile.header_no_data")
	}
}

// formulaLead are the first characters that make a spreadsheet treat a CSV
// cell as a formula; Write puts an apostrophe before such cells (and before
// cells that already start with an apostrophe followed by one of them, so
// that the guard can be undone exactly).
const formulaLead = "=+-@\t\r'"

func escapeCell(s string) string {
	if s == "" {
		return s
	}
	if strings.IndexByte(formulaLead[:len(formulaLead)-1], s[0]) >= 0 ||
		(s[0] == '\'' && len(s) > 1 && strings.IndexByte(formulaLead, s[1]) >= 0) {
		return "'" + s
	}
	return s
}

func unescapeCell(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.IndexByte(formulaLead, s[1]) >= 0 {
		return s[1:]
	}
	return s
}
