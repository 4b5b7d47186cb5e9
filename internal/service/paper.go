package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"parley/internal/access"
	"parley/internal/ledger"
	"parley/internal/listfile"
	"parley/internal/lists"
	"parley/internal/person"
	"parley/internal/printout"
	"parley/internal/store"
)

// ExportListCSV writes a list as the CSV a clerk opens in a spreadsheet
// (see listfile.WriteClerkCSV), if the actor may read it.
func (s *Service) ExportListCSV(ctx context.Context, actor access.Actor, id string, opts listfile.ExportOptions, w io.Writer) error {
	l, err := s.GetList(ctx, actor, id)
	if err != nil {
		return err
	}
	if err := s.recordAccess(ctx, actor, "list.export", l.ID, len(l.Entries)); err != nil {
		return err
	}
	if opts.Catalogue == nil {
		opts.Catalogue = s.Catalogue()
	}
	return listfile.WriteClerkCSV(w, entryPersons(l.Entries), opts)
}

// ListPrintout gathers what the printed list shows, if the actor may read
// the list: the list, the parties' names and, once handed over, the log's
// receipt of the hand-over.
func (s *Service) ListPrintout(ctx context.Context, actor access.Actor, id, lang string) (*printout.List, error) {
	l, err := s.GetList(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if err := s.recordAccess(ctx, actor, "list.print", l.ID, len(l.Entries)); err != nil {
		return nil, err
	}
	doc := &printout.List{List: l, Lang: lang, Catalogue: s.Catalogue()}
	parties, err := s.Parties(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range parties {
		switch p.ID {
		case l.From:
			doc.FromName = p.Name
		case l.To:
			doc.ToName = p.Name
		}
	}
	if s.lg != nil && l.State != lists.Draft {
		r, err := s.lg.Receipt(ctx, s.db, l.ID)
		switch {
		case errors.Is(err, ledger.ErrNotFound):
		case err != nil:
			return nil, fmt.Errorf("receipt of list %s: %w", l.ID, err)
		default:
			doc.Receipt = r
		}
	}
	return doc, nil
}

// ExportListPDF writes a list as a PDF to print and sign, in lang, and
// returns its page count.
func (s *Service) ExportListPDF(ctx context.Context, actor access.Actor, id, lang string, w io.Writer) (int, error) {
	doc, err := s.ListPrintout(ctx, actor, id, lang)
	if err != nil {
		return 0, err
	}
	return printout.WriteList(w, *doc)
}

// FileCheck is the answer to "does this file hold exactly the persons the
// log recorded for the list?".
type FileCheck struct {
	ListID      string `json:"list_id"`
	ContentHash string `json:"content_hash"` // the receipt's
	FileHash    string `json:"file_hash"`    // of the file's persons under the receipt's list header
	Match       bool   `json:"match"`
	Rows        int    `json:"rows"` // persons in the file
	Recorded    int    `json:"recorded"`
	// Problems are rows of the file that could not be read at all.
	Problems []listfile.Problem `json:"problems,omitempty"`
	// Differences name the rows and fields that differ from the list as
	// recorded; empty when Match.
	Differences []RowDifference `json:"differences,omitempty"`
}

// RowDifference is one way the file differs from the recorded list.
// Kind is "changed" (Field differs: Recorded in the log, File in the
// file), "missing" (a recorded row is not in the file) or "extra" (a row
// of the file was not recorded).
type RowDifference struct {
	Kind     string `json:"kind"`
	Row      int    `json:"row"`      // row of the recorded list ("missing", "changed")
	FileRow  int    `json:"file_row"` // row of the file ("extra", "changed")
	Name     string `json:"name"`
	Field    string `json:"field,omitempty"`
	Recorded string `json:"recorded,omitempty"`
	File     string `json:"file,omitempty"`
}

// CheckListFile checks a list file received on paper's behalf — by e-mail,
// on a USB stick — against the log: the receipt is verified with the log's
// key, the file's persons are hashed under the receipt's list header and
// compared with the content hash the log recorded. When they differ, the
// file is compared with the recorded list, which the actor must be allowed
// to read, to name the rows and fields that differ.
func (s *Service) CheckListFile(ctx context.Context, actor access.Actor, file io.Reader, format listfile.Format, receipt []byte) (*FileCheck, error) {
	if s.lg == nil {
		return nil, Conflict("err.no_log")
	}
	r, err := ledger.VerifyReceipt(receipt, s.lg.VerifierKey())
	if err != nil {
		return nil, invalidErr(err)
	}
	res, err := listfile.Read(file, listfile.Options{Format: format, Catalogue: s.Catalogue()})
	if err != nil {
		return nil, invalidErr(err)
	}
	version, _ := strconv.Atoi(r.Event.Attrs["version"])
	got := &lists.List{ID: r.ListID, From: r.Event.Attrs["from"], To: r.Event.Attrs["to"], Title: r.Event.Attrs["title"], Version: version}
	for _, row := range res.Rows {
		got.Entries = append(got.Entries, lists.Entry{Row: len(got.Entries) + 1, Person: row.Person})
	}
	h, err := lists.ContentHash(got)
	if err != nil {
		return nil, err
	}
	fc := &FileCheck{ListID: r.ListID, ContentHash: r.ContentHash, FileHash: h, Rows: len(got.Entries), Problems: res.Problems}
	n, _ := strconv.Atoi(r.Event.Attrs["entry_count"])
	fc.Recorded = n
	fc.Match = h == r.ContentHash && len(res.Problems) == 0
	if fc.Match {
		return fc, nil
	}
	want, err := s.GetList(ctx, actor, r.ListID)
	if err != nil {
		return nil, err
	}
	if wh, err := lists.ContentHash(want); err != nil || wh != r.ContentHash {
		return nil, fmt.Errorf("list %s as stored does not match the content hash the log recorded", r.ListID)
	}
	fc.Recorded = len(want.Entries)
	fc.Differences = compareRows(want, got)
	return fc, nil
}

// compareRows names how got differs from want. Rows are paired as
// lists.Compare pairs persons, so that one dropped row is named once
// rather than shifting every later row; a person whose row number alone
// moved is named under the field "row".
func compareRows(want, got *lists.List) []RowDifference {
	d := lists.Compare(want, got)
	var out []RowDifference
	// A recorded row and a file row with the same number that matched no
	// one else are one person edited (a changed surname defeats the
	// pairing by identity): name the fields.
	added := map[int]*lists.Entry{}
	for i := range d.Added {
		added[d.Added[i].Row] = &d.Added[i]
	}
	for _, e := range d.Removed {
		if a := added[e.Row]; a != nil {
			delete(added, e.Row)
			for _, f := range person.Fields() {
				if o, n := f.Get(&e.Person), f.Get(&a.Person); o != n {
					out = append(out, RowDifference{Kind: "changed", Row: e.Row, FileRow: a.Row, Name: e.FullName(), Field: f.Name, Recorded: o, File: n})
				}
			}
			continue
		}
		out = append(out, RowDifference{Kind: "missing", Row: e.Row, Name: e.FullName()})
	}
	for _, c := range d.Changed {
		for _, f := range c.Fields {
			out = append(out, RowDifference{Kind: "changed", Row: c.OldRow, FileRow: c.NewRow, Name: c.Name, Field: f.Field, Recorded: f.Old, File: f.New})
		}
	}
	for _, e := range d.Added {
		if added[e.Row] != nil {
			out = append(out, RowDifference{Kind: "extra", FileRow: e.Row, Name: e.FullName()})
		}
	}
	if len(out) == 0 {
		// Same persons, different order.
		byRow := map[int]int{}
		for _, p := range pairRows(want, got) {
			byRow[p[0]] = p[1]
		}
		for _, e := range want.Entries {
			if fr := byRow[e.Row]; fr != e.Row {
				out = append(out, RowDifference{Kind: "changed", Row: e.Row, FileRow: fr, Name: e.FullName(), Field: "row", Recorded: strconv.Itoa(e.Row), File: strconv.Itoa(fr)})
			}
		}
	}
	return out
}

// pairRows pairs rows of identical persons: recorded row → file row.
func pairRows(want, got *lists.List) [][2]int {
	idx := map[string][]int{}
	for _, e := range got.Entries {
		k := e.IdentityKey()
		idx[k] = append(idx[k], e.Row)
	}
	var out [][2]int
	for _, e := range want.Entries {
		k := e.IdentityKey()
		if rows := idx[k]; len(rows) > 0 {
			out = append(out, [2]int{e.Row, rows[0]})
			idx[k] = rows[1:]
		}
	}
	return out
}

// ExportAgreementPDF writes an agreement — the stage, its rule, the
// persons on each side — as a PDF to print and sign, if the actor may see
// it, and returns its page count.
func (s *Service) ExportAgreementPDF(ctx context.Context, actor access.Actor, id, lang string, w io.Writer) (int, error) {
	a, err := s.GetAgreement(ctx, actor, id)
	if err != nil {
		return 0, err
	}
	persons := len(a.Sides[0].Releases) + len(a.Sides[1].Releases)
	if err := s.recordAccess(ctx, actor, "agreement.print", a.ID, persons); err != nil {
		return 0, err
	}
	doc := printout.Agreement{
		ID: a.ID, RoundID: a.RoundID, Parties: a.Parties, Terms: a.Terms, Sides: a.Sides,
		Date: listfile.FormatDate(printout.Lang(lang), a.Date), ContentHash: a.ContentHash, WitnessedBy: a.WitnessedBy,
		Lang: lang, Catalogue: s.Catalogue(),
	}
	parties, err := s.Parties(ctx)
	if err != nil {
		return 0, err
	}
	for _, p := range parties {
		for i := range doc.Parties {
			if p.ID == doc.Parties[i] {
				doc.PartyNames[i] = p.Name
			}
		}
	}
	return printout.WriteAgreement(w, doc)
}

// ExportLeftOffPDF writes the left-off report of a matching run as a PDF,
// if the actor may see the run, under q (the whole report, in q's order),
// and returns its page count.
func (s *Service) ExportLeftOffPDF(ctx context.Context, actor access.Actor, runID, lang string, q TableQuery, w io.Writer) (int, error) {
	q.All = true
	pg, _, err := s.readLeftOffPage(ctx, actor, runID, q)
	if err != nil {
		return 0, err
	}
	if err := s.recordAccess(ctx, actor, "match.left_off", runID, len(pg.Entries)); err != nil {
		return 0, err
	}
	doc := printout.LeftOff{RunID: runID, Entries: leftOffEntries(pg.Entries), Lang: lang, Catalogue: s.Catalogue()}
	err = s.db.View(ctx, func(tx *store.Tx) error {
		run, err := s.loadRun(ctx, tx, actor, runID)
		if err != nil {
			return err
		}
		doc.Party = run.Party
		if l, err := tx.List(ctx, run.ListID); err == nil {
			doc.List = l
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	parties, err := s.Parties(ctx)
	if err != nil {
		return 0, err
	}
	for _, p := range parties {
		if p.ID == doc.Party {
			doc.PartyName = p.Name
		}
	}
	return printout.WriteLeftOff(w, doc)
}
