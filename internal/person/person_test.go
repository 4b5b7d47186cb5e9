package person

import (
	"encoding/json"
	"testing"
)

func TestParseISODate(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"", "", false},
		{"1970", "1970", false},
		{"1970-01", "1970-01", false},
		{"1970-01-02", "1970-01-02", false},
		{"2000-02-29", "2000-02-29", false},
		{"1999-02-29", "", true},
		{"1970-13", "", true},
		{"70-01-02", "", true},
		{"1970-1-2", "", true},
		{"abcd", "", true},
	}
	for _, tt := range tests {
		d, err := ParseISODate(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseISODate(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if got := d.String(); !tt.wantErr && got != tt.want {
			t.Errorf("ParseISODate(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAgeOn(t *testing.T) {
	tests := []struct {
		birth, ref string
		want       int
		ok         bool
	}{
		{"2000-06-07", "2025-06-07", 25, true},
		{"2000-06-08", "2025-06-07", 24, true},
		{"2000-06", "2025-06-07", 0, false},
	}
	for _, tt := range tests {
		b, _ := ParseISODate(tt.birth)
		r, _ := ParseISODate(tt.ref)
		got, ok := b.AgeOn(r)
		if got != tt.want || ok != tt.ok {
			t.Errorf("AgeOn(%s, %s) = %d, %v; want %d, %v", tt.birth, tt.ref, got, ok, tt.want, tt.ok)
		}
	}
}

func TestJSONRoundTripKeepsPartialDates(t *testing.T) {
	p := Person{Kind: KindPOW, Surname: "Шевченко", BirthDate: Date{Year: 1970, Month: 1}, Categories: []string{"youth", "wounded"}}
	p.Normalize()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var q Person
	if err := json.Unmarshal(b, &q); err != nil {
		t.Fatal(err)
	}
	if q.BirthDate.String() != "1970-01" {
		t.Errorf("birth date = %q, want 1970-01 (json %s)", q.BirthDate, b)
	}
	if len(q.Categories) != 2 || q.Categories[0] != "wounded" {
		t.Errorf("categories = %v, want sorted [wounded youth]", q.Categories)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		p      Person
		fields []string
	}{
		{"ok", Person{Kind: KindPOW, Surname: "X"}, nil},
		{"no surname", Person{Kind: KindPOW}, []string{"surname"}},
		{"remains may lack a name", Person{Kind: KindRemains, GraveID: "G-1"}, nil},
		{"death data on a living person", Person{Kind: KindPOW, Surname: "X", GraveID: "G-1"}, []string{"grave_id"}},
		{"bad kind", Person{Kind: "soldier", Surname: "X"}, []string{"kind"}},
		{"bad sex", Person{Kind: KindPOW, Surname: "X", Sex: "male"}, []string{"sex"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := tt.p.Validate()
			if len(errs) != len(tt.fields) {
				t.Fatalf("Validate() = %v, want problems in %v", errs, tt.fields)
			}
			for i, e := range errs {
				if e.Field != tt.fields[i] {
					t.Errorf("problem %d in field %q, want %q", i, e.Field, tt.fields[i])
				}
			}
		})
	}
}

func TestFieldsGetSet(t *testing.T) {
	var p Person
	for _, f := range Fields() {
		var v string
		switch f.Kind {
		case FieldDate:
			v = "1990-05-06"
		case FieldCategories:
			v = "wounded; youth"
		case FieldKindOf:
			v = "civilian"
		case FieldStatus:
			v = "missing"
		default:
			v = "value of " + f.Name
		}
		if err := f.Set(&p, v); err != nil {
			t.Fatalf("Set(%s): %v", f.Name, err)
		}
		if got := f.Get(&p); got != v {
			t.Errorf("field %s: Get = %q after Set(%q)", f.Name, got, v)
		}
	}
}
