package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"parley/internal/access"
	"parley/internal/httpx"
	"parley/internal/listfile"
	"parley/internal/lists"
	"parley/internal/service"
)

// Importing a new version of the registry from the page, in two steps as
// with the command line's --dry-run: the file is read and compared with
// the registry as it stands, the officer sees what would be added, changed
// and removed, and only then makes it the next version. Between the steps
// the file waits in a temporary file of the server, for its uploader only.

func init() { addRoutes(registryImportRoutes) }

func registryImportRoutes(s *Server) []Route {
	return []Route{
		{Method: "GET", Pattern: "/registry/import", Auth: SignedIn, Summary: "The form to import a new version of the party's registry", Handler: s.registryImportPage},
		{Method: "POST", Pattern: "/registry/import", Auth: SignedIn, Summary: "Preview a registry file against the registry (what would be added, changed, removed), or make the previewed file the next version", Handler: s.registryImport},
	}
}

// stashTTL is how long a previewed file waits for its confirmation.
const stashTTL = 30 * time.Minute

type stashed struct {
	path, user, party, name string
	format                  listfile.Format
	skip                    bool
	at                      time.Time
	// list, for an upload of a list, holds what the form asked for (the
	// receiver, title, version, column mapping); nil for a registry.
	list *service.ImportRequest
	// auto is the field each column of a list was given by its header
	// alone, before any mapping.
	auto map[string]string
}

// registryStash holds the previewed files by their one-time token.
var registryStash sync.Map

// previewShown bounds the rows of each kind shown in a preview.
const previewShown = 50

type registryImportData struct {
	Token     string
	FileName  string
	Skip      bool
	Result    *service.ImportResult
	Diff      *lists.Diff
	Form      struct{ Problems []httpx.Problem } // for the "problems" partial
	Error     string
	Shown     int
	Added     []lists.Entry
	Removed   []lists.Entry
	Changed   []lists.Change
	Confirmed bool
}

func (s *Server) registryImportPage(w http.ResponseWriter, r *http.Request) error {
	if actorOf(r).Party == "" || !actorOf(r).CanReadRegistry(actorOf(r).Party) {
		return access.Forbid("deny.registry_officers")
	}
	return s.render(w, r, http.StatusOK, "registry_import", s.page(w, r, "workbench.reg_import_title", "registry", &registryImportData{}))
}

func (s *Server) registryImport(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	if actor.Party == "" || !actor.CanReadRegistry(actor.Party) {
		return access.Forbid("deny.registry_officers")
	}
	d := &registryImportData{Shown: previewShown}
	if token := r.FormValue("token"); token != "" {
		return s.registryConfirm(w, r, token, d)
	}
	in, cleanup, err := s.readImport(r)
	defer cleanup()
	if err != nil {
		return s.registryImportFailed(w, r, d, err)
	}
	// Keep the file for the confirmation.
	tmp, err := keepUpload(in.file)
	if err != nil {
		return err
	}
	defer tmp.Close()
	st := stashed{path: tmp.Name(), user: actor.String(), party: actor.Party, name: in.name, format: in.req.Format, skip: in.req.SkipInvalid, at: time.Now()}
	res, err := s.svc.ImportRegistry(r.Context(), actor, service.RegistryImportRequest{Party: actor.Party, Format: st.format, SkipInvalid: st.skip, DryRun: true, SourceName: st.name}, tmp)
	d.FileName, d.Skip, d.Result = st.name, st.skip, res
	if err != nil {
		os.Remove(st.path)
		return s.registryImportFailed(w, r, d, err)
	}
	d.Token = putStash(st)
	d.Diff = res.RegistryDiff
	if d.Diff != nil {
		d.Added, d.Removed, d.Changed = d.Diff.Added[:min(len(d.Diff.Added), previewShown)], d.Diff.Removed[:min(len(d.Diff.Removed), previewShown)], d.Diff.Changed[:min(len(d.Diff.Changed), previewShown)]
	}
	return s.render(w, r, http.StatusOK, "registry_import", s.page(w, r, "workbench.reg_import_title", "registry", d))
}

// registryConfirm makes the previewed file the next version.
func (s *Server) registryConfirm(w http.ResponseWriter, r *http.Request, token string, d *registryImportData) error {
	actor := actorOf(r)
	v, ok := registryStash.LoadAndDelete(token)
	st, _ := v.(stashed)
	if !ok || st.list != nil || st.user != actor.String() || st.party != actor.Party || time.Since(st.at) > stashTTL {
		if ok {
			os.Remove(st.path)
		}
		return s.registryImportFailed(w, r, d, unprocessable("err.web.preview_expired"))
	}
	defer os.Remove(st.path)
	f, err := os.Open(st.path)
	if err != nil {
		return fmt.Errorf("read the kept registry file: %w", err)
	}
	defer f.Close()
	res, err := s.svc.ImportRegistry(r.Context(), actor, service.RegistryImportRequest{Party: actor.Party, Format: st.format, SkipInvalid: st.skip, SourceName: st.name}, f)
	if err != nil {
		d.Result = res
		return s.registryImportFailed(w, r, d, err)
	}
	http.Redirect(w, r, "/registry?imported="+fmt.Sprint(res.Registry.Version), http.StatusSeeOther)
	return nil
}

func (s *Server) registryImportFailed(w http.ResponseWriter, r *http.Request, d *registryImportData, err error) error {
	var ie *service.ImportError
	var he *httpError
	status := http.StatusUnprocessableEntity
	switch {
	case errors.As(err, &ie):
		d.Form.Problems = problemsJSON(ie, s.pickLanguage(r))
		if ie.TooLarge {
			status = http.StatusRequestEntityTooLarge
		}
	case errors.As(err, &he) && he.status == http.StatusUnprocessableEntity, errors.Is(err, service.ErrInvalid):
		_, d.Error = s.errText(r, err)
	default:
		return err
	}
	return s.render(w, r, status, "registry_import", s.page(w, r, "workbench.reg_import_title", "registry", d))
}

// keepUpload copies an uploaded file to a temporary file of the server, to
// wait there for its confirmation, and returns it ready to be read again.
func keepUpload(r io.Reader) (*os.File, error) {
	tmp, err := os.CreateTemp("", "parley-upload-*")
	if err != nil {
		return nil, fmt.Errorf("keep the uploaded file: %w", err)
	}
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, fmt.Errorf("keep the uploaded file: %w", err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	return tmp, nil
}

// putStash keeps a previewed file under a new one-time token.
func putStash(st stashed) string {
	b := make([]byte, 16)
	rand.Read(b)
	token := hex.EncodeToString(b)
	sweepStash()
	registryStash.Store(token, st)
	return token
}

// sweepStash removes the previews nobody confirmed in time.
func sweepStash() {
	registryStash.Range(func(k, v any) bool {
		if st := v.(stashed); time.Since(st.at) > stashTTL {
			registryStash.Delete(k)
			os.Remove(st.path)
		}
		return true
	})
}
