package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"parley/internal/handover"
	"parley/internal/msg"
	"parley/internal/negotiation"
	"parley/internal/nodes"
	"parley/internal/person"
	"parley/internal/service"
)

// The negotiation commands run as the local operator (a.actor()), who
// holds the data directory and may act for either party; --as names the
// party on whose behalf a step is taken where it matters, and the service
// still refuses a party accepting or countering its own proposal.

func init() {
	register("plan", "compose a stage from two handed-over lists under an exchange rule, with the reason for every person", runPlan)
	register("round create", "convene a negotiation round (prints the round id)", runRoundCreate)
	register("round ls", "show the negotiation rounds", runRoundLs)
	register("round show", "print a round with its lists, proposals and agreements", runRoundShow)
	register("round attach", "attach a handed-over list to a round (runs the conformance check)", runRoundAttach)
	register("round conformance", "name the entries of a list that do not fit the round's agreed approach", runRoundConformance)
	register("stage propose", "propose a stage to the other party (prints the proposal id)", runStagePropose)
	register("stage counter", "answer a proposal with a counter-proposal (prints its id)", runStageCounter)
	register("stage accept", "accept a proposal on behalf of its addressee", runStageAccept)
	register("stage reject", "reject a proposal, with the reasons", runStageReject)
	register("stage withdraw", "withdraw a proposal, or discard a draft", runStageWithdraw)
	register("stage submit", "submit a draft proposal to the other party", runStageSubmit)
	register("stage witness", "witness an accepted proposal: it becomes an agreement (prints its id)", runStageWitness)
	register("stage show", "print a proposal (with its thread) or an agreement (with its handover)", runStageShow)
	register("stage ls", "show the proposals and agreements", runStageLs)
	register("stage interview", "record the private interview of a person before the handover", runStageInterview)
	register("stage outcome", "record what became of a person at the handover", runStageOutcome)
	register("stage identify", "record the identification status of remains", runStageIdentify)
	register("stage commission", "record the mixed medical commission's decision on an Art. 110 case", runStageCommission)
	register("stage report", "compare an agreed stage with its handover", runStageReport)
	register("stage timeline", "print everything recorded about one person of a list", runStageTimeline)
}

// withService opens the data directory for the duration of fn.
func (a *App) withService(ctx context.Context, fn func(s *service.Service) error) error {
	s, err := a.openService(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	return fn(s)
}

func usageError(format string, args ...any) error {
	return &ExitError{Code: 2, Err: fmt.Errorf(format, args...)}
}

// parseRef reads LIST:ROW.
func parseRef(s string) (string, int, error) {
	list, rowText, ok := strings.Cut(s, ":")
	row, err := strconv.Atoi(rowText)
	if !ok || list == "" || err != nil || row < 1 {
		return "", 0, fmt.Errorf("%q: want LIST:ROW", s)
	}
	return list, row, nil
}

// splitList splits a comma-separated flag value, dropping empty parts.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parseDateFlag(name, v string) (person.Date, error) {
	d, err := person.ParseISODate(v)
	if err != nil {
		return d, fmt.Errorf("--%s: %w", name, err)
	}
	return d, nil
}

// parseScale reads RANK=WEIGHT,... for the weighted rule.
func parseScale(v string) (map[string]float64, error) {
	if v == "" {
		return nil, nil
	}
	m := map[string]float64{}
	for _, part := range splitList(v) {
		rank, w, ok := strings.Cut(part, "=")
		f, err := strconv.ParseFloat(strings.TrimSpace(w), 64)
		if !ok || err != nil || strings.TrimSpace(rank) == "" {
			return nil, fmt.Errorf("--scale %q: want RANK=WEIGHT,... (e.g. private=1,officer=5,default=1)", part)
		}
		m[strings.TrimSpace(rank)] = f
	}
	return m, nil
}

// stageFlags are the flags that describe a stage: its terms and how its
// persons are chosen (by the planner from two lists, or row by row).
type stageFlags struct {
	rule, categories, scale, priority, refDate, date, note, art110 string
	capacity                                                       int
	together, plan                                                 bool
	lists, releases                                                multiFlag
}

func (f *stageFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.rule, "rule", "", "exchange rule: "+strings.Join(ruleNames(), ", "))
	fs.StringVar(&f.categories, "categories", "", "agreed categories, comma-separated codes or labels")
	fs.IntVar(&f.capacity, "capacity", 0, "most persons one side releases in the stage (0: no limit)")
	fs.StringVar(&f.scale, "scale", "", "weighted rule: RANK=WEIGHT,... with default=WEIGHT for the other ranks")
	fs.BoolVar(&f.together, "count-kinds-together", false, "count prisoners of war and civilian detainees against each other")
	fs.StringVar(&f.refDate, "ref-date", "", "day on which ages are taken (YYYY-MM-DD)")
	fs.StringVar(&f.priority, "priority", "", "planner's order: medical,youngest,longest_captivity,row (default medical,youngest,longest_captivity)")
	fs.Var(&f.lists, "list", "a handed-over list (give one from each side)")
	fs.BoolVar(&f.plan, "plan", false, "compose the stage with the planner from the two --list lists")
	fs.Var(&f.releases, "release", "a person released, as LIST:ROW (repeat)")
	fs.StringVar(&f.date, "date", "", "proposed date of the stage (YYYY-MM-DD)")
	fs.StringVar(&f.note, "note", "", "a note for the other party")
	fs.StringVar(&f.art110, "art110", "", "unilateral rule: categories whose persons are proposed under Art. 110 rather than Art. 109")
}

