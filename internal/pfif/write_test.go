package pfif

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func write(t *testing.T, doc *Document) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, doc); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return b.Bytes()
}

// TestRoundTrip checks every document in testdata: Parse → Write → Parse
// gives the same records, and writing again gives the same bytes.
func TestRoundTrip(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.xml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test documents: %v", err)
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			doc1 := parseFile(t, name)
			out1 := write(t, doc1)
			doc2, err := Parse(bytes.NewReader(out1), ParseOptions{})
			if err != nil {
				t.Fatalf("re-parse of written document: %v\n%s", err, out1)
			}
			if !reflect.DeepEqual(records(doc1), records(doc2)) {
				t.Errorf("round trip changed the records:\nbefore %#v\nafter  %#v", records(doc1), records(doc2))
			}
			if out2 := write(t, doc2); !bytes.Equal(out1, out2) {
				t.Errorf("second write differs:\n%s\n---\n%s", out1, out2)
			}
		})
	}
}

func TestRecordIDsSurvive(t *testing.T) {
	doc := parseFile(t, "pfif-1.4-full.xml")
	ids := func(d *Document) []string {
		var out []string
		for _, p := range d.Persons {
			out = append(out, p.RecordID)
			for _, n := range p.Notes {
				out = append(out, n.NoteRecordID, n.PersonRecordID, n.LinkedPersonRecordID)
			}
		}
		for _, n := range d.Notes {
			out = append(out, n.NoteRecordID, n.PersonRecordID)
		}
		return out
	}
	want := []string{
		"example.org/person.1001", "example.org/note.2001", "example.org/person.1001", "example.net/person.77",
		"example.org/person.1002",
		"example.net/note.9", "example.org/person.1002",
	}
	if got := ids(doc); !reflect.DeepEqual(got, want) {
		t.Fatalf("parsed ids %q, want %q", got, want)
	}
	again, err := Parse(bytes.NewReader(write(t, doc)), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(again); !reflect.DeepEqual(got, want) {
		t.Errorf("ids after round trip %q, want %q", got, want)
	}
}

func TestPartialDatesStayPartial(t *testing.T) {
	doc := parseFile(t, "pfif-1.4-partial-dates.xml")
	want := []string{"1970", "1970-01", "1970-01-02"}
	for i, p := range doc.Persons {
		if p.DateOfBirth != want[i] {
			t.Errorf("person %d: date_of_birth %q, want %q", i, p.DateOfBirth, want[i])
		}
	}
	out := string(write(t, doc))
	for _, d := range want {
		if !strings.Contains(out, "<pfif:date_of_birth>"+d+"</pfif:date_of_birth>") {
			t.Errorf("written document lacks date_of_birth %s:\n%s", d, out)
		}
	}
	for i, p := range doc.Persons {
		if got := ToPerson(p).BirthDate.String(); got != want[i] {
			t.Errorf("ToPerson: birth date %q, want %q", got, want[i])
		}
		if got := FromPerson(p.RecordID, ToPerson(p)).DateOfBirth; got != want[i] {
			t.Errorf("FromPerson(ToPerson): date_of_birth %q, want %q", got, want[i])
		}
	}
}

// specPersonOrder and specNoteOrder are the element orders of the RELAX NG
// schema in section 5 of the PFIF 1.4 specification.
var (
	specPersonOrder = []string{
		"person_record_id", "entry_date", "expiry_date", "author_name", "author_email", "author_phone",
		"source_name", "source_date", "source_url", "full_name", "given_name", "family_name",
		"alternate_names", "description", "sex", "date_of_birth", "age", "home_street",
		"home_neighborhood", "home_city", "home_state", "home_postal_code", "home_country",
		"photo_url", "profile_urls", "note",
	}
	specNoteOrder = []string{
		"note_record_id", "person_record_id", "linked_person_record_id", "entry_date", "author_name",
		"author_email", "author_phone", "source_date", "author_made_contact", "status",
		"email_of_found_person", "phone_of_found_person", "last_known_location", "text", "photo_url",
	}
)

// TestWriteSchemaOrder writes a document in which every field is set and
// reads back the order of the elements.
func TestWriteSchemaOrder(t *testing.T) {
	out := write(t, parseFile(t, "pfif-1.4-full.xml"))
	d := xml.NewDecoder(bytes.NewReader(out))
	var stack []string
	children := map[string][]string{} // path of the first person and its first note → child names
	seen := map[string]bool{}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if e.Name.Space != Namespace {
				t.Fatalf("element %v outside the PFIF 1.4 namespace", e.Name)
			}
			parent := strings.Join(stack, "/")
			if !seen[parent+"/"+e.Name.Local] || e.Name.Local == "person" {
				children[parent] = append(children[parent], e.Name.Local)
			}
			stack = append(stack, e.Name.Local)
			seen[strings.Join(stack, "/")] = true
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	if got := children["pfif/person"]; !reflect.DeepEqual(got, specPersonOrder) {
		t.Errorf("person fields written in order\n%q\nwant\n%q", got, specPersonOrder)
	}
	if got := children["pfif/person/note"]; !reflect.DeepEqual(got, specNoteOrder) {
		t.Errorf("note fields written in order\n%q\nwant\n%q", got, specNoteOrder)
	}
}

func TestWriteOutput(t *testing.T) {
	doc := &Document{
		Persons: []Person{{
			RecordID:    "example.org/p1",
			SourceDate:  "2025-01-01T00:00:00Z",
			FullName:    "Іваненко Іван",
			Description: "a < b & c > d\r\nline two\twith a tab",
			Notes:       []Note{{NoteRecordID: "example.org/n1", AuthorName: "X", SourceDate: "2025-01-01T00:00:00Z", Text: "t"}},
		}},
	}
	out := string(write(t, doc))
	want := `<?xml version="1.0" encoding="UTF-8"?>
<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4">
  <pfif:person>
    <pfif:person_record_id>example.org/p1</pfif:person_record_id>
    <pfif:source_date>2025-01-01T00:00:00Z</pfif:source_date>
    <pfif:full_name>Іваненко Іван</pfif:full_name>
    <pfif:description>a &lt; b &amp; c &gt; d&#xD;
line two` + "\t" + `with a tab</pfif:description>
    <pfif:note>
      <pfif:note_record_id>example.org/n1</pfif:note_record_id>
      <pfif:person_record_id>example.org/p1</pfif:person_record_id>
      <pfif:author_name>X</pfif:author_name>
      <pfif:source_date>2025-01-01T00:00:00Z</pfif:source_date>
      <pfif:text>t</pfif:text>
    </pfif:note>
  </pfif:person>
</pfif:pfif>
`
	if out != want {
		t.Errorf("Write:\n%s\nwant:\n%s", out, want)
	}
	back, err := Parse(strings.NewReader(out), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Persons[0].Description; got != doc.Persons[0].Description {
		t.Errorf("description after round trip %q, want %q", got, doc.Persons[0].Description)
	}
}

func TestWriteRejects(t *testing.T) {
	okNote := Note{NoteRecordID: "example.org/n1", PersonRecordID: "example.org/p1", AuthorName: "A", SourceDate: "2025-01-01T00:00:00Z", Text: "t"}
	tests := []struct {
		name string
		doc  *Document
		want string
	}{
		{"nil", nil, "no document"},
		{"record id", &Document{Persons: []Person{{RecordID: "p1"}}}, `PFIF person "p1", field person_record_id "p1": must have the form "domain/unique"`},
		{"missing record id", &Document{Persons: []Person{{FullName: "A"}}}, `PFIF person #1 (no record id), field person_record_id: missing`},
		{"date", &Document{Persons: []Person{{RecordID: "example.org/p1", SourceDate: "2025-01-01"}}}, `field source_date "2025-01-01": must be a UTC time`},
		{"date of birth", &Document{Persons: []Person{{RecordID: "example.org/p1", DateOfBirth: " 1970"}}}, `field date_of_birth " 1970"`},
		{"sex", &Document{Persons: []Person{{RecordID: "example.org/p1", Sex: "M"}}}, `field sex "M": must be female, male or other`},
		{"control character", &Document{Persons: []Person{{RecordID: "example.org/p1", FullName: "A\x00B"}}}, "contains U+0000, which XML 1.0 cannot carry"},
		{"invalid UTF-8", &Document{Persons: []Person{{RecordID: "example.org/p1", FullName: "A\xffB"}}}, "is not valid UTF-8"},
		{"nested note of another person", &Document{Persons: []Person{{RecordID: "example.org/p2", Notes: []Note{okNote}}}},
			`PFIF note "example.org/n1" in person "example.org/p2", field person_record_id "example.org/p1": does not match`},
		{"top-level note without person", &Document{Notes: []Note{{NoteRecordID: "example.org/n1"}}}, "a note outside a person must name its person"},
		{"status", &Document{Notes: []Note{{NoteRecordID: "example.org/n1", PersonRecordID: "example.org/p1", Status: "found"}}}, `field status "found"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			err := Write(&b, tt.doc)
			if err == nil {
				t.Fatalf("Write accepted:\n%s", b.String())
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if tt.doc != nil && !errors.Is(err, ErrInvalid) {
				t.Errorf("error %q is not ErrInvalid", err)
			}
			if b.Len() != 0 {
				t.Errorf("Write wrote %d bytes before failing", b.Len())
			}
		})
	}
}

func TestWriteReportsWriterError(t *testing.T) {
	boom := errors.New("disk full")
	err := Write(errWriter{boom}, &Document{Persons: []Person{{RecordID: "example.org/p1"}}})
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want it to wrap the writer's error", err)
	}
}

type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }
