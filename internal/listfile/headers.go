package listfile

import (
	"fmt"
	"sort"
	"strings"
	"unicode"

	"parley/internal/person"
)

// headerSynonyms lists, for each person field and pseudo-field, the column
// headers found in real lists, in English, Ukrainian and Russian. They are
// compared after normHeader, so case, punctuation, apostrophe forms and ё/е
// do not matter and each form is written once. The JSON names of the fields
// are added by init.
var headerSynonyms = map[string][]string{
	"kind": {
		"kind", "type", "record kind", "record type", "person type", "kind of record",
		"вид", "тип", "вид запису", "тип запису", "тип особи", "вид особи",
		"вид записи", "тип записи", "тип лица",
	},
	"record_id": {
		"record id", "record number", "record no", "id", "case number", "case no", "case id", "file number", "file no", "reference number",
		"номер справи", "номер запису", "ідентифікатор", "ідентифікатор запису", "код запису", "номер картки", "номер обліку", "обліковий номер",
		"номер дела", "номер записи", "идентификатор", "идентификатор записи", "код записи", "номер карточки", "учетный номер",
	},
	"latin_system": {
		"romanization", "romanization system", "transliteration system",
		"система транслітерації", "транслітерація",
		"система транслитерации", "транслитерация",
	},
	"surname": {
		"surname", "last name", "family name", "lastname",
		"прізвище", "фамилия",
	},
	"given_names": {
		"given name", "given names", "first name", "first names", "forename", "forenames", "firstname",
		"ім'я", "імена", "имя", "имена",
	},
	"patronymic": {
		"patronymic", "father's name", "father's first name", "first name of the father", "middle name",
		"по батькові", "по-батькові", "ім'я по батькові", "ім'я батька",
		"отчество", "имя отца",
	},
	"surname_latin": {
		"surname latin", "surname (latin)", "last name (latin)", "surname in latin", "surname latin script", "latin surname",
		"прізвище латиницею", "прізвище (латиницею)", "прізвище латинськими літерами", "прізвище лат",
		"фамилия латиницей", "фамилия (латиницей)", "фамилия латинскими буквами", "фамилия лат",
	},
	"given_names_latin": {
		"given names latin", "given name (latin)", "given names (latin)", "first name (latin)", "first name latin", "latin given names",
		"ім'я латиницею", "ім'я (латиницею)", "ім'я латинськими літерами", "ім'я лат",
		"имя латиницей", "имя (латиницей)", "имя латинскими буквами", "имя лат",
	},
	"patronymic_latin": {
		"patronymic latin", "patronymic (latin)", "father's name (latin)",
		"по батькові латиницею", "по батькові (латиницею)", "по батькові лат",
		"отчество латиницей", "отчество (латиницей)", "отчество лат",
	},
	"mother_maiden_name": {
		"mother's maiden name", "maiden name of the mother", "mother maiden name", "maiden name of mother",
		"дівоче прізвище матері", "прізвище матері до шлюбу",
		"девичья фамилия матери", "фамилия матери до брака",
	},
	"birth_date": {
		"date of birth", "birth date", "birthdate", "dob", "d.o.b.", "born", "year of birth", "birth year",
		"дата народження", "дата нар", "д.н.", "рік народження", "народився", "народжений",
		"дата рождения", "д.р.", "д/р", "год рождения", "родился",
	},
	"birth_place": {
		"place of birth", "birth place", "birthplace", "born in",
		"місце народження", "місце нар",
		"место рождения", "уроженец",
	},
	"sex": {
		"sex", "gender",
		"стать",
		"пол",
	},
	"rank": {
		"rank", "military rank", "grade",
		"звання", "військове звання",
		"звание", "воинское звание",
	},
	"service_number": {
		"service number", "serial number", "personal number", "army number", "regimental number",
		"service no", "serial no", "army no", "military id", "military id number", "id tag", "dog tag",
		"жетон", "номер жетона", "особистий номер", "військовий квиток", "номер військового квитка",
		"особовий номер", "табельний номер", "номер посвідчення",
		"личный номер", "военный билет", "номер военного билета", "личный жетон", "табельный номер",
	},
	"unit": {
		"unit", "military unit", "formation", "regiment",
		"військова частина", "в/ч", "частина", "підрозділ",
		"воинская часть", "часть", "подразделение", "войсковая часть",
	},
	"power": {
		"power", "power on which he depends", "power on which the prisoner depends", "country",
		"держава", "країна",
		"государство", "страна",
	},
	"person_to_inform": {
		"person to inform", "person to be informed", "name of the person to be informed", "next of kin", "contact person",
		"особа для повідомлення", "кого повідомити", "контактна особа", "найближчий родич",
		"лицо для уведомления", "кого уведомить", "контактное лицо", "ближайший родственник",
	},
	"correspondence_address": {
		"address for correspondence", "correspondence address", "address", "postal address", "address of the person to be informed",
		"адреса для листування", "адреса", "поштова адреса", "адреса для кореспонденції",
		"адрес для переписки", "адрес", "почтовый адрес", "адрес для корреспонденции",
	},
	"capture_date": {
		"date of capture", "capture date", "date captured", "captured on",
		"дата полонення", "дата захоплення", "дата потрапляння в полон",
		"дата пленения", "дата захвата", "дата попадания в плен",
	},
	"capture_place": {
		"place of capture", "capture place", "place captured", "captured at",
		"місце полонення", "місце захоплення",
		"место пленения", "место захвата",
	},
	"categories": {
		"category", "categories",
		"категорія", "категорії",
		"категория", "категории",
	},
	"death_date": {
		"date of death", "death date", "dod", "died on",
		"дата смерті", "дата загибелі",
		"дата смерти", "дата гибели",
	},
	"death_place": {
		"place of death", "death place",
		"місце смерті", "місце загибелі",
		"место смерти", "место гибели",
	},
	"death_cause": {
		"cause of death", "death cause",
		"причина смерті", "причина загибелі",
		"причина смерти", "причина гибели",
	},
	"burial_place": {
		"burial place", "place of burial", "place of burial and date", "grave location",
		"місце поховання",
		"место захоронения", "место погребения", "место похорон",
	},
	"grave_id": {
		"grave id", "grave number", "grave", "grave identification", "grave marker", "particulars of the grave",
		"номер могили", "ідентифікатор могили", "могила",
		"номер могилы", "идентификатор могилы", "могила №",
	},
	"dna_sample_ref": {
		"dna sample", "dna sample reference", "dna sample ref", "dna", "dna ref", "dna sample number",
		"зразок днк", "днк", "номер зразка днк", "проба днк",
		"образец днк", "номер образца днк",
	},
	"status": {
		"status", "registry status", "search status",
		"статус", "статус розшуку", "стан розшуку",
		"статус поиска", "состояние поиска",
	},
	"notes": {
		"notes", "note", "remarks", "remark", "comment", "comments",
		"примітка", "примітки", "коментар", "коментарі", "зауваження",
		"примечание", "примечания", "комментарий", "комментарии",
	},
	FieldFullName: {
		"full name", "name", "full name of the person", "surname name patronymic", "surname given names",
		"піб", "п.і.б.", "п. і. б.", "прізвище ім'я по батькові", "прізвище ім'я та по батькові", "прізвище та ім'я", "прізвище, ім'я, по батькові",
		"фио", "ф.и.о.", "ф. и. о.", "фамилия имя отчество", "фамилия, имя, отчество", "фамилия и имя",
	},
	FieldFullNameLatin: {
		"full name latin", "full name (latin)", "name latin", "name (latin)",
		"піб латиницею", "піб (латиницею)", "прізвище ім'я латиницею",
		"фио латиницей", "фио (латиницей)", "фамилия имя латиницей",
	},
}

