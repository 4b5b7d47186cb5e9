package pfif

import (
	"strings"

	"parley/internal/person"
)

// ExtraPrefix marks the keys of person.Person.Extra that hold PFIF fields
// without a place in Parley's record ("pfif:home_city", "pfif:full_name",
// ...). FromPerson reads them back, so a record imported from a
// people-finder system returns to it with nothing lost.
const ExtraPrefix = "pfif:"

// ToPerson maps a PFIF person record to Parley's identity record:
// family_name → Surname, given_name → GivenNames, description → Notes, sex
// male/female → "M"/"F", date_of_birth → BirthDate (a partial date stays
// partial). Every other non-empty field, the record id and full_name
// included, is kept in Extra under ExtraPrefix, as are a sex of "other" and
// a date of birth Parley cannot read.
//
// When full_name reads "family given X" with X a single word, X is taken as
// the patronymic: that is how FromPerson writes a patronymic, and how
// Ukrainian and Russian lists order a name.
//
// Kind is left empty: PFIF does not say whether the person sought is a
// soldier or a civilian, so the caller decides. Notes of the record are not
// mapped; they are news about the person, not identity.
func ToPerson(p Person) person.Person {
	out := person.Person{
		Surname:    p.FamilyName,
		GivenNames: p.GivenName,
		Patronymic: patronymic(p),
		Notes:      p.Description,
	}
	extra := map[string]string{}
	switch p.Sex {
	case SexMale:
		out.Sex = "M"
	case SexFemale:
		out.Sex = "F"
	case "":
	default:
		extra[ExtraPrefix+"sex"] = p.Sex
	}
	if p.DateOfBirth != "" {
		if d, err := person.ParseISODate(p.DateOfBirth); err == nil {
			out.BirthDate = d
		} else {
			extra[ExtraPrefix+"date_of_birth"] = p.DateOfBirth
		}
	}
	for _, f := range personFields {
		if mappedToPerson[f.name] {
			continue
		}
		if v := *f.get(&p); v != "" {
			extra[ExtraPrefix+f.name] = v
		}
	}
	if len(extra) > 0 {
		out.Extra = extra
	}
	return out
}

// mappedToPerson lists the PFIF fields that have a field of their own in
// person.Person.
var mappedToPerson = map[string]bool{
	"given_name": true, "family_name": true, "description": true, "sex": true, "date_of_birth": true,
}

// patronymic returns the third word of full_name when full_name is exactly
// "family given patronymic".
func patronymic(p Person) string {
	if p.FamilyName == "" || p.GivenName == "" {
		return ""
	}
	rest, ok := strings.CutPrefix(p.FullName, p.FamilyName+" "+p.GivenName+" ")
	rest = strings.TrimSpace(rest)
	if !ok || rest == "" || strings.ContainsAny(rest, " \t\n") {
		return ""
	}
	return rest
}

// FromPerson maps Parley's identity record to a PFIF person record with the
// given record id ("domain/unique"): Surname → family_name, GivenNames →
// given_name (the Latin forms when only those are known), Notes →
// description, "M"/"F" → male/female, BirthDate → date_of_birth at the
// precision known. full_name is "Surname GivenNames Patronymic", the order of
// Ukrainian and Russian lists, unless Extra keeps the full_name of an
// imported record that still agrees with the names; alternate_names carries
// the Latin full name. PFIF fields kept in Extra under ExtraPrefix fill the
// remaining fields.
//
// The caller sets SourceDate (required by PFIF), EntryDate and the author
// fields when Extra does not hold them.
func FromPerson(recordID string, p person.Person) Person {
	out := Person{
		RecordID:    recordID,
		FamilyName:  firstNonEmpty(p.Surname, p.SurnameLatin),
		GivenName:   firstNonEmpty(p.GivenNames, p.GivenNamesLatin),
		Description: p.Notes,
		DateOfBirth: p.BirthDate.String(),
	}
	for _, f := range personFields {
		switch f.name {
		case "person_record_id", "given_name", "family_name", "description", "date_of_birth", "full_name":
			continue
		}
		if v, ok := p.Extra[ExtraPrefix+f.name]; ok {
			*f.get(&out) = v
		}
	}
	switch p.Sex {
	case "M":
		out.Sex = SexMale
	case "F":
		out.Sex = SexFemale
	}
	full := p.FullName()
	if full == "" {
		full = p.FullNameLatin()
	}
	if orig := p.Extra[ExtraPrefix+"full_name"]; orig != "" && strings.Contains(orig, out.FamilyName) && strings.Contains(orig, out.GivenName) {
		full = orig
	}
	out.FullName = full
	if out.AlternateNames == "" {
		if latin := p.FullNameLatin(); latin != "" && latin != full {
			out.AlternateNames = latin
		}
	}
	return out
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}
