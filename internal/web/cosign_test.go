package web

import (
	"context"
	"crypto/rand"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/mod/sumdb/note"

	"parley/internal/nodes"
)

// TestLogCosignForm: each party's officer has the party's witness cosign
// from the log page; the page then names the party, and once both have,
// the checkpoint is agreed. Roles without a party see no button.
func TestLogCosignForm(t *testing.T) {
	e, _ := ledgerEnv(t)
	tests := []struct {
		role   string
		button bool
		after  string // the cosigners shown after the role's cosigning
		agreed bool
	}{
		{roleMediator, false, "", false},
		{roleOfficerA, true, "Arcadia", false},
		{roleOfficerB, true, "Arcadia, Borduria", true},
	}
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			b := e.login(tt.role)
			_, page := b.get("/log")
			if got := strings.Contains(page, `id="cosign-button"`); got != tt.button {
				t.Fatalf("cosign button shown = %v", got)
			}
			if !tt.button {
				return
			}
			resp, _ := b.post("/log/cosign", nil)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("cosign: %d", resp.StatusCode)
			}
			_, page = b.get(resp.Header.Get("Location"))
			if !strings.Contains(page, `<dd class="cosigners">`+tt.after+`</dd>`) || strings.Contains(page, `id="cosign-button"`) {
				t.Errorf("after cosigning the page does not show %q as cosigners, or still offers the button", tt.after)
			}
			if got := strings.Contains(page, "badge state-acknowledged agreed"); got != tt.agreed {
				t.Errorf("agreed = %v", got)
			}
			// Asking again changes nothing and fails nothing.
			if resp, _ := b.post("/log/cosign", nil); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("second cosigning: %d", resp.StatusCode)
			}
		})
	}
}

// TestBrowserLogCosign: an officer cosigns from the log page in a real
// browser, and the page turns from "not yet agreed" to naming the party.
func TestBrowserLogCosign(t *testing.T) {
	bctx := newChromium(t)
	e, _ := ledgerEnv(t)
	cosignLog(t, e, "B")
	c := tab(t, bctx)
	signIn(t, c, e.ts.URL, roleOfficerA)
	run(t, c, "open the log",
		chromedp.Navigate(e.ts.URL+"/log"),
		chromedp.WaitVisible(chromedp.CSS("#cosign-button")),
	)
	if got := text(t, c, "dd.cosigners"); got != "Borduria" {
		t.Errorf("cosigners before: %q", got)
	}
	if eval[bool](t, c, `!!document.querySelector(".badge.agreed")`) {
		t.Fatal("agreed before A cosigned")
	}
	run(t, c, "cosign",
		chromedp.Click(chromedp.CSS("#cosign-button")),
		chromedp.WaitVisible(chromedp.CSS(".own-cosigned")),
	)
	if got := text(t, c, "dd.cosigners"); got != "Arcadia, Borduria" {
		t.Errorf("cosigners after: %q", got)
	}
	if !eval[bool](t, c, `!!document.querySelector(".badge.agreed")`) {
		t.Error("not agreed after both parties cosigned")
	}
	screenshot(t, c, "log-cosign")
}

// TestLogCosignOnNode: on a party node the node's witness cosigns by
// itself; the log page tells the officer so and offers no button, and
// asking to cosign is refused.
func TestLogCosignOnNode(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	vkey := hubLogKey(t)
	if _, err := nodes.CreateNodeKeys(e.db.DataDir(), "parley.test/log", "A", vkey); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SetupMode(ctx, map[string]string{nodes.SettingMode: string(nodes.Node), nodes.SettingParty: "A", nodes.SettingHubURL: "http://127.0.0.1:1", nodes.SettingHubOrigin: "parley.test/log", nodes.SettingHubLogVKey: vkey}); err != nil {
		t.Fatal(err)
	}
	a := e.login(roleOfficerA)
	_, page := a.get("/log")
	if !strings.Contains(page, `class="node-cosign"`) || strings.Contains(page, `id="cosign-button"`) {
		t.Error("the node's log page does not show the node's cosigning, or offers a button")
	}
	if resp, _ := a.post("/log/cosign", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("cosigning on a node: %d", resp.StatusCode)
	}
	_, page = e.login(roleMediator).get("/log")
	if strings.Contains(page, `class="node-cosign"`) {
		t.Error("a mediator on the node is shown the party's cosigning")
	}
}

// hubLogKey is a fresh verifier key of a hub's log.
func hubLogKey(t *testing.T) string {
	t.Helper()
	_, vkey, err := note.GenerateKey(rand.Reader, "parley.test/log")
	if err != nil {
		t.Fatal(err)
	}
	return vkey
}
