package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

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

// ftsDriveMax is how many hits of the full-text index a page reads and
// sorts itself; a name found more often is read in the order's index.
// Tests lower it to read both ways.
var ftsDriveMax atomic.Int64

func init() { ftsDriveMax.Store(5000) }

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
	// On SQLite a name search reads the full-text index (migration
	// 00026). The records it finds are counted from the index, looked up
	// by rowid; a page of few of them is read the same way and sorted,
	// while a page of a common name walks the order's index and keeps
	// the records the index found, stopping after the page.
	pf := q.PersonFilter
	match, fts := ftsQuery(pf.Names)
	fts = fts && tx.dialect == SQLite
	if fts {
		pf.Names = nil
	}
	where, args := pf.conds([]string{"party = ?", "removed_version = 0"}, []any{q.Party})
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
	// from is what the count reads, scan what the page reads; their
	// arguments come before the conditions'.
	from, scan := "registry_entries", "registry_entries"
	var fromArgs, scanArgs []any
	scanWhere, scanArgsWhere := where, args
	if fts {
		var hits int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM registry_search WHERE registry_search MATCH ? LIMIT ?) AS hits`, match, ftsDriveMax.Load()).Scan(&hits); err != nil {
			return nil, 0, fmt.Errorf("search registry of %s: %w", q.Party, err)
		}
		// CROSS JOIN keeps the index's hits as the outer loop.
		from, fromArgs = `(SELECT rowid AS hit FROM registry_search WHERE registry_search MATCH ?) AS hits CROSS JOIN registry_entries ON registry_entries.rowid = hits.hit`, []any{match}
		if int64(hits) < ftsDriveMax.Load() {
			scan, scanArgs = from, fromArgs
		} else {
			scanWhere = append(slices.Clip(where), "rowid IN (SELECT rowid FROM registry_search WHERE registry_search MATCH ?)")
			scanArgsWhere = append(slices.Clip(args), match)
		}
	}
	var total int
	if q.Filtered() {
		cond := strings.Join(where, " AND ")
		count := `SELECT COUNT(*) FROM ` + from + ` WHERE ` + cond
		countArgs := append(slices.Clip(fromArgs), args...)
		if q.CountUpTo > 0 {
			count = `SELECT COUNT(*) FROM (SELECT 1 FROM ` + from + ` WHERE ` + cond + ` LIMIT ?) AS upto`
			countArgs = append(countArgs, q.CountUpTo+1)
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
	where, args = scanWhere, scanArgsWhere
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
		offset = 0
	}
	// A page typed by number deep in an unfiltered registry in row order
	// seeks to its first row instead of walking the index up to its
	// offset, when the current records hold every row between the first
	// and the last once: the rows of one version are the rows of one
	// file, so the page at offset k starts k rows after the first.
	if key == nil && offset > 0 && col == "" && !q.Filtered() && !fts {
		var lo, hi int
		// Two subqueries: SQLite reads a lone MIN or MAX from the end of
		// the index, but scans the records for both in one.
		if err := tx.QueryRow(ctx, `SELECT COALESCE((SELECT MIN(row_no) FROM registry_entries WHERE party = ? AND removed_version = 0), 0),
			COALESCE((SELECT MAX(row_no) FROM registry_entries WHERE party = ? AND removed_version = 0), 0)`, q.Party, q.Party).Scan(&lo, &hi); err != nil {
			return nil, 0, fmt.Errorf("bounds of registry of %s: %w", q.Party, err)
		}
		if total > 0 && hi-lo+1 == total {
			if desc {
				where = append(slices.Clip(where), "row_no <= ?")
				args = append(slices.Clip(args), hi-offset)
			} else {
				where = append(slices.Clip(where), "row_no >= ?")
				args = append(slices.Clip(args), lo+offset)
			}
			offset = 0
		}
	}
	cond := strings.Join(where, " AND ")
	order := orderBy(q.Sort, desc, registrySorts)
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	rows, err := tx.Query(ctx, `SELECT record_id, row_no, person, status FROM `+scan+` WHERE `+cond+` ORDER BY `+order+` LIMIT ? OFFSET ?`,
		append(append(slices.Clip(scanArgs), args...), limit, offset)...)
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
