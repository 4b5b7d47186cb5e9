package familyweb_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/internal/access"
	"parley/internal/families"
	"parley/internal/familyweb"
	"parley/internal/listfile"
	"parley/internal/notify"
	"parley/internal/notify/smtpsink"
	"parley/internal/service"
	"parley/internal/service/servicetest"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

var (
	officerA = servicetest.OfficerA
	officerB = servicetest.OfficerB
	mediator = servicetest.Mediator
	observer = servicetest.Observer
)

// clock is a settable clock for the rate limits.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	t     *testing.T
	svc   *service.Service
	db    *store.DB // the service's database, for checks of what was stored
	srv   *httptest.Server
	clock *clock
}

// newEnv starts the family pages on a real HTTP server over a fresh
// database. The test tells who is signed in with the X-Test-User header
// and which client address it comes from with X-Test-Client.
func newEnv(t *testing.T, b storetest.Backend, mod func(*familyweb.Options)) *env {
	t.Helper()
	svc, db := servicetest.New(t, b)
	c := &clock{t: time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)}
	users := map[string]access.Actor{"a": officerA, "b": officerB, "m": mediator}
	opts := familyweb.Options{
		Actor: func(r *http.Request) (access.Actor, bool) {
			a, ok := users[r.Header.Get("X-Test-User")]
			return a, ok
		},
		ClientIP: func(r *http.Request) string {
			if ip := r.Header.Get("X-Test-Client"); ip != "" {
				return ip
			}
			return "192.0.2.1"
		},
		InsecureCookies: true, AllowHTTPWebhooks: true, Now: c.now, FiguresTTL: time.Nanosecond,
	}
	if mod != nil {
		mod(&opts)
	}
	h, err := familyweb.NewHandler(svc, opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, svc: svc, db: db, srv: srv, clock: c}
}

