package listfile

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// WriteSheet writes a table that is not a list of persons — the lists
// page, the inquiries of a side — as the person who filtered it sees it:
// header and cells already in the reader's language. CSV carries a UTF-8
// byte-order mark (so that Excel on Windows shows Cyrillic), and a cell
// that a spreadsheet would run as a formula is written with a leading
// apostrophe, since the cells hold what others typed; XLSX holds text
// cells, which no spreadsheet runs.
func WriteSheet(w io.Writer, f Format, header []string, rows [][]string, tempDir string) error {
	switch f {
	case CSV:
		return writeSheetCSV(w, header, rows)
	case XLSX:
		return writeSheetXLSX(w, header, rows, tempDir)
	}
	return fmt.Errorf("listfile: cannot write a table as %q", f)
}

func writeSheetCSV(w io.Writer, header []string, rows [][]string) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("\uFEFF")
	cw := csv.NewWriter(bw)
	rec := make([]string, len(header))
	for i, row := range append([][]string{header}, rows...) {
		for j := range rec {
			rec[j] = ""
			if j < len(row) {
				rec[j] = escapeCell(row[j])
			}
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write CSV: row %d: %w", i, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return nil
}

func writeSheetXLSX(w io.Writer, header []string, rows [][]string, tempDir string) (err error) {
	x := excelize.NewFile(excelize.Options{TmpDir: tempDir})
	defer func() {
		if cerr := x.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write XLSX: %w", cerr)
		}
	}()
	const sheet = "Table"
	if err := x.SetSheetName(x.GetSheetName(0), sheet); err != nil {
		return fmt.Errorf("write XLSX: %w", err)
	}
	sw, err := x.NewStreamWriter(sheet)
	if err != nil {
		return fmt.Errorf("write XLSX: %w", err)
	}
	headStyle, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("write XLSX: header style: %w", err)
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("write XLSX: %w", err)
	}
	if err := sw.SetColWidth(1, max(len(header), 1), 20); err != nil {
		return fmt.Errorf("write XLSX: %w", err)
	}
	row := make([]any, len(header))
	for i, h := range header {
		row[i] = excelize.Cell{StyleID: headStyle, Value: h}
	}
	if err := sw.SetRow("A1", row); err != nil {
		return fmt.Errorf("write XLSX: header: %w", err)
	}
	for i, r := range rows {
		for j := range row {
			row[j] = nil
			if j < len(r) && r[j] != "" {
				row[j] = r[j]
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			return fmt.Errorf("write XLSX: row %d: %w", i+1, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("write XLSX: %w", err)
	}
	if _, err := x.WriteTo(w); err != nil {
		return fmt.Errorf("write XLSX: %w", err)
	}
	return nil
}
