package store

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"parley/internal/names"
	"parley/internal/parties"
	"parley/internal/person"
)

// BenchmarkRegistryPage measures the registry page's queries on a large
// registry (PARLEY_BENCH_REGISTRY records, 1,000,000 by default; on
// PostgreSQL when PARLEY_BENCH_PG is a database URL): the first page, a
// page deep in the registry (by offset, and from the page before it), the
// first page sorted by name and by date of birth, and searches by name
// (common and rare), date and category, counted as a page view counts.
//
//	go test -run '^$' -bench BenchmarkRegistryPage -benchtime 20x ./internal/store/
func BenchmarkRegistryPage(b *testing.B) {
	n := 1000000
	if v, err := strconv.Atoi(os.Getenv("PARLEY_BENCH_REGISTRY")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	db, err := Open(ctx, b.TempDir(), os.Getenv("PARLEY_BENCH_PG"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	surnames := []string{"Шевченко", "Коваленко", "Бондаренко", "Мельник", "Кравченко", "Олійник", "Шевчук", "Поліщук", "Бойко", "Ткачук", "Іваненко", "Петренко"}
	given := []string{"Сергій", "Микола", "Андрій", "Петро", "Іван", "Юрій", "Олег", "Василь", "Тарас", "Дмитро"}
	start := time.Now()
	err = db.Update(ctx, func(tx *Tx) error {
		if err := tx.CreateParty(ctx, parties.Party{ID: "A", Name: "Party A"}); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO registry_versions (party, version, source_name, records, added, changed, removed, diff, created_by, created_at) VALUES ('A', 1, 'bench', ?, ?, 0, 0, '{}', 'bench', ?)`, n, n, timeText(now())); err != nil {
			return err
		}
		cols := []string{"party", "record_id", "row_no", "person", "status", "added_version", "changed_version", "removed_version", "updated_at",
			"searchable", "name_key", "sort_name", "birth", "category_codes"}
		ts := timeText(now())
		return tx.insertRows(ctx, "registry_entries", cols, n, func(i int) ([]any, error) {
			p := person.Person{Kind: person.KindPOW, Surname: surnames[i%len(surnames)], GivenNames: given[(i/7)%len(given)],
				BirthDate: person.Date{Year: 1960 + i%45, Month: 1 + i%12, Day: 1 + i%28}, ServiceNumber: fmt.Sprintf("SN-%07d", i+1)}
			if i%3 == 0 {
				p.Categories = []string{"wounded"}
			}
			if i%50000 == 7 {
				p.Surname = "Гордієнко" // a rare name, found among few
			}
			js, err := json.Marshal(p)
			if err != nil {
				return nil, err
			}
			k := personKeys(&p)
			return []any{"A", fmt.Sprintf("r%d", i+1), i + 1, string(js), "missing", 1, 1, 0, ts, 1, k.nameKey, k.sortName, k.birth, k.categories}, nil
		})
	})
	if err != nil {
		b.Fatal(err)
	}
	if db.Dialect() == Postgres {
		// PostgreSQL plans with the statistics autovacuum gathers soon
		// after a large import; the run plans with them from the start.
		if err := db.Update(ctx, func(tx *Tx) error { _, err := tx.Exec(ctx, `ANALYZE registry_entries`); return err }); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%d records stored in %v", n, time.Since(start).Round(time.Second))
	for _, c := range []struct {
		name string
		q    RegistryQuery
	}{
		{"first page", RegistryQuery{}},
		{"a page in the middle", RegistryQuery{Offset: n / 2}},
		{"a page in the middle, after the page before", RegistryQuery{After: &RegistryKey{Row: n / 2}}},
		{"a page in the middle by name, after the page before", RegistryQuery{Sort: "name", After: &RegistryKey{Value: names.SortKey("Мельник Андрій"), Row: n / 2}}},
		{"sorted by name", RegistryQuery{Sort: "name"}},
		{"sorted by birth, descending", RegistryQuery{Sort: "birth", Desc: true}},
		{"name Shevchenko", RegistryQuery{PersonFilter: PersonFilter{Names: names.NewQuery("Shevchenko").Patterns()}}},
		{"born 01.1996", RegistryQuery{PersonFilter: PersonFilter{Birth: "1996-01"}}},
		{"name prefix only", RegistryQuery{PersonFilter: PersonFilter{Names: []names.IndexPattern{{Prefix: "shevchenko"}}}}},
		{"wounded born 1996", RegistryQuery{PersonFilter: PersonFilter{Birth: "1996", Categories: []string{"wounded"}}}},
		{"name Shevchenko Serhii", RegistryQuery{PersonFilter: PersonFilter{Names: names.NewQuery("Shevchenko Serhii").Patterns()}}},
		{"a rare name, Hordiienko", RegistryQuery{PersonFilter: PersonFilter{Names: names.NewQuery("Hordiienko").Patterns()}}},
		{"a rare name sorted by name", RegistryQuery{Sort: "name", PersonFilter: PersonFilter{Names: names.NewQuery("Гордієнко").Patterns()}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			q := c.q
			// The count stops where the service's page view stops it.
			q.Party, q.Limit, q.CountUpTo = "A", 50, 10000
			for b.Loop() {
				err := db.View(ctx, func(tx *Tx) error {
					es, total, err := tx.RegistryPage(ctx, q)
					if err == nil && (len(es) == 0 || total == 0) {
						err = fmt.Errorf("%s: nothing found", c.name)
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
