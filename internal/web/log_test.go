package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"parley/internal/ledger"
)

// logCases are the authorization cases of the log's routes. Without a
// signed log (the matrix's server) everything but the page is not found;
// with one, everyone signed in reads the log and checks receipts, and a
// receipt goes to those who may read its list.
func logCases(withLedger bool) map[string]matrixCase {
	notFound := map[string]int{roleAnon: s303, "*": s404}
	apiNotFound := map[string]int{roleAnon: s401, "*": s404}
	readers := w(s303, s200, s200, s200, s200, s404)
	apiReaders := w(s401, s200, s200, s200, s200, s404)
	signedIn := map[string]int{roleAnon: s303, "*": s200}
	apiSignedIn := map[string]int{roleAnon: s401, "*": s200}
	// A party's officers have the party's witness cosign; the keys are
	// kept on the server of these tests.
	cosign := w(s303, s303, s303, s403, s403, s403)
	if !withLedger {
		readers, apiReaders, signedIn, apiSignedIn = notFound, apiNotFound, notFound, apiNotFound
		cosign = w(s303, s404, s404, s403, s403, s403)
	}
	receipt := func(e *env, f *fixtures) []byte {
		if e.lg == nil {
			return []byte(`{}`)
		}
		rc, err := e.lg.Receipt(context.Background(), e.db, f.sentA)
		if err != nil {
			e.t.Fatal(err)
		}
		b, err := rc.Marshal()
		if err != nil {
			e.t.Fatal(err)
		}
		return b
	}
	return map[string]matrixCase{
		"GET /log":         {fixed("/log"), map[string]int{roleAnon: s303, "*": s200}},
		"GET /api/v1/log":  {fixed("/api/v1/log"), apiSignedIn},
		"POST /log/cosign": {fixed("/log/cosign"), cosign},
		"GET /lists/{id}/receipt": {func(_ *env, f *fixtures) probe {
			return probe{path: "/lists/" + f.sentA + "/receipt"}
		}, readers},
		"GET /api/v1/lists/{id}/receipt": {func(_ *env, f *fixtures) probe {
			return probe{path: "/api/v1/lists/" + f.sentA + "/receipt"}
		}, apiReaders},
		"POST /receipts/verify": {func(e *env, f *fixtures) probe {
			return probe{path: "/receipts/verify", form: url.Values{"receipt_text": {string(receipt(e, f))}}}
		}, signedIn},
		"POST /api/v1/receipts/verify": {func(e *env, f *fixtures) probe {
			return probe{path: "/api/v1/receipts/verify", body: receipt(e, f), contentType: "application/json"}
		}, apiSignedIn},
	}
}

func init() {
	matrixExtras = append(matrixExtras, func(*testing.T) map[string]matrixCase { return logCases(false) })
}

// ledgerEnv is a server with a signed log, where A has handed a list over
// to B and keeps a draft.
func ledgerEnv(t *testing.T) (*env, *fixtures) {
	e := newEnv(t, envOptions{ledger: true})
	f := &fixtures{}
	f.draftA = e.importList("A", "B", "good.csv", "Draft of A", "")
	f.sentA = e.importList("A", "B", "good.csv", "Arcadia: wounded", "")
	e.handOver(f.sentA)
	f.sentB = e.importList("B", "A", "list_b.csv", "Borduria: wounded", "")
	e.handOver(f.sentB)
	return e, f
}

// TestLogAuthorization runs the log's cases with a signed log, for every
// role, and adds the draft, which has no receipt for anyone.
func TestLogAuthorization(t *testing.T) {
	e, f := ledgerEnv(t)
	cases := logCases(true)
	cases["GET /lists/{id}/receipt (draft)"] = matrixCase{func(_ *env, f *fixtures) probe {
		return probe{path: "/lists/" + f.draftA + "/receipt"}
	}, map[string]int{roleAnon: s303, "*": s404}}
	cases["GET /api/v1/lists/{id}/receipt (draft)"] = matrixCase{func(_ *env, f *fixtures) probe {
		return probe{path: "/api/v1/lists/" + f.draftA + "/receipt"}
	}, map[string]int{roleAnon: s401, "*": s404}}
	browsers := map[string]*browser{}
	for _, role := range allRoles {
		browsers[role] = e.login(role)
	}
	for key, mc := range cases {
		method, _, _ := strings.Cut(key, " ")
		for _, role := range allRoles {
			want, ok := mc.want[role]
			if !ok {
				want = mc.want["*"]
			}
			p := mc.setup(e, f)
			var got int
			if strings.HasPrefix(p.path, "/api/") {
				var body io.Reader
				if p.body != nil {
					body = bytes.NewReader(p.body)
				}
				resp, _ := e.api(role, method, p.path, body, p.contentType)
				got = resp.StatusCode
			} else {
				got, _ = browsers[role].do(method, p)
			}
			if got != want {
				t.Errorf("%s as %s: %d, want %d", key, role, got, want)
			}
		}
	}
}