// browser is a client with its own cookies, as one family's phone.
type browser struct {
	e      *env
	client *http.Client
	header http.Header
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, header: http.Header{}, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type response struct {
	code   int
	body   string
	header http.Header
}

func (b *browser) do(method, path string, body io.Reader, contentType string) response {
	b.e.t.Helper()
	req, err := http.NewRequest(method, b.e.srv.URL+path, body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	for k, v := range b.header {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return response{code: resp.StatusCode, body: string(out), header: resp.Header}
}

func (b *browser) get(path string) response { return b.do("GET", path, nil, "") }

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// submit loads the form page for its token, then posts the form.
func (b *browser) submit(formPath, action string, values url.Values) response {
	b.e.t.Helper()
	page := b.get(formPath)
	m := csrfRE.FindStringSubmatch(page.body)
	if m == nil {
		b.e.t.Fatalf("no CSRF token on %s (status %d)", formPath, page.code)
	}
	values.Set("csrf", m[1])
	return b.do("POST", action, strings.NewReader(values.Encode()), "application/x-www-form-urlencoded")
}

func (b *browser) postJSON(path string, v any) response {
	body, _ := json.Marshal(v)
	return b.do("POST", path, bytes.NewReader(body), "application/json")
}

func sergiiForm() url.Values {
	return url.Values{
		"surname": {"Шевченко"}, "given_names": {"Сергій"}, "patronymic": {"Миколайович"}, "birth_date": {"12.03.1999"},
		"kind": {"pow"}, "party": {"B"}, "relationship": {"parent"}, "email": {"mother@example.org"}, "consent": {"on"},
	}
}

var (
	refRE    = regexp.MustCompile(`<code>(PX-[0-9A-Z]{4}-[0-9A-Z]{4})</code>`)
	secretRE = regexp.MustCompile(`<code>([0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5})</code>`)
)

func (e *env) handOver(path, versionOf string) string {
	e.t.Helper()
	f, err := os.Open(path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	res, err := e.svc.ImportList(context.Background(), officerA, service.ImportRequest{From: "A", To: "B", Title: "Confidential list title", Format: listfile.Format("csv"), VersionOf: versionOf}, f)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.svc.HandOver(context.Background(), officerA, res.List.ID); err != nil {
		e.t.Fatal(err)
	}
	return res.List.ID
}

// leaks lists what must never reach a family: the other persons of the
// list, the list itself, and the engine's workings.
func leaks(listID string) []string {
	return []string{
		"Коваленко", "Бондаренко", "Kovalenko", "Bondarenko", "Алексей", "Дмитрий", "А4321", "А0001",
		"Confidential list title", listID, "score", "Score", "match", "review", "0.9", "registry", "row",
	}
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// assertNoLeak checks a page or a JSON answer: names, the list and the
// extra strings anywhere in it, the engine's words in its visible text
// (markup has its own "row" and the like).
func assertNoLeak(t *testing.T, where, body string, extra ...string) {
	t.Helper()
	text := tagRE.ReplaceAllString(body, " ")
	engine := map[string]bool{"score": true, "Score": true, "match": true, "review": true, "0.9": true, "registry": true, "row": true}
	for _, s := range append(leaks(""), extra...) {
		found := s != "" && strings.Contains(body, s)
		if engine[s] {
			found = regexp.MustCompile(`\b` + regexp.QuoteMeta(s) + `\b`).MatchString(text)
		}
		if found {
			t.Errorf("%s contains %q:\n%s", where, s, body)
		}
	}
}

// TestFamilySeesOnlyConfirmedNewsOfItsOwnRelative drives the real pages
// and API: registration, look-ups before and after a list arrives, before
// and after an officer confirms. The family's answers never carry another
// person, the list, a score or an unconfirmed status.
func TestFamilySeesOnlyConfirmedNewsOfItsOwnRelative(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, nil)
		fam := e.browser()
		fam.header.Set("Accept-Language", "uk-UA,uk;q=0.9,en;q=0.5")
		done := fam.submit("/family/inquire", "/family/inquire", sergiiForm())
		if done.code != http.StatusCreated {
			t.Fatalf("registration answered %d:\n%s", done.code, done.body)
		}
		ref, sec := refRE.FindStringSubmatch(done.body), secretRE.FindStringSubmatch(done.body)
		if ref == nil || sec == nil {
			t.Fatalf("the done page lacks the reference or the secret:\n%s", done.body)
		}
		if !strings.Contains(done.body, "Ваш запит зареєстровано") || !strings.Contains(done.body, `lang="uk"`) {
			t.Errorf("the done page is not in Ukrainian (Accept-Language)")
		}
		if done.header.Get("Cache-Control") != "no-store" {
			t.Errorf("the page with the secret may be cached: %q", done.header.Get("Cache-Control"))
		}
		lookup := func() (response, response) {
			page := fam.submit("/family/status", "/family/status", url.Values{"reference": {ref[1]}, "secret": {sec[1]}})
			api := fam.postJSON("/api/v1/inquiries/status", map[string]string{"reference": ref[1], "secret": sec[1]})
			return page, api
		}
		page, api := lookup()
		if page.code != 200 || !strings.Contains(page.body, "Підтверджених відомостей про вашого родича поки немає") {
			t.Fatalf("status page before any list: %d\n%s", page.code, page.body)
		}
		if strings.Contains(page.body, sec[1]) {
			t.Error("the status page repeats the secret")
		}

		listID := e.handOver("../service/testdata/first-list.csv", "")
		links, err := e.svc.PendingLinks(context.Background(), officerB)
		if err != nil || len(links) != 1 {
			t.Fatalf("pending links %v %v", links, err)
		}
		// Pending: the family still sees nothing, on the page and in the API.
		page, api = lookup()
		assertNoLeak(t, "status page (pending)", page.body, listID, "Шевченко", "mother@example.org")
		assertNoLeak(t, "status API (pending)", api.body, listID, "Шевченко", "mother@example.org")
		var st map[string]any
		if err := json.Unmarshal([]byte(api.body), &st); err != nil || st["status"] != "none" {
			t.Fatalf("API status while the link is pending: %s", api.body)
		}
		if strings.Contains(page.body, "передала") {
			t.Errorf("the page says listed before confirmation:\n%s", page.body)
		}

		if err := e.svc.ConfirmLink(context.Background(), officerB, links[0].Link.ID, "confirmed by unit records"); err != nil {
			t.Fatal(err)
		}
		l, _ := e.svc.GetList(context.Background(), officerB, listID)
		day := l.HandedOverAt.UTC().Format(time.DateOnly)
		page, api = lookup()
		if !strings.Contains(page.body, "Ваш родич є в списку утримуваних осіб, який сторона, що утримує, передала "+day) {
			t.Errorf("status page after confirmation:\n%s", page.body)
		}
		assertNoLeak(t, "status page (confirmed)", page.body, listID, "Шевченко", "confirmed by unit records")
		assertNoLeak(t, "status API (confirmed)", api.body, listID, "Шевченко", "confirmed by unit records")
		st = nil
		if err := json.Unmarshal([]byte(api.body), &st); err != nil {
			t.Fatal(err)
		}
		if st["status"] != "listed" || st["date"] != day || st["reference"] != ref[1] {
			t.Errorf("API status = %v", st)
		}
		for k := range st {
			if k != "reference" && k != "status" && k != "date" && k != "registered_on" {
				t.Errorf("the API answer carries %q", k)
			}
		}

		// An officer's wording reaches the family; nothing else does.
		if _, err := e.svc.SetInquiryOutcome(context.Background(), observer, listID, 1, families.StatusRepatriated, time.Date(2025, 6, 15, 0, 0, 0, 0, time.UTC), "Він у шпиталі в Києві."); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SetInquiryOutcome(context.Background(), observer, listID, 2, families.StatusAgreed, time.Time{}, "Another family's news"); err != nil {
			t.Fatal(err)
		}
		page, _ = lookup()
		if !strings.Contains(page.body, "репатрійований 2025-06-15") || !strings.Contains(page.body, "Він у шпиталі в Києві.") {
			t.Errorf("repatriation not shown:\n%s", page.body)
		}
		assertNoLeak(t, "status page (repatriated)", page.body, listID, "Another family", "Шевченко")
	})
}

// TestStatusLookupsThrottled: wrong secrets from one address end in 429,
// and then even the right secret is refused until the window has passed;
// guesses at one reference from many addresses are throttled too.
func TestStatusLookupsThrottled(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, func(o *familyweb.Options) {
			o.Limits = familyweb.Limits{LookupFailures: familyweb.Rate{N: 5, Per: 15 * time.Minute}, ReferenceFailures: familyweb.Rate{N: 8, Per: time.Hour}}
		})
		fam := e.browser()
		reg := fam.postJSON("/api/v1/inquiries", families.Request{Surname: "Мельник", GivenNames: "Олег", Party: "B", Relationship: "spouse", Email: "w@example.org", Consent: true})
		var r struct{ Reference, Secret string }
		if err := json.Unmarshal([]byte(reg.body), &r); err != nil || reg.code != http.StatusCreated {
			t.Fatalf("register: %d %s", reg.code, reg.body)
		}
		attacker := e.browser()
		attacker.header.Set("X-Test-Client", "203.0.113.7")
		for i := range 5 {
			resp := attacker.postJSON("/api/v1/inquiries/status", map[string]string{"reference": r.Reference, "secret": families.NewSecret()})
			if resp.code != http.StatusForbidden {
				t.Fatalf("wrong secret %d answered %d, want 403", i+1, resp.code)
			}
		}
		for _, secret := range []string{families.NewSecret(), r.Secret} {
			resp := attacker.postJSON("/api/v1/inquiries/status", map[string]string{"reference": r.Reference, "secret": secret})
			if resp.code != http.StatusTooManyRequests || resp.header.Get("Retry-After") == "" {
				t.Fatalf("after 5 failures: %d (Retry-After %q), want 429", resp.code, resp.header.Get("Retry-After"))
			}
		}
		// The HTML form is throttled the same way.
		page := attacker.submit("/family/status", "/family/status", url.Values{"reference": {r.Reference}, "secret": {r.Secret}})
		if page.code != http.StatusTooManyRequests {
			t.Errorf("form after 5 failures: %d", page.code)
		}
		// The family at its own address is not affected by the attacker's
		// address...
		if resp := fam.postJSON("/api/v1/inquiries/status", map[string]string{"reference": r.Reference, "secret": r.Secret}); resp.code != 200 {
			t.Errorf("the family was locked out by another address: %d", resp.code)
		}
		e.clock.add(16 * time.Minute)
		if resp := attacker.postJSON("/api/v1/inquiries/status", map[string]string{"reference": r.Reference, "secret": r.Secret}); resp.code != 200 {
			t.Errorf("after the window the right secret answers %d", resp.code)
		}
		// ...but guesses spread over many addresses exhaust the reference.
		for i := range 8 {
			c := e.browser()
			c.header.Set("X-Test-Client", "198.51.100."+string(rune('1'+i)))
			c.postJSON("/api/v1/inquiries/status", map[string]string{"reference": r.Reference, "secret": families.NewSecret()})
		}
		fresh := e.browser()
		fresh.header.Set("X-Test-Client", "2001:db8::1")
		if resp := fresh.postJSON("/api/v1/inquiries/status", map[string]string{"reference": r.Reference, "secret": r.Secret}); resp.code != http.StatusTooManyRequests {
			t.Errorf("after 8 failures on the reference from many addresses: %d, want 429", resp.code)
		}
	})
}

