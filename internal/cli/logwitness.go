package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"parley/internal/access"
	"parley/internal/ledger"
	"parley/internal/service"
	"parley/internal/store"
)

func init() {
	register("log witness add", "register a witness (any C2SP tlog-witness) by its verifier key and URL; logged", runLogWitnessAdd)
	register("log witness ls", "list the witnesses whose cosignatures count", runLogWitnessLs)
	register("log witness remove", "remove a registered witness; logged", runLogWitnessRemove)
	register("log policy set", "set which witnesses must cosign for a checkpoint to be agreed; logged", runLogPolicySet)
	register("log policy", "print the agreement policy and the latest agreed checkpoint", runLogPolicyShow)
}

func runLogWitnessAdd(ctx context.Context, a *App, args []string) error {
	const usage = "parley log witness add --name NAME --key VKEY --url URL [--party P]"
	fs := a.newFlagSet("log witness add")
	name := fs.String("name", "", "the witness's name in this log (the policy refers to it)")
	key := fs.String("key", "", "the witness's verifier key (cosignature/v1, as text or a file)")
	url := fs.String("url", "", "the witness's submission prefix; checkpoints go to URL/add-checkpoint")
	party := fs.String("party", "", "the party on whose behalf the witness cosigns (default: independent)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 0 || *name == "" || *key == "" || *url == "" {
		return usageErr(a, usage, errors.New("log witness add needs --name, --key and --url"))
	}
	vkey, err := ledger.ReadVerifierKey(*key)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	return a.withService(ctx, func(s *service.Service) error {
		w, err := s.AddWitness(ctx, access.System, *name, vkey, *url, *party)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "witness %s registered (%s, key %s, %s); the registration is in the log\n", w.Name, onBehalf(w.Party), w.KeyName, w.URL)
		return nil
	})
}

func onBehalf(party string) string {
	if party == "" {
		return "independent"
	}
	return "on behalf of party " + party
}

func runLogWitnessRemove(ctx context.Context, a *App, args []string) error {
	const usage = "parley log witness remove --name NAME"
	fs := a.newFlagSet("log witness remove")
	name := fs.String("name", "", "the witness to remove")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 0 || *name == "" {
		return usageErr(a, usage, errors.New("log witness remove needs --name"))
	}
	return a.withService(ctx, func(s *service.Service) error {
		if err := s.RemoveWitness(ctx, access.System, *name); err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "witness %s removed; the removal is in the log\n", *name)
		return nil
	})
}

func runLogWitnessLs(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("log witness ls")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 0 {
		return usageErr(a, "parley log witness ls", errors.New("log witness ls takes no arguments"))
	}
	return a.withLog(ctx, "", func(l *ledger.Log, db *store.DB) error {
		cs, pol, err := l.Cosigners(ctx, db)
		if err != nil {
			return err
		}
		ws, err := db.LogWitnesses(ctx)
		if err != nil {
			return err
		}
		status := map[string]string{}
		for _, w := range ws {
			if w.LastStatus != "" {
				status[w.Name] = w.LastStatus + " (" + w.LastAttempt.Format(time.RFC3339) + ")"
			}
		}
		tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
		a.columns(tw, "", "cli.col.name", "cli.col.for", "cli.col.key", "cli.col.url", "cli.col.last_push")
		for _, c := range cs {
			u, for_ := c.URL, onBehalf(c.Party)
			if c.Builtin {
				u, for_ = "(kept here)", "party "+c.Party+"'s own"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Name, for_, c.Key, u, orDash(status[c.Name]))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "agreement policy: %s\n", policyText(pol))
		return nil
	})
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func policyText(p ledger.Policy) string {
	if p.Default {
		return p.String() + " (default: every party's witness)"
	}
	return p.String()
}

func runLogPolicySet(ctx context.Context, a *App, args []string) error {
	const usage = "parley log policy set [--require NAME,NAME...] [--independent N]"
	fs := a.newFlagSet("log policy set")
	require := fs.String("require", "", "comma-separated witnesses that must cosign: registered witness names, or party ids (any witness of that party)")
	independent := fs.Int("independent", 0, "how many independent witnesses (on behalf of no party) must cosign besides")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 0 {
		return usageErr(a, usage, errors.New("log policy set takes no arguments"))
	}
	return a.withService(ctx, func(s *service.Service) error {
		p, err := s.SetPolicy(ctx, access.System, splitList(*require), *independent)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "agreement policy set: %s; the change is in the log\n", ledger.Policy{Required: p.Required, Independent: p.Independent})
		return nil
	})
}

func runLogPolicyShow(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("log policy")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 0 {
		return usageErr(a, "parley log policy [set ...]", errors.New("log policy takes no arguments"))
	}
	return a.withLog(ctx, "", func(l *ledger.Log, db *store.DB) error {
		return printLogAgreement(ctx, a.Stdout, l, db)
	})
}

// printLogAgreement prints the policy and the latest agreed checkpoint.
func printLogAgreement(ctx context.Context, w io.Writer, l *ledger.Log, db *store.DB) error {
	_, pol, err := l.Cosigners(ctx, db)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "agreement policy: %s\n", policyText(pol))
	cp, who, agreed, err := l.Agreed(ctx, db)
	if err != nil {
		return err
	}
	if agreed {
		fmt.Fprintf(w, "agreed checkpoint: size %d, cosigned by %s\n", cp.Size, strings.Join(who, ", "))
	} else {
		fmt.Fprintf(w, "no agreed checkpoint yet: the latest (size %d) is cosigned by %s\n", cp.Size, orNone(who))
	}
	return nil
}

// cosignAll pushes the latest checkpoint to every witness and prints who
// cosigned; refusals and unreachable witnesses go to stderr.
func cosignAll(ctx context.Context, a *App, l *ledger.Log, db *store.DB) (failed bool, err error) {
	outs, err := l.CosignAll(ctx, db, ledger.CosignOptions{})
	if err != nil {
		return false, err
	}
	for _, o := range outs {
		for _, c := range o.Conflicts {
			fmt.Fprintf(a.Stderr, "parley log cosign: %s answered 409 Conflict: it holds size %s\n", o.Witness, sizeOrUnknown(c.Size))
		}
		switch {
		case o.Already:
			fmt.Fprintf(a.Stdout, "%s had already cosigned the checkpoint for size %d\n", o.Witness, o.Size)
		case o.Cosigned:
			fmt.Fprintf(a.Stdout, "%s cosigned the checkpoint for size %d\n", o.Witness, o.Size)
		case o.Fork:
			failed = true
			fmt.Fprintf(a.Stderr, "parley log cosign: %s: FORK: %v\n", o.Witness, o.Err)
		default:
			failed = true
			fmt.Fprintf(a.Stderr, "parley log cosign: %s: %v\n", o.Witness, o.Err)
		}
	}
	return failed, nil
}

func sizeOrUnknown(n int64) string {
	if n < 0 {
		return "unknown (no size given)"
	}
	return strconv.FormatInt(n, 10)
}
