package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"parley/internal/access"
	"parley/internal/auth"
	"parley/internal/service"
)

func init() {
	register("user add", "create a user of the web workbench (prints a generated password)", runUserAdd)
	register("user ls", "list the users", runUserLs)
	register("user passwd", "set a user's password (read from standard input)", runUserPasswd)
	register("user disable", "disable a user and end their sessions", runUserDisable)
	register("user token", "issue an API token for a user (printed once)", runUserToken)
}

// readPassword reads one line from standard input, for --password-stdin:
// a password on the command line would end up in the shell history and in
// the process list.
func readPassword(a *App) (string, error) {
	line, err := bufio.NewReader(a.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", errors.New("no password on standard input")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func runUserAdd(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("user add")
	username := fs.String("username", "", "username (lower-case letters, digits, . _ -)")
	var roles multiFlag
	fs.Var(&roles, "role", "role: officer, mediator, observer or admin (repeat or separate with commas)")
	party := fs.String("party", "", "party id (officers only)")
	stdin := fs.Bool("password-stdin", false, "read the password from standard input instead of generating one")
	if _, err := parseInterspersed(fs, args); err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if *username == "" || len(roles) == 0 {
		return &ExitError{Code: 2, Err: errors.New("usage: parley user add --username U --role R [--party P] [--password-stdin]")}
	}
	var rs []access.Role
	for _, r := range roles {
		for _, p := range strings.Split(r, ",") {
			if p = strings.TrimSpace(p); p != "" {
				rs = append(rs, access.Role(p))
			}
		}
	}
	password := ""
	if *stdin {
		var err error
		if password, err = readPassword(a); err != nil {
			return &ExitError{Code: 2, Err: err}
		}
	} else {
		password = auth.GeneratePassword()
	}
	s, err := a.openService(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.CreateUser(ctx, access.System, service.NewUser{Username: *username, Password: password, Roles: rs, Party: *party}); err != nil {
		return err
	}
	name := service.NormalizeUsername(*username)
	if *stdin {
		fmt.Fprintf(a.Stdout, "created user %s\n", name)
	} else {
		fmt.Fprintf(a.Stdout, "created user %s\npassword: %s\n", name, password)
		fmt.Fprintln(a.Stderr, "The password is shown only now; give it to the user over a safe channel.")
	}
	return nil
}

func runUserLs(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("user ls")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseInterspersed(fs, args); err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	s, err := a.openService(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	us, err := s.Users(ctx, access.System)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(a.Stdout, map[string]any{"users": us})
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	a.columns(tw, "", "cli.col.username", "cli.col.roles", "cli.col.party", "cli.col.state")
	for _, u := range us {
		var roles []string
		for _, r := range u.Roles {
			roles = append(roles, string(r))
		}
		state := "active"
		if u.Disabled {
			state = "disabled"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Username, strings.Join(roles, ","), u.Party, state)
	}
	return tw.Flush()
}

func runUserPasswd(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("user passwd")
	username := fs.String("username", "", "username")
	if _, err := parseInterspersed(fs, args); err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if *username == "" {
		return &ExitError{Code: 2, Err: errors.New("usage: parley user passwd --username U < password-file")}
	}
	password, err := readPassword(a)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	s, err := a.openService(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.ResetPassword(ctx, access.System, *username, password); err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "password of %s changed; their sessions have ended\n", service.NormalizeUsername(*username))
	return nil
}

func runUserDisable(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("user disable")
	username := fs.String("username", "", "username")
	enable := fs.Bool("enable", false, "re-enable instead")
	if _, err := parseInterspersed(fs, args); err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if *username == "" {
		return &ExitError{Code: 2, Err: errors.New("usage: parley user disable --username U [--enable]")}
	}
	s, err := a.openService(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.SetUserDisabled(ctx, access.System, *username, !*enable); err != nil {
		return err
	}
	state := "disabled"
	if *enable {
		state = "enabled"
	}
	fmt.Fprintf(a.Stdout, "user %s %s\n", service.NormalizeUsername(*username), state)
	return nil
}

func runUserToken(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("user token")
	username := fs.String("username", "", "username")
	name := fs.String("name", "", "a name for the token (where it is used)")
	if _, err := parseInterspersed(fs, args); err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if *username == "" {
		return &ExitError{Code: 2, Err: errors.New("usage: parley user token --username U [--name N]")}
	}
	s, err := a.openService(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	tok, info, err := s.CreateToken(ctx, access.System, *username, *name)
	if err != nil {
		return err
	}
	fmt.Fprintln(a.Stdout, tok)
	fmt.Fprintf(a.Stderr, "token %s for %s; it is shown only now (send it as Authorization: Bearer <token>)\n", info.ID, info.Username)
	return nil
}
