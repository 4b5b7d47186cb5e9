package listfile

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"parley/internal/person"
)

// want describes an expected row: every field of person.Fields() by its
// JSON name (absent means empty, except kind, which defaults to pow) and
// the extra attributes.
type want struct {
	line   int
	fields map[string]string
	extra  map[string]string
}

// checkRows compares the rows read with the expected ones field by field.
func checkRows(t *testing.T, got []Row, wants []want) {
	t.Helper()
	if len(got) != len(wants) {
		var lines []int
		for _, r := range got {
			lines = append(lines, r.Line)
		}
		t.Fatalf("read %d rows (lines %v), want %d", len(got), lines, len(wants))
	}
	for i, w := range wants {
		r := got[i]
		if r.Line != w.line {
			t.Errorf("row %d: line %d, want %d", i, r.Line, w.line)
		}
		for _, f := range person.Fields() {
			exp := w.fields[f.Name]
			if f.Name == "kind" && exp == "" {
				exp = "pow"
			}
			if v := f.Get(&r.Person); v != exp {
				t.Errorf("line %d: %s = %q, want %q", r.Line, f.Name, v, exp)
			}
		}
		if len(r.Person.Extra) != 0 || len(w.extra) != 0 {
			if !reflect.DeepEqual(r.Person.Extra, w.extra) {
				t.Errorf("line %d: extra = %v, want %v", r.Line, r.Person.Extra, w.extra)
			}
		}
	}
}

func problemStrings(ps []Problem) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

func checkStrings(t *testing.T, what string, got, wants []string) {
	t.Helper()
	if got == nil {
		got = []string{}
	}
	if wants == nil {
		wants = []string{}
	}
	if !reflect.DeepEqual(got, wants) {
		t.Errorf("%s:\n got  %q\n want %q", what, got, wants)
	}
}

func readFile(t *testing.T, name string, opts Options) *Result {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return readBytes(t, name, b, opts)
}

func readBytes(t *testing.T, name string, b []byte, opts Options) *Result {
	t.Helper()
	if opts.Format == "" {
		f, err := FormatFromName(name)
		if err != nil {
			t.Fatal(err)
		}
		opts.Format = f
	}
	res, err := Read(bytes.NewReader(b), opts)
	if err != nil {
		t.Fatalf("Read(%s): %v", name, err)
	}
	return res
}

const (
	sexReason    = "unknown sex (write M or F, ч or ж, м or ж)"
	kindReason   = "unknown kind (write prisoner of war / військовополонений / военнопленный, civilian / цивільний / гражданский, or remains / тіло / останки)"
	statusReason = "unknown status (write missing, believed captured, confirmed captured, returned or deceased, in English, Ukrainian or Russian)"
)

var ukRows = []want{
	{line: 1, fields: map[string]string{
		"surname": "Шевченко", "given_names": "Тарас", "patronymic": "Григорович", "birth_date": "1994-03-09",
		"birth_place": "с. Моринці", "rank": "солдат", "service_number": "АА-123456", "unit": "в/ч А1234",
		"categories": "wounded", "sex": "M", "capture_date": "2024-05-01", "capture_place": "Авдіївка",
	}, extra: map[string]string{"Позивний": "Кобзар"}},
	{line: 2, fields: map[string]string{
		"kind": "civilian", "surname": "Коваль", "given_names": "Олена", "patronymic": "Іванівна", "birth_date": "1990-03-12",
		"birth_place": "Київ; Україна", "categories": "seriously_ill; youth", "sex": "F", "capture_date": "2023-05",
		"notes": `примітка "в лапках"`,
	}},
	{line: 4, fields: map[string]string{"kind": "remains", "surname": "Бондар", "given_names": "Петро", "birth_date": "1985"}},
}

