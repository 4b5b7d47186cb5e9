// Package listfile reads and writes lists of persons — a party's list of
// prisoners, or its registry of missing people — in the forms parties
// actually keep them: CSV (UTF-8 or Windows-1251, comma, semicolon or tab),
// XLSX workbooks and JSON.
//
// Reading never stops at the first mistake. An officer fixing a list of
// several thousand entries needs to see every problem at once, each with the
// row and the column as the spreadsheet shows them, so Read collects problems
// (Result.Problems) and returns an error only when the file cannot be read at
// all. Columns that Parley does not know are kept as extra attributes of each
// person and named in a warning, never a reason to refuse the file.
//
// # Row numbers
//
// Row N in a problem is the N-th row below the header row, counting every
// row the spreadsheet shows, empty ones included: it is the spreadsheet's own
// row number minus the header's. With the header on the first line (the usual
// case) "row 5" is spreadsheet row 6. In CSV, a quoted cell that spans several
// lines is one row, as spreadsheets show it. In JSON, row N is the N-th entry.
//
// # Headers
//
// Column headers are recognised in English, Ukrainian and Russian,
// case-insensitively and ignoring punctuation and the three apostrophe forms,
// as well as under the JSON names of person.Person and as "extra:<name>" (the
// form Write uses for extra attributes). Options.Map overrides recognition.
// The header is the first row, among the first few non-empty ones, that names
// at least one known column; rows above it (titles, dates) are skipped with a
// warning.
//
// # Hostile files
//
// Every row is accounted for: a reader reaches the end of the file or
// returns a Refusal, never an early, silent end. The work of reading is
// bounded by Limits while the file streams, and values may not hold
// control characters, nor names invisible marks (see checkText). The rules
// and the problem codes are set out in docs/limits.md.
package listfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"parley/internal/category"
	"parley/internal/msg"
	"parley/internal/person"
)

// Format is a file format of a list.
type Format string

// The supported formats.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
	JSON Format = "json"
)

// FormatFromName chooses the format by the file name's extension. Tab- and
// semicolon-separated text files (.tsv, .txt) are read as CSV, whose reader
// detects the separator.
func FormatFromName(filename string) (Format, error) {
	switch ext := strings.ToLower(filepath.Ext(filename)); ext {
	case ".csv", ".tsv", ".txt":
		return CSV, nil
	case ".xlsx", ".xlsm":
		return XLSX, nil
	case ".json":
		return JSON, nil
	case ".xls":
		return "", fmt.Errorf("%s: the old Excel 97–2003 format (.xls) is not supported; save the workbook as .xlsx or CSV", filename)
	case "":
		return "", fmt.Errorf("%s: no file extension; name the file .csv, .xlsx or .json", filename)
	default:
		return "", fmt.Errorf("%s: unknown list format %q (want .csv, .xlsx or .json)", filename, ext)
	}
}

// Options controls Read.
type Options struct {
	Format Format // required; see FormatFromName
	// Map overrides header recognition: column header as in the file → JSON
	// name of a person field, or one of the pseudo-fields "full_name",
	// "full_name_latin" (split into the name parts), "extra" (keep as an
	// extra attribute) and "ignore" (drop the column).
	Map       map[string]string
	Catalogue *category.Catalogue // resolves category labels; nil means category.MustDefault()
	// YouthRef, when set, adds the youth category to every person whose age
	// on that date lies within the catalogue's youth bracket.
	YouthRef person.Date
	// Registry says the file is a party's registry of missing people: its
	// status column is then required and every value must be a known status
	// (labels in English, Ukrainian or Russian). In a list of prisoners a
	// spreadsheet's status column is kept as an extra attribute, since lists
	// carry free-text columns called "Статус"; the "status" field of JSON
	// entries, which can only be Parley's own, is read in both cases.
	Registry bool
	// Progress, when set, is called every 1,000 rows and once at the end
	// with the number of rows read so far.
	Progress func(rows int)
	// Limits bound the work of reading; zero fields take their defaults.
	Limits Limits
}

// Row is one person read from the file.
type Row struct {
	Line   int // data row number from 1, see the package documentation
	Person person.Person
}

// Problem is one mistake in the file, placed as the user sees it.
type Problem struct {
	Row    int    // data row from 1; 0 for a problem with the file as a whole
	Column string // column header as written in the file; "" when none applies
	Value  string // offending value; "" when none
	// Msg says what is wrong, as a code of the message catalogue with its
	// parameters (package msg); Reason is its English text, for logs.
	// Front ends show ReasonIn or TextIn in the reader's language.
	Msg    msg.Msg
	Reason string
	// Code says what kind of problem it is (see the Code constants);
	// "invalid" when not set otherwise.
	Code string
}

// String formats the problem as `row N, column C: value "V": reason`,
// leaving out the parts that do not apply; a problem of the whole file
// reads `file: reason`.
func (p Problem) String() string { return p.TextIn(msg.English) }

// fillReason sets Reason, the English text, from Msg.
func (p *Problem) fillReason() {
	if p.Reason == "" && !p.Msg.IsZero() {
		p.Reason = p.Msg.String()
	}
}

// quote is a value from the file as a message quotes it.
func quote(s string) msg.Raw { return msg.Raw(strconv.Quote(s)) }

