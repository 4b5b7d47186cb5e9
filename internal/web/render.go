package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"parley/internal/access"
	"parley/internal/httpx"
	"parley/internal/lists"
)

// Templates: templates/layout.html and templates/partials/*.html are shared;
// every templates/pages/<name>.html defines "content" for page <name>.
//
//go:embed templates
var templateFS embed.FS

// Static files (style sheet, icons), served under /static/. No CDN: the
// workbench must work on a closed network, and the CSP allows only 'self'.
//
//go:embed static
var staticFS embed.FS

var templateFuncs = template.FuncMap{
	"add": func(a, b int) int { return a + b },
	"sub": func(a, b int) int { return a - b },
	"join": func(sep string, items []string) string {
		return strings.Join(items, sep)
	},
	"listTable": func(l *Localizer, ls []*lists.List, parties map[string]string) listTableData {
		return listTableData{L: l, Lists: ls, Parties: parties}
	},
	"sortedListTable": func(l *Localizer, ls []*lists.List, parties map[string]string, f tableFilter) listTableData {
		return listTableData{L: l, Lists: ls, Parties: parties, Filter: &f}
	},
	// percent of a whole, for bar widths (0 when the whole is 0).
	"percent": func(part, whole int) int {
		if whole <= 0 {
			return 0
		}
		return min(100, part*100/whole)
	},
	"roleNames": func(roles []access.Role) []string {
		out := make([]string, len(roles))
		for i, r := range roles {
			out[i] = string(r)
		}
		return out
	},
}

// listTableData feeds the shared "list_table" partial.
type listTableData struct {
	L       *Localizer
	Lists   []*lists.List
	Parties map[string]string
	Filter  *tableFilter // the lists page's: its headers sort
}

func loadTemplates() (map[string]*template.Template, error) {
	base := template.New("layout").Funcs(templateFuncs)
	base, err := base.ParseFS(templateFS, "templates/layout.html", "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	files, err := fs.Glob(templateFS, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, f := range files {
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := t.ParseFS(templateFS, f); err != nil {
			return nil, fmt.Errorf("web: template %s: %w", f, err)
		}
		pages[strings.TrimSuffix(path.Base(f), ".html")] = t
	}
	return pages, nil
}

// Page is what every page template receives.
type Page struct {
	L         *Localizer
	Title     string // localized
	Nav       string // the active menu item
	Actor     *access.Actor
	CSRF      string // the form token of this session (or pre-session)
	Path      string // this page's path and query, for the language switcher
	Languages []Language
	Data      any
	// ToDo counts the steps that wait for the signed-in user (service.ToDo),
	// for the menu's badge.
	ToDo int
	// menu is the menu's links once laid out (see MenuLinks).
	menu template.HTML
}

// Has reports whether the signed-in actor holds a role (false when
// anonymous); templates use it to show only the menu items that work.
func (p *Page) Has(role string) bool { return p.Actor != nil && p.Actor.Has(access.Role(role)) }

// CanReviewAccessLog mirrors the access rule for the menu.
func (p *Page) CanReviewAccessLog() bool { return p.Actor != nil && p.Actor.CanReviewAccessLog() }

func (s *Server) page(w http.ResponseWriter, r *http.Request, titleKey, nav string, data any) *Page {
	lang := s.pickLanguage(r)
	l := s.localizer(lang)
	p := &Page{L: l, Title: l.T(titleKey), Nav: nav, Path: r.URL.RequestURI(), Languages: Languages, Data: data}
	if id := identityFrom(r.Context()); id != nil {
		a := id.Actor
		p.Actor = &a
		p.ToDo = s.todoCount(r.Context(), a)
		if id.Session != nil {
			p.CSRF = id.Session.CSRFToken
		}
	} else {
		p.CSRF = s.preSessionToken(w, r)
	}
	return p
}

// render writes a page with a status.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *Page) error {
	t, ok := s.pages[name]
	if !ok {
		return fmt.Errorf("web: no page template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", p.L.Lang)
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

type errorData struct {
	Status  int
	Message string
}

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	key := "error.generic"
	switch status {
	case http.StatusNotFound:
		key = "error.not_found"
	case http.StatusForbidden:
		key = "error.forbidden"
	case http.StatusUnauthorized:
		key = "error.unauthorized"
	}
	p := s.page(w, r, key, "", errorData{Status: status, Message: msg})
	if err := s.render(w, r, status, "error", p); err != nil {
		s.log.Error("render error page", "err", err)
		http.Error(w, http.StatusText(status), status)
	}
}

// preSession is the double-submit defence of anonymous forms (the
// sign-in), whose cookie lives for an hour.
func (s *Server) preSession() httpx.DoubleSubmit {
	return httpx.DoubleSubmit{Name: preSessionCookie, Secure: s.opts.TLS, MaxAge: 3600}
}

// preSessionToken returns the double-submit token of an anonymous
// visitor, setting its cookie on first use.
func (s *Server) preSessionToken(w http.ResponseWriter, r *http.Request) string {
	return s.preSession().Token(w, r)
}

func (s *Server) staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	return http.StripPrefix("/static/", http.FileServerFS(sub))
}
