package service

import (
	"context"
	"io"

	"parley/internal/access"
	"parley/internal/listfile"
	"parley/internal/lists"
	"parley/internal/store"
)

// RegistryImportRequest asks to replace a party's registry of missing people.
type RegistryImportRequest struct {
	Party       string
	Format      listfile.Format
	Map         map[string]string
	SkipInvalid bool
	DryRun      bool
	Progress    func(rows int)
}

// ImportRegistry replaces a party's registry with the records of a file, all
// or nothing. A registry is never handed over to anyone.
func (s *Service) ImportRegistry(ctx context.Context, actor access.Actor, req RegistryImportRequest, r io.Reader) (*ImportResult, error) {
	if !actor.CanReadRegistry(req.Party) {
		return nil, access.Deny("only officers of party %s may import its registry", req.Party)
	}
	res, err := listfile.ReadContext(ctx, r, listfile.Options{Format: req.Format, Map: req.Map, Catalogue: s.Catalogue(), Registry: true, Progress: req.Progress, Limits: s.Limits})
	if err != nil {
		return nil, readError(ctx, err)
	}
	out := &ImportResult{Read: res}
	if len(res.Problems) > 0 && !req.SkipInvalid {
		return out, &ImportError{Problems: res.Problems}
	}
	var party store.Party
	if err := s.DB.View(ctx, func(tx *store.Tx) (err error) {
		party, err = tx.Party(ctx, req.Party)
		return err
	}); err != nil {
		return out, invalidf("unknown party %q", req.Party)
	}
	entries := make([]lists.Entry, len(res.Rows))
	for i, row := range res.Rows {
		p := row.Person
		fillLatin(&p, party.Translit)
		entries[i] = lists.Entry{Row: row.Line, Person: p}
	}
	out.Imported = len(entries)
	if req.DryRun {
		return out, nil
	}
	if err := s.DB.Update(ctx, func(tx *store.Tx) error {
		return tx.ReplaceRegistry(ctx, req.Party, entries)
	}); err != nil {
		return out, err
	}
	s.Logger.Info("registry imported", "party", req.Party, "records", len(entries))
	return out, nil
}

// Registry returns a party's registry.
func (s *Service) Registry(ctx context.Context, actor access.Actor, party string) ([]lists.Entry, error) {
	if !actor.CanReadRegistry(party) {
		return nil, access.Deny("a registry is visible to its own party only")
	}
	var out []lists.Entry
	err := s.DB.View(ctx, func(tx *store.Tx) (err error) {
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
