package listfile

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"parley/internal/msg"
	"parley/internal/person"
)

// bindKind says what a column feeds.
type bindKind int

const (
	bindField bindKind = iota
	bindFullName
	bindFullNameLatin
	bindExtra
	bindIgnore
)

// binding is the decision about one column (or one JSON key).
type binding struct {
	header string // as in the file, trimmed
	kind   bindKind
	field  person.Field // bindField
	extra  string       // bindExtra: the attribute's name
	// lazyWarning is given once the column is found to hold data: an
	// empty column without a header, or an empty status column in a list,
	// loses nothing and is not worth a warning.
	lazyWarning msg.Msg
}

func (b *binding) mappingField() string {
	switch b.kind {
	case bindField:
		return b.field.Name
	case bindFullName:
		return FieldFullName
	case bindFullNameLatin:
		return FieldFullNameLatin
	case bindExtra:
		return FieldExtra
	}
	return FieldIgnore
}

// builder turns cells into persons and problems; the format readers feed it.
type builder struct {
	opts Options
	ctx  context.Context
	m    *mapOverride
	res  Result

	// json marks a JSON list, whose columns are the keys of each entry.
	json bool
	// excelDates makes date columns accept XLSX serial numbers.
	excelDates, date1904 bool

	// fieldHeader is the header of the column that fills each field or
	// pseudo-field, for placing problems found after parsing.
	fieldHeader map[string]string
	// noNameColumn suppresses per-row "missing surname" problems once the
	// file-level problem has said that no column holds names.
	noNameColumn bool

	chunks    [][]Row        // rows read so far, see rowChunk
	seen      map[string]int // identity key → first row
	seenIDs   map[string]int // record id → first row
	rows      int            // data rows seen, empty ones included
	extraKeys map[string]bool
	warned    map[string]bool

	// per-row scratch
	rowProblems []Problem
}

func newBuilder(opts Options, m *mapOverride) *builder {
	return &builder{
		opts:        opts,
		m:           m,
		fieldHeader: map[string]string{},
		seen:        map[string]int{},
		seenIDs:     map[string]int{},
		extraKeys:   map[string]bool{},
		warned:      map[string]bool{},
	}
}

func (b *builder) warn(code string, kv ...any) {
	m := msg.New(code, kv...)
	text := m.String()
	if b.warned[text] {
		return
	}
	b.warned[text] = true
	b.res.Warnings = append(b.res.Warnings, text)
	b.res.Notes = append(b.res.Notes, m)
}

func (b *builder) fileProblem(code string, kv ...any) {
	b.res.Problems = append(b.res.Problems, Problem{Msg: msg.New(code, kv...)})
}

// uniqueExtraKey returns name, or name with a number when another column
// already uses it.
func (b *builder) uniqueExtraKey(name string) string {
	key := name
	for i := 2; b.extraKeys[key]; i++ {
		key = fmt.Sprintf("%s (%d)", name, i)
	}
	b.extraKeys[key] = true
	return key
}

// bind decides what one column holds. claimed tracks fields already taken by
// an earlier column so that a second column for the same field is kept
// rather than silently overwriting the first. pos is the column's position
// from 1, used to name a column without a header.
func (b *builder) bind(header string, pos int, claimed map[string]string) *binding {
	header = strings.TrimSpace(header)
	bd := &binding{header: header}
	target, explicit := b.m.lookup(header)
	if !explicit {
		switch {
		case header == "":
			target = FieldExtra
		case len(header) > len(extraPrefix) && strings.EqualFold(header[:len(extraPrefix)], extraPrefix):
			target = header
		case isRowNumberHeader(header):
			b.warn("listfile.warn.running_number", "column", quote(header))
			target = FieldIgnore
		default:
			target = recognise(header)
		}
	}
	return b.bindTarget(bd, target, pos, explicit, claimed)
}