func ruleNames() []string {
	var out []string
	for _, r := range negotiation.Rules() {
		out = append(out, string(r))
	}
	return out
}

// planRequest builds the planner's request from the flags.
func (f *stageFlags) planRequest() (service.PlanRequest, error) {
	req := service.PlanRequest{Rule: negotiation.Rule(f.rule), Categories: splitList(f.categories), Capacity: f.capacity,
		Priority: splitList(f.priority), CountKindsTogether: f.together}
	if len(f.lists) != 2 {
		return req, fmt.Errorf("give two lists, one from each side: --list ID --list ID")
	}
	req.ListIDs = [2]string{f.lists[0], f.lists[1]}
	if f.rule == "" {
		return req, fmt.Errorf("--rule is required (%s)", strings.Join(ruleNames(), ", "))
	}
	var err error
	if req.RefDate, err = parseDateFlag("ref-date", f.refDate); err != nil {
		return req, err
	}
	req.Scale, err = parseScale(f.scale)
	return req, err
}

// proposalRequest builds a proposal from the flags.
func (f *stageFlags) proposalRequest() (service.ProposalRequest, error) {
	var req service.ProposalRequest
	var err error
	if req.Date, err = parseDateFlag("date", f.date); err != nil {
		return req, err
	}
	req.Note, req.Art110Categories = f.note, splitList(f.art110)
	switch {
	case f.plan && len(f.releases) > 0:
		return req, errors.New("give --plan or --release, not both")
	case f.plan:
		p, err := f.planRequest()
		if err != nil {
			return req, err
		}
		req.Plan = &p
		return req, nil
	case len(f.releases) == 0:
		return req, errors.New("name the persons released with --release LIST:ROW, or compose them with --plan --list ID --list ID")
	}
	if f.rule == "" {
		return req, fmt.Errorf("--rule is required (%s)", strings.Join(ruleNames(), ", "))
	}
	scale, err := parseScale(f.scale)
	if err != nil {
		return req, err
	}
	req.Terms = negotiation.Terms{Rule: negotiation.Rule(f.rule), Categories: splitList(f.categories), Capacity: f.capacity, Scale: scale, CountKindsTogether: f.together}
	if req.RefDate, err = parseDateFlag("ref-date", f.refDate); err != nil {
		return req, err
	}
	for _, r := range f.releases {
		list, row, err := parseRef(r)
		if err != nil {
			return req, fmt.Errorf("--release %w", err)
		}
		req.Releases = append(req.Releases, service.ReleaseRef{ListID: list, Row: row})
	}
	return req, nil
}

func runPlan(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("plan")
	var f stageFlags
	f.register(fs)
	asJSON := fs.Bool("json", false, "print the plan as JSON")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	req, err := f.planRequest()
	if err != nil || len(pos) > 0 {
		if err == nil {
			err = fmt.Errorf("unexpected arguments %q", pos)
		}
		return usageError("%v\nusage: parley plan --list ID --list ID --rule RULE [--categories CODE,...] --capacity N [--priority medical,youngest,longest_captivity|row] [--ref-date YYYY-MM-DD] [--json]", err)
	}
	return a.withService(ctx, func(s *service.Service) error {
		plan, err := s.PlanStage(ctx, a.actor(), req)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.Stdout, plan)
		}
		printPlan(a.Stdout, plan, a.lang())
		return nil
	})
}

func printPlan(w io.Writer, plan *negotiation.StagePlan, lang string) {
	capacity := "no capacity limit"
	if plan.Capacity > 0 {
		capacity = fmt.Sprintf("capacity %d per side", plan.Capacity)
	}
	fmt.Fprintf(w, "rule %s, %s\n", plan.Rule, capacity)
	for _, side := range plan.Sides {
		fmt.Fprintf(w, "\nparty %s releases %d, leaves out %d\n", side.Party, len(side.Released), len(side.LeftOut))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, part := range []struct {
			title string
			ds    []negotiation.Decision
		}{{"released", side.Released}, {"left out", side.LeftOut}} {
			if len(part.ds) == 0 {
				continue
			}
			fmt.Fprintf(tw, "  %s:\n", part.title)
			columns(tw, lang, "  ", "cli.col.list", "cli.col.row", "cli.col.name", "cli.col.categories", "cli.col.reason")
			for _, d := range part.ds {
				fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%s\n", d.ListID, d.Row, d.Name, strings.Join(d.Categories, ", "), msg.Join(lang, d.Why))
			}
		}
		tw.Flush()
		fmt.Fprintf(w, "  totals: %s\n", formatTotals(side.Totals))
	}
}

