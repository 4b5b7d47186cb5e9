package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
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
// A record read by RegistryCurrent also carries a fingerprint of what is
// stored of it, so that a new version rewrites only the records it
// changes.
type RecordVersions struct {
	Added, Changed int
	stored         uint64 // recordPrint of the stored record; 0 when not read from the store
	row            int    // the stored record's row number, when stored is set
}

// registrySeed keys the fingerprints of stored records. It is drawn anew
// by each process, so that nobody who writes a registry file can make two
// different records print alike, and a fingerprint is never kept.
var registrySeed = maphash.MakeSeed()

// recordPrint fingerprints what a current record's row holds apart from
// its row number: its encoded person (status included) and its versions.
// Never 0. The row number is compared apart, because a record that only
// moved in the file is written more cheaply than one that changed.
func recordPrint(person []byte, v RecordVersions) uint64 {
	var h maphash.Hash
	h.SetSeed(registrySeed)
	var b [16]byte
	binary.LittleEndian.PutUint64(b[0:], uint64(v.Added))
	binary.LittleEndian.PutUint64(b[8:], uint64(v.Changed))
	h.Write(b[:])
	h.Write(person)
	return max(h.Sum64(), 1)
}

// InsertRegistryVersion stores a new version of a party's registry: current
// holds every record of the new version, with the versions that added and
// last changed each (versions, in the same order); removed holds the
// records this version removes (with RemovedVersion set); reappeared names
// records that an earlier version removed and this one holds again. diff
// is the version's lists.Diff.
//
// A version of a registry of a million usually changes a few thousand
// records. When every record the store holds as current is either in
// current, as read by RegistryCurrent in this transaction, or in removed,
// and fewer than half of them change, only the records that differ are
// written: rewriting the whole registry with its five indexes and its
// full-text index took over four minutes at a million records on SQLite.
// A record that only moved to another row (a record added or removed
// above it in the file) gets its new row number alone, which touches
// neither its keys nor the full-text index. Otherwise (a first version,
// most records changed, records passed that were not read from the store)
// the current records are deleted and written again.
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
	ts := timeText(v.CreatedAt)
	// Encode each record once, and see what each needs written.
	encoded := make([][]byte, len(current))
	write := make([]recordWrite, len(current))
	known, toWrite := 0, len(removed)
	for i := range current {
		e := &current[i]
		if encoded[i], err = json.Marshal(e.Person); err != nil {
			return fmt.Errorf("encode registry row %d: %w", e.Row, err)
		}
		vs := versions[i]
		if vs.stored != 0 {
			known++
		}
		switch {
		case vs.stored == 0 || vs.stored != recordPrint(encoded[i], vs):
			write[i] = writeRecord
			toWrite++
		case vs.row != e.Row:
			write[i] = writeRow
		}
	}
	stored, err := tx.registryCount(ctx, v.Party, false)
	if err != nil {
		return err
	}
	incremental := stored > 0 && stored == known+len(removed) && toWrite <= stored/2
	if !incremental {
		if _, err := tx.Exec(ctx, `DELETE FROM registry_entries WHERE party = ? AND removed_version = 0`, v.Party); err != nil {
			return fmt.Errorf("clear registry of %s: %w", v.Party, err)
		}
	}
	for _, id := range reappeared {
		if _, err := tx.Exec(ctx, `DELETE FROM registry_entries WHERE party = ? AND record_id = ?`, v.Party, id); err != nil {
			return fmt.Errorf("restore registry record %s: %w", id, err)
		}
	}
	status := func(e *lists.Entry) string {
		if e.Status == "" {
			return string(person.StatusMissing)
		}
		return string(e.Status)
	}
	cols := []string{"party", "record_id", "row_no", "person", "status", "added_version", "changed_version", "removed_version", "updated_at",
		"searchable", "name_key", "sort_name", "birth", "category_codes"}
	row := func(e *lists.Entry, p []byte, added, changed, removedIn int) []any {
		k := personKeys(&e.Person)
		return []any{v.Party, e.ID, e.Row, string(p), status(e), added, changed, removedIn, ts, 1, k.nameKey, k.sortName, k.birth, k.categories}
	}
	if incremental {
		err = tx.updateRegistryVersion(ctx, v, ts, current, encoded, write, versions, removed, cols, row)
	} else {
		err = tx.insertRows(ctx, "registry_entries", cols, len(current), func(i int) ([]any, error) {
			return row(&current[i], encoded[i], versions[i].Added, versions[i].Changed, 0), nil
		})
		if err == nil {
			err = tx.insertRows(ctx, "registry_entries", cols, len(removed), func(i int) ([]any, error) {
				r := &removed[i]
				p, err := json.Marshal(r.Person)
				if err != nil {
					return nil, fmt.Errorf("encode registry row %d: %w", r.Row, err)
				}
				return row(&r.Entry, p, r.AddedVersion, r.ChangedVersion, r.RemovedVersion), nil
			})
		}
	}
	if err != nil {
		return fmt.Errorf("insert registry of %s: %w", v.Party, err)
	}
	// PostgreSQL plans a search of the new records by its statistics of
	// the table, which autovacuum would gather only some time after a
	// large import.
	if tx.dialect == Postgres && toWrite >= analyzeAfter {
		if _, err := tx.Exec(ctx, `ANALYZE registry_entries`); err != nil {
			return fmt.Errorf("analyze registry of %s: %w", v.Party, err)
		}
	}
	return nil
}

