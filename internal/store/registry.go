package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"parley/internal/lists"
	"parley/internal/matching"
	"parley/internal/person"
)

// RegistryRecord is a record of a registry with its history: the version
// that added it, the one that last changed it, and the one that removed it
// (0 while it is in the registry).
type RegistryRecord struct {
	lists.Entry
	AddedVersion   int `json:"added_version"`
	ChangedVersion int `json:"changed_version"`
	RemovedVersion int `json:"removed_version,omitempty"`
}

// RegistryVersionNumber returns the latest version of a party's registry,
// 0 when it has none.
func (tx *Tx) RegistryVersionNumber(ctx context.Context, party string) (int, error) {
	var v int
	err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM registry_versions WHERE party = ?`, party).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("read registry version of %s: %w", party, err)
	}
	return v, nil
}

// RecordVersions are the versions that added and last changed a record.
type RecordVersions struct{ Added, Changed int }

// InsertRegistryVersion stores a new version of a party's registry: current
// holds every record of the new version, with the versions that added and
// last changed each (versions, in the same order); removed holds the
// records this version removes (with RemovedVersion set); reappeared names
// records that an earlier version removed and this one holds again. diff
// is the version's lists.Diff.
func (tx *Tx) InsertRegistryVersion(ctx context.Context, v *matching.RegistryVersion, current []lists.Entry, versions []RecordVersions, removed []RegistryRecord, reappeared []string, diff *lists.Diff) error {
	v.CreatedAt = now()
	b, err := json.Marshal(diff)
	if err != nil {
		return fmt.Errorf("encode registry diff: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO registry_versions (party, version, source_name, records, added, changed, removed, diff, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		v.Party, v.Version, v.SourceName, v.Records, v.Added, v.Changed, v.Removed, string(b), v.CreatedBy, timeText(v.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert registry version: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM registry_entries WHERE party = ? AND removed_version = 0`, v.Party); err != nil {
		return fmt.Errorf("clear registry of %s: %w", v.Party, err)
	}
	for _, id := range reappeared {
		if _, err := tx.Exec(ctx, `DELETE FROM registry_entries WHERE party = ? AND record_id = ?`, v.Party, id); err != nil {
			return fmt.Errorf("restore registry record %s: %w", id, err)
		}
	}
	ts := timeText(v.CreatedAt)
	cols := []string{"party", "record_id", "row_no", "person", "status", "added_version", "changed_version", "removed_version", "updated_at",
		"searchable", "name_key", "sort_name", "birth", "category_codes"}
	row := func(e *lists.Entry, added, changed, removedIn int) ([]any, error) {
		b, err := json.Marshal(e.Person)
		if err != nil {
			return nil, fmt.Errorf("encode registry row %d: %w", e.Row, err)
		}
		status := e.Status
		if status == "" {
			status = person.StatusMissing
		}
		k := personKeys(&e.Person)
		return []any{v.Party, e.ID, e.Row, string(b), string(status), added, changed, removedIn, ts, 1, k.nameKey, k.sortName, k.birth, k.categories}, nil
	}
	err = tx.insertRows(ctx, "registry_entries", cols, len(current), func(i int) ([]any, error) {
		return row(&current[i], versions[i].Added, versions[i].Changed, 0)
	})
	if err == nil {
		err = tx.insertRows(ctx, "registry_entries", cols, len(removed), func(i int) ([]any, error) {
			r := &removed[i]
			return row(&r.Entry, r.AddedVersion, r.ChangedVersion, r.RemovedVersion)
		})
	}
	if err != nil {
		return fmt.Errorf("insert registry of %s: %w", v.Party, err)
	}
	// PostgreSQL plans a search of the new records by its statistics of
	// the table, which autovacuum would gather only some time after a
	// large import.
	if tx.dialect == Postgres && len(current)+len(removed) >= analyzeAfter {
		if _, err := tx.Exec(ctx, `ANALYZE registry_entries`); err != nil {
			return fmt.Errorf("analyze registry of %s: %w", v.Party, err)
		}
	}
	return nil
}

// analyzeAfter is the size of a registry version after which its import
// gathers PostgreSQL's statistics of the registry.
const analyzeAfter = 10000

// Registry returns the records of a party's registry in its latest
// version, in row order.
func (tx *Tx) Registry(ctx context.Context, party string) ([]lists.Entry, error) {
	recs, err := tx.registryRecords(ctx, party, false)
	if err != nil {
		return nil, err
	}
	out := make([]lists.Entry, len(recs))
	for i := range recs {
		out[i] = recs[i].Entry
	}
	return out, nil
}

// RegistryHistory returns every record a party's registry has held,
// removed ones included, in row order.
func (tx *Tx) RegistryHistory(ctx context.Context, party string) ([]RegistryRecord, error) {
	return tx.registryRecords(ctx, party, true)
}

