package nodetest

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDemo runs "parley demo" as a newcomer would (here without serving
// afterwards): a hub and the nodes of A and B on loopback, three
// listeners each printed with its sign-in credentials, and the first list
// carried from A's node through the hub to B's node, where it is matched
// against B's registry, which the hub never holds.
func TestDemo(t *testing.T) {
	root := filepath.Join(t.TempDir(), "demo")
	code, out, errOut := runParley(t, "", "demo", "--no-serve", "--addr", "127.0.0.1:0", "--data", root)
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errOut)
	}
	urls := regexp.MustCompile(`(?m)^(hub \(mediator\)|node of Party A|node of Party B)\s+http://127\.0\.0\.1:\d+\s+sign in with:$`).FindAllString(out, -1)
	if len(urls) != 3 {
		t.Errorf("demo printed %d listeners, want 3:\n%s", len(urls), out)
	}
	for _, user := range []string{"mediator", "officer-a", "officer-b"} {
		if !regexp.MustCompile(`(?m)^\s+.*\b` + user + `\s+password \S+$`).MatchString(out) {
			t.Errorf("demo printed no password for %s:\n%s", user, out)
		}
	}
	if !strings.Contains(out, "through the hub, to B's node") {
		t.Errorf("demo did not carry the first list to B's node:\n%s", out)
	}
	hub := &inst{t: t, name: "demo hub", dir: filepath.Join(root, "hub")}
	b := &inst{t: t, name: "demo node B", dir: filepath.Join(root, "node-b")}
	if n := hub.count("SELECT COUNT(*) FROM registry_entries"); n != 0 {
		t.Errorf("the demo's hub holds %d registry records", n)
	}
	if n := b.count("SELECT COUNT(*) FROM registry_entries"); n == 0 {
		t.Error("the demo's node of B holds no registry")
	}
	if n := b.count("SELECT COUNT(*) FROM match_runs"); n != 1 {
		t.Errorf("the demo's node of B holds %d matching runs, want 1", n)
	}
}
