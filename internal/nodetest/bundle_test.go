package nodetest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBundleCarriedByHand: A's delegation works without network. Its node
// hands a list over (queued), exports the statement to a bundle, and the
// file is imported at A's office node, which reaches the hub. A tampered
// copy of the file is refused there with the reason; the genuine one is
// queued and delivered, B receives the list, and when the delegation's
// node gets back online its own copy of the statement is logged nowhere a
// second time.
func TestBundleCarriedByHand(t *testing.T) {
	c := newCluster(t, onSQLite)
	// A's office node: a second node of party A, whose keys the hub
	// trusts as well.
	office := &inst{t: t, name: "office of A", party: "A", dir: filepath.Join(t.TempDir(), "office-a")}
	c.proxy["A-office"] = newHubProxy(t, c.hub.URL())
	// Its statement key only: the hub trusts one witness key per party,
	// the delegation's, and the office verifies the log without
	// cosigning.
	var keys []string
	for _, k := range verifierKeys(office.run("init", "--node", "A", "--hub", c.proxy["A-office"].srv.URL)) {
		if strings.Contains(k, "/party/") {
			keys = append(keys, k)
		}
	}
	c.hub.run(append([]string{"party", "trust", "A"}, keys...)...)
	office.extra = []string{"--sync-interval", syncInterval}
	office.start()
	c.waitSynced()
	waitFor(t, 2*time.Minute, "the office node verified the hub's log", func() (bool, string) {
		st, code := office.status()
		return code == 0 && st.VerifiedSize == st.LogSize && st.LogSize > 0, st.String()
	})
	if st, _ := office.status(); st.CosignedSize != 0 {
		t.Errorf("the office node, whose witness key the hub does not trust, cosigned: %s", st)
	}

	// The delegation's node is offline: its proxy answers nothing.
	c.proxy["A"].setHook(func(w http.ResponseWriter, r *http.Request) bool {
		http.Error(w, "no network in the room", http.StatusBadGateway)
		return true
	})
	l := c.a.importList(testdata(t, "neg-list-A.csv"), "B", "Stage 1, from A")
	if code, out, errOut := c.a.try("--lang", "en", "list", "handover", l); code != 0 || !waitsInOutbox(l, out, errOut) {
		t.Fatalf("hand-over offline: exit %d, %q %q; want queued", code, out, errOut)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "stage1.bundle")
	c.a.run("bundle", "export", l, "-o", file)
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("bundle file: %v, %v; want mode 0600", fi, err)
	}

	tampered := tamperBundle(t, file, filepath.Join(dir, "tampered.bundle"))
	code, _, errOut := office.try("bundle", "import", tampered)
	if code == 0 || !strings.Contains(errOut, "bundle refused") || !strings.Contains(errOut, "hashes to") {
		t.Errorf("tampered bundle: exit %d, %q; want refused, naming the hash", code, errOut)
	}
	if n := office.count("SELECT COUNT(*) FROM node_outbox"); n != 0 {
		t.Errorf("the office queued %d statements from the tampered bundle", n)
	}

	office.run("bundle", "import", file)
	waitFor(t, 2*time.Minute, "B holds "+l, func() (bool, string) {
		_, ok := c.b.showList(l)
		return ok, "not yet"
	})

	// The delegation is back online: its own copy goes through and is a
	// duplicate at the hub.
	c.proxy["A"].setHook(nil)
	waitFor(t, 2*time.Minute, "A's queue drains", func() (bool, string) {
		st, _ := c.a.status()
		return st.Queued == 0, st.String()
	})
	if e := c.hub.logEntries("list.handed_over", l); len(e) != 1 {
		t.Errorf("the hub logged the hand-over of %s %d times, want once", l, len(e))
	}
	c.waitSynced()
}

// tamperBundle writes a copy of a bundle in which one person of the list
// is renamed, and returns its path.
func tamperBundle(t *testing.T, from, to string) string {
	t.Helper()
	raw, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	var b map[string]any
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatal(err)
	}
	st := b["statements"].([]any)[0].(map[string]any)
	payload := st["payload"].(map[string]any)
	list, err := base64.StdEncoding.DecodeString(payload["list"].(string))
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(list), "Petrenko", "Petrenkov", 1)
	if changed == string(list) {
		t.Fatal("the bundle's list has no Petrenko to rename")
	}
	payload["list"] = base64.StdEncoding.EncodeToString([]byte(changed))
	out, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return to
}