// formatTotals prints "total N" first, then the categories by name.
func formatTotals(t map[string]int) string {
	keys := make([]string, 0, len(t))
	for k := range t {
		if k != negotiation.TotalKey {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := []string{fmt.Sprintf("%s %d", negotiation.TotalKey, t[negotiation.TotalKey])}
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, t[k]))
	}
	return strings.Join(parts, ", ")
}

// --- rounds -------------------------------------------------------------------

func runRoundCreate(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("round create")
	title := fs.String("title", "", "title of the round")
	venue := fs.String("venue", "", "where the round is held")
	starts := fs.String("starts", "", "first day (YYYY-MM-DD)")
	ends := fs.String("ends", "", "last day (YYYY-MM-DD)")
	notes := fs.String("notes", "", "notes")
	var parties, participants multiFlag
	fs.Var(&parties, "party", "a party to the round (give two)")
	fs.Var(&participants, "participant", "a delegation or participant (repeat)")
	crit := fs.String("criteria", "", "agreed approach: categories a listed person must hold (any of), comma-separated")
	age := fs.String("age", "", "agreed approach: age bracket MIN-MAX, an alternative to the categories (e.g. 18-25)")
	kinds := fs.String("kinds", "", "agreed approach: kinds of record (pow, civilian, remains), comma-separated")
	ref := fs.String("ref-date", "", "agreed approach: day on which ages are taken (YYYY-MM-DD)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	const usage = "usage: parley round create --title TEXT --party A --party B [--venue V] [--starts D] [--ends D] [--participant NAME ...] [--criteria CODE,...] [--age MIN-MAX] [--kinds KIND,...] [--ref-date D]"
	if len(pos) > 0 || len(parties) != 2 {
		return usageError("%s", usage)
	}
	req := service.RoundRequest{Title: *title, Venue: *venue, Parties: [2]string{parties[0], parties[1]}, Participants: participants, Notes: *notes}
	if req.StartsOn, err = parseDateFlag("starts", *starts); err != nil {
		return usageError("%v", err)
	}
	if req.EndsOn, err = parseDateFlag("ends", *ends); err != nil {
		return usageError("%v", err)
	}
	if *crit != "" || *age != "" || *kinds != "" {
		c := &negotiation.Criteria{Categories: splitList(*crit)}
		if *age != "" {
			lo, hi, ok := strings.Cut(*age, "-")
			youngest, err1 := strconv.Atoi(strings.TrimSpace(lo))
			oldest, err2 := strconv.Atoi(strings.TrimSpace(hi))
			if !ok || err1 != nil || err2 != nil {
				return usageError("--age %q: want MIN-MAX", *age)
			}
			c.AgeMin, c.AgeMax = youngest, oldest
		}
		for _, k := range splitList(*kinds) {
			c.Kinds = append(c.Kinds, person.Kind(k))
		}
		if c.RefDate, err = parseDateFlag("ref-date", *ref); err != nil {
			return usageError("%v", err)
		}
		req.Criteria = c
	}
	return a.withService(ctx, func(s *service.Service) error {
		r, err := s.CreateRound(ctx, a.actor(), req)
		if err != nil {
			return err
		}
		fmt.Fprintln(a.Stdout, r.ID)
		return nil
	})
}

func runRoundLs(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("round ls")
	asJSON := fs.Bool("json", false, "print JSON")
	if pos, err := parseInterspersed(fs, args); err != nil || len(pos) > 0 {
		return usageError("usage: parley round ls [--json]")
	}
	return a.withService(ctx, func(s *service.Service) error {
		rs, err := s.ListRounds(ctx, a.actor())
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.Stdout, rs)
		}
		tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
		a.columns(tw, "", "cli.col.id", "cli.col.parties", "cli.col.dates", "cli.col.venue", "cli.col.criteria", "cli.col.title")
		for _, r := range rs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Parties[0]+", "+r.Parties[1], dates(r.StartsOn, r.EndsOn), r.Venue, yesNo(r.Criteria != nil), r.Title)
		}
		return tw.Flush()
	})
}

