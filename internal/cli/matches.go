package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"parley/internal/msg"
	"parley/internal/service"
)

func init() {
	register("matches run", "match a received list against the receiving party's registry and store the results", runMatchesRun)
	register("matches show", "print a stored matching run", runMatchesShow)
	register("matches review", "confirm or reject one result of a matching run", runMatchesReview)
	register("matches left-off", "registry persons believed captured who match nobody on the list", runMatchesLeftOff)
}

func runMatchesRun(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("matches run")
	tm := fs.Float64("threshold-match", 0, "score from which a result is a match (default: the calibrated one)")
	tr := fs.Float64("threshold-review", 0, "score from which a result goes to review")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 1 {
		return &ExitError{Code: 2, Err: errors.New("usage: parley matches run LIST_ID [--threshold-match X] [--threshold-review Y]")}
	}
	s, err := a.openService(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	start := time.Now()
	run, err := s.RunMatching(ctx, a.actor(), service.MatchRequest{ListID: pos[0], ThresholdMatch: *tm, ThresholdReview: *tr,
		Progress: func(done, total int) {
			if time.Since(start) > time.Second {
				fmt.Fprintf(a.Stderr, "\rmatching: %d/%d", done, total)
			}
		}})
	if time.Since(start) > time.Second {
		fmt.Fprintln(a.Stderr)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "%s\n", run.ID)
	fmt.Fprintf(a.Stderr, "list %s against %d registry records of %s: %d match, %d review, %d none\n", run.ListID, run.RegistrySize, run.Party, run.Matched, run.Review, run.Unmatched)
	return nil
}

func runMatchesShow(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("matches show")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 1 {
		return &ExitError{Code: 2, Err: errors.New("usage: parley matches show RUN_ID [--json]")}
	}
	s, err := a.openService(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	v, err := s.MatchRun(ctx, a.actor(), pos[0])
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(a.Stdout, v)
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	a.columns(tw, "", "cli.col.list_row", "cli.col.listed", "cli.col.registry_id", "cli.col.registered", "cli.col.score", "cli.col.decision", "cli.col.review", "cli.col.reason")
	for _, r := range v.Rows {
		reg, regName := "", ""
		if r.Registered != nil {
			reg, regName = r.Registered.ID, r.Registered.FullName()
			if regName == "" {
				regName = r.Registered.FullNameLatin()
			}
		}
		listed := r.Listed.FullName()
		if listed == "" {
			listed = r.Listed.FullNameLatin()
		}
		review := r.Review
		if r.ReviewReason != "" {
			review += " (" + reviewReason(r.ReviewReason, r.ReviewParams) + ")"
		}
		if r.RegisteredRemoved {
			review += " (registry record removed)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%.4f\t%s\t%s\t%s\n", r.ListRow, listed, reg, regName, r.Score, r.Decision, review, msg.TextOf(a.lang(), r.Reason))
	}
	return tw.Flush()
}

func runMatchesReview(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("matches review")
	confirm := fs.Bool("confirm", false, "confirm the proposed registry person")
	reject := fs.Bool("reject", false, "reject the proposal")
	pick := fs.String("pick", "", "confirm this registry record (its id) instead of the proposed one")
	all := fs.Bool("confirm-all-matches", false, "confirm every pending result whose decision is match (score at or above the run's threshold), each recorded in the log")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if *all {
		if len(pos) != 1 || *confirm || *reject || *pick != "" {
			return &ExitError{Code: 2, Err: errors.New("usage: parley matches review RUN_ID --confirm-all-matches")}
		}
		s, err := a.openService(ctx)
		if err != nil {
			return err
		}
		defer s.Close()
		n, err := s.ConfirmAllMatches(ctx, a.actor(), pos[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "confirmed %d matches\n", n)
		return nil
	}
	row := 0
	if len(pos) == 2 {
		row, err = strconv.Atoi(pos[1])
	}
	if len(pos) != 2 || err != nil || *confirm == *reject && *pick == "" {
		return &ExitError{Code: 2, Err: errors.New("usage: parley matches review RUN_ID LIST_ROW --confirm [--pick REGISTRY_ID] | --reject\n       parley matches review RUN_ID --confirm-all-matches")}
	}
	choice := service.ReviewConfirm
	if *reject {
		choice = service.ReviewReject
	}
	s, err := a.openService(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.ReviewMatch(ctx, a.actor(), pos[0], row, choice, *pick); err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "row %d: %sed\n", row, choice)
	return nil
}

func runMatchesLeftOff(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("matches left-off")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	if len(pos) != 1 {
		return &ExitError{Code: 2, Err: errors.New("usage: parley matches left-off RUN_ID [--json]")}
	}
	s, err := a.openService(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	entries, err := s.LeftOffReport(ctx, a.actor(), pos[0])
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(a.Stdout, entries)
	}
	fmt.Fprintf(a.Stdout, "%d registry persons believed captured match nobody on the list\n", len(entries))
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	for _, e := range entries {
		note := ""
		if d := e.DroppedFrom; d != nil {
			note = fmt.Sprintf("on version %d of the list (row %d), dropped since", d.Version, d.Row)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.FullName(), e.BirthDate, e.ServiceNumber, e.Status, note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	run, err := s.MatchRun(ctx, a.actor(), pos[0])
	if err != nil {
		return err
	}
	dropped, err := s.DroppedFromList(ctx, a.actor(), run.Run.ListID)
	if err != nil {
		return err
	}
	if len(dropped) > 0 {
		fmt.Fprintf(a.Stdout, "%d persons of the previous version of the list are not on this one\n", len(dropped))
		for _, d := range dropped {
			fmt.Fprintf(a.Stdout, "dropped\tversion %d row %d\t%s\t%s\n", d.Version, d.Row, d.EntryID, d.Name)
		}
	}
	return nil
}

// reviewReason says in words why a review is pending again.
func reviewReason(code string, p map[string]string) string {
	switch code {
	case service.ReviewReasonDOBChanged:
		return fmt.Sprintf("%s: date of birth changed from %s to %s", p["side"], p["from"], p["to"])
	case service.ReviewReasonNameChanged:
		return fmt.Sprintf("%s: %s changed from %s to %s", p["side"], p["field"], p["from"], p["to"])
	case service.ReviewReasonRecordChanged:
		return fmt.Sprintf("%s: changed %s", p["side"], p["fields"])
	case service.ReviewReasonRegistryRemoved:
		return fmt.Sprintf("registry record removed in version %s", p["version"])
	}
	return code
}
