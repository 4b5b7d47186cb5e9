package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"parley/internal/parties"
)

// CreateParty adds a party.
func (tx *Tx) CreateParty(ctx context.Context, p parties.Party) error {
	_, err := tx.Exec(ctx, `INSERT INTO parties (id, name, languages, translit, translit_ru, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		p.ID, p.Name, strings.Join(p.Languages, ","), p.Translit, p.TranslitRU, timeText(now()))
	if err != nil {
		return fmt.Errorf("create party %s: %w", p.ID, err)
	}
	return nil
}

// Parties returns every party, ordered by id.
func (tx *Tx) Parties(ctx context.Context) ([]parties.Party, error) {
	rows, err := tx.Query(ctx, `SELECT id, name, languages, translit, translit_ru FROM parties ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list parties: %w", err)
	}
	defer rows.Close()
	var out []parties.Party
	for rows.Next() {
		var p parties.Party
		var langs string
		if err := rows.Scan(&p.ID, &p.Name, &langs, &p.Translit, &p.TranslitRU); err != nil {
			return nil, err
		}
		if langs != "" {
			p.Languages = strings.Split(langs, ",")
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Party returns one party.
func (tx *Tx) Party(ctx context.Context, id string) (parties.Party, error) {
	var p parties.Party
	var langs string
	err := tx.QueryRow(ctx, `SELECT id, name, languages, translit, translit_ru FROM parties WHERE id = ?`, id).Scan(&p.ID, &p.Name, &langs, &p.Translit, &p.TranslitRU)
	if errors.Is(err, sql.ErrNoRows) {
		return parties.Party{}, fmt.Errorf("party %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return parties.Party{}, fmt.Errorf("read party %s: %w", id, err)
	}
	if langs != "" {
		p.Languages = strings.Split(langs, ",")
	}
	return p, nil
}

// Setting returns a stored setting, or "" when unset.
func (tx *Tx) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := tx.QueryRow(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read setting %s: %w", key, err)
	}
	return v, nil
}

// SetSetting stores a setting.
func (tx *Tx) SetSetting(ctx context.Context, key, value string) error {
	_, err := tx.Exec(ctx, `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("write setting %s: %w", key, err)
	}
	return nil
}
