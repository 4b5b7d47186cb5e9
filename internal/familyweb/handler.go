// Package familyweb serves the pages and the JSON API of family
// inquiries: the public form where a family registers an inquiry, the page
// where it reads the status with its reference and secret, the public
// figures, and the pages where officers confirm or reject the links the
// matching engine proposes.
//
// The family pages work without JavaScript and under a strict Content
// Security Policy (no inline script or style: the stylesheet is served from
// /family/static/), read well on a phone, and speak English, Ukrainian and
// Russian (?lang=, a cookie, or the browser's Accept-Language). Forms are
// protected against cross-site request forgery twice: by Go's
// http.CrossOriginProtection, and by a double-submit token (a random value
// in a cookie that the form must repeat). Status look-ups and
// registrations are rate-limited per client address, and look-ups also per
// reference.
//
// A family is shown what families.PublicStatus holds and nothing else: no
// list, no other person, no score. The handlers never read a list entry
// for a family page.
package familyweb

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"parley/internal/access"
	"parley/internal/families"
	"parley/internal/httpx"
	"parley/internal/msg"
	"parley/internal/person"
	"parley/internal/service"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Options configure the handler. The zero value is usable for everything
// but the officers' pages, which need Actor.
type Options struct {
	// Actor returns the signed-in user of a request (the server's
	// sessions and API tokens), false when nobody is signed in. Without it
	// the officers' pages and API answer 401.
	Actor func(*http.Request) (access.Actor, bool)
	// ReviewURL, when set, is where the officers' review of links lives
	// in the workbench served by the same server: GET /family/review
	// then answers 303 to it, so that officers review inside the
	// workbench's layout (menu, sign-out). Empty when the family site is
	// served alone; it then shows its own review page.
	ReviewURL string
	// Threshold is the smallest count the public figures show; default
	// families.DefaultThreshold (10).
	Threshold int
	// FiguresTTL is how long computed public figures are reused; default
	// one minute.
	FiguresTTL time.Duration
	// Limits are the rate limits; zero fields take DefaultLimits.
	Limits Limits
	// ClientIP returns the client address of a request; default the
	// connection's peer. Behind a reverse proxy, read the proxy's header
	// here (and only there: a client can set any header).
	ClientIP func(*http.Request) string
	// InsecureCookies drops the Secure flag of cookies, for plain-HTTP
	// development and tests only.
	InsecureCookies bool
	// AllowHTTPWebhooks accepts http:// webhook URLs and private
	// addresses (closed networks and tests).
	AllowHTTPWebhooks bool
	// TrustedOrigins are other origins allowed to post forms (e.g. a
	// separate public front end), as for http.CrossOriginProtection.
	TrustedOrigins []string
	// Now is the clock of the rate limits; tests may replace it.
	Now    func() time.Time
	Logger *slog.Logger
}

// Handler serves the family pages and API.
type Handler struct {
	svc  *service.Service
	opts Options
	mux  *http.ServeMux
	root http.Handler
	// cop is the family site's cross-origin check (its own trusted
	// origins and refusal page).
	cop  *http.CrossOriginProtection
	tmpl map[string]*template.Template
	cat  map[string]catalogue
	css  string // path of the stylesheet with its content hash

	inquiries, lookupFails, refFails, newSecrets *limiter
	// lookups counts in memory first; see batchLimiter.
	lookups *batchLimiter

	figMu  sync.Mutex
	figAt  time.Time
	figVal *families.Figures
	// figVer is the figures version figVal was computed at.
	figVer int64
}

// New returns the handler of the family pages and API. The server routes
// to it: /family/, /public, /api/v1/inquiries, /api/v1/inquiries/,
// /api/v1/inquiry-links, /api/v1/inquiry-links/ and /api/v1/public/. It
// also starts the background comparison of handed-over lists with
// inquiries (see service.EnableFamilyLinking). It panics on an invalid trusted origin or
// a broken embedded template or catalogue (the tests catch the latter);
// NewHandler returns the error instead.
func New(svc *service.Service, opts Options) http.Handler {
	h, err := NewHandler(svc, opts)
	if err != nil {
		panic("familyweb: " + err.Error())
	}
	return h
}

