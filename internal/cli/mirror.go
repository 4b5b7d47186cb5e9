package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"text/tabwriter"
	"time"

	"parley/internal/hubclient"
	"parley/internal/mirror"
	"parley/internal/msg"
	"parley/internal/nodes"
	"parley/internal/service"
	"parley/internal/web"
)

func init() {
	register("node status", "on a node: check the hub's log and the lists held against it now, and print the node's state", runNodeStatus)
	register("node alarm ls", "on a node: list the alarms about the hub's log (--all: also acknowledged ones)", sub(runNodeAlarm, "ls"))
	register("node alarm ack", "on a node: acknowledge an alarm (it stays on record)", sub(runNodeAlarm, "ack"))
	register("node peer add", "on a node: compare checkpoints with another party's node (split view)", sub(runNodePeer, "add"))
	register("node peer ls", "on a node: list the other nodes it compares checkpoints with", sub(runNodePeer, "ls"))
}

// sub runs a command with its verb as the first argument.
func sub(run func(context.Context, *App, []string) error, verb string) func(context.Context, *App, []string) error {
	return func(ctx context.Context, a *App, args []string) error {
		return run(ctx, a, append([]string{verb}, args...))
	}
}

// nodeMirror returns the mirror of a node's service.
func nodeMirror(s *service.Service, logger *slog.Logger) (*mirror.Mirror, error) {
	return s.NewMirror(logger)
}

// nodeStatus is what `parley node status --json` prints; the keys are
// fixed (scripts and checks read them).
type nodeStatus struct {
	Party         string  `json:"party"`
	Hub           string  `json:"hub"`
	LogSize       int64   `json:"log_size"`
	VerifiedSize  int64   `json:"verified_size"`
	CosignedSize  int64   `json:"cosigned_size"`
	ListsReceived int     `json:"lists_received"`
	Queued        int     `json:"queued"`
	Alarm         *string `json:"alarm"`
}

func runNodeStatus(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("node status")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) > 0 {
		return usageError("usage: parley node status [--json]")
	}
	l, err := cliLang(a.LangFlag)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	s, err := a.openService(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	m, err := nodeMirror(s, a.logger())
	if err != nil {
		return err
	}
	// Check against the hub now: its checkpoint, consistency, new
	// entries, the entries held, and every list held against its logged
	// hash.
	var unreachable error
	if _, err := m.Sync(ctx); errors.Is(err, mirror.ErrUnreachable) || hubclient.Transient(err) {
		unreachable = err
	} else if err != nil {
		return err
	}
	// The entries held, against the tree verified: the node's own copy.
	if _, err := m.RecheckEntries(ctx); err != nil {
		return err
	}
	if unreachable == nil {
		if _, err := m.RecheckLists(ctx); errors.Is(err, mirror.ErrUnreachable) {
			unreachable = err
		} else if err != nil {
			return err
		}
	}
	db := service.AdminStore(s)
	st, _, err := db.MirrorState(ctx)
	if err != nil {
		return err
	}
	out := nodeStatus{Party: s.NodeParty(), Hub: s.HubURL(), LogSize: st.LogSize, VerifiedSize: st.Size}
	ws, _, err := db.WitnessState(ctx, nodes.WitnessName(m.Origin(), s.NodeParty()), m.Origin())
	if err != nil {
		return err
	}
	out.CosignedSize = ws.Size
	held, err := db.ReceivedLists(ctx)
	if err != nil {
		return err
	}
	out.ListsReceived = len(held)
	if out.Queued, err = s.NodeQueued(ctx); err != nil {
		return err
	}
	first, err := s.FirstNodeAlarm(ctx)
	if err != nil {
		return err
	}
	if first != nil {
		text := first.Kind + ": " + msg.Text(l, first.Msg())
		out.Alarm = &text
	}
	if *asJSON {
		enc := json.NewEncoder(a.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
		rows := []struct {
			label string
			value any
		}{{"party", out.Party}, {"hub", out.Hub}, {"log_size", out.LogSize}, {"verified", out.VerifiedSize},
			{"cosigned", out.CosignedSize}, {"lists_received", out.ListsReceived}, {"queued", out.Queued}}
		if out.Alarm != nil {
			rows = append(rows, struct {
				label string
				value any
			}{"alarm", *out.Alarm})
		}
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%v\n", msg.Text(l, msg.New("node.status.label."+r.label)), r.value)
		}
		tw.Flush()
	}
	switch {
	case unreachable != nil:
		e := msg.NewError(nil, "node.status.unreachable", "hub", s.HubURL(), "reason", unreachable.Error())
		if he := (*hubclient.HubError)(nil); errors.As(unreachable, &he) {
			e = msg.NewError(nil, "node.status.hub_failed", "hub", s.HubURL(), "status", msg.Plain(he.Status), "reason", he.Reason())
		}
		e.Cause = unreachable
		return &ExitError{Code: 1, Err: e}
	case first != nil:
		return &ExitError{Code: 1, Err: msg.NewError(nil, "node.status.alarm", "id", first.ID, "commands", "parley node alarm ls; parley node alarm ack "+first.ID)}
	}
	return nil
}

