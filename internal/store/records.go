package store

import (
	"parley/internal/matching"
	"parley/internal/negotiation"
	"parley/internal/parties"
)

// The records storage reads and writes are the domain's own: the rows of
// rounds, proposals, agreements, match runs and parties are mapped to the
// types of packages negotiation, matching and parties, so that the front
// ends need not import storage. These names keep the storage code short.
type (
	Round           = negotiation.Round
	RoundList       = negotiation.RoundList
	Proposal        = negotiation.ProposalRecord
	Agreement       = negotiation.Agreement
	MatchRun        = matching.Run
	MatchRow        = matching.Row
	Candidate       = matching.RowCandidate
	RegistryVersion = matching.RegistryVersion
	Party           = parties.Party
)

// ProposalDraft is the stored state of a proposal its party has not yet
// submitted.
const ProposalDraft = negotiation.ProposalDraft

// CandidateText and CandidateList encode and decode MatchRow.Candidates.
var (
	CandidateText = matching.CandidateText
	CandidateList = matching.CandidateList
)
