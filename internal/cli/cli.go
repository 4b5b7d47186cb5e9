// Package cli is the command-line adapter of Parley: it parses arguments,
// opens the data directory and calls the service layer. Each command lives in
// a file of its own and registers itself with register.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"parley/internal/service"
	"sort"
	"strings"
)

// App carries what every command needs: the global flags and the streams.
type App struct {
	DataDir string // --data, default ./parley-data or $PARLEY_DATA
	DBURL   string // --db, default SQLite inside DataDir
	// DataSet records that --data was given explicitly (or $PARLEY_DATA).
	DataSet bool
	// LangFlag is --lang: the language of what the commands write for
	// people (see App.lang).
	LangFlag string
	Stdin    io.Reader
	Stdout   io.Writer
	Stderr   io.Writer
	// serviceOptions configure every service the commands open (tests
	// lower the password hashing cost with them).
	serviceOptions []service.Option
	// nodeParty is the party of a node's data directory, set when the
	// service opens (see actor).
	nodeParty string
}

// command is one sub-command such as "list import". run receives the
// arguments after the command's name.
type command struct {
	name    string // e.g. "list import"
	summary string
	run     func(ctx context.Context, a *App, args []string) error
}

var commands = map[string]command{}

// register adds a command; called from init functions of this package.
func register(name, summary string, run func(ctx context.Context, a *App, args []string) error) {
	if _, dup := commands[name]; dup {
		panic("cli: command registered twice: " + name)
	}
	commands[name] = command{name: name, summary: summary, run: run}
}

// ExitError carries a specific exit status; its message has already been
// printed when Silent is true.
type ExitError struct {
	Code   int
	Silent bool
	Err    error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// Main runs the command line and returns the process exit status.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return mainWith(ctx, args, stdin, stdout, stderr, nil)
}

// mainWith is Main with options for the services the commands open.
func mainWith(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, opts []service.Option) int {
	a := &App{Stdin: stdin, Stdout: stdout, Stderr: stderr, serviceOptions: opts}
	a.DataDir = os.Getenv("PARLEY_DATA")
	a.DataSet = a.DataDir != ""
	if a.DataDir == "" {
		a.DataDir = "./parley-data"
	}
	a.DBURL = os.Getenv("PARLEY_DB")

	// Global flags may stand before the command; commands accept them too
	// (see newFlagSet).
	fs := flag.NewFlagSet("parley", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&a.DataDir, "data", a.DataDir, "data directory")
	fs.StringVar(&a.DBURL, "db", a.DBURL, "database URL (postgres://...); default: SQLite inside the data directory")
	fs.StringVar(&a.LangFlag, "lang", "", "language of messages and documents: en, uk or ru (default: from LANG)")
	fs.Usage = func() { usage(stderr) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "data" {
			a.DataSet = true
		}
	})
	rest := fs.Args()
	if len(rest) == 0 {
		usage(stderr)
		return 2
	}
	cmd, cmdArgs, ok := lookup(rest)
	if !ok {
		fmt.Fprintf(stderr, "parley: unknown command %q\n\n", strings.Join(rest, " "))
		usage(stderr)
		return 2
	}
	err := cmd.run(ctx, a, cmdArgs)
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if !ee.Silent && ee.Err != nil {
			fmt.Fprintf(stderr, "parley %s: %s\n", cmd.name, a.errorText(ee.Err))
		}
		return ee.Code
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "parley %s: %s\n", cmd.name, a.errorText(err))
	return 1
}

// lookup finds the longest registered command name that prefixes args.
func lookup(args []string) (command, []string, bool) {
	for n := min(len(args), 3); n > 0; n-- {
		if c, ok := commands[strings.Join(args[:n], " ")]; ok {
			return c, args[n:], true
		}
	}
	return command{}, nil, false
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: parley [--data DIR] [--db URL] COMMAND [ARGS]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-22s %s\n", n, commands[n].summary)
	}
}

// newFlagSet returns a flag set for a command that also accepts the global
// --data and --db flags after the command's name.
func (a *App) newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("parley "+name, flag.ContinueOnError)
	fs.SetOutput(a.Stderr)
	fs.StringVar(&a.DataDir, "data", a.DataDir, "data directory")
	fs.StringVar(&a.DBURL, "db", a.DBURL, "database URL")
	fs.StringVar(&a.LangFlag, "lang", a.LangFlag, "language of messages and documents: en, uk or ru (default: from LANG)")
	return fs
}

// parseInterspersed parses flags that may stand before or after positional
// arguments ("list import FILE --from A"), which the standard flag package
// stops at. It returns the positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// multiFlag collects a repeated flag such as --party or --map.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
