package web

import (
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"parley/internal/access"
	"parley/internal/category"
	"parley/internal/listfile"
	"parley/internal/person"
	"parley/internal/printout"
	"parley/internal/service"
)

// The registry page: a party's own registry, which may hold a million
// records, shown a page at a time; the search box, the filters and the
// sort are the database's (service.RegistryPage), and the export and the
// printout take the whole filtered table in the same order.

func init() { addRoutes(registryRoutes) }

func registryRoutes(s *Server) []Route {
	return []Route{
		{Method: "GET", Pattern: "/registry/export", Auth: SignedIn, Summary: "Download the registry as filtered and sorted on its page (CSV in the page's language, or XLSX)", Handler: s.registryExport},
	}
}

// registryFilter is the page's query, read from and written to its URL.
type registryFilter struct {
	service.RegistryQuery
}

func readRegistryFilter(v url.Values) registryFilter {
	f := registryFilter{service.RegistryQuery{Search: strings.TrimSpace(v.Get("q")), Status: v.Get("status"), Category: v.Get("category"),
		Sort: v.Get("sort"), Desc: v.Get("dir") == "desc"}}
	f.Page, _ = strconv.Atoi(v.Get("page"))
	if !person.Status(f.Status).Valid() {
		f.Status = ""
	}
	switch f.Sort {
	case "name", "birth", "status":
	default:
		f.Sort = ""
	}
	return f
}

func (f registryFilter) values() url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("q", f.Search)
	set("status", f.Status)
	set("category", f.Category)
	set("sort", f.Sort)
	if f.Desc {
		v.Set("dir", "desc")
	}
	if f.Page > 1 {
		v.Set("page", strconv.Itoa(f.Page))
	}
	return v
}

// Link is the page under this filter with one field changed; a new sort or
// filter starts at the first page.
func (f registryFilter) Link(field, value string) string {
	g := f
	g.Page = 1
	switch field {
	case "page":
		g.Page, _ = strconv.Atoi(value)
	case "sort":
		// The same column again turns the order round.
		if g.Sort == value {
			g.Desc = !g.Desc
		} else {
			g.Sort, g.Desc = value, false
		}
	case "status":
		g.Status = value
	case "category":
		g.Category = value
	}
	q := g.values().Encode()
	if q == "" {
		return "/registry"
	}
	return "/registry?" + q
}

// Export is the export of the filtered table in a format.
func (f registryFilter) Export(format string) string {
	v := f.values()
	v.Del("page")
	v.Set("format", format)
	return "/registry/export?" + v.Encode()
}

// SortMark is the arrow of a sorted column header ("" when unsorted).
func (f registryFilter) SortMark(col string) string {
	if f.Sort != col && !(col == "row" && f.Sort == "") {
		return ""
	}
	if f.Desc {
		return "descending"
	}
	return "ascending"
}

type registryData struct {
	Party      string
	Filter     registryFilter
	Page       *service.RegistryPage
	First      int // the row number shown first, from 1
	Last       int
	Statuses   []person.Status
	Categories []category.Category
	Prev, Next int
}

func (s *Server) registryPage(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	if actor.Party == "" {
		return access.Forbid("deny.registry_officers")
	}
	f := readRegistryFilter(r.URL.Query())
	pg, err := s.svc.RegistryPage(r.Context(), actor, actor.Party, f.RegistryQuery)
	if err != nil {
		return err
	}
	f.Page = pg.Page
	d := &registryData{Party: actor.Party, Filter: f, Page: pg, Statuses: person.Statuses(), Categories: s.svc.Catalogue().All()}
	if len(pg.Entries) > 0 {
		d.First = (pg.Page-1)*50 + 1
		d.Last = d.First + len(pg.Entries) - 1
	}
	if pg.Page > 1 {
		d.Prev = pg.Page - 1
	}
	if pg.Page < pg.Pages {
		d.Next = pg.Page + 1
	}
	return s.render(w, r, http.StatusOK, "registry", s.page(w, r, "registry.title", "registry", d))
}

func (s *Server) registryExport(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	if actor.Party == "" {
		return access.Forbid("deny.registry_officers")
	}
	f := readRegistryFilter(r.URL.Query())
	format := listfile.Format(strings.ToLower(r.URL.Query().Get("format")))
	var opts *listfile.ExportOptions
	switch format {
	case "", listfile.CSV:
		format = listfile.CSV
		opts = &listfile.ExportOptions{Lang: printout.Lang(s.pickLanguage(r))}
	case listfile.XLSX:
	default:
		return unprocessable("err.web.format_registry", "format", format)
	}
	var buf strings.Builder
	if err := s.svc.ExportRegistry(r.Context(), actor, actor.Party, f.RegistryQuery, format, opts, &buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", exportTypes[format])
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "registry-" + actor.Party + "." + string(format)}))
	_, err := w.Write([]byte(buf.String()))
	return err
}
