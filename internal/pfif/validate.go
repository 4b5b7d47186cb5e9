package pfif

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"parley/internal/person"
)

// FieldError is one invalid field of one record. Parse and Write return
// these (joined with errors.Join when there are several); each names the
// record by its id, or by its position when the id itself is missing.
type FieldError struct {
	Record   string // "person" or "note"
	RecordID string // person_record_id or note_record_id; "" when missing
	Index    int    // 1-based position among the persons, or among the notes of its person or of the document
	Person   string // for a note nested in a person: that person's record id
	Field    string // PFIF field name
	Value    string
	Reason   string
}

func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString("PFIF ")
	b.WriteString(e.Record)
	if e.RecordID != "" {
		fmt.Fprintf(&b, " %q", e.RecordID)
	} else {
		fmt.Fprintf(&b, " #%d (no record id)", e.Index)
	}
	if e.Person != "" {
		fmt.Fprintf(&b, " in person %q", e.Person)
	}
	fmt.Fprintf(&b, ", field %s", e.Field)
	if e.Value != "" {
		fmt.Fprintf(&b, " %q", shorten(e.Value))
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

// shorten keeps error messages readable when a long text field is at fault.
func shorten(v string) string {
	const max = 80
	if utf8.RuneCountInString(v) <= max {
		return v
	}
	r := []rune(v)
	return string(r[:max-1]) + "…"
}

// Unwrap lets errors.Is(err, ErrInvalid) recognise every field error.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// maxReported bounds how many field errors one call returns, so that a
// document of 100,000 broken records does not produce a gigabyte of text.
const maxReported = 20

func joinFieldErrors(errs []*FieldError) error {
	if len(errs) == 0 {
		return nil
	}
	list := make([]error, 0, maxReported+1)
	for i, e := range errs {
		if i == maxReported {
			list = append(list, fmt.Errorf("and %d more invalid fields", len(errs)-maxReported))
			break
		}
		list = append(list, e)
	}
	return errors.Join(list...)
}

var (
	timeRE    = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$`)
	ageRE     = regexp.MustCompile(`^\d+(-\d+)?$`)
	countryRE = regexp.MustCompile(`^[A-Z]{2}$`)
)

// checkValue returns why a non-empty value is not acceptable for its kind,
// or "" when it is. These are the checks whose failure rejects a document.
func checkValue(k kind, v string) string {
	if !utf8.ValidString(v) {
		return "is not valid UTF-8"
	}
	for _, r := range v {
		if !isXMLChar(r) {
			return fmt.Sprintf("contains %U, which XML 1.0 cannot carry", r)
		}
	}
	switch k {
	case kRecordID:
		return checkRecordID(v)
	case kTime:
		if !timeRE.MatchString(v) {
			return `must be a UTC time of the form "YYYY-MM-DDThh:mm:ssZ"`
		}
		if _, err := time.Parse(time.RFC3339Nano, v); err != nil {
			return "is not a real date and time"
		}
	case kDateOfBirth:
		// ParseISODate trims, so reject surrounding space here: the value
		// must survive a round trip byte for byte.
		if _, err := person.ParseISODate(v); err != nil || strings.TrimSpace(v) != v {
			return "must be a real date of the form YYYY, YYYY-MM or YYYY-MM-DD"
		}
	case kSex:
		if v != SexFemale && v != SexMale && v != SexOther {
			return "must be female, male or other"
		}
	case kStatus:
		switch v {
		case StatusInformationSought, StatusIsNoteAuthor, StatusBelievedAlive, StatusBelievedMissing, StatusBelievedDead:
		default:
			return "must be information_sought, is_note_author, believed_alive, believed_missing or believed_dead"
		}
	case kBool:
		if v != "true" && v != "false" {
			return "must be true or false"
		}
	}
	return ""
}

// checkRecordID enforces the "domain/unique" form of record ids (schema
// pattern ".+/.+"); ids are ASCII strings, and white space inside one is
// always a sign of a damaged id.
func checkRecordID(v string) string {
	slash := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c <= ' ' || c >= 0x7f {
			return "must be printable ASCII without spaces"
		}
		if c == '/' && i > 0 && i < len(v)-1 {
			slash = true
		}
	}
	if !slash {
		return `must have the form "domain/unique" (a "/" with text on both sides)`
	}
	return ""
}

// isXMLChar reports whether r may appear in an XML 1.0 document.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// checker validates a document. Parse and Write share it, so that whatever
// Parse accepts Write can write, and the reverse.
type checker struct {
	errs []*FieldError
	warn *warnings // nil: do not collect warnings
}

func (c *checker) document(doc *Document) {
	for i := range doc.Persons {
		p := &doc.Persons[i]
		c.person(p, i+1)
		for j := range p.Notes {
			c.note(&p.Notes[j], j+1, p)
		}
	}
	for j := range doc.Notes {
		c.note(&doc.Notes[j], j+1, nil)
	}
}

func (c *checker) person(p *Person, idx int) {
	fail := func(field, value, reason string) {
		c.errs = append(c.errs, &FieldError{Record: "person", RecordID: p.RecordID, Index: idx, Field: field, Value: value, Reason: reason})
	}
	if p.RecordID == "" {
		fail("person_record_id", "", "missing; every person record needs one")
	}
	for _, f := range personFields {
		v := *f.get(p)
		if v == "" {
			// An expired record legitimately keeps only its id and dates
			// (data expiry mechanism, specification section 3.3).
			if f.required && f.kind != kRecordID && c.warn != nil && !(f.name == "full_name" && p.ExpiryDate != "") {
				c.warn.add(fmt.Sprintf("person record lacks %s, which PFIF requires", f.name), p.RecordID)
			}
			continue
		}
		if reason := checkValue(f.kind, v); reason != "" {
			fail(f.name, v, reason)
			continue
		}
		c.soft(f.kind, "person", v, p.RecordID)
	}
}

func (c *checker) note(n *Note, idx int, parent *Person) {
	fe := &FieldError{Record: "note", RecordID: n.NoteRecordID, Index: idx}
	if parent != nil {
		fe.Person = parent.RecordID
	}
	fail := func(field, value, reason string) {
		e := *fe
		e.Field, e.Value, e.Reason = field, value, reason
		c.errs = append(c.errs, &e)
	}
	if n.NoteRecordID == "" {
		fail("note_record_id", "", "missing; every note record needs one")
	}
	switch {
	case parent == nil && n.PersonRecordID == "":
		fail("person_record_id", "", "missing; a note outside a person must name its person")
	case parent != nil && n.PersonRecordID != "" && n.PersonRecordID != parent.RecordID:
		fail("person_record_id", n.PersonRecordID, fmt.Sprintf("does not match the enclosing person %q", parent.RecordID))
	}
	for _, f := range noteFields {
		v := *f.get(n)
		if v == "" {
			if f.required && f.kind != kRecordID && c.warn != nil {
				c.warn.add(fmt.Sprintf("note record lacks %s, which PFIF requires", f.name), n.NoteRecordID)
			}
			continue
		}
		if reason := checkValue(f.kind, v); reason != "" {
			fail(f.name, v, reason)
			continue
		}
		c.soft(f.kind, "note", v, n.NoteRecordID)
	}
}

// soft records, as warnings, schema patterns that real exporters break
// without harm to the data (free-text ages, country names).
func (c *checker) soft(k kind, record, v, id string) {
	if c.warn == nil {
		return
	}
	switch {
	case k == kAge && !ageRE.MatchString(v):
		c.warn.add(fmt.Sprintf("%s record has an age that is not N or N-M", record), id)
	case k == kCountry && !countryRE.MatchString(v):
		c.warn.add(fmt.Sprintf("%s record has a home_country that is not an ISO 3166-1 two-letter code", record), id)
	}
}

// warnings collects repeated messages once each, with a count and the first
// record they concern, in order of first appearance.
type warnings struct {
	order []string
	count map[string]int
	first map[string]string
}

func newWarnings() *warnings {
	return &warnings{count: map[string]int{}, first: map[string]string{}}
}

func (w *warnings) add(msg, recordID string) {
	if w.count[msg] == 0 {
		w.order = append(w.order, msg)
		w.first[msg] = recordID
	}
	w.count[msg]++
}

func (w *warnings) list() []string {
	var out []string
	for _, msg := range w.order {
		n, id := w.count[msg], w.first[msg]
		switch {
		case n == 1 && id != "":
			out = append(out, fmt.Sprintf("%s (%s)", msg, id))
		case n == 1:
			out = append(out, msg)
		case id != "":
			out = append(out, fmt.Sprintf("%s (%d times, first %s)", msg, n, id))
		default:
			out = append(out, fmt.Sprintf("%s (%d times)", msg, n))
		}
	}
	return out
}