// NewHandler is New with the error returned.
func NewHandler(svc *service.Service, opts Options) (*Handler, error) {
	if opts.Threshold <= 0 {
		opts.Threshold = families.DefaultThreshold
	}
	if opts.FiguresTTL <= 0 {
		opts.FiguresTTL = time.Minute
	}
	if opts.ClientIP == nil {
		opts.ClientIP = remoteIP
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	opts.Limits.fill()
	cat, err := loadCatalogues()
	if err != nil {
		return nil, err
	}
	h := &Handler{svc: svc, opts: opts, cat: cat, mux: http.NewServeMux()}
	if err := h.parseTemplates(); err != nil {
		return nil, err
	}
	css, err := staticFiles.ReadFile("static/style.css")
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(css)
	h.css = "/family/static/style.css?v=" + hex.EncodeToString(sum[:6])
	l := opts.Limits
	h.inquiries = newLimiter(svc, "family_inquiry", l.Inquiries, opts.Now, opts.Logger)
	h.lookups = newBatchLimiter(newLimiter(svc, "family_lookup", l.Lookups, opts.Now, opts.Logger))
	h.lookupFails = newLimiter(svc, "family_lookup_failure", l.LookupFailures, opts.Now, opts.Logger)
	h.refFails = newLimiter(svc, "family_reference_failure", l.ReferenceFailures, opts.Now, opts.Logger)
	h.newSecrets = newLimiter(svc, "family_new_secret", l.NewSecrets, opts.Now, opts.Logger)
	h.routes()
	cop := http.NewCrossOriginProtection()
	for _, o := range opts.TrustedOrigins {
		if err := cop.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("trusted origin %q: %w", o, err)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, http.StatusForbidden, "error.csrf")
	}))
	h.cop = cop
	h.root = h.protect(h.mux)
	svc.EnableFamilyLinking()
	return h, nil
}

// ServeHTTP serves a request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.root.ServeHTTP(w, r) }

// table is the family site's route table: its pages and its API.
func (h *Handler) table() []httpx.Route {
	static, _ := fs.Sub(staticFiles, "static")
	files := http.StripPrefix("/family/static/", http.FileServerFS(static))
	page := func(method, pattern, summary string, f http.HandlerFunc) httpx.Route {
		return httpx.Route{Method: method, Pattern: pattern, Public: true, Summary: summary, Handler: f}
	}
	jsonBody := []string{"application/json"}
	return []httpx.Route{
		page("GET", "/family/static/", "The family pages' stylesheet", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "public, max-age=86400")
			files.ServeHTTP(w, r)
		}),
		page("GET", "/family/{$}", "The family site's home page", h.home),
		page("GET", "/family", "Redirect to /family/", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/family/", http.StatusMovedPermanently)
		}),
		page("GET", "/family/inquire", "The form of a new inquiry", h.inquireForm),
		page("POST", "/family/inquire", "Register an inquiry", h.inquireSubmit),
		page("GET", "/family/status", "The form of a status look-up", h.statusForm),
		page("POST", "/family/status", "Look up an inquiry's status", h.statusSubmit),
		page("GET", "/family/new-secret", "The form asking for a new secret", h.newSecretForm),
		page("POST", "/family/new-secret", "Ask for a new secret, sent to the registered contact", h.newSecretSubmit),
		{Method: "GET", Pattern: "/family/review", Summary: "Links waiting for the officers of the relative's side", Handler: http.HandlerFunc(h.reviewPage)},
		{Method: "POST", Pattern: "/family/review/{id}/{decision}", Summary: "Confirm or reject a link", Handler: http.HandlerFunc(h.reviewDecide)},
		page("GET", "/public", "Public aggregate figures", h.publicPage),
		page("GET", "/family/", "Any other family page: not found", func(w http.ResponseWriter, r *http.Request) { h.fail(w, r, http.StatusNotFound, "error.notfound") }),

		{Method: "POST", Pattern: "/api/v1/inquiries", Public: true, Summary: "Register a family's inquiry about a relative; the secret is returned once", Body: jsonBody,
			In: families.Request{}, Out: registerResponse{}, Handler: http.HandlerFunc(h.apiRegister)},
		{Method: "POST", Pattern: "/api/v1/inquiries/status", Public: true, Summary: "An inquiry's status, given its reference and secret", Body: jsonBody,
			In: credentials{}, Out: families.PublicStatus{}, Handler: http.HandlerFunc(h.apiStatus)},
		{Method: "POST", Pattern: "/api/v1/inquiries/new-secret", Public: true, Summary: "Send a new secret to an inquiry's registered contact", Body: jsonBody,
			In: newSecretRequest{}, Out: messageResponse{}, Handler: http.HandlerFunc(h.apiNewSecret)},
		{Method: "GET", Pattern: "/api/v1/inquiry-links", Summary: "Links between inquiries and list entries waiting for the caller's side (officers)",
			Out: []service.LinkReview{}, Handler: http.HandlerFunc(h.apiLinks)},
		{Method: "POST", Pattern: "/api/v1/inquiry-links/{id}/{decision}", Summary: "Confirm or reject a link (decision confirm or reject; officers of the relative's side)", Body: jsonBody,
			In: decideRequest{}, Out: decisionResponse{}, Handler: http.HandlerFunc(h.apiDecide)},
		{Method: "GET", Pattern: "/api/v1/public/figures", Public: true, Summary: "Public aggregate figures, small counts suppressed",
			Out: families.Figures{}, Handler: http.HandlerFunc(h.apiFigures)},
	}
}

