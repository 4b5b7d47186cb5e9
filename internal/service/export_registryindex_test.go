package service

import (
	"context"

	"parley/internal/access"
	"parley/internal/lists"
	"parley/internal/matching"
	"parley/internal/parties"
	"parley/internal/person"
	"parley/internal/store"
)

// RegistryIndexBuilds is how many registry matching indexes s has built.
func RegistryIndexBuilds(s *Service) int { return s.registryIndexes.buildCount() }

// RegistryIndexUpdates is how many kept registry indexes s has updated to
// a newer registry version.
func RegistryIndexUpdates(s *Service) int { return s.registryIndexes.updateCount() }

// ForgetRegistryIndexes drops s's kept registry indexes.
func ForgetRegistryIndexes(s *Service) { s.registryIndexes.forget() }

// SeedRegistry makes persons the next version of party's registry as
// ImportRegistry would — the same ids, diff, review reopening and one
// transaction — but without writing and parsing a file: a benchmark of a
// million records sets its registry up in a minute this way instead of
// spending most of its time in the file reader. Each person's Row is its
// place in persons plus 2 (the line of a file with a header).
func SeedRegistry(ctx context.Context, s *Service, actor access.Actor, party string, persons []person.Person) (*matching.RegistryVersion, *lists.Diff, error) {
	var p parties.Party
	if err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		p, err = tx.Party(ctx, party)
		return err
	}); err != nil {
		return nil, nil, err
	}
	entries := make([]lists.Entry, len(persons))
	for i := range persons {
		entries[i] = lists.Entry{Row: i + 2, Person: persons[i]}
		fillLatin(&entries[i].Person, p)
	}
	var v *matching.RegistryVersion
	var d *lists.Diff
	err := s.db.Update(ctx, func(tx *store.Tx) (err error) {
		v, d, err = s.newRegistryVersion(ctx, tx, actor, RegistryImportRequest{Party: party, SourceName: "seed"}, entries)
		return err
	})
	return v, d, err
}
