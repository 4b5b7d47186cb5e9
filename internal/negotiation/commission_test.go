package negotiation

import (
	"testing"

	"parley/internal/person"
)

func TestCommissionOutcome(t *testing.T) {
	tests := []struct {
		name string
		o    CommissionOutcome
		ok   bool
	}{
		{"repatriate", CommissionOutcome{Decision: Repatriate, DecidedOn: date("2025-06-10")}, true},
		{"reject", CommissionOutcome{Decision: Reject}, true},
		{"reexamine later", CommissionOutcome{Decision: Reexamine, DecidedOn: date("2025-06-10"), ReexamineOn: date("2025-12-10")}, true},
		{"reexamine without date", CommissionOutcome{Decision: Reexamine, DecidedOn: date("2025-06-10")}, false},
		{"reexamine with a partial date", CommissionOutcome{Decision: Reexamine, ReexamineOn: date("2025-12")}, false},
		{"reexamine before the decision", CommissionOutcome{Decision: Reexamine, DecidedOn: date("2025-06-10"), ReexamineOn: date("2025-06-10")}, false},
		{"repatriate with a date", CommissionOutcome{Decision: Repatriate, ReexamineOn: date("2025-12-10")}, false},
		{"unknown decision", CommissionOutcome{Decision: "defer"}, false},
		{"impossible date", CommissionOutcome{Decision: Reexamine, ReexamineOn: person.Date{Year: 2025, Month: 2, Day: 30}}, false},
	}
	for _, tt := range tests {
		if err := tt.o.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
	if b, ok := (CommissionOutcome{Decision: Repatriate}).LegalBasis(); !ok || b.Code != BasisArt110 {
		t.Errorf("repatriation basis = %+v, %v", b, ok)
	}
	if _, ok := (CommissionOutcome{Decision: Reject}).LegalBasis(); ok {
		t.Error("a rejection gives no basis for release")
	}
}
