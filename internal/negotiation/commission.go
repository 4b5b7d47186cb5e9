package negotiation

import (
	"parley/internal/msg"
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
		return msg.NewError(nil, "err.commission.decision", "value", string(o.Decision), "choices", []string{string(Repatriate), string(Reject), string(Reexamine)})
	}
	if err := o.DecidedOn.Validate(); err != nil {
		return fieldErr("decided_on", err)
	}
	if err := o.ReexamineOn.Validate(); err != nil {
		return fieldErr("reexamine_on", err)
	}
	if o.Decision != Reexamine {
		if !o.ReexamineOn.IsZero() {
			return msg.NewError(nil, "err.commission.no_reexamination", "decision", string(o.Decision), "date", o.ReexamineOn.String())
		}
		return nil
	}
	if !o.ReexamineOn.Complete() {
		return msg.NewError(nil, "err.commission.reexamine_complete", "date", o.ReexamineOn.String())
	}
	if o.DecidedOn.Complete() && !o.DecidedOn.Before(o.ReexamineOn) {
		return msg.NewError(nil, "err.commission.reexamine_after", "date", o.ReexamineOn.String(), "decided", o.DecidedOn.String())
	}
	return nil
}

// fieldErr is err refusing the value of the field, as a message.
func fieldErr(field string, err error) error {
	e := msg.NewError(nil, "err.field", "field", msg.Enum{Kind: "svc_input", Code: field}, "reason", err)
	e.Cause = err
	return e
}

// LegalBasis returns the basis of a release that follows the decision:
// Art. 110 for repatriation, and ok false otherwise.
func (o CommissionOutcome) LegalBasis() (LegalBasis, bool) {
	if o.Decision == Repatriate {
		return LegalBasis{Code: BasisArt110}, true
	}
	return LegalBasis{}, false
}
