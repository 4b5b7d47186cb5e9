package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"parley/internal/access"
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
	run, err := s.RunMatching(ctx, access.System, service.MatchRequest{ListID: pos[0], ThresholdMatch: *tm, ThresholdReview: *tr,
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
	v, err := s.MatchRun(ctx, access.System, pos[0])
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(a.Stdout, v)
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LIST ROW\tLISTED\tREGISTRY ROW\tREGISTERED\tSCORE\tDECISION\tREVIEW\tREASON")
	for _, r := range v.Rows {
		reg, regName := "", ""
		if r.Registered != nil {
			reg, regName = strconv.Itoa(r.Registered.Row), r.Registered.FullName()
			if regName == "" {
				regName = r.Registered.FullNameLatin()
			}
		}
		listed := r.Listed.FullName()
		if listed == "" {
			listed = r.Listed.FullNameLatin()
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%.4f\t%s\t%s\t%s\n", r.ListRow, listed, reg, regName, r.Score, r.Decision, r.Review, r.Reason)
	}
	return tw.Flush()
}

func runMatchesReview(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("matches review")
	confirm := fs.Bool("confirm", false, "confirm the proposed registry person")
	reject := fs.Bool("reject", false, "reject the proposal")
	pick := fs.Int("pick", 0, "confirm this registry row instead of the proposed one")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	row := 0
	if len(pos) == 2 {
		row, err = strconv.Atoi(pos[1])
	}
	if len(pos) != 2 || err != nil || *confirm == *reject && *pick == 0 {
		return &ExitError{Code: 2, Err: errors.New("usage: parley matches review RUN_ID LIST_ROW --confirm [--pick REGISTRY_ROW] | --reject")}
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
	if err := s.ReviewMatch(ctx, access.System, pos[0], row, choice, *pick); err != nil {
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
	entries, err := s.LeftOffReport(ctx, access.System, pos[0])
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(a.Stdout, entries)
	}
	fmt.Fprintf(a.Stdout, "%d registry persons believed captured match nobody on the list\n", len(entries))
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	for _, e := range entries {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", e.Row, e.FullName(), e.BirthDate, e.ServiceNumber, e.Status)
	}
	return tw.Flush()
}
