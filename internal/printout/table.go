package printout

import (
	"fmt"
	"io"
	"time"
)

// Table is a filtered table of the workbench as printed: what its page
// showed, in the reader's language, which the caller has already put into
// words (the front end holds the labels of its own tables).
type Table struct {
	Title string
	// Meta are lines above the table: a label and its value (the
	// filters the table was printed under, the count of rows).
	Meta [][2]string
	// Header labels the columns; Widths are their relative widths,
	// spread over the page.
	Header []string
	Widths []float64
	Rows   [][]string
	// Footer is printed on every page beside the page number.
	Footer  string
	Lang    string
	Created time.Time
}

// WriteTable writes a table as a PDF and returns its page count.
func WriteTable(w io.Writer, d Table) (int, error) {
	if len(d.Widths) != len(d.Header) {
		return 0, fmt.Errorf("print table %q: %d widths for %d columns", d.Title, len(d.Widths), len(d.Header))
	}
	lang := Lang(d.Lang)
	pdf, err := newDoc(lang, d.Created)
	if err != nil {
		return 0, err
	}
	pdf.SetTitle(d.Title, true)
	pdf.SetFooterFunc(func() {
		pdf.SetY(-footerH + 2)
		pdf.SetFont("dejavu", "", 6.5)
		pdf.CellFormat(pageW-2*margin-40, 4, d.Footer, "", 0, "L", false, 0, "")
		pdf.CellFormat(40, 4, T(lang, "page", pdf.PageNo(), "{nb}"), "", 0, "R", false, 0, "")
	})
	pdf.AddPage()
	pdf.SetFont("dejavu", "B", 13)
	pdf.MultiCell(0, 6, d.Title, "", "L", false)
	pdf.Ln(1)
	for _, kv := range d.Meta {
		pdf.SetFont("dejavu", "B", 9)
		pdf.CellFormat(45, 5, kv[0]+":", "", 0, "L", false, 0, "")
		pdf.SetFont("dejavu", "", 9)
		pdf.MultiCell(0, 5, kv[1], "", "L", false)
	}
	pdf.Ln(2)
	sum := 0.0
	for _, x := range d.Widths {
		sum += x
	}
	widths := make([]float64, len(d.Widths))
	for i, x := range d.Widths {
		widths[i] = x / sum * (pageW - 2*margin)
	}
	pdf.SetFont("dejavu", "", fontSize)
	drawCells(pdf, d.Header, widths, d.Rows, pageH-footerH-2, false)
	if err := pdf.Error(); err != nil {
		return 0, fmt.Errorf("render PDF of %q: %w", d.Title, err)
	}
	pages := pdf.PageCount()
	if err := pdf.Output(w); err != nil {
		return 0, fmt.Errorf("write PDF of %q: %w", d.Title, err)
	}
	return pages, nil
}
