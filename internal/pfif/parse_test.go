package pfif

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func parseFile(t *testing.T, name string) *Document {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := Parse(f, ParseOptions{})
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return doc
}

// records returns the document without its warnings, for comparisons of
// content.
func records(d *Document) Document {
	return Document{Persons: d.Persons, Notes: d.Notes}
}

func TestParseTestdata(t *testing.T) {
	tests := []struct {
		file string
		want Document
	}{
		{"pfif-1.4-full.xml", Document{
			Persons: []Person{{
				RecordID:         "example.org/person.1001",
				EntryDate:        "2025-06-02T10:15:00Z",
				ExpiryDate:       "2026-06-02T10:15:00Z",
				AuthorName:       "Олена Коваленко",
				AuthorEmail:      "olena@example.com",
				AuthorPhone:      "+380 44 000 0000",
				SourceName:       "Example Family Inquiries",
				SourceDate:       "2025-06-01T08:00:00Z",
				SourceURL:        "https://example.org/inquiry/1001",
				FullName:         "Коваленко Андрій Петрович",
				GivenName:        "Андрій",
				FamilyName:       "Коваленко",
				AlternateNames:   "Kovalenko Andrii Petrovych\nКоваленко Андрей Петрович",
				Description:      "Scar on the left hand & a tattoo \"<3\".\nLast letter came from the front in May.",
				Sex:              "male",
				DateOfBirth:      "1999-03",
				Age:              "25-26",
				HomeStreet:       "вул. Садова",
				HomeNeighborhood: "Поділ",
				HomeCity:         "Київ",
				HomeState:        "UA-30",
				HomePostalCode:   "04070",
				HomeCountry:      "UA",
				PhotoURL:         "https://example.org/photo/1001.jpg",
				ProfileURLs:      "https://example.net/u/akovalenko\nhttps://example.com/profile/1001",
				Notes: []Note{{
					NoteRecordID:         "example.org/note.2001",
					PersonRecordID:       "example.org/person.1001",
					LinkedPersonRecordID: "example.net/person.77",
					EntryDate:            "2025-06-03T12:00:00Z",
					AuthorName:           "Олена Коваленко",
					AuthorEmail:          "olena@example.com",
					AuthorPhone:          "+380 44 000 0000",
					SourceDate:           "2025-06-03T11:59:00Z",
					AuthorMadeContact:    "false",
					Status:               "information_sought",
					EmailOfFoundPerson:   "andrii@example.com",
					PhoneOfFoundPerson:   "+380 67 000 0000",
					LastKnownLocation:    "48.0159,37.8028",
					Text:                 "Record example.net/person.77 describes the same man: same name, date of birth and unit.",
					PhotoURL:             "https://example.org/photo/2001.jpg",
				}},
			}, {
				RecordID:   "example.org/person.1002",
				SourceDate: "2025-06-01T09:30:00Z",
				FullName:   "Мельник Ірина",
			}},
			Notes: []Note{{
				NoteRecordID:   "example.net/note.9",
				PersonRecordID: "example.org/person.1002",
				AuthorName:     "Example Tracing Service",
				SourceDate:     "2025-06-04T07:45:10Z",
				Status:         "believed_alive",
				Text:           "Named on a list of people held, received 2025-06-04.",
			}},
		}},
		{"pfif-1.4-id-after-note.xml", Document{Persons: []Person{{
			RecordID:   "example.org/person.1003",
			SourceDate: "2025-05-16T12:00:00.250Z",
			FullName:   "Бондаренко Сергій",
			Notes: []Note{{
				NoteRecordID:   "example.org/note.4001",
				PersonRecordID: "example.org/person.1003", // filled in from the enclosing person
				AuthorName:     "Example Tracing Service",
				SourceDate:     "2025-05-17T06:00:00Z",
				Status:         "believed_alive",
				Text:           "Believed to be among those released at the border crossing.",
			}},
		}}}},
		{"pfif-1.4-default-namespace.xml", Document{Notes: []Note{{
			NoteRecordID:      "example.org/note.3001",
			PersonRecordID:    "example.org/person.1001",
			AuthorName:        "Example Tracing Service",
			SourceDate:        "2025-06-05T00:00:00Z",
			AuthorMadeContact: "true",
			Status:            "believed_alive",
			Text:              "Seen by a delegate on 2025-06-04; asks that his mother be told.",
		}, {
			NoteRecordID:   "example.org/note.3002",
			PersonRecordID: "example.org/person.1002",
			AuthorName:     "Мельник Олег",
			SourceDate:     "2025-06-05T01:02:03Z",
			Status:         "is_note_author",
			Text:           "I am her brother; please write to me.",
		}}}},
		{"pfif-1.4-lenient.xml", Document{Persons: []Person{{
			RecordID:    "example.org/person.1005",
			SourceDate:  "2025-06-01T00:00:00Z",
			FullName:    "Руденко Віктор",
			Sex:         "male",
			Description: "Unit 3 <mechanised>; last call 12 May.",
			Age:         "about 30",
			Notes: []Note{{
				NoteRecordID:      "example.org/note.5001",
				PersonRecordID:    "example.org/person.1005",
				AuthorName:        "Example Exporter",
				SourceDate:        "2025-06-02T00:00:00Z",
				AuthorMadeContact: "false",
				Status:            "believed_missing",
				Text:              "No news since 12 May.",
			}},
		}}}},
		{"pfif-1.3.xml", Document{Persons: []Person{{
			RecordID:       "example.com/person.13",
			EntryDate:      "2012-01-16T02:07:57Z",
			ExpiryDate:     "2012-02-16T02:07:57Z",
			SourceDate:     "2012-01-01T00:00:00Z",
			FullName:       "Lysenko Oksana",
			GivenName:      "Oksana",
			FamilyName:     "Lysenko",
			Sex:            "female",
			DateOfBirth:    "1980-02-29",
			HomePostalCode: "61000",
			HomeCountry:    "UA",
			Description:    "Brown eyes & short hair.\nSpeaks Ukrainian and English.",
			Notes: []Note{{
				NoteRecordID:      "example.com/note.13",
				PersonRecordID:    "example.com/person.13",
				AuthorName:        "Example Volunteer",
				SourceDate:        "2012-01-02T00:00:00Z",
				AuthorMadeContact: "true",
				Status:            "believed_alive",
				Text:              "Spoke to her on the phone.",
			}},
		}}}},
		{"pfif-1.2.xml", Document{Persons: []Person{{
			RecordID:       "example.com/person.12",
			SourceDate:     "2010-01-16T02:07:57Z",
			FullName:       "Taras Hnatyuk", // PFIF 1.2 had no full_name
			GivenName:      "Taras",
			FamilyName:     "Hnatyuk",
			Sex:            "male",
			DateOfBirth:    "1975-07",
			Age:            "34-36",
			HomePostalCode: "79000",
			HomeCountry:    "UA",
			Notes: []Note{{
				NoteRecordID:         "example.com/note.12",
				PersonRecordID:       "example.com/person.12",
				LinkedPersonRecordID: "example.net/person.12b",
				AuthorName:           "Example Volunteer",
				SourceDate:           "2010-01-17T00:00:00Z",
				AuthorMadeContact:    "false",
				Status:               "believed_missing",
				Text:                 "Duplicate of example.net/person.12b: same name and date of birth.",
			}},
		}}}},
		{"pfif-1.1.xml", Document{Persons: []Person{{
			RecordID:       "example.com/a0030000001",
			EntryDate:      "2005-09-03T09:21:12Z",
			AuthorName:     "Example Author",
			SourceName:     "example.com",
			SourceDate:     "2005-09-03T09:21:12Z",
			FullName:       "KATERYNA SAVCHENKO",
			GivenName:      "KATERYNA",
			FamilyName:     "SAVCHENKO",
			HomeCity:       "ODESA",
			HomePostalCode: "65000",
			// More than a description label: kept whole.
			Description: "description:\n    Dark hair.\nexample.com/company: Example Bank",
			Notes: []Note{{
				NoteRecordID:      "example.com/00N30000001",
				PersonRecordID:    "example.com/a0030000001",
				EntryDate:         "2005-09-03T20:52:25Z",
				AuthorName:        "Example Neighbour",
				SourceDate:        "2005-09-03T20:52:25Z",
				AuthorMadeContact: "true",
				LastKnownLocation: "a shelter in the city centre",
				Text:              "Spoke to her today; she is well.",
			}},
		}}}},
		{"pfif-1.4-atom-person-feed.xml", Document{Persons: []Person{{
			RecordID:   "example.org/person.1006",
			SourceDate: "2025-06-04T00:00:00Z",
			FullName:   "Гнатюк Роман Іванович",
			GivenName:  "Роман",
			FamilyName: "Гнатюк",
			Notes: []Note{{
				NoteRecordID:   "example.org/note.6001",
				PersonRecordID: "example.org/person.1006",
				AuthorName:     "Гнатюк Марія",
				SourceDate:     "2025-06-04T00:00:00Z",
				Status:         "information_sought",
				Text:           "Looking for my son.",
			}},
		}}}},
		{"pfif-1.4-rss-note-feed.xml", Document{Notes: []Note{{
			NoteRecordID:   "example.org/note.7001",
			PersonRecordID: "example.org/person.1006",
			AuthorName:     "Example Tracing Service",
			SourceDate:     "2025-06-05T00:00:00Z",
			Status:         "believed_alive",
			Text:           "Registered as held on 2025-06-03.",
		}}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := records(parseFile(t, tt.file))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%s):\n got %#v\nwant %#v", tt.file, got, tt.want)
			}
		})
	}
}

