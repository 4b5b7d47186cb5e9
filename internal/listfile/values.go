package listfile

import (
	"math"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"parley/internal/msg"
	"parley/internal/person"
)

// errNotDate is the reason given for text that is no date form at all.
var errNotDate = msg.NewError(nil, "listfile.not_a_date")

// ParseDate parses the date forms found in lists kept in Ukraine and Russia:
//
//	DD.MM.YYYY, D.M.YYYY, DD/MM/YYYY, D/M/YYYY, DD-MM-YYYY (day first)
//	YYYY-MM-DD, YYYY.MM.DD, YYYY/MM/DD
//	MM.YYYY, MM/YYYY, MM-YYYY, YYYY-MM (year and month)
//	YYYY (year only)
//
// A partial date stays partial; a day or month written as 00 (the Soviet
// registry habit for "unknown") counts as unknown. A trailing time
// ("1990-03-12 00:00:00", "1990-03-12T00:00:00Z") and a trailing year word
// ("р.", "року", "г.", "года") are ignored. Two-digit years are refused
// because "12.03.45" could be 1945 or 2045, and dates that do not exist
// (31.02.1990, month 13) are refused rather than guessed. The empty string
// is the unknown date.
func ParseDate(s string) (person.Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return person.Date{}, nil
	}
	s = stripYearWord(s)
	s = stripTime(s)
	// "12. 03. 1990" → "12.03.1990"
	s = strings.Join(strings.Fields(s), " ")
	for _, sep := range []string{".", "-", "/"} {
		s = strings.ReplaceAll(s, " "+sep, sep)
		s = strings.ReplaceAll(s, sep+" ", sep)
	}
	sep := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
		case c == '.' || c == '-' || c == '/':
			if sep != 0 && sep != c {
				return person.Date{}, errNotDate
			}
			sep = c
		default:
			return person.Date{}, errNotDate
		}
	}
	var parts []string
	if sep == 0 {
		parts = []string{s}
	} else {
		parts = strings.Split(s, string(sep))
	}
	for _, p := range parts {
		if p == "" || len(p) > 4 {
			return person.Date{}, errNotDate
		}
	}
	num := func(p string) int { n, _ := strconv.Atoi(p); return n }
	var d person.Date
	switch len(parts) {
	case 1:
		switch len(parts[0]) {
		case 4:
			d.Year = num(parts[0])
		case 2:
			return person.Date{}, errTwoDigitYear
		default:
			return person.Date{}, errNotDate
		}
	case 2:
		a, b := parts[0], parts[1]
		switch {
		case len(a) == 4 && len(b) <= 2:
			d.Year, d.Month = num(a), num(b)
		case len(b) == 4 && len(a) <= 2:
			d.Year, d.Month = num(b), num(a)
		case len(a) <= 2 && len(b) == 2:
			return person.Date{}, errTwoDigitYear
		default:
			return person.Date{}, errNotDate
		}
	case 3:
		a, b, c := parts[0], parts[1], parts[2]
		switch {
		case len(a) == 4 && len(b) <= 2 && len(c) <= 2:
			d.Year, d.Month, d.Day = num(a), num(b), num(c)
		case len(c) == 4 && len(a) <= 2 && len(b) <= 2:
			d.Year, d.Month, d.Day = num(c), num(b), num(a)
		case len(c) == 2 && len(a) <= 2 && len(b) <= 2:
			return person.Date{}, errTwoDigitYear
		default:
			return person.Date{}, errNotDate
		}
	default:
		return person.Date{}, errNotDate
	}
	if d.Month == 0 && d.Day != 0 {
		return person.Date{}, msg.NewError(nil, "listfile.day_without_month", "day", msg.Plain(d.Day))
	}
	if err := d.Validate(); err != nil {
		return person.Date{}, err
	}
	return d, nil
}

var errTwoDigitYear = msg.NewError(nil, "listfile.two_digit_year")

// stripYearWord removes a trailing "р.", "року", "г.", "года" and the like.
func stripYearWord(s string) string {
	low := strings.ToLower(s)
	for _, w := range []string{"року", "рік", "года", "год", "р.", "г.", "р", "г"} {
		if strings.HasSuffix(low, w) {
			rest := strings.TrimSpace(s[:len(s)-len(w)])
			if rest != "" && rest[len(rest)-1] >= '0' && rest[len(rest)-1] <= '9' {
				return rest
			}
		}
	}
	return s
}