// bindTarget completes a binding once the column's target is known.
// statusOK says a status column is used even outside a registry.
func (b *builder) bindTarget(bd *binding, target string, pos int, statusOK bool, claimed map[string]string) *binding {
	header := bd.header
	switch {
	case target == "":
		b.warn("listfile.warn.unknown_column", "column", quote(header))
		bd.kind, bd.extra = bindExtra, b.uniqueExtraKey(header)
	case target == FieldIgnore:
		bd.kind = bindIgnore
	case target == FieldExtra:
		name := header
		if name == "" {
			name = "column " + columnLetters(pos)
			bd.header = name
			bd.lazyWarning = msg.New("listfile.warn.no_header", "column", columnLetters(pos), "name", quote(name))
		}
		bd.kind, bd.extra = bindExtra, b.uniqueExtraKey(name)
	case strings.HasPrefix(strings.ToLower(target), extraPrefix):
		bd.kind, bd.extra = bindExtra, b.uniqueExtraKey(strings.TrimSpace(target[len(extraPrefix):]))
	case target == FieldFullName:
		bd.kind = bindFullName
	case target == FieldFullNameLatin:
		bd.kind = bindFullNameLatin
	default:
		f, _ := person.FieldByName(target)
		bd.kind, bd.field = bindField, f
		if f.Kind == person.FieldStatus && !b.opts.Registry && !statusOK {
			bd.lazyWarning = msg.New("listfile.warn.status_in_list", "column", quote(header))
			bd.kind, bd.field, bd.extra = bindExtra, person.Field{}, b.uniqueExtraKey(header)
		}
	}
	if name := bd.mappingField(); bd.kind != bindExtra && bd.kind != bindIgnore {
		if first, dup := claimed[name]; dup {
			b.warn("listfile.warn.two_columns", "first", quote(first), "column", quote(header), "field", msg.Raw(name))
			bd.kind, bd.field, bd.extra = bindExtra, person.Field{}, b.uniqueExtraKey(header)
		} else {
			claimed[name] = header
			b.fieldHeader[name] = bd.header
		}
	}
	b.res.Columns = append(b.res.Columns, ColumnMapping{Header: bd.header, Field: bd.mappingField()})
	return bd
}

// checkColumns reports, once the columns are known, what the file as a
// whole lacks.
func (b *builder) checkColumns() {
	for _, h := range b.m.unused() {
		b.warn("listfile.warn.map_column_absent", "column", quote(h))
	}
	_, s := b.fieldHeader["surname"]
	_, sl := b.fieldHeader["surname_latin"]
	_, fn := b.fieldHeader[FieldFullName]
	_, fnl := b.fieldHeader[FieldFullNameLatin]
	_, kind := b.fieldHeader["kind"]
	if !s && !sl && !fn && !fnl && !kind {
		b.noNameColumn = true
		var heads []string
		for _, c := range b.res.Columns {
			heads = append(heads, strconv.Quote(c.Header))
		}
		b.fileProblem("listfile.no_surname_column", "columns", msg.Raw(strings.Join(heads, ", ")))
	}
	if b.opts.Registry {
		if _, ok := b.fieldHeader["status"]; !ok {
			b.fileProblem("listfile.registry_needs_status")
		}
	}
}

// cell is one value of a row with the column it came from.
type cell struct {
	b   *binding
	val string
	// list holds the items of a JSON array (categories); nil otherwise.
	list []string
}

func (b *builder) problem(line int, c *binding, value string, reason msg.Msg) {
	b.problemCode(line, c, value, CodeInvalid, reason)
}

func (b *builder) problemCode(line int, c *binding, value, code string, reason msg.Msg) {
	header := ""
	if c != nil {
		header = c.header
	}
	b.rowProblems = append(b.rowProblems, Problem{Row: line, Column: header, Value: value, Msg: reason, Code: code})
}

// textOK applies the character rules (see text.go) to a cell, recording a
// problem when it breaks one.
func (b *builder) textOK(line int, c *cell) bool {
	class := classOf(c.b)
	vals := c.list
	if vals == nil {
		vals = []string{c.val}
	}
	for _, v := range vals {
		if code, reason := checkText(v, class, b.opts.Limits); code != "" {
			b.problemCode(line, c.b, shownValue(v), code, reason)
			return false
		}
	}
	return true
}

// reached records that the data rows up to n have been read, for
// Options.Progress.
func (b *builder) reached(n int) {
	if n <= b.rows {
		return
	}
	prev := b.rows
	b.rows = n
	if b.opts.Progress != nil && n/progressEvery > prev/progressEvery {
		b.opts.Progress(n)
	}
}

