package access

import "testing"

func TestCanReadList(t *testing.T) {
	officerA := Actor{Username: "a", Roles: []Role{Officer}, Party: "A"}
	officerB := Actor{Username: "b", Roles: []Role{Officer}, Party: "B"}
	officerC := Actor{Username: "c", Roles: []Role{Officer}, Party: "C"}
	mediator := Actor{Username: "m", Roles: []Role{Mediator}}
	observer := Actor{Username: "o", Roles: []Role{Observer}}
	admin := Actor{Username: "x", Roles: []Role{Admin}}
	draft := ListView{From: "A", To: "B", Draft: true}
	sent := ListView{From: "A", To: "B"}
	tests := []struct {
		name  string
		actor Actor
		list  ListView
		want  bool
	}{
		{"sender reads own draft", officerA, draft, true},
		{"receiver cannot read a draft", officerB, draft, false},
		{"mediator cannot read a draft", mediator, draft, false},
		{"receiver reads handed-over list", officerB, sent, true},
		{"third party never reads", officerC, sent, false},
		{"observer reads handed-over list", observer, sent, true},
		{"admin sees no personal data", admin, sent, false},
		{"system reads all", System, draft, true},
	}
	for _, tt := range tests {
		if got := tt.actor.CanReadList(tt.list); got != tt.want {
			t.Errorf("%s: CanReadList = %v, want %v", tt.name, got, tt.want)
		}
	}
	if officerB.CanWriteList("A") || !officerA.CanWriteList("A") {
		t.Error("only the sender's officers may write a list")
	}
	if officerA.CanAcknowledge(sent) || !officerB.CanAcknowledge(sent) || officerB.CanAcknowledge(draft) {
		t.Error("only the receiver acknowledges, and only a handed-over list")
	}
	if officerB.CanReadRegistry("A") || mediator.CanReadRegistry("A") || !officerA.CanReadRegistry("A") {
		t.Error("a registry never leaves its party")
	}
}

// TestSeparationOfDuties: an administrator manages accounts but cannot act
// as another user, neither by reading their data nor by minting their token.
func TestSeparationOfDuties(t *testing.T) {
	admin := Actor{UserID: "U1", Username: "root", Roles: []Role{Admin}}
	officer := Actor{UserID: "U2", Username: "olena", Roles: []Role{Officer}, Party: "A"}
	anonymous := Actor{Username: "olena"} // no user id: not signed in
	tests := []struct {
		name   string
		actor  Actor
		holder string
		want   bool
	}{
		{"admin for another user", admin, "olena", false},
		{"admin for themself", admin, "root", true},
		{"officer for themself", officer, "olena", true},
		{"officer for another user", officer, "root", false},
		{"unauthenticated with a matching name", anonymous, "olena", false},
		{"local operator for the user it names", System, "olena", true},
	}
	for _, tt := range tests {
		if got := tt.actor.CanIssueToken(tt.holder); got != tt.want {
			t.Errorf("%s: CanIssueToken(%q) = %v, want %v", tt.name, tt.holder, got, tt.want)
		}
	}
	if !admin.CanAdminister() || admin.CanReadRegistry("A") || admin.CanActForParty("A") || admin.CanWriteList("A") {
		t.Error("an administrator administers and sees no party's data")
	}
}
