package web

import (
	"errors"
	"net/http"
	"slices"

	"parley/internal/access"
	"parley/internal/msg"
	"parley/internal/parties"
	"parley/internal/service"
)

// User administration beyond creating and disabling accounts: one user's
// page, where an administrator changes the roles and party binding and
// resets a forgotten password to a one-time one; and the same through the
// API.

func init() { addRoutes(userAdminRoutes) }

func userAdminRoutes(s *Server) []Route {
	admin := []access.Role{access.Admin}
	return []Route{
		{Method: "GET", Pattern: "/users/{username}", Auth: SignedIn, Roles: admin, Summary: "One user: roles, password reset, disabling", Handler: s.userPage},
		{Method: "POST", Pattern: "/users/{username}/roles", Auth: SignedIn, Roles: admin, Summary: "Change a user's roles and party", Handler: s.userRolesPost},
		{Method: "POST", Pattern: "/users/{username}/password-reset", Auth: SignedIn, Roles: admin, Summary: "Give a user a one-time password", Handler: s.userResetPost},
		{Method: "PUT", Pattern: APIPrefix + "/users/{username}/roles", Auth: SignedIn, Summary: "Replace a user's roles and party (administrator); every problem is reported at once", Body: []string{"application/json"}, In: userRolesJSON{}, Out: service.User{}, Handler: s.apiUserRoles},
		{Method: "POST", Pattern: APIPrefix + "/users/{username}/password-reset", Auth: SignedIn, Summary: "Give a user a one-time password, returned once; the user must change it at the next sign-in, and their sessions end (administrator)", Out: passwordResetJSON{}, Handler: s.apiPasswordReset},
	}
}

// userRolesJSON is the body of PUT /users/{username}/roles.
type userRolesJSON struct {
	Roles []access.Role `json:"roles"`
	Party string        `json:"party,omitempty"`
}

// passwordResetJSON answers a password reset.
type passwordResetJSON struct {
	User *service.User `json:"user"`
	// Password is shown only in this answer; the user must replace it at
	// the next sign-in.
	Password string `json:"password"`
}

type userPageData struct {
	User    *service.User
	Parties []parties.Party
	Roles   []access.Role
	// Form is the roles form as sent, kept after an error so that no
	// ticked role is lost.
	Form    userRolesJSON
	Errors  []string
	Saved   bool
	NewPass string // the one-time password, shown once
	Self    bool
}

// Ticked reports whether the form has the role ticked.
func (d *userPageData) Ticked(r access.Role) bool { return slices.Contains(d.Form.Roles, r) }

func (s *Server) renderUser(w http.ResponseWriter, r *http.Request, status int, d *userPageData) error {
	actor := actorOf(r)
	u, err := s.svc.GetUser(r.Context(), actor, r.PathValue("username"))
	if err != nil {
		return err
	}
	ps, err := s.svc.Parties(r.Context())
	if err != nil {
		return err
	}
	d.User, d.Parties, d.Roles, d.Self = u, ps, access.Roles(), u.Username == actor.Username
	if d.Form.Roles == nil && len(d.Errors) == 0 {
		d.Form = userRolesJSON{Roles: u.Roles, Party: u.Party}
	}
	p := s.page(w, r, "useradmin.title", "users", d)
	p.Title = p.L.T("useradmin.title", u.Username)
	return s.render(w, r, status, "user", p)
}

func (s *Server) userPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderUser(w, r, http.StatusOK, &userPageData{Saved: r.URL.Query().Get("saved") == "1"})
}

// rolesForm reads the roles form; the party counts for officers only.
func rolesForm(r *http.Request) userRolesJSON {
	f := userRolesJSON{Party: r.PostFormValue("party"), Roles: []access.Role{}}
	for _, role := range r.PostForm["role"] {
		f.Roles = append(f.Roles, access.Role(role))
	}
	if !slices.Contains(f.Roles, access.Officer) {
		f.Party = ""
	}
	return f
}

func (s *Server) userRolesPost(w http.ResponseWriter, r *http.Request) error {
	form := rolesForm(r)
	_, err := s.svc.SetUserRoles(r.Context(), actorOf(r), r.PathValue("username"), form.Roles, form.Party)
	if errors.Is(err, service.ErrInvalid) || errors.Is(err, service.ErrConflict) {
		return s.renderUser(w, r, http.StatusUnprocessableEntity, &userPageData{Form: form, Errors: s.errTexts(r, err)})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/users/"+service.NormalizeUsername(r.PathValue("username"))+"?saved=1", http.StatusSeeOther)
	return nil
}

// userResetPost sets a one-time password and shows it once, on the answer
// page (never in a redirect URL, which ends up in logs and histories).
func (s *Server) userResetPost(w http.ResponseWriter, r *http.Request) error {
	pw, err := s.svc.ResetPasswordOnce(r.Context(), actorOf(r), r.PathValue("username"))
	if errors.Is(err, service.ErrConflict) {
		return s.renderUser(w, r, http.StatusConflict, &userPageData{Errors: s.errTexts(r, err)})
	}
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.renderUser(w, r, http.StatusOK, &userPageData{NewPass: pw})
}

// errTexts is every message an error carries, in the request's language:
// each problem of a service.Problems, or the error's one message.
func (s *Server) errTexts(r *http.Request, err error) []string {
	var ps service.Problems
	if errors.As(err, &ps) {
		lang := s.pickLanguage(r)
		out := make([]string, len(ps))
		for i, m := range ps.Messages() {
			out[i] = msg.Text(lang, m)
		}
		return out
	}
	_, text := s.errText(r, err)
	return []string{text}
}

func (s *Server) apiUserRoles(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	if !actor.CanAdminister() {
		return access.Forbid("deny.manage_users")
	}
	var in userRolesJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	u, err := s.svc.SetUserRoles(r.Context(), actor, r.PathValue("username"), in.Roles, in.Party)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (s *Server) apiPasswordReset(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	pw, err := s.svc.ResetPasswordOnce(r.Context(), actor, r.PathValue("username"))
	if err != nil {
		return err
	}
	u, err := s.svc.GetUser(r.Context(), actor, r.PathValue("username"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, passwordResetJSON{User: u, Password: pw})
	return nil
}
