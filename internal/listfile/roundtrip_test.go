package listfile

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"parley/internal/person"
)

// everyField returns persons that between them use every field, every
// kind, partial and complete dates, several categories, Cyrillic and Latin
// script, all three apostrophes, extra attributes and values a spreadsheet
// would take for formulas.
func everyField() []person.Person {
	ps := []person.Person{
		{
			Kind: person.KindPOW, Surname: "Шевченко", GivenNames: "Тарас", Patronymic: "Григорович",
			SurnameLatin: "Shevchenko", GivenNamesLatin: "Taras", PatronymicLatin: "Hryhorovych",
			MotherMaidenName: "Бойко", BirthDate: person.Date{Year: 1994, Month: 3, Day: 9}, BirthPlace: "с. Моринці, Черкаська обл.",
			Sex: "M", Rank: "старший солдат", ServiceNumber: "0012345", Unit: "в/ч А1234", Power: "Україна",
			PersonToInform: "Шевченко Катерина", CorrespondenceAddress: "м. Київ, вул. Хрещатик, 1, кв. 2",
			CaptureDate: person.Date{Year: 2024, Month: 5, Day: 1}, CapturePlace: "Авдіївка",
			Notes:      "рядок 1\nрядок 2, \"лапки\"; крапка з комою",
			Categories: []string{"youth", "wounded", "seriously_ill"},
			Extra:      map[string]string{"Позивний": "Кобзар", "група крові": "A(II)+", "extra:x": "y"},
		},
		{
			Kind: person.KindCivilian, Surname: "Д’Артаньян-Коваль", GivenNames: "Олена Марія", Patronymic: "Ігорівна",
			BirthDate: person.Date{Year: 1990, Month: 3}, Sex: "F", CaptureDate: person.Date{Year: 2023},
			Notes: "=HYPERLINK(\"http://example.org\",\"x\")", Categories: []string{"seriously_ill"},
			Extra: map[string]string{"Позивний": "@сова"},
		},
		{
			Kind: person.KindRemains, Surname: "Об'єднаний", GivenNames: "Ігорʼ", ServiceNumber: "+380-1",
			BirthDate: person.Date{Year: 1985}, DeathDate: person.Date{Year: 2023, Month: 11, Day: 30},
			DeathPlace: "Бахмут", DeathCause: "осколкове поранення", BurialPlace: "Дніпро, кладовище №3",
			GraveID: "-17/4", DNASampleRef: "'=DNA-1", Notes: "'t Hooft",
		},
		{Kind: person.KindRemains, GraveID: "G-2", DeathDate: person.Date{Year: 2022, Month: 2}},
		{Kind: person.KindPOW, SurnameLatin: "Kowalski", GivenNamesLatin: "Jan", Rank: "-", Unit: "'"},
	}
	for i := range ps {
		ps[i].Normalize()
	}
	return ps
}

func registryPersons() []person.Person {
	var ps []person.Person
	for i, st := range person.Statuses() {
		p := person.Person{Kind: person.KindPOW, Surname: "Мельник", GivenNames: []string{"Андрій", "Ігор", "Олег", "Петро", "Іван"}[i],
			BirthDate: person.Date{Year: 1990 + i, Month: i + 1}, Status: st}
		p.Normalize()
		ps = append(ps, p)
	}
	return ps
}

