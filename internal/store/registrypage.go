package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"parley/internal/lists"
	"parley/internal/names"
	"parley/internal/person"
)

// A page of a party's registry, searched, filtered and sorted by the
// database (migration 00025): a registry may hold a million records, and a
// page must answer without reading them.

// registryKeys are the search columns of one registry record.
type registryKeys struct {
	nameKey, sortName, birth, categories string
}

func registrySearch(p *person.Person) registryKeys {
	k := registryKeys{nameKey: names.IndexKey(p.FullName(), p.FullNameLatin()), birth: p.BirthDate.String()}
	// Sorted by the name as shown, folded to its lower-case skeleton (letters
	// and digits only) so that both databases order it alike whatever
	// their collation.
	shown := p.FullName()
	if shown == "" {
		shown = p.FullNameLatin()
	}
	k.sortName = names.SortKey(shown)
	if len(p.Categories) > 0 {
		k.categories = " " + strings.Join(p.Categories, " ") + " "
	}
	return k
}

// KeyRegistry fills the search columns of the records of a party's
// registry stored before they existed, and reports how many it keyed.
func (tx *Tx) KeyRegistry(ctx context.Context, party string) (int, error) {
	rows, err := tx.Query(ctx, `SELECT record_id, removed_version, person FROM registry_entries WHERE party = ? AND searchable = 0`, party)
	if err != nil {
		return 0, fmt.Errorf("read unkeyed registry of %s: %w", party, err)
	}
	type rec struct {
		id      string
		removed int
		keys    registryKeys
	}
	var recs []rec
	for rows.Next() {
		var r rec
		var b string
		if err := rows.Scan(&r.id, &r.removed, &b); err != nil {
			rows.Close()
			return 0, err
		}
		var p person.Person
		if err := json.Unmarshal([]byte(b), &p); err != nil {
			rows.Close()
			return 0, fmt.Errorf("decode registry record %s: %w", r.id, err)
		}
		r.keys = registrySearch(&p)
		recs = append(recs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, r := range recs {
		if _, err := tx.Exec(ctx, `UPDATE registry_entries SET searchable = 1, name_key = ?, sort_name = ?, birth = ?, category_codes = ?
			WHERE party = ? AND record_id = ? AND removed_version = ?`, r.keys.nameKey, r.keys.sortName, r.keys.birth, r.keys.categories, party, r.id, r.removed); err != nil {
			return 0, fmt.Errorf("key registry record %s: %w", r.id, err)
		}
	}
	return len(recs), nil
}

// RegistryQuery selects and orders the current records of a registry.
type RegistryQuery struct {
	Party string
	// Names: every pattern must match the record's name (names.Query).
	Names []names.IndexPattern
	// Birth is a date of birth or its beginning in ISO order ("1997",
	// "1997-12", "1997-12-29").
	Birth      string
	Categories []string // codes; every one must be present
	Status     string
	// Number is a service number or a row number, as typed.
	Number string
	Sort   string // "row" (default), "name", "birth", "status"
	Desc   bool
	Offset int
	Limit  int
}

// Filtered reports whether the query narrows the registry.
func (q *RegistryQuery) Filtered() bool {
	return len(q.Names) > 0 || q.Birth != "" || len(q.Categories) > 0 || q.Status != "" || q.Number != ""
}

// RegistryPage returns one page of the current records under q, and how
// many records q selects in all.
func (tx *Tx) RegistryPage(ctx context.Context, q RegistryQuery) ([]lists.Entry, int, error) {
	where := []string{"party = ?", "removed_version = 0"}
	args := []any{q.Party}
	for _, p := range q.Names {
		if p.Class != "" {
			where = append(where, "(name_key LIKE ? OR name_key LIKE ?)")
			args = append(args, "% "+p.Prefix+"%", "% ="+p.Class+" %")
		} else {
			where = append(where, "name_key LIKE ?")
			args = append(args, "% "+p.Prefix+"%")
		}
	}
	if q.Birth != "" {
		where = append(where, "birth LIKE ?")
		args = append(args, q.Birth+"%")
	}
	for _, c := range q.Categories {
		where = append(where, "category_codes LIKE ?")
		args = append(args, "% "+c+" %")
	}
	if q.Status != "" {
		where = append(where, "status = ?")
		args = append(args, q.Status)
	}
	if q.Number != "" {
		where = append(where, "(person LIKE ? OR CAST(row_no AS TEXT) = ?)")
		args = append(args, `%"service_number":"`+strings.NewReplacer(`%`, ``, `_`, ``, `"`, ``).Replace(q.Number)+`%`, q.Number)
	}
	cond := strings.Join(where, " AND ")
	var total int
	if q.Filtered() {
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM registry_entries WHERE `+cond, args...).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("count registry of %s: %w", q.Party, err)
		}
	} else {
		// The count of the whole registry is kept with its version.
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(records), 0) FROM registry_versions WHERE party = ? AND version = (SELECT MAX(version) FROM registry_versions WHERE party = ?)`, q.Party, q.Party).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("count registry of %s: %w", q.Party, err)
		}
	}
	order := map[string]string{"name": "sort_name", "birth": "birth", "status": "status"}[q.Sort]
	dir := ""
	if q.Desc {
		dir = " DESC"
	}
	if order == "" {
		order = "row_no" + dir
	} else {
		order += dir + ", row_no" + dir
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	rows, err := tx.Query(ctx, `SELECT record_id, row_no, person, status FROM registry_entries WHERE `+cond+` ORDER BY `+order+` LIMIT ? OFFSET ?`,
		append(args, limit, max(q.Offset, 0))...)
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
	return out, total, rows.Err()
}
