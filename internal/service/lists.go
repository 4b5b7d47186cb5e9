package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"parley/internal/nodes"
	"strconv"
	"strings"

	"parley/internal/access"
	"parley/internal/listfile"
	"parley/internal/lists"
	"parley/internal/matching"
	"parley/internal/msg"
	"parley/internal/names"
	"parley/internal/parties"
	"parley/internal/person"
	"parley/internal/store"
	"parley/internal/translit"
)

// ImportRequest asks to import a list from a file.
type ImportRequest struct {
	From, To, Title string
	Format          listfile.Format
	Map             map[string]string
	// SkipInvalid imports the valid rows and still reports the others;
	// without it a single problem refuses the whole file.
	SkipInvalid bool
	// DryRun checks the file and reports, but stores nothing.
	DryRun bool
	// VersionOf, when set, makes the import a new version of that list
	// (which must be from the same party to the same party).
	VersionOf string
	// YouthRef, when set, derives the youth category from dates of birth.
	YouthRef   person.Date
	SourceName string
	Progress   func(rows int)
}

// ImportResult is what an import did.
type ImportResult struct {
	List *lists.List // nil on a dry run or when refused
	// Registry and RegistryDiff describe the new version of a registry.
	Registry     *matching.RegistryVersion
	RegistryDiff *lists.Diff
	Read         *listfile.Result
	Imported     int
}

// ImportError refuses a file and carries every problem found in it.
type ImportError struct {
	Problems []listfile.Problem
	// Refused says the file could not be read to its end (a broken limit,
	// damaged XML, a damaged archive): Problems then holds that one
	// problem, and no row may be imported even when invalid rows are
	// skipped.
	Refused bool
	// TooLarge says the refusal is about size (HTTP 413).
	TooLarge bool
}

func (e *ImportError) Error() string {
	return fmt.Sprintf("%d problem(s) in the file; nothing was imported", len(e.Problems))
}

func (e *ImportError) Unwrap() error { return ErrInvalid }

// Message is the error's message for a reader (see package msg); each
// problem has its own (listfile.Problem.TextIn).
func (e *ImportError) Message() msg.Msg {
	return msg.New("import.refused", "count", len(e.Problems))
}

// readError turns a file that could not be read into an ImportError with
// its one problem, or the context's error when the caller has gone.
func readError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("import stopped: %w", ctx.Err())
	}
	if r, ok := listfile.AsRefusal(err); ok {
		return &ImportError{Problems: []listfile.Problem{r.Problem}, Refused: true, TooLarge: r.TooLarge}
	}
	return invalidErr(err)
}

