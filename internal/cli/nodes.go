package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"parley/internal/hubclient"
	"parley/internal/ledger"
	"parley/internal/mirror"
	"parley/internal/msg"
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
// when the hub cannot be reached, or answers 5xx, it says so on stderr and
// leaves them to the server's sender (or the next command). A statement
// the hub refuses now is named, and the command fails. Every notice goes to stderr: stdout
// holds the command's result alone (an id, a state), which scripts read.
func (a *App) deliver(ctx context.Context, s *service.Service) error {
	if s.Mode() != nodes.Node {
		return nil
	}
	pending, err := s.NodeOutbox(ctx, 100)
	if err != nil {
		return err
	}
	n, err := s.SendQueued(ctx)
	var failed *hubclient.HubError
	switch {
	case err == nil:
		if n > 0 {
			fmt.Fprintln(a.Stderr, a.text("node.send.sent", "count", n))
		}
	case errors.Is(err, hubclient.ErrUnreachable):
		fmt.Fprintln(a.Stderr, a.text("node.send.queued", "hub", s.HubURL()))
	case errors.As(err, &failed):
		fmt.Fprintln(a.Stderr, a.text("node.send.hub_failed", "hub", s.HubURL(), "status", msg.Plain(failed.Status), "reason", failed.Reason()))
	default:
		return err
	}
	after, err := s.NodeOutbox(ctx, 100)
	if err != nil {
		return err
	}
	waiting := map[string]bool{}
	for _, o := range pending {
		waiting[o.ID] = o.SentAt.IsZero() && o.RefusedAt.IsZero()
	}
	refused := 0
	for _, o := range after {
		if waiting[o.ID] && !o.RefusedAt.IsZero() {
			refused++
			fmt.Fprintln(a.Stderr, a.text("node.send.refused", "id", o.ID, "type", o.Type, "subject", o.Subject, "reason", o.LastError))
		}
	}
	if refused > 0 {
		return &ExitError{Code: 1, Silent: true}
	}
	return nil
}

// newData creates a data directory's database with its parties: the
// first step of init in every mode. The caller closes the store.
func newData(ctx context.Context, a *App, sides []parties.Party) (*store.DB, *service.Service, error) {
	if err := prepareDataDir(a); err != nil {
		return nil, nil, err
	}
	db, err := store.Open(ctx, a.DataDir, a.DBURL)
	if err != nil {
		return nil, nil, err
	}
	s, err := service.New(ctx, db, a.logger(), a.serviceOptions...)
	if err == nil {
		err = s.CreateParties(ctx, sides)
	}
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, s, nil
}

// partyIDs returns the ids of the parties, for init's report.
func partyIDs(sides []parties.Party) string {
	ids := make([]string, len(sides))
	for i, p := range sides {
		ids[i] = p.ID
	}
	return strings.Join(ids, ", ")
}

// initHub creates a hub: the shared record and the mediator's log key,
// and no key of any party.
func initHub(ctx context.Context, a *App, sides []parties.Party, origin string) error {
	db, s, err := newData(ctx, a, sides)
	if err != nil {
		return err
	}
	defer db.Close()
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
	fmt.Fprintln(a.Stdout, a.text("node.init.hub", "dir", a.DataDir, "parties", partyIDs(sides)))
	fmt.Fprintln(a.Stdout, a.text("node.init.log_key", "key", s.LogVerifierKey()))
	return nil
}

// initNode creates a party's node: it reads the hub's description, pins
// its log key (given, or trusted on first use with its fingerprint shown),
// generates the party's statement and witness keys here, and prints their
// verifier keys, one per line, for the mediator to trust. peers are other
// parties' nodes to compare checkpoints with (as node peer add).
func initNode(ctx context.Context, a *App, party, hubURL, hubKey string, peers []string) error {
	c, err := hubclient.New(hubURL, "", nil)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	info, err := c.Info(ctx)
	if err != nil {
		e := msg.NewError(nil, "node.init.read_hub", "hub", hubURL, "reason", err.Error())
		e.Cause = err
		return e
	}
	if hubKey != "" {
		k, err := ledger.ReadVerifierKey(hubKey)
		if err != nil {
			return &ExitError{Code: 2, Err: err}
		}
		if k != info.LogKey {
			return msg.NewError(nil, "node.init.hub_key_differs", "hub", hubURL, "served", info.LogKey, "pinned", k)
		}
	} else {
		fmt.Fprintln(a.Stderr, a.text("node.init.tofu", "key", info.LogKey, "fingerprint", statement.Fingerprint(info.LogKey)))
	}
	var sides []parties.Party
	found := false
	for _, p := range info.Parties {
		sides = append(sides, parties.Party{ID: p.ID, Name: p.Name, Translit: string(translit.UA2010)})
		found = found || p.ID == party
	}
	if !found {
		return &ExitError{Code: 2, Err: msg.NewError(nil, "node.init.unknown_party", "party", party)}
	}
	db, s, err := newData(ctx, a, sides)
	if err != nil {
		return err
	}
	defer db.Close()
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
	for _, p := range peers {
		if err := db.AddPeer(ctx, p, time.Now().UTC()); err != nil {
			return err
		}
	}
	fmt.Fprintln(a.Stdout, keys.Statement)
	fmt.Fprintln(a.Stdout, keys.Witness)
	fmt.Fprintln(a.Stderr, a.text("node.init.node", "dir", a.DataDir, "party", party, "hub", c.Base()))
	fmt.Fprintln(a.Stderr, a.text("node.init.ask_trust", "command", "parley party trust "+party+" KEY"))
	fmt.Fprintln(a.Stderr, a.text("node.init.fingerprints", "statement", statement.Fingerprint(keys.Statement), "witness", statement.Fingerprint(keys.Witness)))
	for _, p := range peers {
		fmt.Fprintln(a.Stderr, a.text("node.peer.added", "url", p, "path", mirror.CheckpointPath))
	}
	return nil
}

// peerURL checks the address of another party's node (init --peer, node
// peer add) and returns it without a trailing slash.
func (a *App) peerURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", usageError("%s", a.text("node.peer.bad_url", "url", raw, "form", "http(s)://HOST[:PORT]"))
	}
	return strings.TrimSuffix(u.String(), "/"), nil
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
			code := "node.trust.added"
			if !res.Added {
				code = "node.trust.already"
			}
			fmt.Fprintln(a.Stdout, a.text(code, "kind", res.Kind, "party", res.Party, "key", res.KeyName))
			fmt.Fprintln(a.Stdout, a.text("node.trust.fingerprint", "fingerprint", res.Fingerprint))
		}
		return nil
	})
}