func TestReadFixtures(t *testing.T) {
	tests := []struct {
		file     string
		opts     Options
		rows     []want
		problems []string
		warnings []string
		columns  []string // "header=field", when checked
		encoding string
	}{
		{
			file: "uk_semicolon.csv", rows: ukRows, encoding: "utf-8",
			warnings: []string{`column "Позивний" is not recognised; kept as an extra attribute`},
			columns: []string{"Прізвище=surname", "Ім’я=given_names", "По батькові=patronymic", "Дата народження=birth_date",
				"Місце народження=birth_place", "Звання=rank", "Особистий номер=service_number", "Військова частина=unit",
				"Категорія=categories", "Стать=sex", "Дата полонення=capture_date", "Місце полонення=capture_place",
				"Примітка=notes", "Вид=kind", "Позивний=extra"},
		},
		{
			file: "ru_bom.csv", encoding: "utf-8-bom",
			rows: []want{
				{line: 1, fields: map[string]string{
					"surname": "Иванов", "given_names": "Иван", "patronymic": "Иванович", "birth_date": "1990-03-12",
					"birth_place": "Москва", "rank": "рядовой", "service_number": "12345", "unit": "в/ч 0001",
					"categories": "seriously_ill; wounded", "sex": "M", "capture_date": "2024", "capture_place": "Курская\nобласть",
				}},
				{line: 2, fields: map[string]string{
					"kind": "civilian", "surname": "Петрова", "given_names": "Анна", "patronymic": "Сергеевна", "birth_date": "1991-02-01",
					"categories": "youth", "sex": "F", "capture_date": "2024-02",
				}},
				{line: 3, fields: map[string]string{"surname": "Сидоров"}},
			},
		},
		{
			file: "en_tab.tsv", encoding: "utf-8",
			rows: []want{
				{line: 1, fields: map[string]string{
					"surname": "Шевчук", "given_names": "Олег", "patronymic": "Петрович", "birth_date": "1999-12-31",
					"rank": "Sergeant", "service_number": "0012345", "unit": "24th Brigade", "categories": "youth", "sex": "M",
					"notes": `callsign "Grey"`, "surname_latin": "Shevchuk", "given_names_latin": "Oleh", "mother_maiden_name": "Kravets",
					"power": "Ukraine", "person_to_inform": "Maria Shevchuk", "correspondence_address": "Kyiv, Khreshchatyk 1",
				}, extra: map[string]string{"Status": "missing"}},
				{line: 2, fields: map[string]string{
					"surname": "Kowalski", "given_names": "Jan", "birth_date": "1980-07", "categories": "seriously_ill; wounded", "sex": "F",
				}},
			},
			warnings: []string{`column "Status" holds a registry status; kept as an extra attribute (import the file as a registry to use it)`},
		},
		{
			file: "fullname.csv", encoding: "utf-8",
			rows: []want{
				{line: 1, fields: map[string]string{"surname": "Шевченко", "given_names": "Тарас", "patronymic": "Григорович", "birth_date": "1994"}},
				{line: 2, fields: map[string]string{"surname": "Шевченко", "given_names": "Тарас", "patronymic": "Григорович", "birth_date": "1995"}},
				{line: 3, fields: map[string]string{"surname": "Іван", "given_names": "Петрович", "patronymic": "Бабич"}},
				{line: 4, fields: map[string]string{"surname": "Коваль", "given_names": "Олена"}},
				{line: 5, fields: map[string]string{"surname": "Мамедов", "given_names": "Ахмед", "patronymic": "Рашид оглы"}},
				{line: 6, fields: map[string]string{"surname": "Петренко"}},
			},
			columns: []string{"П.І.Б.=full_name", "Дата народження=birth_date"},
		},
		{
			file: "remains.csv", encoding: "utf-8",
			rows: []want{
				{line: 1, fields: map[string]string{"kind": "remains", "death_date": "2023-11", "death_place": "Бахмут",
					"death_cause": "осколкове поранення", "burial_place": "Дніпро, кладовище №3", "grave_id": "D-17/4", "dna_sample_ref": "DNA-2023-0091"}},
				{line: 2, fields: map[string]string{"kind": "remains", "surname": "Гончаренко", "given_names": "Андрій", "death_date": "2023-03", "dna_sample_ref": "DNA-2023-0092"}},
				{line: 3, fields: map[string]string{"kind": "remains", "grave_id": "G-2"}},
				{line: 4, fields: map[string]string{"kind": "remains", "grave_id": "G-3"}},
			},
		},
		{
			file: "registry.csv", opts: Options{Registry: true}, encoding: "utf-8",
			rows: []want{
				{line: 1, fields: map[string]string{"surname": "Мельник", "given_names": "Андрій", "birth_date": "1991-04-05", "status": "missing"}},
				{line: 2, fields: map[string]string{"surname": "Кравченко", "given_names": "Ігор", "birth_date": "1988", "status": "believed_captured"}},
				{line: 3, fields: map[string]string{"surname": "Олійник", "given_names": "Сергій", "status": "confirmed_captured"}},
				{line: 4, fields: map[string]string{"surname": "Ткач", "given_names": "Максим", "status": "returned"}},
				{line: 5, fields: map[string]string{"surname": "Лисенко", "given_names": "Віктор", "status": "deceased"}},
			},
			problems: []string{
				`row 6, column Статус: value "незрозуміло": ` + statusReason,
				`row 7, column Статус: missing status`,
			},
		},
		{
			file: "registry.csv", encoding: "utf-8",
			rows: []want{
				{line: 1, fields: map[string]string{"surname": "Мельник", "given_names": "Андрій", "birth_date": "1991-04-05"}, extra: map[string]string{"Статус": "зник безвісти"}},
				{line: 2, fields: map[string]string{"surname": "Кравченко", "given_names": "Ігор", "birth_date": "1988"}, extra: map[string]string{"Статус": "Вероятно в плену"}},
				{line: 3, fields: map[string]string{"surname": "Олійник", "given_names": "Сергій"}, extra: map[string]string{"Статус": "confirmed captured"}},
				{line: 4, fields: map[string]string{"surname": "Ткач", "given_names": "Максим"}, extra: map[string]string{"Статус": "Повернувся"}},
				{line: 5, fields: map[string]string{"surname": "Лисенко", "given_names": "Віктор"}, extra: map[string]string{"Статус": "помер"}},
				{line: 6, fields: map[string]string{"surname": "Руденко", "given_names": "Олег"}, extra: map[string]string{"Статус": "незрозуміло"}},
				{line: 7, fields: map[string]string{"surname": "Марченко", "given_names": "Ігор"}},
			},
			warnings: []string{`column "Статус" holds a registry status; kept as an extra attribute (import the file as a registry to use it)`},
		},
		{
			file: "remains.csv", opts: Options{Registry: true}, encoding: "utf-8",
			problems: []string{
				"file: a registry needs a status column (missing, believed captured, confirmed captured, returned, deceased)",
			},
			rows: []want{
				{line: 1, fields: map[string]string{"kind": "remains", "death_date": "2023-11", "death_place": "Бахмут",
					"death_cause": "осколкове поранення", "burial_place": "Дніпро, кладовище №3", "grave_id": "D-17/4", "dna_sample_ref": "DNA-2023-0091"}},
				{line: 2, fields: map[string]string{"kind": "remains", "surname": "Гончаренко", "given_names": "Андрій", "death_date": "2023-03", "dna_sample_ref": "DNA-2023-0092"}},
				{line: 3, fields: map[string]string{"kind": "remains", "grave_id": "G-2"}},
				{line: 4, fields: map[string]string{"kind": "remains", "grave_id": "G-3"}},
			},
		},
		{
			file: "mapped.csv", encoding: "utf-8",
			opts: Options{Map: map[string]string{"Номер": "service_number", "піб укр": "full_name", "Позивний": "ignore"}},
			rows: []want{
				{line: 1, fields: map[string]string{"service_number": "0012345", "surname": "Шевченко", "given_names": "Тарас", "patronymic": "Григорович", "birth_date": "1994-03-09", "notes": "перша"}},
				{line: 2, fields: map[string]string{"service_number": "0012346", "surname": "Коваль", "given_names": "Олена", "patronymic": "Іванівна", "birth_date": "1990-03-12"}},
			},
			columns: []string{"Номер=service_number", "ПІБ укр=full_name", "Д.н.=birth_date", "Позивний=ignore", "Примітка=notes"},
		},
		{
			file: "mapped.csv", encoding: "utf-8",
			problems: []string{
				`file: no column holds surnames (columns: "Номер", "ПІБ укр", "Д.н.", "Позивний", "Примітка"); name the column with a column map, e.g. "ПІБ" → full_name or "Прізвище" → surname`,
			},
			warnings: []string{
				`column "Номер" is not recognised; kept as an extra attribute`,
				`column "ПІБ укр" is not recognised; kept as an extra attribute`,
				`column "Позивний" is not recognised; kept as an extra attribute`,
			},
		},
		{
			file: "problems.csv", encoding: "utf-8",
			rows: []want{{line: 1, fields: map[string]string{"surname": "Шевченко", "given_names": "Тарас", "birth_date": "1994-03-09", "sex": "M", "categories": "wounded"}}},
			problems: []string{
				`row 2, column Дата народження: value "31.02.1990": 1990-02-31 does not exist`,
				`row 3, column Прізвище: missing surname`,
				`row 4, column Дата народження: value "12.03.90": two-digit year is ambiguous; write the year in full`,
				`row 4, column Стать: value "x": ` + sexReason,
				`row 4, column Категорія: value "хоробрий": unknown category "хоробрий"`,
				`row 5, column Прізвище: value "Шевченко Тарас": duplicate of row 1`,
				`row 6, column Вид: value "невідомо": ` + kindReason,
				`row 6, column Дата полонення: value "13.2024": month 13 does not exist`,
				`row 7, column Місце смерті: value "Бахмут": only records of remains carry particulars of death`,
				`row 8, column I: value "зайве": the row has 9 cells but the header names 8 columns`,
			},
		},
		{
			file: "headerless.csv", encoding: "utf-8",
			problems: []string{`file: no header row: the first row ("Шевченко", "Тарас", "09.03.1994") names no known column; add a header row such as "Прізвище, Ім'я, По батькові, Дата народження", or name the columns with a column map`},
		},
		{file: "empty.csv", encoding: "utf-8", problems: []string{"file: the file is empty"}},
		{file: "header_only.csv", encoding: "utf-8", problems: []string{"file: the file has a header row but no data rows"}},
		{
			file: "list.json",
			rows: []want{
				{line: 1, fields: map[string]string{"surname": "Шевченко", "given_names": "Тарас", "patronymic": "Григорович", "birth_date": "1994-03-09",
					"sex": "M", "service_number": "1234567", "categories": "wounded; youth"},
					extra: map[string]string{"callsign": "Кобзар", "blood_type": "A(II)+"}},
				{line: 2, fields: map[string]string{"kind": "civilian", "surname": "Коваль", "given_names": "Олена", "birth_date": "1990-03-12",
					"capture_date": "2023-05", "sex": "F", "categories": "seriously_ill", "notes": "д’Артаньян"}},
				{line: 6, fields: map[string]string{"kind": "remains", "grave_id": "G-1", "dna_sample_ref": "DNA-1", "death_date": "2023"}},
			},
			problems: []string{
				`row 3: value "\"not an object\"": the entry is not an object`,
				`row 4, column birth_date: value "31.02.1990": 1990-02-31 does not exist`,
				`row 4, column categories: value "хоробрий": unknown category "хоробрий"`,
			},
			warnings: []string{
				`key "signed_by" of the list is not recognised; ignored`,
				`key "callsign" is not recognised; kept as an extra attribute`,
			},
		},
		{
			file: "array.json",
			rows: []want{
				{line: 1, fields: map[string]string{"surname": "Мельник", "given_names": "Андрій", "birth_date": "1991-04-05", "status": "missing"}},
				{line: 2, fields: map[string]string{"surname": "Кравченко", "given_names": "Ігор", "patronymic": "Петрович", "birth_date": "1988"}},
			},
		},
		{
			file: "array.json", opts: Options{Registry: true},
			rows: []want{
				{line: 1, fields: map[string]string{"surname": "Мельник", "given_names": "Андрій", "birth_date": "1991-04-05", "status": "missing"}},
			},
			problems: []string{"row 2, column status: missing status"},
		},
		{
			file: "dates.xlsx",
			rows: []want{
				{line: 1, fields: map[string]string{"surname": "Шевченко", "given_names": "Тарас", "patronymic": "Григорович", "birth_date": "1994-03-09",
					"capture_date": "2024-05-01", "service_number": "1234567", "categories": "wounded", "sex": "M"}},
				{line: 2, fields: map[string]string{"surname": "Коваль", "given_names": "Олена", "patronymic": "Іванівна", "birth_date": "1990-03-12",
					"capture_date": "2023-05", "service_number": "AB-123", "categories": "seriously_ill; youth", "sex": "F"}},
				{line: 4, fields: map[string]string{"surname": "Бондар", "given_names": "Петро", "birth_date": "1985", "capture_date": "2022", "sex": "M"}},
				{line: 5, fields: map[string]string{"surname": "Ткаченко", "given_names": "Іван", "birth_date": "2001-02-03", "capture_date": "2023-12-31"}},
			},
			problems: []string{
				`row 6, column Дата народження: value "31.02.1990": 1990-02-31 does not exist`,
				`row 6, column Категорія: value "хоробрий": unknown category "хоробрий"`,
			},
			warnings: []string{
				`the workbook has 2 sheets; only the first, "Список", was read`,
				"1 row above the header row was skipped",
				`column "№ з/п" is a running number; ignored`,
			},
		},
		{
			file: "dates1904.xlsx",
			rows: []want{{line: 1, fields: map[string]string{"surname": "Shevchenko", "birth_date": "1994-03-09"}}},
		},
	}
	for _, tt := range tests {
		name := tt.file
		if tt.opts.Registry {
			name += "/registry"
		}
		if tt.opts.Map != nil {
			name += "/map"
		}
		t.Run(name, func(t *testing.T) {
			res := readFile(t, tt.file, tt.opts)
			checkStrings(t, "problems", problemStrings(res.Problems), tt.problems)
			checkRows(t, res.Rows, tt.rows)
			if tt.warnings != nil || len(res.Warnings) > 0 {
				checkStrings(t, "warnings", res.Warnings, tt.warnings)
			}
			if tt.columns != nil {
				var cols []string
				for _, c := range res.Columns {
					cols = append(cols, c.Header+"="+c.Field)
				}
				checkStrings(t, "columns", cols, tt.columns)
			}
			if res.Encoding != tt.encoding {
				t.Errorf("encoding = %q, want %q", res.Encoding, tt.encoding)
			}
		})
	}
}

