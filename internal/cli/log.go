package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"parley/internal/ledger"
	"parley/internal/store"
)

func init() {
	register("log key", "print the log's verifier key (give it to anyone who verifies)", runLogKey)
	register("log witness-key", "print a party's witness (cosigning) verifier key", runLogWitnessKey)
	register("log checkpoint", "print the latest signed checkpoint with its cosignatures", runLogCheckpoint)
	register("log receipt", "write the receipt that proves a list's hand-over", runLogReceipt)
	register("log verify-receipt", "check a receipt offline, without the server", runLogVerifyReceipt)
	register("log cosign", "push the latest checkpoint to every witness (the parties' and the registered ones) and store their cosignatures", runLogCosign)
	register("log verify", "verify the whole log and the lists it commits to", runLogVerify)
}

// openLog opens the log's keys in the data directory.
func (a *App) openLog() (*ledger.Log, error) {
	l, err := ledger.Open(a.DataDir)
	if err != nil {
		return nil, fmt.Errorf("open the log of %s: %w", a.DataDir, err)
	}
	return l, nil
}

// withLog opens the log and the database, calls fn with them and closes
// the database. With a refusal (what fn is about to do) it first checks
// that the stored tree still agrees with everything the log has promised
// (ledger.Log.CheckStored), and refuses on a mismatch: nothing new is
// signed or handed out from a log that lost entries it already signed.
func (a *App) withLog(ctx context.Context, refusal string, fn func(l *ledger.Log, db *store.DB) error) error {
	l, err := a.openLog()
	if err != nil {
		return err
	}
	db, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if refusal != "" {
		if err := l.CheckStored(ctx, db); err != nil {
			return fmt.Errorf("refusing to %s: %w", refusal, err)
		}
	}
	return fn(l, db)
}

func usageErr(a *App, usage string, err error) error {
	fmt.Fprintf(a.Stderr, "parley %v\nusage: %s\n", err, usage)
	return &ExitError{Code: 2, Silent: true, Err: err}
}

func runLogKey(ctx context.Context, a *App, args []string) error {
	const usage = "parley log key"
	fs := a.newFlagSet("log key")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 0 {
		return usageErr(a, usage, errors.New("log key takes no arguments"))
	}
	l, err := a.openLog()
	if err != nil {
		return err
	}
	fmt.Fprintln(a.Stdout, l.VerifierKey())
	return nil
}

func runLogWitnessKey(ctx context.Context, a *App, args []string) error {
	const usage = "parley log witness-key --party ID"
	fs := a.newFlagSet("log witness-key")
	party := fs.String("party", "", "the party whose witness key to print")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 0 || *party == "" {
		return usageErr(a, usage, errors.New("log witness-key needs --party"))
	}
	l, err := a.openLog()
	if err != nil {
		return err
	}
	k, err := l.WitnessVerifierKey(*party)
	if err != nil {
		return err
	}
	fmt.Fprintln(a.Stdout, k)
	return nil
}

func runLogCheckpoint(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("log checkpoint")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 0 {
		return usageErr(a, "parley log checkpoint", errors.New("log checkpoint takes no arguments"))
	}
	return a.withLog(ctx, "hand out a checkpoint", func(l *ledger.Log, db *store.DB) error {
		cp, err := l.IssueCheckpoint(ctx, db)
		if err != nil {
			return err
		}
		// The note alone on standard output, so that it can be saved and
		// checked by any signed-note verifier; the policy and whether the
		// checkpoint is agreed on standard error.
		if _, err = a.Stdout.Write(cp.Note); err != nil {
			return err
		}
		return printLogAgreement(ctx, a.Stderr, l, db)
	})
}

