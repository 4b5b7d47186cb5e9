package web

import (
	"bytes"
	"net/http"
	"strings"

	"parley/internal/listfile"
	"parley/internal/printout"
)

// The access log as a file: every record under the page's filter, in its
// order, as CSV or XLSX in the page's language, or as a PDF that names the
// filter — what an auditor takes away from a review.

func init() { addRoutes(accessLogExportRoutes) }

func accessLogExportRoutes(s *Server) []Route {
	return []Route{
		{Method: "GET", Pattern: "/access-log/export", Auth: SignedIn, Summary: "Download the access log as filtered and sorted on its page (CSV or XLSX in the page's language, or PDF)", Handler: s.accessLogExport},
	}
}

var accessLogHeader = []string{"accesslog.at", "accesslog.actor", "accesslog.action", "accesslog.subject", "accesslog.detail"}

func (s *Server) accessLogExport(w http.ResponseWriter, r *http.Request) error {
	format, err := tableFormat(r)
	if err != nil {
		return err
	}
	d, q := readAccessQuery(r.URL.Query())
	q.All = true
	pg, err := s.svc.AccessLogPage(r.Context(), actorOf(r), q)
	if err != nil {
		return err
	}
	l := s.localizer(s.pickLanguage(r))
	header := make([]string, len(accessLogHeader))
	for i, k := range accessLogHeader {
		header[i] = l.T(k)
	}
	rows := make([][]string, len(pg.Records))
	for i, x := range pg.Records {
		rows[i] = []string{l.DateTime(x.At), x.Actor, l.TOr("action."+x.Action, x.Action), x.Subject, l.Stored(x.Detail)}
	}
	if format == "pdf" {
		var meta [][2]string
		for _, kv := range [][2]string{{"accesslog.actor", d.Actor}, {"accesslog.action", d.Action}, {"accesslog.subject", d.Subject}} {
			if kv[1] != "" {
				if kv[0] == "accesslog.action" {
					kv[1] = l.TOr("action."+kv[1], kv[1])
				}
				meta = append(meta, [2]string{l.T(kv[0]), kv[1]})
			}
		}
		if d.From != "" || d.To != "" {
			meta = append(meta, [2]string{l.T("table.days"), d.From + " – " + d.To})
		}
		meta = append(meta, [2]string{l.T("table.rows"), l.Num(pg.Total)})
		return s.servePDF(w, "access-log.pdf", func(b *bytes.Buffer) (int, error) {
			return printout.WriteTable(b, printout.Table{Title: l.T("accesslog.title"), Meta: meta, Header: header,
				Widths: []float64{16, 12, 18, 20, 20}, Rows: rows, Lang: l.Lang, Created: s.opts.Now()})
		})
	}
	return serveExport(w, "access-log", listfile.Format(format), func(b *strings.Builder) error {
		return listfile.WriteSheet(b, listfile.Format(format), header, rows, s.svc.Limits.TempDir)
	})
}
