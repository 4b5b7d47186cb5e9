package web

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"time"

	"parley/internal/access"
	"parley/internal/httpx"
	"parley/internal/listfile"
	"parley/internal/msg"
	"parley/internal/parties"
	"parley/internal/person"
	"parley/internal/service"
)

// Uploading a list in two steps, as the command line's --map,
// --skip-invalid and --dry-run allow: the file is read without storing
// anything, and the page shows which column of the file went to which
// field (headers are recognised in English, Ukrainian and Russian) and
// every problem with its row, column and reason. The officer may change
// the mapping and check again. The import stays all or nothing, unless the
// officer explicitly chooses to import the valid rows and leave out the
// rows listed. Between the steps the file waits on the server, for its
// uploader only (see stashed).

func init() { addRoutes(uploadRoutes) }

func uploadRoutes(s *Server) []Route {
	officer := []access.Role{access.Officer}
	return []Route{
		{Method: "GET", Pattern: "/lists/upload", Auth: SignedIn, Roles: officer, Summary: "The form to upload a list with a preview of its columns", Handler: s.uploadPage},
		{Method: "POST", Pattern: "/lists/upload", Auth: SignedIn, Roles: officer, Summary: "Preview an uploaded list (column mapping and problems), check it again with another mapping, or import it", Handler: s.uploadPost},
	}
}

// columnChoice is one column of the file and the field it goes to.
type columnChoice struct {
	Header string
	Field  string
	// Changed says the officer chose the field (else it was recognised).
	Changed bool
}

// fieldOption is one choice of the mapping's selects.
type fieldOption struct{ Value, Label string }

type uploadData struct {
	Token, FileName      string
	To, Title, VersionOf string
	Targets              []parties.Party
	Columns              []columnChoice
	Fields               []fieldOption
	Form                 struct{ Problems []httpx.Problem } // for the "problems" partial
	Notes                []string
	Valid                int   // rows that would be imported
	Skipped              []int // rows that would be left out with Skip
	Refused              bool  // the file cannot be read to its end: nothing can be imported
	Skip                 bool
	Error                string
	importRefused        bool
}

func (s *Server) uploadTargets(r *http.Request) []parties.Party {
	_, ps, err := s.partyNames(r)
	if err != nil {
		return nil
	}
	return slices.DeleteFunc(ps, func(p parties.Party) bool { return p.ID == actorOf(r).Party })
}

func (s *Server) uploadPage(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	if actor.Party == "" || !actor.CanWriteList(actor.Party) {
		return access.Forbid("deny.upload_officers")
	}
	d := &uploadData{Targets: s.uploadTargets(r), VersionOf: r.URL.Query().Get("version_of")}
	return s.render(w, r, http.StatusOK, "upload", s.page(w, r, "upload.page_title", "lists", d))
}

// fieldOptions are the targets a column may be given: the person fields
// in the language of the page, then the pseudo-fields.
func (s *Server) fieldOptions(r *http.Request) []fieldOption {
	lang := s.pickLanguage(r)
	l := s.localizer(lang)
	var out []fieldOption
	for _, f := range person.Fields() {
		out = append(out, fieldOption{f.Name, listfile.ColumnHeader(f.Name, lang)})
	}
	for _, f := range []struct{ name, key string }{
		{listfile.FieldFullName, "upload.field.full_name"},
		{listfile.FieldFullNameLatin, "upload.field.full_name_latin"},
		{listfile.FieldExtra, "upload.field.extra"},
		{listfile.FieldIgnore, "upload.field.ignore"},
	} {
		out = append(out, fieldOption{f.name, l.T(f.key)})
	}
	return out
}