func dates(from, to person.Date) string {
	switch {
	case from.IsZero() && to.IsZero():
		return "-"
	case to.IsZero() || to == from:
		return from.String()
	}
	return from.String() + " – " + to.String()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func runRoundShow(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("round show")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseInterspersed(fs, args)
	if err != nil || len(pos) != 1 {
		return usageError("usage: parley round show ROUND [--json]")
	}
	return a.withService(ctx, func(s *service.Service) error {
		v, err := s.GetRound(ctx, a.actor(), pos[0])
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.Stdout, v)
		}
		fmt.Fprintf(a.Stdout, "%s  %q  %s and %s  %s  %s\n", v.ID, v.Title, v.Parties[0], v.Parties[1], v.Venue, dates(v.StartsOn, v.EndsOn))
		if len(v.Participants) > 0 {
			fmt.Fprintf(a.Stdout, "participants: %s\n", strings.Join(v.Participants, "; "))
		}
		if c := v.Criteria; c != nil {
			fmt.Fprintf(a.Stdout, "criteria: %s\n", describeCriteria(c))
		}
		tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
		a.columns(tw, "\n", "cli.col.list", "cli.col.from", "cli.col.to", "cli.col.entries", "cli.col.nonconforming", "cli.col.title")
		for _, l := range v.Lists {
			non := "-"
			if l.Nonconforming >= 0 {
				non = strconv.Itoa(l.Nonconforming)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", l.ListID, l.From, l.To, l.EntryCount, non, l.Title)
		}
		a.columns(tw, "\n", "cli.col.proposal", "cli.col.from", "cli.col.to", "cli.col.state", "cli.col.rule", "cli.col.counts")
		for _, p := range v.Proposals {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d/%d\n", p.ID, p.From, p.To, p.State, p.Terms.Rule, p.Counts[0], p.Counts[1])
		}
		a.columns(tw, "\n", "cli.col.agreement", "cli.col.proposal", "cli.col.parties", "cli.col.rule", "cli.col.date", "cli.col.hash")
		for _, g := range v.Agreements {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", g.ID, g.ProposalID, g.Parties[0]+", "+g.Parties[1], g.Terms.Rule, g.Date, g.ContentHash)
		}
		return tw.Flush()
	})
}

// describeCriteria words the agreed approach: "wounded or seriously_ill,
// or aged 18–25 on 2025-06-07; kinds pow".
func describeCriteria(c *negotiation.Criteria) string {
	var alts []string
	if len(c.Categories) > 0 {
		alts = append(alts, strings.Join(c.Categories, " or "))
	}
	switch {
	case c.AgeMin > 0 && c.AgeMax > 0:
		alts = append(alts, fmt.Sprintf("aged %d–%d on %s", c.AgeMin, c.AgeMax, c.RefDate))
	case c.AgeMin > 0:
		alts = append(alts, fmt.Sprintf("aged %d or older on %s", c.AgeMin, c.RefDate))
	case c.AgeMax > 0:
		alts = append(alts, fmt.Sprintf("aged at most %d on %s", c.AgeMax, c.RefDate))
	}
	out := strings.Join(alts, ", or ")
	if out == "" {
		out = "everyone"
	}
	if len(c.Kinds) > 0 {
		kinds := make([]string, len(c.Kinds))
		for i, k := range c.Kinds {
			kinds[i] = string(k)
		}
		out += "; kinds " + strings.Join(kinds, ", ")
	}
	return out
}

func runRoundAttach(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("round attach")
	pos, err := parseInterspersed(fs, args)
	if err != nil || len(pos) != 2 {
		return usageError("usage: parley round attach ROUND LIST")
	}
	return a.withService(ctx, func(s *service.Service) error {
		rl, err := s.AttachList(ctx, a.actor(), pos[0], pos[1])
		if err != nil {
			return err
		}
		if rl.Nonconforming >= 0 {
			fmt.Fprintf(a.Stdout, "list %s attached to round %s: %d entries do not fit the agreed approach\n", rl.ListID, rl.RoundID, rl.Nonconforming)
		} else {
			fmt.Fprintf(a.Stdout, "list %s attached to round %s\n", rl.ListID, rl.RoundID)
		}
		return nil
	})
}

func runRoundConformance(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("round conformance")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseInterspersed(fs, args)
	if err != nil || len(pos) != 2 {
		return usageError("usage: parley round conformance ROUND LIST [--json]")
	}
	return a.withService(ctx, func(s *service.Service) error {
		rep, err := s.ConformanceReport(ctx, a.actor(), pos[0], pos[1])
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.Stdout, rep)
		}
		fmt.Fprintf(a.Stdout, "list %s (%s → %s): %d of %d entries fit the agreed approach, %d do not\n", rep.ListID, rep.From, rep.To, rep.Conforming, rep.Entries, len(rep.Nonconforming))
		tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
		for _, n := range rep.Nonconforming {
			fmt.Fprintf(tw, "%d\t%s\t%s\n", n.Row, n.Name, msg.Join(a.lang(), n.Why))
		}
		return tw.Flush()
	})
}

// --- proposals ------------------------------------------------------------------

