package cli

import (
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"

	"parley/internal/disputes"
	"parley/internal/msg"
	"parley/internal/service"
)

// Disputes about lists and deaths in captivity from the command line. The
// operator of the data directory acts for whichever side the statement
// belongs to: the list or the run names it.

func init() {
	register("list contest", "contest one row of a received list with a reason code and a note", runListContest)
	register("matches claim", "put the left-off report of a run to the mediator and the list's sender as a formal claim", runMatchesClaim)
	register("dispute ls", "list reservations, contested rows and claims, and their answers", runDisputeLs)
	register("dispute answer", "answer a dispute: accepted, rejected (with a reason) or new_version", runDisputeAnswer)
	register("death record", "record a death in captivity (GC III Art. 120) of a person on a handed-over list", runDeathRecord)
	register("death ls", "list deaths in captivity and whether their news waits for release", runDeathLs)
	register("death release", "release the news of a death to the families, with the text of their side", runDeathRelease)
	register("death remains", "record that the remains of a dead person were identified", runDeathRemains)
	register("death withdraw", "withdraw a death record made in error, before its news is released", runDeathWithdraw)
}

func runListContest(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("list contest")
	row := fs.Int("row", 0, "the contested row")
	reason := fs.String("reason", "", "not_ours, civilian, already_returned, died, not_in_custody or other")
	note := fs.String("note", "", "why (required for other)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 1 || *row < 1 || *reason == "" {
		return usageError("usage: parley list contest LIST --row N --reason CODE [--note TEXT]")
	}
	return a.withService(ctx, func(s *service.Service) error {
		d, err := s.ContestRow(ctx, a.actor(), service.ContestRequest{ListID: pos[0], Row: *row, Reason: disputes.Reason(*reason), Note: *note})
		if err != nil {
			return err
		}
		fmt.Fprintln(a.Stdout, a.text("cli.dispute.contested", "id", msg.Raw(d.ID), "row", msg.Plain(d.Row), "list", msg.Raw(d.ListID), "reason", disputeEnum("reason", string(d.Reason)),
			"by", msg.Raw(d.By), "to", msg.Raw(d.To), "state", disputeEnum("state", string(d.State))))
		return nil
	})
}

func runMatchesClaim(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("matches claim")
	note := fs.String("note", "", "a note to the claim")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 1 {
		return usageError("usage: parley matches claim RUN_ID [--note TEXT]")
	}
	return a.withService(ctx, func(s *service.Service) error {
		d, err := s.ClaimLeftOff(ctx, a.actor(), pos[0], *note)
		if err != nil {
			return err
		}
		fmt.Fprintln(a.Stdout, a.text("cli.dispute.claimed", "id", msg.Raw(d.ID), "n", d.PersonCount, "to", msg.Raw(d.To), "list", msg.Raw(d.ListID), "state", disputeEnum("state", string(d.State))))
		return nil
	})
}

func runDisputeLs(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("dispute ls")
	list := fs.String("list", "", "only disputes about this list or its versions")
	open := fs.Bool("open", false, "only disputes not closed")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseInterspersed(fs, args); err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	return a.withService(ctx, func(s *service.Service) error {
		ds, err := s.Disputes(ctx, a.actor(), service.DisputeQuery{ListID: *list, Open: *open})
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.Stdout, ds)
		}
		tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, a.text("cli.dispute.header"))
		label := func(kind, code string) string { return msg.Param(a.lang(), disputeEnum(kind, code)) }
		for _, d := range ds {
			row := ""
			if d.Row > 0 {
				row = strconv.Itoa(d.Row)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, label("kind", string(d.Kind)), d.ListID, row, d.By, d.To,
				label("reason", string(d.Reason)), label("state", string(d.State)), label("answer", string(d.Answer)), d.ClosedBy)
		}
		return tw.Flush()
	})
}

