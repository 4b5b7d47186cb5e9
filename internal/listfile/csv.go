package listfile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// readCSV reads a CSV list, detecting the encoding and the separator.
func readCSV(r io.Reader, b *builder) error {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return fmt.Errorf("read CSV: %w", err)
	}
	if bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		return errors.New("read CSV: this is a zip archive (an XLSX workbook?), not a CSV file")
	}
	var text io.Reader
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
		d := &sniffer{br: br}
		text = d
		defer func() { b.res.Encoding = d.encoding() }()
	}

	tr := bufio.NewReaderSize(text, 64<<10)
	sep := detectSeparator(tr)
	cr := csv.NewReader(tr)
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
			sheetRow += perr.StartLine - prevEnd
			prevEnd = perr.Line
			if t.cols == nil {
				return fmt.Errorf("read CSV: line %d: %w", perr.StartLine, perr.Err)
			}
			line := sheetRow - t.headerRow
			b.res.Problems = append(b.res.Problems, Problem{Row: line, Reason: "cannot read the row: " + perr.Err.Error()})
			continue
		}
		start, _ := cr.FieldPos(0)
		end, _ := cr.FieldPos(len(rec) - 1)
		end += strings.Count(rec[len(rec)-1], "\n")
		sheetRow += start - prevEnd
		prevEnd = end
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
	return nil
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
