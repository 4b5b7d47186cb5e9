package cli

import (
	"strings"
	"testing"
)

func TestInitPublishesKeysInTheLog(t *testing.T) {
	g := initDir(t, "")
	code, out, errOut := run(t, append(g, "log", "checkpoint")...)
	if code != 0 {
		t.Fatalf("log checkpoint: %s", errOut)
	}
	// Origin line, then the size: one entry, the published keys.
	lines := strings.Split(out, "\n")
	if len(lines) < 2 || lines[1] != "1" {
		t.Fatalf("checkpoint after init = %q, want size 1", out)
	}
	if code, _, errOut = run(t, append(g, "init", "--party", "A=Party A", "--party", "B=Party B")...); code == 0 || !strings.Contains(errOut, "already holds Parley data") {
		t.Errorf("second init: exit %d, %q", code, errOut)
	}
	if code, _, _ = run(t, "--data", t.TempDir(), "init", "--party", "A=Only one"); code != 2 {
		t.Errorf("init with one party: exit %d, want 2", code)
	}
}
