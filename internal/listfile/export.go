package listfile

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"parley/internal/category"
	"parley/internal/person"
)

// ExportOptions shape the CSV a clerk opens in a spreadsheet (see
// WriteClerkCSV).
type ExportOptions struct {
	Lang       string // en, uk or ru; anything else is en
	NoBOM      bool   // leave out the UTF-8 byte-order mark
	AllColumns bool   // write every column, not only those holding data
	// Catalogue gives the category labels; nil means category.MustDefault().
	Catalogue *category.Catalogue
}

// clerkHeaders are the column headers of a clerk's CSV, per field, in en,
// uk and ru. Each is one of the headers Read recognises (a test checks), so
// that the export reads back as it was written.
var clerkHeaders = map[string][3]string{
	"record_id":              {"Record ID", "Номер справи", "Номер дела"},
	"kind":                   {"Kind", "Вид запису", "Вид записи"},
	"surname":                {"Surname", "Прізвище", "Фамилия"},
	"given_names":            {"Given names", "Ім'я", "Имя"},
	"patronymic":             {"Patronymic", "По батькові", "Отчество"},
	"latin_system":           {"Romanization system", "Система транслітерації", "Система транслитерации"},
	"surname_latin":          {"Surname (Latin)", "Прізвище (латиницею)", "Фамилия (латиницей)"},
	"given_names_latin":      {"Given names (Latin)", "Ім'я (латиницею)", "Имя (латиницей)"},
	"patronymic_latin":       {"Patronymic (Latin)", "По батькові (латиницею)", "Отчество (латиницей)"},
	"mother_maiden_name":     {"Mother's maiden name", "Дівоче прізвище матері", "Девичья фамилия матери"},
	"birth_date":             {"Date of birth", "Дата народження", "Дата рождения"},
	"birth_place":            {"Place of birth", "Місце народження", "Место рождения"},
	"sex":                    {"Sex", "Стать", "Пол"},
	"rank":                   {"Rank", "Військове звання", "Воинское звание"},
	"service_number":         {"Service number", "Особистий номер", "Личный номер"},
	"unit":                   {"Unit", "Військова частина", "Воинская часть"},
	"power":                  {"Power", "Держава", "Государство"},
	"person_to_inform":       {"Person to inform", "Особа для повідомлення", "Лицо для уведомления"},
	"correspondence_address": {"Address for correspondence", "Адреса для листування", "Адрес для переписки"},
	"capture_date":           {"Date of capture", "Дата полонення", "Дата пленения"},
	"capture_place":          {"Place of capture", "Місце полонення", "Место пленения"},
	"categories":             {"Categories", "Категорії", "Категории"},
	"death_date":             {"Date of death", "Дата смерті", "Дата смерти"},
	"death_place":            {"Place of death", "Місце смерті", "Место смерти"},
	"death_cause":            {"Cause of death", "Причина смерті", "Причина смерти"},
	"burial_place":           {"Place of burial", "Місце поховання", "Место захоронения"},
	"grave_id":               {"Grave number", "Номер могили", "Номер могилы"},
	"dna_sample_ref":         {"DNA sample", "Зразок ДНК", "Образец ДНК"},
	"status":                 {"Status", "Статус розшуку", "Статус поиска"},
	"notes":                  {"Remarks", "Примітки", "Примечания"},
}

// rowNumberHeader is the header of the running number column, which Read
// recognises and skips.
var rowNumberHeader = [3]string{"No.", "№ п/п", "№ п/п"}

// Values of the enumerated fields in each language; every one is a form
// Read accepts (a test checks).
var (
	clerkKinds = map[person.Kind][3]string{
		person.KindPOW:      {"prisoner of war", "військовополонений", "военнопленный"},
		person.KindCivilian: {"civilian", "цивільний", "гражданский"},
		person.KindRemains:  {"remains", "рештки", "останки"},
	}
	clerkSex      = map[string][3]string{"M": {"M", "ч", "м"}, "F": {"F", "ж", "ж"}}
	clerkStatuses = map[person.Status][3]string{
		person.StatusMissing:           {"missing", "зник безвісти", "пропал без вести"},
		person.StatusBelievedCaptured:  {"believed captured", "ймовірно в полоні", "вероятно в плену"},
		person.StatusConfirmedCaptured: {"confirmed captured", "підтверджено в полоні", "подтверждено в плену"},
		person.StatusReturned:          {"returned", "повернений", "освобожден"},
		person.StatusDeceased:          {"deceased", "загиблий", "погибший"},
	}
)

