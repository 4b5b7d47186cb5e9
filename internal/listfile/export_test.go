package listfile

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"parley/internal/person"
)

// TestClerkCSVRoundTrip checks that the CSV written for people reads back
// into the same persons in every language, with and without the
// byte-order mark and the empty columns.
func TestClerkCSVRoundTrip(t *testing.T) {
	for _, lang := range []string{"en", "uk", "ru"} {
		for _, reg := range []bool{false, true} {
			for _, opts := range []ExportOptions{{Lang: lang}, {Lang: lang, NoBOM: true, AllColumns: true}} {
				persons := everyField()
				if reg {
					persons = registryPersons()
				}
				name := lang
				if reg {
					name += "/registry"
				}
				if opts.AllColumns {
					name += "/all-columns"
				}
				t.Run(name, func(t *testing.T) {
					var buf bytes.Buffer
					if err := WriteClerkCSV(&buf, persons, opts); err != nil {
						t.Fatal(err)
					}
					if hasBOM := bytes.HasPrefix(buf.Bytes(), []byte("\uFEFF")); hasBOM == opts.NoBOM {
						t.Errorf("byte-order mark present = %v with NoBOM %v", hasBOM, opts.NoBOM)
					}
					res, err := Read(bytes.NewReader(buf.Bytes()), Options{Format: CSV, Registry: reg})
					if err != nil {
						t.Fatal(err)
					}
					checkStrings(t, "problems", problemStrings(res.Problems), nil)
					if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "running number") {
						t.Errorf("warnings = %q, want only the running number column's", res.Warnings)
					}
					if len(res.Rows) != len(persons) {
						t.Fatalf("read %d rows, wrote %d", len(res.Rows), len(persons))
					}
					for i, r := range res.Rows {
						if !reflect.DeepEqual(r.Person, persons[i]) {
							t.Errorf("person %d changed:\n wrote %+v\n read  %+v", i, persons[i], r.Person)
						}
					}
				})
			}
		}
	}
}

// TestClerkCSVShape checks what a clerk sees: the running number first,
// headers and values in the language, local dates, no empty columns.
func TestClerkCSVShape(t *testing.T) {
	ps := everyField()
	for _, tt := range []struct {
		lang  string
		opts  ExportOptions
		head  string
		wants []string
		cols  int
	}{
		{"uk", ExportOptions{Lang: "uk"}, "\uFEFF№ п/п,Вид запису,Прізвище,Ім'я,По батькові,", []string{"\n1,військовополонений,Шевченко,", "09.03.1994", ",03.1990,", "Важкохворий; Поранений; Молодь (18–25)", "Молодь (18–25)", ",ч,", "\n5,"}, 0},
		{"ru", ExportOptions{Lang: "ru", NoBOM: true}, "№ п/п,Вид записи,Фамилия,Имя,Отчество,", []string{"09.03.1994", "Тяжелобольной; Раненый", ",м,", "гражданский", "останки"}, 0},
		{"en", ExportOptions{Lang: "en", NoBOM: true, AllColumns: true}, "No.,Kind,Surname,Given names,", []string{"1994-03-09", "Wounded", "prisoner of war"}, 1 + len(person.Fields()) + 3},
	} {
		var buf bytes.Buffer
		if err := WriteClerkCSV(&buf, ps, tt.opts); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if !strings.HasPrefix(out, tt.head) {
			t.Errorf("%s: starts %.120q, want %q", tt.lang, out, tt.head)
		}
		for _, w := range tt.wants {
			if !strings.Contains(out, w) {
				t.Errorf("%s: lacks %q", tt.lang, w)
			}
		}
		header := strings.Split(strings.SplitN(out, "\n", 2)[0], ",")
		if tt.cols != 0 && len(header) != tt.cols {
			t.Errorf("%s: %d columns, want %d", tt.lang, len(header), tt.cols)
		}
		if tt.cols == 0 {
			for _, h := range header {
				if h == "Статус розшуку" || h == "Статус поиска" {
					t.Errorf("%s: empty column %q written", tt.lang, h)
				}
			}
		}
	}
}

// TestClerkLabelsRead checks that every header and value the clerk's CSV
// writes is one Read recognises as meaning what was written.
func TestClerkLabelsRead(t *testing.T) {
	for _, f := range person.Fields() {
		h, ok := clerkHeaders[f.Name]
		if !ok {
			t.Errorf("field %s has no clerk header", f.Name)
			continue
		}
		for _, s := range h {
			if got := recognise(s); got != f.Name {
				t.Errorf("header %q reads as %q, want %s", s, got, f.Name)
			}
		}
	}
	for _, s := range rowNumberHeader {
		if !isRowNumberHeader(s) {
			t.Errorf("%q is not read as a running number", s)
		}
	}
	for k, v := range clerkKinds {
		for _, s := range v {
			if got, err := parseKind(s); err != nil || got != k {
				t.Errorf("kind %q reads as %q, %v", s, got, err)
			}
		}
	}
	for k, v := range clerkStatuses {
		for _, s := range v {
			if got, err := parseStatus(s); err != nil || got != k {
				t.Errorf("status %q reads as %q, %v", s, got, err)
			}
		}
	}
	for k, v := range clerkSex {
		for _, s := range v {
			if got, err := parseSex(s); err != nil || got != k {
				t.Errorf("sex %q reads as %q, %v", s, got, err)
			}
		}
	}
}
