package web

import (
	"bytes"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"parley/internal/access"
	"parley/internal/msg"
	"parley/internal/person"
	"parley/internal/service"
)

// Family inquiries travel between people-finder systems as PFIF 1.4
// documents (see package pfif); this page does what the command line's
// inquiry import and inquiry export do, for the officer's own side.

func init() {
	addRoutes(pfifRoutes)
	AddNav(NavItem{Order: 35, Key: "nav.pfif", Href: "/pfif", Nav: "pfif", Show: func(a access.Actor) bool { return a.Has(access.Officer) && a.Party != "" }})
}

func pfifRoutes(s *Server) []Route {
	officer := []access.Role{access.Officer}
	return []Route{
		{Method: "GET", Pattern: "/pfif", Auth: SignedIn, Roles: officer, Summary: "Exchange family inquiries as PFIF 1.4 files", Handler: s.pfifPage},
		{Method: "POST", Pattern: "/pfif/import", Auth: SignedIn, Roles: officer, Summary: "Import family inquiries about one's side from a PFIF file", Handler: s.pfifImport},
		{Method: "GET", Pattern: "/pfif/export", Auth: SignedIn, Roles: officer, Summary: "Download the inquiries about one's side as a PFIF 1.4 file", Handler: s.pfifExport},
	}
}

// pfifSkip is one record an import left out, and why.
type pfifSkip struct{ Record, Reason string }

type pfifData struct {
	Party    string
	Domain   string
	Kind     string
	Imported int
	Done     bool
	Skipped  []pfifSkip
	Warnings int
	Error    string
}

// pfifDomain is the default domain of the record ids minted here: the
// workbench's own host name.
func (s *Server) pfifDomain(r *http.Request) string {
	if u, err := url.Parse(s.publicBase(r)); err == nil && u.Hostname() != "" && u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost" {
		return u.Hostname()
	}
	return "parley.invalid"
}

func (s *Server) pfifPage(w http.ResponseWriter, r *http.Request) error {
	if actorOf(r).Party == "" {
		return access.Forbid("deny.pfif_officers")
	}
	d := &pfifData{Party: actorOf(r).Party, Domain: s.pfifDomain(r), Kind: string(person.KindPOW)}
	return s.render(w, r, http.StatusOK, "pfif", s.page(w, r, "pfif.title", "pfif", d))
}

// pfifSkipReasons are the reasons an import gives for a skipped record,
// with their catalogue keys.
var pfifSkipReasons = map[string]string{
	"expired":         "pfif.skip.expired",
	"no name":         "pfif.skip.no_name",
	"given twice":     "pfif.skip.twice",
	"imported before": "pfif.skip.before",
}

// pfifSkipped turns the import's "record: reason" lines into the reader's
// words; a reason without a key is shown as the record id alone.
func pfifSkipped(l *Localizer, lines []string) []pfifSkip {
	var out []pfifSkip
	for _, line := range lines {
		if rest, ok := strings.CutPrefix(line, "note "); ok {
			id, _, _ := strings.Cut(rest, ": ")
			out = append(out, pfifSkip{id, l.T("pfif.skip.orphan_note")})
			continue
		}
		i := strings.LastIndex(line, ": ")
		if i < 0 {
			out = append(out, pfifSkip{line, ""})
			continue
		}
		sk := pfifSkip{Record: line[:i]}
		if key, ok := pfifSkipReasons[line[i+2:]]; ok {
			sk.Reason = l.T(key)
		}
		out = append(out, sk)
	}
	return out
}

func (s *Server) pfifImport(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	d := &pfifData{Party: actor.Party, Domain: s.pfifDomain(r), Kind: r.FormValue("kind")}
	f, _, err := r.FormFile("file")
	if err != nil {
		d.Error = s.localizer(s.pickLanguage(r)).T("pfif.no_file")
		return s.render(w, r, http.StatusUnprocessableEntity, "pfif", s.page(w, r, "pfif.title", "pfif", d))
	}
	defer f.Close()
	res, err := s.svc.ImportInquiriesPFIF(r.Context(), actor, f, service.PFIFImportOptions{Party: actor.Party, Kind: person.Kind(d.Kind)})
	if errors.Is(err, service.ErrInvalid) {
		_, d.Error = s.errText(r, err)
		if _, ok := msg.Of(err); !ok {
			// The PFIF reader's own words are English; say it plainly.
			d.Error = s.localizer(s.pickLanguage(r)).T("pfif.unreadable")
		}
		return s.render(w, r, http.StatusUnprocessableEntity, "pfif", s.page(w, r, "pfif.title", "pfif", d))
	}
	if err != nil {
		return err
	}
	d.Done, d.Imported, d.Warnings = true, res.Imported, len(res.Warnings)
	d.Skipped = pfifSkipped(s.localizer(s.pickLanguage(r)), res.Skipped)
	return s.render(w, r, http.StatusOK, "pfif", s.page(w, r, "pfif.title", "pfif", d))
}

func (s *Server) pfifExport(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	domain := strings.TrimSpace(r.URL.Query().Get("domain"))
	if domain == "" {
		domain = s.pfifDomain(r)
	}
	if strings.ContainsAny(domain, "/ \t") {
		return badRequest("domain %q: want a domain name such as parley.example.org", domain)
	}
	// The whole document first: a failure must not leave half a file.
	var buf bytes.Buffer
	if _, err := s.svc.ExportInquiriesPFIF(r.Context(), actor, &buf, service.PFIFExportOptions{Party: actor.Party, Domain: domain, SourceName: "Parley"}); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "inquiries-" + actor.Party + ".pfif.xml"}))
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write(buf.Bytes())
	return err
}
