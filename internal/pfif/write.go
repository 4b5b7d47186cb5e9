package pfif

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Write writes doc as a PFIF 1.4 document in UTF-8: persons with their
// nested notes, then the top-level notes, each record's fields in the order
// of the specification's schema. Empty fields are left out. Nested notes
// carry their person's record id.
//
// Write validates first, with the same rules as Parse, and writes nothing
// when a record is invalid, so that Parley never hands another system a
// document it would itself refuse. Whatever Parse returns, Write accepts.
func Write(w io.Writer, doc *Document) error {
	if doc == nil {
		return errors.New("writing PFIF: no document")
	}
	var c checker
	c.document(doc)
	if err := joinFieldErrors(c.errs); err != nil {
		return fmt.Errorf("writing PFIF: %w", err)
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	bw.WriteString(`<pfif:pfif xmlns:pfif="` + Namespace + `">` + "\n")
	for i := range doc.Persons {
		p := &doc.Persons[i]
		bw.WriteString("  <pfif:person>\n")
		for _, f := range personFields {
			writeField(bw, "    ", f.name, *f.get(p))
		}
		for j := range p.Notes {
			n := p.Notes[j]
			n.PersonRecordID = p.RecordID
			writeNote(bw, "    ", &n)
		}
		bw.WriteString("  </pfif:person>\n")
	}
	for j := range doc.Notes {
		writeNote(bw, "  ", &doc.Notes[j])
	}
	bw.WriteString("</pfif:pfif>\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing PFIF: %w", err)
	}
	return nil
}

func writeNote(bw *bufio.Writer, indent string, n *Note) {
	bw.WriteString(indent + "<pfif:note>\n")
	for _, f := range noteFields {
		writeField(bw, indent+"  ", f.name, *f.get(n))
	}
	bw.WriteString(indent + "</pfif:note>\n")
}

func writeField(bw *bufio.Writer, indent, name, v string) {
	if v == "" {
		return
	}
	bw.WriteString(indent + "<pfif:" + name + ">")
	escaper.WriteString(bw, v)
	bw.WriteString("</pfif:" + name + ">\n")
}

// escaper escapes character data. Line feeds and tabs stay literal so that
// multi-line descriptions remain readable; a carriage return is written as a
// reference because XML parsers turn a literal one into a line feed.
var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r", "&#xD;")
