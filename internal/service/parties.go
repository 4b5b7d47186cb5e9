package service

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"

	"parley/internal/access"
	"parley/internal/category"
	"parley/internal/parties"
	"parley/internal/store"
)

var partyIDPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,31}$`)

// ValidatePartyID checks a party id: a letter, then letters, digits, "_" or
// "-", at most 32 characters.
func ValidatePartyID(id string) error {
	if !partyIDPattern.MatchString(id) {
		return Invalid("err.party.id", "party", id)
	}
	return nil
}

// CreateParties adds the parties of a new installation in one transaction.
func (s *Service) CreateParties(ctx context.Context, parties []parties.Party) error {
	if len(parties) < 2 {
		return Invalid("err.party.too_few", "count", len(parties))
	}
	seen := map[string]bool{}
	for _, p := range parties {
		if err := ValidatePartyID(p.ID); err != nil {
			return err
		}
		if seen[p.ID] {
			return Invalid("err.party.twice", "party", p.ID)
		}
		seen[p.ID] = true
		if p.Name == "" {
			return Invalid("err.party.no_name", "party", p.ID)
		}
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		existing, err := tx.Parties(ctx)
		if err != nil {
			return err
		}
		if len(existing) > 0 {
			return Conflict("err.party.configured")
		}
		for _, p := range parties {
			if err := tx.CreateParty(ctx, p); err != nil {
				return err
			}
		}
		return nil
	})
}

// Parties returns every party. Party names are not personal data.
func (s *Service) Parties(ctx context.Context) ([]parties.Party, error) {
	var out []parties.Party
	err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		out, err = tx.Parties(ctx)
		return err
	})
	return out, err
}

// AddCategory adds an operator-defined category.
func (s *Service) AddCategory(ctx context.Context, actor access.Actor, c category.Category) error {
	if !actor.CanMediate() && !actor.CanAdminister() {
		return access.Forbid("deny.add_categories")
	}
	// Check against the catalogue in force before writing.
	if _, err := category.NewCatalogue(append(s.extraCategories(), c)...); err != nil {
		return invalidErr(err)
	}
	labels, _ := json.Marshal(c.Labels)
	syn, _ := json.Marshal(c.Synonyms)
	medical := 0
	if c.Medical {
		medical = 1
	}
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO categories (code, labels, synonyms, medical, created_at) VALUES (?, ?, ?, ?, ?)`,
			c.Code, string(labels), string(syn), medical, s.Now().UTC().Format("2006-01-02T15:04:05Z"))
		return err
	})
	if err != nil {
		return fmt.Errorf("add category %s: %w", c.Code, err)
	}
	return s.reloadCatalogue(ctx)
}

func (s *Service) extraCategories() []category.Category {
	var out []category.Category
	builtin := map[string]bool{}
	for _, c := range category.Builtin() {
		builtin[c.Code] = true
	}
	for _, c := range s.Catalogue().All() {
		if !builtin[c.Code] {
			out = append(out, c)
		}
	}
	return out
}