// paramsKV returns a message's parameters as name, value pairs.
func paramsKV(m msg.Msg) []any {
	kv := make([]any, 0, 2*len(m.Params))
	for k, v := range m.Params {
		kv = append(kv, k, v)
	}
	return kv
}

// refusalOf is a refusal for a cause from outside the package.
func refusalOf(code string, m msg.Msg, cause error) *Refusal {
	r := refuse(code, 0, m)
	r.err = cause
	return r
}

// ReasonIn returns what is wrong in lang.
func (p Problem) ReasonIn(lang string) string {
	if p.Msg.IsZero() {
		return p.Reason
	}
	return msg.Text(lang, p.Msg)
}

// TextIn is String in lang: the problem placed in the file and its reason.
func (p Problem) TextIn(lang string) string {
	reason := p.ReasonIn(lang)
	switch {
	case p.Row == 0:
		return msg.Text(lang, msg.New("listfile.place.file", "reason", reason))
	case p.Column != "" && p.Value != "":
		return msg.Text(lang, msg.New("listfile.place.row_column_value", "row", msg.Plain(p.Row), "column", p.Column, "value", strconv.Quote(p.Value), "reason", reason))
	case p.Column != "":
		return msg.Text(lang, msg.New("listfile.place.row_column", "row", msg.Plain(p.Row), "column", p.Column, "reason", reason))
	case p.Value != "":
		return msg.Text(lang, msg.New("listfile.place.row_value", "row", msg.Plain(p.Row), "value", strconv.Quote(p.Value), "reason", reason))
	}
	return msg.Text(lang, msg.New("listfile.place.row", "row", msg.Plain(p.Row), "reason", reason))
}

// Namesake is a registry row with the same identity as an earlier row.
type Namesake struct {
	Row int // the later row
	Of  int // the first row with that identity
}

// ColumnMapping says what Read made of one column.
type ColumnMapping struct {
	Header string // as in the file
	// Field is a person field's JSON name, "full_name", "full_name_latin",
	// "extra" (kept as an extra attribute) or "ignore".
	Field string
}

// Result is what Read found in a file.
type Result struct {
	Rows     []Row     // every row that parsed; rows with problems are left out
	Problems []Problem // every problem, in row order (file-level ones first)
	Warnings []string  // in English, for logs; Notes says them for any reader
	Notes    []msg.Msg
	// Namesakes are the rows of a registry with the same identity (names,
	// date of birth, service number) as an earlier row: kept, since two
	// persons may share a name and a date of birth. In a list the same rows
	// are problems ("duplicate of row N").
	Namesakes []Namesake
	Columns   []ColumnMapping
	Encoding  string // CSV only: "utf-8", "utf-8-bom", "utf-16le", "utf-16be" or "windows-1251"
	Meta      Meta   // JSON only: the list's metadata, when the file carries it
}

// OK reports whether the file has no problems.
func (r *Result) OK() bool { return len(r.Problems) == 0 }

// Meta is the optional metadata of a list in JSON form.
type Meta struct {
	Title   string `json:"title"`
	From    string `json:"from"`
	To      string `json:"to"`
	Version int    `json:"version"`
}

// Pseudo-fields accepted by Options.Map and reported in ColumnMapping.
const (
	FieldFullName      = "full_name"
	FieldFullNameLatin = "full_name_latin"
	FieldExtra         = "extra"
	FieldIgnore        = "ignore"
)

// progressEvery is how often, in rows, Options.Progress is called.
const progressEvery = 1000

// Read reads a list; see ReadContext.
func Read(r io.Reader, opts Options) (*Result, error) {
	return ReadContext(context.Background(), r, opts)
}

// ReadContext reads a list. Mistakes in the content are reported in
// Result.Problems; the error is for files that cannot be read at all (I/O
// failures, a damaged workbook, broken JSON syntax, a broken limit) and for
// invalid options. Such an error is a *Refusal whenever the file is to
// blame. Reading stops, with a Refusal coded "cancelled", once ctx is done.
//
// Every row is accounted for: a reader either reaches the end of the file
// or returns an error; it never stops early and reports success.
func ReadContext(ctx context.Context, r io.Reader, opts Options) (*Result, error) {
	if opts.Catalogue == nil {
		opts.Catalogue = category.MustDefault()
	}
	opts.Limits = opts.Limits.withDefaults()
	m, err := newMapOverride(opts.Map)
	if err != nil {
		return nil, err
	}
	b := newBuilder(opts, m)
	b.ctx = ctx
	lim := opts.Limits
	switch opts.Format {
	case CSV:
		err = readCSV(ctxReader{ctx, &sizeGuard{r: r, limit: lim.FileBytes}}, b)
	case XLSX:
		err = readXLSX(ctx, r, b)
	case JSON:
		err = readJSON(ctxReader{ctx, &sizeGuard{r: r, limit: lim.FileBytes}}, b)
	case "":
		return nil, errors.New("listfile: no format given")
	default:
		return nil, fmt.Errorf("listfile: unknown format %q", opts.Format)
	}
	if err != nil {
		if _, ok := AsRefusal(err); !ok {
			// The file could not be read: a refusal of the file as a whole.
			err = &Refusal{Problem: Problem{Code: CodeDamaged, Msg: msg.New("listfile.damaged", "detail", msg.Raw(err.Error())), Reason: err.Error()}, err: err}
		}
		return nil, err
	}
	return b.finish(), nil
}
