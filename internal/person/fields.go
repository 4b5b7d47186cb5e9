package person

import (
	"fmt"
	"slices"
	"strings"
)

// FieldKind says how a field's value is written as text.
type FieldKind int

// Field kinds.
const (
	FieldText       FieldKind = iota
	FieldDate                 // ISO partial date, see Date
	FieldCategories           // canonical codes separated by "; "
	FieldKindOf               // the record kind
	FieldStatus               // registry status
)

// Field describes one field of Person by its JSON name, so that importers,
// exporters, diffs and forms share one list instead of repeating it.
type Field struct {
	Name string // JSON name, e.g. "surname"
	Kind FieldKind
	get  func(*Person) *string
	getD func(*Person) *Date
}

// Get returns the field's value as text (dates in ISO form, categories
// joined by "; ").
func (f Field) Get(p *Person) string {
	switch f.Kind {
	case FieldDate:
		return f.getD(p).String()
	case FieldCategories:
		return strings.Join(p.Categories, "; ")
	case FieldKindOf:
		return string(p.Kind)
	case FieldStatus:
		return string(p.Status)
	}
	return *f.get(p)
}

// Equal reports whether the field has the same value in a and b, without
// formatting it (cheaper than comparing Get's text, as diffs of a million
// records do).
func (f Field) Equal(a, b *Person) bool {
	switch f.Kind {
	case FieldDate:
		return *f.getD(a) == *f.getD(b)
	case FieldCategories:
		return slices.Equal(a.Categories, b.Categories)
	case FieldKindOf:
		return a.Kind == b.Kind
	case FieldStatus:
		return a.Status == b.Status
	}
	return *f.get(a) == *f.get(b)
}

// Set stores a textual value; dates must be ISO (see ParseISODate) and
// categories canonical codes separated by ";" or ",".
func (f Field) Set(p *Person, v string) error {
	switch f.Kind {
	case FieldDate:
		d, err := ParseISODate(v)
		if err != nil {
			return err
		}
		*f.getD(p) = d
	case FieldCategories:
		p.Categories = nil
		for _, c := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ',' }) {
			p.AddCategory(strings.TrimSpace(c))
		}
	case FieldKindOf:
		k := Kind(strings.TrimSpace(v))
		if k == "" {
			k = KindPOW
		}
		if !k.Valid() {
			return fmt.Errorf("unknown kind %q", v)
		}
		p.Kind = k
	case FieldStatus:
		s := Status(strings.TrimSpace(v))
		if s != "" && !s.Valid() {
			return fmt.Errorf("unknown status %q", v)
		}
		p.Status = s
	default:
		*f.get(p) = v
	}
	return nil
}

func text(name string, get func(*Person) *string) Field {
	return Field{Name: name, Kind: FieldText, get: get}
}

func date(name string, get func(*Person) *Date) Field {
	return Field{Name: name, Kind: FieldDate, getD: get}
}

var fields = []Field{
	{Name: "kind", Kind: FieldKindOf},
	text("surname", func(p *Person) *string { return &p.Surname }),
	text("given_names", func(p *Person) *string { return &p.GivenNames }),
	text("patronymic", func(p *Person) *string { return &p.Patronymic }),
	text("surname_latin", func(p *Person) *string { return &p.SurnameLatin }),
	text("given_names_latin", func(p *Person) *string { return &p.GivenNamesLatin }),
	text("patronymic_latin", func(p *Person) *string { return &p.PatronymicLatin }),
	text("mother_maiden_name", func(p *Person) *string { return &p.MotherMaidenName }),
	date("birth_date", func(p *Person) *Date { return &p.BirthDate }),
	text("birth_place", func(p *Person) *string { return &p.BirthPlace }),
	text("sex", func(p *Person) *string { return &p.Sex }),
	text("rank", func(p *Person) *string { return &p.Rank }),
	text("service_number", func(p *Person) *string { return &p.ServiceNumber }),
	text("unit", func(p *Person) *string { return &p.Unit }),
	text("power", func(p *Person) *string { return &p.Power }),
	text("person_to_inform", func(p *Person) *string { return &p.PersonToInform }),
	text("correspondence_address", func(p *Person) *string { return &p.CorrespondenceAddress }),
	date("capture_date", func(p *Person) *Date { return &p.CaptureDate }),
	text("capture_place", func(p *Person) *string { return &p.CapturePlace }),
	{Name: "categories", Kind: FieldCategories},
	date("death_date", func(p *Person) *Date { return &p.DeathDate }),
	text("death_place", func(p *Person) *string { return &p.DeathPlace }),
	text("death_cause", func(p *Person) *string { return &p.DeathCause }),
	text("burial_place", func(p *Person) *string { return &p.BurialPlace }),
	text("grave_id", func(p *Person) *string { return &p.GraveID }),
	text("dna_sample_ref", func(p *Person) *string { return &p.DNASampleRef }),
	{Name: "status", Kind: FieldStatus},
	text("notes", func(p *Person) *string { return &p.Notes }),
	text("record_id", func(p *Person) *string { return &p.RecordID }),
	text("latin_system", func(p *Person) *string { return &p.LatinSystem }),
}

// Fields returns every field of Person in a stable, documented order (the
// column order of exports).
func Fields() []Field { return fields }

// FieldByName returns the field with the given JSON name.
func FieldByName(name string) (Field, bool) {
	for _, f := range fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}