// ImportList reads a file and stores it as a new draft list. The import is
// all or nothing: on any problem (unless SkipInvalid) nothing is stored.
func (s *Service) ImportList(ctx context.Context, actor access.Actor, req ImportRequest, r io.Reader) (*ImportResult, error) {
	if err := s.refuseOnHub(RefuseDraftList); err != nil {
		return nil, err
	}
	if !actor.CanWriteList(req.From) {
		return nil, access.Forbid("deny.create_lists", "party", req.From)
	}
	if req.From == req.To {
		return nil, Invalid("list.same_party", "party", msg.Raw(req.From))
	}
	if strings.TrimSpace(req.Title) == "" && req.VersionOf == "" {
		return nil, Invalid("list.no_title")
	}
	res, err := listfile.ReadContext(ctx, r, listfile.Options{Format: req.Format, Map: req.Map, Catalogue: s.Catalogue(), YouthRef: req.YouthRef, Progress: req.Progress, Limits: s.Limits})
	if err != nil {
		return nil, readError(ctx, err)
	}
	out := &ImportResult{Read: res}
	if len(res.Problems) > 0 && !req.SkipInvalid {
		return out, &ImportError{Problems: res.Problems}
	}
	if len(res.Rows) == 0 {
		return out, Invalid("list.no_valid_rows")
	}
	var sides []parties.Party
	if err := s.db.View(ctx, func(tx *store.Tx) error {
		if _, err := tx.Party(ctx, req.From); err != nil {
			return Invalid("list.unknown_sender", "party", msg.Raw(req.From))
		}
		if _, err := tx.Party(ctx, req.To); err != nil {
			return Invalid("list.unknown_receiver", "party", msg.Raw(req.To))
		}
		var err error
		sides, err = tx.Parties(ctx)
		return err
	}); err != nil {
		return out, err
	}
	entries := make([]lists.Entry, len(res.Rows))
	for i, row := range res.Rows {
		p := row.Person
		// A list names the other side's people as a rule: romanize with the
		// system of the Power the person depends on when the file says, else
		// with the receiving party's.
		fillLatin(&p, translitFor(sides, p.Power, req.To))
		entries[i] = lists.Entry{Row: row.Line, Person: p}
	}
	out.Imported = len(entries)
	if req.DryRun {
		return out, nil
	}
	l := &lists.List{
		ID: newID("L"), From: req.From, To: req.To, Title: strings.TrimSpace(req.Title), Version: 1,
		State: lists.Draft, Entries: entries, SourceName: req.SourceName, CreatedBy: actor.String(),
	}
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		if req.VersionOf != "" {
			prev, err := tx.List(ctx, req.VersionOf)
			if err != nil || !actor.CanReadList(listView(prev)) {
				return fmt.Errorf("list %q: %w", req.VersionOf, ErrNotFound)
			}
			if prev.From != req.From || prev.To != req.To {
				return Invalid("list.version_parties", "list", msg.Raw(prev.ID), "from", msg.Raw(prev.From), "to", msg.Raw(prev.To))
			}
			latest, err := tx.LatestVersion(ctx, prev.RootID)
			if err != nil {
				return err
			}
			l.RootID, l.PrevID, l.Version = prev.RootID, prev.ID, latest+1
			if l.Title == "" {
				l.Title = prev.Title
			}
			before, err := tx.Entries(ctx, prev.ID)
			if err != nil {
				return err
			}
			AssignEntryIDs(before, l.Entries)
		} else {
			l.RootID = l.ID
			AssignEntryIDs(nil, l.Entries)
		}
		return tx.InsertList(ctx, l)
	})
	if err != nil {
		return out, err
	}
	out.List = l
	s.Logger.Info("list imported", "list", l.ID, "from", l.From, "to", l.To, "entries", len(entries), "skipped", len(res.Problems))
	return out, nil
}

// AssignEntryIDs gives every entry of a new version its lasting id: the
// id of the same person in the version before (see lists.Pair), else the
// party's own record id, else a new one. Ids are unique within a version.
// It returns the pairing (see lists.Pair).
func AssignEntryIDs(before, after []lists.Entry) (pairs []lists.Paired, removed, added []int) {
	for j := range after {
		after[j].ID = ""
	}
	used := map[string]bool{}
	for _, e := range before {
		used[e.ID] = true // an id of a person dropped is never given to another
	}
	pairs, removed, added = lists.Pair(before, after)
	for _, p := range pairs {
		after[p.New].ID = before[p.Old].ID
		used[before[p.Old].ID] = true
	}
	// New ids share one random prefix per version and count on from it:
	// as unique as separate random ids, without a call to the system's
	// random source for each of a million records.
	batch, seq := newID("P"), 0
	for j := range after {
		e := &after[j]
		if e.ID != "" {
			continue
		}
		if e.RecordID != "" && !used[e.RecordID] {
			e.ID = e.RecordID
		} else {
			for e.ID == "" || used[e.ID] {
				seq++
				e.ID = batch + "-" + strconv.Itoa(seq)
			}
		}
		used[e.ID] = true
	}
	return pairs, removed, added
}

// translitFor returns the party named by power (by id or name), or else
// the fallback party, whose romanization systems apply.
func translitFor(sides []parties.Party, power, fallback string) parties.Party {
	for _, p := range sides {
		if power != "" && (strings.EqualFold(p.ID, power) || strings.EqualFold(p.Name, power)) {
			return p
		}
	}
	for _, p := range sides {
		if p.ID == fallback {
			return p
		}
	}
	return parties.Party{}
}

// Spelling says in which language's spelling a Cyrillic name is written.
type Spelling int

// Spellings of a name.
const (
	SpellingAmbiguous Spelling = iota // neither's own letters, or none of Cyrillic
	SpellingUkrainian                 // і, ї, є or ґ
	SpellingRussian                   // ы, э, ъ or ё
)

