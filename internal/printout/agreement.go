package printout

import (
	"fmt"
	"io"
	"strings"
	"time"

	"parley/internal/category"
	"parley/internal/listfile"
	"parley/internal/negotiation"
)

// Agreement is what a printed agreement shows: one stage of an exchange,
// its rule and the persons each side releases, for the delegations and
// the mediator to sign.
type Agreement struct {
	ID          string
	RoundID     string
	Parties     [2]string // party ids, the proposer first
	PartyNames  [2]string // "" for the id
	Terms       negotiation.Terms
	Sides       [2]negotiation.SideRelease
	Date        string // the stage's date as the locale writes it; "" when not set
	ContentHash string
	WitnessedBy string
	Lang        string
	Catalogue   *category.Catalogue
	Created     time.Time
}

var agreementCols = []string{"col.no", "col.name", "col.birth_date", "col.rank", "col.source", "col.categories", "col.basis"}
var agreementW = []float64{12, 58, 20, 24, 26, 26, 20}

// WriteAgreement writes the agreement as a PDF and returns its page count.
func WriteAgreement(w io.Writer, a Agreement) (int, error) {
	lang := Lang(a.Lang)
	cat := a.Catalogue
	if cat == nil {
		cat = category.MustDefault()
	}
	title := T(lang, "doc.agreement") + " " + a.ID
	pdf, err := newTitledDoc(lang, a.Created, title, a.ID+"  "+a.ContentHash)
	if err != nil {
		return 0, err
	}
	qrSize := 30.0
	kv, err := headingWithQR(pdf, title, fmt.Sprintf("parley-agreement\nagreement %s\n%s\n", a.ID, a.ContentHash), qrSize)
	if err != nil {
		return 0, err
	}
	kv(T(lang, "agreement.parties"), partyName(a.PartyNames[0], a.Parties[0])+" — "+partyName(a.PartyNames[1], a.Parties[1]))
	kv(T(lang, "agreement.round"), a.RoundID)
	kv(T(lang, "agreement.rule"), T(lang, "rule."+strings.ReplaceAll(string(a.Terms.Rule), "-", "_")))
	if len(a.Terms.Categories) > 0 {
		kv(T(lang, "col.categories"), categoryLabels(cat, lang, a.Terms.Categories))
	}
	if a.Terms.Capacity > 0 {
		kv(T(lang, "agreement.capacity"), fmt.Sprint(a.Terms.Capacity))
	}
	if a.Date != "" {
		kv(T(lang, "agreement.date"), a.Date)
	}
	if a.WitnessedBy != "" {
		kv(T(lang, "agreement.witnessed_by"), a.WitnessedBy)
	}
	if pdf.GetY() < margin+qrSize+2 {
		pdf.SetY(margin + qrSize + 2)
	}
	pdf.SetFont("dejavu", "B", 8.5)
	pdf.MultiCell(0, 4.5, T(lang, "hash")+": "+a.ContentHash, "", "L", false)
	bottom := pageH - footerH - 2
	names := map[string]string{}
	for i, p := range a.Parties {
		names[p] = partyName(a.PartyNames[i], p)
	}
	for _, side := range a.Sides {
		pdf.Ln(3)
		if pdf.GetY()+20 > bottom {
			pdf.AddPage()
		}
		pdf.SetFont("dejavu", "B", 10)
		pdf.MultiCell(0, 6, T(lang, "agreement.side", names[side.Party], len(side.Releases)), "", "L", false)
		rows := make([][]string, len(side.Releases))
		for i, r := range side.Releases {
			name := r.Person.FullName()
			if name == "" {
				name = r.Person.FullNameLatin()
			}
			rows[i] = []string{
				fmt.Sprint(i + 1), name, listfile.FormatDate(lang, r.Person.BirthDate), r.Person.Rank,
				T(lang, "agreement.source", r.ListID, r.Row),
				categoryLabels(cat, lang, r.Person.Categories),
				basis(lang, r.LegalBasis),
			}
		}
		drawTable(pdf, lang, agreementCols, agreementW, rows, bottom)
	}
	signatures(pdf, lang, bottom, T(lang, "sign.for_party", names[a.Parties[0]]), T(lang, "sign.for_party", names[a.Parties[1]]), T(lang, "sign.mediator"))
	return output(pdf, w, "agreement "+a.ID)
}

func basis(lang string, b negotiation.LegalBasis) string {
	s := T(lang, "basis."+b.Code)
	if b.Code == negotiation.BasisSpecialAgreement && b.Agreement != "" {
		s += " «" + b.Agreement + "»"
	}
	return s
}
