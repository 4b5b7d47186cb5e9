package cli

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"parley/internal/access"
	"parley/internal/demo"
	"parley/internal/service"
)

func init() {
	register("demo", "serve the demo scenario: a hub and two party nodes (--single: one server)", runDemo)
}

// demoUser is one sign-in the demo creates.
type demoUser struct {
	username string
	roles    []access.Role
	party    string
	label    string
}

var demoUsers = []demoUser{
	{"officer-a", []access.Role{access.Officer}, "A", "Party A officer"},
	{"officer-b", []access.Role{access.Officer}, "B", "Party B officer"},
	{"mediator", []access.Role{access.Mediator}, "", "mediator"},
	{"observer", []access.Role{access.Observer}, "", "observer"},
	{"admin", []access.Role{access.Admin}, "", "administrator"},
}

func runDemo(ctx context.Context, a *App, args []string) error {
	dataGiven := a.DataSet
	for _, arg := range args {
		if arg == "--data" || len(arg) > 7 && arg[:7] == "--data=" {
			dataGiven = true
		}
	}
	fs := a.newFlagSet("demo")
	addr := fs.String("addr", "127.0.0.1:8080", "address to serve on")
	seed := fs.Uint64("seed", demo.Default().Seed, "seed of the generated data")
	noServe := fs.Bool("no-serve", false, "create the data and exit")
	single := fs.Bool("single", false, "one server for everything (single mode) instead of a hub and two party nodes")
	if _, err := parseInterspersed(fs, args); err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if !*single {
		return runNodesDemo(ctx, a, dataGiven, *addr, *seed, *noServe)
	}
	if !dataGiven {
		dir, err := os.MkdirTemp("", "parley-demo-")
		if err != nil {
			return err
		}
		a.DataDir = dir
	} else if entries, err := os.ReadDir(a.DataDir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is not empty; the demo needs a fresh data directory", a.DataDir)
	}
	start := time.Now()
	if err := initData(ctx, a, demo.Parties, ""); err != nil {
		return err
	}
	s, err := a.openService(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	sc := demo.Default()
	sc.Seed = *seed
	res, err := demo.Build(ctx, s, a.DataDir, sc)
	if err != nil {
		return fmt.Errorf("demo data: %w", err)
	}
	neg, err := buildDemoExtras(ctx, s, res, sc)
	if err != nil {
		return fmt.Errorf("demo negotiation: %w", err)
	}
	vers, err := demo.BuildVersions(ctx, s, res)
	if err != nil {
		return fmt.Errorf("demo versions: %w", err)
	}
	fmt.Fprintf(a.Stdout, "demo data in %s (%s): first list %s (%d persons) from A to B, counter-list %s, registry of B with %d records\n",
		a.DataDir, time.Since(start).Round(time.Millisecond), res.FirstListID, sc.FirstList, res.CounterListID, res.RegistrySize)
	fmt.Fprintf(a.Stdout, "negotiation: round %s; stage 1 (unilateral, Art. 109) agreement %s; stage 2 (one-for-one) agreement %s\n",
		neg.RoundID, neg.FirstStage.AgreementID, neg.SecondStage.AgreementID)
	fmt.Fprintf(a.Stdout, "versions: %d matches confirmed in bulk (run %s); registry of B re-imported as version %d; first list version 2 %s matched (run %s): %d reviews carried over, %d back to pending with a reason\n",
		vers.Confirmed, vers.FirstRunID, vers.RegistryVersion, vers.SecondListID, vers.SecondRunID, vers.Carried, vers.Pending)
	truth, err := demo.BuildDisputesAndDeath(ctx, s, res)
	if err != nil {
		return fmt.Errorf("demo disputes and death: %w", err)
	}
	fmt.Fprintf(a.Stdout, "disputes: rows contested %s, left-off claim %s (see /disputes); death in captivity %s released to the family of inquiry %s (secret %s, see /family/status)\n",
		strings.Join(truth.Contests, ", "), truth.ClaimID, truth.DeathID, truth.FamilyReference, truth.FamilySecret)
	fmt.Fprintln(a.Stdout, "sign in with:")
	for _, u := range demoUsers {
		pw := demoPassword()
		if err := s.CreateUser(ctx, access.System, service.NewUser{Username: u.username, Password: pw, Roles: u.roles, Party: u.party}); err != nil {
			return fmt.Errorf("demo user %s: %w", u.username, err)
		}
		fmt.Fprintf(a.Stdout, "  %-16s %-10s password %s\n", u.label, u.username, pw)
	}
	if err := os.WriteFile(filepath.Join(a.DataDir, "demo", "README.txt"), []byte(demoReadme), 0o600); err != nil {
		return err
	}
	if *noServe {
		return nil
	}
	o := serveOptions{Addr: *addr, SessionTTL: 12 * time.Hour}
	return serveWeb(ctx, a, s, o, mountExtras(ctx, s, o))
}

// demoPassword returns a random password that is easy to type from a
// terminal: four groups of four letters and digits.
func demoPassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	var b [16]byte
	_, _ = rand.Read(b[:])
	out := make([]byte, 0, 19)
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			out = append(out, '-')
		}
		out = append(out, alphabet[int(c)%len(alphabet)])
	}
	return string(out)
}

const demoReadme = `These files were generated for the Parley demo and imported from here:
first-list-640.csv   Party A's first list (Russian headers and categories as in the report)
counter-list-B.csv   Party B's list of detainees
registry-B.csv       Party B's registry of missing servicemen (Ukrainian headers and statuses)
Names: the names-translator table of Dmitry Chaplinsky (MIT).
`
