// Package person defines the identity record that every part of Parley
// exchanges: one entry of a list, one record of a party's registry of missing
// people, one subject of a family's inquiry.
//
// The fields follow the Third Geneva Convention: Art. 17 (what a prisoner must
// state), Art. 122 (what the Information Bureau forwards, "in so far as
// available") and Art. 120 (the particulars of the dead). Every field may be
// unknown; names are kept as written, in any script, with a Latin
// transliteration beside them.
package person

import (
	"fmt"
	"parley/internal/msg"
	"sort"
	"strings"
)

// Kind says what a record is about. The three kinds are never counted against
// one another or converted into each other: a civilian detainee is not a
// prisoner of war, and remains are not a living person.
type Kind string

// The kinds of record.
const (
	KindPOW      Kind = "pow"      // prisoner of war
	KindCivilian Kind = "civilian" // civilian detainee
	KindRemains  Kind = "remains"  // human remains (Art. 120)
)

// Kinds lists every kind in a stable order.
func Kinds() []Kind { return []Kind{KindPOW, KindCivilian, KindRemains} }

// Valid reports whether k is one of the known kinds.
func (k Kind) Valid() bool {
	switch k {
	case KindPOW, KindCivilian, KindRemains:
		return true
	}
	return false
}

// Status is the state of a record in a party's own registry of missing people.
type Status string

// Registry statuses.
const (
	StatusMissing           Status = "missing"
	StatusBelievedCaptured  Status = "believed_captured"
	StatusConfirmedCaptured Status = "confirmed_captured"
	StatusReturned          Status = "returned"
	StatusDeceased          Status = "deceased"
)

// Statuses lists every registry status in a stable order.
func Statuses() []Status {
	return []Status{StatusMissing, StatusBelievedCaptured, StatusConfirmedCaptured, StatusReturned, StatusDeceased}
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, v := range Statuses() {
		if s == v {
			return true
		}
	}
	return false
}

// Person is one identity record. JSON field names are part of the API and of
// the JSON import/export format.
type Person struct {
	Kind Kind `json:"kind"`

	// RecordID is the party's own identifier of the record (a case or file
	// number), when its file has one. It gives the record its identity across
	// versions of a registry or a list: a record keeps its id for life, so
	// that reviews, links and reports never depend on the order of rows.
	RecordID string `json:"record_id,omitempty"`

	// Names as written, in any script.
	Surname    string `json:"surname,omitempty"`
	GivenNames string `json:"given_names,omitempty"`
	Patronymic string `json:"patronymic,omitempty"` // or the father's first name
	// Names in Latin script: the official romanization when the source gave
	// none, or the form the source gave.
	SurnameLatin    string `json:"surname_latin,omitempty"`
	GivenNamesLatin string `json:"given_names_latin,omitempty"`
	PatronymicLatin string `json:"patronymic_latin,omitempty"`
	// LatinSystem names the romanization system that made the Latin forms
	// (see package translit: ua2010, icao, ...); "" when the source gave
	// them itself.
	LatinSystem string `json:"latin_system,omitempty"`

	MotherMaidenName      string `json:"mother_maiden_name,omitempty"`
	BirthDate             Date   `json:"birth_date,omitzero"`
	BirthPlace            string `json:"birth_place,omitempty"`
	Sex                   string `json:"sex,omitempty"` // "M", "F" or ""
	Rank                  string `json:"rank,omitempty"`
	ServiceNumber         string `json:"service_number,omitempty"` // army, regimental, personal or serial number
	Unit                  string `json:"unit,omitempty"`
	Power                 string `json:"power,omitempty"` // the Power on which the person depends
	PersonToInform        string `json:"person_to_inform,omitempty"`
	CorrespondenceAddress string `json:"correspondence_address,omitempty"`
	CaptureDate           Date   `json:"capture_date,omitzero"`
	CapturePlace          string `json:"capture_place,omitempty"`
	Notes                 string `json:"notes,omitempty"`

	// Categories holds canonical category codes (see package category),
	// sorted and without duplicates.
	Categories []string `json:"categories,omitempty"`

	// Art. 120: particulars of the dead; only for KindRemains.
	DeathDate    Date   `json:"death_date,omitzero"`
	DeathPlace   string `json:"death_place,omitempty"`
	DeathCause   string `json:"death_cause,omitempty"`
	BurialPlace  string `json:"burial_place,omitempty"`
	GraveID      string `json:"grave_id,omitempty"`
	DNASampleRef string `json:"dna_sample_ref,omitempty"`

	// Status is used by registry records only.
	Status Status `json:"status,omitempty"`

	// Extra keeps columns of the source that Parley does not know, so that an
	// unknown column is never a reason to lose data.
	Extra map[string]string `json:"extra,omitempty"`
}