// DetectSpelling tells Ukrainian from Russian spelling by the letters only
// one of the two alphabets has: і ї є ґ are Ukrainian, ы э ъ ё Russian;
// failing those, by the names' forms in the table of correspondences. A
// name with both, or with neither (Олег), is ambiguous.
func DetectSpelling(parts ...string) Spelling {
	ua, ru := false, false
	for _, s := range parts {
		for _, r := range strings.ToLower(s) {
			switch r {
			case 'і', 'ї', 'є', 'ґ':
				ua = true
			case 'ы', 'э', 'ъ', 'ё':
				ru = true
			}
		}
	}
	if !ua && !ru {
		// No letter decides: the table of name correspondences may (Сергей
		// is the Russian form of Сергій, Иванович of Іванович).
		for _, s := range parts {
			u, r := names.SpellingOf(s)
			ua, ru = ua || u, ru || r
		}
	}
	switch {
	case ua && !ru:
		return SpellingUkrainian
	case ru && !ua:
		return SpellingRussian
	}
	return SpellingAmbiguous
}

// RomanizationSystem chooses the system for a person's names by the
// spelling they are written in: Ukrainian spelling takes the Ukrainian
// national system (KMU 2010), Russian spelling the party's Russian system
// (ICAO Doc 9303, as in Russian passports, unless the party set another),
// and an ambiguous spelling the party's own system. All three name parts
// are read together, so that one person's names share one system.
func RomanizationSystem(party parties.Party, names ...string) translit.System {
	def, err := translit.ParseSystem(party.Translit)
	if err != nil {
		def = translit.UA2010
	}
	switch DetectSpelling(names...) {
	case SpellingUkrainian:
		return translit.UA2010
	case SpellingRussian:
		if ru, err := translit.ParseSystem(party.TranslitRU); err == nil && party.TranslitRU != "" && ru != translit.UA2010 {
			return ru
		}
		return translit.ICAO
	}
	return def
}

// fillLatin adds the Latin form of names that the source gave only in
// Cyrillic, with the system RomanizationSystem chooses, and records that
// system in the person's latin_system.
func fillLatin(p *person.Person, party parties.Party) {
	sys := RomanizationSystem(party, p.Surname, p.GivenNames, p.Patronymic)
	made := false
	for _, f := range []struct{ src, dst *string }{
		{&p.Surname, &p.SurnameLatin}, {&p.GivenNames, &p.GivenNamesLatin}, {&p.Patronymic, &p.PatronymicLatin},
	} {
		if *f.dst == "" && *f.src != "" {
			*f.dst = translit.Romanize(sys, *f.src)
			made = true
		}
	}
	if made && p.LatinSystem == "" {
		p.LatinSystem = string(sys)
	}
}

func listView(l *lists.List) access.ListView {
	return access.ListView{From: l.From, To: l.To, Draft: l.State == lists.Draft}
}

// GetList returns a list with its entries, if the actor may read it. A list
// the actor may not see is reported as not found.
func (s *Service) GetList(ctx context.Context, actor access.Actor, id string) (*lists.List, error) {
	var l *lists.List
	err := s.db.View(ctx, func(tx *store.Tx) error {
		if _, err := s.readableList(ctx, tx, actor, id); err != nil {
			return err
		}
		var err error
		l, err = tx.ListWithEntries(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := s.recordAccess(ctx, actor, "list.view", l.ID, len(l.Entries)); err != nil {
		return nil, err
	}
	return l, nil
}

// ListLists returns the headers of the lists the actor may see.
func (s *Service) ListLists(ctx context.Context, actor access.Actor) ([]*lists.List, error) {
	f, err := listFilter(actor)
	if err != nil {
		return nil, err
	}
	var out []*lists.List
	err = s.db.View(ctx, func(tx *store.Tx) (err error) {
		out, err = tx.Lists(ctx, f)
		return err
	})
	return out, err
}

// ListHeader returns a list's header, without its entries, if the actor
// may read the list.
func (s *Service) ListHeader(ctx context.Context, actor access.Actor, id string) (*lists.List, error) {
	var l *lists.List
	err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		l, err = s.readableList(ctx, tx, actor, id)
		return err
	})
	return l, err
}

// readableList reads a list's header in the caller's transaction, if the
// actor may read the list; one the actor may not see is not found.
func (s *Service) readableList(ctx context.Context, tx *store.Tx, actor access.Actor, id string) (*lists.List, error) {
	h, err := tx.List(ctx, id)
	if err != nil {
		return nil, err
	}
	if !actor.CanReadList(listView(h)) {
		return nil, fmt.Errorf("list %q: %w", id, ErrNotFound)
	}
	return h, nil
}

// versions returns the other versions of a list that the actor may see,
// newest first, in the caller's transaction.
func (s *Service) versions(ctx context.Context, tx *store.Tx, actor access.Actor, l *lists.List) ([]*lists.List, error) {
	f, err := listFilter(actor)
	if err != nil {
		return nil, nil // a role that sees no lists sees no versions
	}
	f.RootID = l.RootID
	all, err := tx.Lists(ctx, f)
	var out []*lists.List
	for _, o := range all {
		if o.ID != l.ID {
			out = append(out, o)
		}
	}
	return out, err
}

// HandOver freezes a draft list and records its content hash; from now on
// a change is a new version.
func (s *Service) HandOver(ctx context.Context, actor access.Actor, id string) (*lists.List, error) {
	var l *lists.List
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		l, err = tx.ListWithEntries(ctx, id)
		if err != nil {
			return err
		}
		if !actor.CanReadList(listView(l)) {
			return fmt.Errorf("list %q: %w", id, ErrNotFound)
		}
		if !actor.CanWriteList(l.From) {
			return access.Forbid("deny.handover_lists", "party", l.From)
		}
		if l.State != lists.Draft {
			return Conflict("err.list.handed_over_already", "list", id)
		}
		hash, err := lists.ContentHash(l)
		if err != nil {
			return err
		}
		if err := tx.SetListState(ctx, id, lists.Draft, lists.HandedOver, hash); err != nil {
			return changedMeanwhile(err)
		}
		l.State, l.ContentHash = lists.HandedOver, hash
		if err := s.recordEvent(ctx, tx, actor, listHandedOverEvent(l)); err != nil {
			return err
		}
		if s.Mode() == nodes.Node {
			if err := s.queueHandover(ctx, tx, l); err != nil {
				return err
			}
		}
		return s.closeDisputes(ctx, tx, actor, l)
	})
	if err != nil {
		return nil, err
	}
	s.Logger.Info("list handed over", "list", id, "hash", l.ContentHash)
	s.afterListHandedOver(ctx, l)
	return s.header(ctx, id)
}

