package listfile

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// readXLSX reads the first sheet of a workbook row by row. The sheet is
// streamed (excelize extracts a large sheet to a temporary file and decodes
// it as it goes), so a list of 100,000 rows is never held as a whole.
//
// Cells are read raw rather than as displayed: a date typed into Excel is
// stored as a day count (a "serial") with a date format, and the displayed
// text would follow the format — often with a two-digit year. Date columns
// therefore convert serials themselves (see excelDate), and text dates are
// parsed as in CSV.
func readXLSX(r io.Reader, b *builder) error {
	f, err := excelize.OpenReader(r)
	if err != nil {
		return fmt.Errorf("read XLSX: %w", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return fmt.Errorf("read XLSX: the workbook has no sheets")
	}
	if len(sheets) > 1 {
		b.warn("the workbook has %d sheets; only the first, %q, was read", len(sheets), sheets[0])
	}
	props, err := f.GetWorkbookProps()
	if err != nil {
		return fmt.Errorf("read XLSX: workbook properties: %w", err)
	}
	b.excelDates = true
	b.date1904 = props.Date1904 != nil && *props.Date1904

	rows, err := f.Rows(sheets[0])
	if err != nil {
		return fmt.Errorf("read XLSX: sheet %q: %w", sheets[0], err)
	}
	defer rows.Close()
	t := &table{b: b}
	n := 0
	raw := excelize.Options{RawCellValue: true}
	for rows.Next() {
		n++
		cols, err := rows.Columns(raw)
		if err != nil {
			return fmt.Errorf("read XLSX: sheet %q, row %d: %w", sheets[0], n, err)
		}
		if !t.row(n, cols) {
			break
		}
	}
	if err := rows.Error(); err != nil {
		return fmt.Errorf("read XLSX: sheet %q: %w", sheets[0], err)
	}
	t.end()
	return nil
}
