package pfif

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strings"
)

// ParseOptions bounds what Parse will read. Zero values select the defaults.
type ParseOptions struct {
	MaxBytes   int64 // largest accepted document; default DefaultMaxBytes (10 MiB)
	MaxRecords int   // most person and note records together; default DefaultMaxRecords
}

// atomNamespace is the namespace of Atom feeds, which may carry PFIF records
// (specification section 6); RSS 2.0 feeds (section 7) have no namespace.
const atomNamespace = "http://www.w3.org/2005/Atom"

// Parse reads a PFIF 1.1–1.4 document, or an Atom or RSS feed embedding PFIF
// records, and validates it. It reads r to its end, so that trailing
// content and the size limit cover the whole input.
//
// It refuses, with an error saying why: input larger than MaxBytes, more than
// MaxRecords records, any DOCTYPE or other markup declaration (no DTD is ever
// processed, which rules out entity-expansion attacks), malformed XML (the
// error gives line, column and byte offset), and invalid records: a record id
// not of the form "domain/unique", a time that is not UTC
// "YYYY-MM-DDThh:mm:ssZ", a date of birth that is not YYYY, YYYY-MM or
// YYYY-MM-DD, unknown sex, status or boolean values, a nested note whose
// person_record_id differs from its person, a top-level note without one, and
// a field given twice with different values. Field errors (type *FieldError,
// matching ErrInvalid) name the record and field; up to 20 are reported.
//
// It tolerates what real exporters produce: white space around values,
// missing optional fields, elements in other namespaces and unknown elements
// (ignored and listed in Document.Warnings), missing required fields other
// than record ids (listed in Warnings), and the field names of PFIF 1.1–1.3
// (first_name, last_name, home_zip, other, found), which are mapped to their
// 1.4 successors. Records of PFIF 1.1 and 1.2, which had no full_name, get
// one made of given and family name.
func Parse(r io.Reader, opts ParseOptions) (*Document, error) {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.MaxRecords <= 0 {
		opts.MaxRecords = DefaultMaxRecords
	}
	readMax := opts.MaxBytes
	if readMax < math.MaxInt64 {
		readMax++ // one byte more than allowed shows that there is more
	}
	lr := &limitReader{r: io.LimitReader(r, readMax), max: opts.MaxBytes}
	d := xml.NewDecoder(lr)
	d.Strict = true
	d.CharsetReader = charsetReader
	p := &parser{d: d, lr: lr, opts: opts, doc: &Document{}, warn: newWarnings()}
	if err := p.document(); err != nil {
		return nil, err
	}
	c := checker{errs: p.errs, warn: p.warn}
	c.document(p.doc)
	if err := joinFieldErrors(c.errs); err != nil {
		return nil, err
	}
	p.doc.Warnings = p.warn.list()
	return p.doc, nil
}

// limitReader passes through at most max bytes and remembers whether the
// source had more, so that an oversized document is reported as such rather
// than as the syntax error its truncation would cause.
type limitReader struct {
	r        io.Reader // io.LimitReader(source, max+1)
	n, max   int64
	exceeded bool
	srcErr   error // the last error of the source other than io.EOF
}

var errLimit = errors.New("size limit reached")

func (l *limitReader) Read(b []byte) (int, error) {
	if l.exceeded {
		return 0, errLimit
	}
	n, err := l.r.Read(b)
	if err != nil && err != io.EOF {
		l.srcErr = err
	}
	l.n += int64(n)
	if l.n > l.max {
		l.exceeded = true
		return n - int(l.n-l.max), errLimit
	}
	return n, err
}

// charsetReader admits only encodings that are UTF-8 or a subset of it: the
// PFIF specification requires UTF-8 support, and every known exporter
// writes it.
func charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "utf8", "us-ascii", "ascii":
		return in, nil
	}
	return nil, fmt.Errorf("PFIF documents must be UTF-8, this one declares %q", label)
}

// kindError is a document-level error that matches one of the Err* values.
type kindError struct {
	msg  string
	kind error
	err  error // underlying cause, if any
}

