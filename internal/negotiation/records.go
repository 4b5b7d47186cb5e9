package negotiation

import (
	"time"

	"parley/internal/person"
)

// The records of a negotiation as the service returns them and storage
// keeps them: rounds, the lists handed over in them, proposed stages and
// agreements.

// Round is a meeting of the two parties, convened by the mediator.
type Round struct {
	ID           string      `json:"id"`
	Title        string      `json:"title"`
	Venue        string      `json:"venue,omitempty"`
	StartsOn     person.Date `json:"starts_on,omitzero"`
	EndsOn       person.Date `json:"ends_on,omitzero"`
	Parties      [2]string   `json:"parties"`
	Participants []string    `json:"participants"`
	Notes        string      `json:"notes,omitempty"`
	// Criteria is the agreed approach for the lists of the round; nil when
	// the round agreed none.
	Criteria   *Criteria `json:"criteria,omitempty"`
	ConvenedBy string    `json:"convened_by"`
	CreatedAt  time.Time `json:"created_at"`
}

// HasParty reports whether the party is one of the round's two.
func (r *Round) HasParty(p string) bool { return p != "" && (r.Parties[0] == p || r.Parties[1] == p) }

// RoundList is a list handed over in a round.
type RoundList struct {
	RoundID string `json:"round_id"`
	ListID  string `json:"list_id"`
	// Nonconforming counts the entries outside the round's criteria; -1
	// when the round has no criteria.
	Nonconforming int       `json:"nonconforming"`
	AttachedBy    string    `json:"attached_by"`
	AttachedAt    time.Time `json:"attached_at"`
}

// Proposal states as stored: the states of ProposalState and
// the draft a party keeps to itself before submitting it.
const ProposalDraft = "draft"

// ProposalRecord is one proposed stage as kept, without its releases:
// the stage itself beside the state of Proposal.
type ProposalRecord struct {
	ID          string      `json:"id"`
	RoundID     string      `json:"round_id"`
	ThreadID    string      `json:"thread_id"`
	CounterOf   string      `json:"counter_of,omitempty"`
	From        string      `json:"from"`
	To          string      `json:"to"`
	State       string      `json:"state"`
	Terms       Terms       `json:"terms"`
	Date        person.Date `json:"date,omitzero"`     // the proposed date of the stage
	RefDate     person.Date `json:"ref_date,omitzero"` // the day on which ages are taken
	Counts      [2]int      `json:"counts"`            // persons released by From and by To
	Note        string      `json:"note,omitempty"`
	Reasons     string      `json:"reasons,omitempty"` // why the addressee rejected it
	CreatedBy   string      `json:"created_by"`
	CreatedAt   time.Time   `json:"created_at"`
	SubmittedAt time.Time   `json:"submitted_at,omitzero"`
	AnsweredBy  string      `json:"answered_by,omitempty"`
	AnsweredAt  time.Time   `json:"answered_at,omitzero"`
	WitnessedBy string      `json:"witnessed_by,omitempty"`
	WitnessedAt time.Time   `json:"witnessed_at,omitzero"`
}

// Agreement is a proposal accepted by the addressee and witnessed by the
// mediator. It never changes.
type Agreement struct {
	ID         string      `json:"id"`
	ProposalID string      `json:"proposal_id"`
	RoundID    string      `json:"round_id"`
	Parties    [2]string   `json:"parties"` // the proposer, then the addressee
	Terms      Terms       `json:"terms"`
	Date       person.Date `json:"date,omitzero"`
	// ContentHash is "sha256:<hex>" of the agreement's canonical content,
	// persons included; the signed log records it.
	ContentHash string    `json:"content_hash"`
	AcceptedBy  string    `json:"accepted_by"`
	WitnessedBy string    `json:"witnessed_by"`
	CreatedAt   time.Time `json:"created_at"`
}
