// Package printout renders lists as PDF documents for the negotiating
// table: lists change hands on paper, signed by both delegations, so the
// printed list must carry what the signatures vouch for — every person with
// the running number every report cites ("list row N"), the content hash the
// signed log recorded, and a QR code with the log's signed checkpoint, so
// that whoever holds the paper can check it against the log later.
//
// The words on the page come from the catalogues in i18n/ (en, uk, ru; each
// must define every key, a test checks). Cyrillic is set in DejaVu Sans,
// embedded as a subset of the glyphs used (see fonts/LICENSE).
package printout

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/go-pdf/fpdf"
	"rsc.io/qr"

	"parley/internal/category"
	"parley/internal/ledger"
	"parley/internal/listfile"
	"parley/internal/lists"
)

//go:embed fonts/DejaVuSans.ttf fonts/DejaVuSans-Bold.ttf
var fontFS embed.FS

//go:embed i18n/*.json
var i18nFS embed.FS

// Languages are the languages a printout can be written in, the first the
// default.
var Languages = []string{"en", "uk", "ru"}

var (
	catOnce sync.Once
	cats    map[string]map[string]string
	catErr  error
)

func catalogues() (map[string]map[string]string, error) {
	catOnce.Do(func() {
		cats = map[string]map[string]string{}
		for _, l := range Languages {
			b, err := i18nFS.ReadFile("i18n/" + l + ".json")
			if err != nil {
				catErr = err
				return
			}
			m := map[string]string{}
			if err := json.Unmarshal(b, &m); err != nil {
				catErr = fmt.Errorf("printout: i18n/%s.json: %w", l, err)
				return
			}
			cats[l] = m
		}
	})
	return cats, catErr
}

// Lang returns the supported language a locale or language tag names
// ("uk_UA.UTF-8", "ru-RU", "en"), or the default when it names none.
func Lang(tag string) string {
	t := strings.ToLower(strings.TrimSpace(tag))
	for _, l := range Languages {
		if t == l || strings.HasPrefix(t, l+"_") || strings.HasPrefix(t, l+"-") || strings.HasPrefix(t, l+".") {
			return l
		}
	}
	return Languages[0]
}

