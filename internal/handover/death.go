package handover

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"parley/internal/msg"
	"parley/internal/person"
)

// Death is the record of a death in captivity (GC III Art. 120) of a person
// on a handed-over list: when, where and of what he died, where he is
// buried or where his remains are, who reported it and the documents that
// attest it. The detaining party (the list's sender) records it at any
// time, not only on the day of a handover; the outcome "deceased" of a
// stage needs it.
//
// A family never hears of a death from a machine: the news waits until an
// officer of the person's own side (the list's receiver) releases it, with
// the text that side wrote, and is then delivered. A later change of the
// record (the remains identified) waits for a release of its own.
type Death struct {
	ID     string `json:"id"`
	ListID string `json:"list_id"`
	Row    int    `json:"row"` // the row people cite, in list ListID
	// EntryID and PersonID name the person lastingly (the entry across the
	// versions of the list, and the list's root with it): a later version
	// in another row order still finds the death.
	EntryID     string      `json:"entry_id"`
	PersonID    string      `json:"person_id"`
	Party       string      `json:"party"`        // the detaining party, who reports
	FamilyParty string      `json:"family_party"` // the person's own side, who releases
	DiedOn      person.Date `json:"died_on"`
	Place       string      `json:"place"`
	Cause       string      `json:"cause"`
	// Burial is the place of burial or where the remains are now.
	Burial string `json:"burial"`
	// Grave is what identifies the grave (Art. 120: particulars).
	Grave      string   `json:"grave,omitempty"`
	ReportedBy string   `json:"reported_by"`
	Documents  []string `json:"documents"`
	// State is DeathRecorded or DeathRemainsIdentified.
	State       string    `json:"state"`
	RemainsNote string    `json:"remains_note,omitempty"`
	RecordedBy  string    `json:"recorded_by"`
	RecordedAt  time.Time `json:"recorded_at"`
	// ReleasedState is the state whose news was released to the family,
	// "" before any release; FamilyText is the text released with it.
	ReleasedState string    `json:"released_state,omitempty"`
	FamilyText    string    `json:"family_text,omitempty"`
	ReleasedBy    string    `json:"released_by,omitempty"`
	ReleasedAt    time.Time `json:"released_at,omitzero"`
}

// States of a death record.
const (
	DeathRecorded          = "deceased"
	DeathRemainsIdentified = "remains_identified"
)

// Limits of a death record's fields, in characters.
const (
	MaxDeathField    = 500
	MaxDeathDocs     = 20
	MaxFamilyTextLen = 500 // families.MaxWordingLen: it is shown as the wording of a status
)

// PendingRelease reports whether the family has not yet been told the
// record's current state.
func (d *Death) PendingRelease() bool { return d.ReleasedState != d.State }

// DeathError is one problem of a death record: the field and a stable code
// with its parameter, for the catalogues.
type DeathError struct {
	Field string `json:"field"`
	Code  string `json:"code"` // required, too_long, invalid_text, invalid_date, future_date, too_many
	Param string `json:"param,omitempty"`
}

func (e DeathError) Error() string {
	if e.Param != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Field, e.Code, e.Param)
	}
	return e.Field + ": " + e.Code
}

// Normalize trims the text fields and drops empty document references.
func (d *Death) Normalize() {
	for _, f := range []*string{&d.Place, &d.Cause, &d.Burial, &d.Grave, &d.ReportedBy} {
		*f = strings.TrimSpace(*f)
	}
	docs := d.Documents[:0:0]
	for _, s := range d.Documents {
		if s = strings.TrimSpace(s); s != "" {
			docs = append(docs, s)
		}
	}
	d.Documents = docs
}

// Validate checks the particulars of a record against today: who reported
// the death is required (a death with no source is a rumour), the date may
// be partial or unknown but not in the future, every text is bounded.
func (d *Death) Validate(today time.Time) []DeathError {
	var errs []DeathError
	text := func(field, v string, required bool) {
		switch {
		case v == "" && required:
			errs = append(errs, DeathError{Field: field, Code: "required"})
		case utf8.RuneCountInString(v) > MaxDeathField:
			errs = append(errs, DeathError{Field: field, Code: "too_long", Param: fmt.Sprint(MaxDeathField)})
		case !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0:
			errs = append(errs, DeathError{Field: field, Code: "invalid_text"})
		}
	}
	text("place", d.Place, false)
	text("cause", d.Cause, false)
	text("burial", d.Burial, false)
	text("grave", d.Grave, false)
	text("reported_by", d.ReportedBy, true)
	if len(d.Documents) > MaxDeathDocs {
		errs = append(errs, DeathError{Field: "documents", Code: "too_many", Param: fmt.Sprint(MaxDeathDocs)})
	}
	for _, doc := range d.Documents {
		text("documents", doc, false)
	}
	if !d.DiedOn.IsZero() {
		if err := d.DiedOn.Validate(); err != nil {
			errs = append(errs, DeathError{Field: "died_on", Code: "invalid_date", Param: d.DiedOn.String()})
		} else if person.FromTime(today).Before(d.DiedOn) {
			errs = append(errs, DeathError{Field: "died_on", Code: "future_date", Param: d.DiedOn.String()})
		}
	}
	return errs
}

// ValidFamilyText checks the text a side writes to a family: required,
// bounded, printable (new lines allowed).
func ValidFamilyText(s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return msg.NewError(nil, "err.text.required", "field", msg.Enum{Kind: "svc_input", Code: "family_text"})
	case utf8.RuneCountInString(s) > MaxFamilyTextLen:
		return msg.NewError(nil, "err.text.too_long", "field", msg.Enum{Kind: "svc_input", Code: "family_text"}, "max", MaxFamilyTextLen)
	case !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }) >= 0:
		return msg.NewError(nil, "err.text.not_text", "field", msg.Enum{Kind: "svc_input", Code: "family_text"})
	}
	return nil
}