func runStagePropose(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("stage propose")
	var f stageFlags
	f.register(fs)
	round := fs.String("round", "", "the round")
	from := fs.String("from", "", "the proposing party")
	to := fs.String("to", "", "the addressee (default: the round's other party)")
	draft := fs.Bool("draft", false, "keep the proposal as a draft of the proposing party")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	req, err := f.proposalRequest()
	if *from == "" {
		*from = a.impliedParty(ctx)
	}
	if err == nil && (*round == "" || *from == "" || len(pos) > 0) {
		err = errors.New("--round and --from are required")
	}
	if err != nil {
		return usageError("%v\nusage: parley stage propose --round R --from A [--to B] --rule RULE [--categories ...] [--capacity N] --date YYYY-MM-DD (--release LIST:ROW ... | --plan --list ID --list ID [--priority ...] [--ref-date D]) [--draft]", err)
	}
	req.RoundID, req.From, req.To, req.Draft = *round, *from, *to, *draft
	return a.withService(ctx, func(s *service.Service) error {
		p, err := s.SubmitProposal(ctx, a.actor(), req)
		if err != nil {
			return err
		}
		fmt.Fprintln(a.Stdout, p.ID)
		if s.Mode() == nodes.Node {
			// Signed here; the hub composes and checks it when it arrives.
			fmt.Fprintln(a.Stderr, a.text("node.proposal.signed", "id", p.ID, "party", p.From, "round", p.RoundID))
			return a.deliver(ctx, s)
		}
		fmt.Fprintf(a.Stderr, "%s proposes to %s under %s: %s releases %d, %s releases %d (%s)\n", p.From, p.To, p.Terms.Rule, p.From, p.Counts[0], p.To, p.Counts[1], p.State)
		return nil
	})
}

func runStageCounter(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("stage counter")
	var f stageFlags
	f.register(fs)
	as := fs.String("as", "", "the countering party (default: the addressee)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	req, err := f.proposalRequest()
	if err == nil && len(pos) != 1 {
		err = errors.New("name the proposal")
	}
	if err != nil {
		return usageError("%v\nusage: parley stage counter PROPOSAL [--as PARTY] --rule RULE ... (--release LIST:ROW ... | --plan --list ID --list ID)", err)
	}
	req.From = *as
	return a.withService(ctx, func(s *service.Service) error {
		p, err := s.CounterProposal(ctx, a.actor(), pos[0], req)
		if err != nil {
			return err
		}
		fmt.Fprintln(a.Stdout, p.ID)
		return a.deliver(ctx, s)
	})
}

// runAnswer runs accept, reject, withdraw and submit.
func runAnswer(ctx context.Context, a *App, name string, args []string, withReason bool, do func(*service.Service, string, string, string) (*service.ProposalView, error)) error {
	fs := a.newFlagSet(name)
	as := fs.String("as", "", "the party on whose behalf (default: the party the step belongs to)")
	reason := ""
	if withReason {
		fs.StringVar(&reason, "reason", "", "the reasons, which the proposer sees")
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil || len(pos) != 1 {
		extra := ""
		if withReason {
			extra = " --reason TEXT"
		}
		return usageError("usage: parley %s PROPOSAL [--as PARTY]%s", name, extra)
	}
	return a.withService(ctx, func(s *service.Service) error {
		p, err := do(s, pos[0], *as, reason)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "%s: %s\n", p.ID, p.State)
		return a.deliver(ctx, s)
	})
}

func runStageAccept(ctx context.Context, a *App, args []string) error {
	return runAnswer(ctx, a, "stage accept", args, false, func(s *service.Service, id, as, _ string) (*service.ProposalView, error) {
		return s.AcceptProposal(ctx, a.actor(), id, as)
	})
}

func runStageReject(ctx context.Context, a *App, args []string) error {
	return runAnswer(ctx, a, "stage reject", args, true, func(s *service.Service, id, as, reason string) (*service.ProposalView, error) {
		return s.RejectProposal(ctx, a.actor(), id, as, reason)
	})
}

func runStageWithdraw(ctx context.Context, a *App, args []string) error {
	return runAnswer(ctx, a, "stage withdraw", args, false, func(s *service.Service, id, as, _ string) (*service.ProposalView, error) {
		return s.WithdrawProposal(ctx, a.actor(), id, as)
	})
}

func runStageSubmit(ctx context.Context, a *App, args []string) error {
	return runAnswer(ctx, a, "stage submit", args, false, func(s *service.Service, id, _, _ string) (*service.ProposalView, error) {
		return s.SubmitDraft(ctx, a.actor(), id)
	})
}

func runStageWitness(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("stage witness")
	pos, err := parseInterspersed(fs, args)
	if err != nil || len(pos) != 1 {
		return usageError("usage: parley stage witness PROPOSAL")
	}
	return a.withService(ctx, func(s *service.Service) error {
		ag, err := s.WitnessProposal(ctx, a.actor(), pos[0])
		if err != nil {
			return err
		}
		fmt.Fprintln(a.Stdout, ag.ID)
		fmt.Fprintf(a.Stderr, "agreement %s: %s releases %d, %s releases %d; content hash %s\n", ag.ID, ag.Parties[0], len(ag.Sides[0].Releases), ag.Parties[1], len(ag.Sides[1].Releases), ag.ContentHash)
		return nil
	})
}

func runStageShow(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("stage show")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseInterspersed(fs, args)
	if err != nil || len(pos) != 1 {
		return usageError("usage: parley stage show PROPOSAL|AGREEMENT [--json]")
	}
	return a.withService(ctx, func(s *service.Service) error {
		thread, err := s.ProposalThread(ctx, a.actor(), pos[0])
		if err == nil {
			var p *service.ProposalView
			for _, q := range thread {
				if q.ID == pos[0] {
					p = q
				}
			}
			if *asJSON {
				return writeJSON(a.Stdout, p)
			}
			printProposal(a.Stdout, p, thread)
			if p.Sides[0].Party == "" && s.Mode() == nodes.Node {
				fmt.Fprintln(a.Stderr, a.text("node.proposal.no_persons", "id", p.ID, "hub", s.HubURL()))
			}
			return nil
		}
		if !service.IsNotFound(err) {
			return err
		}
		ag, err := s.GetAgreement(ctx, a.actor(), pos[0])
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.Stdout, ag)
		}
		printAgreement(a.Stdout, ag)
		return nil
	})
}