func (tx *Tx) registryRecords(ctx context.Context, party string, removed bool) ([]RegistryRecord, error) {
	n, err := tx.registryCount(ctx, party, removed)
	if err != nil {
		return nil, err
	}
	out := make([]RegistryRecord, 0, n)
	err = tx.scanRegistry(ctx, party, removed, func(id string, row int, p []byte, v RecordVersions, removedIn int) error {
		r := RegistryRecord{Entry: lists.Entry{ID: id, Row: row}, AddedVersion: v.Added, ChangedVersion: v.Changed, RemovedVersion: removedIn}
		if err := json.Unmarshal(p, &r.Person); err != nil {
			return fmt.Errorf("decode registry record %s: %w", id, err)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// registryCount counts a party's registry records, so that a reader sizes
// its slice once: growing a slice of a million records by doubling
// allocates it about twice over.
func (tx *Tx) registryCount(ctx context.Context, party string, removed bool) (int, error) {
	q := `SELECT COUNT(*) FROM registry_entries WHERE party = ?`
	if !removed {
		q += ` AND removed_version = 0`
	}
	var n int
	if err := tx.QueryRow(ctx, q, party).Scan(&n); err != nil {
		return 0, fmt.Errorf("count registry of %s: %w", party, err)
	}
	return n, nil
}

// scanRegistry calls f for each record of a party's registry (removed
// ones too when removed is set) in row order; p is the record's encoded
// person, valid only during the call.
func (tx *Tx) scanRegistry(ctx context.Context, party string, removed bool, f func(id string, row int, p []byte, v RecordVersions, removedIn int) error) error {
	q := `SELECT record_id, row_no, person, added_version, changed_version, removed_version FROM registry_entries WHERE party = ?`
	if !removed {
		q += ` AND removed_version = 0`
	}
	rows, err := tx.Query(ctx, q+` ORDER BY removed_version, row_no, record_id`, party)
	if err != nil {
		return fmt.Errorf("read registry of %s: %w", party, err)
	}
	defer rows.Close()
	var id string
	var row, removedIn int
	var v RecordVersions
	var b []byte
	for rows.Next() {
		if err := rows.Scan(&id, &row, &b, &v.Added, &v.Changed, &removedIn); err != nil {
			return fmt.Errorf("read registry of %s: %w", party, err)
		}
		if err := f(id, row, b, v, removedIn); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read registry of %s: %w", party, err)
	}
	return nil
}

// RegistryCurrent returns the records of a party's registry in its latest
// version, in row order, with the versions that added and last changed
// each (in the same order), and the ids of the records earlier versions
// removed. It is what a new version is compared with: the records are
// decoded once, straight into the slice the comparison uses, and removed
// records only by id.
func (tx *Tx) RegistryCurrent(ctx context.Context, party string) ([]lists.Entry, []RecordVersions, map[string]bool, error) {
	n, err := tx.registryCount(ctx, party, false)
	if err != nil {
		return nil, nil, nil, err
	}
	entries, versions := make([]lists.Entry, 0, n), make([]RecordVersions, 0, n)
	err = tx.scanRegistry(ctx, party, false, func(id string, row int, p []byte, v RecordVersions, _ int) error {
		entries = append(entries, lists.Entry{ID: id, Row: row})
		if err := json.Unmarshal(p, &entries[len(entries)-1].Person); err != nil {
			return fmt.Errorf("decode registry record %s: %w", id, err)
		}
		versions = append(versions, v)
		return nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	rows, err := tx.Query(ctx, `SELECT record_id FROM registry_entries WHERE party = ? AND removed_version > 0`, party)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read removed records of %s: %w", party, err)
	}
	defer rows.Close()
	removed := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, nil, nil, fmt.Errorf("read removed records of %s: %w", party, err)
		}
		removed[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, nil, nil, fmt.Errorf("read removed records of %s: %w", party, err)
	}
	return entries, versions, removed, nil
}

// RegistryRecords returns the records of a party's registry with the given
// ids, removed ones included, by id.
func (tx *Tx) RegistryRecords(ctx context.Context, party string, ids []string) (map[string]*RegistryRecord, error) {
	out := map[string]*RegistryRecord{}
	const chunk = 500
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		args := []any{party}
		for _, id := range part {
			args = append(args, id)
		}
		rows, err := tx.Query(ctx, `SELECT record_id, row_no, person, added_version, changed_version, removed_version FROM registry_entries
			WHERE party = ? AND record_id IN (?`+strings.Repeat(", ?", len(part)-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("read registry records of %s: %w", party, err)
		}
		for rows.Next() {
			var r RegistryRecord
			var b string
			if err := rows.Scan(&r.ID, &r.Row, &b, &r.AddedVersion, &r.ChangedVersion, &r.RemovedVersion); err != nil {
				rows.Close()
				return nil, err
			}
			if err := json.Unmarshal([]byte(b), &r.Person); err != nil {
				rows.Close()
				return nil, fmt.Errorf("decode registry record %s: %w", r.ID, err)
			}
			out[r.ID] = &r
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// RegistryVersions returns the versions of a party's registry, newest
// first.
func (tx *Tx) RegistryVersions(ctx context.Context, party string) ([]matching.RegistryVersion, error) {
	rows, err := tx.Query(ctx, `SELECT party, version, source_name, records, added, changed, removed, created_by, created_at
		FROM registry_versions WHERE party = ? ORDER BY version DESC`, party)
	if err != nil {
		return nil, fmt.Errorf("read registry versions of %s: %w", party, err)
	}
	defer rows.Close()
	var out []matching.RegistryVersion
	for rows.Next() {
		var v matching.RegistryVersion
		var at string
		if err := rows.Scan(&v.Party, &v.Version, &v.SourceName, &v.Records, &v.Added, &v.Changed, &v.Removed, &v.CreatedBy, &at); err != nil {
			return nil, err
		}
		v.CreatedAt = parseTime(at)
		out = append(out, v)
	}
	return out, rows.Err()
}

// RegistryDiff returns what a version of a party's registry changed.
func (tx *Tx) RegistryDiff(ctx context.Context, party string, version int) (*lists.Diff, error) {
	var b string
	err := tx.QueryRow(ctx, `SELECT diff FROM registry_versions WHERE party = ? AND version = ?`, party, version).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("version %d of the registry of %s: %w", version, party, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read registry diff: %w", err)
	}
	d := &lists.Diff{Added: []lists.Entry{}, Removed: []lists.Entry{}, Changed: []lists.Change{}}
	if b == "" {
		return d, nil
	}
	if err := json.Unmarshal([]byte(b), d); err != nil {
		return nil, fmt.Errorf("decode registry diff: %w", err)
	}
	return d, nil
}