func TestRegistrationThroughAPIAndDuplicates(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, nil)
		c := e.browser()
		req := families.Request{Surname: "Шевченко", GivenNames: "Сергій", BirthDate: "1999-03-12", Party: "B", Relationship: "parent", Email: "m@example.org", Consent: true}
		first := c.postJSON("/api/v1/inquiries", req)
		var r1, r2 map[string]any
		_ = json.Unmarshal([]byte(first.body), &r1)
		if first.code != http.StatusCreated || r1["secret"] == nil {
			t.Fatalf("first registration %d %s", first.code, first.body)
		}
		req.Surname = "шевченко "
		second := c.postJSON("/api/v1/inquiries", req)
		_ = json.Unmarshal([]byte(second.body), &r2)
		if second.code != http.StatusOK || r2["duplicate"] != true || r2["reference"] != r1["reference"] || r2["secret"] != nil {
			t.Fatalf("repeated registration %d %s", second.code, second.body)
		}
		// The form says the same in words, and offers a new secret.
		f := sergiiForm()
		f.Set("email", "m@example.org")
		f.Del("patronymic")
		page := c.submit("/family/inquire?lang=en", "/family/inquire", f)
		if page.code != 200 || !strings.Contains(page.body, "already registered") || !strings.Contains(page.body, r1["reference"].(string)) || secretRE.MatchString(page.body) {
			t.Fatalf("duplicate page %d:\n%s", page.code, page.body)
		}
		sent := c.submit("/family/new-secret", "/family/new-secret", url.Values{"reference": {r1["reference"].(string)}})
		if sent.code != 200 || !strings.Contains(sent.body, "a new secret is on its way") {
			t.Errorf("new secret page %d", sent.code)
		}
		var box []*store.OutboxItem
		_ = e.db.View(context.Background(), func(tx *store.Tx) (err error) {
			box, err = tx.OutboxItems(context.Background(), "")
			return err
		})
		if len(box) != 1 || !strings.Contains(string(box[0].Payload), `"kind":"new_secret"`) || box[0].Recipient != "m@example.org" {
			t.Errorf("outbox = %v", box)
		}
		// Field errors come back per field, in the family's language.
		bad := c.postJSON("/api/v1/inquiries", families.Request{Surname: "X", Party: "B", BirthDate: "31.02.1999"})
		var be struct {
			Error  string
			Fields []families.FieldError
		}
		_ = json.Unmarshal([]byte(bad.body), &be)
		got := map[string]string{}
		for _, f := range be.Fields {
			got[f.Field] = f.Code
		}
		if bad.code != http.StatusUnprocessableEntity || got["given_names"] != "required" || got["birth_date"] != "invalid_date" || got["email"] != "contact_required" || got["consent"] != "consent_required" {
			t.Errorf("invalid request: %d %s", bad.code, bad.body)
		}
		// A phone number is a contact too; a number without its country
		// code is refused with its field.
		badPhone := c.postJSON("/api/v1/inquiries", families.Request{Surname: "Мельник", GivenNames: "Іван", Party: "B", Relationship: "child", Phone: "044 123 4567", Consent: true})
		var pe struct{ Fields []families.FieldError }
		_ = json.Unmarshal([]byte(badPhone.body), &pe)
		if badPhone.code != http.StatusUnprocessableEntity || len(pe.Fields) != 1 || pe.Fields[0].Field != "phone" || pe.Fields[0].Code != families.CodeInvalidPhone {
			t.Errorf("phone without country code: %d %s", badPhone.code, badPhone.body)
		}
		byPhone := c.postJSON("/api/v1/inquiries", families.Request{Surname: "Мельник", GivenNames: "Іван", Party: "B", Relationship: "child", Phone: "+380 44 123 4567", Consent: true})
		if byPhone.code != http.StatusCreated {
			t.Errorf("inquiry with a phone only: %d %s", byPhone.code, byPhone.body)
		}
		if resp := c.do("POST", "/api/v1/inquiries", strings.NewReader(`{}`), "text/plain"); resp.code != http.StatusUnsupportedMediaType {
			t.Errorf("text/plain body: %d, want 415", resp.code)
		}
		if resp := c.do("POST", "/api/v1/inquiries", strings.NewReader(`{"surname":"X","admin":true}`), "application/json"); resp.code != http.StatusBadRequest {
			t.Errorf("unknown field: %d, want 400", resp.code)
		}
	})
}

