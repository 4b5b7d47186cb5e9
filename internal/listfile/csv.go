package listfile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"parley/internal/msg"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// readCSV reads a CSV list, detecting the encoding and the separator.
func readCSV(r io.Reader, b *builder) error {
	stats := &utf8Stats{r: r}
	br := bufio.NewReaderSize(stats, 64<<10)
	head, err := br.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return fmt.Errorf("read CSV: %w", err)
	}
	if bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		return errors.New("read CSV: this is a zip archive (an XLSX workbook?), not a CSV file")
	}
	var text io.Reader
	var sniff *sniffer
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		br.Discard(3)
		text, b.res.Encoding = br, "utf-8-bom"
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		// Excel's "Unicode text" export.
		text = transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder())
		b.res.Encoding = "utf-16le"
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		text = transform.NewReader(br, unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder())
		b.res.Encoding = "utf-16be"
	default:
		sniff = &sniffer{br: br}
		text = sniff
	}

	tr := bufio.NewReaderSize(text, 64<<10)
	sep := detectSeparator(tr)
	lim := b.opts.Limits
	cr := csv.NewReader(&csvGuard{r: tr, sep: sep, maxField: lim.maxCellBytes(), maxFields: lim.Columns})
	cr.Comma = sep
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true

	t := &table{b: b, unescape: true}
	// csv.Reader skips empty lines; rows are counted from line numbers so
	// that "row N" matches what a spreadsheet shows, where an empty line is
	// an empty row and a quoted cell spanning lines is one row.
	sheetRow, prevEnd := 0, 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var perr *csv.ParseError
		if err != nil && !errors.As(err, &perr) {
			return fmt.Errorf("read CSV: %w", err)
		}
		if perr != nil {
			if _, ok := AsRefusal(perr.Err); ok {
				return perr.Err
			}
		}
		if perr != nil {
			sheetRow += perr.StartLine - prevEnd
			prevEnd = perr.Line
			if t.cols == nil {
				return fmt.Errorf("read CSV: line %d: %w", perr.StartLine, perr.Err)
			}
			line := sheetRow - t.headerRow
			b.res.Problems = append(b.res.Problems, Problem{Row: line, Code: CodeDamaged, Msg: msg.New("listfile.row_unreadable", "detail", msg.Raw(perr.Err.Error()))})
			continue
		}
		start, _ := cr.FieldPos(0)
		end, _ := cr.FieldPos(len(rec) - 1)
		end += strings.Count(rec[len(rec)-1], "\n")
		sheetRow += start - prevEnd
		prevEnd = end
		if err := t.checkRows(sheetRow); err != nil {
			return err
		}
		t.invalid = t.invalid[:0]
		for i, f := range rec {
			if !utf8.ValidString(f) {
				rec[i] = strings.ToValidUTF8(f, "\uFFFD")
				t.invalid = append(t.invalid, i)
			}
		}
		if !t.row(sheetRow, rec) {
			break
		}
	}
	t.end()
	if sniff != nil {
		b.res.Encoding = sniff.encoding()
		if p, ok := stats.verdict(b.res.Encoding); !ok {
			b.res.Problems = append(b.res.Problems, p)
		}
	}
	return nil
}

// utf8Stats counts, over every byte of a file, the valid multi-byte UTF-8
// characters and the bytes that are not UTF-8, so that the encoding chosen
// from the file's first letters can be checked against the whole file.
type utf8Stats struct {
	r              io.Reader
	carry          []byte
	valid, invalid int
}

func (u *utf8Stats) Read(p []byte) (int, error) {
	n, err := u.r.Read(p)
	b := p[:n]
	if len(u.carry) > 0 {
		b = append(u.carry, b...)
		u.carry = nil
	}
	for len(b) > 0 {
		if b[0] < 0x80 {
			b = b[1:]
			continue
		}
		if !utf8.FullRune(b) && err == nil {
			u.carry = append([]byte(nil), b...)
			break
		}
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			u.invalid++
		} else {
			u.valid++
		}
		b = b[max(size, 1):]
	}
	return n, err
}

// verdict checks the encoding the reader chose against the whole file. A
// file is Windows-1251 when, taken as a whole, it is not UTF-8: it holds
// bytes that are not UTF-8 and no more valid UTF-8 characters than such
// bytes (Cyrillic in Windows-1251 is practically never valid UTF-8). Any
// other file is UTF-8, and its cells with stray bytes are problems of
// their rows. A file whose first letters and whole disagree mixes
// encodings and is refused rather than silently decoded the wrong way.
func (u *utf8Stats) verdict(chosen string) (Problem, bool) {
	whole := "utf-8"
	if u.invalid > 0 && u.valid <= u.invalid {
		whole = "windows-1251"
	}
	if whole == chosen {
		return Problem{}, true
	}
	return Problem{Code: CodeMixedEncoding, Msg: msg.New("listfile.mixed_encoding", "encoding", msg.Raw(chosen), "valid", u.valid, "invalid", u.invalid)}, false
}

// csvGuard refuses, as the text is read and before encoding/csv gathers it
// into a record, a value longer than maxField bytes (a 50 MiB line, or a
// quote that is never closed) and a row with more than maxFields cells. It
// follows quoting as encoding/csv does with LazyQuotes: a quote opens a
// quoted value only at the start of a value, and inside one a quote ends it
// only before a separator or the end of the line.
type csvGuard struct {
	r                   io.Reader
	sep                 rune
	quoted, quote       bool // inside quotes; a quote seen inside, not yet judged
	field, fields, line int
	maxField, maxFields int
}

