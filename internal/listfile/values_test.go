package listfile

import (
	"fmt"
	"strings"
	"testing"

	"parley/internal/category"
	"parley/internal/person"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want string // ISO form
		err  string // substring of the error; "" for none
	}{
		{"", "", ""},
		{"  ", "", ""},
		{"12.03.1990", "1990-03-12", ""},
		{"2.3.1990", "1990-03-02", ""},
		{"02.3.1990", "1990-03-02", ""},
		{"1990-03-12", "1990-03-12", ""},
		{"1990-3-2", "1990-03-02", ""},
		{"1990.03.12", "1990-03-12", ""},
		{"1990/03/12", "1990-03-12", ""},
		{"12/03/1990", "1990-03-12", ""}, // day first, as in Ukraine and Russia
		{"2/3/1990", "1990-03-02", ""},
		{"12-03-1990", "1990-03-12", ""},
		{"1990", "1990", ""},
		{"03.1990", "1990-03", ""},
		{"3.1990", "1990-03", ""},
		{"03/1990", "1990-03", ""},
		{"1990-03", "1990-03", ""},
		{"00.03.1990", "1990-03", ""},
		{"00.00.1990", "1990", ""},
		{"12.03.1990 р.", "1990-03-12", ""},
		{"1990 року", "1990", ""},
		{"12.03.1990г.", "1990-03-12", ""},
		{"1990 г", "1990", ""},
		{"12. 03. 1990", "1990-03-12", ""},
		{"1990-03-12 00:00:00", "1990-03-12", ""},
		{"1990-03-12T00:00:00Z", "1990-03-12", ""},
		{"12.03.1990 0:00", "1990-03-12", ""},
		{"29.02.2000", "2000-02-29", ""},
		{"12.03.90", "", "two-digit year"},
		{"12/03/90", "", "two-digit year"},
		{"03.90", "", "two-digit year"},
		{"90", "", "two-digit year"},
		{"31.02.1990", "", "1990-02-31 does not exist"},
		{"29.02.1999", "", "1999-02-29 does not exist"},
		{"13.2024", "", "month 13 does not exist"},
		{"01.13.1990", "", "month 13 does not exist"},
		{"32.01.1990", "", "does not exist"},
		{"2024-13", "", "month 13 does not exist"},
		{"15.00.1990", "", "day 15 without a month"},
		{"1700", "", "year 1700 is out of range"},
		{"12.03-1990", "", "not a date"},
		{"19900312", "", "not a date"},
		{"12 березня 1990", "", "not a date"},
		{"unknown", "", "not a date"},
		{"1.2.3.1990", "", "not a date"},
		{"1990-03-12T", "", "not a date"},
		{"123.03.1990", "", "not a date"},
	}
	for _, tt := range tests {
		d, err := ParseDate(tt.in)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("ParseDate(%q): %v", tt.in, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ParseDate(%q) = %v, %v; want error containing %q", tt.in, d, err, tt.err)
		case tt.err == "" && d.String() != tt.want:
			t.Errorf("ParseDate(%q) = %q, want %q", tt.in, d.String(), tt.want)
		}
	}
}

func TestExcelDate(t *testing.T) {
	tests := []struct {
		raw      string
		date1904 bool
		want     string
		ok       bool
	}{
		{"34402", false, "1994-03-09", true},
		{"32940", true, "1994-03-09", true},
		{"36925.604166666664", false, "2001-02-03", true},
		{"45291", false, "2023-12-31", true},
		{"1985", false, "", false},   // a year typed as a number
		{"5.2023", false, "", false}, // "05.2023" read as a number
		{"12.03", false, "", false},  // a text date with a two-digit year
		{"-34402", false, "", false}, // negative
		{"1e400", false, "", false},  // out of range
		{"12.03.1990", false, "", false},
	}
	for _, tt := range tests {
		d, ok := excelDate(tt.raw, tt.date1904)
		if ok != tt.ok || d.String() != tt.want {
			t.Errorf("excelDate(%q, %v) = %q, %v; want %q, %v", tt.raw, tt.date1904, d.String(), ok, tt.want, tt.ok)
		}
	}
}

