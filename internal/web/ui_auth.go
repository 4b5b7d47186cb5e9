package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"parley/internal/auth"
	"parley/internal/metrics"
	"parley/internal/service"
)

func init() { addRoutes(authRoutes) }

func authRoutes(s *Server) []Route {
	return []Route{
		{Method: "GET", Pattern: "/login", Auth: Public, Summary: "Sign-in form", Handler: s.loginForm},
		{Method: "POST", Pattern: "/login", Auth: Public, Summary: "Sign in", Handler: s.loginPost},
		{Method: "POST", Pattern: "/logout", Auth: SignedIn, Summary: "Sign out", Handler: s.logoutPost},
		{Method: "GET", Pattern: "/account", Auth: SignedIn, Summary: "The user's account and password change", Handler: s.accountPage},
		{Method: "POST", Pattern: "/account/password", Auth: SignedIn, Summary: "Change one's password", Handler: s.passwordPost},
		{Method: "POST", Pattern: "/account/tokens", Auth: SignedIn, Summary: "Issue oneself an API key", Handler: s.accountTokenPost},
		{Method: "POST", Pattern: "/account/tokens/{id}/revoke", Auth: SignedIn, Summary: "Revoke one of one's API keys", Handler: s.accountTokenRevoke},
		{Method: "GET", Pattern: "/lang/{code}", Auth: Public, Summary: "Choose the language", Handler: s.langSwitch},
		{Method: "POST", Pattern: "/account/language", Auth: SignedIn, Summary: "Save the language one reads Parley in (en, uk, ru; empty: the browser's)", Handler: s.accountLanguagePost},
	}
}

type loginData struct {
	Username string
	Next     string
	Error    string // a message key
	Retry    string
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) error {
	if identityFrom(r.Context()) != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	p := s.page(w, r, "login.title", "login", loginData{Next: localPath(r.URL.Query().Get("next"))})
	return s.render(w, r, http.StatusOK, "login", p)
}

// loginPost checks the password behind the sign-in throttles, which live
// in the database and so hold across restarts and server processes (see
// service.SignInPolicy). While an attempt is held back, no password is
// checked at all, so a correct guess during the wait gains nothing.
func (s *Server) loginPost(w http.ResponseWriter, r *http.Request) error {
	username := service.NormalizeUsername(r.PostFormValue("username"))
	password := r.PostFormValue("password")
	next := localPath(r.PostFormValue("next"))
	data := loginData{Username: username, Next: next}

	actor, locked, err := s.svc.SignIn(r.Context(), s.signIn, username, password, clientIP(r), s.opts.Now())
	if wait, ok := service.IsThrottled(err); ok {
		metrics.LoginFailures.WithLabelValues("locked").Inc()
		return s.loginLocked(w, r, data, wait)
	}
	if errors.Is(err, service.ErrBadCredentials) {
		metrics.LoginFailures.WithLabelValues("credentials").Inc()
		if locked {
			s.log.Warn("sign-in locked after repeated failures", "client", clientIP(r))
		}
		data.Error = "login.failed"
		p := s.page(w, r, "login.title", "login", data)
		return s.render(w, r, http.StatusUnauthorized, "login", p)
	}
	if err != nil {
		return err
	}
	// A new session id at every sign-in: a session id planted before the
	// sign-in (session fixation) is worthless.
	if old := identityFrom(r.Context()); old != nil && old.Session != nil {
		_ = s.svc.EndSession(r.Context(), old.Session.ID)
	}
	si, err := s.svc.StartSession(r.Context(), actor, s.opts.SessionTTL)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(sessionCookie), Value: si.ID, Path: "/",
		HttpOnly: true, Secure: s.opts.TLS, SameSite: http.SameSiteLaxMode,
		Expires: si.ExpiresAt,
	})
	s.clearCookie(w, preSessionCookie)
	s.log.Info("signed in", "user_id", actor.UserID)
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (s *Server) loginLocked(w http.ResponseWriter, r *http.Request, data loginData, wait time.Duration) error {
	mins := int(wait.Round(time.Minute) / time.Minute)
	if mins < 1 {
		mins = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
	data.Error = "login.locked"
	data.Retry = strconv.Itoa(mins)
	p := s.page(w, r, "login.title", "login", data)
	return s.render(w, r, http.StatusTooManyRequests, "login", p)
}

func (s *Server) clearCookie(w http.ResponseWriter, base string) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(base), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.opts.TLS, SameSite: http.SameSiteLaxMode})
}

