package web

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"

	"parley/internal/access"
	"parley/internal/families"
	"parley/internal/listfile"
	"parley/internal/printout"
	"parley/internal/service"
)

// The inquiries page: every family inquiry about the officer's side, which
// after an exchange is announced may run to tens of thousands; searched
// (the relative's name in any script, the date of birth as typed, the
// reference read over the telephone), filtered by what the family is
// told, by the state of its links and by the day it was made, sorted and
// paged by the database (service.InquiriesPage). The export and the
// printout take the whole filtered table in the same order. Only the
// officers of the relative's side see it; the family's contacts and
// secret are never shown.

func init() {
	addRoutes(inquiryRoutes)
	AddNav(NavItem{Order: 31, Key: "nav.inquiries", Href: "/inquiries", Nav: "inquiries", Show: func(a access.Actor) bool { return a.Has(access.Officer) && a.Party != "" }})
}

func inquiryRoutes(s *Server) []Route {
	officer := []access.Role{access.Officer}
	return []Route{
		{Method: "GET", Pattern: "/inquiries", Auth: SignedIn, Roles: officer, Summary: "The family inquiries about one's side, searched, filtered, sorted and paged", Handler: s.inquiriesPage},
		{Method: "GET", Pattern: "/inquiries/export", Auth: SignedIn, Roles: officer, Summary: "Download the inquiries as filtered and sorted on their page (CSV or XLSX in the page's language, or PDF)", Handler: s.inquiriesExport},
	}
}

var inquiriesTable = tableSpec{sorts: []string{"created", "name", "birth", "status", "reference"},
	status: func(v string) bool { return v != "" && familyStatusCodes()[v] },
	link:   service.ValidInquiryLinks}

// familyStatusCodes are the statuses a family is told, coarse: those the
// filter offers (a death is told as other news until it is released).
func familyStatusCodes() map[string]bool {
	m := map[string]bool{}
	for _, st := range families.Statuses() {
		m[string(st)] = true
	}
	return m
}

type inquiriesData struct {
	Table *tableView
	Page  *service.Page[service.InquiryRow]
}

func (s *Server) inquiriesPage(w http.ResponseWriter, r *http.Request) error {
	f := readTableFilter(r.URL.Query(), "/inquiries", inquiriesTable)
	pg, err := s.svc.InquiriesPage(r.Context(), actorOf(r), f.TableQuery)
	if err != nil {
		return err
	}
	t := newTableView(f, pg)
	t.Dates = true
	t.Placeholder = "inquiries.search_placeholder"
	t.PDF = f.Export("pdf")
	var statuses []string
	for _, st := range families.Statuses() {
		statuses = append(statuses, string(st))
	}
	t.Selects = []tableSelect{
		{Name: "status", Label: "inquiries.col.status", Kind: "inquiry_status", Value: f.Status, Options: statuses},
		{Name: "link", Label: "inquiries.col.links", Kind: "inquiry_links", Value: f.Links, Options: service.InquiryLinkStates()},
	}
	d := &inquiriesData{Table: t, Page: pg}
	return s.render(w, r, http.StatusOK, "inquiries", s.page(w, r, "inquiries.title", "inquiries", d))
}

// inquiryHeader are the columns of the exported table, as catalogue keys.
var inquiryHeader = []string{"inquiries.col.reference", "inquiries.col.relative", "entry.birth", "inquiries.col.relationship",
	"inquiries.col.status", "inquiries.col.links_pending", "inquiries.col.links_confirmed", "inquiries.col.created", "inquiries.col.source"}

// inquiryCells is one inquiry as the exported table writes it.
func inquiryCells(l *Localizer, q *service.InquiryRow) []string {
	name := q.Relative.FullName()
	if latin := q.Relative.FullNameLatin(); name == "" {
		name = latin
	} else if latin != "" && latin != name {
		name += " (" + latin + ")"
	}
	status := l.Key("inquiry_status", q.Status)
	if q.StatusDate != "" {
		if d, err := time.Parse(time.DateOnly, q.StatusDate); err == nil {
			status += ", " + l.Date(d)
		}
	}
	rel := ""
	if q.Relationship != "" {
		rel = l.Key("inquiry_relationship", q.Relationship)
	}
	return []string{q.Reference, name, l.PDate(q.Relative.BirthDate), rel, status,
		strconv.Itoa(q.PendingLinks), strconv.Itoa(q.ConfirmedLinks), l.Date(q.CreatedAt), l.Key("inquiry_source", q.Source)}
}

// inquiriesExport writes the filtered table: CSV or XLSX in the page's
// language, or a PDF that says which filters made it.
func (s *Server) inquiriesExport(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	f := readTableFilter(r.URL.Query(), "/inquiries", inquiriesTable)
	format, err := tableFormat(r)
	if err != nil {
		return err
	}
	pg, err := s.svc.ExportInquiries(r.Context(), actor, f.TableQuery)
	if err != nil {
		return err
	}
	l := s.localizer(s.pickLanguage(r))
	header := make([]string, len(inquiryHeader))
	for i, k := range inquiryHeader {
		header[i] = l.T(k)
	}
	rows := make([][]string, len(pg.Entries))
	for i := range pg.Entries {
		rows[i] = inquiryCells(l, &pg.Entries[i])
	}
	name := "inquiries-" + actor.Party
	if format == "pdf" {
		return s.servePDF(w, name+".pdf", func(b *bytes.Buffer) (int, error) {
			return printout.WriteTable(b, printout.Table{Title: l.T("inquiries.title"), Meta: tableMeta(l, f, [][2]string{
				{"inquiries.col.status", l.Key("inquiry_status", f.Status)}, {"inquiries.col.links", l.Key("inquiry_links", f.Links)}}, pg.Total),
				Header: header, Widths: []float64{13, 30, 11, 12, 16, 7, 7, 11, 8}, Rows: rows, Footer: name, Lang: l.Lang, Created: s.opts.Now()})
		})
	}
	return serveExport(w, name, listfile.Format(format), func(b *strings.Builder) error {
		return listfile.WriteSheet(b, listfile.Format(format), header, rows, s.svc.Limits.TempDir)
	})
}

// tableMeta are the lines above a printed table: the search, each filter
// set (a label key and the chosen value's words; those not set are left
// out), the days, and the count of rows.
func tableMeta(l *Localizer, f tableFilter, filters [][2]string, total int) [][2]string {
	var out [][2]string
	if f.Search != "" {
		out = append(out, [2]string{l.T("list.search"), f.Search})
	}
	set := map[string]string{"inquiries.col.status": f.Status, "inquiries.col.links": f.Links, "table.state": f.Status, "table.party": f.Party, "entry.categories": f.Category}
	for _, kv := range filters {
		if set[kv[0]] != "" {
			out = append(out, [2]string{l.T(kv[0]), kv[1]})
		}
	}
	if f.From != "" || f.To != "" {
		out = append(out, [2]string{l.T("table.days"), f.From + " – " + f.To})
	}
	return append(out, [2]string{l.T("table.rows"), l.Num(total)})
}