func runLogReceipt(ctx context.Context, a *App, args []string) error {
	const usage = "parley log receipt LIST_ID [-o FILE]"
	fs := a.newFlagSet("log receipt")
	out := fs.String("o", "", "write the receipt to FILE (default: standard output)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 1 {
		return usageErr(a, usage, errors.New("log receipt needs one list id"))
	}
	return a.withLog(ctx, "issue a receipt", func(l *ledger.Log, db *store.DB) error {
		r, err := l.IssueReceipt(ctx, db, pos[0])
		if err != nil {
			return err
		}
		data, err := r.Marshal()
		if err != nil {
			return err
		}
		if *out == "" {
			_, err = a.Stdout.Write(data)
			return err
		}
		if err := os.WriteFile(*out, data, 0o644); err != nil {
			return fmt.Errorf("write receipt: %w", err)
		}
		fmt.Fprintf(a.Stderr, "receipt for list %s (log entry %d, checkpoint size %d) written to %s\n", r.ListID, r.Index, checkpointSize(r.Checkpoint), *out)
		return nil
	})
}

func checkpointSize(note string) int64 {
	cp, err := ledger.ParseCheckpoint([]byte(note))
	if err != nil {
		return -1
	}
	return cp.Size
}

func runLogVerifyReceipt(ctx context.Context, a *App, args []string) error {
	const usage = "parley log verify-receipt FILE --key KEY [--witness-key KEY]..."
	fs := a.newFlagSet("log verify-receipt")
	key := fs.String("key", "", "the log's verifier key, as text or a file")
	var wkeys multiFlag
	fs.Var(&wkeys, "witness-key", "a witness key whose cosignature the receipt must carry (repeat)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 1 || *key == "" {
		return usageErr(a, usage, errors.New("log verify-receipt needs a file and --key"))
	}
	vkey, wks, err := readVerifierKeys(*key, wkeys)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	data, err := os.ReadFile(pos[0])
	if err != nil {
		return err
	}
	r, err := ledger.VerifyReceipt(data, vkey, wks...)
	if err != nil {
		fmt.Fprintf(a.Stdout, "INVALID: %v\n", err)
		return &ExitError{Code: 1, Silent: true, Err: err}
	}
	fmt.Fprintf(a.Stdout, "OK: list %s with content hash %s was handed over from %s to %s at %s\n",
		r.ListID, r.ContentHash, r.Event.Attrs["from"], r.Event.Attrs["to"], r.Event.Time.Format(time.RFC3339))
	fmt.Fprintf(a.Stdout, "log %s entry %d, included in the signed tree of size %d\n", r.Log, r.Index, r.Size)
	if len(r.Cosigners) > 0 {
		fmt.Fprintf(a.Stdout, "cosigned by: %s\n", strings.Join(r.Cosigners, ", "))
	}
	return nil
}

func runLogCosign(ctx context.Context, a *App, args []string) error {
	const usage = "parley log cosign [--party ID [--server URL]]"
	fs := a.newFlagSet("log cosign")
	party := fs.String("party", "", "only the witness of this party (default: every party's witness and every registered witness)")
	server := fs.String("server", "", "the witness's add-checkpoint prefix, e.g. https://witness.example/witness/A (default: the party's witness key here)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 0 || (*server != "" && *party == "") {
		return usageErr(a, usage, errors.New("log cosign takes no arguments; --server needs --party"))
	}
	return a.withLog(ctx, "have a checkpoint cosigned", func(l *ledger.Log, db *store.DB) error {
		failed := false
		var parties []string
		if *party != "" {
			parties = []string{*party}
		} else if failed, err = cosignAll(ctx, a, l, db); err != nil {
			return err
		}
		for _, p := range parties {
			var w ledger.WitnessClient
			if *server != "" {
				w = &ledger.HTTPWitness{URL: *server, Client: &http.Client{Timeout: 30 * time.Second}}
			} else {
				lw, err := l.Witness(p, db)
				if err != nil {
					return err
				}
				w = lw
			}
			cp, err := l.Cosign(ctx, db, p, w)
			if err != nil {
				fmt.Fprintf(a.Stderr, "parley log cosign: %s: %v\n", p, err)
				failed = true
				continue
			}
			fmt.Fprintf(a.Stdout, "%s cosigned the checkpoint for size %d\n", p, cp.Size)
		}
		cp, who, agreed, err := l.Agreed(ctx, db)
		if err != nil {
			return err
		}
		if agreed {
			fmt.Fprintf(a.Stdout, "agreed checkpoint: size %d, cosigned by %s\n", cp.Size, strings.Join(who, ", "))
		} else {
			fmt.Fprintf(a.Stdout, "no agreed checkpoint yet: the latest (size %d) is cosigned by %s\n", cp.Size, orNone(who))
		}
		if failed {
			return &ExitError{Code: 1, Silent: true}
		}
		return nil
	})
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "no one"
	}
	return strings.Join(s, ", ")
}