func TestRoundTrip(t *testing.T) {
	for _, f := range []Format{CSV, XLSX, JSON} {
		for _, reg := range []bool{false, true} {
			persons := everyField()
			if reg {
				persons = registryPersons()
			}
			name := string(f)
			if reg {
				name += "/registry"
			}
			t.Run(name, func(t *testing.T) {
				var buf bytes.Buffer
				meta := Meta{Title: "Список №1", From: "UA", To: "RU", Version: 3}
				if err := Write(&buf, f, meta, persons); err != nil {
					t.Fatal(err)
				}
				res, err := Read(bytes.NewReader(buf.Bytes()), Options{Format: f, Registry: reg})
				if err != nil {
					t.Fatal(err)
				}
				checkStrings(t, "problems", problemStrings(res.Problems), nil)
				checkStrings(t, "warnings", res.Warnings, nil)
				if len(res.Rows) != len(persons) {
					t.Fatalf("read %d rows, wrote %d", len(res.Rows), len(persons))
				}
				for i, r := range res.Rows {
					if r.Line != i+1 {
						t.Errorf("row %d: line %d", i, r.Line)
					}
					if !reflect.DeepEqual(r.Person, persons[i]) {
						t.Errorf("person %d changed:\n wrote %+v\n read  %+v", i, persons[i], r.Person)
					}
				}
				if f == JSON && res.Meta != meta {
					t.Errorf("meta = %+v, want %+v", res.Meta, meta)
				}
			})
		}
	}
}

// TestWriteCSVGuardsFormulas checks that cells a spreadsheet would run are
// written inert.
func TestWriteCSVGuardsFormulas(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, CSV, Meta{}, everyField()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{`"'=HYPERLINK(`, `'@сова`, `'+380-1`, `'-17/4`, `''=DNA-1`, `,'t Hooft`} {
		if !strings.Contains(out, want) {
			t.Errorf("CSV lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, ",=HYPERLINK") || strings.Contains(out, `"=HYPERLINK`) {
		t.Error("a formula was written unguarded")
	}
	header := strings.SplitN(out, "\n", 2)[0]
	wantHeader := "kind,surname,given_names,patronymic,surname_latin,given_names_latin,patronymic_latin,mother_maiden_name,birth_date,birth_place,sex,rank,service_number,unit,power,person_to_inform,correspondence_address,capture_date,capture_place,categories,death_date,death_place,death_cause,burial_place,grave_id,dna_sample_ref,status,notes,record_id,latin_system,extra:extra:x,extra:Позивний,extra:група крові"
	if header != wantHeader {
		t.Errorf("header:\n got  %s\n want %s", header, wantHeader)
	}
}

// TestWriteXLSXDates checks that complete dates are real Excel dates and
// partial ones text, as a spreadsheet user expects.
func TestWriteXLSXDates(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, XLSX, Meta{}, everyField()); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetList()[0]
	col := 0
	for i, fd := range person.Fields() {
		if fd.Name == "birth_date" {
			col = i + 1
		}
	}
	for _, tt := range []struct {
		row             int
		number          bool
		shown, rawValue string
	}{
		{2, true, "1994-03-09", "34402"}, // complete: a day count shown as a date
		{3, false, "1990-03", "1990-03"},
		{4, false, "1985", "1985"},
	} {
		ref, _ := excelize.CoordinatesToCellName(col, tt.row)
		typ, err := f.GetCellType(sheet, ref)
		if err != nil {
			t.Fatal(err)
		}
		shown, _ := f.GetCellValue(sheet, ref)
		raw, _ := f.GetCellValue(sheet, ref, excelize.Options{RawCellValue: true})
		isText := typ == excelize.CellTypeInlineString || typ == excelize.CellTypeSharedString
		if isText == tt.number || shown != tt.shown || raw != tt.rawValue {
			t.Errorf("%s: type %v, shown %q, raw %q; want number %v, shown %q, raw %q", ref, typ, shown, raw, tt.number, tt.shown, tt.rawValue)
		}
	}
}

func TestWriteJSONShape(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, JSON, Meta{Title: "T", From: "A", To: "B", Version: 1}, everyField()[:1]); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), `{"title":"T","from":"A","to":"B","version":1,"entries":[`) {
		t.Errorf("JSON starts %.80s", buf.String())
	}
	var empty bytes.Buffer
	if err := Write(&empty, JSON, Meta{}, nil); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(empty.String()); got != `{"title":"","from":"","to":"","version":0,"entries":[]}` {
		t.Errorf("empty list = %s", got)
	}
	if err := Write(&empty, "pdf", Meta{}, nil); err == nil {
		t.Error("Write to an unknown format: no error")
	}
}