// add builds the person of one data row from its cells. Empty rows are not
// passed. shapeProblems are problems the reader found in the row's shape.
func (b *builder) add(line int, cells []cell, shapeProblems ...Problem) {
	b.rowProblems = append(b.rowProblems[:0], shapeProblems...)
	var p person.Person
	var full, fullLatin *cell
	badIdentity := false
	for i := range cells {
		c := &cells[i]
		v := c.val
		if v == "" && c.list == nil {
			continue
		}
		if c.b.kind != bindIgnore && !b.textOK(line, c) {
			if c.b.kind == bindField && (c.b.field.Name == "birth_date" || c.b.field.Name == "kind") {
				badIdentity = true
			}
			continue
		}
		switch c.b.kind {
		case bindIgnore:
		case bindExtra:
			if !c.b.lazyWarning.IsZero() {
				b.warn(c.b.lazyWarning.Code, paramsKV(c.b.lazyWarning)...)
			}
			if p.Extra == nil {
				p.Extra = map[string]string{}
			}
			p.Extra[c.b.extra] = v
		case bindFullName:
			full = c
		case bindFullNameLatin:
			fullLatin = c
		case bindField:
			if !b.setField(&p, line, c) && (c.b.field.Name == "birth_date" || c.b.field.Name == "kind") {
				badIdentity = true
			}
		}
	}
	if full != nil {
		s, g, pa := splitFullName(full.val)
		fill(&p.Surname, s)
		fill(&p.GivenNames, g)
		fill(&p.Patronymic, pa)
	}
	if fullLatin != nil {
		s, g, pa := splitFullName(fullLatin.val)
		fill(&p.SurnameLatin, s)
		fill(&p.GivenNamesLatin, g)
		fill(&p.PatronymicLatin, pa)
	}
	p.Normalize()
	if !b.opts.YouthRef.IsZero() {
		b.opts.Catalogue.DeriveYouth(&p, b.opts.YouthRef)
	}
	excluded := false
	for _, fe := range p.Validate() {
		if fe.Field == "surname" && b.noNameColumn {
			// Said once for the file; the row is still not a valid person.
			excluded = true
			continue
		}
		if b.failed(fe.Field) {
			continue
		}
		col := b.headerOf(fe.Field)
		b.rowProblems = append(b.rowProblems, Problem{Row: line, Column: col, Value: fe.Value, Msg: fe.Msg})
	}
	if b.opts.Registry && p.Status == "" && !b.failed("status") {
		// A table without a status column has had one file-level problem.
		if h, ok := b.fieldHeader["status"]; ok || b.json {
			if !ok {
				h = "status"
			}
			b.rowProblems = append(b.rowProblems, Problem{Row: line, Column: h, Msg: msg.New("listfile.missing_status")})
		}
	}
	if p.RecordID != "" {
		if first, dup := b.seenIDs[p.RecordID]; dup {
			b.rowProblems = append(b.rowProblems, Problem{Row: line, Column: b.headerOf("record_id"), Value: p.RecordID, Msg: msg.New("listfile.record_id_repeated", "row", msg.Plain(first))})
		} else {
			b.seenIDs[p.RecordID] = line
		}
	}
	if !badIdentity && hasIdentity(&p) {
		key := p.IdentityKey()
		first, dup := b.seen[key]
		switch {
		case !dup:
			b.seen[key] = line
		case b.opts.Registry:
			// A registry of a whole country's missing holds namesakes: two
			// persons with the same name and date of birth are both kept, and
			// a list entry that fits both goes to review.
			b.res.Namesakes = append(b.res.Namesakes, Namesake{Row: line, Of: first})
		default:
			b.rowProblems = append(b.rowProblems, Problem{Row: line, Column: b.headerOf("surname"), Value: p.FullName(), Msg: msg.New("listfile.duplicate_row", "row", msg.Plain(first))})
		}
	}
	if len(b.rowProblems) > 0 || excluded {
		b.res.Problems = append(b.res.Problems, b.rowProblems...)
		return
	}
	if n := len(b.chunks); n == 0 || len(b.chunks[n-1]) == cap(b.chunks[n-1]) {
		size := 64 // small lists stay small
		if n > 0 {
			size = min(rowChunk, 2*cap(b.chunks[n-1]))
		}
		b.chunks = append(b.chunks, make([]Row, 0, size))
	}
	last := &b.chunks[len(b.chunks)-1]
	*last = append(*last, Row{Line: line, Person: p})
}

// rowChunk is the largest block of rows gathered before a new one is started.
// Rows are kept in blocks and joined once at the end: growing one slice of
// 100,000 persons by doubling would copy them again and again and hold up to
// three times their size at the peak.
const rowChunk = 4096

// failed reports whether a problem of the current row is already about the
// column of the field, so that an unreadable value is not reported again as
// a missing one.
func (b *builder) failed(field string) bool {
	h := b.headerOf(field)
	if h == "" {
		return false
	}
	for _, p := range b.rowProblems {
		if p.Column == h {
			return true
		}
	}
	return false
}