func TestJSONMeta(t *testing.T) {
	res := readFile(t, "list.json", Options{})
	want := Meta{Title: "Список №1 — поранені", From: "UA", To: "RU", Version: 2}
	if res.Meta != want {
		t.Errorf("meta = %+v, want %+v", res.Meta, want)
	}
}

// TestCSVEncodings reads the same list in every encoding CSV files come in;
// the Windows-1251 and UTF-16 forms are made from the UTF-8 fixture.
func TestCSVEncodings(t *testing.T) {
	src, err := os.ReadFile("testdata/uk_semicolon.csv")
	if err != nil {
		t.Fatal(err)
	}
	cp1251, err := charmap.Windows1251.NewEncoder().Bytes(src)
	if err != nil {
		t.Fatal(err)
	}
	utf16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes(src)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		data     []byte
		encoding string
	}{
		{"utf-8", src, "utf-8"},
		{"utf-8 with BOM", append([]byte{0xEF, 0xBB, 0xBF}, src...), "utf-8-bom"},
		{"windows-1251", cp1251, "windows-1251"},
		{"utf-16le", utf16, "utf-16le"},
		{"crlf", bytes.ReplaceAll(src, []byte("\n"), []byte("\r\n")), "utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "windows-1251" && bytes.Equal(tt.data, src) {
				t.Fatal("the Windows-1251 form equals the UTF-8 one; the test would prove nothing")
			}
			res := readBytes(t, "x.csv", tt.data, Options{})
			checkStrings(t, "problems", problemStrings(res.Problems), nil)
			checkRows(t, res.Rows, ukRows)
			if res.Encoding != tt.encoding {
				t.Errorf("encoding = %q, want %q", res.Encoding, tt.encoding)
			}
		})
	}
}

