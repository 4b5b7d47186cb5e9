package families

import (
	"strconv"
	"strings"
	"time"

	"parley/internal/msg"
	"parley/internal/person"
	"parley/internal/pfif"
)

// PFIFOrigin keeps what a people-finder system sent with an imported
// record beyond the identity data: its record id and its notes, returned
// unchanged on export.
type PFIFOrigin struct {
	RecordID string      `json:"record_id"`
	Notes    []pfif.Note `json:"notes,omitempty"`
}

// PFIFImport is the outcome of turning a PFIF document into inquiries.
type PFIFImport struct {
	Inquiries []*Inquiry
	// Skipped says, per record id, why a record was not taken.
	Skipped []string
}

// FromPFIF turns the person records of a PFIF document into inquiries
// about relatives on the given side. Record ids, names, dates of birth at
// the precision given, every other field (in Relative.Extra, see
// pfif.ToPerson) and the notes (nested ones and top-level ones naming a
// person of the document) are kept. Records whose expiry date has passed
// are skipped: PFIF obliges a receiver to stop showing them.
//
// Imported inquiries have no secret that anybody knows and no contact:
// their families asked through another system, and hear back through it
// when the inquiries are exported again (see ToPFIF). PFIF's author_email
// and author_phone travel with the record (in Relative.Extra) but are not
// taken as a contact for e-mail or SMS: the author is often a volunteer
// rather than the family, and a notice pointing to a status page needs a
// reference and a secret that nobody behind an imported record holds.
func FromPFIF(doc *pfif.Document, party string, kind person.Kind, now time.Time) *PFIFImport {
	out := &PFIFImport{}
	byID := map[string]*Inquiry{}
	for _, rec := range doc.Persons {
		if rec.Expired(now) {
			out.Skipped = append(out.Skipped, rec.RecordID+": expired")
			continue
		}
		if strings.TrimSpace(rec.FamilyName) == "" && strings.TrimSpace(rec.FullName) == "" {
			out.Skipped = append(out.Skipped, rec.RecordID+": no name")
			continue
		}
		if byID[rec.RecordID] != nil {
			out.Skipped = append(out.Skipped, rec.RecordID+": given twice")
			continue
		}
		p := pfif.ToPerson(rec)
		p.Kind = kind
		if p.Kind == "" {
			p.Kind = person.KindPOW
		}
		p.Normalize()
		q := &Inquiry{
			Party: party, Relative: p, Source: SourcePFIF, Lang: "en",
			PFIF:    &PFIFOrigin{RecordID: rec.RecordID, Notes: append([]pfif.Note(nil), rec.Notes...)},
			Outcome: Outcome{Status: StatusNone},
		}
		q.DedupKey = DedupKey(party, MatchPerson(q), "", "", "pfif:"+rec.RecordID)
		byID[rec.RecordID] = q
		out.Inquiries = append(out.Inquiries, q)
	}
	for _, n := range doc.Notes {
		if q := byID[n.PersonRecordID]; q != nil {
			q.PFIF.Notes = append(q.PFIF.Notes, n)
		} else {
			out.Skipped = append(out.Skipped, "note "+n.NoteRecordID+": its person is not in the document")
		}
	}
	return out
}

// PFIFRecordID returns the PFIF person_record_id of an inquiry: the one it
// arrived with, or domain/inquiry.<id> for one registered here.
func PFIFRecordID(q *Inquiry, domain string) string {
	if q.PFIF != nil && q.PFIF.RecordID != "" {
		return q.PFIF.RecordID
	}
	return domain + "/inquiry." + q.ID
}

// ToPFIF writes inquiries as PFIF person records. Each keeps its record id
// and the notes it arrived with; a confirmed status adds one note of this
// installation (record id domain/status.<inquiry>.<version>) with the PFIF status of PFIFStatus (believed_alive
// while the relative is known alive, believed_dead once a death was
// released, none where the status makes no such claim) and the short status
// text — the same that the family sees, never a list or another person.
// Inquiries registered here carry no contact data of the family: they
// consented to their data being used to answer them, not to its being
// passed on.
func ToPFIF(inquiries []*Inquiry, domain, sourceName string, now time.Time) *pfif.Document {
	doc := &pfif.Document{}
	stamp := func(t time.Time) string {
		if t.IsZero() {
			t = now
		}
		return t.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05Z")
	}
	for _, q := range inquiries {
		id := PFIFRecordID(q, domain)
		rec := pfif.FromPerson(id, q.Relative)
		if rec.SourceDate == "" {
			rec.SourceDate = stamp(q.CreatedAt)
		}
		if rec.EntryDate == "" && q.PFIF == nil {
			rec.EntryDate = stamp(q.CreatedAt)
		}
		if rec.SourceName == "" && q.PFIF == nil {
			rec.SourceName = sourceName
		}
		if q.PFIF != nil {
			rec.Notes = append(rec.Notes, q.PFIF.Notes...)
		}
		if n, ok := statusNote(q, id, domain, sourceName, stamp); ok {
			rec.Notes = append(rec.Notes, n)
		}
		doc.Persons = append(doc.Persons, rec)
	}
	return doc
}

func statusNote(q *Inquiry, personID, domain, author string, stamp func(time.Time) string) (pfif.Note, bool) {
	if q.Status == StatusNone || q.Status == "" {
		return pfif.Note{}, false
	}
	n := pfif.Note{
		NoteRecordID:   domain + "/status." + q.ID + "." + strconv.Itoa(q.StatusVersion),
		PersonRecordID: personID,
		EntryDate:      stamp(q.StatusChangedAt),
		AuthorName:     author,
		SourceDate:     stamp(q.StatusChangedAt),
		Text:           StatusText(q.Outcome), // English: the language of exchange between tracing services
	}
	n.Status = PFIFStatus(q.Status)
	return n, true
}

// StatusText is the English sentence for an outcome.
func StatusText(o Outcome) string { return StatusTextIn(msg.English, o) }

// StatusTextIn is the sentence for an outcome in lang, as exported in PFIF
// notes: the inquiry's language, the one its family reads. A date is
// written the language's way.
func StatusTextIn(lang string, o Outcome) string {
	lang = msg.Pick(lang)
	code := "pfif.note.unknown"
	dated := false
	switch o.Status {
	case StatusListed, StatusAgreed, StatusRepatriated, StatusDeceased:
		code, dated = "pfif.note."+string(o.Status), true
	case StatusNotRepatriated, StatusDeclined, StatusRemainsIdentified:
		code = "pfif.note." + string(o.Status)
	case StatusOther:
		code = ""
	}
	var s string
	switch {
	case code == "":
	case dated && !o.Date.IsZero():
		d := o.Date.UTC()
		s = msg.Text(lang, msg.New(code+"_on", "date", msg.CalendarDate{Y: d.Year(), M: int(d.Month()), D: d.Day()}))
	default:
		s = msg.Text(lang, msg.New(code))
	}
	if o.Wording != "" {
		s = strings.TrimSpace(s + " " + o.Wording)
	}
	return s
}
