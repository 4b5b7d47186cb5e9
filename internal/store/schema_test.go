package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"

	"parley/internal/store"
	"parley/internal/store/storetest"
)

// schema is what both databases must agree on after every migration:
// the tables, their columns and which may be NULL, the primary keys and
// the sets of columns kept unique (constraints and unique indexes alike).
type schema map[string]*table

type table struct {
	Columns map[string]bool // column → NOT NULL
	Primary string          // primary key columns, in key order, comma-separated
	Unique  []string        // each unique column set, "a,b" (partial ones marked "where")
}

// notShared are the tables one dialect keeps for its own machinery.
var notShared = map[string]bool{"goose_db_version": true}

// TestSchemasAgree migrates a fresh SQLite and a fresh PostgreSQL database
// and compares what they hold: the two migration directories are kept by
// hand, and a column missed in one of them would otherwise surface only
// when that backend is used.
func TestSchemasAgree(t *testing.T) {
	ctx := context.Background()
	lite, err := store.Open(ctx, t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	pg, err := store.Open(ctx, t.TempDir(), storetest.NewPostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	a, err := sqliteSchema(ctx, lite.SQL())
	if err != nil {
		t.Fatal(err)
	}
	b, err := postgresSchema(ctx, pg.SQL())
	if err != nil {
		t.Fatal(err)
	}
	if len(a) < 10 {
		t.Fatalf("SQLite schema has only %d tables: %v", len(a), slices.Sorted(maps.Keys(a)))
	}
	for _, d := range compareSchemas(a, b) {
		t.Error(d)
	}
	var cols, uniques int
	for _, tb := range a {
		cols += len(tb.Columns)
		uniques += len(tb.Unique)
	}
	t.Logf("compared %d tables, %d columns, %d unique column sets", len(a), cols, uniques)
}

// TestCompareSchemasFindsDifferences: the comparison itself notices each
// kind of difference it is meant to catch.
func TestCompareSchemasFindsDifferences(t *testing.T) {
	base := func() schema {
		return schema{"t": {Columns: map[string]bool{"id": true, "x": false}, Primary: "id", Unique: []string{"x"}}}
	}
	for _, c := range []struct {
		name string
		edit func(s schema)
		want string
	}{
		{"missing table", func(s schema) { s["u"] = &table{Columns: map[string]bool{}} }, "table u"},
		{"missing column", func(s schema) { s["t"].Columns["y"] = false }, "column t.y"},
		{"nullability", func(s schema) { s["t"].Columns["x"] = true }, "t.x NOT NULL"},
		{"primary key", func(s schema) { s["t"].Primary = "id,x" }, "primary key of t"},
		{"unique", func(s schema) { s["t"].Unique = nil }, "unique"},
	} {
		t.Run(c.name, func(t *testing.T) {
			changed := base()
			c.edit(changed)
			diffs := compareSchemas(base(), changed)
			if len(diffs) == 0 || !strings.Contains(strings.Join(diffs, "\n"), c.want) {
				t.Errorf("differences %q, want one naming %q", diffs, c.want)
			}
		})
	}
	if d := compareSchemas(base(), base()); len(d) != 0 {
		t.Errorf("equal schemas differ: %q", d)
	}
}

func compareSchemas(lite, pg schema) []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(lite)) {
		if pg[name] == nil {
			out = append(out, fmt.Sprintf("table %s is in SQLite only", name))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(pg)) {
		a, b := lite[name], pg[name]
		if a == nil {
			out = append(out, fmt.Sprintf("table %s is in PostgreSQL only", name))
			continue
		}
		for _, col := range slices.Sorted(maps.Keys(a.Columns)) {
			if _, ok := b.Columns[col]; !ok {
				out = append(out, fmt.Sprintf("column %s.%s is in SQLite only", name, col))
			}
		}
		for _, col := range slices.Sorted(maps.Keys(b.Columns)) {
			nn, ok := a.Columns[col]
			switch {
			case !ok:
				out = append(out, fmt.Sprintf("column %s.%s is in PostgreSQL only", name, col))
			case nn != b.Columns[col]:
				out = append(out, fmt.Sprintf("%s.%s NOT NULL: SQLite %v, PostgreSQL %v", name, col, nn, b.Columns[col]))
			}
		}
		if a.Primary != b.Primary {
			out = append(out, fmt.Sprintf("primary key of %s: SQLite (%s), PostgreSQL (%s)", name, a.Primary, b.Primary))
		}
		if !slices.Equal(a.Unique, b.Unique) {
			out = append(out, fmt.Sprintf("unique column sets of %s: SQLite %q, PostgreSQL %q", name, a.Unique, b.Unique))
		}
	}
	return out
}

// sqliteSchema leaves out virtual tables (full-text indexes, 00026) and
// their shadow tables, which are SQLite's own index structures.
func sqliteSchema(ctx context.Context, db *sql.DB) (schema, error) {
	rows, err := db.QueryContext(ctx, `SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		return nil, err
	}
	names, err := strings1(rows)
	if err != nil {
		return nil, err
	}
	s := schema{}
	for _, name := range names {
		if notShared[name] {
			continue
		}
		t := &table{Columns: map[string]bool{}}
		s[name] = t
		rows, err := db.QueryContext(ctx, `SELECT name, "notnull", pk FROM pragma_table_info(?) ORDER BY pk, cid`, name)
		if err != nil {
			return nil, err
		}
		var pk []string
		for rows.Next() {
			var col string
			var nn, k int
			if err := rows.Scan(&col, &nn, &k); err != nil {
				rows.Close()
				return nil, err
			}
			// PostgreSQL makes primary key columns NOT NULL; SQLite only
			// says so when the migration does.
			t.Columns[col] = nn != 0 || k > 0
			if k > 0 {
				pk = append(pk, col)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		t.Primary = strings.Join(pk, ",")
		rows, err = db.QueryContext(ctx, `SELECT name, partial FROM pragma_index_list(?) WHERE "unique" = 1 AND origin <> 'pk'`, name)
		if err != nil {
			return nil, err
		}
		type idx struct {
			name    string
			partial bool
		}
		var idxs []idx
		for rows.Next() {
			var x idx
			if err := rows.Scan(&x.name, &x.partial); err != nil {
				rows.Close()
				return nil, err
			}
			idxs = append(idxs, x)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, x := range idxs {
			rows, err := db.QueryContext(ctx, `SELECT coalesce(name, '<expr>') FROM pragma_index_info(?) ORDER BY seqno`, x.name)
			if err != nil {
				return nil, err
			}
			cols, err := strings1(rows)
			if err != nil {
				return nil, err
			}
			t.Unique = append(t.Unique, uniqueKey(cols, x.partial))
		}
		sort.Strings(t.Unique)
	}
	return s, nil
}

func postgresSchema(ctx context.Context, db *sql.DB) (schema, error) {
	rows, err := db.QueryContext(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	if err != nil {
		return nil, err
	}
	names, err := strings1(rows)
	if err != nil {
		return nil, err
	}
	s := schema{}
	for _, name := range names {
		if !notShared[name] {
			s[name] = &table{Columns: map[string]bool{}}
		}
	}
	rows, err = db.QueryContext(ctx, `SELECT table_name, column_name, is_nullable FROM information_schema.columns WHERE table_schema = current_schema()`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var tbl, col, nullable string
		if err := rows.Scan(&tbl, &col, &nullable); err != nil {
			rows.Close()
			return nil, err
		}
		if t := s[tbl]; t != nil {
			t.Columns[col] = nullable == "NO"
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Every unique index, whether a constraint made it or CREATE UNIQUE
	// INDEX did, with its columns in index order.
	rows, err = db.QueryContext(ctx, `
		SELECT t.relname, ix.indisprimary, ix.indpred IS NOT NULL,
		       array_to_string(ARRAY(
		         SELECT coalesce(a.attname, '<expr>')
		         FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
		         LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
		         ORDER BY k.ord), ',')
		FROM pg_index ix
		JOIN pg_class t ON t.oid = ix.indrelid
		JOIN pg_namespace n ON n.oid = t.relnamespace
		WHERE n.nspname = current_schema() AND ix.indisunique`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var tbl, cols string
		var primary, partial bool
		if err := rows.Scan(&tbl, &primary, &partial, &cols); err != nil {
			rows.Close()
			return nil, err
		}
		t := s[tbl]
		if t == nil {
			continue
		}
		if primary {
			t.Primary = cols
			continue
		}
		t.Unique = append(t.Unique, uniqueKey(strings.Split(cols, ","), partial))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, t := range s {
		sort.Strings(t.Unique)
	}
	return s, nil
}

func uniqueKey(cols []string, partial bool) string {
	k := strings.Join(cols, ",")
	if partial {
		k += " where"
	}
	return k
}

func strings1(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
