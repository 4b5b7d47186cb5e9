package category

import (
	"reflect"
	"testing"

	"parley/internal/person"
)

func TestResolveSynonyms(t *testing.T) {
	c := MustDefault()
	tests := []struct {
		label, want string
	}{
		// the exact labels of the Istanbul list
		{"wounded", Wounded},
		{"тяжело болен", SeriouslyIll},
		{"юность", Youth},
		// usual forms in three languages
		{"Раненый", Wounded}, {"тяжелораненый", Wounded}, {"поранений", Wounded}, {"важкопоранений", Wounded},
		{"тяжелобольной", SeriouslyIll}, {"важкохворий", SeriouslyIll}, {"Seriously ill", SeriouslyIll}, {"severely ill", SeriouslyIll},
		{"молодёжь", Youth}, {"молодежь", Youth}, {"молодь", Youth}, {"young", Youth}, {"  YOUTH ", Youth},
		{"seriously_ill", SeriouslyIll},
		{"Тяжело  болен.", SeriouslyIll},
		{"18–25", Youth},
	}
	for _, tt := range tests {
		got, ok := c.Resolve(tt.label)
		if !ok || got != tt.want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", tt.label, got, ok, tt.want)
		}
	}
	if got, ok := c.Resolve("officer"); ok {
		t.Errorf("Resolve(officer) = %q, want unknown", got)
	}
}

func TestResolveAll(t *testing.T) {
	c := MustDefault()
	codes, unknown := c.ResolveAll("тяжело болен; юность, пилот")
	if want := []string{SeriouslyIll, Youth}; !reflect.DeepEqual(codes, want) {
		t.Errorf("codes = %v, want %v", codes, want)
	}
	if want := []string{"пилот"}; !reflect.DeepEqual(unknown, want) {
		t.Errorf("unknown = %v, want %v", unknown, want)
	}
}

func TestExtraCategory(t *testing.T) {
	c, err := NewCatalogue(Category{Code: "civilian_medic", Labels: map[string]string{"en": "Medic", "uk": "Медик", "ru": "Медик"}, Synonyms: []string{"санитар"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Resolve("Санитар"); got != "civilian_medic" {
		t.Errorf("Resolve(Санитар) = %q", got)
	}
	if _, err := NewCatalogue(Category{Code: "dup", Synonyms: []string{"раненый"}}); err == nil {
		t.Error("a synonym that is already taken must be refused")
	}
}

func TestDeriveYouth(t *testing.T) {
	c := MustDefault()
	ref := person.Date{Year: 2025, Month: 6, Day: 7}
	tests := []struct {
		birth string
		want  bool
	}{
		{"2007-06-07", true},  // 18 that day
		{"2007-06-08", false}, // 17
		{"1999-06-08", true},  // 25
		{"1999-06-07", false}, // 26 that day
		{"2003", false},       // unknown day: not derived
	}
	for _, tt := range tests {
		d, _ := person.ParseISODate(tt.birth)
		p := person.Person{BirthDate: d}
		if got := c.DeriveYouth(&p, ref); got != tt.want {
			t.Errorf("DeriveYouth(%s) = %v, want %v", tt.birth, got, tt.want)
		}
	}
}