// rowNumberHeaders are headers of a running number column ("№ п/п"), which
// numbers rows of one version of a list and means nothing about the person.
var rowNumberHeaders = map[string]bool{
	"номер п п": true, "номер з п": true, "п п": true, "з п": true,
	"порядковий номер": true, "порядковый номер": true, "номер по порядку": true,
	"row": true, "row number": true, "no": true, "nr": true, "n": true, "номер пп": true, "номер зп": true,
}

var headerIndex = map[string]string{} // normHeader(synonym) → field

func init() {
	for _, f := range person.Fields() {
		headerSynonyms[f.Name] = append(headerSynonyms[f.Name], f.Name)
	}
	headerSynonyms[FieldFullName] = append(headerSynonyms[FieldFullName], FieldFullName)
	headerSynonyms[FieldFullNameLatin] = append(headerSynonyms[FieldFullNameLatin], FieldFullNameLatin)
	for field, syns := range headerSynonyms {
		if _, ok := person.FieldByName(field); !ok && field != FieldFullName && field != FieldFullNameLatin {
			panic("listfile: header synonyms for unknown field " + field)
		}
		for _, s := range syns {
			k := normHeader(s)
			if other, dup := headerIndex[k]; dup && other != field {
				panic(fmt.Sprintf("listfile: header %q means both %s and %s", s, other, field))
			}
			headerIndex[k] = field
		}
	}
}

// latinLookalikes maps Latin letters that look like Cyrillic ones to those
// Cyrillic letters; registries typed on mixed keyboards hold "Прiзвище" with
// a Latin i.
var latinLookalikes = map[rune]rune{
	'a': 'а', 'b': 'в', 'c': 'с', 'e': 'е', 'h': 'н', 'i': 'і', 'k': 'к', 'm': 'м',
	'o': 'о', 'p': 'р', 't': 'т', 'x': 'х', 'y': 'у',
}