func TestFormErrorsAndLanguages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.Backend{Name: "sqlite", DataDir: t.TempDir()}, nil)
	c := e.browser()
	f := url.Values{"surname": {"Шевченко"}, "birth_date": {"1999-02-30"}, "party": {"B"}, "phone": {"044 123 4567"}}
	resp := c.submit("/family/inquire?lang=ru", "/family/inquire", f)
	if resp.code != http.StatusUnprocessableEntity {
		t.Fatalf("incomplete form: %d", resp.code)
	}
	for _, want := range []string{
		`lang="ru"`, "Пожалуйста, исправьте отмеченные ниже поля.", "Пожалуйста, заполните это поле.",
		"Запишите дату как 1999-03-12", "Мы можем хранить и сравнивать ваш запрос только с вашего согласия.",
		`value="Шевченко"`, `id="given_names-error"`, `aria-invalid="true"`,
		`value="044 123 4567"`, `id="phone-error"`, "Запишите номер в международном формате",
	} {
		if !strings.Contains(resp.body, want) {
			t.Errorf("the form with errors lacks %q", want)
		}
	}
	// The language chosen with ?lang= is remembered in a cookie.
	if !strings.Contains(c.get("/family/status").body, "Проверить запрос") {
		t.Error("the language cookie was not kept")
	}
	en := e.browser()
	en.header.Set("Accept-Language", "de-DE,de;q=0.9")
	if !strings.Contains(en.get("/family/").body, `lang="en"`) {
		t.Error("an unsupported language does not fall back to English")
	}
	// No form is accepted without its token, or from another site.
	if resp := c.do("POST", "/family/inquire", strings.NewReader(sergiiForm().Encode()), "application/x-www-form-urlencoded"); resp.code != http.StatusForbidden {
		t.Errorf("form without CSRF token: %d, want 403", resp.code)
	}
	cross := e.browser()
	cross.header.Set("Sec-Fetch-Site", "cross-site")
	if resp := cross.submit("/family/inquire", "/family/inquire", sergiiForm()); resp.code != http.StatusForbidden {
		t.Errorf("cross-site form: %d, want 403", resp.code)
	}
	if resp := cross.postJSON("/api/v1/inquiries/status", map[string]string{"reference": "x", "secret": "y"}); resp.code != http.StatusForbidden {
		t.Errorf("cross-site API call: %d, want 403", resp.code)
	}
}