func TestParseWarnings(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"pfif-1.4-lenient.xml", []string{
			"ignored unknown element {urn:example:ext}generator in pfif",
			"ignored unknown element {urn:example:ext}unit_number in person",
			"ignored unknown element pfif:latest_status in person",
			"ignored unknown element {urn:example:ext}priority in note",
			"person record has an age that is not N or N-M (example.org/person.1005)",
		}},
		// An expired placeholder legitimately lacks full_name.
		{"pfif-1.4-expired.xml", nil},
		{"pfif-1.4-full.xml", nil},
	}
	for _, tt := range tests {
		got := parseFile(t, tt.file).Warnings
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: warnings\n got %q\nwant %q", tt.file, got, tt.want)
		}
	}

	const doc = `<pfif xmlns="http://zesty.ca/pfif/1.4">
<person><person_record_id>x.org/1</person_record_id><foo/><foo/></person>
<person><person_record_id>x.org/2</person_record_id><home_country>Ukraine</home_country></person>
<note><note_record_id>x.org/n</note_record_id><person_record_id>x.org/1</person_record_id></note>
</pfif>`
	d, err := Parse(strings.NewReader(doc), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ignored unknown element pfif:foo in person (2 times)",
		"person record lacks source_date, which PFIF requires (2 times, first x.org/1)",
		"person record lacks full_name, which PFIF requires (2 times, first x.org/1)",
		"person record has a home_country that is not an ISO 3166-1 two-letter code (x.org/2)",
		"note record lacks author_name, which PFIF requires (x.org/n)",
		"note record lacks source_date, which PFIF requires (x.org/n)",
		"note record lacks text, which PFIF requires (x.org/n)",
	}
	if !reflect.DeepEqual(d.Warnings, want) {
		t.Errorf("warnings\n got %q\nwant %q", d.Warnings, want)
	}
}