// recordWrite is what a new version writes of a current record.
type recordWrite uint8

const (
	writeNothing recordWrite = iota // stored as it is
	writeRow                        // the same record in another row: its row number
	writeRecord                     // new or changed: the whole row, keys and full-text index
)

// updateRegistryVersion writes the records of a new version that differ
// from what is stored: the new ones inserted, the changed ones updated in
// place (keys and full-text index with them), the moved ones given their
// new row number, the removed ones marked with the version that removed
// them.
func (tx *Tx) updateRegistryVersion(ctx context.Context, v *matching.RegistryVersion, ts string, current []lists.Entry, encoded [][]byte, write []recordWrite,
	versions []RecordVersions, removed []RegistryRecord, cols []string, row func(*lists.Entry, []byte, int, int, int) []any) error {
	for i := range removed {
		r := &removed[i]
		if _, err := tx.Exec(ctx, `UPDATE registry_entries SET removed_version = ?, updated_at = ? WHERE party = ? AND record_id = ? AND removed_version = 0`,
			r.RemovedVersion, ts, v.Party, r.ID); err != nil {
			return fmt.Errorf("remove registry record %s: %w", r.ID, err)
		}
	}
	var fresh, moved []int
	set := strings.Join(cols[2:], " = ?, ") + " = ?" // every column but party and record_id
	update := `UPDATE registry_entries SET ` + set + ` WHERE party = ? AND record_id = ? AND removed_version = 0`
	for i := range current {
		e := &current[i]
		switch {
		case write[i] == writeNothing:
		case write[i] == writeRow:
			moved = append(moved, i)
		case versions[i].stored == 0:
			fresh = append(fresh, i)
		default:
			args := row(e, encoded[i], versions[i].Added, versions[i].Changed, 0)
			if _, err := tx.Exec(ctx, update, append(args[2:], v.Party, e.ID)...); err != nil {
				return fmt.Errorf("update registry record %s: %w", e.ID, err)
			}
		}
	}
	if err := tx.insertRows(ctx, "registry_entries", cols, len(fresh), func(k int) ([]any, error) {
		i := fresh[k]
		return row(&current[i], encoded[i], versions[i].Added, versions[i].Changed, 0), nil
	}); err != nil {
		return err
	}
	return tx.moveRegistryRecords(ctx, v.Party, ts, current, moved)
}

// moveBatchSize is how many records one statement moves. A registry
// version that adds a record near the top moves nearly every record
// below it, and a statement per record costs a round trip each on
// PostgreSQL.
const moveBatchSize = 2000

// moveRegistryRecords gives the current records at the indexes moved
// their new row numbers, a batch of records per statement. The statement
// names no key column, so neither the full-text index nor the name and
// date indexes are rewritten on SQLite.
func (tx *Tx) moveRegistryRecords(ctx context.Context, party, ts string, current []lists.Entry, moved []int) error {
	for start := 0; start < len(moved); start += moveBatchSize {
		batch := moved[start:min(start+moveBatchSize, len(moved))]
		var q strings.Builder
		args := make([]any, 0, 2*len(batch)+2)
		args = append(args, ts)
		q.WriteString(`UPDATE registry_entries SET row_no = m.column2, updated_at = ? FROM (VALUES `)
		for k, i := range batch {
			if k > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, CAST(? AS INTEGER))")
			args = append(args, current[i].ID, current[i].Row)
		}
		q.WriteString(`) AS m WHERE registry_entries.party = ? AND registry_entries.record_id = m.column1 AND registry_entries.removed_version = 0`)
		args = append(args, party)
		res, err := tx.Exec(ctx, q.String(), args...)
		if err != nil {
			return fmt.Errorf("move %d registry records of %s: %w", len(batch), party, err)
		}
		if n, err := res.RowsAffected(); err == nil && n != int64(len(batch)) {
			return fmt.Errorf("move registry records of %s: %d of %d found", party, n, len(batch))
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
		v.stored, v.row = recordPrint(p, v), row
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
