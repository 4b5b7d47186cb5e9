package store

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"parley/internal/lists"
	"parley/internal/names"
	"parley/internal/person"
)

// Tables of persons — a registry (migration 00025) and the entries of a
// list (migration 00024) — are searched, filtered, sorted and paged by the
// database: each row carries the same search columns, and one filter reads
// them for both.

// searchKeys are the search columns of one person's row.
type searchKeys struct {
	nameKey, sortName, birth, categories string
}

func personKeys(p *person.Person) searchKeys {
	k := searchKeys{nameKey: names.IndexKey(p.FullName(), p.FullNameLatin()), birth: p.BirthDate.String()}
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

// PersonFilter is what a search box and a category filter ask of a table
// of persons. Every field narrows; an empty one does not.
type PersonFilter struct {
	// Names: every pattern must match the person's name (names.Query).
	Names []names.IndexPattern
	// Birth is a date of birth or its beginning in ISO order ("1997",
	// "1997-12", "1997-12-29").
	Birth      string
	Categories []string // codes; every one must be present
	// Number is a service number or a row number, as typed.
	Number string
}

// Filtered reports whether the filter narrows the table.
func (f *PersonFilter) Filtered() bool {
	return len(f.Names) > 0 || f.Birth != "" || len(f.Categories) > 0 || f.Number != ""
}

// conds adds the filter's conditions on the search columns (name_key,
// birth, category_codes, person, row_no) to where and args. The name
// patterns are LIKE patterns of name_key, which PostgreSQL serves with a
// trigram index on a registry (migration 00026); SQLite's registry page
// reads its full-text index instead (ftsQuery), which finds the same rows.
func (f *PersonFilter) conds(where []string, args []any) ([]string, []any) {
	return f.condsOn(where, args, "person", "CAST(row_no AS TEXT) = ?")
}

// condsOn is conds for a table whose person is in the column personCol
// and whose number typed in the search box is also compared by numberCond
// (one placeholder, the number as typed).
func (f *PersonFilter) condsOn(where []string, args []any, personCol, numberCond string) ([]string, []any) {
	for _, p := range f.Names {
		if p.Class != "" {
			where = append(where, "(name_key LIKE ? OR name_key LIKE ?)")
			args = append(args, "% "+p.Prefix+"%", "% ="+p.Class+" %")
		} else {
			where = append(where, "name_key LIKE ?")
			args = append(args, "% "+p.Prefix+"%")
		}
	}
	if f.Birth != "" {
		if lo, hi, ok := birthRange(f.Birth); ok && hi == "" {
			where = append(where, "birth = ?")
			args = append(args, lo)
		} else if ok {
			where = append(where, "birth >= ? AND birth < ?")
			args = append(args, lo, hi)
		} else {
			where = append(where, "birth LIKE ?")
			args = append(args, f.Birth+"%")
		}
	}
	for _, c := range f.Categories {
		where = append(where, "category_codes LIKE ?")
		args = append(args, "% "+c+" %")
	}
	if f.Number != "" {
		where = append(where, "("+personCol+" LIKE ? OR "+numberCond+")")
		args = append(args, `%"service_number":"`+strings.NewReplacer(`%`, ``, `_`, ``, `"`, ``).Replace(f.Number)+`%`, f.Number)
	}
	return where, args
}

// ftsQuery writes name patterns as one FTS5 query of an index of name_key
// whose tokens are the words and the "="-marked classes: the beginning of
// a word is a prefix query, a class a whole token. It is not ok when
// there is no pattern or a pattern holds a letter the index's tokenizer
// would split on (skeletons are lower-case ASCII letters and digits).
func ftsQuery(ps []names.IndexPattern) (string, bool) {
	if len(ps) == 0 {
		return "", false
	}
	plain := func(s string) bool {
		return s != "" && strings.IndexFunc(s, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') }) < 0
	}
	var terms []string
	for _, p := range ps {
		if !plain(p.Prefix) || p.Class != "" && !plain(p.Class) {
			return "", false
		}
		t := `"` + p.Prefix + `"*`
		if p.Class != "" {
			t = `(` + t + ` OR "=` + p.Class + `")`
		}
		terms = append(terms, t)
	}
	return strings.Join(terms, " AND "), true
}

// isoPrefix is a date of birth or its beginning in ISO order.
var isoPrefix = regexp.MustCompile(`^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$`)

// birthRange turns the beginning of a date (birth LIKE p%) into a range
// of the birth column that an index reads in order: the stored dates
// (person.Date.String) from lo, before hi, or equal to lo when hi is
// empty (a whole date). The bound after "1996" is "1997", after "1996-01"
// "1996-02": the stored forms differ only in their digits, so the range
// holds in any collation that orders digits. It is not ok for what is not
// such a beginning.
func birthRange(p string) (lo, hi string, ok bool) {
	m := isoPrefix.FindStringSubmatch(p)
	switch {
	case m == nil:
		return "", "", false
	case m[3] != "":
		return p, "", true
	case m[2] != "":
		mo, _ := strconv.Atoi(m[2])
		if mo >= 99 {
			return "", "", false
		}
		return p, fmt.Sprintf("%s-%02d", m[1], mo+1), true
	}
	y, _ := strconv.Atoi(m[1])
	if y >= 9999 {
		return "", "", false
	}
	return p, fmt.Sprintf("%04d", y+1), true
}

// orderBy is the ORDER BY of a table of persons: a sort key's column
// (cols), then the row number; row order when the key is unknown.
func orderBy(sort string, desc bool, cols map[string]string) string {
	dir := ""
	if desc {
		dir = " DESC"
	}
	if col := cols[sort]; col != "" {
		return col + dir + ", row_no" + dir
	}
	return "row_no" + dir
}

// EntryQuery selects and orders the entries of a list.
type EntryQuery struct {
	ListID string
	PersonFilter
	Sort   string // "row" (default), "name", "birth"
	Desc   bool
	Offset int
	Limit  int
	// Count is the list's entry count (its header's), the total when the
	// query does not narrow; 0 reads it.
	Count int
}

// EntryPage returns one page of a list's entries under q, and how many
// entries q selects in all; only the page's entries are decoded.
func (tx *Tx) EntryPage(ctx context.Context, q EntryQuery) ([]lists.Entry, int, error) {
	where, args := q.PersonFilter.conds([]string{"list_id = ?"}, []any{q.ListID})
	cond := strings.Join(where, " AND ")
	total := q.Count
	countQ := `SELECT entry_count FROM lists WHERE id = ?`
	countArgs := []any{q.ListID}
	if q.Filtered() {
		countQ, countArgs, total = `SELECT COUNT(*) FROM list_entries WHERE `+cond, args, 0
	}
	if total == 0 {
		if err := tx.QueryRow(ctx, countQ, countArgs...).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("count entries of %s: %w", q.ListID, err)
		}
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	rows, err := tx.Query(ctx, `SELECT row_no, entry_id, person FROM list_entries WHERE `+cond+` ORDER BY `+
		orderBy(q.Sort, q.Desc, map[string]string{"name": "sort_name", "birth": "birth"})+` LIMIT ? OFFSET ?`,
		append(args, limit, max(q.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("read entries of %s: %w", q.ListID, err)
	}
	defer rows.Close()
	out := []lists.Entry{}
	for rows.Next() {
		var e lists.Entry
		var b string
		if err := rows.Scan(&e.Row, &e.ID, &b); err != nil {
			return nil, 0, err
		}
		if err := json.Unmarshal([]byte(b), &e.Person); err != nil {
			return nil, 0, fmt.Errorf("decode row %d of %s: %w", e.Row, q.ListID, err)
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}

// KeyEntries fills the search columns of a list's entries stored before
// they existed, and reports how many it keyed.
func (tx *Tx) KeyEntries(ctx context.Context, listID string) (int, error) {
	return tx.keyRows(ctx, "entries of "+listID,
		`SELECT row_no, person FROM list_entries WHERE list_id = ? AND searchable = 0`,
		`UPDATE list_entries SET searchable = 1, name_key = ?, sort_name = ?, birth = ?, category_codes = ? WHERE list_id = ? AND row_no = ?`, listID)
}

// keyRows fills the search columns of the rows that sel returns: their
// key (one or more columns, which upd's WHERE takes after the search
// columns, following scope) and, last, the person.
func (tx *Tx) keyRows(ctx context.Context, what, sel, upd string, scope string) (int, error) {
	rows, err := tx.Query(ctx, sel, scope)
	if err != nil {
		return 0, fmt.Errorf("read unkeyed %s: %w", what, err)
	}
	cols, err := rows.Columns()
	if err != nil {
		rows.Close()
		return 0, err
	}
	type rec struct {
		key  []any
		keys searchKeys
	}
	var recs []rec
	for rows.Next() {
		key := make([]any, len(cols)-1)
		dest := make([]any, len(cols))
		for i := range key {
			dest[i] = &key[i]
		}
		var b string
		dest[len(key)] = &b
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return 0, err
		}
		var p person.Person
		if err := json.Unmarshal([]byte(b), &p); err != nil {
			rows.Close()
			return 0, fmt.Errorf("decode %s %v: %w", what, key, err)
		}
		recs = append(recs, rec{key, personKeys(&p)})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, r := range recs {
		args := append([]any{r.keys.nameKey, r.keys.sortName, r.keys.birth, r.keys.categories, scope}, r.key...)
		if _, err := tx.Exec(ctx, upd, args...); err != nil {
			return 0, fmt.Errorf("key %s %v: %w", what, r.key, err)
		}
	}
	return len(recs), nil
}

// ListsQuery selects a page of list headers: those ListFilter lets the
// caller see, narrowed and ordered.
type ListsQuery struct {
	ListFilter
	State string
	Other string // a party on either side
	// Title is part of a list's title; a list is also selected when one
	// of its entries passes Persons (when Persons narrows).
	Title   string
	Persons PersonFilter
	// Holds, when it narrows, keeps the lists with an entry that passes it.
	Holds PersonFilter
	// CreatedFrom and CreatedBefore bound the creation time (stored
	// times as text, RFC 3339 in UTC, which sort as text).
	CreatedFrom, CreatedBefore string
	Sort                       string // "" (newest first), "created", "title", "entries", "state"
	Desc                       bool
	Offset, Limit              int
}

// ListsPage returns one page of list headers under q and how many q
// selects in all.
func (tx *Tx) ListsPage(ctx context.Context, q ListsQuery) ([]*lists.List, int, error) {
	where, args := q.ListFilter.conds()
	if q.State != "" {
		where, args = append(where, "state = ?"), append(args, q.State)
	}
	if q.Other != "" {
		where, args = append(where, "(from_party = ? OR to_party = ?)"), append(args, q.Other, q.Other)
	}
	if q.CreatedFrom != "" {
		where, args = append(where, "created_at >= ?"), append(args, q.CreatedFrom)
	}
	if q.CreatedBefore != "" {
		where, args = append(where, "created_at < ?"), append(args, q.CreatedBefore)
	}
	holds := func(f PersonFilter) (string, []any) {
		pw, pa := f.conds(nil, nil)
		return "EXISTS (SELECT 1 FROM list_entries WHERE list_id = lists.id AND " + strings.Join(pw, " AND ") + ")", pa
	}
	if q.Holds.Filtered() {
		c, a := holds(q.Holds)
		where, args = append(where, c), append(args, a...)
	}
	var text []string
	var textArgs []any
	if q.Title != "" {
		text, textArgs = append(text, "LOWER(title) LIKE ?"), append(textArgs, "%"+strings.ToLower(strings.NewReplacer("%", "", "_", "").Replace(q.Title))+"%")
	}
	if q.Persons.Filtered() {
		c, a := holds(q.Persons)
		text, textArgs = append(text, c), append(textArgs, a...)
	}
	if len(text) > 0 {
		where, args = append(where, "("+strings.Join(text, " OR ")+")"), append(args, textArgs...)
	}
	cond := strings.Join(append([]string{"1 = 1"}, where...), " AND ")
	dir := ""
	if q.Desc {
		dir = " DESC"
	}
	order := "created_at DESC, id"
	if col := map[string]string{"created": "created_at", "title": "title", "entries": "entry_count", "state": "state"}[q.Sort]; col != "" {
		order = col + dir + ", created_at" + dir + ", id"
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	out, err := tx.queryLists(ctx, `SELECT `+listColumns+` FROM lists WHERE `+cond+` ORDER BY `+order+` LIMIT ? OFFSET ?`, append(args, limit, max(q.Offset, 0))...)
	if err != nil {
		return nil, 0, err
	}
	// A first page that is not full holds them all.
	total := len(out)
	if q.Offset > 0 || total == limit {
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM lists WHERE `+cond, args...).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("count lists: %w", err)
		}
	}
	return out, total, nil
}