func TestParseSex(t *testing.T) {
	tests := []struct{ in, want string }{
		{"M", "M"}, {"m", "M"}, {"F", "F"}, {"f", "F"},
		{"м", "M"}, {"М", "M"}, {"ж", "F"}, {"Ж", "F"}, {"ч", "M"}, {"Ч", "M"},
		{"чоловіча", "M"}, {"жіноча", "F"}, {"чол.", "M"}, {"жін.", "F"},
		{"мужской", "M"}, {"женский", "F"}, {"муж.", "M"}, {"жен.", "F"},
		{"male", "M"}, {"Female", "F"}, {"man", "M"}, {"woman", "F"},
		{"x", ""}, {"невідомо", ""}, {"1", ""},
	}
	for _, tt := range tests {
		got, err := parseSex(tt.in)
		if got != tt.want || (err != nil) != (tt.want == "") {
			t.Errorf("parseSex(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestParseKind(t *testing.T) {
	tests := []struct {
		in   string
		want person.Kind
	}{
		{"pow", person.KindPOW}, {"POW", person.KindPOW}, {"PoW", person.KindPOW}, {"prisoner of war", person.KindPOW},
		{"военнопленный", person.KindPOW}, {"Військовополонений", person.KindPOW}, {"в/п", person.KindPOW},
		{"civilian", person.KindCivilian}, {"цивільний", person.KindCivilian}, {"Цивільна особа", person.KindCivilian},
		{"гражданский", person.KindCivilian}, {"гражданское лицо", person.KindCivilian},
		{"remains", person.KindRemains}, {"body", person.KindRemains}, {"останки", person.KindRemains},
		{"тіло", person.KindRemains}, {"тела", person.KindRemains}, {"тело", person.KindRemains},
		{"soldier", ""}, {"невідомо", ""},
	}
	for _, tt := range tests {
		got, err := parseKind(tt.in)
		if got != tt.want || (err != nil) != (tt.want == "") {
			t.Errorf("parseKind(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		in   string
		want person.Status
	}{
		{"missing", person.StatusMissing}, {"зник безвісти", person.StatusMissing}, {"Зник безвісти", person.StatusMissing},
		{"пропал без вести", person.StatusMissing}, {"пропавший без вести", person.StatusMissing},
		{"believed captured", person.StatusBelievedCaptured}, {"believed_captured", person.StatusBelievedCaptured},
		{"ймовірно полонений", person.StatusBelievedCaptured}, {"вероятно в плену", person.StatusBelievedCaptured},
		{"предположительно в плену", person.StatusBelievedCaptured},
		{"confirmed captured", person.StatusConfirmedCaptured}, {"підтверджено полон", person.StatusConfirmedCaptured},
		{"в плену", person.StatusConfirmedCaptured}, {"у полоні", person.StatusConfirmedCaptured}, {"в полоні", person.StatusConfirmedCaptured},
		{"returned", person.StatusReturned}, {"повернувся", person.StatusReturned}, {"вернулся", person.StatusReturned},
		{"deceased", person.StatusDeceased}, {"загинув", person.StatusDeceased}, {"помер", person.StatusDeceased},
		{"погиб", person.StatusDeceased}, {"умер", person.StatusDeceased}, {"Погиб.", person.StatusDeceased},
		{"в СІЗО", ""}, {"unknown", ""},
	}
	for _, tt := range tests {
		got, err := parseStatus(tt.in)
		if got != tt.want || (err != nil) != (tt.want == "") {
			t.Errorf("parseStatus(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestSplitFullName(t *testing.T) {
	tests := []struct{ in, s, g, p string }{
		{"Шевченко Тарас Григорович", "Шевченко", "Тарас", "Григорович"},
		{"Тарас Григорович Шевченко", "Шевченко", "Тарас", "Григорович"},
		{"Олена Іванівна Коваль", "Коваль", "Олена", "Іванівна"},
		{"Анна Сергеевна Петрова", "Петрова", "Анна", "Сергеевна"},
		{"Ilya Ilyich Oblomov", "Oblomov", "Ilya", "Ilyich"},
		// the last word could be a patronymic too: keep the Slavic order
		{"Іван Петрович Бабич", "Іван", "Петрович", "Бабич"},
		{"Бабич Іван Петрович", "Бабич", "Іван", "Петрович"},
		{"Петрович Іван Миколайович", "Петрович", "Іван", "Миколайович"},
		{"Коваль Олена", "Коваль", "Олена", ""},
		{"Петренко", "Петренко", "", ""},
		{"  Шевченко ,  Тарас   Григорович ", "Шевченко", "Тарас", "Григорович"},
		{"Мамедов Ахмед Рашид оглы", "Мамедов", "Ахмед", "Рашид оглы"},
		{"Алиева Лейла Рашид кызы", "Алиева", "Лейла", "Рашид кызы"},
		{"Гарсія Хосе Марія Іванович", "Гарсія", "Хосе Марія", "Іванович"},
		{"", "", "", ""},
	}
	for _, tt := range tests {
		s, g, p := splitFullName(tt.in)
		if s != tt.s || g != tt.g || p != tt.p {
			t.Errorf("splitFullName(%q) = %q %q %q; want %q %q %q", tt.in, s, g, p, tt.s, tt.g, tt.p)
		}
	}
}

// TestRecogniseHeaders checks headers in English, Ukrainian and Russian for
// every field, with the spellings real spreadsheets use.
func TestRecogniseHeaders(t *testing.T) {
	tests := []struct {
		field   string
		headers []string
	}{
		{"kind", []string{"Kind", "Type", "Вид", "Тип", "kind"}},
		{"surname", []string{"Surname", "Last name", "LAST NAME", "Family name", "Прізвище", "Фамилия", "Фамилия:", "Прiзвище" /* Latin i */, "surname", "Прізвище*", "Прізвище / Surname"}},
		{"given_names", []string{"Given name", "Given names", "First name", "First Name(s)", "Ім'я", "Ім’я", "Імʼя", "Ім`я", "Имя", "given_names"}},
		{"patronymic", []string{"Patronymic", "Father's name", "Father’s name", "Middle name", "По батькові", "По-батькові", "Отчество", "patronymic"}},
		{"surname_latin", []string{"Surname (Latin)", "Surname, latin", "Прізвище латиницею", "Прізвище (латиницею)", "Фамилия латиницей", "surname_latin"}},
		{"given_names_latin", []string{"Given names (Latin)", "First name (Latin)", "Ім'я латиницею", "Имя латиницей", "given_names_latin"}},
		{"patronymic_latin", []string{"Patronymic (Latin)", "По батькові латиницею", "Отчество латиницей", "patronymic_latin"}},
		{"mother_maiden_name", []string{"Mother's maiden name", "Дівоче прізвище матері", "Девичья фамилия матери", "mother_maiden_name"}},
		{"birth_date", []string{"Date of birth", "DOB", "D.O.B.", "Birth date", "Дата народження", "Дата рождения", "Д.р.", "Дата народження (дд.мм.рррр)", "Рік народження", "Год рождения", "birth_date"}},
		{"birth_place", []string{"Place of birth", "Birthplace", "Місце народження", "Место рождения", "birth_place"}},
		{"sex", []string{"Sex", "Gender", "Стать", "Пол", "sex"}},
		{"rank", []string{"Rank", "Military rank", "Звання", "Військове звання", "Звание", "Воинское звание", "rank"}},
		{"service_number", []string{"Service number", "Serial number", "Personal number", "Service No.", "Особистий номер", "Жетон", "№ жетона", "Військовий квиток", "Личный номер", "Жетон:", "service_number"}},
		{"unit", []string{"Unit", "Military unit", "Військова частина", "В/ч", "Воинская часть", "Часть", "unit"}},
		{"power", []string{"Power", "Держава", "Государство", "power"}},
		{"person_to_inform", []string{"Person to inform", "Person to be informed", "Next of kin", "Кого повідомити", "Контактное лицо", "person_to_inform"}},
		{"correspondence_address", []string{"Address for correspondence", "Address", "Адреса для листування", "Адрес для переписки", "correspondence_address"}},
		{"capture_date", []string{"Date of capture", "Capture date", "Дата полонення", "Дата пленения", "capture_date"}},
		{"capture_place", []string{"Place of capture", "Місце полонення", "Место пленения", "capture_place"}},
		{"categories", []string{"Category", "Categories", "Категорія", "Категория", "categories"}},
		{"death_date", []string{"Date of death", "Дата смерті", "Дата смерти", "Дата загибелі", "death_date"}},
		{"death_place", []string{"Place of death", "Місце смерті", "Место смерти", "death_place"}},
		{"death_cause", []string{"Cause of death", "Причина смерті", "Причина смерти", "death_cause"}},
		{"burial_place", []string{"Place of burial", "Burial place", "Місце поховання", "Место захоронения", "burial_place"}},
		{"grave_id", []string{"Grave ID", "Grave number", "Номер могили", "Номер могилы", "grave_id"}},
		{"dna_sample_ref", []string{"DNA sample", "DNA sample reference", "Зразок ДНК", "Образец ДНК", "dna_sample_ref"}},
		{"status", []string{"Status", "Статус", "status"}},
		{"notes", []string{"Notes", "Remarks", "Comment", "Примітка", "Примітки", "Примечание", "notes"}},
		{"record_id", []string{"record_id", "ID", "Record ID", "Case number", "№ справи", "Номер справи", "№ дела", "номер дела", "Ідентифікатор", "Идентификатор"}},
		{"latin_system", []string{"latin_system", "Romanization", "Система транслітерації", "Система транслитерации"}},
		{FieldFullName, []string{"Full name", "Name", "ПІБ", "П.І.Б.", "П. І. Б.", "ФИО", "Ф.И.О.", "Фамилия, имя, отчество", "Прізвище, ім'я, по батькові", "full_name"}},
		{FieldFullNameLatin, []string{"Full name (Latin)", "ПІБ латиницею", "ФИО латиницей", "full_name_latin"}},
		{"", []string{"Позивний", "Callsign", "Номер", "Дата", ""}},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.field] = true
		for _, h := range tt.headers {
			if got := recognise(h); got != tt.field {
				t.Errorf("recognise(%q) = %q, want %q", h, got, tt.field)
			}
		}
	}
	for _, f := range person.Fields() {
		if !covered[f.Name] {
			t.Errorf("field %s has no header test", f.Name)
		}
	}
}

func TestRowNumberHeaders(t *testing.T) {
	for _, h := range []string{"№", "#", "№ п/п", "№ з/п", "№п/п", "N", "No."} {
		if !isRowNumberHeader(h) {
			t.Errorf("isRowNumberHeader(%q) = false", h)
		}
	}
	for _, h := range []string{"Номер", "№ жетона", "Прізвище"} {
		if isRowNumberHeader(h) {
			t.Errorf("isRowNumberHeader(%q) = true", h)
		}
	}
}

// TestCategorySynonyms reads a file with every label and synonym of the
// built-in catalogue, one a row, and checks each resolves to its category.
func TestCategorySynonyms(t *testing.T) {
	type label struct{ text, code string }
	var labels []label
	for _, c := range category.Builtin() {
		labels = append(labels, label{c.Code, c.Code})
		for _, l := range c.Labels {
			labels = append(labels, label{l, c.Code})
		}
		for _, s := range c.Synonyms {
			labels = append(labels, label{s, c.Code})
			labels = append(labels, label{strings.ToUpper(s), c.Code})
		}
	}
	var b strings.Builder
	b.WriteString("Прізвище;Категорія\n")
	for i, l := range labels {
		fmt.Fprintf(&b, "Особа%d;%s\n", i, l.text)
	}
	res := readBytes(t, "x.csv", []byte(b.String()), Options{})
	checkStrings(t, "problems", problemStrings(res.Problems), nil)
	if len(res.Rows) != len(labels) {
		t.Fatalf("rows = %d, want %d", len(res.Rows), len(labels))
	}
	for i, r := range res.Rows {
		if got := strings.Join(r.Person.Categories, ";"); got != labels[i].code {
			t.Errorf("category %q read as %q, want %q", labels[i].text, got, labels[i].code)
		}
	}
}

func TestSeveralCategoriesInACell(t *testing.T) {
	data := "Прізвище;Категорія\nА;поранений, важкохворий\nБ;wounded + youth\nВ;тяжело болен / юность / раненый\nГ;поранений|поранена\nД;\"молодь\nпоранений\"\n"
	res := readBytes(t, "x.csv", []byte(data), Options{})
	checkStrings(t, "problems", problemStrings(res.Problems), nil)
	want := []string{"seriously_ill;wounded", "wounded;youth", "seriously_ill;wounded;youth", "wounded", "wounded;youth"}
	for i, r := range res.Rows {
		if got := strings.Join(r.Person.Categories, ";"); got != want[i] {
			t.Errorf("row %d: categories %q, want %q", r.Line, got, want[i])
		}
	}
}

func TestCustomCatalogue(t *testing.T) {
	cat, err := category.NewCatalogue(category.Category{Code: "long_captivity", Labels: map[string]string{"uk": "Тривалий полон"}, Synonyms: []string{"довгий полон"}})
	if err != nil {
		t.Fatal(err)
	}
	data := "Прізвище;Категорія\nА;довгий полон\n"
	res := readBytes(t, "x.csv", []byte(data), Options{Catalogue: cat})
	checkRows(t, res.Rows, []want{{line: 1, fields: map[string]string{"surname": "А", "categories": "long_captivity"}}})
	res = readBytes(t, "x.csv", []byte(data), Options{})
	checkStrings(t, "problems", problemStrings(res.Problems), []string{`row 1, column Категорія: value "довгий полон": unknown category "довгий полон"`})
}