// TestCP1251AfterASCII checks that the encoding is decided at the first
// non-ASCII byte, however far into the file it is.
func TestCP1251AfterASCII(t *testing.T) {
	var b strings.Builder
	b.WriteString("surname,given_names,service_number\n")
	for i := 0; i < 3000; i++ {
		b.WriteString("Smith,John,")
		b.WriteString(strings.Repeat("7", 5))
		b.WriteString(string(rune('0' + i%10)))
		b.WriteString(strings.Repeat("0", i/10%10))
		b.WriteString("x")
		b.WriteString(strings.Repeat("y", i/100))
		b.WriteString("\n")
	}
	b.WriteString("Шевченко,Тарас,1\n")
	enc, err := charmap.Windows1251.NewEncoder().String(b.String())
	if err != nil {
		t.Fatal(err)
	}
	res := readBytes(t, "x.csv", []byte(enc), Options{})
	if res.Encoding != "windows-1251" {
		t.Errorf("encoding = %q, want windows-1251", res.Encoding)
	}
	last := res.Rows[len(res.Rows)-1].Person
	if last.Surname != "Шевченко" || last.GivenNames != "Тарас" {
		t.Errorf("last row = %s %s, want Шевченко Тарас", last.Surname, last.GivenNames)
	}
}

// TestMixedEncodings checks that Windows-1251 bytes pasted into a UTF-8
// file are reported rather than imported garbled.
func TestMixedEncodings(t *testing.T) {
	cp, err := charmap.Windows1251.NewEncoder().String("Бондар")
	if err != nil {
		t.Fatal(err)
	}
	data := "Прізвище,Ім'я\nКоваль,Олена\n" + cp + ",Петро\n"
	res := readBytes(t, "x.csv", []byte(data), Options{})
	if res.Encoding != "utf-8" {
		t.Errorf("encoding = %q", res.Encoding)
	}
	checkStrings(t, "problems", problemStrings(res.Problems), []string{
		`row 2, column Прізвище: value "�": the text holds bytes that are not UTF-8 (does the file mix encodings?); retype it or save the file in one encoding`,
	})
	checkRows(t, res.Rows, []want{{line: 1, fields: map[string]string{"surname": "Коваль", "given_names": "Олена"}}})
}

