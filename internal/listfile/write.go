package listfile

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"

	"github.com/xuri/excelize/v2"

	"parley/internal/person"
)

// Write writes persons in the format. The columns are the JSON names of
// person.Fields(), in that order, then one "extra:<name>" column per extra
// attribute any person carries; Read recognises all of them, so that a list
// written and read back yields the same persons. meta is written by the JSON
// format only.
//
// CSV is UTF-8 without a byte-order mark, comma-separated. A cell that a
// spreadsheet would run as a formula (starting with =, +, -, @) is written
// with a leading apostrophe, since lists come from the other party and are
// opened in spreadsheets; Read removes it again.
//
// XLSX holds complete dates as real Excel dates, partial dates as text.
func Write(w io.Writer, f Format, meta Meta, persons []person.Person) error {
	return WriteTemp(w, f, meta, persons, "")
}

// WriteTemp is Write with the directory in which a large workbook is
// assembled (excelize keeps rows past 16 MiB in temporary files): a list
// holds personal data, so it should be the data directory's own temporary
// folder rather than a shared /tmp. "" means os.TempDir().
func WriteTemp(w io.Writer, f Format, meta Meta, persons []person.Person, tempDir string) error {
	switch f {
	case CSV:
		return writeCSV(w, persons)
	case XLSX:
		return writeXLSX(w, persons, tempDir)
	case JSON:
		return writeJSON(w, meta, persons)
	}
	return fmt.Errorf("listfile: cannot write format %q", f)
}

// extraNames returns the names of every extra attribute, sorted.
func extraNames(persons []person.Person) []string {
	set := map[string]bool{}
	for i := range persons {
		for k := range persons[i].Extra {
			set[k] = true
		}
	}
	names := make([]string, 0, len(set))
	for k := range set {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

func headerRow(extras []string) []string {
	var h []string
	for _, f := range person.Fields() {
		h = append(h, f.Name)
	}
	for _, e := range extras {
		h = append(h, extraPrefix+e)
	}
	return h
}

func writeCSV(w io.Writer, persons []person.Person) error {
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	extras := extraNames(persons)
	if err := cw.Write(headerRow(extras)); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	fields := person.Fields()
	rec := make([]string, len(fields)+len(extras))
	for i := range persons {
		p := &persons[i]
		for j, f := range fields {
			rec[j] = escapeCell(f.Get(p))
		}
		for j, e := range extras {
			rec[len(fields)+j] = escapeCell(p.Extra[e])
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write CSV: row %d: %w", i+1, err)
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

func writeXLSX(w io.Writer, persons []person.Person, tempDir string) (err error) {
	x := excelize.NewFile(excelize.Options{TmpDir: tempDir})
	defer func() {
		if cerr := x.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write XLSX: %w", cerr)
		}
	}()
	const sheet = "List"
	if err := x.SetSheetName(x.GetSheetName(0), sheet); err != nil {
		return fmt.Errorf("write XLSX: %w", err)
	}
	sw, err := x.NewStreamWriter(sheet)
	if err != nil {
		return fmt.Errorf("write XLSX: %w", err)
	}
	dateFmt := "yyyy-mm-dd"
	dateStyle, err := x.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return fmt.Errorf("write XLSX: date style: %w", err)
	}
	headStyle, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("write XLSX: header style: %w", err)
	}
	extras := extraNames(persons)
	header := headerRow(extras)
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("write XLSX: %w", err)
	}
	if err := sw.SetColWidth(1, len(header), 18); err != nil {
		return fmt.Errorf("write XLSX: %w", err)
	}
	row := make([]any, len(header))
	for i, h := range header {
		row[i] = excelize.Cell{StyleID: headStyle, Value: h}
	}
	if err := sw.SetRow("A1", row); err != nil {
		return fmt.Errorf("write XLSX: header: %w", err)
	}
	fields := person.Fields()
	for i := range persons {
		p := &persons[i]
		for j, f := range fields {
			row[j] = nil
			if f.Kind == person.FieldDate {
				if d, _ := person.ParseISODate(f.Get(p)); d.Complete() {
					t, _ := d.Time()
					row[j] = excelize.Cell{StyleID: dateStyle, Value: t}
					continue
				}
			}
			if v := f.Get(p); v != "" {
				row[j] = v
			}
		}
		for j, e := range extras {
			row[len(fields)+j] = nil
			if v := p.Extra[e]; v != "" {
				row[len(fields)+j] = v
			}
		}
		cellRef, err := excelize.CoordinatesToCellName(1, i+2)
		if err != nil {
			return fmt.Errorf("write XLSX: row %d: %w", i+1, err)
		}
		if err := sw.SetRow(cellRef, row); err != nil {
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

// writeJSON writes {"title":…,"from":…,"to":…,"version":…,"entries":[…]}
// with one entry per line, encoding entry by entry.
func writeJSON(w io.Writer, meta Meta, persons []person.Person) error {
	bw := bufio.NewWriter(w)
	head, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	// {"title":…,"version":N} → {"title":…,"version":N,"entries":[
	bw.Write(head[:len(head)-1])
	bw.WriteString(",\"entries\":[")
	for i := range persons {
		b, err := json.Marshal(&persons[i])
		if err != nil {
			return fmt.Errorf("write JSON: entry %d: %w", i+1, err)
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n")
		bw.Write(b)
	}
	if len(persons) > 0 {
		bw.WriteString("\n")
	}
	bw.WriteString("]}\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}
