package negotiation

import (
	"fmt"

	"parley/internal/person"
)

// CommissionDecision is what a Mixed Medical Commission decides for one
// prisoner (GC III Art. 112 and Annex II): repatriation, rejection, or
// re-examination at a later date.
type CommissionDecision string

// Commission decisions.
const (
	Repatriate CommissionDecision = "repatriate"
	Reject     CommissionDecision = "reject"
	Reexamine  CommissionDecision = "reexamine"
)

// Valid reports whether d is a known decision.
func (d CommissionDecision) Valid() bool {
	return d == Repatriate || d == Reject || d == Reexamine
}

// CommissionOutcome is the commission's decision on one prisoner. Only a
// re-examination carries a date, and it must lie after the decision.
type CommissionOutcome struct {
	Decision    CommissionDecision `json:"decision"`
	DecidedOn   person.Date        `json:"decided_on,omitzero"`
	ReexamineOn person.Date        `json:"reexamine_on,omitzero"`
}

// Validate checks the outcome's own consistency.
func (o CommissionOutcome) Validate() error {
	if !o.Decision.Valid() {
		return fmt.Errorf("unknown commission decision %q (want repatriate, reject or reexamine)", o.Decision)
	}
	if err := o.DecidedOn.Validate(); err != nil {
		return fmt.Errorf("decided_on: %w", err)
	}
	if err := o.ReexamineOn.Validate(); err != nil {
		return fmt.Errorf("reexamine_on: %w", err)
	}
	if o.Decision != Reexamine {
		if !o.ReexamineOn.IsZero() {
			return fmt.Errorf("a %s decision carries no re-examination date (got %s)", o.Decision, o.ReexamineOn)
		}
		return nil
	}
	if !o.ReexamineOn.Complete() {
		return fmt.Errorf("re-examination needs a complete date, not %q", o.ReexamineOn.String())
	}
	if o.DecidedOn.Complete() && !o.DecidedOn.Before(o.ReexamineOn) {
		return fmt.Errorf("re-examination on %s is not after the decision of %s", o.ReexamineOn, o.DecidedOn)
	}
	return nil
}

// LegalBasis returns the basis of a release that follows the decision:
// Art. 110 for repatriation, and ok false otherwise.
func (o CommissionOutcome) LegalBasis() (LegalBasis, bool) {
	if o.Decision == Repatriate {
		return LegalBasis{Code: BasisArt110}, true
	}
	return LegalBasis{}, false
}