// TestPagesStrictCSP: every page carries the policy, and no page has an
// inline script or style that the policy would block.
func TestPagesStrictCSP(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.Backend{Name: "sqlite", DataDir: t.TempDir()}, nil)
	c := e.browser()
	c.header.Set("X-Test-User", "b")
	inline := regexp.MustCompile(`(?i)<script|<style|\sstyle=|\son[a-z]+=|javascript:`)
	for _, p := range []string{"/family/", "/family/inquire", "/family/status", "/family/new-secret", "/public", "/family/review", "/family/nowhere"} {
		for _, lang := range []string{"en", "uk", "ru"} {
			resp := c.get(p + "?lang=" + lang)
			if csp := resp.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "style-src 'self'") {
				t.Errorf("%s: CSP %q", p, csp)
			}
			if inline.MatchString(resp.body) {
				t.Errorf("%s (%s) has inline script or style: %s", p, lang, inline.FindString(resp.body))
			}
			if strings.Contains(resp.body, "error.") || strings.Contains(resp.body, "status.") && !strings.Contains(p, "status") {
				t.Errorf("%s (%s) shows an untranslated key", p, lang)
			}
		}
	}
	css := c.get("/family/static/style.css")
	if css.code != 200 || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") || !strings.Contains(css.body, "@media") {
		t.Errorf("stylesheet: %d %s", css.code, css.header.Get("Content-Type"))
	}
}