func runLogVerify(ctx context.Context, a *App, args []string) error {
	const usage = "parley log verify [--server URL | --data DIR] --key KEY [--state FILE] [--witness-key KEY]..."
	fs := a.newFlagSet("log verify")
	server := fs.String("server", "", "verify the log a server publishes under URL (e.g. https://parley.example/log)")
	key := fs.String("key", "", "the log's verifier key, as text or a file")
	statePath := fs.String("state", "", "file keeping the last verified checkpoint; the log must be consistent with it (created if missing, updated on success)")
	var wkeys multiFlag
	fs.Var(&wkeys, "witness-key", "a witness key whose cosignatures to check (repeat; default with --data: the parties' keys there)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 0 || *key == "" {
		return usageErr(a, usage, errors.New("log verify needs --key"))
	}
	vkey, wks, err := readVerifierKeys(*key, wkeys)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	var state *ledger.State
	if *statePath != "" {
		if state, err = ledger.LoadState(*statePath); err != nil {
			return err
		}
	}

	var rep *ledger.Report
	if *server != "" {
		client := &http.Client{Timeout: 60 * time.Second}
		src := &ledger.HTTPSource{URL: logPrefix(ctx, client, *server), Client: client}
		rep, err = ledger.VerifyWitnessed(ctx, src, vkey, wks, state)
	} else {
		if len(wks) == 0 {
			// The parties' witness keys kept with the data, when there.
			if l, err := ledger.Open(a.DataDir); err == nil {
				for _, p := range l.Parties() {
					k, _ := l.WitnessVerifierKey(p)
					wks = append(wks, k)
				}
			}
		}
		db, err := a.openStore(ctx)
		if err != nil {
			return err
		}
		defer db.Close()
		if len(wkeys) == 0 {
			// And the registered witnesses' keys.
			ws, err := db.LogWitnesses(ctx)
			if err != nil {
				return err
			}
			for _, w := range ws {
				wks = append(wks, w.Key)
			}
		}
		// Read outside a transaction: on SQLite a transaction would hold
		// the write lock for the whole verification. The log is
		// append-only, so reading below the checkpoint's size is stable.
		rep, err = ledger.VerifyWitnessed(ctx, ledger.NewStorageSource(db), vkey, wks, state)
	}
	if err != nil {
		return err
	}
	fmt.Fprint(a.Stdout, rep.String())
	if !rep.OK() {
		return &ExitError{Code: 1, Silent: true, Err: errors.New("log verification failed")}
	}
	if state != nil {
		if err := state.Save(*statePath); err != nil {
			return err
		}
	}
	return nil
}

// readVerifierKeys reads the log's verifier key and the witness keys, each
// given as key text or as a file holding it.
func readVerifierKeys(key string, witnessKeys []string) (string, []string, error) {
	vkey, err := ledger.ReadVerifierKey(key)
	if err != nil {
		return "", nil, err
	}
	var wks []string
	for _, k := range witnessKeys {
		wk, err := ledger.ReadVerifierKey(k)
		if err != nil {
			return "", nil, err
		}
		wks = append(wks, wk)
	}
	return vkey, wks, nil
}

// logPrefix accepts both the log's prefix (https://host/log) and the
// address of a Parley server (https://host), where the log lives under
// /log/: when URL/checkpoint is not there but URL/log/checkpoint is, the
// latter prefix is used.
func logPrefix(ctx context.Context, c *http.Client, server string) string {
	base := strings.TrimSuffix(server, "/")
	if strings.HasSuffix(base, "/log") || found(ctx, c, base+"/checkpoint") {
		return base
	}
	if found(ctx, c, base+"/log/checkpoint") {
		return base + "/log"
	}
	return base
}

func found(ctx context.Context, c *http.Client, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
