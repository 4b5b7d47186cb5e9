package families

import (
	"strings"
	"unicode"
)

// relationshipWords are the words a family may use for its relation to
// the person, in English, Ukrainian and Russian, each mapped to one of
// Relationships. A form offers the codes; a file, a PFIF record or an API
// client may send the word as people write it ("мати", "мать", "mother").
var relationshipWords = map[string]string{}

func init() {
	add := func(code string, words ...string) {
		relationshipWords[foldWord(code)] = code
		for _, w := range words {
			relationshipWords[foldWord(w)] = code
		}
	}
	add("parent", "mother", "father", "parents", "mum", "mom", "dad",
		"мати", "матір", "мама", "батько", "тато", "батьки", "один з батьків",
		"мать", "отец", "мама", "папа", "родители", "родитель")
	add("spouse", "wife", "husband", "partner",
		"дружина", "чоловік", "жінка", "подружжя", "чоловiк",
		"жена", "муж", "супруг", "супруга")
	add("child", "son", "daughter", "children",
		"син", "донька", "дочка", "дочь", "діти", "дитина",
		"сын", "дочь", "дети", "ребёнок", "ребенок")
	add("sibling", "brother", "sister",
		"брат", "сестра", "рідний брат", "рідна сестра",
		"родной брат", "родная сестра")
	add("grandparent", "grandmother", "grandfather", "grandma", "grandpa",
		"бабуся", "баба", "бабця", "дід", "дідусь",
		"бабушка", "дедушка", "дед")
	add("other_relative", "other relative", "relative", "cousin", "uncle", "aunt", "nephew", "niece", "grandson", "granddaughter",
		"інший родич", "родич", "родичка", "дядько", "тітка", "племінник", "племінниця", "онук", "онука",
		"другой родственник", "родственник", "родственница", "дядя", "тётя", "тетя", "племянник", "племянница", "внук", "внучка")
	add("other", "інше", "інша особа", "другое", "другое лицо")
}

// foldWord lowercases a word and folds its spaces, dashes and
// underscores, so that "Other relative", "other_relative" and
// "other-relative" are one word.
func foldWord(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.ReplaceAll(s, "ё", "е")
	s = strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || unicode.IsSpace(r) {
			return ' '
		}
		if r == '\'' || r == '’' || r == 'ʼ' {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// ParseRelationship reads a relationship given as a code or as a word in
// English, Ukrainian or Russian; ok is false for anything else.
func ParseRelationship(s string) (code string, ok bool) {
	code, ok = relationshipWords[foldWord(s)]
	return code, ok
}