func TestParseNoNamespace(t *testing.T) {
	const doc = `<pfif><person><person_record_id>x.org/1</person_record_id><first_name>A</first_name><full_name>A B</full_name><source_date>2025-01-01T00:00:00Z</source_date></person></pfif>`
	d, err := Parse(strings.NewReader(doc), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := Document{Persons: []Person{{RecordID: "x.org/1", GivenName: "A", FullName: "A B", SourceDate: "2025-01-01T00:00:00Z"}}}
	if got := records(d); !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
	if len(d.Warnings) != 1 || !strings.Contains(d.Warnings[0], "no PFIF namespace") {
		t.Errorf("warnings = %q, want one about the missing namespace", d.Warnings)
	}
}

const (
	ns14      = `xmlns:pfif="http://zesty.ca/pfif/1.4"`
	okPerson  = `<pfif:person><pfif:person_record_id>example.org/p1</pfif:person_record_id><pfif:source_date>2025-01-01T00:00:00Z</pfif:source_date><pfif:full_name>A B</pfif:full_name></pfif:person>`
	okDocHead = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<pfif:pfif ` + ns14 + `>`
)

// withPerson returns a document with one person holding the given extra
// elements.
func withPerson(fields string) string {
	return okDocHead + `<pfif:person><pfif:person_record_id>example.org/p1</pfif:person_record_id>` + fields + `</pfif:person></pfif:pfif>`
}

func TestParseRejects(t *testing.T) {
	billionLaughs := `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<pfif:pfif ` + ns14 + `><pfif:person><pfif:full_name>&lol3;</pfif:full_name></pfif:person></pfif:pfif>`
	tests := []struct {
		name  string
		in    string
		opts  ParseOptions
		want  string // substring of the error text
		is    error
		field string // for field errors: the field named
	}{
		{"syntax error", okDocHead + "\n<pfif:person>\n</pfif:note>\n</pfif:pfif>", ParseOptions{},
			"malformed PFIF XML at line 4, column 13", ErrMalformed, ""},
		{"unexpected EOF", okDocHead + "\n<pfif:person>", ParseOptions{},
			"malformed PFIF XML at line 3", ErrMalformed, ""},
		{"oversized", okDocHead + okPerson + "</pfif:pfif>", ParseOptions{MaxBytes: 100},
			"PFIF document larger than 100 bytes", ErrTooLarge, ""},
		{"oversized before a syntax error", okDocHead + strings.Repeat("<pfif:person>", 50), ParseOptions{MaxBytes: 200},
			"PFIF document larger than 200 bytes", ErrTooLarge, ""},
		{"too many records", okDocHead + strings.Repeat(okPerson, 3) + "</pfif:pfif>", ParseOptions{MaxRecords: 2},
			"PFIF document has more than 2 records", ErrTooManyRecords, ""},
		{"nested notes count", okDocHead + `<pfif:person><pfif:person_record_id>example.org/p1</pfif:person_record_id><pfif:note/><pfif:note/></pfif:person></pfif:pfif>`, ParseOptions{MaxRecords: 2},
			"PFIF document has more than 2 records", ErrTooManyRecords, ""},
		{"billion laughs", billionLaughs, ParseOptions{},
			"<!DOCTYPE> declaration at line 2; DOCTYPE and entity declarations are refused", ErrDTD, ""},
		{"external entity", `<?xml version="1.0"?><!DOCTYPE pfif [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><pfif:pfif ` + ns14 + `/>`, ParseOptions{},
			"DOCTYPE and entity declarations are refused", ErrDTD, ""},
		{"DOCTYPE inside an unknown element", okDocHead + `<x><!DOCTYPE y></x></pfif:pfif>`, ParseOptions{},
			"DOCTYPE and entity declarations are refused", ErrDTD, ""},
		{"undefined entity", withPerson(`<pfif:full_name>&xxe;</pfif:full_name>`), ParseOptions{},
			"invalid character entity &xxe;", ErrMalformed, ""},
		{"invalid UTF-8", withPerson("<pfif:full_name>\xff\xfe</pfif:full_name>"), ParseOptions{},
			"invalid UTF-8", ErrMalformed, ""},
		{"not UTF-8", `<?xml version="1.0" encoding="ISO-8859-1"?><pfif:pfif ` + ns14 + `/>`, ParseOptions{},
			`must be UTF-8, this one declares "ISO-8859-1"`, ErrMalformed, ""},
		{"empty input", "", ParseOptions{}, "not a PFIF document: no root element", ErrMalformed, ""},
		{"not PFIF", `<html><body/></html>`, ParseOptions{}, "not a PFIF document: the root element is <html>", ErrMalformed, ""},
		{"wrong namespace", `<pfif xmlns="http://example.org/pfif/1.4"/>`, ParseOptions{}, "not a PFIF document", ErrMalformed, ""},
		{"second root", okDocHead + "</pfif:pfif><pfif:pfif " + ns14 + "/>", ParseOptions{}, "a second root element", ErrMalformed, ""},
		{"text after root", okDocHead + "</pfif:pfif>junk", ParseOptions{}, "text outside the root element", ErrMalformed, ""},

		{"record id without slash", okDocHead + `<pfif:person><pfif:person_record_id>example.org</pfif:person_record_id></pfif:person></pfif:pfif>`, ParseOptions{},
			`PFIF person "example.org", field person_record_id "example.org": must have the form "domain/unique"`, ErrInvalid, "person_record_id"},
		{"record id slash at the end", okDocHead + `<pfif:person><pfif:person_record_id>example.org/</pfif:person_record_id></pfif:person></pfif:pfif>`, ParseOptions{},
			`must have the form "domain/unique"`, ErrInvalid, "person_record_id"},
		{"record id with space", okDocHead + `<pfif:person><pfif:person_record_id>example.org/a b</pfif:person_record_id></pfif:person></pfif:pfif>`, ParseOptions{},
			"must be printable ASCII without spaces", ErrInvalid, "person_record_id"},
		{"missing record id", okDocHead + `<pfif:person><pfif:full_name>A</pfif:full_name></pfif:person></pfif:pfif>`, ParseOptions{},
			"PFIF person #1 (no record id), field person_record_id: missing", ErrInvalid, "person_record_id"},
		{"entry_date not ISO", withPerson(`<pfif:entry_date>2005-09-03 09:21:12</pfif:entry_date>`), ParseOptions{},
			`PFIF person "example.org/p1", field entry_date "2005-09-03 09:21:12": must be a UTC time of the form "YYYY-MM-DDThh:mm:ssZ"`, ErrInvalid, "entry_date"},
		{"source_date with offset", withPerson(`<pfif:source_date>2005-09-03T09:21:12+00:00</pfif:source_date>`), ParseOptions{},
			`field source_date "2005-09-03T09:21:12+00:00": must be a UTC time`, ErrInvalid, "source_date"},
		{"source_date not in calendar", withPerson(`<pfif:source_date>2005-02-30T00:00:00Z</pfif:source_date>`), ParseOptions{},
			`field source_date "2005-02-30T00:00:00Z": is not a real date and time`, ErrInvalid, "source_date"},
		{"expiry_date hour 24", withPerson(`<pfif:expiry_date>2005-02-03T24:00:00Z</pfif:expiry_date>`), ParseOptions{},
			`field expiry_date "2005-02-03T24:00:00Z": is not a real date and time`, ErrInvalid, "expiry_date"},
		{"date_of_birth month 13", withPerson(`<pfif:date_of_birth>1970-13</pfif:date_of_birth>`), ParseOptions{},
			`PFIF person "example.org/p1", field date_of_birth "1970-13": must be a real date of the form YYYY, YYYY-MM or YYYY-MM-DD`, ErrInvalid, "date_of_birth"},
		{"date_of_birth two-digit year", withPerson(`<pfif:date_of_birth>70</pfif:date_of_birth>`), ParseOptions{},
			`field date_of_birth "70"`, ErrInvalid, "date_of_birth"},
		{"date_of_birth 29 February of a common year", withPerson(`<pfif:date_of_birth>1999-02-29</pfif:date_of_birth>`), ParseOptions{},
			`field date_of_birth "1999-02-29"`, ErrInvalid, "date_of_birth"},
		{"sex", withPerson(`<pfif:sex>m</pfif:sex>`), ParseOptions{},
			`field sex "m": must be female, male or other`, ErrInvalid, "sex"},
		{"duplicate field", withPerson(`<pfif:full_name>A</pfif:full_name><pfif:full_name>B</pfif:full_name>`), ParseOptions{},
			`field full_name "B": given twice, also as "A"`, ErrInvalid, "full_name"},
		{"old and new name of one field", withPerson(`<pfif:given_name>A</pfif:given_name><pfif:first_name>B</pfif:first_name>`), ParseOptions{},
			`field given_name "B": given twice`, ErrInvalid, "given_name"},
		{"markup in a field", withPerson(`<pfif:full_name>A <b>B</b></pfif:full_name>`), ParseOptions{},
			`field full_name: holds an element <b>; PFIF fields hold text only`, ErrInvalid, "full_name"},
		{"note status", withPerson(`<pfif:note><pfif:note_record_id>example.org/n1</pfif:note_record_id><pfif:status>alive</pfif:status></pfif:note>`), ParseOptions{},
			`PFIF note "example.org/n1" in person "example.org/p1", field status "alive": must be information_sought`, ErrInvalid, "status"},
		{"note boolean", withPerson(`<pfif:note><pfif:note_record_id>example.org/n1</pfif:note_record_id><pfif:author_made_contact>yes</pfif:author_made_contact></pfif:note>`), ParseOptions{},
			`field author_made_contact "yes": must be true or false`, ErrInvalid, "author_made_contact"},
		{"nested note of another person", withPerson(`<pfif:note><pfif:note_record_id>example.org/n1</pfif:note_record_id><pfif:person_record_id>example.org/p2</pfif:person_record_id></pfif:note>`), ParseOptions{},
			`PFIF note "example.org/n1" in person "example.org/p1", field person_record_id "example.org/p2": does not match the enclosing person "example.org/p1"`, ErrInvalid, "person_record_id"},
		{"top-level note without person", okDocHead + `<pfif:note><pfif:note_record_id>example.org/n1</pfif:note_record_id></pfif:note></pfif:pfif>`, ParseOptions{},
			`PFIF note "example.org/n1", field person_record_id: missing; a note outside a person must name its person`, ErrInvalid, "person_record_id"},
		{"linked record id", okDocHead + `<pfif:note><pfif:note_record_id>example.org/n1</pfif:note_record_id><pfif:person_record_id>example.org/p1</pfif:person_record_id><pfif:linked_person_record_id>p2</pfif:linked_person_record_id></pfif:note></pfif:pfif>`, ParseOptions{},
			`field linked_person_record_id "p2": must have the form "domain/unique"`, ErrInvalid, "linked_person_record_id"},
		{"note without id", okDocHead + `<pfif:note><pfif:person_record_id>example.org/p1</pfif:person_record_id></pfif:note></pfif:pfif>`, ParseOptions{},
			`PFIF note #1 (no record id), field note_record_id: missing`, ErrInvalid, "note_record_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Parse(strings.NewReader(tt.in), tt.opts)
			if err == nil {
				t.Fatalf("Parse accepted the document: %#v", doc)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %v", err, tt.is)
			}
			if tt.field != "" {
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Field != tt.field {
					t.Errorf("error %q: want a *FieldError for field %s, got %#v", err, tt.field, fe)
				}
			}
		})
	}
}

