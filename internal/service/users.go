package service

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"parley/internal/access"
	"parley/internal/auth"
	"parley/internal/families"
	"parley/internal/msg"
	"parley/internal/store"
)

// WithPasswordParams sets the argon2id parameters for new password hashes
// (default auth.DefaultParams). Each stored hash carries its own
// parameters, so changing them affects only hashes made afterwards, and
// old ones are upgraded at the next sign-in. Tests lower them to keep
// their sign-ins fast; being an option, not a package variable, tests
// that run in parallel cannot change each other's cost.
func WithPasswordParams(p auth.Params) Option {
	return func(s *Service) { s.passwordParams = p }
}

// WithSecretParams sets the argon2id cost of family secrets for a service
// without a family key (a store without a data directory; default
// families.DefaultArgon2). Like WithPasswordParams it lets tests hash
// cheaply without changing a package variable.
func WithSecretParams(p families.Argon2Params) Option {
	return func(s *Service) { s.secretParams = p }
}

// PasswordParams returns the parameters new password hashes are made with.
func (s *Service) PasswordParams() auth.Params { return s.passwordParams }

// ErrBadCredentials is returned for a failed sign-in. It never says whether
// the username exists, the password was wrong or the account is disabled.
var ErrBadCredentials = errors.New("wrong username or password")

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,62}$`)

// NormalizeUsername lower-cases and trims a username, so that "Olena" and
// "olena" are one account.
func NormalizeUsername(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// NewUser asks to create an account.
type NewUser struct {
	Username string
	Password string
	Roles    []access.Role
	Party    string // required for officers, empty for every other role
}

// User is an account as administrators see it; it never carries the hash.
type User struct {
	ID                string        `json:"id"`
	Username          string        `json:"username"`
	Roles             []access.Role `json:"roles"`
	Party             string        `json:"party,omitempty"`
	Disabled          bool          `json:"disabled"`
	CreatedAt         time.Time     `json:"created_at"`
	PasswordChangedAt time.Time     `json:"password_changed_at"`
	// MustChangePassword: an administrator set the password, and the user
	// must replace it at the next sign-in.
	MustChangePassword bool `json:"must_change_password"`
	// Language is the language the user chose (en, uk or ru): it wins over
	// the browser's Accept-Language. "" when he chose none.
	Language string `json:"language,omitempty"`
}

func userFromStore(u *store.User) User {
	roles := make([]access.Role, len(u.Roles))
	for i, r := range u.Roles {
		roles[i] = access.Role(r)
	}
	return User{ID: u.ID, Username: u.Username, Roles: roles, Party: u.Party, Disabled: u.Disabled, CreatedAt: u.CreatedAt, PasswordChangedAt: u.PasswordAt, MustChangePassword: u.MustChangePassword, Language: u.Language}
}

func actorOf(u *store.User) access.Actor {
	v := userFromStore(u)
	return access.Actor{UserID: u.ID, Username: u.Username, Roles: v.Roles, Party: u.Party, Language: u.Language}
}

// CreateUser adds an account. Only administrators (and the local operator)
// manage users.
func (s *Service) CreateUser(ctx context.Context, actor access.Actor, nu NewUser) error {
	_, err := s.createUser(ctx, actor, nu)
	return err
}

func (s *Service) createUser(ctx context.Context, actor access.Actor, nu NewUser) (*User, error) {
	if !actor.CanAdminister() {
		return nil, access.Forbid("deny.manage_users")
	}
	name := NormalizeUsername(nu.Username)
	// Every problem of the form at once: the username, the password and
	// the roles (checked in the transaction below).
	var early Problems
	for _, err := range []error{usernameProblem(name), passwordProblem(nu.Password, name)} {
		if err != nil {
			early = append(early, err)
		}
	}
	var hash string
	var err error
	if len(early) == 0 {
		if hash, err = auth.HashPassword(nu.Password, s.passwordParams); err != nil {
			return nil, err
		}
	}
	roles := make([]string, len(nu.Roles))
	for i, r := range nu.Roles {
		roles[i] = string(r)
	}
	u := &store.User{ID: newID("U"), Username: name, PasswordHash: hash, Roles: roles, Party: strings.TrimSpace(nu.Party)}
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		if ps := append(early, roleProblems(ctx, tx, nu.Roles, u.Party)...); len(ps) > 0 {
			return ps
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			if errors.Is(err, store.ErrDuplicate) {
				return Conflict("err.user.taken", "username", name)
			}
			return err
		}
		// Whoever makes an account could sign in with its first password;
		// the access log shows who made which account with which rights.
		return s.recordAccessTx(ctx, tx, actor, "user.create", name, userCreateDetail(roles, u.Party))
	})
	if err != nil {
		return nil, err
	}
	s.Logger.Info("user created", "user_id", u.ID, "roles", strings.Join(roles, ","), "by", actor.UserID)
	v := userFromStore(u)
	return &v, nil
}

// Users returns every account.
func (s *Service) Users(ctx context.Context, actor access.Actor) ([]User, error) {
	if !actor.CanAdminister() {
		return nil, access.Forbid("deny.manage_users")
	}
	var out []User
	err := s.db.View(ctx, func(tx *store.Tx) error {
		us, err := tx.Users(ctx)
		for _, u := range us {
			out = append(out, userFromStore(u))
		}
		return err
	})
	return out, err
}

// GetUser returns one account: administrators see anyone, a user himself.
func (s *Service) GetUser(ctx context.Context, actor access.Actor, username string) (*User, error) {
	name := NormalizeUsername(username)
	if !actor.CanAdminister() && name != actor.Username {
		return nil, access.Forbid("deny.manage_users")
	}
	var out User
	err := s.db.View(ctx, func(tx *store.Tx) error {
		u, err := tx.UserByName(ctx, name)
		if err != nil {
			return err
		}
		out = userFromStore(u)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// SetUserDisabled disables or re-enables an account. Disabling ends the
// user's sessions at once; API tokens stop working while disabled.
func (s *Service) SetUserDisabled(ctx context.Context, actor access.Actor, username string, disabled bool) error {
	if !actor.CanAdminister() {
		return access.Forbid("deny.manage_users")
	}
	name := NormalizeUsername(username)
	if disabled && !actor.System && name == actor.Username {
		return Conflict("err.user.disable_self")
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		u, err := tx.UserByName(ctx, name)
		if err != nil {
			return err
		}
		if err := tx.SetUserDisabled(ctx, u.ID, disabled); err != nil {
			return err
		}
		action := "user.enable"
		if disabled {
			action = "user.disable"
		}
		if err := s.recordAccessTx(ctx, tx, actor, action, name, ""); err != nil {
			return err
		}
		if disabled {
			return tx.DeleteUserSessions(ctx, u.ID, "")
		}
		return nil
	})
}

// ResetPassword sets a new password for another user (an administrator's
// act when someone has forgotten theirs) and ends that user's sessions.
func (s *Service) ResetPassword(ctx context.Context, actor access.Actor, username, password string) error {
	if !actor.CanAdminister() {
		return access.Forbid("deny.manage_users")
	}
	name := NormalizeUsername(username)
	if weak := auth.CheckPasswordStrength(password, name); !weak.IsZero() {
		return &msg.Error{Kind: ErrInvalid, Msg: weak}
	}
	hash, err := auth.HashPassword(password, s.passwordParams)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		u, err := tx.UserByName(ctx, name)
		if err != nil {
			return err
		}
		if err := tx.SetPassword(ctx, u.ID, hash); err != nil {
			return err
		}
		if err := s.recordAccessTx(ctx, tx, actor, "user.password_reset", name, ""); err != nil {
			return err
		}
		return tx.DeleteUserSessions(ctx, u.ID, "")
	})
}

// userCreateDetail is the access log's detail of a new user: the roles,
// and the party an officer is bound to.
func userCreateDetail(roles []string, party string) string {
	rs := make([]any, len(roles))
	for i, r := range roles {
		rs[i] = msg.Enum{Kind: "role", Code: r}
	}
	m := msg.New("access.user_roles", "roles", rs)
	if party != "" {
		m = msg.New("access.user_roles_party", "roles", rs, "party", msg.Raw(party))
	}
	return msg.Encode([]msg.Msg{m})
}

// ChangePassword lets a signed-in user replace their own password after
// giving the current one. Every other session of the user ends; the one
// named by keepSession (a session id, or "") stays signed in.
func (s *Service) ChangePassword(ctx context.Context, actor access.Actor, current, next, keepSession string) error {
	if actor.UserID == "" {
		return access.ErrUnauthenticated
	}
	if weak := auth.CheckPasswordStrength(next, actor.Username); !weak.IsZero() {
		return &msg.Error{Kind: ErrInvalid, Msg: weak}
	}
	if current == next {
		return Invalid("err.password.same")
	}
	// Guesses of the current password are throttled like sign-ins, per
	// account, in the database: a stolen session must not become an
	// unlimited password oracle.
	now := s.Now().UTC()
	guess := store.ThrottleKey{Scope: scopePassword, Key: actor.UserID}
	st, err := s.db.ThrottleStates(ctx, now, guess)
	if err != nil {
		return err
	}
	if wait := passwordWait(now, st[0]); wait > 0 {
		return &ThrottledError{Wait: wait}
	}
	var u *store.User
	if err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		u, err = tx.UserByID(ctx, actor.UserID)
		return err
	}); err != nil {
		return err
	}
	ok, err := auth.VerifyPassword(u.PasswordHash, current)
	if err != nil {
		return fmt.Errorf("verify password of %s: %w", u.ID, err)
	}
	if !ok {
		if _, err := s.db.ThrottleCount(ctx, now, time.Hour, store.SlidingWindow, guess); err != nil {
			return err
		}
		return Invalid("err.password.current_wrong")
	}
	if err := s.db.ClearThrottle(ctx, guess); err != nil {
		return err
	}
	hash, err := auth.HashPassword(next, s.passwordParams)
	if err != nil {
		return err
	}
	keep := ""
	if keepSession != "" {
		keep = auth.Digest(keepSession)
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.SetPassword(ctx, u.ID, hash); err != nil {
			return err
		}
		return tx.DeleteUserSessions(ctx, u.ID, keep)
	})
}

// SetLanguage saves the language the actor reads Parley in: en, uk or ru,
// or "" to forget the choice (the browser's Accept-Language decides
// again). Only a signed-in user has one, and only for himself.
func (s *Service) SetLanguage(ctx context.Context, actor access.Actor, lang string) error {
	if actor.UserID == "" {
		return access.ErrUnauthenticated
	}
	if lang != "" && !msg.Supported(lang) {
		return Invalid("preference.language_unknown", "value", msg.Raw(lang), "want", msg.Raw(strings.Join(msg.Languages, ", ")))
	}
	return s.db.Update(ctx, func(tx *store.Tx) error { return tx.SetUserLanguage(ctx, actor.UserID, lang) })
}

// Authenticate checks a username and password and returns the actor. An
// unknown username costs as much time as a wrong password, so that timing
// does not tell which usernames exist.
func (s *Service) Authenticate(ctx context.Context, username, password string) (access.Actor, error) {
	name := NormalizeUsername(username)
	if len(password) > auth.MaxPasswordLen || name == "" {
		return access.Actor{}, ErrBadCredentials
	}
	var u *store.User
	err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		u, err = tx.UserByName(ctx, name)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		s.dummyOnce.Do(func() { s.dummyHash, _ = auth.HashPassword(auth.GeneratePassword(), s.passwordParams) })
		_, _ = auth.VerifyPassword(s.dummyHash, password)
		return access.Actor{}, ErrBadCredentials
	}
	if err != nil {
		return access.Actor{}, err
	}
	ok, err := auth.VerifyPassword(u.PasswordHash, password)
	if err != nil {
		return access.Actor{}, fmt.Errorf("verify password of %s: %w", u.ID, err)
	}
	if !ok || u.Disabled {
		return access.Actor{}, ErrBadCredentials
	}
	if auth.NeedsRehash(u.PasswordHash, s.passwordParams) {
		if hash, err := auth.HashPassword(password, s.passwordParams); err == nil {
			_ = s.db.Update(ctx, func(tx *store.Tx) error { return tx.SetPassword(ctx, u.ID, hash) })
		}
	}
	return actorOf(u), nil
}

// SessionInfo is a browser session. ID is the secret for the cookie; it is
// known only when the session starts and when the browser presents it.
type SessionInfo struct {
	ID        string
	CSRFToken string
	ExpiresAt time.Time
	// MustChangePassword: the user signed in with a one-time password and
	// must replace it before anything else.
	MustChangePassword bool
}

// StartSession opens a session for a signed-in actor.
func (s *Service) StartSession(ctx context.Context, actor access.Actor, ttl time.Duration) (*SessionInfo, error) {
	if actor.UserID == "" {
		return nil, access.ErrUnauthenticated
	}
	now := s.Now().UTC()
	si := &SessionInfo{ID: auth.NewSecret(), CSRFToken: auth.NewSecret(), ExpiresAt: now.Add(ttl)}
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		return tx.CreateSession(ctx, store.Session{IDHash: auth.Digest(si.ID), UserID: actor.UserID, CSRFToken: si.CSRFToken, CreatedAt: now, ExpiresAt: si.ExpiresAt})
	})
	if err != nil {
		return nil, err
	}
	return si, nil
}

// SessionActor returns the actor of a live session. An expired or unknown
// session, or one whose user was disabled, is ErrNotFound.
func (s *Service) SessionActor(ctx context.Context, sessionID string) (access.Actor, *SessionInfo, error) {
	if sessionID == "" || len(sessionID) > 128 {
		return access.Actor{}, nil, ErrNotFound
	}
	var actor access.Actor
	var si *SessionInfo
	err := s.db.View(ctx, func(tx *store.Tx) error {
		sess, err := tx.SessionByHash(ctx, auth.Digest(sessionID), s.Now())
		if err != nil {
			return err
		}
		u, err := tx.UserByID(ctx, sess.UserID)
		if err != nil {
			return err
		}
		if u.Disabled {
			return fmt.Errorf("user disabled: %w", ErrNotFound)
		}
		actor = actorOf(u)
		si = &SessionInfo{ID: sessionID, CSRFToken: sess.CSRFToken, ExpiresAt: sess.ExpiresAt, MustChangePassword: u.MustChangePassword}
		return nil
	})
	if err != nil {
		return access.Actor{}, nil, err
	}
	return actor, si, nil
}

// EndSession signs a session out.
func (s *Service) EndSession(ctx context.Context, sessionID string) error {
	return s.db.Update(ctx, func(tx *store.Tx) error { return tx.DeleteSession(ctx, auth.Digest(sessionID)) })
}

// PurgeExpiredSessions removes expired sessions and returns how many.
func (s *Service) PurgeExpiredSessions(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.Update(ctx, func(tx *store.Tx) (err error) {
		n, err = tx.DeleteExpiredSessions(ctx, s.Now())
		return err
	})
	return n, err
}

// APIToken describes an API token; the token itself is shown only once,
// when it is created.
type APIToken struct {
	ID         string    `json:"id"`
	Username   string    `json:"username"`
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}

func tokenFromStore(t *store.Token, username string) APIToken {
	return APIToken{ID: t.ID, Username: username, Name: t.Name, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt}
}

// CreateToken issues an API token for a user and returns it with its
// description. The token acts with the user's roles; it is stored only as
// a digest, so it cannot be shown again. A token is issued only to its own
// holder (see access.CanIssueToken): administrators cannot mint one for
// anybody else. The local operator may issue one to the user it names.
// Every issue is appended to the signed log and to the access log in the
// same transaction, naming the real actor and the holder, so a token
// issued from the command line is never mistaken for the holder's own.
func (s *Service) CreateToken(ctx context.Context, actor access.Actor, username, name string) (string, *APIToken, error) {
	uname := NormalizeUsername(username)
	if !actor.CanIssueToken(uname) {
		return "", nil, access.Forbid("deny.token_holder")
	}
	name = strings.TrimSpace(name)
	if len(name) > 100 {
		return "", nil, Invalid("err.token.name_long", "max", 100)
	}
	plain := auth.NewToken()
	var out APIToken
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		u, err := tx.UserByName(ctx, uname)
		if err != nil {
			return err
		}
		t := &store.Token{ID: newID("T"), UserID: u.ID, Name: name, Hash: auth.Digest(plain)}
		if err := tx.CreateToken(ctx, t); err != nil {
			return err
		}
		out = tokenFromStore(t, u.Username)
		via := "self"
		if actor.System {
			via = "command_line"
		}
		if err := s.recordEvent(ctx, tx, actor, Event{Type: "token.issued", Subject: t.ID, Attrs: map[string]string{
			"token_id": t.ID, "holder": u.ID, "issued_by": actor.String(), "via": via,
		}}); err != nil {
			return err
		}
		return s.recordAccessTx(ctx, tx, actor, "token.issue", u.Username, msg.Encode([]msg.Msg{msg.New("access.token_issued", "token", msg.Raw(t.ID), "via", msg.Enum{Kind: "token_via", Code: via})}))
	})
	if err != nil {
		return "", nil, err
	}
	s.Logger.Info("api token created", "token_id", out.ID, "holder", out.Username, "by", actor.String())
	return plain, &out, nil
}

// Tokens lists a user's API tokens ("" lists everyone's, for
// administrators only).
func (s *Service) Tokens(ctx context.Context, actor access.Actor, username string) ([]APIToken, error) {
	uname := NormalizeUsername(username)
	if !actor.CanAdminister() && (actor.UserID == "" || uname != actor.Username) {
		return nil, access.Forbid("deny.other_tokens")
	}
	out := []APIToken{}
	err := s.db.View(ctx, func(tx *store.Tx) error {
		names := map[string]string{}
		users, err := tx.Users(ctx)
		if err != nil {
			return err
		}
		userID := ""
		for _, u := range users {
			names[u.ID] = u.Username
			if u.Username == uname {
				userID = u.ID
			}
		}
		if uname != "" && userID == "" {
			return fmt.Errorf("user %q: %w", uname, ErrNotFound)
		}
		ts, err := tx.Tokens(ctx, userID)
		for _, t := range ts {
			out = append(out, tokenFromStore(t, names[t.UserID]))
		}
		return err
	})
	return out, err
}

// RevokeToken revokes an API token at once. Administrators revoke any
// token, a user their own.
func (s *Service) RevokeToken(ctx context.Context, actor access.Actor, id string) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		t, err := tx.TokenByID(ctx, id)
		if err != nil {
			return err
		}
		if !actor.CanAdminister() && t.UserID != actor.UserID {
			return fmt.Errorf("token %q: %w", id, ErrNotFound)
		}
		return tx.RevokeToken(ctx, id)
	})
}

// TokenActor returns the actor of a valid API token. Unknown, revoked and
// malformed tokens, and tokens of disabled users, are ErrNotFound.
func (s *Service) TokenActor(ctx context.Context, token string) (access.Actor, error) {
	if !auth.LooksLikeToken(token) {
		return access.Actor{}, ErrNotFound
	}
	var actor access.Actor
	var t *store.Token
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		t, err = tx.TokenByHash(ctx, auth.Digest(token))
		if err != nil {
			return err
		}
		if !t.RevokedAt.IsZero() {
			return fmt.Errorf("token revoked: %w", ErrNotFound)
		}
		u, err := tx.UserByID(ctx, t.UserID)
		if err != nil {
			return err
		}
		if u.Disabled {
			return fmt.Errorf("user disabled: %w", ErrNotFound)
		}
		actor = actorOf(u)
		return nil
	})
	if err != nil {
		return access.Actor{}, err
	}
	// Recording every use would turn each API read into a write; once a
	// minute is enough to tell a dormant token from a live one.
	if now := s.Now(); now.Sub(t.LastUsedAt) > time.Minute {
		_ = s.db.Update(ctx, func(tx *store.Tx) error { return tx.TouchToken(ctx, t.ID, now) })
	}
	return actor, nil
}