func runNodeAlarm(ctx context.Context, a *App, args []string) error {
	const usage = "usage: parley node alarm ls [--all] [--json] | parley node alarm ack ID"
	fs := a.newFlagSet("node alarm")
	all := fs.Bool("all", false, "ls: also the acknowledged alarms")
	asJSON := fs.Bool("json", false, "ls: print JSON")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) == 0 || (pos[0] == "ls" && len(pos) != 1) || (pos[0] == "ack" && len(pos) != 2) || (pos[0] != "ls" && pos[0] != "ack") {
		return usageError(usage)
	}
	l, err := cliLang(a.LangFlag)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	s, err := a.openService(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	if s.Mode() != nodes.Node {
		return msg.NewError(nil, "node.not_node", "command", "parley init --node PARTY --hub URL")
	}
	if pos[0] == "ack" {
		if err := s.AckNodeAlarm(ctx, a.actor(), pos[1]); err != nil {
			return err
		}
		fmt.Fprintln(a.Stdout, msg.Text(l, msg.New("node.alarm.acked", "id", pos[1])))
		return nil
	}
	as, err := s.NodeAlarms(ctx, a.actor(), *all)
	if err != nil {
		return err
	}
	type alarmJSON struct {
		ID        string            `json:"id"`
		Kind      string            `json:"kind"`
		Subject   string            `json:"subject"`
		Message   string            `json:"message"`
		Params    map[string]string `json:"params"`
		FirstSeen time.Time         `json:"first_seen"`
		LastSeen  time.Time         `json:"last_seen"`
		AckedBy   string            `json:"acked_by,omitempty"`
		AckedAt   *time.Time        `json:"acked_at,omitempty"`
	}
	if *asJSON {
		out := make([]alarmJSON, 0, len(as))
		for _, al := range as {
			j := alarmJSON{ID: al.ID, Kind: al.Kind, Subject: al.Subject, Message: msg.Text(l, al.Msg()), Params: al.Params,
				FirstSeen: al.FirstSeen, LastSeen: al.LastSeen, AckedBy: al.AckedBy}
			if al.Acked() {
				t := al.AckedAt
				j.AckedAt = &t
			}
			out = append(out, j)
		}
		enc := json.NewEncoder(a.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	for _, al := range as {
		acked := "-"
		if al.Acked() {
			acked = al.AckedBy + " " + al.AckedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", al.ID, al.Kind, al.FirstSeen.Format(time.RFC3339), acked, msg.Text(l, al.Msg()))
	}
	return tw.Flush()
}

func runNodePeer(ctx context.Context, a *App, args []string) error {
	const usage = "usage: parley node peer add URL | parley node peer ls"
	fs := a.newFlagSet("node peer")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) == 0 || (pos[0] == "add" && len(pos) != 2) || (pos[0] == "ls" && len(pos) != 1) || (pos[0] != "add" && pos[0] != "ls") {
		return usageError(usage)
	}
	s, err := a.openService(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	if s.Mode() != nodes.Node {
		return msg.NewError(nil, "node.not_node", "command", "parley init --node PARTY --hub URL")
	}
	db := service.AdminStore(s)
	if pos[0] == "add" {
		u, err := a.peerURL(pos[1])
		if err != nil {
			return err
		}
		if err := db.AddPeer(ctx, u, time.Now().UTC()); err != nil {
			return err
		}
		fmt.Fprintln(a.Stdout, a.text("node.peer.added", "url", u, "path", mirror.CheckpointPath))
		return nil
	}
	peers, err := db.Peers(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	for _, p := range peers {
		seen := "-"
		if !p.LastSeen.IsZero() {
			seen = p.LastSeen.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", p.URL, p.LastSize, seen, p.LastError)
	}
	return tw.Flush()
}

// runMirror syncs a node's mirror until ctx ends: at once, then every
// interval. A hub that cannot be reached is logged and tried again; the
// node keeps working on its own data meanwhile.
func runMirror(ctx context.Context, m *mirror.Mirror, every time.Duration, logger *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		res, err := m.Sync(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, mirror.ErrUnreachable) || hubclient.Transient(err):
			logger.Warn("mirror: the hub cannot be reached or failed; retrying", "err", err)
		case err != nil:
			logger.Error("mirror sync failed", "err", err)
		case res.Added > 0:
			logger.Info("mirror synced", "log_size", res.LogSize, "verified", res.VerifiedSize, "added", res.Added, "cosigned", res.CosignedSize)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// mountMirror serves, on a node, its latest verified checkpoint for the
// other nodes (GET /node/v1/checkpoint) and its witness's add-checkpoint
// endpoint (for a hub that can reach it), and syncs the mirror in the
// background for as long as ctx lasts.
func mountMirror(ctx context.Context, srv *web.Server, s *service.Service, o serveOptions, logger *slog.Logger) error {
	m, err := nodeMirror(s, logger)
	if err != nil {
		return err
	}
	if err := srv.Mount("GET "+mirror.CheckpointPath, m.Handler()); err != nil {
		return err
	}
	if w := m.Witness(); w != nil {
		p := "/witness/" + s.NodeParty()
		if err := srv.Mount(p+"/", http.StripPrefix(p, w.Handler())); err != nil {
			return err
		}
	}
	every := o.SyncInterval
	if every <= 0 {
		every = 5 * time.Second
	}
	go runMirror(ctx, m, every, logger)
	return nil
}
