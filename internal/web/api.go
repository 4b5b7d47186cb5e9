package web

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"parley/internal/access"
	"parley/internal/auth"
	"parley/internal/category"
	"parley/internal/disputes"
	"parley/internal/httpx"
	"parley/internal/listfile"
	"parley/internal/lists"
	"parley/internal/metrics"
	"parley/internal/msg"
	"parley/internal/parties"
	"parley/internal/printout"
	"parley/internal/service"
)

// APIPrefix is the prefix of every JSON API route.
const APIPrefix = "/api/v1"

func init() { addRoutes(apiRoutes) }

func apiRoutes(s *Server) []Route {
	importQuery := []httpx.Param{
		{Name: "from", Description: "sending party (default: the caller's party)"},
		{Name: "to", Description: "receiving party", Required: true},
		{Name: "title", Description: "title of the list (not needed for a new version)"},
		{Name: "format", Description: "csv, xlsx or json (default: from the uploaded file name)"},
		{Name: "version_of", Description: "id of the list this file is a new version of"},
		{Name: "skip_invalid", Description: "true: import the valid rows and report the others"},
		{Name: "dry_run", Description: "true: check the file and report, store nothing"},
	}
	return []Route{
		{Method: "GET", Pattern: APIPrefix + "/openapi.json", Auth: Public, Summary: "This API's OpenAPI 3 document", Handler: s.apiOpenAPI},
		{Method: "GET", Pattern: APIPrefix + "/me", Auth: SignedIn, Summary: "The caller: user id, username, roles, party and saved language", Out: meJSON{}, Handler: s.apiMe},
		{Method: "PUT", Pattern: APIPrefix + "/me/language", Auth: SignedIn, Summary: "Save the language the caller reads Parley in: en, uk or ru; \"\" forgets it. It wins over Accept-Language in every answer", Body: []string{"application/json"}, In: languageJSON{}, Out: meJSON{}, Handler: s.apiSetLanguage},
		{Method: "GET", Pattern: APIPrefix + "/parties", Auth: SignedIn, Summary: "The parties of the exchange", Out: partiesJSON{}, Handler: s.apiParties},
		{Method: "GET", Pattern: APIPrefix + "/categories", Auth: SignedIn, Summary: "The categories in force (built-in and added)", Out: categoriesJSON{}, Handler: s.apiCategories},
		{Method: "POST", Pattern: APIPrefix + "/categories", Auth: SignedIn, Summary: "Add a category (mediator, administrator)", Body: []string{"application/json"}, In: category.Category{}, Out: category.Category{}, Handler: s.apiAddCategory},
		{Method: "GET", Pattern: APIPrefix + "/lists", Auth: SignedIn, Summary: "Headers of the lists the caller may see", Out: listsJSON{}, Handler: s.apiLists},
		{Method: "POST", Pattern: APIPrefix + "/lists", Auth: SignedIn, Summary: "Import a list as a new draft: a multipart form with the file in field \"file\", or the file as the raw body", Query: importQuery, Body: []string{"multipart/form-data", "text/csv", "application/json", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}, Out: importResultJSON{}, Handler: s.apiImport},
		{Method: "GET", Pattern: APIPrefix + "/lists/{id}", Auth: SignedIn, Summary: "One list with its entries", Out: lists.List{}, Handler: s.apiList},
		{Method: "POST", Pattern: APIPrefix + "/lists/{id}/handover", Auth: SignedIn, Summary: "Hand a draft list over to the receiving party (freezes it)", Out: lists.List{}, Handler: s.apiHandOver},
		{Method: "POST", Pattern: APIPrefix + "/lists/{id}/ack", Auth: SignedIn, Summary: "Acknowledge receipt of a handed-over list; optional JSON {\"reservation\":\"...\"} states a reservation that the sender must answer", Body: []string{"application/json"}, In: ackJSON{}, Out: ackResultJSON{}, Handler: s.apiAck},
		{Method: "GET", Pattern: APIPrefix + "/lists/{id}/diff/{other}", Auth: SignedIn, Summary: "What changed from list {id} to list {other}", Out: lists.Diff{}, Handler: s.apiDiff},
		{Method: "GET", Pattern: APIPrefix + "/lists/{id}/export", Auth: SignedIn, Summary: "Download a list as CSV, XLSX or JSON", Query: []httpx.Param{{Name: "format", Description: "csv (default), xlsx or json"}, {Name: "lang", Description: "csv only: en, uk or ru — the clerk's CSV (running number, byte-order mark, headers and values in the language, only columns with data)"}, {Name: "no_bom", Description: "with lang: leave out the byte-order mark"}, {Name: "all_columns", Description: "with lang: write every column"}}, Response: "text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, application/json", Handler: s.apiExport},
		{Method: "GET", Pattern: APIPrefix + "/registry", Auth: SignedIn, Summary: "The registry of missing people of the caller's own party", Out: registryJSON{}, Handler: s.apiOwnRegistry},
		{Method: "GET", Pattern: APIPrefix + "/parties/{party}/registry", Auth: SignedIn, Summary: "A party's registry of missing people (its own officers only)", Out: registryJSON{}, Handler: s.apiRegistry},
		{Method: "GET", Pattern: APIPrefix + "/access-log", Auth: SignedIn, Summary: "Who viewed or exported which records (administrator, mediator)", Query: []httpx.Param{{Name: "limit", Description: "newest records to return (default 500)"}}, Out: accessLogJSON{}, Handler: s.apiAccessLog},
		{Method: "GET", Pattern: APIPrefix + "/users", Auth: SignedIn, Summary: "Every user (administrator)", Out: usersJSON{}, Handler: s.apiUsers},
		{Method: "POST", Pattern: APIPrefix + "/users", Auth: SignedIn, Summary: "Create a user (administrator); without a password one is generated and returned once", Body: []string{"application/json"}, In: newUserJSON{}, Out: newUserResultJSON{}, Handler: s.apiCreateUser},
		{Method: "GET", Pattern: APIPrefix + "/users/{username}", Auth: SignedIn, Summary: "One user (administrator, or the user)", Out: service.User{}, Handler: s.apiUser},
		{Method: "POST", Pattern: APIPrefix + "/users/{username}/disable", Auth: SignedIn, Summary: "Disable a user and end their sessions (administrator)", Out: service.User{}, Handler: s.apiSetDisabled(true)},
		{Method: "POST", Pattern: APIPrefix + "/users/{username}/enable", Auth: SignedIn, Summary: "Re-enable a user (administrator)", Out: service.User{}, Handler: s.apiSetDisabled(false)},
		{Method: "GET", Pattern: APIPrefix + "/users/{username}/tokens", Auth: SignedIn, Summary: "A user's API tokens, without the secrets (administrator, or the user)", Out: tokensJSON{}, Handler: s.apiTokens},
		{Method: "POST", Pattern: APIPrefix + "/users/{username}/tokens", Auth: SignedIn, Summary: "Issue an API token to oneself; the token is returned once (only the user: an administrator cannot issue one for another user)", Body: []string{"application/json"}, In: newTokenJSON{}, Out: newTokenResultJSON{}, Handler: s.apiCreateToken},
		{Method: "DELETE", Pattern: APIPrefix + "/tokens/{id}", Auth: SignedIn, Summary: "Revoke an API token (administrator, or its owner)", Status: http.StatusNoContent, Handler: s.apiRevokeToken},
	}
}

