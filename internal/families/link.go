package families

import (
	"strings"
	"time"

	"parley/internal/lists"
	"parley/internal/matching"
	"parley/internal/person"
)

// LinkState is where a proposed link between an inquiry and a list entry
// stands.
type LinkState string

// Link states. Only a confirmed link ever reaches the family.
const (
	LinkPending   LinkState = "pending"
	LinkConfirmed LinkState = "confirmed"
	LinkRejected  LinkState = "rejected"
)

// Link proposes that the relative of an inquiry is the person on row Row of
// a handed-over list. The matching engine proposes it; an officer of the
// relative's side confirms or rejects it.
type Link struct {
	ID        string `json:"id"`
	InquiryID string `json:"inquiry_id"`
	ListID    string `json:"list_id"`
	Row       int    `json:"row"`
	// PersonID names the person across the versions of the list (the
	// list's root id and the entry id): an inquiry is linked to a person
	// once, whichever version first named him.
	PersonID  string    `json:"person_id,omitempty"`
	Party     string    `json:"party"` // the side whose officers decide
	Score     float64   `json:"score"`
	Decision  string    `json:"decision"` // the engine's: match or review
	Reason    string    `json:"reason"`
	State     LinkState `json:"state"`
	CreatedAt time.Time `json:"created_at"`
	DecidedBy string    `json:"decided_by,omitempty"`
	DecidedAt time.Time `json:"decided_at,omitzero"`
	Note      string    `json:"note,omitempty"`
}

// MaxNoteLen bounds an officer's note on a link decision.
const MaxNoteLen = 1000

// ListEligible reports whether the entries of a list are searched for the
// relatives of a side's inquiries: the list has been handed over (it is
// frozen and its content is on the record) and it was handed over to that
// side by another, that is, it is the detaining party's list of the side's
// own people. A side's own drafts, and its lists of the other side's
// people, are never searched.
func ListEligible(l *lists.List, party string) bool {
	return (l.State == lists.HandedOver || l.State == lists.Acknowledged) && l.To == party && l.From != party
}

// Proposes reports whether a matching result becomes a pending link: a
// match and a review both go to an officer, who decides.
func Proposes(r matching.Result) bool {
	return r.RegistryIndex >= 0 && (r.Decision == matching.DecisionMatch || r.Decision == matching.DecisionReview)
}

// MatchPerson returns the record that is compared with list entries. An
// inquiry imported from PFIF may give the name only as full_name; it is then
// read in the order of Ukrainian and Russian lists (surname, given name,
// patronymic). The stored record is not changed.
func MatchPerson(q *Inquiry) person.Person {
	p := q.Relative
	if p.Surname == "" && p.SurnameLatin == "" && q.PFIF != nil {
		words := strings.Fields(p.Extra["pfif:full_name"])
		if len(words) > 0 {
			p.Surname = words[0]
		}
		if len(words) > 1 && p.GivenNames == "" {
			p.GivenNames = words[1]
		}
		if len(words) == 3 && p.Patronymic == "" {
			p.Patronymic = words[2]
		}
	}
	p.Extra = nil
	p.Notes = ""
	return p
}

// MatchConfig is the matching configuration for inquiries. An inquiry is
// compared with one list at a time; the prior is the engine's default.
func MatchConfig() matching.Config {
	cfg := matching.DefaultConfig()
	cfg.Workers = 1
	return cfg
}