// FullName returns "Surname Given Patronymic" as written, skipping unknown parts.
func (p *Person) FullName() string {
	return joinNonEmpty(p.Surname, p.GivenNames, p.Patronymic)
}

// FullNameLatin returns the Latin form of the full name.
func (p *Person) FullNameLatin() string {
	return joinNonEmpty(p.SurnameLatin, p.GivenNamesLatin, p.PatronymicLatin)
}

func joinNonEmpty(parts ...string) string {
	var out []string
	for _, s := range parts {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, " ")
}

// HasCategory reports whether the person carries the category code.
func (p *Person) HasCategory(code string) bool {
	for _, c := range p.Categories {
		if c == code {
			return true
		}
	}
	return false
}

// AddCategory adds a category code, keeping the set sorted and unique.
func (p *Person) AddCategory(code string) {
	if code == "" || p.HasCategory(code) {
		return
	}
	p.Categories = append(p.Categories, code)
	sort.Strings(p.Categories)
}

// Normalize trims white space from every text field, sorts categories and
// removes empty extra attributes, so that equal records compare and hash equal.
func (p *Person) Normalize() {
	for _, f := range Fields() {
		if f.Kind == FieldText {
			f.Set(p, strings.TrimSpace(f.Get(p)))
		}
	}
	cats := map[string]bool{}
	var list []string
	for _, c := range p.Categories {
		c = strings.TrimSpace(c)
		if c != "" && !cats[c] {
			cats[c] = true
			list = append(list, c)
		}
	}
	sort.Strings(list)
	p.Categories = list
	for k, v := range p.Extra {
		if strings.TrimSpace(v) == "" {
			delete(p.Extra, k)
		}
	}
	if len(p.Extra) == 0 {
		p.Extra = nil
	}
	if p.Kind == "" {
		p.Kind = KindPOW
	}
}

// Validate checks the record's own consistency (not its presence on a list).
// It returns every problem, each naming the field.
func (p *Person) Validate() []FieldError {
	var errs []FieldError
	if !p.Kind.Valid() {
		errs = append(errs, fieldError("kind", string(p.Kind), msg.New("person.unknown_kind")))
	}
	if strings.TrimSpace(p.Surname) == "" && strings.TrimSpace(p.SurnameLatin) == "" && p.Kind != KindRemains {
		errs = append(errs, fieldError("surname", "", msg.New("person.missing_surname")))
	}
	for _, d := range []struct {
		name string
		v    Date
	}{{"birth_date", p.BirthDate}, {"capture_date", p.CaptureDate}, {"death_date", p.DeathDate}} {
		if err := d.v.Validate(); err != nil {
			errs = append(errs, fieldError(d.name, d.v.String(), msg.FromError(err)))
		}
	}
	if p.Kind != KindRemains {
		for _, f := range []struct{ name, v string }{
			{"death_place", p.DeathPlace}, {"death_cause", p.DeathCause}, {"burial_place", p.BurialPlace}, {"grave_id", p.GraveID},
		} {
			if f.v != "" {
				errs = append(errs, fieldError(f.name, f.v, msg.New("person.death_particulars")))
			}
		}
		if !p.DeathDate.IsZero() {
			errs = append(errs, fieldError("death_date", p.DeathDate.String(), msg.New("person.death_particulars")))
		}
	}
	if p.Sex != "" && p.Sex != "M" && p.Sex != "F" {
		errs = append(errs, fieldError("sex", p.Sex, msg.New("person.sex")))
	}
	if p.Status != "" && !p.Status.Valid() {
		errs = append(errs, fieldError("status", string(p.Status), msg.New("person.unknown_status")))
	}
	return errs
}

// FieldError is one problem with one field of a record.
type FieldError struct {
	Field string
	Value string
	// Msg says what is wrong (package msg); Reason is its English text.
	Msg    msg.Msg
	Reason string
}

func fieldError(field, value string, m msg.Msg) FieldError {
	return FieldError{Field: field, Value: value, Msg: m, Reason: m.String()}
}

func (e FieldError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s: %s", e.Field, e.Reason)
	}
	return fmt.Sprintf("%s: value %q: %s", e.Field, e.Value, e.Reason)
}

// IdentityKey returns a normalised key of the fields that make two entries of
// one list the same person (kind, names, date of birth, service number). It is
// used to find duplicates within a list and to pair entries across versions.
func (p *Person) IdentityKey() string {
	norm := func(s string) string {
		s = strings.ToLower(strings.TrimSpace(s))
		s = strings.ReplaceAll(s, "ё", "е")
		return strings.Join(strings.Fields(s), " ")
	}
	sn := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '/' {
			return -1
		}
		return r
	}, strings.ToUpper(p.ServiceNumber))
	return strings.Join([]string{string(p.Kind), norm(p.Surname), norm(p.GivenNames), norm(p.Patronymic), p.BirthDate.String(), sn}, "|")
}