// stripTime removes a time of day after a date, as spreadsheet and database
// exports write it.
func stripTime(s string) string {
	i := strings.IndexAny(s, " T")
	if i < 0 {
		return s
	}
	t := strings.TrimSpace(s[i+1:])
	if !strings.Contains(t, ":") {
		return s
	}
	for _, r := range t {
		if !(r >= '0' && r <= '9' || r == ':' || r == '.' || r == 'Z' || r == '+' || r == '-') {
			return s
		}
	}
	return strings.TrimSpace(s[:i])
}

// excelDate reads a date column's raw XLSX value as a date serial: a number
// of days from the workbook's epoch, which is how a cell that shows a date
// is stored. Only numbers above 2200 count: smaller ones would be days in
// 1900–1906, which no list of the living or the recent dead holds, and are
// far more likely a year typed as a number (1985) or a text date such as
// "05.2023" that reads as a number; ParseDate takes those.
func excelDate(raw string, date1904 bool) (d person.Date, ok bool) {
	if raw == "" || raw[0] < '0' || raw[0] > '9' {
		return person.Date{}, false
	}
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v <= 2200 || v > 2958465 { // 2958465 is 9999-12-31
		return person.Date{}, false
	}
	t, err := excelize.ExcelDateToTime(v, date1904)
	if err != nil {
		return person.Date{}, false
	}
	return person.FromTime(t), true
}

// sexValues maps folded sex labels to "M" or "F".
var sexValues = map[string]string{}

func init() {
	for _, s := range []string{"m", "male", "man", "м", "ч", "чол", "чоловіча", "чоловічий", "чоловік", "муж", "мужской", "мужчина", "мужск"} {
		sexValues[normHeader(s)] = "M"
	}
	for _, s := range []string{"f", "female", "woman", "w", "ж", "жін", "жіноча", "жіночий", "жінка", "жен", "женский", "женщина", "женск"} {
		sexValues[normHeader(s)] = "F"
	}
}

// parseSex reads the sex column: м/ж, ч/ж, чоловіча/жіноча,
// мужской/женский, male/female, M/F.
func parseSex(s string) (string, error) {
	if v, ok := sexValues[normHeader(s)]; ok {
		return v, nil
	}
	return "", msg.NewError(nil, "listfile.unknown_sex")
}

// kindValues maps folded kind labels to kinds.
var kindValues = map[string]person.Kind{}

func init() {
	add := func(k person.Kind, labels ...string) {
		for _, l := range labels {
			kindValues[normHeader(l)] = k
		}
	}
	add(person.KindPOW, "pow", "p.o.w.", "prisoner of war", "prisoners of war", "military", "serviceman", "servicewoman", "combatant",
		"військовополонений", "військовополонена", "військовополонені", "військовослужбовець", "військовослужбовиця", "військовий", "в/п",
		"военнопленный", "военнопленная", "военнопленные", "военнослужащий", "военнослужащая", "военный")
	add(person.KindCivilian, "civilian", "civil", "civilian detainee", "civilian internee", "civilians",
		"цивільний", "цивільна", "цивільні", "цивільна особа", "цивільний заручник",
		"гражданский", "гражданская", "гражданские", "гражданское лицо", "мирный житель")
	add(person.KindRemains, "remains", "body", "bodies", "human remains", "mortal remains",
		"останки", "тіло", "тіла", "тело", "тела", "рештки", "останки тела", "тела погибших", "тіла загиблих")
}

// parseKind reads the kind column.
func parseKind(s string) (person.Kind, error) {
	if k, ok := kindValues[normHeader(s)]; ok {
		return k, nil
	}
	return "", msg.NewError(nil, "listfile.unknown_kind")
}

// statusValues maps folded status labels to registry statuses.
var statusValues = map[string]person.Status{}