func actorOf(r *http.Request) access.Actor {
	a, _ := ActorFrom(r.Context())
	return a
}

// meJSON describes the caller.
type meJSON struct {
	UserID   string        `json:"user_id"`
	Username string        `json:"username"`
	Roles    []access.Role `json:"roles"`
	Party    string        `json:"party,omitempty"`
	Language string        `json:"language,omitempty"` // saved choice; "" for none
	Via      string        `json:"via"`                // session or token
}

// languageJSON is the body of PUT /me/language.
type languageJSON struct {
	Language string `json:"language"`
}

func (s *Server) apiSetLanguage(w http.ResponseWriter, r *http.Request) error {
	var in languageJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	id := identityFrom(r.Context())
	if err := s.svc.SetLanguage(r.Context(), id.Actor, in.Language); err != nil {
		return err
	}
	id.Actor.Language = in.Language // this answer is in the new language already
	return s.apiMe(w, r)
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) error {
	id := identityFrom(r.Context())
	via := "session"
	if id.Token {
		via = "token"
	}
	writeJSON(w, http.StatusOK, meJSON{UserID: id.Actor.UserID, Username: id.Actor.Username, Roles: id.Actor.Roles, Party: id.Actor.Party, Language: id.Actor.Language, Via: via})
	return nil
}

