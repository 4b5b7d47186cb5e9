package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"parley/internal/hubclient"
	"parley/internal/ledger"
	"parley/internal/nodes"
	"parley/internal/parties"
	"parley/internal/service"
	"parley/internal/statement"
	"parley/internal/store"
	"parley/internal/translit"
)

func init() {
	register("party trust", "on the hub: trust a party's statement or witness key (prints its fingerprint)", runPartyTrust)
}

// hubFlag is init's --hub: alone it makes a hub ("init --hub"); with a
// value ("--hub=URL", or "--hub URL" after --node) it is a node's hub.
type hubFlag struct {
	set bool
	url string
}

func (h *hubFlag) String() string   { return h.url }
func (h *hubFlag) IsBoolFlag() bool { return true }
func (h *hubFlag) Set(v string) error {
	h.set = true
	if v != "true" {
		h.url = v
	}
	return nil
}

// impliedParty returns the party of a node's data directory ("" for a hub
// or a single server), for commands whose --from or --party it implies.
func (a *App) impliedParty(ctx context.Context) string {
	if a.nodeParty != "" {
		return a.nodeParty
	}
	db, err := a.openStore(ctx)
	if err != nil {
		return ""
	}
	defer db.Close()
	var set map[string]string
	if db.View(ctx, func(tx *store.Tx) (err error) { set, err = tx.NodeSettings(ctx); return err }) != nil {
		return ""
	}
	if set[nodes.SettingMode] == string(nodes.Node) {
		a.nodeParty = set[nodes.SettingParty]
	}
	return a.nodeParty
}

// deliver, on a node, tries once to send the statements a command queued;
// when the hub cannot be reached it says "queued" and leaves them to the
// server's sender (or the next command).
func (a *App) deliver(ctx context.Context, s *service.Service) error {
	if s.Mode() != nodes.Node {
		return nil
	}
	n, err := s.SendQueued(ctx)
	switch {
	case err == nil:
		if n > 0 {
			fmt.Fprintf(a.Stderr, "sent %d statement(s) to the hub\n", n)
		}
		return nil
	case errors.Is(err, hubclient.ErrUnreachable):
		fmt.Fprintln(a.Stdout, "queued")
		fmt.Fprintf(a.Stderr, "the hub at %s cannot be reached; the signed statement waits in the outbox and is sent when it is back\n", s.HubURL())
		return nil
	}
	return err
}

// initHub creates a hub: the shared record and the mediator's log key,
// and no key of any party.
func initHub(ctx context.Context, a *App, sides []parties.Party, origin string) error {
	if err := prepareDataDir(a); err != nil {
		return err
	}
	db, err := store.Open(ctx, a.DataDir, a.DBURL)
	if err != nil {
		return err
	}
	defer db.Close()
	s, err := service.New(ctx, db, a.logger(), a.serviceOptions...)
	if err != nil {
		return err
	}
	if err := s.CreateParties(ctx, sides); err != nil {
		return err
	}
	if origin == "" {
		origin = defaultOrigin()
	}
	if err := ledger.InitHub(a.DataDir, origin); err != nil {
		return err
	}
	if err := s.SetupMode(ctx, map[string]string{nodes.SettingMode: string(nodes.Hub)}); err != nil {
		return err
	}
	if err := attachLog(s, a.DataDir); err != nil {
		return err
	}
	if err := s.RecordKeys(ctx, a.actor()); err != nil {
		return err
	}
	ids := make([]string, len(sides))
	for i, p := range sides {
		ids[i] = p.ID
	}
	fmt.Fprintf(a.Stdout, "initialised hub %s with parties %s\n", a.DataDir, strings.Join(ids, ", "))
	fmt.Fprintf(a.Stdout, "log key %s\n", s.LogVerifierKey())
	return nil
}

