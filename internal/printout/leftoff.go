package printout

import (
	"fmt"
	"io"
	"time"

	"parley/internal/category"
	"parley/internal/listfile"
	"parley/internal/lists"
)

// LeftOff is what the printed left-off report shows: the persons of a
// party's registry believed or confirmed captured whom a received list
// leaves off — the persons its negotiator will ask about across the table.
type LeftOff struct {
	RunID     string
	List      *lists.List // the received list, header only; nil when unknown
	Party     string      // the registry's party, id
	PartyName string
	Entries   []lists.Entry // registry rows
	Lang      string
	Catalogue *category.Catalogue
	Created   time.Time
}

var leftOffCols = []string{"col.registry_row", "col.name", "col.birth_date", "col.rank", "col.unit", "col.status", "col.categories"}
var leftOffW = []float64{12, 58, 20, 24, 26, 24, 22}

// WriteLeftOff writes the left-off report as a PDF and returns its page
// count.
func WriteLeftOff(w io.Writer, d LeftOff) (int, error) {
	lang := Lang(d.Lang)
	cat := d.Catalogue
	if cat == nil {
		cat = category.MustDefault()
	}
	title := T(lang, "doc.left_off")
	pdf, err := newTitledDoc(lang, d.Created, title, d.RunID)
	if err != nil {
		return 0, err
	}
	pdf.SetFont("dejavu", "B", 13)
	pdf.MultiCell(0, 6, title, "", "L", false)
	pdf.Ln(1)
	kv := func(k, v string) {
		pdf.SetFont("dejavu", "B", 9)
		pdf.CellFormat(45, 5, k+":", "", 0, "L", false, 0, "")
		pdf.SetFont("dejavu", "", 9)
		pdf.MultiCell(0, 5, v, "", "L", false)
	}
	kv(T(lang, "left_off.registry"), partyName(d.PartyName, d.Party))
	if d.List != nil {
		kv(T(lang, "list.id"), d.List.Title+" ("+d.List.ID+", "+T(lang, "list.version")+" "+fmt.Sprint(d.List.Version)+")")
		if d.List.ContentHash != "" {
			kv(T(lang, "hash"), d.List.ContentHash)
		}
	}
	kv(T(lang, "left_off.run"), d.RunID)
	kv(T(lang, "list.count"), fmt.Sprint(len(d.Entries)))
	pdf.Ln(2)
	rows := make([][]string, len(d.Entries))
	for i, e := range d.Entries {
		name := e.FullName()
		if name == "" {
			name = e.FullNameLatin()
		}
		rows[i] = []string{fmt.Sprint(e.Row), name, listfile.FormatDate(lang, e.BirthDate), e.Rank, e.Unit,
			T(lang, "status."+string(e.Status)), categoryLabels(cat, lang, e.Categories)}
	}
	bottom := pageH - footerH - 2
	drawTable(pdf, lang, leftOffCols, leftOffW, rows, bottom)
	signatures(pdf, lang, bottom, T(lang, "sign.for_party", partyName(d.PartyName, d.Party)), T(lang, "sign.mediator"))
	return output(pdf, w, "left-off report "+d.RunID)
}