type logJSON struct {
	Origin     string   `json:"origin"`
	Size       int64    `json:"size"`
	Entries    int64    `json:"entries"`
	RootHash   string   `json:"root_hash"`
	Checkpoint string   `json:"checkpoint"`
	Cosigners  []string `json:"cosigners"`
	Agreed     bool     `json:"agreed"`
	AgreedSize int64    `json:"agreed_size"`
	Parties    []string `json:"parties"`
	Keys       struct {
		Log       string            `json:"log"`
		Witnesses map[string]string `json:"witnesses"`
	} `json:"keys"`
}

// cosignLog has a party's witness check and cosign the latest checkpoint.
func cosignLog(t *testing.T, e *env, party string) {
	t.Helper()
	lg := e.lg
	wit, err := lg.Witness(party, e.db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lg.Cosign(context.Background(), e.db, party, wit); err != nil {
		t.Fatal(err)
	}
}

// TestLogPage shows the latest checkpoint as the parties' witnesses
// cosign it, one after the other, on the page and through the API.
func TestLogPage(t *testing.T) {
	e, _ := ledgerEnv(t)
	ctx := context.Background()
	lg := e.lg
	m := e.login(roleMediator)
	steps := []struct {
		first     string // party whose witness cosigns first; "" for none
		cosigners []string
		agreed    bool
		names     string // on the page
	}{
		{"", []string{}, false, "no party yet"},
		{"A", []string{"A"}, false, "Arcadia"},
		{"B", []string{"A", "B"}, true, "Arcadia, Borduria"},
	}
	for _, st := range steps {
		if st.first != "" {
			cosignLog(t, e, st.first)
		}
		cp, err := lg.Checkpoint(ctx, e.db)
		if err != nil {
			t.Fatal(err)
		}
		size, err := e.db.LogSize(ctx)
		if err != nil {
			t.Fatal(err)
		}
		root := base64.StdEncoding.EncodeToString(cp.Root[:])

		resp, raw := e.api(roleObserver, "GET", "/api/v1/log", nil, "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /api/v1/log: %d %s", resp.StatusCode, raw)
		}
		got := decodeJSONAs[logJSON](t, raw)
		if got.Origin != "parley.test/log" || got.Size != cp.Size || got.Entries != size || got.RootHash != root || got.Checkpoint != string(cp.Note) {
			t.Errorf("after %q: log %+v, want size %d, %d entries, root %s", st.first, got, cp.Size, size, root)
		}
		if !slices.Equal(got.Cosigners, st.cosigners) || got.Agreed != st.agreed {
			t.Errorf("after %q: cosigners %v agreed %v, want %v %v", st.first, got.Cosigners, got.Agreed, st.cosigners, st.agreed)
		}
		if st.agreed && got.AgreedSize != cp.Size || !st.agreed && got.AgreedSize != 0 {
			t.Errorf("after %q: agreed size %d", st.first, got.AgreedSize)
		}
		wkA, _ := lg.WitnessVerifierKey("A")
		wkB, _ := lg.WitnessVerifierKey("B")
		if got.Keys.Log != lg.VerifierKey() || got.Keys.Witnesses["A"] != wkA || got.Keys.Witnesses["B"] != wkB || !slices.Equal(got.Parties, []string{"A", "B"}) {
			t.Errorf("keys %+v", got.Keys)
		}

		_, page := m.get("/log")
		body := html.UnescapeString(page)
		for _, want := range []string{
			`<dd class="log-size">` + e.srv.localizer("en").Num(int(cp.Size)) + `</dd>`,
			`<code class="hash log-root">` + root + `</code>`,
			`<dd class="cosigners">` + st.names + `</dd>`,
			`<code class="secret-value log-key">` + lg.VerifierKey() + `</code>`,
			`<code class="secret-value witness-key">` + wkA + `</code>`,
			"parley log verify --server " + e.ts.URL + "/log",
			"--witness-key '" + wkB + "'",
			"parley.test/log",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("after %q: log page lacks %s", st.first, want)
			}
		}
		// The signed note is shown as it is, every signature line.
		for line := range strings.SplitSeq(strings.TrimSpace(string(cp.Note)), "\n") {
			if !strings.Contains(body, line) {
				t.Errorf("after %q: signed note line %q not shown", st.first, line)
			}
		}
		if agreedBadge := strings.Contains(body, "badge state-acknowledged agreed"); agreedBadge != st.agreed {
			t.Errorf("after %q: agreed badge shown = %v", st.first, agreedBadge)
		}
	}
}