func printSides(w io.Writer, sides [2]negotiation.SideRelease, totals [2]map[string]int) {
	for i, side := range sides {
		fmt.Fprintf(w, "\n%s releases %d (%s)\n", side.Party, len(side.Releases), formatTotals(totals[i]))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, r := range side.Releases {
			fmt.Fprintf(tw, "  %s:%d\t%s\t%s\t%s\n", r.ListID, r.Row, personName(&r.Person), strings.Join(r.Person.Categories, ", "), r.LegalBasis)
		}
		tw.Flush()
	}
}

func personName(p *person.Person) string {
	if n := p.FullName(); n != "" {
		return n
	}
	if n := p.FullNameLatin(); n != "" {
		return n
	}
	if p.GraveID != "" {
		return "grave " + p.GraveID
	}
	return "no name"
}

func printProposal(w io.Writer, p *service.ProposalView, thread []*service.ProposalView) {
	fmt.Fprintf(w, "%s  %s → %s  %s  rule %s", p.ID, p.From, p.To, p.State, p.Terms.Rule)
	if len(p.Terms.Categories) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(p.Terms.Categories, ", "))
	}
	if p.Terms.Capacity > 0 {
		fmt.Fprintf(w, ", capacity %d", p.Terms.Capacity)
	}
	if !p.Date.IsZero() {
		fmt.Fprintf(w, ", on %s", p.Date)
	}
	fmt.Fprintln(w)
	var steps []string
	for _, q := range thread {
		steps = append(steps, fmt.Sprintf("%s %s→%s %s", q.ID, q.From, q.To, q.State))
	}
	fmt.Fprintf(w, "thread: %s\n", strings.Join(steps, " | "))
	if p.Reasons != "" {
		fmt.Fprintf(w, "rejected: %s\n", p.Reasons)
	}
	if p.Note != "" {
		fmt.Fprintf(w, "note: %s\n", p.Note)
	}
	if p.AgreementID != "" {
		fmt.Fprintf(w, "agreement: %s\n", p.AgreementID)
	}
	if p.Sides[0].Party == "" {
		return // a node shows a proposal without its persons when the hub is down
	}
	printSides(w, p.Sides, p.Totals)
	for _, c := range p.Commission {
		fmt.Fprintf(w, "commission: %s:%d %s %s %s\n", c.ListID, c.Row, c.Outcome.Decision, c.Outcome.DecidedOn, c.Outcome.ReexamineOn)
	}
}

func printAgreement(w io.Writer, ag *service.AgreementView) {
	fmt.Fprintf(w, "%s  agreement of %s and %s  rule %s  from proposal %s", ag.ID, ag.Parties[0], ag.Parties[1], ag.Terms.Rule, ag.ProposalID)
	if !ag.Date.IsZero() {
		fmt.Fprintf(w, ", on %s", ag.Date)
	}
	fmt.Fprintf(w, "\naccepted by %s, witnessed by %s; content hash %s\n", ag.AcceptedBy, ag.WitnessedBy, ag.ContentHash)
	printSides(w, ag.Sides, ag.Totals)
	fmt.Fprintf(w, "\nhandover (complete: %s)\n", yesNo(ag.Complete))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, st := range ag.Handover {
		detail := string(st.Interview)
		if st.Substitute != nil {
			detail = "by " + personName(&st.Substitute.Person)
		}
		if st.Identification != "" {
			detail = string(st.Identification)
		}
		fmt.Fprintf(tw, "  %s\t%s:%d\t%s\t%s\t%s\n", st.Party, st.ListID, st.Row, personName(&st.Person), st.Status, detail)
	}
	tw.Flush()
}

