package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"parley/internal/pfif"
	"parley/internal/store/storetest"
)

func TestInquiryPFIFCommands(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		g := initDir(t, b.URL)
		const in = "../pfif/testdata/pfif-1.4-partial-dates.xml"
		code, out, errOut := run(t, append(g, "inquiry", "import", "--format", "pfif", "--party", "B", in)...)
		if code != 0 || !strings.Contains(out, "3 inquiries imported, 0 records skipped") {
			t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
		}
		// Importing the same records again adds nothing.
		if code, out, errOut = run(t, append(g, "inquiry", "import", in, "--party", "B")...); code != 0 || !strings.Contains(out, "0 inquiries imported, 3 records skipped") || !strings.Contains(errOut, "imported before") {
			t.Errorf("second import: exit %d\n%s%s", code, out, errOut)
		}
		dir := t.TempDir()
		first := filepath.Join(dir, "first.xml")
		if code, _, errOut = run(t, append(g, "inquiry", "export", "--format", "pfif", "-o", first)...); code != 0 {
			t.Fatalf("export: exit %d: %s", code, errOut)
		}
		orig := parseFile(t, in)
		got := parseFile(t, first)
		if len(got.Persons) != len(orig.Persons) {
			t.Fatalf("%d persons exported, want %d", len(got.Persons), len(orig.Persons))
		}
		want := map[string]pfif.Person{}
		for _, p := range orig.Persons {
			want[p.RecordID] = p
		}
		for _, p := range got.Persons {
			o, ok := want[p.RecordID]
			if !ok || p.FullName != o.FullName || p.DateOfBirth != o.DateOfBirth || p.SourceDate != o.SourceDate {
				t.Errorf("exported %+v, want %+v", p, o)
			}
		}

		// Into a second installation and out again: the same document.
		g2 := initDir(t, "")
		if code, _, errOut = run(t, append(g2, "inquiry", "import", "--format", "pfif", "--party", "B", first)...); code != 0 {
			t.Fatalf("import of the export: %s", errOut)
		}
		second := filepath.Join(dir, "second.xml")
		if code, _, errOut = run(t, append(g2, "inquiry", "export", "--format", "pfif", "-o", second)...); code != 0 {
			t.Fatalf("second export: %s", errOut)
		}
		a, _ := os.ReadFile(first)
		c, _ := os.ReadFile(second)
		if string(a) != string(c) {
			t.Errorf("import → export → import changed the file:\n%s\n---\n%s", a, c)
		}
		if code, _, _ = run(t, append(g, "inquiry", "relink")...); code != 0 {
			t.Errorf("relink: exit %d", code)
		}
	})
}

func TestInquiryCommandUsage(t *testing.T) {
	g := initDir(t, "")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no party", []string{"inquiry", "import", "x.xml"}, "usage"},
		{"csv", []string{"inquiry", "import", "--format", "csv", "--party", "B", "x.xml"}, "pfif"},
		{"no output", []string{"inquiry", "export"}, "usage"},
		{"bad domain", []string{"inquiry", "export", "-o", "-", "--domain", "a/b"}, "--domain"},
	}
	for _, tc := range tests {
		code, _, errOut := run(t, append(g, tc.args...)...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d, %q", tc.name, code, errOut)
		}
	}
	code, _, errOut := run(t, append(g, "inquiry", "import", "--party", "Z", "../pfif/testdata/pfif-1.4-partial-dates.xml")...)
	if code == 0 || !strings.Contains(errOut, "unknown party") {
		t.Errorf("unknown party: exit %d, %q", code, errOut)
	}
}

func parseFile(t *testing.T, path string) *pfif.Document {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := pfif.Parse(f, pfif.ParseOptions{})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return doc
}