func (s *Server) uploadPost(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	if actor.Party == "" || !actor.CanWriteList(actor.Party) {
		return access.Forbid("deny.upload_officers")
	}
	d := &uploadData{Targets: s.uploadTargets(r), Fields: s.fieldOptions(r)}
	token := r.FormValue("token")
	if token == "" {
		in, cleanup, err := s.readImport(r)
		defer cleanup()
		if err != nil {
			return s.uploadFailed(w, r, d, err)
		}
		tmp, err := keepUpload(in.file)
		if err != nil {
			return err
		}
		tmp.Close()
		req := in.req
		req.From, req.DryRun, req.SkipInvalid = actor.Party, false, false
		st := stashed{path: tmp.Name(), user: actor.String(), party: actor.Party, name: in.name, format: in.req.Format, at: time.Now(), list: &req}
		d.Token = putStash(st)
		return s.uploadPreview(w, r, d, st)
	}
	v, ok := registryStash.Load(token)
	st, _ := v.(stashed)
	if !ok || st.list == nil || st.user != actor.String() || st.party != actor.Party || time.Since(st.at) > stashTTL {
		return s.uploadFailed(w, r, d, &httpError{http.StatusUnprocessableEntity, errors.New("the preview has expired; choose the file again")})
	}
	d.Token = token
	// The mapping as the officer left it: h<i> is a column's header, f<i>
	// the field chosen for it.
	req := *st.list
	req.Map = map[string]string{}
	for i := 0; ; i++ {
		h, ok := r.PostForm["h"+strconv.Itoa(i)]
		if !ok {
			break
		}
		// Only what differs from the recognised field is a choice.
		if f := r.PostFormValue("f" + strconv.Itoa(i)); f != "" && len(h) == 1 && f != st.auto[h[0]] {
			req.Map[h[0]] = f
		}
	}
	d.Skip = isTrue(r.PostFormValue("skip_invalid"))
	if r.PostFormValue("action") == "import" {
		req.SkipInvalid = d.Skip
		res, err := s.importStashed(r, st.path, req)
		if err == nil {
			registryStash.Delete(token)
			os.Remove(st.path)
			http.Redirect(w, r, "/lists/"+res.List.ID, http.StatusSeeOther)
			return nil
		}
		var ie *service.ImportError
		if !errors.As(err, &ie) && !errors.Is(err, service.ErrInvalid) {
			return err
		}
		// Refused as a whole: the same preview again, saying so.
		_, d.Error = s.errText(r, err)
		d.importRefused = true
	}
	st.list = &req
	registryStash.Store(token, st)
	return s.uploadPreview(w, r, d, st)
}

// importStashed imports the kept file as req says.
func (s *Server) importStashed(r *http.Request, path string, req service.ImportRequest) (*service.ImportResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read the kept file: %w", err)
	}
	defer f.Close()
	return s.importList(r, &importInput{req: req, file: f, name: req.SourceName})
}

// uploadPreview reads the kept file with the mapping, storing nothing, and
// shows the outcome.
func (s *Server) uploadPreview(w http.ResponseWriter, r *http.Request, d *uploadData, st stashed) error {
	req := *st.list
	d.FileName, d.To, d.Title, d.VersionOf = st.name, req.To, req.Title, req.VersionOf
	req.DryRun, req.SkipInvalid = true, true
	f, err := os.Open(st.path)
	if err != nil {
		return fmt.Errorf("read the kept file: %w", err)
	}
	defer f.Close()
	res, err := s.svc.ImportList(r.Context(), actorOf(r), req, f)
	var ie *service.ImportError
	switch {
	case errors.As(err, &ie):
		d.Refused = true
		d.Form.Problems = problemsJSON(ie, s.pickLanguage(r))
	case err != nil && errors.Is(err, service.ErrInvalid):
		if d.Error == "" {
			_, d.Error = s.errText(r, err)
		}
	case err != nil:
		return err
	}
	if res != nil && res.Read != nil {
		lang := s.pickLanguage(r)
		rd := res.Read
		d.Valid = len(rd.Rows)
		if st.auto == nil {
			st.auto = map[string]string{}
			for _, c := range rd.Columns {
				st.auto[c.Header] = c.Field
			}
			registryStash.Store(d.Token, st)
		}
		for _, c := range rd.Columns {
			_, changed := st.list.Map[c.Header]
			d.Columns = append(d.Columns, columnChoice{Header: c.Header, Field: c.Field, Changed: changed})
		}
		if len(rd.Problems) > 0 {
			d.Form.Problems = problemsJSON(&service.ImportError{Problems: rd.Problems}, lang)
		}
		for _, p := range rd.Problems {
			if p.Row > 0 && !slices.Contains(d.Skipped, p.Row) {
				d.Skipped = append(d.Skipped, p.Row)
			}
		}
		for _, n := range rd.Notes {
			d.Notes = append(d.Notes, msg.Text(lang, n))
		}
	}
	status := http.StatusOK
	if d.importRefused {
		status = http.StatusUnprocessableEntity
	}
	return s.render(w, r, status, "upload", s.page(w, r, "upload.page_title", "lists", d))
}

func (s *Server) uploadFailed(w http.ResponseWriter, r *http.Request, d *uploadData, err error) error {
	var ie *service.ImportError
	var he *httpError
	status := http.StatusUnprocessableEntity
	switch {
	case errors.As(err, &ie):
		d.Form.Problems, d.Refused = problemsJSON(ie, s.pickLanguage(r)), true
		if ie.TooLarge {
			status = http.StatusRequestEntityTooLarge
		}
	case errors.As(err, &he) && he.status == http.StatusUnprocessableEntity, errors.Is(err, service.ErrInvalid):
		_, d.Error = s.errText(r, err)
	default:
		return err
	}
	d.To, d.Title = r.FormValue("to"), r.FormValue("title")
	return s.render(w, r, status, "upload", s.page(w, r, "upload.page_title", "lists", d))
}
