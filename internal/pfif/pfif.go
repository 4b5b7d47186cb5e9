// Package pfif reads and writes the People Finder Interchange Format (PFIF)
// 1.4, the XML format in which people-finder systems such as Google Person
// Finder exchange records of missing and found people. Parley uses it to pass
// family inquiries to and from such systems.
//
// The format is specified at http://zesty.ca/pfif/1.4 (Ka-Ping Yee et al.).
// A document holds person records, each with any number of note records, and
// note records on their own that point at a person by person_record_id.
//
// Parse accepts PFIF 1.1 to 1.4 (older field names are mapped to their 1.4
// successors), plain documents as well as Atom and RSS feeds that embed PFIF
// records, and refuses anything a hostile or broken peer could use to hurt
// the importer: oversized input, too many records, DTDs and entity
// declarations, malformed XML. Write always produces PFIF 1.4 in UTF-8 with
// the fields of each record in the order of the specification's schema.
//
// Values are kept as the strings the document gave (trimmed of surrounding
// white space): a partial date of birth such as "1970-01" stays partial, and
// record ids and time stamps are never rewritten, so that records keep their
// identity when they travel back to the system they came from.
//
// Privacy: PFIF records carry personal data. The PFIF data-expiry mechanism
// (Person.ExpiryDate, see Person.Expired) obliges a receiver to stop showing
// a record after its expiry date and to delete it within 60 days; callers
// that store imported records must honour it.
package pfif

import (
	"errors"
	"strings"
	"time"
)

// Namespace is the XML namespace of PFIF 1.4, the version Write produces.
const Namespace = "http://zesty.ca/pfif/1.4"

// Defaults of ParseOptions.
const (
	DefaultMaxBytes   int64 = 10 << 20 // 10 MiB
	DefaultMaxRecords       = 100_000
)

// Person is a PFIF person record: who is sought or found. Every field is the
// text of the PFIF element of the same name (RecordID is person_record_id).
type Person struct {
	RecordID         string // person_record_id, "domain/unique"
	EntryDate        string // UTC "YYYY-MM-DDThh:mm:ssZ"
	ExpiryDate       string // UTC "YYYY-MM-DDThh:mm:ssZ"
	AuthorName       string
	AuthorEmail      string
	AuthorPhone      string
	SourceName       string
	SourceDate       string // UTC "YYYY-MM-DDThh:mm:ssZ"
	SourceURL        string
	FullName         string
	GivenName        string
	FamilyName       string
	AlternateNames   string // one name a line
	Description      string
	Sex              string // "female", "male", "other" or ""
	DateOfBirth      string // kept as the string given: "1970", "1970-01" or "1970-01-02"
	Age              string // "N" or "N-M"
	HomeStreet       string
	HomeNeighborhood string
	HomeCity         string
	HomeState        string
	HomePostalCode   string
	HomeCountry      string // ISO 3166-1 alpha-2
	PhotoURL         string
	ProfileURLs      string // one URL a line
	Notes            []Note // notes nested in the person element
}

// Note is a PFIF note record: news about a person, written at one moment by
// one author.
type Note struct {
	NoteRecordID         string
	PersonRecordID       string
	LinkedPersonRecordID string // another record its author believes is the same person
	EntryDate            string
	AuthorName           string
	AuthorEmail          string
	AuthorPhone          string
	SourceDate           string
	AuthorMadeContact    string // "true", "false" or ""
	Status               string // one of the Status* constants or ""
	EmailOfFoundPerson   string
	PhoneOfFoundPerson   string
	LastKnownLocation    string
	Text                 string
	PhotoURL             string
}

// Document is a parsed PFIF document.
type Document struct {
	Persons []Person
	// Notes holds the top-level notes, those not nested in a person; each
	// names its person by PersonRecordID.
	Notes []Note
	// Warnings lists what Parse tolerated but did not take over: ignored
	// unknown elements (with counts), missing fields the schema requires,
	// values outside the schema's patterns for age and home_country. Write
	// ignores it.
	Warnings []string
}

// Values of Person.Sex.
const (
	SexFemale = "female"
	SexMale   = "male"
	SexOther  = "other"
)

// Values of Note.Status.
const (
	StatusInformationSought = "information_sought"
	StatusIsNoteAuthor      = "is_note_author"
	StatusBelievedAlive     = "believed_alive"
	StatusBelievedMissing   = "believed_missing"
	StatusBelievedDead      = "believed_dead"
)

// Errors that Parse wraps, for errors.Is.
var (
	ErrTooLarge       = errors.New("PFIF document too large")
	ErrTooManyRecords = errors.New("PFIF document has too many records")
	ErrDTD            = errors.New("PFIF document has a DTD")
	ErrMalformed      = errors.New("malformed PFIF XML")
	ErrInvalid        = errors.New("invalid PFIF record")
)

// Expired reports whether the record's expiry_date has passed at now. A
// record without an expiry date never expires; an unreadable one is treated
// as expired, so that a broken date never keeps personal data visible.
func (p Person) Expired(now time.Time) bool {
	if p.ExpiryDate == "" {
		return false
	}
	t, err := time.Parse(time.RFC3339Nano, p.ExpiryDate)
	if err != nil {
		return true
	}
	return !now.Before(t)
}

// kind says how a field's value is checked.
type kind int

const (
	kText kind = iota
	kRecordID
	kTime
	kDateOfBirth
	kSex
	kStatus
	kBool
	kAge
	kCountry
)

type personField struct {
	name     string
	kind     kind
	required bool
	get      func(*Person) *string
}