// Acknowledge records that the receiving party has received the list.
func (s *Service) Acknowledge(ctx context.Context, actor access.Actor, id string) (*lists.List, error) {
	l, _, err := s.AcknowledgeWithReservation(ctx, actor, id, "")
	return l, err
}

// acknowledge records the acknowledgement in the caller's transaction.
func (s *Service) acknowledge(ctx context.Context, tx *store.Tx, actor access.Actor, id string) (*lists.List, error) {
	l, err := tx.List(ctx, id)
	if err != nil {
		return nil, err
	}
	if !actor.CanReadList(listView(l)) {
		return nil, fmt.Errorf("list %q: %w", id, ErrNotFound)
	}
	if !actor.CanAcknowledge(listView(l)) {
		return nil, access.Forbid("deny.ack_list", "party", l.To)
	}
	if l.State != lists.HandedOver {
		return nil, Conflict("err.list.state_not_handed_over", "list", id, "state", msg.Enum{Kind: "svc_list_state", Code: string(l.State)})
	}
	if err := tx.SetListState(ctx, id, lists.HandedOver, lists.Acknowledged, ""); err != nil {
		return nil, changedMeanwhile(err)
	}
	return l, s.recordEvent(ctx, tx, actor, listAcknowledgedEvent(l))
}

func (s *Service) header(ctx context.Context, id string) (*lists.List, error) {
	var l *lists.List
	err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		l, err = tx.List(ctx, id)
		return err
	})
	return l, err
}

// DiffLists compares two lists the actor may read.
func (s *Service) DiffLists(ctx context.Context, actor access.Actor, a, b string) (*lists.Diff, error) {
	la, err := s.GetList(ctx, actor, a)
	if err != nil {
		return nil, err
	}
	lb, err := s.GetList(ctx, actor, b)
	if err != nil {
		return nil, err
	}
	return lists.Compare(la, lb), nil
}

// ExportList writes a list in a file format.
func (s *Service) ExportList(ctx context.Context, actor access.Actor, id string, f listfile.Format, w io.Writer) error {
	l, err := s.GetList(ctx, actor, id)
	if err != nil {
		return err
	}
	persons := make([]person.Person, len(l.Entries))
	for i, e := range l.Entries {
		persons[i] = e.Person
	}
	if err := s.recordAccess(ctx, actor, "list.export", l.ID, len(persons)); err != nil {
		return err
	}
	return listfile.WriteTemp(w, f, listfile.Meta{Title: l.Title, From: l.From, To: l.To, Version: l.Version}, persons, s.Limits.TempDir)
}

// IsNotFound reports whether err means "no such record (that you may see)".
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