// T returns the text of key in lang, formatted with args; a missing key
// yields the key itself, which the catalogue test prevents.
func T(lang, key string, args ...any) string {
	c, err := catalogues()
	if err != nil {
		return key
	}
	s, ok := c[lang][key]
	if !ok {
		s, ok = c[Languages[0]][key]
	}
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// List is what a printed list shows.
type List struct {
	List     *lists.List // with its entries
	FromName string      // the handing party's name ("" for its id)
	ToName   string
	// Receipt is the log's receipt of the hand-over, nil when none is
	// logged (a draft); its checkpoint goes into the QR code.
	Receipt   *ledger.Receipt
	Lang      string              // en, uk or ru
	Catalogue *category.Catalogue // category labels; nil means the default
	Created   time.Time           // stamped into the PDF; zero means now
}

// Page geometry, in millimetres (A4 portrait).
const (
	pageW, pageH = 210.0, 297.0
	margin       = 12.0
	footerH      = 12.0
	lineH        = 3.8
	fontSize     = 8.0
)

// columns of the table: running number, full name, date of birth, rank,
// unit, categories, remarks.
var colKeys = []string{"col.no", "col.name", "col.birth_date", "col.rank", "col.unit", "col.categories", "col.remarks"}
var colW = []float64{12, 58, 20, 24, 26, 28, 18}

// WriteList writes the list as a PDF and returns its page count.
func WriteList(w io.Writer, d List) (int, error) {
	if d.List == nil {
		return 0, fmt.Errorf("printout: no list")
	}
	lang := Lang(d.Lang)
	cat := d.Catalogue
	if cat == nil {
		cat = category.MustDefault()
	}
	l := d.List
	hash := l.ContentHash
	if hash == "" {
		h, err := lists.ContentHash(l)
		if err != nil {
			return 0, err
		}
		hash = h
	}
	title := T(lang, "doc.list") + ": " + l.Title
	pdf, err := newTitledDoc(lang, d.Created, title, l.ID+"  v"+fmt.Sprint(l.Version)+"  "+hash)
	if err != nil {
		return 0, err
	}

	// Heading, with the QR code at the top right.
	qrSize := 38.0
	kv, err := headingWithQR(pdf, title, qrPayload(l.ID, hash, d.Receipt), qrSize)
	if err != nil {
		return 0, err
	}
	kv(T(lang, "party.from"), partyName(d.FromName, l.From))
	kv(T(lang, "party.to"), partyName(d.ToName, l.To))
	kv(T(lang, "list.id"), l.ID)
	kv(T(lang, "list.version"), fmt.Sprint(l.Version))
	kv(T(lang, "list.state"), T(lang, "state."+string(l.State)))
	handed := T(lang, "list.not_handed_over")
	if !l.HandedOverAt.IsZero() {
		handed = DateTime(lang, l.HandedOverAt)
	}
	kv(T(lang, "list.handed_over_at"), handed)
	kv(T(lang, "list.count"), fmt.Sprint(len(l.Entries)))
	if pdf.GetY() < margin+qrSize+2 {
		pdf.SetY(margin + qrSize + 2)
	}
	pdf.Ln(1)
	pdf.SetFont("dejavu", "B", 8.5)
	hashLabel := T(lang, "hash")
	if l.ContentHash == "" {
		hashLabel = T(lang, "hash.draft")
	}
	pdf.MultiCell(0, 4.5, hashLabel+": "+hash, "", "L", false)
	pdf.SetFont("dejavu", "", 8)
	if d.Receipt != nil {
		pdf.MultiCell(0, 4, T(lang, "receipt", d.Receipt.Index), "", "L", false)
	} else {
		pdf.MultiCell(0, 4, T(lang, "receipt.none"), "", "L", false)
	}
	pdf.MultiCell(0, 4, T(lang, "qr"), "", "L", false)
	pdf.Ln(2)

	bottom := pageH - footerH - 2
	rows := make([][]string, len(l.Entries))
	for i, e := range l.Entries {
		name := e.FullName()
		if name == "" {
			name = e.FullNameLatin()
		}
		rows[i] = []string{
			fmt.Sprint(e.Row),
			name,
			listfile.FormatDate(lang, e.BirthDate),
			e.Rank,
			e.Unit,
			categoryLabels(cat, lang, e.Categories),
			remarks(e.Notes),
		}
	}
	drawTable(pdf, lang, colKeys, colW, rows, bottom)

	signatures(pdf, lang, bottom, T(lang, "sign.handing"), T(lang, "sign.receiving"), T(lang, "sign.mediator"))
	return output(pdf, w, "list "+l.ID)
}

// newTitledDoc starts a document with its title, footer (left) and the
// page number (right) at the foot of every page, on its first page.
func newTitledDoc(lang string, created time.Time, title, footer string) (*fpdf.Fpdf, error) {
	pdf, err := newDoc(lang, created)
	if err != nil {
		return nil, err
	}
	pdf.SetTitle(title, true)
	pdf.SetFooterFunc(func() {
		pdf.SetY(-footerH + 2)
		pdf.SetFont("dejavu", "", 6.5)
		pdf.CellFormat(pageW-2*margin-40, 4, footer, "", 0, "L", false, 0, "")
		pdf.CellFormat(40, 4, T(lang, "page", pdf.PageNo(), "{nb}"), "", 0, "R", false, 0, "")
	})
	pdf.AddPage()
	return pdf, nil
}

// headingWithQR writes the title with a QR code of qrText, qrSize wide,
// at the top right of the page, and returns the writer of the key–value
// lines under the title, which keep clear of the code.
func headingWithQR(pdf *fpdf.Fpdf, title, qrText string, qrSize float64) (kv func(k, v string), err error) {
	if err := placeQR(pdf, qrText, pageW-margin-qrSize, margin, qrSize); err != nil {
		return nil, err
	}
	textW := pageW - 2*margin - qrSize - 4
	pdf.SetFont("dejavu", "B", 13)
	pdf.MultiCell(textW, 6, title, "", "L", false)
	pdf.Ln(1)
	return func(k, v string) {
		pdf.SetFont("dejavu", "B", 9)
		pdf.CellFormat(38, 5, k+":", "", 0, "L", false, 0, "")
		pdf.SetFont("dejavu", "", 9)
		pdf.MultiCell(textW-38, 5, v, "", "L", false)
	}, nil
}

// output writes the finished document to w and returns its page count;
// what names the document in errors.
func output(pdf *fpdf.Fpdf, w io.Writer, what string) (int, error) {
	if err := pdf.Error(); err != nil {
		return 0, fmt.Errorf("render PDF of %s: %w", what, err)
	}
	pages := pdf.PageCount()
	if err := pdf.Output(w); err != nil {
		return 0, fmt.Errorf("write PDF of %s: %w", what, err)
	}
	return pages, nil
}

// drawTable draws rows under a header of the catalogue's keys, the header
// repeated on every page. Column 0 (the running number) is right-aligned;
// column 1 (the name) stays on one line, in smaller type when it must.
func drawTable(pdf *fpdf.Fpdf, lang string, keys []string, widths []float64, rows [][]string, bottom float64) {
	labels := make([]string, len(keys))
	for i, k := range keys {
		labels[i] = T(lang, k)
	}
	drawCells(pdf, labels, widths, rows, bottom, true)
}

// drawCells draws a table with its header labels; numbered: the first
// column is a number, right-aligned, and the second a name, kept on one
// line.
func drawCells(pdf *fpdf.Fpdf, labels []string, widths []float64, rows [][]string, bottom float64, numbered bool) {
	header := func() {
		// The header in a size at which no word of it breaks.
		size := fontSize - 1
		pdf.SetFont("dejavu", "B", size)
		for i, k := range labels {
			for _, word := range strings.Fields(k) {
				for size > 5 && pdf.GetStringWidth(word)+2*pdf.GetCellMargin()+0.5 > widths[i] {
					size -= 0.5
					pdf.SetFontSize(size)
				}
			}
		}
		pdf.SetFillColor(225, 225, 225)
		hl := 0
		for i, k := range labels {
			if n := len(pdf.SplitText(k, widths[i])); n > hl {
				hl = n
			}
		}
		h := float64(hl)*lineH + 1
		x, y := pdf.GetX(), pdf.GetY()
		for i, k := range labels {
			pdf.Rect(x, y, widths[i], h, "FD")
			pdf.SetXY(x, y+0.5)
			pdf.MultiCell(widths[i], lineH, k, "", "C", false)
			x += widths[i]
		}
		pdf.SetXY(margin, y+h)
		pdf.SetFont("dejavu", "", fontSize)
	}
	header()
	cells := make([][]string, len(labels))
	for _, vals := range rows {
		n := 1
		// The number and the name stay on one line, in smaller type when
		// they must: a clerk reads them across.
		nameSize := fontSize
		if numbered {
			nameSize = fitSize(pdf, vals[1], widths[1])
		}
		for i, v := range vals {
			if i == 1 {
				pdf.SetFontSize(nameSize)
			}
			cells[i] = pdf.SplitText(v, widths[i])
			pdf.SetFontSize(fontSize)
			if len(cells[i]) > n {
				n = len(cells[i])
			}
		}
		h := float64(n)*lineH + 1
		if pdf.GetY()+h > bottom {
			pdf.AddPage()
			header()
		}
		x, y := margin, pdf.GetY()
		for i := range vals {
			pdf.Rect(x, y, widths[i], h, "D")
			align := "L"
			if i == 0 && numbered {
				align = "R"
			}
			dy := 0.0
			if i == 1 {
				pdf.SetFontSize(nameSize)
				// Keep the name on the number's baseline when it is set
				// smaller (fpdf puts the baseline 0.3 font sizes below
				// the cell's middle).
				dy = 0.3 * (fontSize - nameSize) * 25.4 / 72
			}
			for j, line := range cells[i] {
				pdf.SetXY(x, y+0.5+dy+float64(j)*lineH)
				pdf.CellFormat(widths[i], lineH, line, "", 0, align, false, 0, "")
			}
			pdf.SetFontSize(fontSize)
			x += widths[i]
		}
		pdf.SetXY(margin, y+h)
	}
}

// newDoc starts an A4 document with the embedded fonts.
func newDoc(lang string, created time.Time) (*fpdf.Fpdf, error) {
	if _, err := catalogues(); err != nil {
		return nil, err
	}
	regular, err := fontFS.ReadFile("fonts/DejaVuSans.ttf")
	if err != nil {
		return nil, err
	}
	bold, err := fontFS.ReadFile("fonts/DejaVuSans-Bold.ttf")
	if err != nil {
		return nil, err
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes("dejavu", "", regular)
	pdf.AddUTF8FontFromBytes("dejavu", "B", bold)
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(false, footerH)
	pdf.AliasNbPages("{nb}")
	pdf.SetCreator("Parley", true)
	pdf.SetLang(lang)
	if created.IsZero() {
		created = time.Now()
	}
	pdf.SetCreationDate(created.UTC())
	pdf.SetModificationDate(created.UTC())
	return pdf, pdf.Error()
}

// signatures writes the signature block — one part per role (handing
// officer, receiving officer, mediator), each with name, signature, date
// and place — on a new page when the current one has no room for all of
// it.
func signatures(pdf *fpdf.Fpdf, lang string, bottom float64, roles ...string) {
	const blockH = 22.0
	need := 10 + float64(len(roles))*blockH
	if pdf.GetY()+need > bottom {
		pdf.AddPage()
	}
	pdf.Ln(5)
	pdf.SetFont("dejavu", "B", 10)
	pdf.CellFormat(0, 6, T(lang, "sign.title"), "", 1, "L", false, 0, "")
	w := pageW - 2*margin
	for _, role := range roles {
		pdf.Ln(2)
		pdf.SetFont("dejavu", "B", 9)
		pdf.CellFormat(0, 5, role, "", 1, "L", false, 0, "")
		pdf.SetFont("dejavu", "", 8.5)
		field := func(key string, fw float64, ln int) {
			label := T(lang, key) + ":"
			lw := pdf.GetStringWidth(label) + 2
			pdf.CellFormat(lw, 7, label, "", 0, "L", false, 0, "")
			pdf.CellFormat(fw-lw-4, 7, "", "B", 0, "L", false, 0, "")
			pdf.CellFormat(4, 7, "", "", ln, "L", false, 0, "")
		}
		field("sign.name", w*0.55, 0)
		field("sign.signature", w*0.45, 1)
		field("sign.date", w*0.55, 0)
		field("sign.place", w*0.45, 1)
	}
}

// fitSize is the font size, from fontSize down to 6 points, at which s
// fits on one line of a cell w wide; 6 when it fits at none.
func fitSize(pdf *fpdf.Fpdf, s string, w float64) float64 {
	size := fontSize
	for ; size > 6; size -= 0.5 {
		pdf.SetFontSize(size)
		if len(pdf.SplitText(s, w)) <= 1 {
			break
		}
	}
	pdf.SetFontSize(fontSize)
	return size
}

func partyName(name, id string) string {
	if name == "" || name == id {
		return id
	}
	return name + " (" + id + ")"
}

func categoryLabels(cat *category.Catalogue, lang string, codes []string) string {
	out := make([]string, 0, len(codes))
	for _, c := range codes {
		if k, ok := cat.Get(c); ok {
			out = append(out, k.Label(lang))
		} else {
			out = append(out, c)
		}
	}
	return strings.Join(out, "; ")
}

// remarks folds a note's line breaks into spaces: a table cell wraps by
// itself.
func remarks(s string) string { return strings.Join(strings.Fields(s), " ") }

// DateTime writes a moment as the locale does, in UTC, which both
// delegations read the same.
func DateTime(lang string, t time.Time) string {
	t = t.UTC()
	if lang == "en" {
		return t.Format("2006-01-02 15:04 UTC")
	}
	return t.Format("02.01.2006 15:04 UTC")
}

// qrPayload is the text of the QR code: the list, its content hash and,
// once handed over, the log entry and the signed checkpoint that the
// receipt proves it in.
func qrPayload(listID, hash string, r *ledger.Receipt) string {
	var b strings.Builder
	if r == nil {
		fmt.Fprintf(&b, "parley-list\nlist %s\n%s\n", listID, hash)
		return b.String()
	}
	fmt.Fprintf(&b, "%s\nlist %s\n%s\nentry %d\n%s", ledger.ReceiptFormat, listID, hash, r.Index, r.Checkpoint)
	return b.String()
}

// placeQR draws text as a QR code of side size at (x, y).
func placeQR(pdf *fpdf.Fpdf, text string, x, y, size float64) error {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		if code, err = qr.Encode(text, qr.L); err != nil {
			return fmt.Errorf("QR code: %w", err)
		}
	}
	opts := fpdf.ImageOptions{ImageType: "PNG"}
	pdf.RegisterImageOptionsReader("qr", opts, bytes.NewReader(code.PNG()))
	pdf.ImageOptions("qr", x, y, size, size, false, opts, 0, "")
	return pdf.Error()
}