func TestParseSizeLimitIsExact(t *testing.T) {
	doc := okDocHead + okPerson + "</pfif:pfif>"
	n := int64(len(doc))
	if _, err := Parse(strings.NewReader(doc), ParseOptions{MaxBytes: n}); err != nil {
		t.Errorf("document of exactly MaxBytes refused: %v", err)
	}
	if _, err := Parse(strings.NewReader(doc), ParseOptions{MaxBytes: n - 1}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("document of MaxBytes+1 bytes: err = %v, want ErrTooLarge", err)
	}
	if _, err := Parse(strings.NewReader(doc), ParseOptions{MaxBytes: math.MaxInt64}); err != nil {
		t.Errorf("MaxBytes = MaxInt64: %v", err)
	}
	// Trailing white space counts too: Parse reads to the end.
	if _, err := Parse(strings.NewReader(doc+"\n\n"), ParseOptions{MaxBytes: n + 1}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("trailing bytes beyond MaxBytes: err = %v, want ErrTooLarge", err)
	}
}

func TestParseRecordLimitIsExact(t *testing.T) {
	doc := okDocHead + strings.Repeat(okPerson, 3) + "</pfif:pfif>"
	if _, err := Parse(strings.NewReader(doc), ParseOptions{MaxRecords: 3}); err != nil {
		t.Errorf("3 records with MaxRecords 3: %v", err)
	}
}

