package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRegistryCommands(t *testing.T) {
	g := initDir(t, "")
	code, out, errOut := run(t, append(g, "registry", "import", "testdata/registry-B.csv", "--party", "B")...)
	if code != 0 || !strings.Contains(out, "imported 4") {
		t.Fatalf("registry import: exit %d %q %q", code, out, errOut)
	}
	code, out, _ = run(t, append(g, "registry", "show", "--party", "B", "--json")...)
	var reg struct {
		Party   string
		Entries []struct {
			Row         int
			Surname     string
			SurnameLat  string `json:"surname_latin"`
			Status      string
			ServiceNumb string `json:"service_number"`
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &reg) != nil {
		t.Fatalf("registry show: %s", out)
	}
	want := []struct{ surname, latin, status string }{
		{"Шевченко", "Shevchenko", "believed_captured"},
		{"Коваленко", "Kovalenko", "missing"},
		{"Бондаренко", "Bondarenko", "confirmed_captured"},
		{"Ткаченко", "Tkachenko", "believed_captured"},
	}
	if len(reg.Entries) != len(want) {
		t.Fatalf("registry holds %d records", len(reg.Entries))
	}
	for i, w := range want {
		e := reg.Entries[i]
		if e.Row != i+1 || e.Surname != w.surname || e.SurnameLat != w.latin || e.Status != w.status {
			t.Errorf("record %d = %+v, want %+v", i+1, e, w)
		}
	}
	// A registry is never a list: it does not appear among lists.
	if _, out, _ = run(t, append(g, "list", "ls", "--json")...); strings.TrimSpace(out) != "[]" {
		t.Errorf("registry appeared as a list: %s", out)
	}
	if code, _, _ = run(t, append(g, "registry", "import", "testdata/registry-B.csv", "--party", "Z")...); code == 0 {
		t.Error("import for an unknown party must fail")
	}
}