// hasIdentity reports whether the person carries anything that identifies
// him; records of remains known only by a grave or a DNA sample are not
// compared for duplicates.
func hasIdentity(p *person.Person) bool {
	return p.Surname != "" || p.GivenNames != "" || p.Patronymic != "" || p.ServiceNumber != "" || !p.BirthDate.IsZero()
}

func fill(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

// headerOf returns the file's header for a field, falling back to the
// full-name column for the name parts.
func (b *builder) headerOf(field string) string {
	if h, ok := b.fieldHeader[field]; ok {
		return h
	}
	switch field {
	case "surname", "given_names", "patronymic":
		if h, ok := b.fieldHeader[FieldFullName]; ok {
			return h
		}
		if h, ok := b.fieldHeader["surname_latin"]; ok && field == "surname" {
			return h
		}
	case "surname_latin", "given_names_latin", "patronymic_latin":
		return b.fieldHeader[FieldFullNameLatin]
	}
	return ""
}

// setField parses one cell into its field; it reports false after
// recording a problem.
func (b *builder) setField(p *person.Person, line int, c *cell) bool {
	f := c.b.field
	v := c.val
	switch f.Kind {
	case person.FieldDate:
		var d person.Date
		var err error
		if serial, ok := b.serialDate(v); ok {
			d = serial
			err = d.Validate()
		} else {
			d, err = ParseDate(v)
		}
		if err != nil {
			b.problem(line, c.b, v, msg.FromError(err))
			return false
		}
		// Set takes the ISO form, which String gives for a valid date.
		if err := f.Set(p, d.String()); err != nil {
			b.problem(line, c.b, v, msg.FromError(err))
			return false
		}
	case person.FieldCategories:
		labels := c.list
		if labels == nil {
			labels = []string{v}
		}
		ok := true
		for _, l := range labels {
			codes, unknown := b.opts.Catalogue.ResolveAll(l)
			for _, code := range codes {
				p.AddCategory(code)
			}
			for _, u := range unknown {
				b.problem(line, c.b, cellText(c), msg.New("listfile.unknown_category", "category", quote(u)))
				ok = false
			}
		}
		return ok
	case person.FieldKindOf:
		k, err := parseKind(v)
		if err != nil {
			b.problem(line, c.b, v, msg.FromError(err))
			return false
		}
		p.Kind = k
	case person.FieldStatus:
		st, err := parseStatus(v)
		if err != nil {
			b.problem(line, c.b, v, msg.FromError(err))
			return false
		}
		p.Status = st
	default:
		if f.Name == "sex" {
			s, err := parseSex(v)
			if err != nil {
				b.problem(line, c.b, v, msg.FromError(err))
				return false
			}
			v = s
		}
		if err := f.Set(p, v); err != nil {
			b.problem(line, c.b, v, msg.FromError(err))
			return false
		}
	}
	return true
}

func cellText(c *cell) string {
	if c.list != nil {
		return strings.Join(c.list, "; ")
	}
	return c.val
}

// serialDate reads an XLSX date serial in a date column.
func (b *builder) serialDate(v string) (person.Date, bool) {
	if !b.excelDates {
		return person.Date{}, false
	}
	return excelDate(v, b.date1904)
}

// finish completes the result.
func (b *builder) finish() *Result {
	if b.opts.Progress != nil && (b.rows == 0 || b.rows%progressEvery != 0) {
		b.opts.Progress(b.rows)
	}
	total := 0
	for _, c := range b.chunks {
		total += len(c)
	}
	if total > 0 {
		b.res.Rows = make([]Row, 0, total)
		for i, c := range b.chunks {
			b.res.Rows = append(b.res.Rows, c...)
			b.chunks[i] = nil // let the block go as soon as it is copied
		}
	}
	b.chunks = nil
	for i := range b.res.Problems {
		if b.res.Problems[i].Code == "" {
			b.res.Problems[i].Code = CodeInvalid
		}
		b.res.Problems[i].fillReason()
	}
	sort.SliceStable(b.res.Problems, func(i, j int) bool { return b.res.Problems[i].Row < b.res.Problems[j].Row })
	if n := len(b.res.Namesakes); n > 0 {
		b.warn("listfile.warn.namesakes", "count", n, "row", msg.Plain(b.res.Namesakes[0].Row), "of", msg.Plain(b.res.Namesakes[0].Of))
	}
	return &b.res
}

// columnLetters names a column as spreadsheets do: 1 → A, 27 → AA.
func columnLetters(n int) string {
	var s []byte
	for n > 0 {
		n--
		s = append([]byte{byte('A' + n%26)}, s...)
		n /= 26
	}
	return string(s)
}