// TestTemplateKeysTranslated: every message a template asks for exists in
// every catalogue.
func TestTemplateKeysTranslated(t *testing.T) {
	t.Parallel()
	keyRE := regexp.MustCompile(`T "([a-z_.]+)"`)
	cats := map[string]map[string]string{}
	for _, lang := range []string{"en", "uk", "ru"} {
		b, err := os.ReadFile("i18n/" + lang + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		// An area's further messages: i18n/<area>.<lang>.json.
		more, _ := filepath.Glob("i18n/" + lang + "/*.json")
		for _, name := range more {
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		cats[lang] = m
	}
	err := fs.WalkDir(os.DirFS("templates"), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile("templates/" + p)
		for _, m := range keyRE.FindAllStringSubmatch(string(b), -1) {
			for lang, c := range cats {
				if c[m[1]] == "" {
					t.Errorf("%s: key %q missing in %s", p, m[1], lang)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range families.Statuses() {
		for lang, c := range cats {
			if c["public.status."+string(s)] == "" {
				t.Errorf("status %s has no label in %s", s, lang)
			}
		}
	}
	for _, r := range families.Relationships {
		for lang, c := range cats {
			if c["relationship."+r] == "" {
				t.Errorf("relationship %s has no label in %s", r, lang)
			}
		}
	}
}

func TestOfficerReview(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, nil)
		fam := e.browser()
		if resp := fam.postJSON("/api/v1/inquiries", families.Request{Surname: "Шевченко", GivenNames: "Сергій", BirthDate: "1999-03-12", Party: "B", Relationship: "parent", Email: "m@example.org", Consent: true}); resp.code != 201 {
			t.Fatal(resp.body)
		}
		if resp := fam.postJSON("/api/v1/inquiries", families.Request{Surname: "Бондаренко", GivenNames: "Дмитро", Patronymic: "Ілліч", BirthDate: "30.07.1985", Party: "B", Relationship: "child", Email: "d@example.org", Consent: true}); resp.code != 201 {
			t.Fatal(resp.body)
		}
		e.handOver("../service/testdata/first-list.csv", "")

		anon := e.browser()
		if resp := anon.get("/family/review"); resp.code != http.StatusUnauthorized {
			t.Errorf("review page without sign-in: %d", resp.code)
		}
		if resp := anon.get("/api/v1/inquiry-links"); resp.code != http.StatusUnauthorized {
			t.Errorf("links API without sign-in: %d", resp.code)
		}
		med := e.browser()
		med.header.Set("X-Test-User", "m")
		if resp := med.get("/api/v1/inquiry-links"); resp.code != http.StatusForbidden {
			t.Errorf("mediator reading links: %d", resp.code)
		}
		offA := e.browser()
		offA.header.Set("X-Test-User", "a")
		var none []service.LinkReview
		if resp := offA.get("/api/v1/inquiry-links"); resp.code != 200 || json.Unmarshal([]byte(resp.body), &none) != nil || len(none) != 0 {
			t.Errorf("officer A sees B's links: %d %s", resp.code, resp.body)
		}

		offB := e.browser()
		offB.header.Set("X-Test-User", "b")
		page := offB.get("/family/review")
		if page.code != 200 || !strings.Contains(page.body, "Шевченко Сергій") || !strings.Contains(page.body, "Бондаренко Дмитрий Ильич") {
			t.Fatalf("review page:\n%s", page.body)
		}
		var links []service.LinkReview
		if resp := offB.get("/api/v1/inquiry-links"); json.Unmarshal([]byte(resp.body), &links) != nil || len(links) != 2 {
			t.Fatalf("links API: %s", resp.body)
		}
		var sh, bo string
		for _, l := range links {
			switch l.Entry.Surname {
			case "Шевченко":
				sh = l.Link.ID
			case "Бондаренко":
				bo = l.Link.ID
			}
		}
		// Officer A cannot decide B's links, whatever the id.
		if resp := offA.postJSON("/api/v1/inquiry-links/"+sh+"/confirm", map[string]string{}); resp.code != http.StatusNotFound {
			t.Errorf("officer A confirming: %d", resp.code)
		}
		// Through the page: confirm with a note, then reject the other.
		resp := offB.submit("/family/review", "/family/review/"+sh+"/confirm", url.Values{"note": {"checked the unit"}})
		if resp.code != http.StatusSeeOther {
			t.Fatalf("confirm through the page: %d %s", resp.code, resp.body)
		}
		if resp := offB.postJSON("/api/v1/inquiry-links/"+sh+"/confirm", map[string]string{}); resp.code != http.StatusConflict {
			t.Errorf("confirming twice: %d", resp.code)
		}
		if resp := offB.do("POST", "/api/v1/inquiry-links/"+bo+"/reject", nil, ""); resp.code != 200 || !strings.Contains(resp.body, `"rejected"`) {
			t.Errorf("reject through the API: %d %s", resp.code, resp.body)
		}
		if resp := offB.postJSON("/api/v1/inquiry-links/"+bo+"/approve", map[string]string{}); resp.code != http.StatusNotFound {
			t.Errorf("unknown decision: %d", resp.code)
		}
		if resp := offB.get("/api/v1/inquiry-links"); strings.TrimSpace(resp.body) != "[]" {
			t.Errorf("after deciding both, still pending: %s", resp.body)
		}
	})
}

func TestPublicFiguresPage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		base := newEnv(t, b, nil)
		listID := base.handOver("../service/testdata/first-list.csv", "")
		if _, err := base.svc.SetInquiryOutcome(context.Background(), observer, listID, 1, families.StatusRepatriated, time.Date(2025, 6, 15, 0, 0, 0, 0, time.UTC), ""); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			threshold  int
			wantChart  bool
			wantSuppr  bool
			wantListed string
		}{{1, true, false, "3"}, {0, false, true, "&lt; 10"}} {
			h, err := familyweb.NewHandler(base.svc, familyweb.Options{Threshold: tc.threshold, InsecureCookies: true})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			e := &env{t: t, svc: base.svc, db: base.db, srv: srv, clock: base.clock}
			c := e.browser()
			page := c.get("/public?lang=en")
			if page.code != 200 {
				t.Fatalf("public page %d", page.code)
			}
			assertNoLeak(t, "public page", page.body, listID, "Шевченко", "Sergii")
			if got := strings.Contains(page.body, "<svg") && strings.Contains(page.body, "<polyline"); got != tc.wantChart {
				t.Errorf("threshold %d: chart present = %v\n%s", tc.threshold, got, page.body)
			}
			if !strings.Contains(page.body, `<span class="value">`+tc.wantListed+`</span><span class="label">Persons on lists handed over`) {
				t.Errorf("threshold %d: persons listed not shown as %s", tc.threshold, tc.wantListed)
			}
			if tc.wantSuppr && !strings.Contains(page.body, "Not enough data to publish yet.") {
				t.Error("a suppressed series must say so")
			}
			api := c.get("/api/v1/public/figures")
			var f map[string]any
			if err := json.Unmarshal([]byte(api.body), &f); err != nil {
				t.Fatal(err)
			}
			listed := f["listed"].(map[string]any)
			if tc.wantSuppr != (listed["suppressed"] == true) || (tc.wantSuppr && listed["count"] != nil) {
				t.Errorf("threshold %d: listed = %v", tc.threshold, listed)
			}
			if !strings.HasPrefix(api.header.Get("Cache-Control"), "public") {
				t.Errorf("figures not cacheable: %q", api.header.Get("Cache-Control"))
			}
			assertNoLeak(t, "figures API", api.body, listID, "Шевченко")
		}
	})
}

