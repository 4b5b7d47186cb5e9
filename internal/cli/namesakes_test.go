package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// matchWithNamesakes generates a list and a registry of n records, adds a
// namesake (same name and date of birth, another record) for every list
// person found in the registry among the first rows, and matches: the
// registry is accepted and a list row fitting two namesakes goes to review.
func matchWithNamesakes(t *testing.T, n int) {
	dir := t.TempDir()
	if code, _, errOut := matchMain(t, "bench", "gen", "--list", "300", "--registry", strconv.Itoa(n), "--out", dir); code != 0 {
		t.Fatalf("bench gen: %s", errOut)
	}
	truth := parseCSV(t, readFile(t, filepath.Join(dir, "truth.csv")))
	regPath := filepath.Join(dir, "registry.csv")
	reg := parseCSV(t, readFile(t, regPath))
	snCol := slices.Index(reg[0], "service_number")
	// Copy the registry rows of up to 40 list persons as namesakes.
	twinOf := map[string]bool{}
	var extra []string
	for _, tr := range truth[1:] {
		if tr[1] == "" || len(extra) == 40 {
			continue
		}
		row, _ := strconv.Atoi(tr[1])
		twinOf[tr[0]] = true
		rec := append([]string(nil), reg[row]...)
		// A namesake is another man: where the registry knows the
		// service number, his differs (the same number would make the
		// copy the same man entered twice, who does not compete).
		if sn := snCol; sn >= 0 && rec[sn] != "" {
			rec[sn] = "NS" + rec[sn]
		}
		extra = append(extra, csvLine(rec))
	}
	f, err := os.OpenFile(regPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(strings.Join(extra, "")); err != nil {
		t.Fatal(err)
	}
	f.Close()
	code, out, errOut := matchMain(t, "match", "--list", filepath.Join(dir, "list.csv"), "--registry", regPath)
	if code != 0 {
		t.Fatalf("parley match refused a registry with namesakes: %s", errOut)
	}
	if !strings.Contains(errOut, "namesake") {
		t.Errorf("the namesakes are not reported: %s", errOut)
	}
	recs := parseCSV(t, out)
	if len(recs) != len(truth) {
		t.Fatalf("%d result rows, want %d", len(recs)-1, len(truth)-1)
	}
	// A list row that carries the service number tells the two apart
	// and may be matched, to its own man's record; one that does not
	// must go to review.
	list := parseCSV(t, readFile(t, filepath.Join(dir, "list.csv")))
	listSN := slices.Index(list[0], "service_number")
	truthRow := map[string]string{}
	for _, tr := range truth[1:] {
		truthRow[tr[0]] = tr[1]
	}
	twins, reviewed := 0, 0
	for _, r := range recs[1:] {
		if !twinOf[r[0]] {
			continue
		}
		twins++
		told := listSN >= 0 && list[mustAtoi(r[0])][listSN] != ""
		switch {
		case r[3] == "match" && !told:
			t.Errorf("list row %d fits two namesakes and has no service number but is a match: %v", mustAtoi(r[0]), r)
		case r[3] == "match" && r[1] != truthRow[r[0]]:
			t.Errorf("list row %d is matched to registry row %s, want its own man's row %s: %v", mustAtoi(r[0]), r[1], truthRow[r[0]], r)
		case r[3] == "review":
			reviewed++
		}
	}
	if twins == 0 || reviewed == 0 {
		t.Errorf("%d list rows with namesakes, %d sent to review", twins, reviewed)
	}
}

func csvLine(rec []string) string {
	for i, v := range rec {
		if strings.ContainsAny(v, "\",\n") {
			rec[i] = `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
		}
	}
	return strings.Join(rec, ",") + "\n"
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustAtoi(s string) int { n, _ := strconv.Atoi(s); return n }

func TestMatchRegistryWithNamesakes(t *testing.T) { matchWithNamesakes(t, 20000) }

// TestMatchMillionWithNamesakes is the same with a registry of 1,000,000
// records; it takes minutes, so it runs only with PARLEY_LONG=1.
func TestMatchMillionWithNamesakes(t *testing.T) {
	if testing.Short() || os.Getenv("PARLEY_LONG") != "1" {
		t.Skip("a registry of 1,000,000 records: set PARLEY_LONG=1")
	}
	matchWithNamesakes(t, 1000000)
}
