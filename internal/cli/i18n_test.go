package cli

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestImportProblemsInLocale imports a file with one mistake a row
// (../listfile/testdata/problems-i18n.csv) with LANG set to a Ukrainian
// and a Russian locale, and with --lang, and checks that every problem is
// printed in that language.
func TestImportProblemsInLocale(t *testing.T) {
	var cases []struct {
		Row    int
		Kind   string
		UK, RU string
	}
	b, err := os.ReadFile("../listfile/testdata/problems-i18n.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	g := initDir(t, "")
	tests := []struct {
		name, locale, flag string
		row, refused       string
		phrase             func(i int) string
	}{
		{"LANG uk", "uk_UA.UTF-8", "", "рядок", "нічого не імпортовано", func(i int) string { return cases[i].UK }},
		{"LANG ru", "ru_RU.UTF-8", "", "строка", "ничего не импортировано", func(i int) string { return cases[i].RU }},
		{"--lang ru over LANG uk", "uk_UA.UTF-8", "ru", "строка", "ничего не импортировано", func(i int) string { return cases[i].RU }},
		{"LANG en", "en_GB.UTF-8", "", "row", "nothing was imported", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("LC_ALL", "")
			t.Setenv("LC_MESSAGES", "")
			t.Setenv("LANG", tt.locale)
			args := append([]string{}, g...)
			if tt.flag != "" {
				args = append(args, "--lang", tt.flag)
			}
			args = append(args, "list", "import", "../listfile/testdata/problems-i18n.csv", "--from", "A", "--to", "B", "--title", "x")
			code, out, errOut := run(t, args...)
			if code != 1 || out != "" {
				t.Fatalf("exit %d, stdout %q; want 1 and nothing", code, out)
			}
			lines := strings.Split(errOut, "\n")
			for i, c := range cases {
				prefix := tt.row + " " + strconv.Itoa(c.Row) + ","
				var line string
				for _, l := range lines {
					if strings.HasPrefix(l, prefix) {
						line = l
						break
					}
				}
				if line == "" {
					t.Errorf("%s: no line for row %d (%s) in:\n%s", tt.name, c.Row, c.Kind, errOut)
					continue
				}
				if tt.phrase != nil && !strings.Contains(line, tt.phrase(i)) {
					t.Errorf("%s: row %d (%s): %q lacks %q", tt.name, c.Row, c.Kind, line, tt.phrase(i))
				}
			}
			if !strings.Contains(errOut, tt.refused) {
				t.Errorf("%s: stderr lacks %q:\n%s", tt.name, tt.refused, errOut)
			}
		})
	}
}
