package web

import (
	"errors"
	"html/template"
	"net/http"

	"parley/internal/access"
	"parley/internal/httpx"
	"parley/internal/lists"
	"parley/internal/parties"
	"parley/internal/service"
)

func init() { addRoutes(listRoutes) }

func listRoutes(s *Server) []Route {
	return []Route{
		{Method: "GET", Pattern: "/lists", Auth: SignedIn, Summary: "Lists and the upload form", Handler: s.listsPage},
		{Method: "POST", Pattern: "/lists", Auth: SignedIn, Summary: "Upload a list", Handler: s.listsUpload},
		{Method: "GET", Pattern: "/lists/{id}", Auth: SignedIn, Summary: "One list, with search", Handler: s.listPage},
		{Method: "POST", Pattern: "/lists/{id}/handover", Auth: SignedIn, Summary: "Hand a list over", Handler: s.listHandOver},
		{Method: "POST", Pattern: "/lists/{id}/ack", Auth: SignedIn, Summary: "Acknowledge a list", Handler: s.listAck},
		{Method: "GET", Pattern: "/lists/{id}/diff/{other}", Auth: SignedIn, Summary: "Differences between two versions", Handler: s.listDiffPage},
		{Method: "GET", Pattern: "/lists/{id}/export", Auth: SignedIn, Summary: "Download a list", Handler: s.export},
		{Method: "GET", Pattern: "/registry", Auth: SignedIn, Summary: "The party's own registry of missing people", Handler: s.registryPage},
	}
}

// uploadForm is the upload form with what the user entered and, after a
// refused file, every problem found in it.
type uploadForm struct {
	To, Title, VersionOf string
	FileName             string
	Problems             []httpx.Problem
	Warnings             []string
	Error                string
}

type listsData struct {
	Lists     []*lists.List
	Table     *tableView
	Parties   map[string]string
	Targets   []parties.Party // parties the caller may send a list to
	CanUpload bool
	Form      uploadForm
}

func (s *Server) partyNames(r *http.Request) (map[string]string, []parties.Party, error) {
	ps, err := s.svc.Parties(r.Context())
	if err != nil {
		return nil, nil, err
	}
	names := map[string]string{}
	for _, p := range ps {
		names[p.ID] = p.Name
	}
	return names, ps, nil
}

func (s *Server) listsData(r *http.Request) (*listsData, error) {
	actor := actorOf(r)
	d := &listsData{}
	var err error
	var ps []parties.Party
	if d.Parties, ps, err = s.partyNames(r); err != nil {
		return nil, err
	}
	if err := s.listsTable(r, d, ps); err != nil && !errors.Is(err, access.ErrForbidden) {
		return nil, err
	}
	d.CanUpload = actor.Party != "" && actor.CanWriteList(actor.Party)
	for _, p := range ps {
		if p.ID != actor.Party {
			d.Targets = append(d.Targets, p)
		}
	}
	return d, nil
}

func (s *Server) listsPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.listsData(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "lists", s.page(w, r, "lists.title", "lists", d))
}

// listsUpload imports an uploaded file. A refused file comes back as the
// form with every problem (row, column, value, reason), so that the
// officer can fix them all at once; a good one leads to the new list.
func (s *Server) listsUpload(w http.ResponseWriter, r *http.Request) error {
	in, cleanup, err := s.readImport(r)
	defer cleanup()
	form := uploadForm{To: r.FormValue("to"), Title: r.FormValue("title"), VersionOf: r.FormValue("version_of")}
	status := http.StatusUnprocessableEntity
	if err == nil {
		form.FileName = in.name
		var res *service.ImportResult
		res, err = s.importList(r, in)
		if err == nil {
			http.Redirect(w, r, "/lists/"+res.List.ID, http.StatusSeeOther)
			return nil
		}
		if res != nil && res.Read != nil {
			form.Warnings = res.Read.Warnings
		}
	}
	var ie *service.ImportError
	var he *httpError
	switch {
	case errors.As(err, &ie):
		form.Problems = problemsJSON(ie, s.pickLanguage(r))
		if ie.TooLarge {
			status = http.StatusRequestEntityTooLarge
		}
	case errors.As(err, &he) && he.status == http.StatusUnprocessableEntity,
		errors.Is(err, service.ErrInvalid):
		_, form.Error = s.errText(r, err)
	case errors.Is(err, service.ErrNotFound):
		_, form.Error = s.errText(r, err)
		status = http.StatusNotFound
	default:
		return err
	}
	d, derr := s.listsData(r)
	if derr != nil {
		return derr
	}
	d.Form = form
	return s.render(w, r, status, "lists", s.page(w, r, "lists.title", "lists", d))
}

