package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"parley/internal/store/storetest"
)

// TestListVerifyFile exports a handed-over list, checks the untouched file
// against the receipt, then an edited name and a dropped row, which must be
// named with a non-zero exit.
func TestListVerifyFile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		g := initDir(t, b.URL)
		code, out, errOut := run(t, append(g, "list", "import", "../service/testdata/first-list.csv", "--from", "A", "--to", "B", "--title", "First list")...)
		if code != 0 {
			t.Fatalf("import: %s", errOut)
		}
		id := strings.TrimSpace(out)
		if code, _, errOut = run(t, append(g, "list", "handover", id)...); code != 0 {
			t.Fatalf("handover: %s", errOut)
		}
		dir := t.TempDir()
		receipt := filepath.Join(dir, "receipt.json")
		if code, _, errOut = run(t, append(g, "log", "receipt", id, "-o", receipt)...); code != 0 {
			t.Fatalf("receipt: %s", errOut)
		}
		for _, lang := range []string{"uk", "ru", "en"} {
			file := filepath.Join(dir, "list-"+lang+".csv")
			if code, _, errOut = run(t, append(g, "list", "export", id, "--format", "csv", "--lang", lang, "-o", file)...); code != 0 {
				t.Fatalf("export: %s", errOut)
			}
			data, _ := os.ReadFile(file)
			if !bytes.HasPrefix(data, []byte("\uFEFF")) {
				t.Errorf("%s: no byte-order mark", lang)
			}
			code, out, errOut = run(t, append(g, "list", "verify-file", file, "--receipt", receipt)...)
			if code != 0 || !strings.HasPrefix(out, "OK:") {
				t.Errorf("%s: untouched export: exit %d, %q %q", lang, code, out, errOut)
			}
		}
		data, err := os.ReadFile(filepath.Join(dir, "list-uk.csv"))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitAfter(string(data), "\n")
		// Row 2's surname edited.
		fields := strings.Split(lines[2], ",")
		oldName := fields[2]
		fields[2] = oldName + "о"
		edited := append(append([]string{}, lines[:2]...), strings.Join(fields, ","))
		edited = append(edited, lines[3:]...)
		// Row 2 dropped.
		dropped := append(append([]string{}, lines[:2]...), lines[3:]...)
		for _, tt := range []struct {
			name, content string
			wants         []string
		}{
			{"edited", strings.Join(edited, ""), []string{"DIFFERS", "row 2 (", "field surname", `recorded "` + oldName + `", file "` + oldName + `о"`}},
			{"dropped", strings.Join(dropped, ""), []string{"DIFFERS", "row 2 (", "missing from the file"}},
		} {
			f := filepath.Join(dir, tt.name+".csv")
			if err := os.WriteFile(f, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out, _ = run(t, append(g, "list", "verify-file", f, "--receipt", receipt)...)
			if code == 0 {
				t.Errorf("%s file passed:\n%s", tt.name, out)
			}
			for _, w := range tt.wants {
				if !strings.Contains(out, w) {
					t.Errorf("%s: output lacks %q:\n%s", tt.name, w, out)
				}
			}
			if tt.name == "dropped" && strings.Contains(out, "row 3 (") {
				t.Errorf("dropping one row named a later one:\n%s", out)
			}
		}
		// A tampered receipt is refused.
		rd, _ := os.ReadFile(receipt)
		bad := filepath.Join(dir, "bad.json")
		os.WriteFile(bad, bytes.Replace(rd, []byte(`"index": `), []byte(`"index": 1`), 1), 0o600)
		if code, _, _ = run(t, append(g, "list", "verify-file", filepath.Join(dir, "list-uk.csv"), "--receipt", bad)...); code == 0 {
			t.Error("a tampered receipt was accepted")
		}
	})
}

// TestListExportPDF writes the PDF through the command line, in the
// language of LANG and of --lang.
func TestListExportPDF(t *testing.T) {
	g := initDir(t, "")
	code, out, errOut := run(t, append(g, "list", "import", "../service/testdata/first-list.csv", "--from", "A", "--to", "B", "--title", "First list")...)
	if code != 0 {
		t.Fatalf("import: %s", errOut)
	}
	id := strings.TrimSpace(out)
	file := filepath.Join(t.TempDir(), "list.pdf")
	t.Setenv("LANG", "uk_UA.UTF-8")
	if code, _, errOut = run(t, append(g, "list", "export", id, "--format", "pdf", "-o", file)...); code != 0 {
		t.Fatalf("export pdf: %s", errOut)
	}
	data, err := os.ReadFile(file)
	if err != nil || !bytes.HasPrefix(data, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %v %.20q", err, data)
	}
	if code, _, _ = run(t, append(g, "list", "export", id, "--format", "pdf", "--lang", "de", "-o", file)...); code != 2 {
		t.Errorf("--lang de: exit %d, want 2", code)
	}
}

// TestStagePrint prints a witnessed agreement.
func TestStagePrint(t *testing.T) {
	g := initDir(t, "")
	la := importHandedOver(t, g, "../service/testdata/negotiation/list-A.csv", "A", "B")
	lb := importHandedOver(t, g, "../service/testdata/negotiation/list-B.csv", "B", "A")
	code, out, errOut := run(t, append(g, "round", "create", "--title", "R", "--party", "A", "--party", "B", "--starts", "2025-06-02")...)
	if code != 0 {
		t.Fatalf("round create: %s", errOut)
	}
	round := strings.TrimSpace(out)
	code, out, errOut = run(t, append(g, "stage", "propose", "--round", round, "--from", "A", "--rule", "one-for-one", "--release", la+":1", "--release", lb+":1")...)
	if code != 0 {
		t.Fatalf("propose: %s", errOut)
	}
	prop := strings.TrimSpace(out)
	if code, _, errOut = run(t, append(g, "stage", "accept", prop, "--as", "B")...); code != 0 {
		t.Fatalf("accept: %s", errOut)
	}
	code, out, errOut = run(t, append(g, "stage", "witness", prop)...)
	if code != 0 {
		t.Fatalf("witness: %s", errOut)
	}
	ag := strings.TrimSpace(out)
	file := filepath.Join(t.TempDir(), "agreement.pdf")
	if code, _, errOut = run(t, append(g, "stage", "print", ag, "--lang", "ru", "-o", file)...); code != 0 {
		t.Fatalf("stage print: %s", errOut)
	}
	if data, err := os.ReadFile(file); err != nil || !bytes.HasPrefix(data, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %v", err)
	}
	if code, _, _ = run(t, append(g, "stage", "print", "G-none", "-o", file)...); code == 0 {
		t.Error("printing an unknown agreement succeeded")
	}
}
