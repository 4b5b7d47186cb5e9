package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"parley/internal/access"
	"parley/internal/auth"
	"parley/internal/parties"
	"parley/internal/service"
)

func init() { addRoutes(adminRoutes) }

func adminRoutes(s *Server) []Route {
	admin := []access.Role{access.Admin}
	return []Route{
		{Method: "GET", Pattern: "/users", Auth: SignedIn, Roles: admin, Summary: "Users and API keys", Handler: s.usersPage},
		{Method: "POST", Pattern: "/users", Auth: SignedIn, Roles: admin, Summary: "Create a user", Handler: s.usersCreate},
		{Method: "POST", Pattern: "/users/{username}/disable", Auth: SignedIn, Roles: admin, Summary: "Disable a user", Handler: s.usersSetDisabled(true)},
		{Method: "POST", Pattern: "/users/{username}/enable", Auth: SignedIn, Roles: admin, Summary: "Re-enable a user", Handler: s.usersSetDisabled(false)},
		{Method: "POST", Pattern: "/tokens/{id}/revoke", Auth: SignedIn, Roles: admin, Summary: "Revoke an API key", Handler: s.tokensRevoke},
		{Method: "GET", Pattern: "/access-log", Auth: SignedIn, Summary: "Who viewed or exported which records", Handler: s.accessLogPage},
	}
}

type usersData struct {
	Users   []service.User
	Tokens  map[string][]service.APIToken // by username
	Parties []parties.Party
	Roles   []access.Role
	// Shown once after a creation: a generated password.
	NewUser     string
	NewPassword string
	Form        newUserJSON
	Error       string
	Errors      []string // every problem of the creation form
}

// Ticked reports whether the form being shown again after an error had
// the role ticked, so that the administrator need not tick it twice.
func (d *usersData) Ticked(r access.Role) bool { return slices.Contains(d.Form.Roles, r) }

func (s *Server) usersData(r *http.Request) (*usersData, error) {
	actor := actorOf(r)
	us, err := s.svc.Users(r.Context(), actor)
	if err != nil {
		return nil, err
	}
	ts, err := s.svc.Tokens(r.Context(), actor, "")
	if err != nil {
		return nil, err
	}
	ps, err := s.svc.Parties(r.Context())
	if err != nil {
		return nil, err
	}
	d := &usersData{Users: us, Tokens: map[string][]service.APIToken{}, Parties: ps, Roles: access.Roles()}
	for _, t := range ts {
		d.Tokens[t.Username] = append(d.Tokens[t.Username], t)
	}
	return d, nil
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, status int, fill func(*usersData)) error {
	d, err := s.usersData(r)
	if err != nil {
		return err
	}
	if fill != nil {
		fill(d)
	}
	return s.render(w, r, status, "users", s.page(w, r, "users.title", "users", d))
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderUsers(w, r, http.StatusOK, nil)
}

// usersCreate creates a user. A password left empty is generated and shown
// once on the answer page (never put in a redirect URL, which ends up in
// logs and histories).
func (s *Server) usersCreate(w http.ResponseWriter, r *http.Request) error {
	form := newUserJSON{Username: strings.TrimSpace(r.PostFormValue("username")), Party: r.PostFormValue("party")}
	for _, role := range r.PostForm["role"] {
		form.Roles = append(form.Roles, access.Role(role))
	}
	if !slices.Contains(form.Roles, access.Officer) {
		form.Party = "" // the party select matters for officers only
	}
	password := r.PostFormValue("password")
	generated := password == ""
	if generated {
		password = auth.GeneratePassword()
	}
	err := s.svc.CreateUser(r.Context(), actorOf(r), service.NewUser{Username: form.Username, Password: password, Roles: form.Roles, Party: form.Party})
	if errors.Is(err, service.ErrInvalid) || errors.Is(err, service.ErrConflict) {
		msgs := s.errTexts(r, err)
		return s.renderUsers(w, r, http.StatusUnprocessableEntity, func(d *usersData) { d.Form, d.Errors = form, msgs })
	}
	if err != nil {
		return err
	}
	return s.renderUsers(w, r, http.StatusOK, func(d *usersData) {
		d.NewUser = service.NormalizeUsername(form.Username)
		if generated {
			d.NewPassword = password
		}
	})
}

