package web

import (
	"context"
	"crypto/rand"
	"html"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"parley/internal/access"
	"parley/internal/ledger"
)

// TestLogPageShowsWitnessesAndPolicy registers an independent witness with
// a key of its own, requires it, has everyone cosign, and reads the page
// and the API: the witness with its key and latest push, the policy, and
// agreement under it; a receipt check counts the witness too.
func TestLogPageShowsWitnessesAndPolicy(t *testing.T) {
	e, f := ledgerEnv(t)
	ctx := context.Background()
	lg := e.lg
	skey, v, err := note.GenerateKey(rand.Reader, "observer.example/w")
	if err != nil {
		t.Fatal(err)
	}
	vkey, err := fnote.VKeyToCosignatureV1(v)
	if err != nil {
		t.Fatal(err)
	}
	wit, err := ledger.NewWitness(skey, lg.VerifierKey(), e.db)
	if err != nil {
		t.Fatal(err)
	}
	ws := httptest.NewServer(wit.Handler())
	defer ws.Close()
	admin := access.Actor{Username: "root", Roles: []access.Role{access.Admin}}
	if _, err := e.svc.AddWitness(ctx, admin, "observer", vkey, ws.URL, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetPolicy(ctx, admin, []string{"A", "B", "observer"}, 0); err != nil {
		t.Fatal(err)
	}
	check := func(step string, agreed bool) {
		t.Helper()
		resp, raw := e.api(roleObserver, "GET", "/api/v1/log", nil, "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: GET /api/v1/log: %d %s", step, resp.StatusCode, raw)
		}
		got := decodeJSONAs[logState](t, raw)
		if !slices.Equal(got.Required, []string{"A", "B", "observer"}) || got.PolicyDefault || got.Agreed != agreed {
			t.Errorf("%s: policy %v default %v agreed %v", step, got.Required, got.PolicyDefault, got.Agreed)
		}
		i := slices.IndexFunc(got.Witnesses, func(w logWitnessState) bool { return w.Name == "observer" })
		if i < 0 || got.Witnesses[i].Key != vkey || got.Witnesses[i].URL != ws.URL || got.Witnesses[i].Party != "" || got.Witnesses[i].Cosigned != agreed {
			t.Errorf("%s: witnesses %+v", step, got.Witnesses)
		}
		_, page := e.login(roleOfficerB).get("/log")
		body := html.UnescapeString(page)
		for _, want := range []string{`data-witness="observer"`, vkey, ws.URL, `<dd class="policy-required">A, B, observer</dd>`, "--witness-key '" + vkey + "'"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: log page lacks %s", step, want)
			}
		}
	}
	check("before cosigning", false)
	outs, err := lg.CosignAll(ctx, e.db, ledger.CosignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range outs {
		if !o.Cosigned {
			t.Errorf("%s did not cosign: %v", o.Witness, o.Err)
		}
	}
	check("after cosigning", true)
	_, page := e.login(roleMediator).get("/log")
	if !strings.Contains(page, "cosigned ") {
		t.Error("the log page does not show the latest push")
	}

	rc, err := lg.Receipt(ctx, e.db, f.sentA)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := rc.Marshal()
	c := e.srv.checkReceipt(ctx, b)
	if !c.Valid || !c.Agreed || !slices.Contains(c.CosignedBy, "observer") {
		t.Errorf("receipt check: %+v", c)
	}
}