func langIndex(lang string) int {
	switch lang {
	case "uk":
		return 1
	case "ru":
		return 2
	}
	return 0
}

// FormatDate writes a date as the language's readers write it: DD.MM.YYYY
// (MM.YYYY, YYYY when partial) in Ukrainian and Russian, ISO 8601 in
// English. ParseDate reads every form back.
func FormatDate(lang string, d person.Date) string {
	if langIndex(lang) == 0 || d.IsZero() {
		return d.String()
	}
	switch {
	case d.Month == 0:
		return fmt.Sprintf("%04d", d.Year)
	case d.Day == 0:
		return fmt.Sprintf("%02d.%04d", d.Month, d.Year)
	}
	return fmt.Sprintf("%02d.%02d.%04d", d.Day, d.Month, d.Year)
}

// clerkValue is one field of p as the clerk's CSV writes it.
func clerkValue(f person.Field, p *person.Person, li int, cat *category.Catalogue) string {
	switch f.Kind {
	case person.FieldDate:
		d, _ := person.ParseISODate(f.Get(p))
		return FormatDate([]string{"en", "uk", "ru"}[li], d)
	case person.FieldCategories:
		labels := make([]string, 0, len(p.Categories))
		for _, c := range p.Categories {
			if k, ok := cat.Get(c); ok {
				labels = append(labels, k.Label([]string{"en", "uk", "ru"}[li]))
			} else {
				labels = append(labels, c)
			}
		}
		return strings.Join(labels, "; ")
	case person.FieldKindOf:
		if v, ok := clerkKinds[p.Kind]; ok {
			return v[li]
		}
	case person.FieldStatus:
		if v, ok := clerkStatuses[p.Status]; ok {
			return v[li]
		}
	}
	if f.Name == "sex" {
		if v, ok := clerkSex[p.Sex]; ok {
			return v[li]
		}
	}
	return f.Get(p)
}

// WriteClerkCSV writes persons as a CSV for people: a UTF-8 byte-order mark
// (so that Excel on Windows shows Cyrillic), the running number first (rows
// numbered from 1, the numbers every report cites), headers, categories,
// kinds, sexes and statuses in the reader's language, dates as the locale
// writes them, and only the columns that hold data unless AllColumns.
// Extra attributes keep their "extra:<name>" headers, so that they read
// back exactly. Read reads such a file back into the same persons.
func WriteClerkCSV(w io.Writer, persons []person.Person, opts ExportOptions) error {
	li := langIndex(opts.Lang)
	cat := opts.Catalogue
	if cat == nil {
		cat = category.MustDefault()
	}
	fields := person.Fields()
	cols := make([][]string, len(fields)) // per field, per person
	var keep []int
	for j, f := range fields {
		vals := make([]string, len(persons))
		used := false
		for i := range persons {
			vals[i] = clerkValue(f, &persons[i], li, cat)
			used = used || vals[i] != ""
		}
		cols[j] = vals
		if used || opts.AllColumns {
			keep = append(keep, j)
		}
	}
	extras := extraNames(persons)
	header := []string{rowNumberHeader[li]}
	for _, j := range keep {
		h, ok := clerkHeaders[fields[j].Name]
		if !ok {
			return fmt.Errorf("write CSV: no header for field %s", fields[j].Name)
		}
		header = append(header, h[li])
	}
	for _, e := range extras {
		header = append(header, extraPrefix+e)
	}
	bw := bufio.NewWriter(w)
	if !opts.NoBOM {
		bw.WriteString("\uFEFF")
	}
	cw := csv.NewWriter(bw)
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	rec := make([]string, len(header))
	for i := range persons {
		rec[0] = strconv.Itoa(i + 1)
		for k, j := range keep {
			rec[1+k] = escapeCell(cols[j][i])
		}
		for k, e := range extras {
			rec[1+len(keep)+k] = escapeCell(persons[i].Extra[e])
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

// ColumnHeader is the header of a person field's column in lang, as the
// clerk's CSV writes it; "row" is the running number. Unknown names come
// back unchanged.
func ColumnHeader(field, lang string) string {
	if field == "row" {
		return rowNumberHeader[langIndex(lang)]
	}
	if h, ok := clerkHeaders[field]; ok {
		return h[langIndex(lang)]
	}
	return field
}
