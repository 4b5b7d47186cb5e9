package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func matchMain(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func parseCSV(t *testing.T, s string) [][]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v\n%s", err, s)
	}
	return recs
}

var scoreFormat = regexp.MustCompile(`^[01]\.\d{4}$`)

func TestMatchCommandOutput(t *testing.T) {
	list, reg := filepath.Join("testdata", "match", "list.csv"), filepath.Join("testdata", "match", "registry.csv")
	code, out, errOut := matchMain(t, "match", "--list", list, "--registry", reg)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	recs := parseCSV(t, out)
	if got := strings.Join(recs[0], ","); got != "list_row,registry_row,score,decision,reason" {
		t.Fatalf("header %q", got)
	}
	// list_row → expected registry_row and decisions allowed.
	want := []struct {
		reg       string
		decisions string
		reason    string
	}{
		{"1", "match", "birth_date day/month swapped"},          // Russian forms, day and month swapped
		{"3", "match", "service_number agree"},                  // Latin, year only, service number with spaces and dashes
		{"4", "match", "patronymic agree (Ильич≈Ілліч)"},        // Russian forms of an apostrophe name
		{"5", "match review", "given name and surname swapped"}, // swapped order
		{"", "none", "no candidate in the registry"},            // not in the registry
		{"6", "match review", "given initial (А.~Ганна)"},       // initials, Ганна/Анна
		{"", "none review", "birth_date disagree"},              // a namesake with another date of birth
	}
	if len(recs) != len(want)+1 {
		t.Fatalf("%d result rows for %d list rows:\n%s", len(recs)-1, len(want), out)
	}
	for i, w := range want {
		r := recs[i+1]
		if r[0] != strconv.Itoa(i+1) {
			t.Errorf("row %d: list_row %q", i+1, r[0])
		}
		if !scoreFormat.MatchString(r[2]) {
			t.Errorf("row %d: score %q is not a number with 4 decimals", i+1, r[2])
		}
		if !strings.Contains(" "+w.decisions+" ", " "+r[3]+" ") {
			t.Errorf("row %d: decision %q, want one of %q (%s)", i+1, r[3], w.decisions, r[4])
		}
		if r[3] == "match" && r[1] != w.reg {
			t.Errorf("row %d: registry_row %q, want %q", i+1, r[1], w.reg)
		}
		if r[3] == "none" && r[1] != "" {
			t.Errorf("row %d: decision none with registry_row %q", i+1, r[1])
		}
		if !strings.Contains(r[4], w.reason) {
			t.Errorf("row %d: reason %q lacks %q", i+1, r[4], w.reason)
		}
	}
	if !strings.Contains(errOut, "matched 7 list rows against 6 registry rows in ") {
		t.Errorf("no summary line on stderr: %q", errOut)
	}

	// --out and --explain.
	dst := filepath.Join(t.TempDir(), "out.csv")
	code, out, errOut = matchMain(t, "match", "--list", list, "--registry", reg, "--out", dst, "--explain", "--threshold-match", "0.999")
	if code != 0 || out != "" {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, out, errOut)
	}
	data, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	recs = parseCSV(t, string(data))
	if !strings.Contains(recs[1][4], "surname agree +") || !strings.Contains(recs[1][4], "unit missing +0.0") {
		t.Errorf("explained reason %q lacks weights", recs[1][4])
	}
	if recs[1][3] != "review" { // 0.9987 is below the raised threshold
		t.Errorf("threshold not applied: %v", recs[1])
	}
}

func TestMatchCommandProblems(t *testing.T) {
	list, reg := filepath.Join("testdata", "match", "list-bad.csv"), filepath.Join("testdata", "match", "registry.csv")
	code, out, errOut := matchMain(t, "match", "--list", list, "--registry", reg)
	if code != 1 || out != "" {
		t.Fatalf("exit %d, stdout %q; want 1 and nothing", code, out)
	}
	if !strings.Contains(errOut, `row 2, column birth_date: value "1995-13-45"`) {
		t.Errorf("problem not reported: %s", errOut)
	}
	code, out, errOut = matchMain(t, "match", "--list", list, "--registry", reg, "--skip-invalid")
	if code != 0 {
		t.Fatalf("--skip-invalid: exit %d: %s", code, errOut)
	}
	recs := parseCSV(t, out)
	if len(recs) != 3 || recs[1][0] != "1" || recs[2][0] != "3" {
		t.Fatalf("--skip-invalid output, want rows 1 and 3 with their file numbers:\n%s", out)
	}
	if recs[2][1] != "3" || recs[2][3] != "match" {
		t.Errorf("row 3: %v", recs[2])
	}

	for _, args := range [][]string{
		{"match", "--list", list},
		{"match", "--list", list, "--registry", reg, "extra"},
		{"match", "--list", "nosuch.csv", "--registry", reg},
		{"match", "--list", "list.doc", "--registry", reg},
	} {
		if code, _, _ := matchMain(t, args...); code == 0 {
			t.Errorf("%v: exit 0", args)
		}
	}
}

// bench gen writes files that match reads, with the right answers beside.
func TestBenchGenThenMatch(t *testing.T) {
	dir := t.TempDir()
	code, _, errOut := matchMain(t, "bench", "gen", "--list", "200", "--registry", "2000", "--seed", "3", "--out", dir)
	if code != 0 {
		t.Fatalf("bench gen: exit %d: %s", code, errOut)
	}
	code, out, errOut := matchMain(t, "match", "--list", filepath.Join(dir, "list.csv"), "--registry", filepath.Join(dir, "registry.csv"))
	if code != 0 {
		t.Fatalf("match: exit %d: %s", code, errOut)
	}
	truthData, err := os.ReadFile(filepath.Join(dir, "truth.csv"))
	if err != nil {
		t.Fatal(err)
	}
	truth := parseCSV(t, string(truthData))
	results := parseCSV(t, out)
	if len(truth) != 201 || len(results) != 201 || strings.Join(truth[0], ",") != "list_row,registry_row" {
		t.Fatalf("%d truth rows, %d results", len(truth), len(results))
	}
	var tp, fp, present int
	for i := 1; i < len(truth); i++ {
		if truth[i][0] != results[i][0] {
			t.Fatalf("row %d: truth for %s, result for %s", i, truth[i][0], results[i][0])
		}
		if truth[i][1] != "" {
			present++
		}
		if results[i][3] == "match" {
			if results[i][1] == truth[i][1] {
				tp++
			} else {
				fp++
			}
		}
	}
	if tp < present*95/100 || fp > 2 {
		t.Errorf("%d right matches of %d present, %d wrong", tp, present, fp)
	}
	// The same seed writes the same files.
	dir2 := t.TempDir()
	matchMain(t, "bench", "gen", "--list", "200", "--registry", "2000", "--seed", "3", "--out", dir2)
	for _, f := range []string{"list.csv", "registry.csv", "truth.csv"} {
		a, _ := os.ReadFile(filepath.Join(dir, f))
		b, _ := os.ReadFile(filepath.Join(dir2, f))
		if !bytes.Equal(a, b) || len(a) == 0 {
			t.Errorf("%s differs between two runs with one seed", f)
		}
	}
	if code, _, _ := matchMain(t, "bench", "gen", "--list", "10"); code == 0 {
		t.Error("bench gen without --out succeeded")
	}
}
