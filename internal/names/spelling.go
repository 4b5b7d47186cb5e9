package names

import (
	"strings"
	"sync"
)

var (
	formsOnce sync.Once
	ukForms   map[string]bool
	ruForms   map[string]bool
)

func loadForms() {
	formsOnce.Do(func() {
		ukForms, ruForms = map[string]bool{}, map[string]bool{}
		for _, e := range Entries() {
			ukForms[strings.ToLower(e.UK)] = true
			ruForms[strings.ToLower(e.RU)] = true
		}
	})
}

// patronymicEndings are removed to find the father's name in a
// patronymic; the longest first.
var patronymicEndings = []string{"йович", "йовна", "ьович", "ьовна", "ович", "евич", "овна", "евна", "ьич", "ич", "ична", "івна", "ївна"}

// SpellingOf tells, from the table of correspondences, whether a name is
// written in its Russian form only (Сергей, Иванович: the Ukrainian forms
// are Сергій, Іванович) or in its Ukrainian form only. Names that are the
// same in both languages (Олег) and names the table does not know are
// neither. Patronymics are read by the father's name.
func SpellingOf(name string) (ukrainian, russian bool) {
	loadForms()
	for _, w := range strings.Fields(strings.ToLower(name)) {
		cands := []string{w}
		for _, end := range patronymicEndings {
			if stem, ok := strings.CutSuffix(w, end); ok && len([]rune(stem)) >= 2 {
				cands = append(cands, stem, stem+"о", stem+"а", stem+"й")
			}
		}
		for _, c := range cands {
			if ruForms[c] && !ukForms[c] {
				russian = true
			}
			if ukForms[c] && !ruForms[c] {
				ukrainian = true
			}
		}
	}
	return ukrainian, russian
}
