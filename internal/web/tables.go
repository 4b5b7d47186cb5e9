package web

import (
	"html"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"parley/internal/access"
	"parley/internal/category"
	"parley/internal/listfile"
	"parley/internal/lists"
	"parley/internal/parties"
	"parley/internal/person"
	"parley/internal/printout"
	"parley/internal/service"
)

// The tables that can grow — the registry, the lists, one list's persons,
// the left-off report — share their controls: the search box, the
// filters, the sortable column headers, the pager, the export of the
// filtered table (CSV in the page's language, XLSX) and its print view
// (view=print: the whole filtered table on one page, which the print
// style sheet prints without navigation or pager). The query lives in
// the page's URL (tableFilter) and the database answers it (service.TableQuery).

// tableFilter is a table's query, read from and written to its page's URL.
type tableFilter struct {
	service.TableQuery
	path string // the page's path
}

func init() { addRoutes(tableRoutes) }

func tableRoutes(s *Server) []Route {
	return []Route{
		{Method: "GET", Pattern: "/match-runs/{id}/left-off/export", Auth: SignedIn, Roles: []access.Role{access.Officer}, Summary: "Download the left-off report as filtered and sorted on its page (CSV in the page's language, or XLSX)", Handler: s.leftOffExport},
	}
}

var (
	leftOffStatuses = []string{string(person.StatusBelievedCaptured), string(person.StatusConfirmedCaptured)}
	leftOffTable    = tableSpec{sorts: []string{"name", "birth", "status"}, status: func(v string) bool { return slices.Contains(leftOffStatuses, v) }}
)

func (s *Server) leftOffExport(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	f := readTableFilter(r.URL.Query(), "", leftOffTable)
	format, opts, err := s.exportFormat(r)
	if err != nil {
		return err
	}
	return serveExport(w, id+"-left-off", format, func(b *strings.Builder) error {
		return s.svc.ExportLeftOff(r.Context(), actorOf(r), id, f.TableQuery, format, opts, b)
	})
}

// tableSpec says which sorts and filter values a table takes.
type tableSpec struct {
	sorts  []string
	status func(string) bool // a valid status or state; nil when the table has none
	link   func(string) bool // a valid state of links; nil when the table has none
}

func readTableFilter(v url.Values, path string, spec tableSpec) tableFilter {
	f := tableFilter{TableQuery: service.TableQuery{Search: strings.TrimSpace(v.Get("q")), Category: v.Get("category"), Party: v.Get("party"),
		Sort: v.Get("sort"), Desc: v.Get("dir") == "desc", All: v.Get("view") == "print"}, path: path}
	f.Page, _ = strconv.Atoi(v.Get("page"))
	f.After, f.Before = v.Get("after"), v.Get("before")
	if spec.status != nil && spec.status(v.Get("status")) {
		f.Status = v.Get("status")
	}
	if spec.link != nil && spec.link(v.Get("link")) {
		f.Links = v.Get("link")
	}
	if !slices.Contains(spec.sorts, f.Sort) {
		f.Sort = ""
	}
	// A date the browser's date field did not give is dropped here, not
	// read as some other day.
	for _, d := range []struct {
		key string
		to  *string
	}{{"from", &f.From}, {"to", &f.To}} {
		if _, err := time.Parse(time.DateOnly, v.Get(d.key)); err == nil {
			*d.to = v.Get(d.key)
		}
	}
	return f
}

func (f tableFilter) values() url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("q", f.Search)
	set("status", f.Status)
	set("category", f.Category)
	set("party", f.Party)
	set("link", f.Links)
	set("from", f.From)
	set("to", f.To)
	set("sort", f.Sort)
	if f.Desc {
		v.Set("dir", "desc")
	}
	if f.Page > 1 && !f.All {
		v.Set("page", strconv.Itoa(f.Page))
	}
	if f.All {
		v.Set("view", "print")
	}
	return v
}

func (f tableFilter) url(path string, v url.Values) string {
	if q := v.Encode(); q != "" {
		return path + "?" + q
	}
	return path
}

// Link is the page under this filter with one field changed; a new sort or
// filter starts at the first page.
func (f tableFilter) Link(field, value string) string {
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
	case "link":
		g.Links = value
	}
	return f.url(f.path, g.values())
}

// pageLink is the page n under this filter, begun from a neighbour's edge
// (edge "after" or "before", at key; see service.TableQuery.After) when
// the table gave one. The edge is only ever in a pager's link: any other
// link starts from the page number alone.
func (f tableFilter) pageLink(n int, edge, key string) string {
	g := f
	g.Page = n
	v := g.values()
	if key != "" && n > 1 {
		v.Set(edge, key)
	}
	return f.url(f.path, v)
}