func TestSeparators(t *testing.T) {
	tests := []struct {
		name, data string
	}{
		{"comma", "Прізвище,Ім'я,Примітка\nКоваль,Олена,\"а; б\"\n"},
		{"semicolon", "Прізвище;Ім'я;Примітка\nКоваль;Олена;\"а; б\"\n"},
		{"semicolon with commas in the header", "Прізвище (укр, рос);Ім'я;Примітка\nКоваль;Олена;а, б\n"},
		{"tab", "Прізвище\tІм'я\tПримітка\nКоваль\tОлена\tа; б\n"},
		{"excel sep line", "sep=;\nПрізвище;Ім'я;Примітка\nКоваль;Олена;а, б\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := readBytes(t, "x.csv", []byte(tt.data), Options{})
			if len(res.Rows) != 1 {
				t.Fatalf("rows = %d, problems %v", len(res.Rows), res.Problems)
			}
			p := res.Rows[0].Person
			if p.Surname != "Коваль" || p.GivenNames != "Олена" || !strings.HasPrefix(p.Notes, "а") {
				t.Errorf("person = %q %q %q", p.Surname, p.GivenNames, p.Notes)
			}
		})
	}
}

// TestRowNumbers checks that "row N" is the spreadsheet row minus the
// header row: empty lines count, a cell spanning lines is one row.
func TestRowNumbers(t *testing.T) {
	data := "\n\nПрізвище,Дата народження,Примітка\n\nКоваль,1990\nБондар,1990,\"два\nрядки\"\n,,\nТкач,31.02.1990\n"
	res := readBytes(t, "x.csv", []byte(data), Options{})
	checkStrings(t, "problems", problemStrings(res.Problems), []string{`row 5, column Дата народження: value "31.02.1990": 1990-02-31 does not exist`})
	var lines []int
	for _, r := range res.Rows {
		lines = append(lines, r.Line)
	}
	if !reflect.DeepEqual(lines, []int{2, 3}) {
		t.Errorf("lines = %v, want [2 3]", lines)
	}
}

