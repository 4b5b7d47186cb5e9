package service

import (
	"context"
	"strings"
	"unicode/utf8"

	"parley/internal/access"
	"parley/internal/auth"
	"parley/internal/msg"
	"parley/internal/store"
)

// Problems is every mistake found in one form at once (a username, a
// password and a role set), so that the person filling it in can fix them
// all before sending it again. errors.Is sees each of them: a Problems of
// invalid input is ErrInvalid.
type Problems []error

func (p Problems) Error() string {
	parts := make([]string, len(p))
	for i, e := range p {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap returns the problems, for errors.Is and errors.As.
func (p Problems) Unwrap() []error { return p }

// Message is the first problem's message (for callers that show one).
func (p Problems) Message() msg.Msg { return msg.FromError(p[0]) }

// Messages returns each problem's message.
func (p Problems) Messages() []msg.Msg {
	out := make([]msg.Msg, len(p))
	for i, e := range p {
		out[i] = msg.FromError(e)
	}
	return out
}

// orNil is the problems as an error, nil when there are none.
func (p Problems) orNil() error {
	if len(p) == 0 {
		return nil
	}
	return p
}

// passwordProblem says what is wrong with a password for username, or nil.
func passwordProblem(password, username string) error {
	switch {
	case utf8.RuneCountInString(password) < auth.MinPasswordLen:
		return Invalid("user.password_short", "min", auth.MinPasswordLen)
	case len(password) > auth.MaxPasswordLen:
		return Invalid("user.password_long", "max", auth.MaxPasswordLen)
	case !auth.CheckPasswordStrength(password, username).IsZero():
		return Invalid("user.password_has_username")
	}
	return nil
}

// usernameProblem says what is wrong with a (normalised) username, or nil.
func usernameProblem(name string) error {
	if !usernamePattern.MatchString(name) {
		return Invalid("user.bad_username", "username", msg.Raw(name))
	}
	return nil
}

// roleProblems is every mistake in a role set and its party binding: an
// officer acts for exactly one party, and nobody else is bound to one.
func roleProblems(ctx context.Context, tx *store.Tx, roles []access.Role, party string) Problems {
	var out Problems
	if len(roles) == 0 {
		out = append(out, Invalid("user.no_role"))
	}
	officer := false
	seen := map[access.Role]bool{}
	for _, r := range roles {
		switch {
		case !r.Valid():
			out = append(out, Invalid("user.unknown_role", "role", msg.Raw(string(r))))
		case seen[r]:
			out = append(out, Invalid("user.role_twice", "role", msg.Enum{Kind: "role", Code: string(r)}))
		}
		seen[r] = true
		officer = officer || r == access.Officer
	}
	switch {
	case officer && party == "":
		out = append(out, Invalid("user.officer_needs_party"))
	case !officer && party != "":
		out = append(out, Invalid("user.party_only_officers"))
	case officer:
		if _, err := tx.Party(ctx, party); err != nil {
			out = append(out, Invalid("user.unknown_party", "party", msg.Raw(party)))
		}
	}
	return out
}

// SetUserRoles replaces a user's roles and party binding. Administrators
// cannot take the administrator role from themselves (someone must be
// left to manage users). The change is in the access log; it takes effect
// at the user's next request, since sessions read the roles each time.
func (s *Service) SetUserRoles(ctx context.Context, actor access.Actor, username string, roles []access.Role, party string) (*User, error) {
	if !actor.CanAdminister() {
		return nil, access.Forbid("deny.manage_users")
	}
	name := NormalizeUsername(username)
	party = strings.TrimSpace(party)
	if !actor.System && name == actor.Username && !containsRole(roles, access.Admin) {
		return nil, Conflict("user.keep_own_admin")
	}
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	var out User
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		u, err := tx.UserByName(ctx, name)
		if err != nil {
			return err
		}
		if err := roleProblems(ctx, tx, roles, party).orNil(); err != nil {
			return err
		}
		if err := tx.SetUserRoles(ctx, u.ID, names, party); err != nil {
			return err
		}
		u.Roles, u.Party = names, party
		out = userFromStore(u)
		return s.recordAccessTx(ctx, tx, actor, "user.roles", name, userCreateDetail(names, party))
	})
	if err != nil {
		return nil, err
	}
	s.Logger.Info("user roles changed", "user_id", out.ID, "roles", strings.Join(names, ","), "by", actor.UserID)
	return &out, nil
}

func containsRole(roles []access.Role, r access.Role) bool {
	for _, x := range roles {
		if x == r {
			return true
		}
	}
	return false
}

// ResetPasswordOnce gives a user a new, generated password that the user
// must replace at the next sign-in, ends the user's sessions, and returns
// the password to be handed over once. The reset is in the access log,
// with who made it.
func (s *Service) ResetPasswordOnce(ctx context.Context, actor access.Actor, username string) (string, error) {
	if !actor.CanAdminister() {
		return "", access.Forbid("deny.manage_users")
	}
	name := NormalizeUsername(username)
	if !actor.System && name == actor.Username {
		// One's own password is changed on the account page, with the
		// current one: a stolen session must not replace it.
		return "", Conflict("user.reset_own")
	}
	password := auth.GeneratePassword()
	hash, err := auth.HashPassword(password, s.passwordParams)
	if err != nil {
		return "", err
	}
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		u, err := tx.UserByName(ctx, name)
		if err != nil {
			return err
		}
		if err := tx.SetOneTimePassword(ctx, u.ID, hash); err != nil {
			return err
		}
		if err := s.recordAccessTx(ctx, tx, actor, "user.password_reset", name, msg.Encode([]msg.Msg{msg.New("access.one_time_password")})); err != nil {
			return err
		}
		return tx.DeleteUserSessions(ctx, u.ID, "")
	})
	if err != nil {
		return "", err
	}
	s.Logger.Info("one-time password set", "user", name, "by", actor.UserID)
	return password, nil
}