// Path is the table's page.
func (f tableFilter) Path() string { return f.path }

// Clear is the table without search and filters, in the same order.
func (f tableFilter) Clear() string {
	g := tableFilter{path: f.path}
	g.Sort, g.Desc = f.Sort, f.Desc
	return f.url(f.path, g.values())
}

// Filtered reports whether the search box or a filter narrows the table.
func (f tableFilter) Filtered() bool {
	return f.Search != "" || f.Status != "" || f.Category != "" || f.Party != "" || f.Links != "" || f.From != "" || f.To != ""
}

// Export is the export of the filtered table in a format.
func (f tableFilter) Export(format string) string {
	v := f.values()
	v.Del("page")
	v.Del("view")
	v.Set("format", format)
	return f.url(f.path+"/export", v)
}

// printout is a PDF of the filtered table, made at path.
func (f tableFilter) printout(path string) string {
	v := f.values()
	v.Del("page")
	v.Del("view")
	return f.url(path, v)
}

// Print is the print view of the filtered table.
func (f tableFilter) Print() string {
	g := f
	g.All = true
	return f.url(f.path, g.values())
}

// Screen is the page view of the filtered table, from its print view.
func (f tableFilter) Screen() string {
	g := f
	g.All = false
	return f.url(f.path, g.values())
}

// SortMark is the arrow of a sorted column header ("" when unsorted); the
// column "row" is the order when no sort is asked for.
func (f tableFilter) SortMark(col string) string {
	if f.Sort != col && !(col == "row" && f.Sort == "") {
		return ""
	}
	if f.Desc {
		return "descending"
	}
	return "ascending"
}

// tableSelect is a filter of a table offered as a choice.
type tableSelect struct {
	Name    string // the query parameter
	Label   string // catalogue key of its label
	Kind    string // how an option is named: status, state, category, party
	Value   string // the chosen option
	Options []string
	Names   map[string]string // Kind party: the parties' names
}

// tableView is what the shared table controls show (partials "table_tools"
// and "table_pager").
type tableView struct {
	Filter  tableFilter
	Selects []tableSelect
	Dates   bool // the table is filtered by a range of days
	Search  *service.Search
	// Placeholder is the catalogue key of the search box's hint.
	Placeholder string
	Exports     []string // formats of the export; "pdf" is the printout
	PDF         string   // the printout of the filtered table, when there is one
	Total       int
	Page, Pages int
	First, Last int // the rows shown, from 1
	Prev, Next  int
	// PrevLink and NextLink are the pager's links to them.
	PrevLink, NextLink string
	// More says that more rows than Total are under the query (the count
	// stopped there).
	More bool
}

// newTableView lays out the controls of a table's page.
func newTableView[T any](f tableFilter, pg *service.Page[T]) *tableView {
	f.Page = pg.Page
	t := &tableView{Filter: f, Total: pg.Total, Page: pg.Page, Pages: pg.Pages, Search: &pg.Search,
		Exports: []string{"csv", "xlsx"}, Placeholder: "workbench.search_placeholder"}
	if len(pg.Entries) > 0 {
		t.First = (pg.Page-1)*pg.Size + 1
		t.Last = t.First + len(pg.Entries) - 1
	}
	t.More = pg.More
	if pg.Page > 1 {
		t.Prev = pg.Page - 1
		t.PrevLink = f.pageLink(t.Prev, "before", pg.Before)
	}
	if pg.Page < pg.Pages {
		t.Next = pg.Page + 1
		t.NextLink = f.pageLink(t.Next, "after", pg.After)
	}
	return t
}

// exportFormat reads the format of a table's export: the clerk's CSV in
// the page's language (opts), or XLSX.
func (s *Server) exportFormat(r *http.Request) (listfile.Format, *listfile.ExportOptions, error) {
	format := listfile.Format(strings.ToLower(r.URL.Query().Get("format")))
	switch format {
	case "", listfile.CSV:
		return listfile.CSV, &listfile.ExportOptions{Lang: printout.Lang(s.pickLanguage(r))}, nil
	case listfile.XLSX:
		return format, nil, nil
	}
	return "", nil, unprocessable("err.web.format_registry", "format", string(format))
}

// serveExport writes an exported table, made in memory first so that a
// failure still yields an error page rather than half a file.
func serveExport(w http.ResponseWriter, name string, format listfile.Format, write func(*strings.Builder) error) error {
	var buf strings.Builder
	if err := write(&buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", exportTypes[format])
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name + "." + string(format)}))
	_, err := w.Write([]byte(buf.String()))
	return err
}