func runStageLs(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("stage ls")
	round := fs.String("round", "", "only this round")
	asJSON := fs.Bool("json", false, "print JSON")
	if pos, err := parseInterspersed(fs, args); err != nil || len(pos) > 0 {
		return usageError("usage: parley stage ls [--round R] [--json]")
	}
	return a.withService(ctx, func(s *service.Service) error {
		ps, err := s.ListProposals(ctx, a.actor(), service.ProposalFilter{RoundID: *round})
		if err != nil {
			return err
		}
		ags, err := s.ListAgreements(ctx, a.actor(), *round)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.Stdout, map[string]any{"proposals": ps, "agreements": ags})
		}
		tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
		a.columns(tw, "", "cli.col.proposal", "cli.col.round", "cli.col.from", "cli.col.to", "cli.col.state", "cli.col.rule", "cli.col.counts", "cli.col.counter_of")
		for _, p := range ps {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d/%d\t%s\n", p.ID, p.RoundID, p.From, p.To, p.State, p.Terms.Rule, p.Counts[0], p.Counts[1], p.CounterOf)
		}
		a.columns(tw, "\n", "cli.col.agreement", "cli.col.round", "cli.col.proposal", "cli.col.parties", "cli.col.rule", "cli.col.date")
		for _, g := range ags {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", g.ID, g.RoundID, g.ProposalID, g.Parties[0]+", "+g.Parties[1], g.Terms.Rule, g.Date)
		}
		return tw.Flush()
	})
}

// --- handover -------------------------------------------------------------------

// agreementAndRef reads "AGREEMENT LIST:ROW".
func agreementAndRef(pos []string) (string, string, int, error) {
	if len(pos) != 2 {
		return "", "", 0, errors.New("give the agreement and LIST:ROW")
	}
	list, row, err := parseRef(pos[1])
	return pos[0], list, row, err
}

func printStep(w io.Writer, res *service.StepResult, lang string) {
	st := res.State
	fmt.Fprintf(w, "%s:%d %s\n", st.ListID, st.Row, st.Status)
	if !res.BreachWhy.IsZero() {
		fmt.Fprintln(w, msg.Text(lang, msg.New("cli.report.breach", "text", res.BreachWhy)))
	}
	if res.Complete {
		fmt.Fprintln(w, "stage complete: every person has an outcome")
	}
}

func runStageInterview(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("stage interview")
	consents := fs.Bool("consents", false, "the person consents to go home")
	refuses := fs.Bool("refuses", false, "the person refuses repatriation (he will not be handed over)")
	tell := fs.Bool("tell-family", false, "with --refuses: the person agreed that his family be told he declined (otherwise it is told only \"not repatriated in this stage\")")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	ag, list, row, err := agreementAndRef(pos)
	if err != nil || *consents == *refuses {
		return usageError("usage: parley stage interview AGREEMENT LIST:ROW --consents|--refuses")
	}
	iv := handover.Consents
	if *refuses {
		iv = handover.Refuses
	}
	return a.withService(ctx, func(s *service.Service) error {
		res, err := s.RecordInterviewDisclosed(ctx, a.actor(), ag, list, row, iv, *tell)
		if err != nil {
			return err
		}
		printStep(a.Stdout, res, a.lang())
		return nil
	})
}