// TestReceipts downloads a receipt, verifies it offline with the log's and
// the witnesses' keys, and has the workbench check it, and a tampered one.
func TestReceipts(t *testing.T) {
	e, f := ledgerEnv(t)
	cosignLog(t, e, "A")
	cosignLog(t, e, "B")
	lg := e.lg
	wkA, _ := lg.WitnessVerifierKey("A")
	wkB, _ := lg.WitnessVerifierKey("B")
	lists, err := e.svc.ListLists(context.Background(), e.actor(roleMediator))
	if err != nil {
		t.Fatal(err)
	}
	var hash string
	for _, l := range lists {
		if l.ID == f.sentA {
			hash = l.ContentHash
		}
	}
	if hash == "" {
		t.Fatal("the handed-over list has no content hash")
	}

	// Download: the page for officer B, the API for the observer.
	b := e.login(roleOfficerB)
	_, page := b.get("/log")
	if !strings.Contains(page, `href="/lists/`+f.sentA+`/receipt"`) {
		t.Error("the log page offers no receipt for the list handed over to B")
	}
	if strings.Contains(page, `href="/lists/`+f.draftA+`/receipt"`) {
		t.Error("the log page offers a receipt for a draft")
	}
	req, _ := http.NewRequest("GET", e.ts.URL+"/lists/"+f.sentA+"/receipt", nil)
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), `filename=receipt-`+f.sentA+`.json`) {
		t.Fatalf("receipt download: %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
	rc, err := ledger.VerifyReceipt(data, lg.VerifierKey(), wkA, wkB)
	if err != nil {
		t.Fatalf("the downloaded receipt does not verify: %v", err)
	}
	if rc.ListID != f.sentA || rc.ContentHash != hash {
		t.Errorf("receipt of %s %s, want %s %s", rc.ListID, rc.ContentHash, f.sentA, hash)
	}
	resp, apiData := e.api(roleObserver, "GET", "/api/v1/lists/"+f.sentA+"/receipt", nil, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("API receipt: %d %s", resp.StatusCode, apiData)
	}
	if _, err := ledger.VerifyReceipt(apiData, lg.VerifierKey(), wkA, wkB); err != nil {
		t.Errorf("the API's receipt does not verify: %v", err)
	}

	// Tampered copies: another content hash, another list, a shortened
	// proof; and a receipt of another log that happens to carry the same
	// name.
	tamper := func(edit func(map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		b, _ := json.Marshal(m)
		return b
	}
	other, of := ledgerEnv(t)
	otherRc, err := other.lg.Receipt(context.Background(), other.db, of.sentA)
	if err != nil {
		t.Fatal(err)
	}
	foreign, _ := otherRc.Marshal()
	tests := []struct {
		name  string
		data  []byte
		valid bool
	}{
		{"as downloaded", data, true},
		{"another content hash", tamper(func(m map[string]any) { m["content_hash"] = "sha256:" + strings.Repeat("0", 64) }), false},
		{"another list", tamper(func(m map[string]any) { m["list_id"] = f.sentB }), false},
		{"a cut proof", tamper(func(m map[string]any) { m["inclusion_proof"] = []any{} }), false},
		{"another log's receipt", foreign, false},
		{"not a receipt", []byte(`{"hello":"world"}`), false},
	}
	type checkJSON struct {
		Valid       bool     `json:"valid"`
		Problem     string   `json:"problem"`
		ListID      string   `json:"list_id"`
		ContentHash string   `json:"content_hash"`
		From, To    string   `json:"-"`
		CosignedBy  []string `json:"cosigned_by"`
		Agreed      bool     `json:"agreed"`
	}
	m := e.login(roleMediator)
	m.get("/log")
	for _, tt := range tests {
		resp, raw := e.api(roleMediator, "POST", "/api/v1/receipts/verify", bytes.NewReader(tt.data), "application/json")
		got := decodeJSONAs[checkJSON](t, raw)
		if resp.StatusCode != http.StatusOK || got.Valid != tt.valid {
			t.Errorf("%s: %d valid=%v (%s), want valid=%v", tt.name, resp.StatusCode, got.Valid, got.Problem, tt.valid)
			continue
		}
		if tt.valid && (got.ListID != f.sentA || got.ContentHash != hash || !slices.Equal(got.CosignedBy, []string{"A", "B"}) || !got.Agreed) {
			t.Errorf("%s: %+v", tt.name, got)
		}
		if !tt.valid && got.Problem == "" {
			t.Errorf("%s: no reason given", tt.name)
		}

		// The page's form, as an uploaded file.
		body, ct := multipartFile(t, "receipt.json", tt.data, map[string]string{"csrf": m.csrf})
		req, _ := http.NewRequest("POST", e.ts.URL+"/receipts/verify", bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		resp, err := m.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: form answered %d", tt.name, resp.StatusCode)
		}
		valid, invalid := bytes.Contains(page, []byte("receipt-valid")), bytes.Contains(page, []byte("receipt-invalid"))
		if valid != tt.valid || invalid == tt.valid {
			t.Errorf("%s: page says valid=%v invalid=%v", tt.name, valid, invalid)
		}
		if tt.valid && (!bytes.Contains(page, []byte("Arcadia: wounded")) || !bytes.Contains(page, []byte("Arcadia, Borduria"))) {
			t.Errorf("%s: the page does not say which list and who cosigned", tt.name)
		}
	}

	// Pasted rather than uploaded; and nothing at all.
	resp, pasted := m.post("/receipts/verify", url.Values{"receipt_text": {string(data)}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(pasted, "receipt-valid") {
		t.Errorf("pasted receipt: %d", resp.StatusCode)
	}
	resp, empty := m.post("/receipts/verify", url.Values{"receipt_text": {"  "}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(empty, "Choose a receipt file or paste one.") {
		t.Errorf("empty check: %d", resp.StatusCode)
	}
	if resp, _ := e.api(roleMediator, "POST", "/api/v1/receipts/verify", strings.NewReader(""), "application/json"); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("API check of nothing: %d", resp.StatusCode)
	}
}

// TestLogWithoutLedger: an installation without a signed log says so.
func TestLogWithoutLedger(t *testing.T) {
	e := newEnv(t)
	_, body := e.login(roleObserver).get("/log")
	if !strings.Contains(body, "This installation keeps no signed log.") {
		t.Error("the log page does not say that there is no log")
	}
	resp, raw := e.api(roleObserver, "GET", "/api/v1/log", nil, "")
	if resp.StatusCode != http.StatusNotFound || !bytes.Contains(raw, []byte("no signed log")) {
		t.Errorf("GET /api/v1/log without a log: %d %s", resp.StatusCode, raw)
	}
}

// TestLogPageInEveryLanguage renders the log page, with a checked receipt,
// in each language.
func TestLogPageInEveryLanguage(t *testing.T) {
	e, f := ledgerEnv(t)
	keyLike := regexp.MustCompile(matchLogKeyLike)
	rc, err := e.lg.Receipt(context.Background(), e.db, f.sentA)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := rc.Marshal()
	want := map[string]string{"en": "The receipt is valid.", "uk": "Квитанція дійсна.", "ru": "Квитанция действительна."}
	for _, lang := range Languages {
		for _, role := range []string{roleOfficerA, roleMediator, roleAdmin} {
			b := e.login(role)
			b.c.Jar.SetCookies(mustURL(e.ts.URL), []*http.Cookie{{Name: langCookie, Value: lang.Code}})
			b.get("/log")
			resp, body := b.post("/receipts/verify", url.Values{"receipt_text": {string(data)}})
			if resp.StatusCode != 200 || !strings.Contains(body, `<html lang="`+lang.Code+`">`) || !strings.Contains(body, want[lang.Code]) {
				t.Errorf("%s as %s: %d, lacks %q", lang.Code, role, resp.StatusCode, want[lang.Code])
			}
			if m := keyLike.FindString(body); m != "" {
				t.Errorf("%s as %s: untranslated key %s", lang.Code, role, m)
			}
		}
	}
}