func (g *csvGuard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	sep, sepOK := byte(g.sep), g.sep < utf8.RuneSelf
	for _, c := range p[:n] {
		if g.quoted && g.quote {
			g.quote = false
			if c == '"' {
				g.field++
				continue
			}
			if (sepOK && c == sep) || c == '\n' || c == '\r' {
				g.quoted = false
			}
		}
		switch {
		case g.quoted:
			if c == '"' {
				g.quote = true
			}
			if c == '\n' {
				g.line++
			}
			g.field++
		case c == '"' && g.field == 0:
			g.quoted = true
			g.field++
		case c == '\n':
			g.line++
			g.field, g.fields = 0, 0
		case sepOK && c == sep:
			g.field = 0
			if g.fields++; g.fields >= g.maxFields {
				return 0, refuse(CodeTooManyColumns, 0, msg.New("listfile.too_many_columns_line", "line", msg.Plain(g.line+1), "max", g.maxFields))
			}
		default:
			g.field++
		}
		if g.field > g.maxField {
			return 0, refuse(CodeCellTooLong, 0, msg.New("listfile.cell_too_long_line", "line", msg.Plain(g.line+1), "max", g.maxField))
		}
	}
	return n, err
}

// sniffer decides between UTF-8 and Windows-1251 at the first byte outside
// ASCII (both agree on ASCII), so that the file is read in one pass however
// large it is. See looksUTF8 for the decision.
type sniffer struct {
	br      *bufio.Reader
	dec     io.Reader // set once decided
	decided string
}

func (s *sniffer) encoding() string {
	if s.decided == "" {
		return "utf-8"
	}
	return s.decided
}

func (s *sniffer) Read(p []byte) (int, error) {
	if s.dec != nil {
		return s.dec.Read(p)
	}
	buf, err := s.br.Peek(4096)
	if len(buf) == 0 {
		return 0, err
	}
	i := 0
	for i < len(buf) && buf[i] < 0x80 {
		i++
	}
	if i > 0 {
		return s.br.Read(p[:min(len(p), i)])
	}
	window := buf
	if err == nil { // more follows: do not judge a rune cut at the window's end
		window = trimPartialRune(window)
	}
	if looksUTF8(window) {
		s.decided, s.dec = "utf-8", s.br
	} else {
		s.decided = "windows-1251"
		s.dec = transform.NewReader(s.br, charmap.Windows1251.NewDecoder())
	}
	return s.dec.Read(p)
}

// looksUTF8 judges a stretch of text that starts outside ASCII. Cyrillic in
// Windows-1251 is practically never valid UTF-8 (its letters are bytes
// 0xC0–0xFF, which in UTF-8 must be followed by 0x80–0xBF), so text that
// holds more valid multi-byte sequences than stray bytes is UTF-8 — also when
// a few names in Windows-1251 were pasted into it; those cells are reported.
func looksUTF8(b []byte) bool {
	valid, invalid := 0, 0
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && n == 1:
			invalid++
		case n > 1:
			valid++
		}
		b = b[n:]
	}
	return invalid == 0 || valid > invalid
}

// trimPartialRune drops an incomplete UTF-8 sequence at the end of b.
func trimPartialRune(b []byte) []byte {
	for k := 1; k <= utf8.UTFMax && k <= len(b); k++ {
		c := b[len(b)-k]
		if c < 0x80 {
			return b
		}
		if utf8.RuneStart(c) {
			if !utf8.FullRune(b[len(b)-k:]) {
				return b[:len(b)-k]
			}
			return b
		}
	}
	return b
}

// detectSeparator chooses comma, semicolon or tab from the first line that
// holds any of them (outside quotes), preferring the most frequent. Ties go
// to semicolon and then tab, since commas also occur inside names and
// addresses. Excel's "sep=;" first line is honoured and consumed.
func detectSeparator(r *bufio.Reader) rune {
	buf, _ := r.Peek(64 << 10)
	if l, ok := bytes.CutPrefix(buf, []byte("sep=")); ok && len(l) > 0 {
		sep := rune(l[0])
		if nl := bytes.IndexByte(buf, '\n'); nl >= 0 && nl <= 6 {
			r.Discard(nl + 1)
		}
		return sep
	}
	lines := 0
	for len(buf) > 0 && lines < headerScan {
		line := buf
		if nl := bytes.IndexByte(buf, '\n'); nl >= 0 {
			line, buf = buf[:nl], buf[nl+1:]
		} else {
			buf = nil
		}
		lines++
		var counts [3]int // ; \t ,
		quoted := false
		for _, c := range line {
			switch c {
			case '"':
				quoted = !quoted
			case ';':
				if !quoted {
					counts[0]++
				}
			case '\t':
				if !quoted {
					counts[1]++
				}
			case ',':
				if !quoted {
					counts[2]++
				}
			}
		}
		best := -1
		for i, n := range counts {
			if n > 0 && (best < 0 || n > counts[best]) {
				best = i
			}
		}
		if best >= 0 {
			return [3]rune{';', '\t', ','}[best]
		}
	}
	return ','
}