// initNode creates a party's node: it reads the hub's description, pins
// its log key (given, or trusted on first use with its fingerprint shown),
// generates the party's statement and witness keys here, and prints their
// verifier keys, one per line, for the mediator to trust.
func initNode(ctx context.Context, a *App, party, hubURL, hubKey string) error {
	c, err := hubclient.New(hubURL, "", nil)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	info, err := c.Info(ctx)
	if err != nil {
		return fmt.Errorf("read the hub's description: %w", err)
	}
	if hubKey != "" {
		k, err := ledger.ReadVerifierKey(hubKey)
		if err != nil {
			return &ExitError{Code: 2, Err: err}
		}
		if k != info.LogKey {
			return fmt.Errorf("the hub at %s serves log key %s, not the pinned %s", hubURL, info.LogKey, k)
		}
	} else {
		fmt.Fprintf(a.Stderr, "trusting the hub's log key on first use: %s\nfingerprint %s (compare it with the mediator's)\n", info.LogKey, statement.Fingerprint(info.LogKey))
	}
	var sides []parties.Party
	found := false
	for _, p := range info.Parties {
		sides = append(sides, parties.Party{ID: p.ID, Name: p.Name, Translit: string(translit.UA2010)})
		found = found || p.ID == party
	}
	if !found {
		return &ExitError{Code: 2, Err: fmt.Errorf("the hub knows no party %q", party)}
	}
	if err := prepareDataDir(a); err != nil {
		return err
	}
	db, err := store.Open(ctx, a.DataDir, a.DBURL)
	if err != nil {
		return err
	}
	defer db.Close()
	s, err := service.New(ctx, db, a.logger(), a.serviceOptions...)
	if err != nil {
		return err
	}
	if err := s.CreateParties(ctx, sides); err != nil {
		return err
	}
	keys, err := nodes.CreateNodeKeys(a.DataDir, info.Origin, party, info.LogKey)
	if err != nil {
		return err
	}
	if err := s.SetupMode(ctx, map[string]string{
		nodes.SettingMode: string(nodes.Node), nodes.SettingParty: party, nodes.SettingHubURL: c.Base(),
		nodes.SettingHubOrigin: info.Origin, nodes.SettingHubLogVKey: info.LogKey,
	}); err != nil {
		return err
	}
	fmt.Fprintln(a.Stdout, keys.Statement)
	fmt.Fprintln(a.Stdout, keys.Witness)
	fmt.Fprintf(a.Stderr, "initialised node %s of party %s for the hub at %s\nask the mediator to run: parley party trust %s KEY, for each key above\n", a.DataDir, party, c.Base(), party)
	fmt.Fprintf(a.Stderr, "fingerprints: %s | %s\n", statement.Fingerprint(keys.Statement), statement.Fingerprint(keys.Witness))
	return nil
}

// prepareDataDir refuses a directory that holds Parley data already and
// creates it (0700) otherwise.
func prepareDataDir(a *App) error {
	if !store.IsPostgresURL(a.DBURL) {
		if _, err := os.Stat(filepath.Join(a.DataDir, "parley.db")); err == nil {
			return fmt.Errorf("%s already holds Parley data", a.DataDir)
		}
	}
	if err := os.MkdirAll(a.DataDir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", a.DataDir, err)
	}
	return nil
}

func runPartyTrust(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("party trust")
	fs.Usage = func() {
		fmt.Fprintln(a.Stderr, "usage: parley party trust PARTY VERIFIER_KEY [VERIFIER_KEY...]")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) < 2 {
		fs.Usage()
		return &ExitError{Code: 2, Silent: true, Err: flag.ErrHelp}
	}
	return a.withService(ctx, func(s *service.Service) error {
		for _, k := range pos[1:] {
			vkey, err := ledger.ReadVerifierKey(k)
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			res, err := s.TrustPartyKey(ctx, a.actor(), pos[0], vkey)
			if err != nil {
				return err
			}
			state := "trusted"
			if !res.Added {
				state = "already trusted"
			}
			fmt.Fprintf(a.Stdout, "%s %s key of %s: %s\nfingerprint %s\n", state, res.Kind, res.Party, res.KeyName, res.Fingerprint)
		}
		return nil
	})
}