type noteField struct {
	name     string
	kind     kind
	required bool
	get      func(*Note) *string
}

// personFields lists the fields of a person record in the order of the PFIF
// 1.4 schema (section 5 of the specification), which Write follows.
var personFields = []personField{
	{"person_record_id", kRecordID, true, func(p *Person) *string { return &p.RecordID }},
	{"entry_date", kTime, false, func(p *Person) *string { return &p.EntryDate }},
	{"expiry_date", kTime, false, func(p *Person) *string { return &p.ExpiryDate }},
	{"author_name", kText, false, func(p *Person) *string { return &p.AuthorName }},
	{"author_email", kText, false, func(p *Person) *string { return &p.AuthorEmail }},
	{"author_phone", kText, false, func(p *Person) *string { return &p.AuthorPhone }},
	{"source_name", kText, false, func(p *Person) *string { return &p.SourceName }},
	{"source_date", kTime, true, func(p *Person) *string { return &p.SourceDate }},
	{"source_url", kText, false, func(p *Person) *string { return &p.SourceURL }},
	{"full_name", kText, true, func(p *Person) *string { return &p.FullName }},
	{"given_name", kText, false, func(p *Person) *string { return &p.GivenName }},
	{"family_name", kText, false, func(p *Person) *string { return &p.FamilyName }},
	{"alternate_names", kText, false, func(p *Person) *string { return &p.AlternateNames }},
	{"description", kText, false, func(p *Person) *string { return &p.Description }},
	{"sex", kSex, false, func(p *Person) *string { return &p.Sex }},
	{"date_of_birth", kDateOfBirth, false, func(p *Person) *string { return &p.DateOfBirth }},
	{"age", kAge, false, func(p *Person) *string { return &p.Age }},
	{"home_street", kText, false, func(p *Person) *string { return &p.HomeStreet }},
	{"home_neighborhood", kText, false, func(p *Person) *string { return &p.HomeNeighborhood }},
	{"home_city", kText, false, func(p *Person) *string { return &p.HomeCity }},
	{"home_state", kText, false, func(p *Person) *string { return &p.HomeState }},
	{"home_postal_code", kText, false, func(p *Person) *string { return &p.HomePostalCode }},
	{"home_country", kCountry, false, func(p *Person) *string { return &p.HomeCountry }},
	{"photo_url", kText, false, func(p *Person) *string { return &p.PhotoURL }},
	{"profile_urls", kText, false, func(p *Person) *string { return &p.ProfileURLs }},
}

// noteFields lists the fields of a note record in schema order. The schema
// makes text required; person_record_id is required only outside a person.
var noteFields = []noteField{
	{"note_record_id", kRecordID, true, func(n *Note) *string { return &n.NoteRecordID }},
	{"person_record_id", kRecordID, false, func(n *Note) *string { return &n.PersonRecordID }},
	{"linked_person_record_id", kRecordID, false, func(n *Note) *string { return &n.LinkedPersonRecordID }},
	{"entry_date", kTime, false, func(n *Note) *string { return &n.EntryDate }},
	{"author_name", kText, true, func(n *Note) *string { return &n.AuthorName }},
	{"author_email", kText, false, func(n *Note) *string { return &n.AuthorEmail }},
	{"author_phone", kText, false, func(n *Note) *string { return &n.AuthorPhone }},
	{"source_date", kTime, true, func(n *Note) *string { return &n.SourceDate }},
	{"author_made_contact", kBool, false, func(n *Note) *string { return &n.AuthorMadeContact }},
	{"status", kStatus, false, func(n *Note) *string { return &n.Status }},
	{"email_of_found_person", kText, false, func(n *Note) *string { return &n.EmailOfFoundPerson }},
	{"phone_of_found_person", kText, false, func(n *Note) *string { return &n.PhoneOfFoundPerson }},
	{"last_known_location", kText, false, func(n *Note) *string { return &n.LastKnownLocation }},
	{"text", kText, true, func(n *Note) *string { return &n.Text }},
	{"photo_url", kText, false, func(n *Note) *string { return &n.PhotoURL }},
}

// Older PFIF versions named some fields differently; the meaning did not
// change, so they map straight onto the 1.4 fields (specification section 9).
var (
	legacyPersonFields = map[string]string{
		"first_name": "given_name",       // renamed in 1.4
		"last_name":  "family_name",      // renamed in 1.4
		"home_zip":   "home_postal_code", // renamed in 1.2
		"other":      "description",      // replaced in 1.4
	}
	legacyNoteFields = map[string]string{
		"found": "author_made_contact", // renamed in 1.4
	}
)

var (
	personFieldIndex = map[string]int{}
	noteFieldIndex   = map[string]int{}
)

func init() {
	for i, f := range personFields {
		personFieldIndex[f.name] = i
	}
	for old, cur := range legacyPersonFields {
		personFieldIndex[old] = personFieldIndex[cur]
	}
	for i, f := range noteFields {
		noteFieldIndex[f.name] = i
	}
	for old, cur := range legacyNoteFields {
		noteFieldIndex[old] = noteFieldIndex[cur]
	}
}

// version is the PFIF version of a namespace: "1.1" … "1.4", or "" when the
// namespace is not a PFIF one.
func version(space string) string {
	s := strings.TrimSuffix(space, "/")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "http://"), "https://")
	switch s {
	case "zesty.ca/pfif/1.1", "zesty.ca/pfif/1.2", "zesty.ca/pfif/1.3", "zesty.ca/pfif/1.4":
		return s[len(s)-3:]
	}
	return ""
}