func TestYouthRef(t *testing.T) {
	data := "Прізвище,Дата народження,Категорія\nМолодий,2003-06-08,\nСтарший,1990-01-01,поранений\nМежа,1999-06-08,\nЗанадто,1999-06-07,\nЧастковий,2003,\n"
	ref := person.Date{Year: 2025, Month: 6, Day: 7}
	res := readBytes(t, "x.csv", []byte(data), Options{YouthRef: ref})
	got := map[string]string{}
	for _, r := range res.Rows {
		got[r.Person.Surname] = strings.Join(r.Person.Categories, ";")
	}
	want := map[string]string{"Молодий": "youth", "Старший": "wounded", "Межа": "youth", "Занадто": "", "Частковий": ""}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("categories = %v, want %v", got, want)
	}
	res = readBytes(t, "x.csv", []byte(data), Options{})
	for _, r := range res.Rows {
		if r.Person.HasCategory("youth") {
			t.Errorf("%s: youth derived without a reference date", r.Person.Surname)
		}
	}
}

func TestProgress(t *testing.T) {
	var b strings.Builder
	b.WriteString("Прізвище,Особистий номер\n")
	for i := 0; i < 2500; i++ {
		b.WriteString("Коваль,")
		b.WriteString(strings.Repeat("1", 1+i%7))
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString(string(rune('a' + i/26%26)))
		b.WriteString(string(rune('a' + i/676)))
		b.WriteString("\n")
	}
	var calls []int
	res := readBytes(t, "x.csv", []byte(b.String()), Options{Progress: func(n int) { calls = append(calls, n) }})
	if len(res.Rows) != 2500 {
		t.Fatalf("rows = %d, problems %v", len(res.Rows), res.Problems[:min(3, len(res.Problems))])
	}
	if !reflect.DeepEqual(calls, []int{1000, 2000, 2500}) {
		t.Errorf("progress calls = %v, want [1000 2000 2500]", calls)
	}
}

