package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"parley/internal/store/storetest"
)

// TestDisputeAndDeathCommands drives the commands of disputes and deaths:
// an acknowledgement with a reservation (and without), a contested row, a
// claim from the left-off report, an answer, a death recorded and
// released.
func TestDisputeAndDeathCommands(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		g := initDir(t, b.URL)
		must := func(args ...string) string {
			t.Helper()
			code, out, errOut := run(t, append(g, args...)...)
			if code != 0 {
				t.Fatalf("%v: exit %d: %s", args, code, errOut)
			}
			return out
		}
		importList := func() string {
			id := strings.TrimSpace(must("list", "import", "../service/testdata/first-list.csv", "--from", "A", "--to", "B", "--title", "First list"))
			must("list", "handover", id)
			return id
		}
		plain, id := importList(), importList()
		if out := must("list", "ack", plain); strings.Contains(out, "reservation") {
			t.Errorf("ack without a reservation printed %q", out)
		}
		out := must("list", "ack", id, "--reservation", "Row 3: unit unknown to us.")
		if !strings.Contains(out, "reservation to A: open") || !strings.Contains(out, "acknowledged") {
			t.Errorf("ack --reservation printed %q", out)
		}
		if code, _, errOut := run(t, append(g, "list", "contest", id, "--row", "2", "--reason", "bogus")...); code == 0 || !strings.Contains(errOut, "row 2, field reason") {
			t.Errorf("contest with a bad reason: exit %d, %s", code, errOut)
		}
		if out := must("list", "contest", id, "--row", "2", "--reason", "already_returned", "--note", "Returned in May."); !strings.Contains(out, "contest of row 2") {
			t.Errorf("contest printed %q", out)
		}
		must("registry", "import", "testdata/registry-B.csv", "--party", "B")
		runID := strings.TrimSpace(must("matches", "run", id))
		if out := must("matches", "claim", runID); !strings.Contains(out, "claim of") {
			t.Errorf("claim printed %q", out)
		}
		// In Ukrainian (--lang, as LANG would): the reasons, states and
		// headers in the reader's words.
		if out := must("--lang", "uk", "dispute", "ls", "--open"); !strings.Contains(out, "вже повернутий") || !strings.Contains(out, "ПРИЧИНА") || strings.Contains(out, "already_returned") || strings.Contains(out, "open") {
			t.Errorf("dispute ls in Ukrainian:\n%s", out)
		}
		for lang, want := range map[string]string{
			"uk": "ІД ВІД КОМУ ВЕРСІЯ СТАН ЗАПИСІВ НАЗВА",
			"ru": "ИД ОТ КОМУ ВЕРСИЯ СОСТОЯНИЕ ЗАПИСЕЙ НАЗВАНИЕ",
			"en": "ID FROM TO VERSION STATE ENTRIES TITLE",
		} {
			out := must("--lang", lang, "list", "ls")
			if head, _, _ := strings.Cut(out, "\n"); strings.Join(strings.Fields(head), " ") != want {
				t.Errorf("list ls in %s: header %q, want %q", lang, head, want)
			}
		}
		var ds []struct {
			ID, Kind, State, Answer string
		}
		if err := json.Unmarshal([]byte(must("dispute", "ls", "--json", "--open")), &ds); err != nil || len(ds) != 3 {
			t.Fatalf("dispute ls: %v %+v", err, ds)
		}
		if code, _, _ := run(t, append(g, "dispute", "answer", ds[1].ID, "--answer", "rejected")...); code == 0 {
			t.Error("a rejection without a reason was taken")
		}
		if out := must("dispute", "answer", ds[1].ID, "--answer", "new_version"); !strings.Contains(out, "answered: will appear in a new version") {
			t.Errorf("answer printed %q", out)
		}

		out = must("death", "record", id, "--row", "1", "--date", "2025-05-20", "--place", "Camp 3", "--cause", "heart failure",
			"--burial", "village cemetery", "--reported-by", "camp commandant", "--document", "certificate 17", "--document", "report 3")
		deathID := strings.Fields(out)[0]
		if !strings.Contains(out, "waits for release") {
			t.Errorf("death record printed %q", out)
		}
		wrong := strings.Fields(must("death", "record", id, "--row", "2", "--reported-by", "a rumour"))[0]
		if code, _, _ := run(t, append(g, "death", "withdraw", wrong)...); code == 0 {
			t.Error("a withdrawal without a reason was taken")
		}
		if out := must("death", "withdraw", wrong, "--reason", "another man of the same name"); !strings.Contains(out, "withdrawn") {
			t.Errorf("death withdraw printed %q", out)
		}
		if out := must("death", "ls", "--pending"); !strings.Contains(out, deathID) || !strings.Contains(out, "(pending)") || strings.Contains(out, wrong) {
			t.Errorf("death ls --pending:\n%s", out)
		}
		if out := must("death", "release", deathID, "--text", "We are sorry. The tracing office will call you."); !strings.Contains(out, "released") {
			t.Errorf("death release printed %q", out)
		}
		if out := must("death", "ls", "--pending"); strings.Contains(out, deathID) {
			t.Errorf("a released death is still pending:\n%s", out)
		}
	})
}