func (s *Server) logoutPost(w http.ResponseWriter, r *http.Request) error {
	if id := identityFrom(r.Context()); id != nil && id.Session != nil {
		if err := s.svc.EndSession(r.Context(), id.Session.ID); err != nil {
			return err
		}
	}
	s.clearCookie(w, sessionCookie)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

type accountData struct {
	User    *service.User
	Tokens  []service.APIToken
	Error   string
	Changed bool
	// NewToken is shown once, on the answer to its issue.
	NewToken string
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderAccount(w, r, http.StatusOK, accountData{Changed: r.URL.Query().Get("changed") == "1"})
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, status int, d accountData) error {
	actor := actorOf(r)
	u, err := s.svc.GetUser(r.Context(), actor, actor.Username)
	if err != nil {
		return err
	}
	d.User = u
	if d.Tokens, err = s.svc.Tokens(r.Context(), actor, actor.Username); err != nil {
		return err
	}
	return s.render(w, r, status, "account", s.page(w, r, "account.title", "account", d))
}

// accountTokenPost issues an API key to the signed-in user. Keys are issued
// here, by their holder, and nowhere else on the web: an administrator
// cannot obtain a key that acts as someone else.
func (s *Server) accountTokenPost(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	tok, _, err := s.svc.CreateToken(r.Context(), actor, actor.Username, r.PostFormValue("name"))
	if errors.Is(err, service.ErrInvalid) {
		_, msg := s.errText(r, err)
		return s.renderAccount(w, r, http.StatusUnprocessableEntity, accountData{Error: msg})
	}
	if err != nil {
		return err
	}
	return s.renderAccount(w, r, http.StatusOK, accountData{NewToken: tok})
}

func (s *Server) accountTokenRevoke(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	ts, err := s.svc.Tokens(r.Context(), actor, actor.Username)
	if err != nil {
		return err
	}
	// Only one's own keys here; administrators revoke others' on /users.
	if !slices.ContainsFunc(ts, func(t service.APIToken) bool { return t.ID == r.PathValue("id") }) {
		return service.ErrNotFound
	}
	if err := s.svc.RevokeToken(r.Context(), actor, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
	return nil
}

func (s *Server) passwordPost(w http.ResponseWriter, r *http.Request) error {
	id := identityFrom(r.Context())
	cur, next, again := r.PostFormValue("current"), r.PostFormValue("new"), r.PostFormValue("repeat")
	if next != again {
		return s.renderAccount(w, r, http.StatusUnprocessableEntity, accountData{Error: s.localizer(s.pickLanguage(r)).T("account.mismatch")})
	}
	l := s.localizer(s.pickLanguage(r))
	if !auth.CheckPasswordStrength(next, id.Actor.Username).IsZero() {
		return s.renderAccount(w, r, http.StatusUnprocessableEntity, accountData{Error: l.T("account.weak", auth.MinPasswordLen)})
	}
	if cur == next {
		return s.renderAccount(w, r, http.StatusUnprocessableEntity, accountData{Error: l.T("account.same")})
	}
	keep := ""
	if id.Session != nil {
		keep = id.Session.ID
	}
	err := s.svc.ChangePassword(r.Context(), id.Actor, cur, next, keep)
	if wait, ok := service.IsThrottled(err); ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		return s.renderAccount(w, r, http.StatusTooManyRequests, accountData{Error: l.T("login.locked", strconv.Itoa(max(1, int(wait.Round(time.Minute)/time.Minute))))})
	}
	if errors.Is(err, service.ErrInvalid) {
		return s.renderAccount(w, r, http.StatusUnprocessableEntity, accountData{Error: l.T("account.wrong_current")})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/account?changed=1", http.StatusSeeOther)
	return nil
}

// accountLanguagePost saves the signed-in user's language: from then on it
// wins over the browser's Accept-Language, on every device. The cookie is
// set as well, so that the sign-in page after a sign-out keeps it.
func (s *Server) accountLanguagePost(w http.ResponseWriter, r *http.Request) error {
	code := r.PostFormValue("language")
	err := s.svc.SetLanguage(r.Context(), actorOf(r), code)
	if errors.Is(err, service.ErrInvalid) {
		_, text := s.errText(r, err)
		return s.renderAccount(w, r, http.StatusUnprocessableEntity, accountData{Error: text})
	}
	if err != nil {
		return err
	}
	if code != "" {
		s.setLangCookie(w, code)
	}
	next := r.PostFormValue("next")
	if next == "" {
		next = "/account"
	}
	http.Redirect(w, r, localPath(next), http.StatusSeeOther)
	return nil
}

func (s *Server) setLangCookie(w http.ResponseWriter, code string) {
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: code, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, Secure: s.opts.TLS, SameSite: http.SameSiteLaxMode})
}

// langSwitch sets the language cookie and goes back. A plain link works
// without JavaScript; the choice changes no data, so a GET is right.
func (s *Server) langSwitch(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("code")
	ok := false
	for _, l := range Languages {
		ok = ok || l.Code == code
	}
	if !ok {
		return badRequest("err.web.language", "value", code)
	}
	s.setLangCookie(w, code)
	http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
	return nil
}