func TestParseReportsEveryInvalidField(t *testing.T) {
	var b strings.Builder
	b.WriteString(okDocHead)
	for range 30 {
		b.WriteString(`<pfif:person><pfif:person_record_id>bad</pfif:person_record_id><pfif:sex>x</pfif:sex></pfif:person>`)
	}
	b.WriteString("</pfif:pfif>")
	_, err := Parse(strings.NewReader(b.String()), ParseOptions{})
	if err == nil {
		t.Fatal("accepted")
	}
	if got := strings.Count(err.Error(), "PFIF person"); got != maxReported {
		t.Errorf("%d field errors reported, want %d", got, maxReported)
	}
	if !strings.Contains(err.Error(), "and 40 more invalid fields") {
		t.Errorf("error does not count the rest: %v", err)
	}
}

func TestParseReaderError(t *testing.T) {
	boom := errors.New("connection reset")
	_, err := Parse(&failingReader{data: okDocHead, err: boom}, ParseOptions{})
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want it to wrap the reader's error", err)
	}
}

type failingReader struct {
	data string
	err  error
}

func (r *failingReader) Read(b []byte) (int, error) {
	if r.data == "" {
		return 0, r.err
	}
	n := copy(b, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestOtherToDescription(t *testing.T) {
	tests := []struct{ in, want string }{
		{"description:\n    Dark hair.\n    Tall.\n", "Dark hair.\nTall.\n"},
		{"description: one line", "one line"},
		{"just text", "just text"},
		{"description:\n    x\nsite.org/gender: female", "description:\n    x\nsite.org/gender: female"},
	}
	for _, tt := range tests {
		if got := otherToDescription(tt.in); got != tt.want {
			t.Errorf("otherToDescription(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestExpired(t *testing.T) {
	now := mustTime(t, "2025-07-01T00:00:00Z")
	tests := []struct {
		expiry string
		want   bool
	}{
		{"", false},
		{"2025-07-01T00:00:01Z", false},
		{"2025-07-01T00:00:00Z", true},
		{"2020-01-01T00:00:00Z", true},
		{"garbage", true},
	}
	for _, tt := range tests {
		if got := (Person{ExpiryDate: tt.expiry}).Expired(now); got != tt.want {
			t.Errorf("Expired with expiry %q = %v, want %v", tt.expiry, got, tt.want)
		}
	}
}

func TestFieldErrorShortensLongValues(t *testing.T) {
	long := strings.Repeat("я", 1000) + "\x01"
	e := &FieldError{Record: "person", RecordID: "example.org/p1", Field: "description", Value: long, Reason: "bad"}
	msg := e.Error()
	if strings.Count(msg, "я") != 79 || !strings.Contains(msg, "…") {
		t.Errorf("message not shortened to 80 characters: %q", msg)
	}
}