// pageSize is the number of persons on one page of the hand-over day; a
// stage of hundreds would otherwise be slow to render on a tablet.
const pageSize = 100

var listTable = tableSpec{sorts: []string{"name", "birth"}}

type listData struct {
	List        *lists.List
	Parties     map[string]string
	Rows        template.HTML // listRows
	Table       *tableView
	CanHandOver bool
	// HandOverUnconfirmed: a hand-over was asked for without ticking
	// that it freezes the list; the page says so next to the box.
	HandOverUnconfirmed bool
	CanAck              bool
	CanNewVersion       bool
	Versions            []*lists.List // other versions of the same list the caller may see
	Disputes            listDisputesView
}

// listPage shows one page of a list's persons, searched, filtered and
// sorted by the database: only the page shown is read.
func (s *Server) listPage(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	id := r.PathValue("id")
	f := readTableFilter(r.URL.Query(), "/lists/"+id, listTable)
	// One read of the database for the page: the list, its page of
	// entries, the parties and the disputes.
	pg, err := s.svc.ListEntries(r.Context(), actor, id, f.TableQuery, service.ListPageOptions{Parties: true, Disputes: seesDisputes(actor)})
	if err != nil {
		return err
	}
	l := pg.List
	names := make(map[string]string, len(pg.Parties))
	for _, p := range pg.Parties {
		names[p.ID] = p.Name
	}
	t := newTableView(f, &pg.Page)
	t.Selects = []tableSelect{s.categorySelect(f)}
	d := &listData{List: l, Parties: names, Table: t}
	view := access.ListView{From: l.From, To: l.To, Draft: l.State == lists.Draft}
	d.CanHandOver = l.State == lists.Draft && actor.CanWriteList(l.From)
	d.HandOverUnconfirmed = d.CanHandOver && r.URL.Query().Get("handover") == "unconfirmed"
	d.CanAck = l.State == lists.HandedOver && actor.CanAcknowledge(view)
	d.CanNewVersion = actor.CanWriteList(l.From)
	d.Versions = pg.Versions
	s.listDisputes(r, l, d, pg.Disputes)
	p := s.page(w, r, "list.title", "lists", d)
	p.Title = l.Title
	d.Rows = s.listPageRows(p.L, l, f.TableQuery, &pg.Page)
	d.Disputes.Rows.P = p
	return s.render(w, r, http.StatusOK, "list", p)
}

// handOverConfirmation is the value of the box the officer must tick:
// a hand-over cannot be undone, so the server, not a script, insists on
// the confirmation.
const handOverConfirmation = "freeze"

func (s *Server) listHandOver(w http.ResponseWriter, r *http.Request) error {
	if r.PostFormValue("confirm") != handOverConfirmation {
		// Whoever may not see the list learns nothing more than before.
		l, err := s.svc.GetList(r.Context(), actorOf(r), r.PathValue("id"))
		if err != nil {
			return err
		}
		http.Redirect(w, r, "/lists/"+l.ID+"?handover=unconfirmed#handover", http.StatusSeeOther)
		return nil
	}
	l, err := s.svc.HandOver(r.Context(), actorOf(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/lists/"+l.ID, http.StatusSeeOther)
	return nil
}

func (s *Server) listAck(w http.ResponseWriter, r *http.Request) error {
	l, _, err := s.svc.AcknowledgeWithReservation(r.Context(), actorOf(r), r.PathValue("id"), r.PostFormValue("reservation"))
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/lists/"+l.ID, http.StatusSeeOther)
	return nil
}

type diffData struct {
	Old, New *lists.List
	Diff     *lists.Diff
}

func (s *Server) listDiffPage(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	a, err := s.svc.GetList(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	b, err := s.svc.GetList(r.Context(), actor, r.PathValue("other"))
	if err != nil {
		return err
	}
	d := &diffData{Old: a, New: b, Diff: lists.Compare(a, b)}
	return s.render(w, r, http.StatusOK, "diff", s.page(w, r, "diff.title", "lists", d))
}
