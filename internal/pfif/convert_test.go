package pfif

import (
	"reflect"
	"testing"

	"parley/internal/person"
)

func TestToPerson(t *testing.T) {
	tests := []struct {
		name string
		in   Person
		want person.Person
	}{
		{
			name: "names, sex, partial date, description",
			in: Person{
				RecordID: "example.org/p1", SourceDate: "2025-06-01T00:00:00Z",
				FullName: "Коваленко Андрій Петрович", GivenName: "Андрій", FamilyName: "Коваленко",
				Sex: "male", DateOfBirth: "1999-03", Description: "Scar on the left hand.", HomeCity: "Київ",
			},
			want: person.Person{
				Surname: "Коваленко", GivenNames: "Андрій", Patronymic: "Петрович",
				Sex: "M", BirthDate: person.Date{Year: 1999, Month: 3}, Notes: "Scar on the left hand.",
				Extra: map[string]string{
					"pfif:person_record_id": "example.org/p1",
					"pfif:source_date":      "2025-06-01T00:00:00Z",
					"pfif:full_name":        "Коваленко Андрій Петрович",
					"pfif:home_city":        "Київ",
				},
			},
		},
		{
			name: "female, year only, western full name gives no patronymic",
			in:   Person{FullName: "Oksana Lysenko", GivenName: "Oksana", FamilyName: "Lysenko", Sex: "female", DateOfBirth: "1980"},
			want: person.Person{
				Surname: "Lysenko", GivenNames: "Oksana", Sex: "F", BirthDate: person.Date{Year: 1980},
				Extra: map[string]string{"pfif:full_name": "Oksana Lysenko"},
			},
		},
		{
			name: "more than one word after the names is not a patronymic",
			in:   Person{FullName: "Smith John Paul George", GivenName: "John", FamilyName: "Smith"},
			want: person.Person{
				Surname: "Smith", GivenNames: "John",
				Extra: map[string]string{"pfif:full_name": "Smith John Paul George"},
			},
		},
		{
			name: "sex other and an unreadable date are kept in Extra",
			in:   Person{FamilyName: "X", Sex: "other", DateOfBirth: "1700"},
			want: person.Person{
				Surname: "X",
				Extra:   map[string]string{"pfif:sex": "other", "pfif:date_of_birth": "1700"},
			},
		},
		{
			name: "empty record",
			in:   Person{},
			want: person.Person{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ToPerson(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ToPerson:\n got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestFromPerson(t *testing.T) {
	tests := []struct {
		name string
		in   person.Person
		want Person
	}{
		{
			name: "Cyrillic names with Latin forms and a partial date",
			in: person.Person{
				Kind: person.KindPOW, Surname: "Шевченко", GivenNames: "Тарас", Patronymic: "Григорович",
				SurnameLatin: "Shevchenko", GivenNamesLatin: "Taras", PatronymicLatin: "Hryhorovych",
				Sex: "M", BirthDate: person.Date{Year: 1970, Month: 1}, Notes: "Tall.",
				ServiceNumber: "A-1", // no PFIF field: not exported
			},
			want: Person{
				RecordID: "parley.example/1", FamilyName: "Шевченко", GivenName: "Тарас",
				FullName: "Шевченко Тарас Григорович", AlternateNames: "Shevchenko Taras Hryhorovych",
				Sex: "male", DateOfBirth: "1970-01", Description: "Tall.",
			},
		},
		{
			name: "only Latin names",
			in:   person.Person{SurnameLatin: "Lysenko", GivenNamesLatin: "Oksana", Sex: "F"},
			want: Person{RecordID: "parley.example/2", FamilyName: "Lysenko", GivenName: "Oksana", FullName: "Lysenko Oksana", Sex: "female"},
		},
		{
			name: "a stale full_name in Extra is not used",
			in:   person.Person{Surname: "Новий", GivenNames: "Іван", Extra: map[string]string{"pfif:full_name": "Старий Іван", "pfif:home_city": "Львів", "unit_column": "x"}},
			want: Person{RecordID: "parley.example/3", FamilyName: "Новий", GivenName: "Іван", FullName: "Новий Іван", HomeCity: "Львів"},
		},
	}
	ids := []string{"parley.example/1", "parley.example/2", "parley.example/3"}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FromPerson(ids[i], tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("FromPerson:\n got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

// A record imported from a people-finder system goes back to it unchanged
// (apart from its notes, which are not identity).
func TestPFIFToPersonAndBack(t *testing.T) {
	for _, file := range []string{"pfif-1.4-full.xml", "pfif-1.3.xml", "pfif-1.2.xml", "pfif-1.4-partial-dates.xml"} {
		for _, p := range parseFile(t, file).Persons {
			want := p
			want.Notes = nil
			if got := FromPerson(p.RecordID, ToPerson(p)); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: FromPerson(ToPerson(p)):\n got %#v\nwant %#v", file, got, want)
			}
		}
	}
}

// A Parley record keeps its identity fields through PFIF.
func TestPersonToPFIFAndBack(t *testing.T) {
	in := person.Person{
		Surname: "Шевченко", GivenNames: "Тарас", Patronymic: "Григорович",
		Sex: "F", BirthDate: person.Date{Year: 1970, Month: 1, Day: 2}, Notes: "Line one\nline two",
	}
	p := FromPerson("parley.example/1", in)
	p.SourceDate = "2025-06-01T00:00:00Z"
	got := ToPerson(p)
	if got.Surname != in.Surname || got.GivenNames != in.GivenNames || got.Patronymic != in.Patronymic ||
		got.Sex != in.Sex || got.BirthDate != in.BirthDate || got.Notes != in.Notes {
		t.Errorf("ToPerson(FromPerson(p)) = %#v, want the identity fields of %#v", got, in)
	}
	if got.Extra["pfif:person_record_id"] != "parley.example/1" {
		t.Errorf("record id not kept: %v", got.Extra)
	}
	// And the PFIF record is one Write accepts.
	write(t, &Document{Persons: []Person{p}})
}