func TestDuplicateColumns(t *testing.T) {
	data := "Прізвище,Surname,ПІБ\nКоваль,Kowal,Коваль Олена Іванівна\n"
	res := readBytes(t, "x.csv", []byte(data), Options{})
	checkStrings(t, "warnings", res.Warnings, []string{`columns "Прізвище" and "Surname" both hold surname; "Surname" kept as an extra attribute`})
	checkRows(t, res.Rows, []want{{line: 1,
		fields: map[string]string{"surname": "Коваль", "given_names": "Олена", "patronymic": "Іванівна"},
		extra:  map[string]string{"Surname": "Kowal"}}})
}

func TestMapErrors(t *testing.T) {
	_, err := Read(strings.NewReader("a\n"), Options{Format: CSV, Map: map[string]string{"a": "callsign"}})
	if err == nil || !strings.Contains(err.Error(), "callsign") {
		t.Errorf("Read with a map to an unknown field: err = %v", err)
	}
	_, err = Read(strings.NewReader("a\n"), Options{})
	if err == nil {
		t.Error("Read without a format: no error")
	}
	res := readBytes(t, "x.csv", []byte("Прізвище\nКоваль\n"), Options{Map: map[string]string{"ПІБ": "full_name"}})
	checkStrings(t, "warnings", res.Warnings, []string{`column "ПІБ" named in the column map is not in the file`})
}

