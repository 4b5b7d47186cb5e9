package cli

import (
	"strings"
	"testing"
)

// The command line through a registry re-import and a second list
// version: bulk confirmation, the registry diff, reviews back to pending
// with their reason, and the person dropped from the list.
func TestIdentityCommands(t *testing.T) {
	g := initDir(t, "")
	data := "../service/testdata/identity/"
	mustRun := func(args ...string) string {
		t.Helper()
		code, out, errOut := run(t, append(g, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		return out
	}
	mustRun("registry", "import", data+"registry-v1.csv", "--party", "B")
	l1 := strings.TrimSpace(mustRun("list", "import", data+"list-v1.csv", "--from", "A", "--to", "B", "--title", "first"))
	mustRun("list", "handover", l1)
	run1 := strings.TrimSpace(mustRun("matches", "run", l1))
	if out := mustRun("matches", "review", run1, "--confirm-all-matches"); out != "confirmed 4 matches\n" {
		t.Errorf("confirm all: %q", out)
	}
	out := mustRun("registry", "import", data+"registry-v2.csv", "--party", "B")
	if !strings.Contains(out, "registry version 2: 0 added, 2 changed, 1 removed") || !strings.Contains(out, `birth_date "1979-11-23" → "1979-12-23"`) {
		t.Errorf("registry import v2:\n%s", out)
	}
	if out := mustRun("registry", "diff", "--party", "B"); !strings.Contains(out, "removed\t") || !strings.Contains(out, "Мельник") {
		t.Errorf("registry diff:\n%s", out)
	}
	if out := mustRun("registry", "versions", "--party", "B"); strings.Count(out, "\n") != 2 {
		t.Errorf("registry versions:\n%s", out)
	}
	out = mustRun("matches", "show", run1)
	if !strings.Contains(out, "pending (registry: date of birth changed from 1979-11-23 to 1979-12-23)") || !strings.Contains(out, "registry record removed") {
		t.Errorf("matches show after the re-import:\n%s", out)
	}
	l2 := strings.TrimSpace(mustRun("list", "import", data+"list-v2.csv", "--from", "A", "--to", "B", "--version-of", l1))
	mustRun("list", "handover", l2)
	run2 := strings.TrimSpace(mustRun("matches", "run", l2))
	out = mustRun("matches", "left-off", run2)
	// Мельник's registry record was removed too, so he is not on the
	// report itself; the list still reports him dropped.
	if !strings.Contains(out, "1 persons of the previous version of the list are not on this one") || !strings.Contains(out, "version 1 row 4") || !strings.Contains(out, "Мельник") {
		t.Errorf("left-off of version 2:\n%s", out)
	}
	if code, _, _ := run(t, append(g, "matches", "review", run2, "1", "--confirm-all-matches")...); code != 2 {
		t.Errorf("--confirm-all-matches with a row: exit %d, want 2", code)
	}
}