// normHeader folds a header or a label for comparison: lower case, ё as е,
// "№" as the word "номер", apostrophes and full stops dropped (so that
// "Ім’я" is "імя" and "П.І.Б." is "піб"), other punctuation as space, runs of
// space as one, and Latin look-alike letters inside Cyrillic words as
// Cyrillic.
func normHeader(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	word := make([]rune, 0, 16)
	flush := func() {
		if len(word) == 0 {
			return
		}
		cyr := false
		for _, r := range word {
			if unicode.Is(unicode.Cyrillic, r) {
				cyr = true
				break
			}
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		for _, r := range word {
			if cyr {
				if c, ok := latinLookalikes[r]; ok {
					r = c
				}
			}
			b.WriteRune(r)
		}
		word = word[:0]
	}
	for _, r := range strings.ToLower(s) {
		switch {
		case r == 'ё':
			word = append(word, 'е')
		case isApostrophe(r) || r == '.':
			// inside a word: "ім'я", "п.і.б." (checked before letters:
			// U+02BC, the apostrophe of Ukrainian orthography, is a letter)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			word = append(word, r)
		case r == '№':
			flush()
			space = true
			word = append(word, []rune("номер")...)
			flush()
			space = true
		default:
			flush()
			space = true
		}
	}
	flush()
	return b.String()
}

func isApostrophe(r rune) bool {
	switch r {
	case '\'', '’', 'ʼ', '‘', '`', '´', 'ʹ', '′', 'ˈ':
		return true
	}
	return false
}

// recognise returns the field a header names, or "" when it names none.
// Parenthesised hints ("Дата народження (дд.мм.рррр)") and bilingual headers
// ("Прізвище / Surname") are understood when their parts agree.
func recognise(header string) string {
	if f, ok := headerIndex[normHeader(header)]; ok {
		return f
	}
	if strings.ContainsAny(header, "([") {
		stripped := stripBrackets(header)
		if f, ok := headerIndex[normHeader(stripped)]; ok {
			return f
		}
		header = stripped
	}
	parts := strings.FieldsFunc(header, func(r rune) bool { return r == '/' || r == '|' || r == '\n' || r == '\\' })
	if len(parts) < 2 {
		return ""
	}
	field := ""
	for _, p := range parts {
		f, ok := headerIndex[normHeader(p)]
		if !ok {
			continue
		}
		if field != "" && f != field {
			return ""
		}
		field = f
	}
	return field
}

// stripBrackets removes text in parentheses or square brackets.
func stripBrackets(s string) string {
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch r {
		case '(', '[':
			depth++
		case ')', ']':
			if depth > 0 {
				depth--
			}
		default:
			if depth == 0 {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// isRowNumberHeader reports whether the header names a running number.
func isRowNumberHeader(header string) bool {
	switch strings.TrimSpace(header) {
	case "#", "№":
		return true
	}
	return rowNumberHeaders[normHeader(header)]
}

// extraPrefix marks a column holding an extra attribute in files Write made.
const extraPrefix = "extra:"

// mapOverride is Options.Map checked and indexed.
type mapOverride struct {
	exact map[string]string // header as given → target
	norm  map[string]string // normHeader(header) → target
	keys  map[string]string // normHeader(header) → header as given, to report unused entries
	used  map[string]bool
}

func newMapOverride(m map[string]string) (*mapOverride, error) {
	o := &mapOverride{exact: map[string]string{}, norm: map[string]string{}, keys: map[string]string{}, used: map[string]bool{}}
	for h, target := range m {
		t := strings.TrimSpace(target)
		switch {
		case t == FieldFullName || t == FieldFullNameLatin || t == FieldExtra || t == FieldIgnore:
		case strings.HasPrefix(t, extraPrefix) && len(t) > len(extraPrefix):
		default:
			if _, ok := person.FieldByName(t); !ok {
				return nil, fmt.Errorf("listfile: column map: %q → %q: no such field (want a field name such as surname or service_number, or full_name, extra, ignore)", h, target)
			}
		}
		h = strings.TrimSpace(h)
		o.exact[h] = t
		o.norm[normHeader(h)] = t
		o.keys[normHeader(h)] = h
	}
	return o, nil
}

// lookup returns the target the map gives the header.
func (o *mapOverride) lookup(header string) (string, bool) {
	h := strings.TrimSpace(header)
	if t, ok := o.exact[h]; ok {
		o.used[normHeader(h)] = true
		return t, true
	}
	n := normHeader(h)
	if t, ok := o.norm[n]; ok {
		o.used[n] = true
		return t, true
	}
	return "", false
}

// unused returns the map's headers that matched no column, in a stable order.
func (o *mapOverride) unused() []string {
	var out []string
	for n, h := range o.keys {
		if !o.used[n] {
			out = append(out, h)
		}
	}
	sort.Strings(out)
	return out
}