func TestUnreadable(t *testing.T) {
	xlsx, err := os.ReadFile("testdata/dates.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		format Format
		data   []byte
	}{
		{"xlsx read as csv", CSV, xlsx},
		{"csv read as xlsx", XLSX, []byte("Прізвище\nКоваль\n")},
		{"truncated xlsx", XLSX, xlsx[:len(xlsx)/2]},
		{"broken json", JSON, []byte(`[{"surname": "Коваль"`)},
		{"json scalar", JSON, []byte(`"Коваль"`)},
		{"json entries not an array", JSON, []byte(`{"entries": {}}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Read(bytes.NewReader(tt.data), Options{Format: tt.format}); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestJSONFileProblems(t *testing.T) {
	tests := []struct{ data, want string }{
		{"", "file: the file is empty"},
		{"[]", "file: the list has no entries"},
		{`{"title": "x"}`, `file: the JSON object has no "entries" array`},
		{`[{"surname": ["a"]}]`, `row 1, column surname: value "[a]": expected text`},
	}
	for _, tt := range tests {
		res := readBytes(t, "x.json", []byte(tt.data), Options{})
		checkStrings(t, tt.data, problemStrings(res.Problems), []string{tt.want})
	}
}

func TestFormatFromName(t *testing.T) {
	tests := []struct {
		name string
		want Format
		err  bool
	}{
		{"list.csv", CSV, false},
		{"LIST.CSV", CSV, false},
		{"list.tsv", CSV, false},
		{"list.txt", CSV, false},
		{"/tmp/Список.xlsx", XLSX, false},
		{"list.json", JSON, false},
		{"list.xls", "", true},
		{"list", "", true},
		{"list.pdf", "", true},
	}
	for _, tt := range tests {
		got, err := FormatFromName(tt.name)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("FormatFromName(%q) = %q, %v; want %q, error %v", tt.name, got, err, tt.want, tt.err)
		}
	}
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{Row: 3, Column: "Дата", Value: "31.02.1990", Reason: "no such date"}, `row 3, column Дата: value "31.02.1990": no such date`},
		{Problem{Row: 3, Column: "Прізвище", Reason: "missing surname"}, `row 3, column Прізвище: missing surname`},
		{Problem{Row: 0, Reason: "the file is empty"}, `file: the file is empty`},
		{Problem{Row: 2, Reason: "the entry is not an object"}, `row 2: the entry is not an object`},
		{Problem{Row: 1, Column: "Notes", Value: "a\nb", Reason: "x"}, `row 1, column Notes: value "a\nb": x`},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("String() = %s, want %s", got, tt.want)
		}
	}
}

func TestExtraHeadersAreNotWarned(t *testing.T) {
	data := "surname,extra:Позивний,EXTRA:група крові\nКоваль,Сова,A(II)+\n"
	res := readBytes(t, "x.csv", []byte(data), Options{})
	checkStrings(t, "warnings", res.Warnings, nil)
	checkRows(t, res.Rows, []want{{line: 1, fields: map[string]string{"surname": "Коваль"}, extra: map[string]string{"Позивний": "Сова", "група крові": "A(II)+"}}})
}

func TestEmptyHeaderCell(t *testing.T) {
	data := "Прізвище,,Ім'я,,\nКоваль,позначка,Олена,,\nБондар,,Петро,,\n"
	res := readBytes(t, "x.csv", []byte(data), Options{})
	checkStrings(t, "problems", problemStrings(res.Problems), nil)
	checkStrings(t, "warnings", res.Warnings, []string{`column B has no header; its cells are kept as the extra attribute "column B"`})
	checkRows(t, res.Rows, []want{
		{line: 1, fields: map[string]string{"surname": "Коваль", "given_names": "Олена"}, extra: map[string]string{"column B": "позначка"}},
		{line: 2, fields: map[string]string{"surname": "Бондар", "given_names": "Петро"}},
	})
}

// TestMapOverride checks that an explicit column map wins over recognition,
// in every format.
func TestMapOverride(t *testing.T) {
	m := map[string]string{"Категорія": "notes", "Номер": "service_number", "ПІБ": "full_name", "Позивний": "extra:callsign", "Примітка": "ignore"}
	tests := []struct {
		name, data string
	}{
		{"x.csv", "ПІБ;Номер;Категорія;Позивний;Примітка\nКоваль Олена Іванівна;А-1;будь-що;Сова;зайве\n"},
		{"x.json", `[{"ПІБ": "Коваль Олена Іванівна", "Номер": "А-1", "Категорія": "будь-що", "Позивний": "Сова", "Примітка": "зайве"}]`},
	}
	tests = append(tests, struct{ name, data string }{"x.xlsx", string(xlsxBytes(t, [][]any{
		{"ПІБ", "Номер", "Категорія", "Позивний", "Примітка"},
		{"Коваль Олена Іванівна", "А-1", "будь-що", "Сова", "зайве"},
	}))})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := readBytes(t, tt.name, []byte(tt.data), Options{Map: m})
			checkStrings(t, "problems", problemStrings(res.Problems), nil)
			checkStrings(t, "warnings", res.Warnings, nil)
			checkRows(t, res.Rows, []want{{line: 1,
				fields: map[string]string{"surname": "Коваль", "given_names": "Олена", "patronymic": "Іванівна", "service_number": "А-1", "notes": "будь-що"},
				extra:  map[string]string{"callsign": "Сова"}}})
		})
	}
}

// xlsxBytes makes a one-sheet workbook of the rows.
func xlsxBytes(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		ref, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", ref, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestXLSXShapeProblems(t *testing.T) {
	data := xlsxBytes(t, [][]any{
		{"Прізвище", "Ім'я"},
		{"Коваль", "Олена", nil, "зайве"},
		{"Бондар", "Петро"},
	})
	res := readBytes(t, "x.xlsx", data, Options{})
	checkStrings(t, "problems", problemStrings(res.Problems), []string{
		`row 1, column D: value "зайве": the row has 4 cells but the header names 2 columns`,
	})
	checkRows(t, res.Rows, []want{{line: 2, fields: map[string]string{"surname": "Бондар", "given_names": "Петро"}}})
}
