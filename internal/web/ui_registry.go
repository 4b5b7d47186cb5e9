package web

import (
	"net/http"
	"strings"

	"parley/internal/access"
	"parley/internal/person"
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

var registryTable = tableSpec{sorts: []string{"name", "birth", "status"}, status: func(v string) bool { return v != "" && person.Status(v).Valid() }}

type registryData struct {
	Party string
	Table *tableView
	Page  *service.RegistryPage
}

func (s *Server) registryPage(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	if actor.Party == "" {
		return access.Forbid("deny.registry_officers")
	}
	f := readTableFilter(r.URL.Query(), "/registry", registryTable)
	pg, err := s.svc.RegistryPage(r.Context(), actor, actor.Party, f.TableQuery)
	if err != nil {
		return err
	}
	t := newTableView(f, pg)
	t.Selects = []tableSelect{
		{Name: "status", Label: "registry.status", Kind: "status", Value: f.Status, Options: statusCodes()},
		s.categorySelect(f),
	}
	d := &registryData{Party: actor.Party, Table: t, Page: pg}
	return s.render(w, r, http.StatusOK, "registry", s.page(w, r, "registry.title", "registry", d))
}

func statusCodes() []string {
	var out []string
	for _, st := range person.Statuses() {
		out = append(out, string(st))
	}
	return out
}

func (s *Server) categorySelect(f tableFilter) tableSelect {
	c := tableSelect{Name: "category", Label: "entry.categories", Kind: "category", Value: f.Category}
	for _, cat := range s.svc.Catalogue().All() {
		c.Options = append(c.Options, cat.Code)
	}
	return c
}

func (s *Server) registryExport(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	if actor.Party == "" {
		return access.Forbid("deny.registry_officers")
	}
	f := readTableFilter(r.URL.Query(), "/registry", registryTable)
	format, opts, err := s.exportFormat(r)
	if err != nil {
		return err
	}
	return serveExport(w, "registry-"+actor.Party, format, func(b *strings.Builder) error {
		return s.svc.ExportRegistry(r.Context(), actor, actor.Party, f.TableQuery, format, opts, b)
	})
}