func (s *Server) apiParties(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.svc.Parties(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, partiesJSON{ps})
	return nil
}

func (s *Server) apiCategories(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, categoriesJSON{s.svc.Catalogue().All()})
	return nil
}

// decodeJSON reads a JSON request body strictly: unknown fields are an
// error, so that a misspelt field is not silently ignored.
func decodeJSON(r *http.Request, v any) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return &httpError{http.StatusUnsupportedMediaType, msg.NewError(nil, "err.web.json_body")}
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return badRequest("err.web.bad_json", "reason", err.Error())
	}
	return nil
}

func (s *Server) apiAddCategory(w http.ResponseWriter, r *http.Request) error {
	var c category.Category
	if err := decodeJSON(r, &c); err != nil {
		return err
	}
	if err := s.svc.AddCategory(r.Context(), actorOf(r), c); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) apiLists(w http.ResponseWriter, r *http.Request) error {
	ls, err := s.svc.ListLists(r.Context(), actorOf(r))
	if err != nil {
		return err
	}
	if ls == nil {
		ls = []*lists.List{}
	}
	writeJSON(w, http.StatusOK, listsJSON{ls})
	return nil
}

// importResultJSON answers an import.
type importResultJSON struct {
	List     *lists.List     `json:"list,omitempty"`
	Imported int             `json:"imported"`
	DryRun   bool            `json:"dry_run,omitempty"`
	Warnings []string        `json:"warnings,omitempty"`
	Problems []httpx.Problem `json:"problems,omitempty"` // rows left out with skip_invalid
}

// importInput is an upload taken from a request: the file and the fields.
type importInput struct {
	req  service.ImportRequest
	file io.Reader
	name string
}

