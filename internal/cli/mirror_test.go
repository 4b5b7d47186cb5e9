package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"parley/internal/mirror"
	"parley/internal/store"
)

// TestNodeStatus runs a hub and checks a node's status against it: the
// exact keys, a verified and cosigned mirror, an alarm that makes the
// command fail until it is acknowledged, and a hub that is down.
func TestNodeStatus(t *testing.T) {
	hub := filepath.Join(t.TempDir(), "hub")
	if code, _, errs := run(t, "--data", hub, "init", "--hub", "--party", "A=Party A", "--party", "B=Party B"); code != 0 {
		t.Fatalf("init --hub: %s", errs)
	}
	base, stop := serveInProcess(t, []string{"--data", hub})
	node := filepath.Join(t.TempDir(), "a")
	code, out, errs := run(t, "--data", node, "init", "--node", "A", "--hub", base)
	keys := strings.Fields(out)
	if code != 0 || len(keys) != 2 {
		t.Fatalf("init --node: %d %q %s", code, out, errs)
	}
	if code, _, errs := run(t, append([]string{"--data", hub, "party", "trust", "A"}, keys...)...); code != 0 {
		t.Fatalf("party trust: %s", errs)
	}
	if code, _, errs := run(t, "--data", node, "node", "peer", "add", "http://127.0.0.1:9"); code != 0 {
		t.Fatalf("peer add: %s", errs)
	}
	if _, out, _ := run(t, "--data", node, "node", "peer", "ls"); !strings.Contains(out, "http://127.0.0.1:9") {
		t.Fatalf("peer ls: %q", out)
	}

	status := func() (int, map[string]any, string) {
		t.Helper()
		code, out, errs := run(t, "--data", node, "node", "status", "--json")
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("status output %q: %v (%s)", out, err, errs)
		}
		return code, m, errs
	}
	code, st, errs := status()
	if code != 0 {
		t.Fatalf("status: %d %s", code, errs)
	}
	want := []string{"alarm", "cosigned_size", "hub", "lists_received", "log_size", "party", "queued", "verified_size"}
	var got []string
	for k := range st {
		got = append(got, k)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("status keys %v, want %v", got, want)
	}
	if st["party"] != "A" || st["hub"] != base || st["alarm"] != nil || st["log_size"].(float64) < 2 ||
		st["verified_size"] != st["log_size"] || st["cosigned_size"] != st["log_size"] {
		t.Fatalf("status: %v", st)
	}

	// An alarm fails the status until an officer acknowledges it.
	ctx := context.Background()
	db, err := store.Open(ctx, node, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.RaiseAlarm(ctx, mirror.Alarm{Kind: mirror.KindTruncated, Subject: "size 99", Params: map[string]string{"size": "2", "trusted_size": "99"}, LastSeen: time.Now()}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, st, _ = status()
	if alarm, _ := st["alarm"].(string); code == 0 || !strings.Contains(alarm, "truncated") || !strings.Contains(alarm, "99") {
		t.Fatalf("status with an alarm: %d %v", code, st)
	}
	_, out, _ = run(t, "--data", node, "node", "alarm", "ls", "--json", "--lang", "uk")
	var as []struct {
		ID, Kind, Message string
	}
	if err := json.Unmarshal([]byte(out), &as); err != nil || len(as) != 1 || !strings.Contains(as[0].Message, "скорочено") {
		t.Fatalf("alarm ls: %q %v", out, err)
	}
	if code, _, errs := run(t, "--data", node, "node", "alarm", "ack", as[0].ID); code != 0 {
		t.Fatalf("alarm ack: %s", errs)
	}
	if code, st, errs := status(); code != 0 || st["alarm"] != nil {
		t.Fatalf("status after ack: %d %v %s", code, st, errs)
	}

	// The hub down: the status says so and fails, with what the node holds.
	stop()
	code, st, errs = status()
	if code == 0 || !strings.Contains(errs, "cannot be reached") || st["verified_size"] == nil {
		t.Fatalf("status with the hub down: %d %v %s", code, st, errs)
	}
}
