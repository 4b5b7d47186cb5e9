package listfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"parley/internal/msg"
)

// Limits bound the work of reading one file. A file is uploaded by a person
// who may be careless or hostile, and a workbook is a zip archive whose
// content can be thousands of times larger than the archive itself, so
// every limit is enforced while the file is being read — before the memory
// or the time is spent, not after. A file that breaks one is refused as a
// whole (a Refusal), with a problem naming the limit; the zero value of a
// field means its default. See docs/limits.md.
type Limits struct {
	// FileBytes bounds the file as uploaded. Default 64 MiB.
	FileBytes int64
	// UnzippedBytes bounds what the parts of a workbook that are read
	// (the workbook, its relationships, the shared strings and the first
	// sheet) hold once decompressed, counted as they are decompressed.
	// Default 192 MiB.
	UnzippedBytes int64
	// ZipRatio bounds how many times larger than its compressed form one
	// part of a workbook may be, once it holds more than a mebibyte.
	// Spreadsheets compress 5–30 times; zip bombs a thousand times.
	// Default 100.
	ZipRatio int64
	// Rows bounds the rows of a spreadsheet (empty ones included) and the
	// entries of a JSON list. Default 200,000: twice the 100,000-row
	// lists Parley is measured with, while the rows of a file at the limit
	// still fit in about 200 MiB.
	Rows int
	// Columns bounds the columns of a spreadsheet and the keys of a JSON
	// entry. Default 512.
	Columns int
	// NameRunes bounds a name (surname, given names, patronymic, in either
	// script, or a full name), NoteRunes the notes and extra attributes,
	// CellRunes every other value, in characters. Defaults 200, 4,000 and
	// 1,000. A longer value is a problem of its row.
	NameRunes, NoteRunes, CellRunes int
	// Depth bounds the nesting of XML elements in a workbook and of arrays
	// and objects in JSON. Default 64.
	Depth int
	// TempDir is where an upload that must be read twice (a workbook
	// arriving as a stream) is kept while it is read; it should be the
	// data directory's own temporary folder, never a shared /tmp, since
	// the file holds personal data. "" means os.TempDir().
	TempDir string
}

// DefaultLimits returns the limits used for fields left zero.
func DefaultLimits() Limits {
	return Limits{
		FileBytes:     64 << 20,
		UnzippedBytes: 192 << 20,
		ZipRatio:      100,
		Rows:          200_000,
		Columns:       512,
		NameRunes:     200,
		NoteRunes:     4000,
		CellRunes:     1000,
		Depth:         64,
	}
}

// withDefaults fills the zero (or negative) fields.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	orDefault(&l.FileBytes, d.FileBytes)
	orDefault(&l.UnzippedBytes, d.UnzippedBytes)
	orDefault(&l.ZipRatio, d.ZipRatio)
	orDefault(&l.Rows, d.Rows)
	orDefault(&l.Columns, d.Columns)
	orDefault(&l.NameRunes, d.NameRunes)
	orDefault(&l.NoteRunes, d.NoteRunes)
	orDefault(&l.CellRunes, d.CellRunes)
	orDefault(&l.Depth, d.Depth)
	return l
}