func init() {
	add := func(st person.Status, labels ...string) {
		for _, l := range labels {
			statusValues[normHeader(l)] = st
		}
	}
	add(person.StatusMissing, "missing", "missing in action", "mia", "missing person",
		"зник безвісти", "зниклий безвісти", "зникла безвісти", "безвісти зниклий", "безвісти зникла", "безвісно відсутній", "зник",
		"пропал без вести", "пропавший без вести", "пропала без вести", "пропавшая без вести", "без вести пропавший", "пропал")
	add(person.StatusBelievedCaptured, "believed captured", "presumed captured", "possibly captured", "probably captured",
		"ймовірно полонений", "ймовірно полонена", "ймовірно в полоні", "ймовірно у полоні", "можливо в полоні", "можливо у полоні", "імовірно в полоні",
		"вероятно в плену", "предположительно в плену", "возможно в плену", "вероятно пленен", "предположительно пленен")
	add(person.StatusConfirmedCaptured, "confirmed captured", "captured", "prisoner", "in captivity",
		"підтверджено полон", "полон підтверджено", "у полоні", "в полоні", "полонений", "полонена", "підтверджено в полоні",
		"в плену", "плен подтвержден", "подтверждено в плену", "пленен", "в плену подтверждено", "пленный", "пленная")
	add(person.StatusReturned, "returned", "repatriated", "released", "exchanged",
		"повернувся", "повернулася", "повернувся з полону", "повернута", "повернений", "звільнений", "звільнена", "обміняний",
		"вернулся", "вернулась", "возвращен", "возвращена", "освобожден", "освобождена", "обменян")
	add(person.StatusDeceased, "deceased", "dead", "died", "killed", "killed in action", "kia",
		"загинув", "загинула", "помер", "померла", "загиблий", "загибла", "мертвий",
		"погиб", "погибла", "умер", "умерла", "погибший", "погибшая", "умерший", "мертв")
}

// parseStatus reads a registry's status column.
func parseStatus(s string) (person.Status, error) {
	if st, ok := statusValues[normHeader(s)]; ok {
		return st, nil
	}
	return "", msg.NewError(nil, "listfile.unknown_status")
}

// patronymicEndings are the endings of East Slavic patronymics in Cyrillic
// and in the common romanizations.
var patronymicEndings = []string{
	"ович", "евич", "євич", "йович", "ьович", "ьевич", "ич",
	"івна", "ївна", "овна", "евна", "ьевна", "ична", "інична",
	"ovich", "evich", "ovych", "evych", "ovna", "evna", "ivna", "yivna", "ichna", "ych", "ich",
}

// turkicPatronymic are the words that follow the father's name in Turkic
// patronymics written in Russian or Ukrainian ("Рашид оглы").
var turkicPatronymic = map[string]bool{"оглы": true, "огли": true, "кызы": true, "кизи": true, "oglu": true, "ogly": true, "kyzy": true, "qizi": true}

func isPatronymic(w string) bool {
	w = strings.ToLower(w)
	for _, e := range patronymicEndings {
		if strings.HasSuffix(w, e) && len([]rune(w)) > len([]rune(e))+1 {
			return true
		}
	}
	return false
}

// splitFullName splits a full name written in one cell. The Slavic order
// "Surname Given Patronymic" is assumed; "Given Patronymic Surname" is taken
// only when the middle word has a patronymic ending and the last has none,
// so that a surname such as Бабич or Петрович is never mistaken for a
// patronymic. Two words are surname and given name; one word is a surname.
// With four or more words the first is the surname, the last (or the last
// two, for "Рашид оглы") the patronymic, the rest the given names.
func splitFullName(s string) (surname, given, patronymic string) {
	s = strings.NewReplacer(",", " ", ";", " ").Replace(s)
	w := strings.Fields(s)
	switch len(w) {
	case 0:
		return "", "", ""
	case 1:
		return w[0], "", ""
	case 2:
		return w[0], w[1], ""
	case 3:
		if !isPatronymic(w[2]) && isPatronymic(w[1]) {
			return w[2], w[0], w[1]
		}
		return w[0], w[1], w[2]
	}
	n := len(w)
	if turkicPatronymic[strings.ToLower(w[n-1])] {
		return w[0], strings.Join(w[1:n-2], " "), w[n-2] + " " + w[n-1]
	}
	return w[0], strings.Join(w[1:n-1], " "), w[n-1]
}