func (s *Server) usersSetDisabled(disabled bool) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		err := s.svc.SetUserDisabled(r.Context(), actorOf(r), r.PathValue("username"), disabled)
		if errors.Is(err, service.ErrConflict) {
			_, msg := s.errText(r, err)
			return s.renderUsers(w, r, http.StatusConflict, func(d *usersData) { d.Error = msg })
		}
		if err != nil {
			return err
		}
		http.Redirect(w, r, "/users", http.StatusSeeOther)
		return nil
	}
}

func (s *Server) tokensRevoke(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.RevokeToken(r.Context(), actorOf(r), r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/users", http.StatusSeeOther)
	return nil
}

type accessLogData struct {
	*service.AccessPage
	Actor, Action, Subject, From, To string
	Sort                             string
	Desc, All                        bool
	Prev, Next                       int
}

// values is the page's query under its filter and order.
func (d *accessLogData) values() url.Values {
	v := url.Values{}
	for k, x := range map[string]string{"actor": d.Actor, "action": d.Action, "subject": d.Subject, "from": d.From, "to": d.To, "sort": d.Sort} {
		if x != "" {
			v.Set(k, x)
		}
	}
	if d.Desc {
		v.Set("dir", "desc")
	}
	return v
}

func accessLogURL(path string, v url.Values) string {
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// Link is the access log under the same filter and order at another page.
func (d *accessLogData) Link(page int) string {
	v := d.values()
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return accessLogURL("/access-log", v)
}

// SortLink orders by a column from the first page; the same column again
// turns the order round. The time runs newest first until turned.
func (d *accessLogData) SortLink(col string) string {
	e := *d
	switch {
	case d.Sort == col:
		e.Desc = !d.Desc
	case col == "at" && d.Sort == "":
		e.Sort, e.Desc = "at", false
	default:
		e.Sort, e.Desc = col, col == "at"
	}
	return accessLogURL("/access-log", e.values())
}

// SortMark is the aria-sort of a column header, "" when unsorted.
func (d *accessLogData) SortMark(col string) string {
	switch {
	case col == "at" && d.Sort == "":
		return "descending"
	case d.Sort != col:
		return ""
	case d.Desc:
		return "descending"
	}
	return "ascending"
}

// Export is the filtered log in a format; Print and Screen its print view
// and back.
func (d *accessLogData) Export(format string) string {
	v := d.values()
	v.Set("format", format)
	return accessLogURL("/access-log/export", v)
}

func (d *accessLogData) Print() string {
	v := d.values()
	v.Set("view", "print")
	return accessLogURL("/access-log", v)
}

func (d *accessLogData) Screen() string { return accessLogURL("/access-log", d.values()) }

// readAccessQuery reads the access log's filter and order from a query.
func readAccessQuery(v url.Values) (*accessLogData, service.AccessQuery) {
	d := &accessLogData{Actor: strings.TrimSpace(v.Get("actor")), Action: v.Get("action"), Subject: strings.TrimSpace(v.Get("subject")), From: v.Get("from"), To: v.Get("to"),
		Sort: v.Get("sort"), Desc: v.Get("dir") == "desc", All: v.Get("view") == "print"}
	if !slices.Contains([]string{"at", "actor", "action", "subject"}, d.Sort) {
		d.Sort = ""
	}
	q := service.AccessQuery{Actor: d.Actor, Action: d.Action, Subject: d.Subject, Sort: d.Sort, Desc: d.Desc, All: d.All}
	q.Page, _ = strconv.Atoi(v.Get("page"))
	// Dates as the date picker sends them; "to" includes its day.
	if t, err := time.Parse(time.DateOnly, d.From); err == nil {
		q.From = t
	} else {
		d.From = ""
	}
	if t, err := time.Parse(time.DateOnly, d.To); err == nil {
		q.To = t.AddDate(0, 0, 1)
	} else {
		d.To = ""
	}
	return d, q
}

func (s *Server) accessLogPage(w http.ResponseWriter, r *http.Request) error {
	d, q := readAccessQuery(r.URL.Query())
	pg, err := s.svc.AccessLogPage(r.Context(), actorOf(r), q)
	if err != nil {
		return err
	}
	d.AccessPage = pg
	if pg.Page > 1 {
		d.Prev = pg.Page - 1
	}
	if pg.Page < pg.Pages {
		d.Next = pg.Page + 1
	}
	return s.render(w, r, http.StatusOK, "accesslog", s.page(w, r, "accesslog.title", "accesslog", d))
}