// orDefault sets *v to d when *v is not a usable limit (zero or less).
func orDefault[T int | int64](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

// maxCellBytes is the most a single value may occupy in the file before it
// is decoded: the longest value allowed, four bytes a character, with room
// for escapes. Longer runs are refused while streaming, before they are
// held in memory.
func (l Limits) maxCellBytes() int {
	n := max(l.NameRunes, l.NoteRunes, l.CellRunes)
	return 8*n + 1024
}

// Problem codes: what kind of mistake a Problem is, for programs and for
// tests; Reason says it in words.
const (
	CodeInvalid        = "invalid"        // a value that does not parse or validate
	CodeFileTooLarge   = "file_too_large" // Limits.FileBytes
	CodeUnzippedSize   = "unzipped_size"  // Limits.UnzippedBytes
	CodeZipRatio       = "zip_ratio"      // Limits.ZipRatio
	CodeTooManyRows    = "too_many_rows"  // Limits.Rows
	CodeTooManyColumns = "too_many_columns"
	CodeCellTooLong    = "cell_too_long" // Limits.*Runes, or a run of bytes past maxCellBytes
	CodeTooDeep        = "too_deep"      // Limits.Depth
	CodeXMLError       = "xml_error"     // malformed XML in a workbook part
	CodeXMLDTD         = "xml_dtd"       // a document type declaration (entities, external references)
	CodeDamaged        = "damaged"       // not a readable workbook / archive / JSON document
	CodeControlChar    = "control_character"
	CodeInvisibleChar  = "invisible_character"
	CodeInvalidUTF8    = "invalid_utf8"
	CodeMixedEncoding  = "mixed_encoding"
	CodeCancelled      = "cancelled"
)

// Refusal ends reading: past this point the file cannot be accounted for
// row by row, so none of it may be imported, with or without skipping
// invalid rows. Problem places it in the file.
type Refusal struct {
	Problem
	// TooLarge says the refusal is about size (the upload, or what a
	// workbook decompresses to) rather than content; HTTP answers it with
	// 413 instead of 422.
	TooLarge bool
	err      error // the underlying cause, if any
}

func (r *Refusal) Error() string { return r.Problem.String() }
func (r *Refusal) Unwrap() error { return r.err }

func refuse(code string, row int, m msg.Msg) *Refusal {
	return &Refusal{Problem: Problem{Row: row, Code: code, Msg: m, Reason: m.String()}}
}

func tooLarge(code string, m msg.Msg) *Refusal {
	r := refuse(code, 0, m)
	r.TooLarge = true
	return r
}

// FileTooLarge is the refusal of a file larger than limit bytes, for
// callers that bound the upload before the reader sees it.
func FileTooLarge(limit int64, cause error) *Refusal {
	r := tooLarge(CodeFileTooLarge, msg.New("listfile.file_too_large", "size", msg.Raw(sizeText(limit))))
	r.err = cause
	return r
}

// AsRefusal returns the Refusal in err's chain, if any.
func AsRefusal(err error) (*Refusal, bool) {
	var r *Refusal
	ok := errors.As(err, &r)
	return r, ok
}

// ctxReader stops reading once ctx is done: an upload whose client has gone
// is not worth finishing.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, cancelled(err)
	}
	return c.r.Read(p)
}

func cancelled(err error) error {
	r := refuse(CodeCancelled, 0, msg.New("listfile.cancelled", "detail", msg.Raw(err.Error())))
	r.err = err
	return r
}

// sizeGuard refuses a file larger than limit bytes as it is read.
type sizeGuard struct {
	r     io.Reader
	n     int64
	limit int64
}

func (g *sizeGuard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	g.n += int64(n)
	if g.n > g.limit {
		return n, FileTooLarge(g.limit, nil)
	}
	return n, err
}

// sizeText writes a byte count for people.
func sizeText(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// spool gives random access to r, which a zip archive needs: a file or
// any other io.ReaderAt of known size is used as it is; a stream is copied
// to a temporary file in dir, removed by the returned cleanup, and bounded
// by limit as it is copied.
func spool(ctx context.Context, r io.Reader, dir string, limit int64) (io.ReaderAt, int64, func(), error) {
	if f, ok := r.(interface {
		io.ReaderAt
		io.Seeker
	}); ok {
		if size, err := f.Seek(0, io.SeekEnd); err == nil {
			if size > limit {
				return nil, 0, func() {}, tooLarge(CodeFileTooLarge, msg.New("listfile.file_too_large", "size", msg.Raw(sizeText(limit))))
			}
			return f, size, func() {}, nil
		}
	}
	if dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, 0, func() {}, fmt.Errorf("keep the upload while it is read: %w", err)
		}
	}
	tmp, err := os.CreateTemp(dir, "upload-*.xlsx")
	if err != nil {
		return nil, 0, func() {}, fmt.Errorf("keep the upload while it is read: %w", err)
	}
	cleanup := func() { tmp.Close(); os.Remove(tmp.Name()) }
	n, err := io.Copy(tmp, ctxReader{ctx, &sizeGuard{r: r, limit: limit}})
	if err != nil {
		cleanup()
		return nil, 0, func() {}, err
	}
	return tmp, n, cleanup, nil
}