var listsTable = tableSpec{sorts: []string{"title", "state", "entries", "created"},
	status: func(v string) bool {
		return slices.Contains([]lists.State{lists.Draft, lists.HandedOver, lists.Acknowledged}, lists.State(v))
	}}

// listsTable fills the table of the lists page: searched by title or by a
// person a list holds, filtered by state, party and the day created.
func (s *Server) listsTable(r *http.Request, d *listsData, ps []parties.Party) error {
	f := readTableFilter(r.URL.Query(), "/lists", listsTable)
	pg, err := s.svc.ListsPage(r.Context(), actorOf(r), f.TableQuery)
	if err != nil {
		// The filters stay on the page, with the page's error.
		pg = &service.Page[*lists.List]{Pages: 1, Page: 1}
	}
	d.Lists = pg.Entries
	t := newTableView(f, pg)
	t.PDF = f.Export("pdf")
	t.Dates = true
	t.Placeholder = "table.search_lists"
	party := tableSelect{Name: "party", Label: "table.party", Kind: "party", Value: f.Party, Names: d.Parties}
	for _, p := range ps {
		party.Options = append(party.Options, p.ID)
	}
	t.Selects = []tableSelect{
		{Name: "status", Label: "table.state", Kind: "state", Value: f.Status, Options: []string{string(lists.Draft), string(lists.HandedOver), string(lists.Acknowledged)}},
		party, s.categorySelect(f),
	}
	d.Table = t
	return err
}

// listRows writes the rows of a list's table (row, name, date of birth,
// rank, number, kind, categories) as HTML, each value escaped: the page
// of a list is the workbench's busiest, and fifty rows laid out by the
// template cost more than everything else on it (about a thousand
// reflective calls; person_name alone asks for the name six times).
// FrozenRowsBytes bounds the table rows of frozen lists a server keeps
// laid out.
const FrozenRowsBytes = 32 << 20

// frozenRowsKey is everything the rows of a frozen list's page are made
// of: the version, the query that chose its entries (as typed, which may
// tell apart queries the service reads alike), the page, and the reader's
// words (the language, and the category catalogue, replaced whole when
// an operator adds a category).
type frozenRowsKey struct {
	list, lang       string
	cat              *category.Catalogue
	search, category string
	sort             string
	desc             bool
	page, size       int
}

// listPageRows lays out the rows of a page of l's entries. The rows of a
// frozen version are kept and served again to readers of the same page in
// the same language: a version that is no longer a draft never changes
// (see service's frozenpages.go for why), and the rows are escaped when
// laid out, so what is kept is the safe HTML itself. The access check and
// the access log have run for this request before: the service read the
// page for this reader.
func (s *Server) listPageRows(loc *Localizer, l *lists.List, q service.TableQuery, pg *service.Page[lists.Entry]) template.HTML {
	if !l.Frozen() {
		return listRows(loc, pg.Entries)
	}
	k := frozenRowsKey{list: l.ID, lang: loc.Lang, cat: loc.cat, search: q.Search, category: q.Category, sort: q.Sort, desc: q.Desc, page: pg.Page, size: pg.Size}
	if h, ok := s.frozenRows.Get(k); ok {
		return h
	}
	h := listRows(loc, pg.Entries)
	s.frozenRows.Add(k, h, int64(len(h))+128)
	return h
}

func listRows(l *Localizer, es []lists.Entry) template.HTML {
	var b strings.Builder
	b.Grow(len(es) * 600)
	esc := html.EscapeString
	for i := range es {
		p := &es[i].Person
		name, latin, script := p.FullName(), p.FullNameLatin(), "und-Latn"
		if p.Surname != "" {
			script = "und-Cyrl"
		}
		if name == "" {
			name, latin = latin, ""
		} else if latin == name {
			latin = ""
		}
		row := strconv.Itoa(es[i].Row)
		b.WriteString(`<tr data-row="` + row + `"><td class="num">` + row + `</td><td><span class="name" lang="` + script + `">` + esc(name) + `</span>`)
		if latin != "" {
			b.WriteString(` <span class="latin" lang="und-Latn">` + esc(latin) + `</span>`)
		}
		b.WriteString(`</td><td class="nowrap" data-birth="` + esc(p.BirthDate.String()) + `">` + esc(l.PDate(p.BirthDate)) + `</td><td>` + esc(p.Rank) +
			`</td><td class="nowrap">` + esc(p.ServiceNumber) + `</td><td>` + esc(l.Key("kind", p.Kind)) + `</td><td>`)
		for _, c := range p.Categories {
			b.WriteString(`<span class="tag cat-` + esc(c) + `">` + esc(l.Category(c)) + `</span> `)
		}
		b.WriteString("</td></tr>\n")
	}
	return template.HTML(b.String())
}