func (h *Handler) routes() {
	for _, rt := range h.table() {
		h.mux.Handle(rt.Method+" "+rt.Pattern, rt.Handler)
	}
}

// Routes returns the family site's route table for the server that
// carries it (see web.Server.Adopt), each route served by its own handler
// behind the family site's security headers and cross-origin checks:
// the carrying server's router has found the route, so the family site's
// own router is not asked again.
func (h *Handler) Routes() []httpx.Route {
	rs := h.table()
	for i := range rs {
		rs[i].Handler = h.protect(rs[i].Handler)
	}
	return rs
}

// contentSecurityPolicy allows the family pages a stylesheet from this
// origin and nothing else: no script at all.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// familyHeaders is what every answer carries: a strict Content Security
// Policy (stylesheet from this origin only, no script at all), no
// framing, no MIME sniffing, no referrer (a status page's address must not
// travel), and no caching of anything but static files and public figures
// (whose handlers say so). Built once.
var familyHeaders = httpx.SecurityHeaders(contentSecurityPolicy, "Cache-Control", "no-store")

// protect puts the family site's security headers and cross-origin
// checks in front of next.
func (h *Handler) protect(next http.Handler) http.Handler {
	checked := h.cop.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		familyHeaders.Apply(w.Header())
		checked.ServeHTTP(w, r)
	})
}

// page is what every template receives.
type page struct {
	Lang    string
	Langs   []langLink
	CSS     string
	CSRF    string
	Title   string
	Nav     string
	Officer bool
	Data    any
}

type langLink struct {
	Code, Name string
	Current    bool
}

func (h *Handler) parseTemplates() error {
	h.tmpl = map[string]*template.Template{}
	pages, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return err
	}
	for _, p := range pages {
		name := p[len("templates/"):]
		if name == "layout.html" {
			continue
		}
		// The translation function is bound per request (see render);
		// here it only has to exist.
		t, err := template.New("layout.html").Funcs(h.funcs(languages[0], catalogue{})).ParseFS(templateFiles, "templates/layout.html", p)
		if err != nil {
			return fmt.Errorf("template %s: %w", name, err)
		}
		h.tmpl[name] = t
	}
	return nil
}

