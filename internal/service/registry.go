package service

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"

	"parley/internal/access"
	"parley/internal/listfile"
	"parley/internal/lists"
	"parley/internal/matching"
	"parley/internal/parties"
	"parley/internal/store"
)

// RegistryImportRequest asks to replace a party's registry of missing people.
type RegistryImportRequest struct {
	Party       string
	Format      listfile.Format
	Map         map[string]string
	SkipInvalid bool
	DryRun      bool
	SourceName  string
	Progress    func(rows int)
}

// errDryRun rolls back the transaction of a dry run.
var errDryRun = errors.New("dry run")

// ImportRegistry makes the records of a file the next version of a party's
// registry, all or nothing, with a diff against the version before. A
// registry is never handed over to anyone.
func (s *Service) ImportRegistry(ctx context.Context, actor access.Actor, req RegistryImportRequest, r io.Reader) (*ImportResult, error) {
	if err := s.refuseOnHub(RefuseRegistry); err != nil {
		return nil, err
	}
	if !actor.CanReadRegistry(req.Party) {
		return nil, access.Forbid("deny.import_registry", "party", req.Party)
	}
	res, err := listfile.ReadContext(ctx, r, listfile.Options{Format: req.Format, Map: req.Map, Catalogue: s.Catalogue(), Registry: true, Progress: req.Progress, Limits: s.Limits})
	if err != nil {
		return nil, readError(ctx, err)
	}
	out := &ImportResult{Read: res}
	if len(res.Problems) > 0 && !req.SkipInvalid {
		return out, &ImportError{Problems: res.Problems}
	}
	var party parties.Party
	if err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		party, err = tx.Party(ctx, req.Party)
		return err
	}); err != nil {
		return out, Invalid("err.unknown_party", "party", req.Party)
	}
	entries := make([]lists.Entry, len(res.Rows))
	for i, row := range res.Rows {
		p := row.Person
		fillLatin(&p, party)
		entries[i] = lists.Entry{Row: row.Line, Person: p}
	}
	// The rows now live in entries; a registry of a million records is not
	// kept twice.
	res.Rows = nil
	out.Imported = len(entries)
	// A dry run makes the version in a transaction that is then rolled
	// back, so that its diff (what would be added, changed and removed) is
	// the one the real import would record.
	if err := s.db.Update(ctx, func(tx *store.Tx) error {
		v, diff, err := s.newRegistryVersion(ctx, tx, actor, req, entries)
		out.Registry, out.RegistryDiff = v, diff
		if err == nil && req.DryRun {
			return errDryRun
		}
		return err
	}); err != nil && !errors.Is(err, errDryRun) {
		return out, err
	}
	if req.DryRun {
		return out, nil
	}
	s.Logger.Info("registry imported", "party", req.Party, "records", len(entries), "version", out.Registry.Version,
		"added", out.Registry.Added, "changed", out.Registry.Changed, "removed", out.Registry.Removed)
	return out, nil
}

// Reasons, as codes, why a reviewed match went back to pending. Params:
// "side" (list or registry), and "field", "from", "to" for a change, or
// "fields" (names joined by ",") when more than one field changed.
const (
	ReviewReasonDOBChanged      = "dob_changed"
	ReviewReasonNameChanged     = "name_changed"
	ReviewReasonRecordChanged   = "record_changed"
	ReviewReasonRegistryRemoved = "registry_removed"
)

// identityChanges keeps the changes that bear on who a record is: a new
// category, registry status, note or address does not make a reviewed
// identity doubtful, a new name, date of birth or number does.
func identityChanges(fields []lists.FieldChange) []lists.FieldChange {
	var out []lists.FieldChange
	for _, f := range fields {
		switch f.Field {
		case "categories", "status", "notes", "person_to_inform", "correspondence_address":
			continue
		}
		if strings.HasPrefix(f.Field, "extra:") {
			continue
		}
		out = append(out, f)
	}
	return out
}

// changeReason says, as a code and parameters, what changed in a record.
func changeReason(side string, fields []lists.FieldChange) (string, map[string]string) {
	for _, f := range fields {
		if f.Field == "birth_date" {
			return ReviewReasonDOBChanged, map[string]string{"side": side, "field": f.Field, "from": f.Old, "to": f.New}
		}
	}
	for _, f := range fields {
		switch f.Field {
		case "surname", "given_names", "patronymic", "surname_latin", "given_names_latin", "patronymic_latin":
			return ReviewReasonNameChanged, map[string]string{"side": side, "field": f.Field, "from": f.Old, "to": f.New}
		}
	}
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Field
	}
	return ReviewReasonRecordChanged, map[string]string{"side": side, "fields": strings.Join(names, ",")}
}