func runStageOutcome(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("stage outcome")
	handed := fs.Bool("handed-over", false, "the person was handed over")
	notPresented := fs.Bool("not-presented", false, "the releasing side did not bring him")
	deceased := fs.Bool("deceased", false, "he died before the handover")
	subBy := fs.String("substituted-by", "", "LIST:ROW of the person brought in his place (a row of a handed-over list of the same side, who consented at his own interview)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	ag, list, row, err := agreementAndRef(pos)
	n := 0
	for _, b := range []bool{*handed, *notPresented, *deceased, *subBy != ""} {
		if b {
			n++
		}
	}
	if err != nil || n != 1 {
		return usageError("usage: parley stage outcome AGREEMENT LIST:ROW --handed-over|--not-presented|--deceased|--substituted-by LIST:ROW")
	}
	req := service.OutcomeRequest{AgreementID: ag, ListID: list, Row: row}
	switch {
	case *handed:
		req.Outcome = handover.HandedOver
	case *notPresented:
		req.Outcome = handover.NotPresented
	case *deceased:
		req.Outcome = handover.Deceased
	default:
		sl, sr, err := parseRef(*subBy)
		if err != nil {
			return usageError("--substituted-by %v", err)
		}
		req.Outcome = handover.Substituted
		req.Substitute = &service.SubstituteRequest{ListID: sl, Row: sr, Interview: handover.Consents}
	}
	return a.withService(ctx, func(s *service.Service) error {
		res, err := s.RecordOutcome(ctx, a.actor(), req)
		if err != nil {
			return err
		}
		printStep(a.Stdout, res, a.lang())
		return nil
	})
}

func runStageIdentify(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("stage identify")
	status := fs.String("status", "", "presumed, dna_pending or confirmed")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	ag, list, row, err := agreementAndRef(pos)
	if err != nil || *status == "" {
		return usageError("usage: parley stage identify AGREEMENT LIST:ROW --status presumed|dna_pending|confirmed")
	}
	return a.withService(ctx, func(s *service.Service) error {
		res, err := s.RecordIdentification(ctx, a.actor(), ag, list, row, handover.Identification(*status))
		if err != nil {
			return err
		}
		printStep(a.Stdout, res, a.lang())
		return nil
	})
}

func runStageCommission(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("stage commission")
	decision := fs.String("decision", "", "repatriate, reject or reexamine")
	decided := fs.String("decided-on", "", "day of the decision (YYYY-MM-DD)")
	again := fs.String("reexamine-on", "", "day of the re-examination (YYYY-MM-DD), for reexamine")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2, Silent: true, Err: err}
	}
	prop, list, row, err := agreementAndRef(pos)
	if err != nil || *decision == "" {
		return usageError("usage: parley stage commission PROPOSAL LIST:ROW --decision repatriate|reject|reexamine [--decided-on D] [--reexamine-on D]")
	}
	o := negotiation.CommissionOutcome{Decision: negotiation.CommissionDecision(*decision)}
	if o.DecidedOn, err = parseDateFlag("decided-on", *decided); err != nil {
		return usageError("%v", err)
	}
	if o.ReexamineOn, err = parseDateFlag("reexamine-on", *again); err != nil {
		return usageError("%v", err)
	}
	return a.withService(ctx, func(s *service.Service) error {
		rec, err := s.RecordCommissionOutcome(ctx, a.actor(), service.CommissionRequest{ProposalID: prop, ListID: list, Row: row, Outcome: o})
		if err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "%s:%d %s\n", rec.ListID, rec.Row, rec.Outcome.Decision)
		return nil
	})
}

func runStageReport(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("stage report")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseInterspersed(fs, args)
	if err != nil || len(pos) != 1 {
		return usageError("usage: parley stage report AGREEMENT [--json]")
	}
	return a.withService(ctx, func(s *service.Service) error {
		rep, err := s.StageReport(ctx, a.actor(), pos[0])
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.Stdout, rep)
		}
		printReport(a.Stdout, rep, a.lang())
		return nil
	})
}

func printReport(w io.Writer, rep *handover.Report, lang string) {
	fmt.Fprintf(w, "complete: %s\n", yesNo(rep.Complete))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	columns(tw, lang, "", "cli.col.party", "cli.col.agreed", "cli.col.handed_over", "cli.col.refused", "cli.col.not_presented", "cli.col.deceased", "cli.col.substituted", "cli.col.pending", "cli.col.not_agreed", "cli.col.released", "cli.col.owed")
	for _, sr := range rep.Sides {
		c := sr.Counts
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", sr.Party, c.Agreed, c.HandedOver, c.Refused, c.NotPresented, c.Deceased, c.Substituted, c.Pending, c.NotAgreed, c.Released, c.Owed)
	}
	tw.Flush()
	if len(rep.Items) > 0 {
		fmt.Fprintln(w, "\n"+msg.Text(lang, msg.New("cli.report.discrepancies")))
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, it := range rep.Items {
			fmt.Fprintf(tw, "  %s\t%s:%d\t%s\t%s\t%s\n", it.Party, it.ListID, it.Row, it.Name, it.Type, msg.Text(lang, it.Why))
		}
		tw.Flush()
	}
	if !rep.BreachWhy.IsZero() {
		fmt.Fprintln(w, "\n"+msg.Text(lang, msg.New("cli.report.breach", "text", rep.BreachWhy)))
	}
}

func runStageTimeline(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("stage timeline")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseInterspersed(fs, args)
	if err != nil || len(pos) != 1 {
		return usageError("usage: parley stage timeline LIST:ROW [--json]")
	}
	list, row, err := parseRef(pos[0])
	if err != nil {
		return usageError("%v", err)
	}
	return a.withService(ctx, func(s *service.Service) error {
		tl, err := s.PersonTimeline(ctx, a.actor(), list, row)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.Stdout, tl)
		}
		fmt.Fprintf(a.Stdout, "%s:%d  %s  held by %s  now %s\n", tl.ListID, tl.Row, personName(&tl.Person), tl.Party, tl.Status)
		tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
		for _, st := range tl.Steps {
			ref := st.ProposalID
			if st.AgreementID != "" {
				ref = st.AgreementID
			}
			note := st.Note
			if !st.Why.IsZero() {
				note = msg.Text(a.lang(), st.Why)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", st.At.UTC().Format("2006-01-02 15:04:05"), st.Status, st.By, ref, note)
		}
		return tw.Flush()
	})
}
