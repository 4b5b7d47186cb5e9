package store

import (
	"context"
	"database/sql"
	"strings"
)

// insertBatchSize is how many rows one multi-row INSERT carries: one
// statement per row is slow on PostgreSQL for lists of thousands, and both
// databases cap the number of parameters of one statement (SQLite at 32,766).
const insertBatchSize = 200

// insertRows inserts n rows into table in batches of multi-row INSERT
// statements. row returns the values of row i, one per column.
func (tx *Tx) insertRows(ctx context.Context, table string, columns []string, n int, row func(i int) ([]any, error)) error {
	if n == 0 {
		return nil
	}
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(columns)), ", ") + ")"
	head := "INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES "
	for start := 0; start < n; start += insertBatchSize {
		end := min(start+insertBatchSize, n)
		var q strings.Builder
		q.WriteString(head)
		args := make([]any, 0, (end-start)*len(columns))
		for i := start; i < end; i++ {
			if i > start {
				q.WriteString(", ")
			}
			q.WriteString(tuple)
			vals, err := row(i)
			if err != nil {
				return err
			}
			args = append(args, vals...)
		}
		if _, err := tx.Exec(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// scanStrings reads every row of a one-column query of text, closing rows.
func scanStrings(rows *sql.Rows) ([]string, error) {
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