// newRegistryVersion stores entries as the next version of the party's
// registry. Each record keeps the id of the same person in the version
// before (lists.Pair), else takes the party's record id, else a new one; a
// reviewed match whose registry record changed goes back to pending with
// the reason, and one whose record was removed is flagged.
func (s *Service) newRegistryVersion(ctx context.Context, tx *store.Tx, actor access.Actor, req RegistryImportRequest, entries []lists.Entry) (*matching.RegistryVersion, *lists.Diff, error) {
	latest, err := tx.RegistryVersionNumber(ctx, req.Party)
	if err != nil {
		return nil, nil, err
	}
	// The current records only, decoded once into the slice that is
	// paired: a registry of a million is held as the old version and the
	// new one, not also as its history or a copy.
	current, currentVersions, removedBefore, err := tx.RegistryCurrent(ctx, req.Party)
	if err != nil {
		return nil, nil, err
	}
	version := latest + 1
	pairs, removed, _ := AssignEntryIDs(current, entries)
	diff := &lists.Diff{Added: []lists.Entry{}, Removed: []lists.Entry{}, Changed: []lists.Change{}}
	versions := make([]store.RecordVersions, len(entries))
	var gone []store.RegistryRecord
	pairedOld := make([]int, len(entries))
	for j := range pairedOld {
		pairedOld[j] = -1
	}
	for _, p := range pairs {
		pairedOld[p.New] = p.Old
	}
	var reappeared []string
	v := &matching.RegistryVersion{Party: req.Party, Version: version, SourceName: req.SourceName, Records: len(entries), CreatedBy: actor.String()}
	for j := range entries {
		e := &entries[j]
		versions[j] = store.RecordVersions{Added: version, Changed: version}
		if i := pairedOld[j]; i >= 0 {
			old := &current[i]
			versions[j] = currentVersions[i]
			if fields := lists.FieldChanges(&old.Person, &e.Person); len(fields) > 0 {
				versions[j].Changed = version
				diff.Changed = append(diff.Changed, lists.Change{OldRow: old.Row, NewRow: e.Row, ID: e.ID, Name: e.FullName(), Fields: fields})
				if idf := identityChanges(fields); len(idf) > 0 {
					code, params := changeReason("registry", idf)
					if _, err := tx.ReopenReviews(ctx, req.Party, e.ID, code, params, false); err != nil {
						return nil, nil, err
					}
				}
			}
		} else {
			if removedBefore[e.ID] {
				reappeared = append(reappeared, e.ID)
			}
			diff.Added = append(diff.Added, *e)
		}
	}
	for _, i := range removed {
		old := store.RegistryRecord{Entry: current[i], AddedVersion: currentVersions[i].Added, ChangedVersion: currentVersions[i].Changed, RemovedVersion: version}
		gone = append(gone, old)
		diff.Removed = append(diff.Removed, old.Entry)
		if _, err := tx.ReopenReviews(ctx, req.Party, old.ID, ReviewReasonRegistryRemoved, map[string]string{"side": "registry", "version": strconv.Itoa(version)}, true); err != nil {
			return nil, nil, err
		}
	}
	v.Added, v.Changed, v.Removed = len(diff.Added), len(diff.Changed), len(diff.Removed)
	if err := tx.InsertRegistryVersion(ctx, v, entries, versions, gone, reappeared, diff); err != nil {
		return nil, nil, err
	}
	// The log records that a version was imported and its size, never the
	// records: a registry does not leave its party.
	err = s.recordEvent(ctx, tx, actor, Event{Type: "registry.version", Subject: req.Party, Attrs: map[string]string{
		"party": req.Party, "version": strconv.Itoa(version), "records": strconv.Itoa(len(entries)),
		"added": strconv.Itoa(v.Added), "changed": strconv.Itoa(v.Changed), "removed": strconv.Itoa(v.Removed),
	}})
	return v, diff, err
}

// RegistryVersions returns the versions of a party's registry, newest
// first.
func (s *Service) RegistryVersions(ctx context.Context, actor access.Actor, party string) ([]matching.RegistryVersion, error) {
	if !actor.CanReadRegistry(party) {
		return nil, access.Forbid("deny.registry_own")
	}
	var out []matching.RegistryVersion
	err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		out, err = tx.RegistryVersions(ctx, party)
		return err
	})
	return out, err
}

// RegistryDiff returns what a version of a party's registry changed.
func (s *Service) RegistryDiff(ctx context.Context, actor access.Actor, party string, version int) (*lists.Diff, error) {
	if !actor.CanReadRegistry(party) {
		return nil, access.Forbid("deny.registry_own")
	}
	var out *lists.Diff
	err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		out, err = tx.RegistryDiff(ctx, party, version)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := s.recordAccess(ctx, actor, "registry.diff", party, len(out.Added)+len(out.Changed)+len(out.Removed)); err != nil {
		return nil, err
	}
	return out, nil
}

// Registry returns a party's registry.
func (s *Service) Registry(ctx context.Context, actor access.Actor, party string) ([]lists.Entry, error) {
	if !actor.CanReadRegistry(party) {
		return nil, access.Forbid("deny.registry_own")
	}
	var out []lists.Entry
	err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		if _, err := tx.Party(ctx, party); err != nil {
			return err
		}
		out, err = tx.Registry(ctx, party)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := s.recordAccess(ctx, actor, "registry.view", party, len(out)); err != nil {
		return nil, err
	}
	return out, nil
}