// readImport takes the file from a multipart form (field "file") or from
// the raw body, and the parameters from the query or the form.
func (s *Server) readImport(r *http.Request) (*importInput, func(), error) {
	in := &importInput{}
	cleanup := func() {}
	if r.ContentLength > s.opts.MaxUploadBytes {
		// Said by the client itself: refused before a byte is read.
		tl := listfile.FileTooLarge(s.opts.MaxUploadBytes, nil)
		return nil, cleanup, &service.ImportError{Problems: []listfile.Problem{tl.Problem}, Refused: true, TooLarge: true}
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	field := r.URL.Query().Get
	if ct == "multipart/form-data" {
		if r.MultipartForm == nil {
			if err := r.ParseMultipartForm(8 << 20); err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					return nil, cleanup, err
				}
				return nil, cleanup, badRequest("err.web.read_upload", "reason", err.Error())
			}
		}
		f, hdr, err := r.FormFile("file")
		if err != nil {
			return nil, cleanup, unprocessable("err.web.choose_file")
		}
		cleanup = func() { f.Close() }
		in.file, in.name = f, hdr.Filename
		field = func(k string) string {
			if v := r.FormValue(k); v != "" {
				return v
			}
			return r.URL.Query().Get(k)
		}
	} else {
		in.file = bodyReader{r.Body}
		in.name = field("filename")
	}
	actor := actorOf(r)
	in.req = service.ImportRequest{
		From:        strings.TrimSpace(field("from")),
		To:          strings.TrimSpace(field("to")),
		Title:       strings.TrimSpace(field("title")),
		VersionOf:   strings.TrimSpace(field("version_of")),
		SkipInvalid: isTrue(field("skip_invalid")),
		DryRun:      isTrue(field("dry_run")),
		SourceName:  in.name,
	}
	if in.req.From == "" {
		in.req.From = actor.Party
	}
	format := strings.ToLower(strings.TrimSpace(field("format")))
	switch {
	case format != "":
		switch listfile.Format(format) {
		case listfile.CSV, listfile.XLSX, listfile.JSON:
			in.req.Format = listfile.Format(format)
		default:
			return nil, cleanup, unprocessable("err.web.format", "format", format)
		}
	case in.name != "":
		f, err := listfile.FormatFromName(in.name)
		if err != nil {
			return nil, cleanup, &httpError{http.StatusUnprocessableEntity, err}
		}
		in.req.Format = f
	default:
		switch ct {
		case "text/csv", "text/plain", "text/tab-separated-values":
			in.req.Format = listfile.CSV
		case "application/json":
			in.req.Format = listfile.JSON
		case "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
			in.req.Format = listfile.XLSX
		default:
			return nil, cleanup, unprocessable("err.web.say_format")
		}
	}
	return in, cleanup, nil
}

// bodyReader turns the server's bound on a request body into the reader's
// refusal of a file too large, so that the answer is 413 with the problem
// like any other size limit.
type bodyReader struct{ r io.Reader }

func (b bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return n, listfile.FileTooLarge(mbe.Limit, err)
	}
	return n, err
}

func isTrue(v string) bool {
	b, _ := strconv.ParseBool(v)
	return b || v == "on"
}

// importList runs an import and counts it.
func (s *Server) importList(r *http.Request, in *importInput) (*service.ImportResult, error) {
	res, err := s.svc.ImportList(r.Context(), actorOf(r), in.req, in.file)
	var ie *service.ImportError
	switch {
	case errors.As(err, &ie):
		metrics.ImportDone("list", "refused")
	case err != nil:
		metrics.ImportDone("list", "error")
	default:
		metrics.ImportDone("list", "ok")
	}
	return res, err
}

func (s *Server) apiImport(w http.ResponseWriter, r *http.Request) error {
	in, cleanup, err := s.readImport(r)
	defer cleanup()
	if err != nil {
		return err
	}
	res, err := s.importList(r, in)
	if err != nil {
		return err
	}
	out := importResultJSON{List: res.List, Imported: res.Imported, DryRun: in.req.DryRun}
	if res.Read != nil {
		out.Warnings = res.Read.Warnings
		if len(res.Read.Problems) > 0 {
			out.Problems = problemsJSON(&service.ImportError{Problems: res.Read.Problems}, s.pickLanguage(r))
		}
	}
	status := http.StatusCreated
	if in.req.DryRun {
		status = http.StatusOK
	} else {
		w.Header().Set("Location", APIPrefix+"/lists/"+res.List.ID)
	}
	writeJSON(w, status, out)
	return nil
}