func (e *kindError) Error() string { return e.msg }

func (e *kindError) Unwrap() []error {
	if e.err != nil {
		return []error{e.kind, e.err}
	}
	return []error{e.kind}
}

// parser walks the token stream of one document. It never recurses on the
// input's nesting, so deeply nested input cannot exhaust the stack.
type parser struct {
	d       *xml.Decoder
	lr      *limitReader
	opts    ParseOptions
	doc     *Document
	warn    *warnings
	errs    []*FieldError
	records int
	bare    bool // the root had no namespace: unqualified names are PFIF names
}

// token returns the next token, turning every way the input can end or fail
// into the error Parse reports.
func (p *parser) token() (xml.Token, error) {
	tok, err := p.d.Token()
	if p.lr.exceeded {
		return nil, &kindError{msg: fmt.Sprintf("PFIF document larger than %d bytes", p.opts.MaxBytes), kind: ErrTooLarge}
	}
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, p.malformed(err)
	}
	if dir, ok := tok.(xml.Directive); ok {
		line, _ := p.d.InputPos() // the end of the declaration; report its start
		line -= strings.Count(string(dir), "\n")
		what := "a markup declaration"
		if f := strings.Fields(string(dir)); len(f) > 0 {
			what = "a <!" + f[0] + "> declaration"
		}
		return nil, &kindError{
			msg:  fmt.Sprintf("PFIF document has %s at line %d; DOCTYPE and entity declarations are refused", what, line),
			kind: ErrDTD,
		}
	}
	return tok, nil
}

func (p *parser) malformed(err error) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		_, col := p.d.InputPos()
		return &kindError{
			msg:  fmt.Sprintf("malformed PFIF XML at line %d, column %d (byte offset %d): %s", se.Line, col, p.d.InputOffset(), se.Msg),
			kind: ErrMalformed, err: err,
		}
	}
	if p.lr.srcErr != nil && errors.Is(err, p.lr.srcErr) {
		return fmt.Errorf("reading PFIF document: %w", err)
	}
	// The decoder reports some problems, such as a refused encoding,
	// without a SyntaxError.
	return &kindError{msg: fmt.Sprintf("malformed PFIF XML (byte offset %d): %v", p.d.InputOffset(), err), kind: ErrMalformed, err: err}
}

// structural reports a well-formed document that is not PFIF.
func (p *parser) structural(format string, args ...any) error {
	line, col := p.d.InputPos()
	return &kindError{
		msg:  fmt.Sprintf("not a PFIF document: "+format+" (line %d, column %d)", append(args, line, col)...),
		kind: ErrMalformed,
	}
}

// isPFIF reports whether an element name is in a PFIF namespace.
func (p *parser) isPFIF(n xml.Name) bool {
	return version(n.Space) != "" || (p.bare && n.Space == "")
}

func (p *parser) document() error {
	sawRoot := false
	for {
		tok, err := p.token()
		if err == io.EOF {
			if !sawRoot {
				return p.structural("no root element")
			}
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if sawRoot {
				return p.structural("a second root element <%s>", t.Name.Local)
			}
			sawRoot = true
			switch {
			case t.Name.Local == "pfif" && (version(t.Name.Space) != "" || t.Name.Space == ""):
				if t.Name.Space == "" {
					p.bare = true
					p.warn.add("document has no PFIF namespace; read as PFIF 1.4", "")
				}
				err = p.root()
			case t.Name.Local == "feed" && t.Name.Space == atomNamespace, t.Name.Local == "rss" && t.Name.Space == "":
				err = p.feed()
			default:
				return p.structural("the root element is <%s> in namespace %q, not pfif:pfif", t.Name.Local, t.Name.Space)
			}
			if err != nil {
				return err
			}
		case xml.CharData:
			if strings.Trim(string(t), " \t\r\n\uFEFF") != "" {
				return p.structural("text outside the root element")
			}
		}
	}
}

