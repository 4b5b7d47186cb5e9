package listfile

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"
)

// rawXLSX builds a workbook from a sheet's XML written by hand, for sheets
// no spreadsheet program would write.
func rawXLSX(t testing.TB, sheetData string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	parts := map[string]string{
		"[Content_Types].xml":        `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>`,
		"_rels/.rels":                `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml":            `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
		"xl/worksheets/sheet1.xml":   `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + sheetData + `</sheetData></worksheet>`,
	}
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/worksheets/sheet1.xml"} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(parts[name]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func inlineRow(n int, cells ...string) string {
	var b strings.Builder
	b.WriteString(`<row r="` + itoa(n) + `">`)
	for _, c := range cells {
		b.WriteString(`<c t="inlineStr"><is><t>` + c + `</t></is></c>`)
	}
	b.WriteString(`</row>`)
	return b.String()
}

func itoa(n int) string { return fmtInt(n) }

func fmtInt(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for ; n > 0; n /= 10 {
		d = append([]byte{byte('0' + n%10)}, d...)
	}
	return string(d)
}

// TestXLSXDamagedMidSheet checks that an XML error halfway down a sheet
// refuses the file and names the row, instead of ending the sheet there.
func TestXLSXDamagedMidSheet(t *testing.T) {
	sheet := inlineRow(1, "Прізвище", "Ім'я") + inlineRow(2, "Коваль", "Олена") + inlineRow(3, "Бондар &bogus;", "Іван") + inlineRow(4, "Ткач", "Петро")
	_, err := Read(bytes.NewReader(rawXLSX(t, sheet)), Options{Format: XLSX})
	r, ok := AsRefusal(err)
	if !ok {
		t.Fatalf("err = %v, want a refusal", err)
	}
	if r.Code != CodeXMLError || r.Row != 2 {
		t.Errorf("refusal = %+v, want code %s at row 2", r.Problem, CodeXMLError)
	}
}

// TestXLSXRowsAccounted checks that rows the XML leaves out still count,
// and that every row present is read.
func TestXLSXRowsAccounted(t *testing.T) {
	sheet := inlineRow(1, "Прізвище", "Ім'я") + inlineRow(2, "Коваль", "Олена") + inlineRow(5, "Ткач", "Петро")
	res := readBytes(t, "x.xlsx", rawXLSX(t, sheet), Options{})
	if len(res.Rows) != 2 || res.Rows[1].Line != 4 {
		t.Fatalf("rows = %+v, problems %v", res.Rows, res.Problems)
	}
}

func TestCharacterRules(t *testing.T) {
	tests := []struct {
		name, data, code string
	}{
		{"NUL in a name", "Прізвище,Ім'я\nКо\x00валь,Олена\n", CodeControlChar},
		{"U+0001 in a name", "Прізвище,Ім'я\nКо\x01валь,Олена\n", CodeControlChar},
		{"tab in a name", "Прізвище;Ім'я\nКо\tваль;Олена\n", CodeControlChar},
		{"bidi override in a name", "Прізвище,Ім'я\nКо\u202eваль,Олена\n", CodeInvisibleChar},
		{"zero-width space in a name", "Прізвище,Ім'я\nКо\u200bваль,Олена\n", CodeInvisibleChar},
		{"control character in notes", "Прізвище,Примітка\nКоваль,a\x07b\n", CodeControlChar},
		{"name too long", "Прізвище,Ім'я\n" + strings.Repeat("я", 201) + ",Олена\n", CodeCellTooLong},
		{"tab in notes", "Прізвище,Примітка\nКоваль,\"a\tb\"\n", ""},
		{"bidi mark in notes", "Прізвище,Примітка\nКоваль,a\u200fb\n", ""},
		{"line break in a place", "Прізвище,Місце народження\nКоваль,\"м. Київ\nвул. Січова\"\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := readBytes(t, "x.csv", []byte(tt.data), Options{})
			if tt.code == "" {
				if len(res.Problems) > 0 || len(res.Rows) != 1 {
					t.Fatalf("problems %v, rows %d", res.Problems, len(res.Rows))
				}
				return
			}
			if len(res.Problems) != 1 || res.Problems[0].Code != tt.code || res.Problems[0].Row != 1 || len(res.Rows) != 0 {
				t.Fatalf("problems %+v, rows %d; want one %s problem in row 1", res.Problems, len(res.Rows), tt.code)
			}
		})
	}
	// The same rule through a workbook, whose control characters are
	// stored as _xHHHH_ escapes, and through JSON.
	res := readBytes(t, "x.xlsx", rawXLSX(t, inlineRow(1, "Прізвище")+inlineRow(2, "Ко_x0001_валь")), Options{})
	if len(res.Problems) != 1 || res.Problems[0].Code != CodeControlChar {
		t.Errorf("xlsx: problems %+v", res.Problems)
	}
	res = readBytes(t, "x.json", []byte(`[{"surname": "Ко\u0000валь"}]`), Options{})
	if len(res.Problems) != 1 || res.Problems[0].Code != CodeControlChar {
		t.Errorf("json: problems %+v", res.Problems)
	}
}

// TestEncodingHonest checks that a file is read as Windows-1251 only when
// the whole file is not UTF-8.
func TestEncodingHonest(t *testing.T) {
	cp := []byte{0xCA, 0xEE, 0xE2, 0xE0, 0xEB, 0xFC} // "Коваль" in Windows-1251
	whole1251 := append(append([]byte("Прізвище\n"), cp...), '\n')
	whole1251 = append([]byte("Surname\n"), whole1251[len("Прізвище\n"):]...)
	res := readBytes(t, "x.csv", whole1251, Options{})
	if res.Encoding != "windows-1251" || len(res.Problems) != 0 || res.Rows[0].Person.Surname != "Коваль" {
		t.Fatalf("1251 file: encoding %s, problems %v", res.Encoding, res.Problems)
	}
	// Stray bytes first, then a file of UTF-8 text: not silently 1251.
	mixed := append([]byte("Surname,Notes\nA,"), cp...)
	mixed = append(mixed, '\n')
	for i := range 300 { // past the window the encoding is chosen from
		mixed = append(mixed, []byte("B"+fmtInt(i)+",ascii only text\n")...)
	}
	for i := range 50 {
		mixed = append(mixed, []byte("Коваль"+fmtInt(i)+",Олена\n")...)
	}
	res = readBytes(t, "x.csv", mixed, Options{})
	found := false
	for _, p := range res.Problems {
		found = found || p.Code == CodeMixedEncoding
	}
	if !found {
		t.Errorf("mixed file: encoding %s, problems %v; want a %s problem", res.Encoding, res.Problems, CodeMixedEncoding)
	}
}

// TestXLSXRichText checks that an inline string in runs is read as its
// text alone: no whitespace between the runs, no phonetic guide.
func TestXLSXRichText(t *testing.T) {
	sheet := inlineRow(1, "Прізвище") + `<row r="2"><c r="A2" t="inlineStr"><is>
  <r><rPr><b/></rPr><t>Ко</t></r>
  <r><t>валь</t></r>
  <rPh sb="0" eb="1"><t>コ</t></rPh>
</is></c></row>`
	res := readBytes(t, "x.xlsx", rawXLSX(t, sheet), Options{})
	if len(res.Rows) != 1 || res.Rows[0].Person.Surname != "Коваль" {
		t.Fatalf("rows %+v, problems %v", res.Rows, res.Problems)
	}
}

// TestJSONInvalidUTF8 checks that stray bytes in a JSON list are a problem
// of their entry rather than silently replaced.
func TestJSONInvalidUTF8(t *testing.T) {
	res := readBytes(t, "x.json", []byte("[{\"surname\": \"Коваль\"}, {\"surname\": \"\xca\xee\xe2\"}]"), Options{})
	if len(res.Problems) != 1 || res.Problems[0].Code != CodeInvalidUTF8 || res.Problems[0].Row != 2 || len(res.Rows) != 1 {
		t.Fatalf("problems %+v, rows %d", res.Problems, len(res.Rows))
	}
}
