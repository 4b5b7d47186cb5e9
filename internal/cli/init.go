package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"parley/internal/access"
	"parley/internal/parties"
	"parley/internal/translit"
)

func init() {
	register("init", "create a data directory with its parties and keys", runInit)
}

func runInit(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("init")
	var partyFlags, translits, translitsRU multiFlag
	fs.Var(&partyFlags, "party", "a party as ID=NAME (repeat, at least two)")
	fs.Var(&translits, "translit", "romanization system of a party's country as ID=SYSTEM (ua2010, icao, gost-b, bgn); default ua2010")
	fs.Var(&translitsRU, "translit-ru", "romanization system for names written in Russian spelling, as ID=SYSTEM (icao, gost-b, bgn); default icao (ICAO Doc 9303, as in Russian passports)")
	origin := fs.String("origin", "", "origin line of the log's checkpoints (default parley/<random>)")
	var hub hubFlag
	fs.Var(&hub, "hub", "make a hub, the mediator's server of the shared record (with --node: the hub's address)")
	node := fs.String("node", "", "make the node of this party; give the hub's address with --hub URL")
	hubKey := fs.String("hub-key", "", "with --node: the hub's log verifier key to pin (default: trust on first use)")
	var peers multiFlag
	fs.Var(&peers, "peer", "with --node: another party's node to compare checkpoints with, http(s)://HOST[:PORT] (repeat)")
	fs.Usage = func() {
		fmt.Fprintln(a.Stderr, "usage: parley init [--hub] --party ID=NAME --party ID=NAME [--translit ID=SYSTEM] [--translit-ru ID=SYSTEM] [--origin TEXT]\n       parley init --node PARTY --hub URL [--hub-key VKEY] [--peer URL ...]")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if *node != "" {
		url := hub.url
		if url == "" && len(pos) == 1 {
			url, pos = pos[0], nil // "--hub URL": the flag is boolean-like
		}
		if url == "" || len(pos) > 0 || len(partyFlags) > 0 {
			return &ExitError{Code: 2, Err: errors.New("usage: parley init --node PARTY --hub URL [--hub-key VKEY] [--peer URL ...] (the parties come from the hub)")}
		}
		var checked []string
		for _, p := range peers {
			u, err := a.peerURL(p)
			if err != nil {
				return err
			}
			checked = append(checked, u)
		}
		return initNode(ctx, a, *node, url, *hubKey, checked)
	}
	if len(pos) > 0 || hub.url != "" || len(peers) > 0 {
		return &ExitError{Code: 2, Err: errors.New("usage: parley init [--hub] --party ID=NAME --party ID=NAME (--hub URL and --peer go with --node)")}
	}
	ps, err := parseParties(partyFlags, translits)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	for _, t := range translitsRU {
		id, sys, ok := strings.Cut(t, "=")
		s, err := translit.ParseSystem(sys)
		if !ok || err != nil || s == translit.UA2010 {
			return &ExitError{Code: 2, Err: fmt.Errorf("--translit-ru %q: want ID=SYSTEM with a Russian system (icao, gost-b, bgn)", t)}
		}
		found := false
		for i := range ps {
			if ps[i].ID == id {
				ps[i].TranslitRU, found = string(s), true
			}
		}
		if !found {
			return &ExitError{Code: 2, Err: fmt.Errorf("--translit-ru %q: no party %q", t, id)}
		}
	}
	if hub.set {
		return initHub(ctx, a, ps, *origin)
	}
	return initData(ctx, a, ps, *origin)
}

func parseParties(specs, translits []string) ([]parties.Party, error) {
	var out []parties.Party
	for _, p := range specs {
		id, name, ok := strings.Cut(p, "=")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("--party %q: want ID=NAME", p)
		}
		out = append(out, parties.Party{ID: strings.TrimSpace(id), Name: strings.TrimSpace(name), Translit: string(translit.UA2010)})
	}
	if len(out) < 2 {
		return nil, errors.New("give at least two parties: --party A=NAME --party B=NAME")
	}
	for _, t := range translits {
		id, sys, ok := strings.Cut(t, "=")
		if !ok {
			return nil, fmt.Errorf("--translit %q: want ID=SYSTEM", t)
		}
		s, err := translit.ParseSystem(sys)
		if err != nil {
			return nil, fmt.Errorf("--translit %q: %w", t, err)
		}
		found := false
		for i := range out {
			if out[i].ID == id {
				out[i].Translit, found = string(s), true
			}
		}
		if !found {
			return nil, fmt.Errorf("--translit %q: no party %q", t, id)
		}
	}
	return out, nil
}

// initData creates the data directory, the schema, the parties and the keys.
func initData(ctx context.Context, a *App, sides []parties.Party, origin string) error {
	db, s, err := newData(ctx, a, sides)
	if err != nil {
		return err
	}
	defer db.Close()
	ids := make([]string, len(sides))
	for i, p := range sides {
		ids[i] = p.ID
	}
	if err := initLog(ctx, a.DataDir, origin, ids); err != nil {
		return err
	}
	// The log's first entry publishes its keys.
	if err := attachLog(s, a.DataDir); err != nil {
		return err
	}
	if err := s.RecordKeys(ctx, access.System); err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "initialised %s with parties %s\n", a.DataDir, strings.Join(ids, ", "))
	return nil
}
