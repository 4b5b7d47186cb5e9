package web

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"

	"parley/internal/listfile"
	"parley/internal/lists"
	"parley/internal/printout"
	"parley/internal/service"
)

// The export of a run's table: the rows as searched, filtered and sorted
// on the run's page, as CSV or XLSX in the page's language or as a PDF
// that says which filters made it. The rows name persons of the list and
// of the party's registry, so the export is logged (match.export) and
// only the officers of the run's party make it.

// matchRowHeader are the columns of the exported table, as catalogue keys.
var matchRowHeader = []string{"entry.row", "matchrun.listed", "entry.birth", "entry.number", "matchrun.registered",
	"identity.record", "matchrun.score", "matchrun.decision", "matchrun.review", "matchtable.reviewed_by"}

// matchRowCells is one row of a run as the exported table writes it.
func matchRowCells(l *Localizer, r *service.MatchRowDetail) []string {
	var listed, birth, number, registered string
	if e := r.Listed; e != nil {
		listed, birth, number = entryName(e), l.PDate(e.BirthDate), e.ServiceNumber
	}
	if e := r.Registered; e != nil {
		registered = entryName(e)
	}
	return []string{strconv.Itoa(r.ListRow), listed, birth, number, registered, service.Shown(&r.Row),
		l.MatchScore(r.Score), l.Key("match.decision", r.Decision), l.Key("match.review", r.Review), r.ReviewedBy}
}

// entryName is a person's name with its Latin spelling beside it when the
// two differ.
func entryName(e *lists.Entry) string {
	name, latin := e.FullName(), e.FullNameLatin()
	switch {
	case name == "":
		return latin
	case latin != "" && latin != name:
		return name + " (" + latin + ")"
	}
	return name
}

func (s *Server) matchRunExport(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	f, _ := readMatchFilter(r.URL.Query(), false)
	format, err := tableFormat(r)
	if err != nil {
		return err
	}
	view, _, err := s.svc.ExportMatchRun(r.Context(), actorOf(r), id, f.query())
	if err != nil {
		return err
	}
	l := s.localizer(s.pickLanguage(r))
	header := make([]string, len(matchRowHeader))
	for i, k := range matchRowHeader {
		header[i] = l.T(k)
	}
	rows := make([][]string, len(view.Rows))
	for i := range view.Rows {
		rows[i] = matchRowCells(l, &view.Rows[i])
	}
	name := "match-run-" + id
	if format == "pdf" {
		var meta [][2]string
		for _, kv := range [][3]string{{"list.search", f.Search, f.Search}, {"matchrun.decision", f.Decision, l.Key("match.decision", f.Decision)},
			{"matchrun.review", f.Review, l.Key("match.review", f.Review)}} {
			if kv[1] != "" {
				meta = append(meta, [2]string{l.T(kv[0]), kv[2]})
			}
		}
		meta = append(meta, [2]string{l.T("table.rows"), l.Num(len(rows))})
		return s.servePDF(w, name+".pdf", func(b *bytes.Buffer) (int, error) {
			return printout.WriteTable(b, printout.Table{Title: l.T("matchrun.title") + " " + id, Meta: meta,
				Header: header, Widths: []float64{5, 22, 9, 10, 22, 10, 6, 8, 8, 10}, Rows: rows, Footer: name, Lang: l.Lang, Created: s.opts.Now()})
		})
	}
	return serveExport(w, name, listfile.Format(format), func(b *strings.Builder) error {
		return listfile.WriteSheet(b, listfile.Format(format), header, rows, s.svc.Limits.TempDir)
	})
}
