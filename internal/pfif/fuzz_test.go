package pfif

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParse checks that Parse never panics and that whatever it accepts,
// Write accepts and Parse reads back to the same records.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.xml"))
	for _, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"",
		"<pfif/>",
		`<pfif xmlns="http://zesty.ca/pfif/1.1"><person><person_record_id>a/b</person_record_id><other>description:
  x</other></person></pfif>`,
		`<pfif xmlns="http://zesty.ca/pfif/1.4"><note><note_record_id>a/n</note_record_id><person_record_id>a/p</person_record_id><text>&#13;x&#9;</text></note></pfif>`,
		`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><pfif/>`,
		`<feed xmlns="http://www.w3.org/2005/Atom"><entry><x><pfif:person xmlns:pfif="http://zesty.ca/pfif/1.2"><pfif:person_record_id>a/b</pfif:person_record_id><pfif:first_name>A</pfif:first_name></pfif:person></x></entry></feed>`,
	} {
		f.Add([]byte(s))
	}
	opts := ParseOptions{MaxBytes: 1 << 16, MaxRecords: 200}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Parse(bytes.NewReader(data), opts)
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := Write(&out, doc); err != nil {
			t.Fatalf("Write refused a parsed document: %v\ninput: %q", err, data)
		}
		// The written form can be longer than the input (prefixes, nested
		// person ids), so read it back without the size limit.
		again, err := Parse(bytes.NewReader(out.Bytes()), ParseOptions{MaxRecords: opts.MaxRecords})
		if err != nil {
			t.Fatalf("Parse refused the written document: %v\ninput: %q\nwritten: %s", err, data, out.Bytes())
		}
		if !reflect.DeepEqual(records(doc), records(again)) {
			t.Fatalf("round trip changed the records\ninput: %q\nbefore %#v\nafter  %#v", data, records(doc), records(again))
		}
	})
}