// root reads the children of a pfif:pfif element up to its end tag.
func (p *parser) root() error {
	for {
		tok, err := p.token()
		if err != nil {
			return p.eofInside(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := p.record(t); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// feed reads an Atom or RSS feed, taking every PFIF record it finds, at any
// depth, and ignoring the feed's own elements.
func (p *parser) feed() error {
	depth := 1
	for depth > 0 {
		tok, err := p.token()
		if err != nil {
			return p.eofInside(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if p.isPFIF(t.Name) && (t.Name.Local == "person" || t.Name.Local == "note") {
				if err := p.record(t); err != nil {
					return err
				}
				continue
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
	return nil
}

func (p *parser) eofInside(err error) error {
	if err == io.EOF {
		return p.structural("the document ends inside an element")
	}
	return err
}

// record reads a top-level person or note, or skips an unknown element.
func (p *parser) record(t xml.StartElement) error {
	if p.isPFIF(t.Name) {
		switch t.Name.Local {
		case "person":
			return p.person(t)
		case "note":
			n, errs, err := p.note(t)
			if err != nil {
				return err
			}
			p.doc.Notes = append(p.doc.Notes, n)
			p.noteErrors(errs, len(p.doc.Notes), n, "")
			return nil
		}
	}
	return p.skip(t, "pfif")
}

func (p *parser) count() error {
	p.records++
	if p.records > p.opts.MaxRecords {
		return &kindError{msg: fmt.Sprintf("PFIF document has more than %d records", p.opts.MaxRecords), kind: ErrTooManyRecords}
	}
	return nil
}

// pending is a field error found while a record is read, before its id is
// known (the id element may come last).
type pending struct{ field, value, reason string }

func (p *parser) person(start xml.StartElement) error {
	if err := p.count(); err != nil {
		return err
	}
	var rec Person
	var errs []pending
	var noteErrs [][]pending
	for done := false; !done; {
		tok, err := p.token()
		if err != nil {
			return p.eofInside(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if p.isPFIF(t.Name) {
				if t.Name.Local == "note" {
					n, ne, err := p.note(t)
					if err != nil {
						return err
					}
					rec.Notes = append(rec.Notes, n)
					noteErrs = append(noteErrs, ne)
					continue
				}
				if i, ok := personFieldIndex[t.Name.Local]; ok {
					v, bad, err := p.text(t)
					if err != nil {
						return err
					}
					f := personFields[i]
					if bad != "" {
						errs = append(errs, pending{f.name, "", bad})
						continue
					}
					if t.Name.Local == "other" {
						v = otherToDescription(v)
					}
					v = normalize(f.kind, v)
					if reason := set(f.get(&rec), v); reason != "" {
						errs = append(errs, pending{f.name, v, reason})
					}
					continue
				}
			}
			if err := p.skip(t, "person"); err != nil {
				return err
			}
		case xml.EndElement:
			done = true
		}
	}
	// Notes inside a person belong to it; the schema makes their
	// person_record_id optional, so fill it in (a mismatch is reported by
	// the checker).
	for i := range rec.Notes {
		if rec.Notes[i].PersonRecordID == "" {
			rec.Notes[i].PersonRecordID = rec.RecordID
		}
	}
	if rec.FullName == "" {
		if v := version(start.Name.Space); v == "1.1" || v == "1.2" {
			rec.FullName = strings.TrimSpace(rec.GivenName + " " + rec.FamilyName)
		}
	}
	p.doc.Persons = append(p.doc.Persons, rec)
	idx := len(p.doc.Persons)
	for _, e := range errs {
		p.errs = append(p.errs, &FieldError{Record: "person", RecordID: rec.RecordID, Index: idx, Field: e.field, Value: e.value, Reason: e.reason})
	}
	for i, ne := range noteErrs {
		p.noteErrors(ne, i+1, rec.Notes[i], rec.RecordID)
	}
	return nil
}

func (p *parser) noteErrors(errs []pending, idx int, n Note, parent string) {
	for _, e := range errs {
		p.errs = append(p.errs, &FieldError{Record: "note", RecordID: n.NoteRecordID, Index: idx, Person: parent, Field: e.field, Value: e.value, Reason: e.reason})
	}
}

func (p *parser) note(start xml.StartElement) (Note, []pending, error) {
	var n Note
	if err := p.count(); err != nil {
		return n, nil, err
	}
	var errs []pending
	for {
		tok, err := p.token()
		if err != nil {
			return n, nil, p.eofInside(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if p.isPFIF(t.Name) {
				if i, ok := noteFieldIndex[t.Name.Local]; ok {
					v, bad, err := p.text(t)
					if err != nil {
						return n, nil, err
					}
					f := noteFields[i]
					if bad != "" {
						errs = append(errs, pending{f.name, "", bad})
						continue
					}
					v = normalize(f.kind, v)
					if reason := set(f.get(&n), v); reason != "" {
						errs = append(errs, pending{f.name, v, reason})
					}
					continue
				}
			}
			if err := p.skip(t, "note"); err != nil {
				return n, nil, err
			}
		case xml.EndElement:
			return n, errs, nil
		}
	}
}

// set stores a field value. A field given twice is accepted only when both
// values agree or one is empty: anything else is ambiguous.
func set(dst *string, v string) string {
	switch {
	case v == "" || *dst == v:
	case *dst == "":
		*dst = v
	default:
		return fmt.Sprintf("given twice, also as %q", *dst)
	}
	return ""
}

// normalize trims the white space that XML indentation puts around values
// and lower-cases the enumerated values, which some exporters capitalise.
func normalize(k kind, v string) string {
	v = strings.Trim(v, " \t\r\n")
	switch k {
	case kSex, kStatus, kBool:
		v = strings.ToLower(v)
	}
	return v
}

// text reads the character content of a field element up to its end tag.
// Markup inside a field is reported through bad, not as a failure of the
// whole document, so that the error names the record and field.
func (p *parser) text(start xml.StartElement) (v, bad string, err error) {
	var b strings.Builder
	for {
		tok, err := p.token()
		if err != nil {
			return "", "", p.eofInside(err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.StartElement:
			bad = fmt.Sprintf("holds an element <%s>; PFIF fields hold text only", t.Name.Local)
			if err := p.skipQuiet(); err != nil {
				return "", "", err
			}
		case xml.EndElement:
			return b.String(), bad, nil
		}
	}
}

// skip passes over an element that is not PFIF, noting it as a warning.
func (p *parser) skip(t xml.StartElement, where string) error {
	p.warn.add(fmt.Sprintf("ignored unknown element %s in %s", displayName(t.Name), where), "")
	return p.skipQuiet()
}

// skipQuiet consumes tokens up to the end of the element just started.
func (p *parser) skipQuiet() error {
	depth := 1
	for depth > 0 {
		tok, err := p.token()
		if err != nil {
			return p.eofInside(err)
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
	return nil
}

func displayName(n xml.Name) string {
	switch {
	case version(n.Space) != "":
		return "pfif:" + n.Local
	case n.Space == "":
		return n.Local
	default:
		return "{" + n.Space + "}" + n.Local
	}
}

var labelRE = regexp.MustCompile(`^\S+:`)

// otherToDescription converts the free-form "other" field of PFIF 1.1–1.3
// to a 1.4 description. Exporters that upgraded to 1.4 wrote the description
// into "other" under a "description:" label with indented lines; when that
// label is all there is, the label and indentation are removed. Any other
// content (such as "salesforce.com/company: ..." lines) is kept whole, so
// nothing is lost.
func otherToDescription(other string) string {
	var lines []string
	labelled := false
	for _, line := range strings.Split(other, "\n") {
		if rest, ok := strings.CutPrefix(line, "description:"); ok {
			labelled = true
			if rest = strings.TrimSpace(rest); rest != "" {
				lines = append(lines, rest)
			}
			continue
		}
		if labelRE.MatchString(line) {
			return other
		}
		lines = append(lines, strings.TrimLeft(line, " \t"))
	}
	if !labelled {
		return other
	}
	return strings.Join(lines, "\n")
}
