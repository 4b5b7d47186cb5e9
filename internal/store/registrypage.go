package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"parley/internal/lists"
	"parley/internal/person"
)

// A page of a party's registry, searched, filtered and sorted by the
// database (migration 00025): a registry may hold a million records, and a
// page must answer without reading them.

// KeyRegistry fills the search columns of the records of a party's
// registry stored before they existed, and reports how many it keyed.
func (tx *Tx) KeyRegistry(ctx context.Context, party string) (int, error) {
	return tx.keyRows(ctx, "registry of "+party,
		`SELECT record_id, removed_version, person FROM registry_entries WHERE party = ? AND searchable = 0`,
		`UPDATE registry_entries SET searchable = 1, name_key = ?, sort_name = ?, birth = ?, category_codes = ? WHERE party = ? AND record_id = ? AND removed_version = ?`, party)
}

// RegistryQuery selects and orders the current records of a registry.
type RegistryQuery struct {
	Party string
	PersonFilter
	Status string
	// Statuses, when set, keep only records in one of them.
	Statuses []string
	// Exclude leaves out these records (by record id).
	Exclude []string
	Sort    string // "row" (default), "name", "birth", "status"
	Desc    bool
	Offset  int
	Limit   int
	// CountUpTo, when above 0, bounds the count of a query that narrows
	// the registry: at most CountUpTo+1 records are counted, so a total
	// above CountUpTo says only that there are more. A page view need
	// not count a million matches.
	CountUpTo int
	// After, when set, starts the page just after this record of the
	// order (a keyset page, which reads from the index where the last
	// page ended instead of walking it from the start); Before ends the
	// page just before it. Offset is then ignored.
	After, Before *RegistryKey
}

// RegistryKey is a record's place in an order of the registry: its value
// of the sort column and its row.
type RegistryKey struct {
	Value string
	Row   int
}

// registrySorts are the columns of the sorts of a registry's page.
var registrySorts = map[string]string{"name": "sort_name", "birth": "birth", "status": "status"}

// RegistryKeyOf returns an entry's place in the registry's order by sort
// (RegistryQuery.Sort): the same value the search columns hold.
func RegistryKeyOf(e *lists.Entry, sort string) RegistryKey {
	k := RegistryKey{Row: e.Row}
	switch sort {
	case "name":
		k.Value = personKeys(&e.Person).sortName
	case "birth":
		k.Value = e.Person.BirthDate.String()
	case "status":
		k.Value = string(e.Status)
		if k.Value == "" {
			k.Value = string(person.StatusMissing)
		}
	}
	return k
}

// Filtered reports whether the query narrows the registry.
func (q *RegistryQuery) Filtered() bool {
	return q.PersonFilter.Filtered() || q.Status != "" || len(q.Statuses) > 0 || len(q.Exclude) > 0
}

// RegistryPage returns one page of the current records under q, and how
// many records q selects in all (up to q.CountUpTo+1 when that is set).
func (tx *Tx) RegistryPage(ctx context.Context, q RegistryQuery) ([]lists.Entry, int, error) {
	fts := ""
	if tx.dialect == SQLite {
		fts = "registry_search"
	}
	where, args := q.PersonFilter.condsIndexed([]string{"party = ?", "removed_version = 0"}, []any{q.Party}, fts)
	if q.Status != "" {
		where = append(where, "status = ?")
		args = append(args, q.Status)
	}
	if len(q.Statuses) > 0 {
		where = append(where, "status IN ("+placeholders(len(q.Statuses))+")")
		for _, st := range q.Statuses {
			args = append(args, st)
		}
	}
	if len(q.Exclude) > 0 {
		where = append(where, "record_id NOT IN ("+placeholders(len(q.Exclude))+")")
		for _, id := range q.Exclude {
			args = append(args, id)
		}
	}
	cond := strings.Join(where, " AND ")
	var total int
	if q.Filtered() {
		count := `SELECT COUNT(*) FROM registry_entries WHERE ` + cond
		countArgs := args
		if q.CountUpTo > 0 {
			count = `SELECT COUNT(*) FROM (SELECT 1 FROM registry_entries WHERE ` + cond + ` LIMIT ?) AS upto`
			countArgs = append(slices.Clip(args), q.CountUpTo+1)
		}
		if err := tx.QueryRow(ctx, count, countArgs...).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("count registry of %s: %w", q.Party, err)
		}
	} else {
		// The count of the whole registry is kept with its version.
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(records), 0) FROM registry_versions WHERE party = ? AND version = (SELECT MAX(version) FROM registry_versions WHERE party = ?)`, q.Party, q.Party).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("count registry of %s: %w", q.Party, err)
		}
	}
	// A page before a record is read in the reverse order and turned
	// round.
	desc, key, offset := q.Desc, q.After, max(q.Offset, 0)
	if q.Before != nil {
		desc, key = !desc, q.Before
	}
	col := registrySorts[q.Sort]
	if key != nil {
		op := " > "
		if desc {
			op = " < "
		}
		if col == "" {
			where = append(where, "row_no"+op+"?")
			args = append(args, key.Row)
		} else {
			where = append(where, "("+col+", row_no)"+op+"(?, ?)")
			args = append(args, key.Value, key.Row)
		}
		cond, offset = strings.Join(where, " AND "), 0
	}
	order := orderBy(q.Sort, desc, registrySorts)
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	rows, err := tx.Query(ctx, `SELECT record_id, row_no, person, status FROM registry_entries WHERE `+cond+` ORDER BY `+order+` LIMIT ? OFFSET ?`,
		append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("read registry page of %s: %w", q.Party, err)
	}
	defer rows.Close()
	out := []lists.Entry{}
	for rows.Next() {
		var e lists.Entry
		var b, status string
		if err := rows.Scan(&e.ID, &e.Row, &b, &status); err != nil {
			return nil, 0, err
		}
		if err := json.Unmarshal([]byte(b), &e.Person); err != nil {
			return nil, 0, fmt.Errorf("decode registry record %s: %w", e.ID, err)
		}
		e.Status = person.Status(status)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if q.Before != nil {
		slices.Reverse(out)
	}
	return out, total, nil
}