func runDisputeAnswer(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("dispute answer")
	answer := fs.String("answer", "", "accepted, rejected or new_version")
	reason := fs.String("reason", "", "why (required for rejected)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 1 || *answer == "" {
		return usageError("usage: parley dispute answer DISPUTE --answer accepted|rejected|new_version [--reason TEXT]")
	}
	return a.withService(ctx, func(s *service.Service) error {
		d, err := s.AnswerDispute(ctx, a.actor(), pos[0], disputes.Answer(*answer), *reason)
		if err != nil {
			return err
		}
		fmt.Fprintln(a.Stdout, a.text("cli.dispute.answered", "id", msg.Raw(d.ID), "state", disputeEnum("state", string(d.State)), "answer", disputeEnum("answer", string(d.Answer))))
		return nil
	})
}

func runDeathRecord(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("death record")
	var req service.DeathRequest
	fs.IntVar(&req.Row, "row", 0, "the person's row on the list")
	fs.StringVar(&req.DiedOn, "date", "", "date of death: YYYY-MM-DD, YYYY-MM or YYYY")
	fs.StringVar(&req.Place, "place", "", "place of death")
	fs.StringVar(&req.Cause, "cause", "", "cause of death")
	fs.StringVar(&req.Burial, "burial", "", "place of burial, or where the remains are")
	fs.StringVar(&req.Grave, "grave", "", "particulars identifying the grave")
	fs.StringVar(&req.ReportedBy, "reported-by", "", "who reported the death (required)")
	var docs multiFlag
	fs.Var(&docs, "document", "a document attesting the death (repeat for several)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 1 || req.Row < 1 {
		return usageError("usage: parley death record LIST --row N --reported-by WHO [--date D] [--place P] [--cause C] [--burial B] [--grave G] [--document DOC]...")
	}
	req.ListID, req.Documents = pos[0], docs
	return a.withService(ctx, func(s *service.Service) error {
		d, err := s.RecordDeath(ctx, a.actor(), req)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "%s death of row %d of list %s recorded; its news waits for release by an officer of %s\n", d.ID, d.Row, d.ListID, d.FamilyParty)
		return nil
	})
}

func runDeathLs(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("death ls")
	pending := fs.Bool("pending", false, "only deaths whose news waits for release")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseInterspersed(fs, args); err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	return a.withService(ctx, func(s *service.Service) error {
		ds, err := s.Deaths(ctx, a.actor(), *pending)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.Stdout, ds)
		}
		tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
		a.columns(tw, "", "cli.col.id", "cli.col.list", "cli.col.row", "cli.col.name", "cli.col.died", "cli.col.state", "cli.col.released")
		for _, d := range ds {
			released := d.ReleasedState
			if d.PendingRelease {
				released += " (pending)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", d.ID, d.ListID, d.Row, d.Person.FullName(), d.DiedOn, d.State, released)
		}
		return tw.Flush()
	})
}

func runDeathRelease(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("death release")
	text := fs.String("text", "", "the text the family reads, written by its side (required)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 1 || *text == "" {
		return usageError("usage: parley death release DEATH --text TEXT")
	}
	return a.withService(ctx, func(s *service.Service) error {
		d, n, err := s.ReleaseDeath(ctx, a.actor(), pos[0], *text)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "%s %s released to %d families\n", d.ID, d.ReleasedState, n)
		return nil
	})
}

func runDeathRemains(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("death remains")
	note := fs.String("note", "", "how they were identified")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 1 {
		return usageError("usage: parley death remains DEATH [--note TEXT]")
	}
	return a.withService(ctx, func(s *service.Service) error {
		d, err := s.RecordRemainsIdentified(ctx, a.actor(), pos[0], *note)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "%s %s; its news waits for release\n", d.ID, d.State)
		return nil
	})
}

func runDeathWithdraw(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("death withdraw")
	reason := fs.String("reason", "", "why the record is withdrawn (required)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 1 || *reason == "" {
		return usageError("usage: parley death withdraw DEATH --reason TEXT")
	}
	return a.withService(ctx, func(s *service.Service) error {
		if err := s.WithdrawDeath(ctx, a.actor(), pos[0], *reason); err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "%s withdrawn\n", pos[0])
		return nil
	})
}

// disputeEnum is a dispute's code (kind, reason, state, answer) shown by
// its label in the command's language; an empty code shows nothing.
func disputeEnum(kind, code string) any {
	if code == "" {
		return msg.Raw("")
	}
	return msg.Enum{Kind: "dispute_" + kind, Code: code}
}
