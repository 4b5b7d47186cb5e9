package pfif

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
)

// benchDocument builds a document of n persons, each with one nested note.
func benchDocument(b *testing.B, n int) *Document {
	b.Helper()
	doc := &Document{}
	for i := range n {
		id := fmt.Sprintf("example.org/person.%d", i)
		doc.Persons = append(doc.Persons, Person{
			RecordID: id, EntryDate: "2025-06-02T10:15:00Z", SourceDate: "2025-06-01T08:00:00Z",
			FullName: "Коваленко Андрій Петрович", GivenName: "Андрій", FamilyName: "Коваленко",
			Sex: "male", DateOfBirth: "1999-03", HomeCity: "Київ", Description: "Scar on the left hand.",
			Notes: []Note{{
				NoteRecordID: fmt.Sprintf("example.org/note.%d", i), PersonRecordID: id,
				AuthorName: "Олена Коваленко", SourceDate: "2025-06-03T11:59:00Z",
				Status: StatusInformationSought, Text: "Looking for my son.",
			}},
		})
	}
	return doc
}

func BenchmarkParse(b *testing.B) {
	var buf bytes.Buffer
	if err := Write(&buf, benchDocument(b, 10_000)); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(bytes.NewReader(data), ParseOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWrite(b *testing.B) {
	doc := benchDocument(b, 10_000)
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(io.Discard, doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseHostile measures the worst inputs within the default size
// limit: deep nesting in an unknown element, and a flood of unknown
// elements. Both must stay linear.
func BenchmarkParseHostile(b *testing.B) {
	head := `<pfif xmlns="http://zesty.ca/pfif/1.4"><x>`
	deep := head + strings.Repeat("<a>", 1_000_000) + strings.Repeat("</a>", 1_000_000) + "</x></pfif>"
	flood := head + strings.Repeat("<a/>", 2_000_000) + "</x></pfif>"
	for name, data := range map[string]string{"deep": deep, "flood": flood} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := Parse(strings.NewReader(data), ParseOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
