package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// User is an account that signs in to the web workbench or calls the API.
// Roles are kept as plain strings here; package access gives them meaning.
type User struct {
	ID           string    `json:"id"`
	Username     string    `json:"username"`
	PasswordHash string    `json:"-"`
	Roles        []string  `json:"roles"`
	Party        string    `json:"party,omitempty"`
	Disabled     bool      `json:"disabled"`
	CreatedAt    time.Time `json:"created_at"`
	PasswordAt   time.Time `json:"password_changed_at"`
	// MustChangePassword says the password was set by an administrator
	// and must be replaced at the next sign-in.
	MustChangePassword bool `json:"must_change_password"`
	// Language is the language the user chose (en, uk, ru); "" for none.
	Language string `json:"language,omitempty"`
}

// ErrDuplicate is returned when a unique value (a username) is taken.
var ErrDuplicate = errors.New("already exists")

const userColumns = `id, username, password_hash, roles, COALESCE(party, ''), disabled, created_at, password_at, must_change_password, language`

func scanUser(scan func(...any) error) (*User, error) {
	var u User
	var roles, created, pwAt string
	var disabled, must int
	if err := scan(&u.ID, &u.Username, &u.PasswordHash, &roles, &u.Party, &disabled, &created, &pwAt, &must, &u.Language); err != nil {
		return nil, err
	}
	if roles != "" {
		u.Roles = strings.Split(roles, ",")
	}
	u.Disabled = disabled != 0
	u.MustChangePassword = must != 0
	u.CreatedAt, u.PasswordAt = parseTime(created), parseTime(pwAt)
	return &u, nil
}

// CreateUser stores a new user. The caller sets the id, the normalised
// username and the password hash; the store sets the times.
func (tx *Tx) CreateUser(ctx context.Context, u *User) error {
	var party any
	if u.Party != "" {
		party = u.Party
	}
	var exists int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM users WHERE username = ?`, u.Username).Scan(&exists); err != nil {
		return fmt.Errorf("check username: %w", err)
	}
	if exists > 0 {
		return fmt.Errorf("user %q: %w", u.Username, ErrDuplicate)
	}
	u.CreatedAt = now()
	u.PasswordAt = u.CreatedAt
	_, err := tx.Exec(ctx, `INSERT INTO users (id, username, password_hash, roles, party, disabled, created_at, password_at, language) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Username, u.PasswordHash, strings.Join(u.Roles, ","), party, boolInt(u.Disabled), timeText(u.CreatedAt), timeText(u.PasswordAt), u.Language)
	if err != nil {
		return fmt.Errorf("create user %s: %w", u.Username, err)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// UserByName returns the user with the (normalised) username.
func (tx *Tx) UserByName(ctx context.Context, username string) (*User, error) {
	u, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE username = ?`, username).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("user %q: %w", username, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read user %s: %w", username, err)
	}
	return u, nil
}

// UserByID returns the user with the id.
func (tx *Tx) UserByID(ctx context.Context, id string) (*User, error) {
	u, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("user id %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read user %s: %w", id, err)
	}
	return u, nil
}

// Users returns every user ordered by username.
func (tx *Tx) Users(ctx context.Context) ([]*User, error) {
	rows, err := tx.Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return scanAll(rows, []*User{}, scanUser)
}

// SetPassword replaces a user's password hash; the user need not change
// it again.
func (tx *Tx) SetPassword(ctx context.Context, userID, hash string) error {
	return tx.setPassword(ctx, userID, hash, false)
}

// SetOneTimePassword replaces a user's password hash with one the user
// must change at the next sign-in (an administrator's reset).
func (tx *Tx) SetOneTimePassword(ctx context.Context, userID, hash string) error {
	return tx.setPassword(ctx, userID, hash, true)
}

func (tx *Tx) setPassword(ctx context.Context, userID, hash string, mustChange bool) error {
	res, err := tx.Exec(ctx, `UPDATE users SET password_hash = ?, password_at = ?, must_change_password = ? WHERE id = ?`, hash, timeText(now()), boolInt(mustChange), userID)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	return oneRow(res, "user", userID)
}

// RehashPassword stores a stronger hash of the same password: neither the
// time of the last change nor the duty to change it moves.
func (tx *Tx) RehashPassword(ctx context.Context, userID, hash string) error {
	res, err := tx.Exec(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, userID)
	if err != nil {
		return fmt.Errorf("rehash password: %w", err)
	}
	return oneRow(res, "user", userID)
}

// SetUserRoles replaces a user's roles and party binding.
func (tx *Tx) SetUserRoles(ctx context.Context, userID string, roles []string, party string) error {
	var p any
	if party != "" {
		p = party
	}
	res, err := tx.Exec(ctx, `UPDATE users SET roles = ?, party = ? WHERE id = ?`, strings.Join(roles, ","), p, userID)
	if err != nil {
		return fmt.Errorf("update roles: %w", err)
	}
	return oneRow(res, "user", userID)
}

// SetUserLanguage saves the language a user chose; "" forgets the choice.
// The caller checks that the language is one of ours.
func (tx *Tx) SetUserLanguage(ctx context.Context, userID, lang string) error {
	res, err := tx.Exec(ctx, `UPDATE users SET language = ? WHERE id = ?`, lang, userID)
	if err != nil {
		return fmt.Errorf("set language: %w", err)
	}
	return oneRow(res, "user", userID)
}

// SetUserDisabled disables or re-enables a user.
func (tx *Tx) SetUserDisabled(ctx context.Context, userID string, disabled bool) error {
	res, err := tx.Exec(ctx, `UPDATE users SET disabled = ? WHERE id = ?`, boolInt(disabled), userID)
	if err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	return oneRow(res, "user", userID)
}

func oneRow(res sql.Result, what, id string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return fmt.Errorf("%s %q: %w", what, id, ErrNotFound)
	}
	return nil
}

// Session is a signed-in browser. Only the SHA-256 digest of its id is
// stored; the id itself lives in the browser's cookie.
type Session struct {
	IDHash    string
	UserID    string
	CSRFToken string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// CreateSession stores a session.
func (tx *Tx) CreateSession(ctx context.Context, s Session) error {
	_, err := tx.Exec(ctx, `INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_unix) VALUES (?, ?, ?, ?, ?)`,
		s.IDHash, s.UserID, s.CSRFToken, timeText(s.CreatedAt), s.ExpiresAt.Unix())
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// SessionByHash returns the session with the id digest, if it has not
// expired at now.
func (tx *Tx) SessionByHash(ctx context.Context, idHash string, at time.Time) (*Session, error) {
	var s Session
	var created string
	var exp int64
	err := tx.QueryRow(ctx, `SELECT id_hash, user_id, csrf_token, created_at, expires_unix FROM sessions WHERE id_hash = ? AND expires_unix > ?`, idHash, at.Unix()).
		Scan(&s.IDHash, &s.UserID, &s.CSRFToken, &created, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("session: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read session: %w", err)
	}
	s.CreatedAt, s.ExpiresAt = parseTime(created), time.Unix(exp, 0).UTC()
	return &s, nil
}

// DeleteSession removes one session (sign-out).
func (tx *Tx) DeleteSession(ctx context.Context, idHash string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions removes every session of a user except keep (a digest,
// or "" to remove all): after a password change or when a user is disabled.
func (tx *Tx) DeleteUserSessions(ctx context.Context, userID, keep string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = ? AND id_hash <> ?`, userID, keep); err != nil {
		return fmt.Errorf("delete sessions: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes sessions that expired before at and returns
// how many it removed.
func (tx *Tx) DeleteExpiredSessions(ctx context.Context, at time.Time) (int64, error) {
	res, err := tx.Exec(ctx, `DELETE FROM sessions WHERE expires_unix <= ?`, at.Unix())
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return res.RowsAffected()
}

// Token is an API token. Only the SHA-256 digest of the token is stored.
type Token struct {
	ID         string    `json:"id"`
	UserID     string    `json:"user_id"`
	Name       string    `json:"name"`
	Hash       string    `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}

// CreateToken stores a token.
func (tx *Tx) CreateToken(ctx context.Context, t *Token) error {
	t.CreatedAt = now()
	_, err := tx.Exec(ctx, `INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)`,
		t.ID, t.UserID, t.Name, t.Hash, timeText(t.CreatedAt))
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	return nil
}

const tokenColumns = `id, user_id, name, token_hash, created_at, last_used_at, revoked_at`

func scanToken(scan func(...any) error) (*Token, error) {
	var t Token
	var created, used, revoked string
	if err := scan(&t.ID, &t.UserID, &t.Name, &t.Hash, &created, &used, &revoked); err != nil {
		return nil, err
	}
	t.CreatedAt, t.LastUsedAt, t.RevokedAt = parseTime(created), parseTime(used), parseTime(revoked)
	return &t, nil
}

// TokenByHash returns the token with the digest, revoked or not.
func (tx *Tx) TokenByHash(ctx context.Context, hash string) (*Token, error) {
	t, err := scanToken(tx.QueryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE token_hash = ?`, hash).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("token: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read token: %w", err)
	}
	return t, nil
}

// TokenByID returns the token with the id.
func (tx *Tx) TokenByID(ctx context.Context, id string) (*Token, error) {
	t, err := scanToken(tx.QueryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE id = ?`, id).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("token %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read token: %w", err)
	}
	return t, nil
}

// Tokens returns a user's tokens, newest first; "" returns every user's.
func (tx *Tx) Tokens(ctx context.Context, userID string) ([]*Token, error) {
	q := `SELECT ` + tokenColumns + ` FROM api_tokens`
	var args []any
	if userID != "" {
		q += ` WHERE user_id = ?`
		args = append(args, userID)
	}
	q += ` ORDER BY created_at DESC, id`
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return scanAll(rows, []*Token{}, scanToken)
}

// RevokeToken marks a token revoked; revoking twice is not an error.
func (tx *Tx) RevokeToken(ctx context.Context, id string) error {
	res, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = CASE WHEN revoked_at = '' THEN ? ELSE revoked_at END WHERE id = ?`, timeText(now()), id)
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	return oneRow(res, "token", id)
}

// TouchToken records that a token was used.
func (tx *Tx) TouchToken(ctx context.Context, id string, at time.Time) error {
	if _, err := tx.Exec(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, timeText(at), id); err != nil {
		return fmt.Errorf("touch token: %w", err)
	}
	return nil
}