// TestNewsReachesTheFamilyByMail follows a confirmation through the outbox
// to a real SMTP server: the message names the reference and the page, and
// nothing of the news.
func TestNewsReachesTheFamilyByMail(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.Backend{Name: "sqlite", DataDir: t.TempDir()}, nil)
	c := e.browser()
	resp := c.postJSON("/api/v1/inquiries", families.Request{Surname: "Шевченко", GivenNames: "Сергій", BirthDate: "1999-03-12", Party: "B", Relationship: "parent", Email: "m@example.org", Consent: true, Lang: "ru"})
	var r struct{ Reference string }
	_ = json.Unmarshal([]byte(resp.body), &r)
	listID := e.handOver("../service/testdata/first-list.csv", "")
	links, _ := e.svc.PendingLinks(context.Background(), officerB)
	if len(links) != 1 {
		t.Fatalf("%d links", len(links))
	}
	if err := e.svc.ConfirmLink(context.Background(), officerB, links[0].Link.ID, ""); err != nil {
		t.Fatal(err)
	}
	sink, err := smtpsink.Start("127.0.0.1:0", smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	mail, err := notify.NewSMTPSender(notify.SMTPConfig{Host: sink.Host(), Port: sink.Port(), From: "inquiries@parley.test", TLS: notify.TLSNone})
	if err != nil {
		t.Fatal(err)
	}
	d := notify.NewDispatcher(e.db, mail, nil, notify.Config{StatusURL: e.srv.URL + "/family/status"}, nil)
	if st, err := d.RunOnce(context.Background()); err != nil || st.Delivered != 1 {
		t.Fatalf("dispatch: %+v %v", st, err)
	}
	msgs := sink.Messages()
	if len(msgs) != 1 || msgs[0].To[0] != "m@example.org" {
		t.Fatalf("messages %+v", msgs)
	}
	m := msgs[0]
	if !strings.Contains(m.Subject, r.Reference) || !strings.Contains(m.Text, e.srv.URL+"/family/status") || !strings.Contains(m.Text, "Есть новости") {
		t.Errorf("message: %q\n%s", m.Subject, m.Text)
	}
	assertNoLeak(t, "e-mail", m.Subject+m.Text, listID, "Шевченко", "listed", "список", "передал")
}

// TestReviewRedirect: served beside the workbench (Options.ReviewURL), the
// family site sends everyone who opens its review page to the
// workbench's, which has the layout and the gates; served alone, it shows
// its own.
func TestReviewRedirect(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, url string
		want      int
	}{
		{"beside the workbench", "/family-links", http.StatusSeeOther},
		{"alone", "", http.StatusOK},
	} {
		t.Run(c.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, b storetest.Backend) {
				e := newEnv(t, b, func(o *familyweb.Options) { o.ReviewURL = c.url })
				off := e.browser()
				off.header.Set("X-Test-User", "b")
				resp := off.get("/family/review")
				if resp.code != c.want {
					t.Errorf("%d, want %d", resp.code, c.want)
				}
				if c.url != "" && resp.header.Get("Location") != c.url {
					t.Errorf("sent to %q", resp.header.Get("Location"))
				}
			})
		})
	}
}
