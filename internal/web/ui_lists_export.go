package web

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"

	"parley/internal/listfile"
	"parley/internal/lists"
	"parley/internal/printout"
)

// The lists page's table as a file: the lists the page shows under its
// search, filters and order, every one of them (not only the page shown),
// as CSV or XLSX in the page's language, or as a PDF that names the
// filters it was made under.

func init() { addRoutes(listsExportRoutes) }

func listsExportRoutes(s *Server) []Route {
	return []Route{
		{Method: "GET", Pattern: "/lists/export", Auth: SignedIn, Summary: "Download the lists as filtered and sorted on their page (CSV or XLSX in the page's language, or PDF)", Handler: s.listsExport},
	}
}

var listsHeader = []string{"lists.list", "lists.id", "lists.from", "lists.to", "lists.version", "lists.state", "lists.entries", "lists.created", "lists.updated"}

func (s *Server) listsExport(w http.ResponseWriter, r *http.Request) error {
	format, err := tableFormat(r)
	if err != nil {
		return err
	}
	f := readTableFilter(r.URL.Query(), "/lists", listsTable)
	f.All = true
	pg, err := s.svc.ListsPage(r.Context(), actorOf(r), f.TableQuery)
	if err != nil {
		return err
	}
	names, _, err := s.partyNames(r)
	if err != nil {
		return err
	}
	l := s.localizer(s.pickLanguage(r))
	header := make([]string, len(listsHeader))
	for i, k := range listsHeader {
		header[i] = l.T(k)
	}
	rows := make([][]string, len(pg.Entries))
	for i, x := range pg.Entries {
		rows[i] = []string{x.Title, x.ID, partyLabel(names, x.From), partyLabel(names, x.To), strconv.Itoa(x.Version),
			l.Key("state", x.State), strconv.Itoa(x.EntryCount), l.DateTime(x.CreatedAt), l.DateTime(lastChange(x))}
	}
	if format == "pdf" {
		return s.servePDF(w, "lists.pdf", func(b *bytes.Buffer) (int, error) {
			return printout.WriteTable(b, printout.Table{Title: l.T("lists.title"), Meta: tableMeta(l, f, [][2]string{
				{"table.state", l.Key("state", f.Status)}, {"table.party", partyLabel(names, f.Party)}, {"entry.categories", l.Category(f.Category)}}, pg.Total),
				Header: header, Widths: []float64{30, 16, 12, 12, 7, 12, 8, 16, 16}, Rows: rows, Lang: l.Lang, Created: s.opts.Now()})
		})
	}
	return serveExport(w, "lists", listfile.Format(format), func(b *strings.Builder) error {
		return listfile.WriteSheet(b, listfile.Format(format), header, rows, s.svc.Limits.TempDir)
	})
}

// tableFormat reads the format of a table's export that is not a list of
// persons: csv (the default), xlsx or pdf.
func tableFormat(r *http.Request) (string, error) {
	switch format := strings.ToLower(r.URL.Query().Get("format")); format {
	case "":
		return string(listfile.CSV), nil
	case string(listfile.CSV), string(listfile.XLSX), "pdf":
		return format, nil
	default:
		return "", unprocessable("err.web.format_table", "format", format)
	}
}

func partyLabel(names map[string]string, id string) string {
	if n := names[id]; n != "" {
		return n
	}
	return id
}

// lastChange is the last step of a list, as the lists page shows it.
func lastChange(x *lists.List) time.Time {
	switch {
	case !x.AcknowledgedAt.IsZero():
		return x.AcknowledgedAt
	case !x.HandedOverAt.IsZero():
		return x.HandedOverAt
	}
	return x.CreatedAt
}