func (h *Handler) funcs(lang string, c catalogue) template.FuncMap {
	return template.FuncMap{
		"T": func(key string, args ...any) string {
			s := make([]string, len(args))
			for i, a := range args {
				s[i] = fmt.Sprint(a)
			}
			return c.translate(key, s...)
		},
		"pct": func(f float64) string { return msg.Param(lang, msg.Float{V: f * 100, Prec: 1}) + " %" },
		// stored renders a text stored as messages (a link's reasons) in
		// the page's language.
		"stored": func(s string) string { return msg.TextOf(lang, s) },
		"num":    func(n int) string { return msg.Number(lang, int64(n)) },
		// pdate writes a possibly partial date the page's language's way.
		"pdate": func(d person.Date) string { return msg.PartialDate(lang, d.Year, d.Month, d.Day) },
		"inc":   func(i int) int { return i + 1 },
	}
}

// render writes a page in the request's language.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	t, ok := h.tmpl[name]
	if !ok {
		h.opts.Logger.Error("familyweb: no template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if p.Lang == "" {
		p.Lang = pickLanguage(w, r, !h.opts.InsecureCookies)
	}
	c := h.cat[p.Lang]
	p.CSS = h.css
	for _, l := range languages {
		p.Langs = append(p.Langs, langLink{Code: l, Name: h.cat[l]["lang.name"], Current: l == p.Lang})
	}
	if h.opts.Actor != nil {
		if a, ok := h.opts.Actor(r); ok && a.Has(access.Officer) {
			p.Officer = true
		}
	}
	t, err := t.Clone()
	if err == nil {
		t = t.Funcs(h.funcs(p.Lang, c))
	}
	var buf bytes.Buffer
	if err == nil {
		err = t.ExecuteTemplate(&buf, "layout.html", p)
	}
	if err != nil {
		h.opts.Logger.Error("familyweb: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail shows an error page with one message.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, status int, key string) {
	h.render(w, r, status, "error.html", &page{Title: key, Data: key})
}

// csrf is the double-submit defence of the family forms, behind the
// cross-origin check. With Secure cookies its cookie carries the __Host-
// prefix, which browsers accept only from this very host over HTTPS, so
// that a neighbouring subdomain cannot plant a token.
func (h *Handler) csrf() httpx.DoubleSubmit {
	return httpx.DoubleSubmit{Name: "parley_family_csrf", Secure: !h.opts.InsecureCookies}
}

// csrfToken returns the request's token, setting a new cookie when it has
// none.
func (h *Handler) csrfToken(w http.ResponseWriter, r *http.Request) string {
	return h.csrf().Token(w, r)
}

// checkCSRF compares the form's token with the cookie's, in constant time.
func (h *Handler) checkCSRF(r *http.Request) bool {
	return h.csrf().Check(r, r.PostFormValue("csrf"))
}

// tooMany answers 429 with Retry-After.
func tooMany(w http.ResponseWriter, retry time.Duration) {
	secs := int(retry.Seconds()) + 1
	w.Header().Set("Retry-After", strconv.Itoa(secs))
}

// maxForm bounds a posted form or JSON body.
const maxForm = 64 << 10

// Site is the server that carries the family site (web.Server): its
// route table and its mounts under a prefix.
type Site interface {
	Adopt(routes ...httpx.Route) error
	Mount(pattern string, h http.Handler) error
}

// Prefixes are the paths under which the family site answers what its
// route table does not name (other methods, unknown family pages).
var Prefixes = []string{"/family/", "/public", "/api/v1/inquiries", "/api/v1/inquiries/", "/api/v1/inquiry-links", "/api/v1/inquiry-links/", "/api/v1/public/"}

// MountOn adds the family site to the server that carries it: its routes
// join the route table (documented, walked by the authorization test), and
// Prefixes keep answering the rest from the family site itself. The server
// `parley serve` runs and the load benchmark mount it this same way.
func (h *Handler) MountOn(s Site) error {
	if err := s.Adopt(h.Routes()...); err != nil {
		return fmt.Errorf("familyweb: adopt routes: %w", err)
	}
	for _, p := range Prefixes {
		if err := s.Mount(p, h); err != nil {
			return fmt.Errorf("familyweb: mount %s: %w", p, err)
		}
	}
	return nil
}