func (s *Server) apiList(w http.ResponseWriter, r *http.Request) error {
	l, err := s.svc.GetList(r.Context(), actorOf(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	if l.Entries == nil {
		l.Entries = []lists.Entry{}
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

func (s *Server) apiHandOver(w http.ResponseWriter, r *http.Request) error {
	l, err := s.svc.HandOver(r.Context(), actorOf(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

// ackJSON is the optional body of an acknowledgement.
// The bodies of the API's answers and requests: the OpenAPI document's
// schemas are made from these types (see Route.In and Route.Out).
type (
	partiesJSON struct {
		Parties []parties.Party `json:"parties"`
	}
	categoriesJSON struct {
		Categories []category.Category `json:"categories"`
	}
	listsJSON struct {
		Lists []*lists.List `json:"lists"`
	}
	ackResultJSON struct {
		*lists.List
		Reservation *disputes.Dispute `json:"reservation,omitempty"`
	}
	registryJSON struct {
		Party   string        `json:"party"`
		Entries []lists.Entry `json:"entries"`
	}
	accessLogJSON struct {
		Records []service.AccessRecord `json:"records"`
	}
	usersJSON struct {
		Users []service.User `json:"users"`
	}
	newUserResultJSON struct {
		User     *service.User `json:"user"`
		Password string        `json:"password,omitempty"` // generated, shown once
	}
	tokensJSON struct {
		Tokens []service.APIToken `json:"tokens"`
	}
	newTokenJSON struct {
		Name string `json:"name"`
	}
	newTokenResultJSON struct {
		Token string            `json:"token"` // shown once
		Info  *service.APIToken `json:"info"`
	}
)

type ackJSON struct {
	Reservation string `json:"reservation,omitempty"`
}

func (s *Server) apiAck(w http.ResponseWriter, r *http.Request) error {
	var in ackJSON
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
	}
	l, d, err := s.svc.AcknowledgeWithReservation(r.Context(), actorOf(r), r.PathValue("id"), in.Reservation)
	if err != nil {
		return err
	}
	// The list as before, with the reservation when one was made.
	writeJSON(w, http.StatusOK, ackResultJSON{l, d})
	return nil
}

func (s *Server) apiDiff(w http.ResponseWriter, r *http.Request) error {
	d, err := s.svc.DiffLists(r.Context(), actorOf(r), r.PathValue("id"), r.PathValue("other"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

var exportTypes = map[listfile.Format]string{
	listfile.CSV:  "text/csv; charset=utf-8",
	listfile.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	listfile.JSON: "application/json; charset=utf-8",
}

// export writes a list as a download. The file is built in memory first,
// so that a refusal still becomes a proper error response.
func (s *Server) export(w http.ResponseWriter, r *http.Request) error {
	f := listfile.Format(strings.ToLower(r.URL.Query().Get("format")))
	if f == "" {
		f = listfile.CSV
	}
	if _, ok := exportTypes[f]; !ok {
		return unprocessable("err.web.format", "format", string(f))
	}
	id := r.PathValue("id")
	// The persons as filtered and sorted on the list's page (all of them,
	// in row order, without a filter).
	q := readTableFilter(r.URL.Query(), "", listTable).TableQuery
	var opts *listfile.ExportOptions
	if f == listfile.CSV && !isAPIPath(r.URL.Path) || r.URL.Query().Has("lang") {
		// The workbench's CSV is the clerk's (see listfile.WriteClerkCSV),
		// in the reader's language; the API's stays Parley's own columns
		// unless a language is asked for.
		lang := s.pickLanguage(r)
		if q := r.URL.Query().Get("lang"); q != "" {
			lang = printout.Lang(q)
		}
		opts = &listfile.ExportOptions{Lang: lang, NoBOM: isTrue(r.URL.Query().Get("no_bom")), AllColumns: isTrue(r.URL.Query().Get("all_columns"))}
		if f != listfile.CSV {
			return unprocessable("err.web.lang_csv_only", "format", string(f))
		}
	}
	return serveExport(w, id, f, func(b *strings.Builder) error {
		return s.svc.ExportListTable(r.Context(), actorOf(r), id, q, f, opts, b)
	})
}

func (s *Server) apiExport(w http.ResponseWriter, r *http.Request) error { return s.export(w, r) }

func (s *Server) apiOwnRegistry(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r)
	if a.Party == "" {
		return access.Forbid("deny.registry_officers")
	}
	return s.writeRegistry(w, r, a.Party)
}

func (s *Server) apiRegistry(w http.ResponseWriter, r *http.Request) error {
	return s.writeRegistry(w, r, r.PathValue("party"))
}

func (s *Server) writeRegistry(w http.ResponseWriter, r *http.Request, party string) error {
	es, err := s.svc.Registry(r.Context(), actorOf(r), party)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, registryJSON{party, es})
	return nil
}

func (s *Server) apiAccessLog(w http.ResponseWriter, r *http.Request) error {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	recs, err := s.svc.AccessLog(r.Context(), actorOf(r), limit)
	if err != nil {
		return err
	}
	if recs == nil {
		recs = []service.AccessRecord{}
	}
	lang := s.pickLanguage(r)
	for i := range recs {
		recs[i].Detail = msg.TextOf(lang, recs[i].Detail) // stored as messages
	}
	writeJSON(w, http.StatusOK, accessLogJSON{recs})
	return nil
}

func (s *Server) apiUsers(w http.ResponseWriter, r *http.Request) error {
	us, err := s.svc.Users(r.Context(), actorOf(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, usersJSON{us})
	return nil
}

// newUserJSON is the body of POST /users.
type newUserJSON struct {
	Username string        `json:"username"`
	Password string        `json:"password,omitempty"`
	Roles    []access.Role `json:"roles"`
	Party    string        `json:"party,omitempty"`
}

func (s *Server) apiCreateUser(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	if !actor.CanAdminister() {
		// Refuse before reading the body or generating anything.
		return access.Forbid("deny.manage_users")
	}
	var in newUserJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	generated := in.Password == ""
	if generated {
		in.Password = auth.GeneratePassword()
	}
	if err := s.svc.CreateUser(r.Context(), actor, service.NewUser{Username: in.Username, Password: in.Password, Roles: in.Roles, Party: in.Party}); err != nil {
		return err
	}
	u, err := s.svc.GetUser(r.Context(), actor, in.Username)
	if err != nil {
		return err
	}
	out := newUserResultJSON{User: u}
	if generated {
		out.Password = in.Password
	}
	w.Header().Set("Location", APIPrefix+"/users/"+u.Username)
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) apiUser(w http.ResponseWriter, r *http.Request) error {
	u, err := s.svc.GetUser(r.Context(), actorOf(r), r.PathValue("username"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (s *Server) apiSetDisabled(disabled bool) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		actor := actorOf(r)
		name := r.PathValue("username")
		if err := s.svc.SetUserDisabled(r.Context(), actor, name, disabled); err != nil {
			return err
		}
		u, err := s.svc.GetUser(r.Context(), actor, name)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, u)
		return nil
	}
}

func (s *Server) apiTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.svc.Tokens(r.Context(), actorOf(r), r.PathValue("username"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, tokensJSON{ts})
	return nil
}

func (s *Server) apiCreateToken(w http.ResponseWriter, r *http.Request) error {
	var in newTokenJSON
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
	}
	tok, info, err := s.svc.CreateToken(r.Context(), actorOf(r), r.PathValue("username"), in.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newTokenResultJSON{tok, info})
	return nil
}

func (s *Server) apiRevokeToken(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.RevokeToken(r.Context(), actorOf(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// searchEntries keeps the entries whose names (either script), date of
// birth, service number or unit contain the query, ignoring case.
func searchEntries(es []lists.Entry, q string) []lists.Entry {
	q = normSearch(q)
	if q == "" {
		return es
	}
	var out []lists.Entry
	for _, e := range es {
		p := &e.Person
		hay := normSearch(strings.Join([]string{p.FullName(), p.FullNameLatin(), p.BirthDate.String(), p.ServiceNumber, p.Unit, p.Rank}, " "))
		if strings.Contains(hay, q) {
			out = append(out, e)
		}
	}
	return out
}

// normSearch folds case, ё→е and the apostrophe forms, which registries
// write inconsistently.
func normSearch(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.NewReplacer("ё", "е", "’", "'", "ʼ", "'", "`", "'").Replace(s)
}
