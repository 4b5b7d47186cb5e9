// Package access decides who may do what. The rules live here, in one place,
// and the service layer asks them before every read and every change, so
// that the web pages, the JSON API and the command line cannot disagree.
//
// Personal data is shown only to those who need it (Geneva Convention III,
// Art. 13: protection from public curiosity): a party officer sees its own
// party's data and what was handed over to it, never the other party's
// drafts or registry; an administrator manages users and keys and sees no
// personal data unless also given another role.
package access

import (
	"errors"
	"parley/internal/msg"
	"slices"
)

// Role is a user's role.
type Role string

// Roles.
const (
	Officer  Role = "officer"  // a party's officer, bound to one party
	Mediator Role = "mediator" // convenes rounds, witnesses agreements, runs the log
	Observer Role = "observer" // a neutral humanitarian organisation: reads lists, records outcomes
	Admin    Role = "admin"    // manages users and keys
)

// Roles lists every role.
func Roles() []Role { return []Role{Officer, Mediator, Observer, Admin} }

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles(), r) }

// Actor is whoever asks: a signed-in user, an API token's owner, or the
// operator at the command line of the machine that holds the data.
type Actor struct {
	UserID   string
	Username string
	Roles    []Role
	Party    string // set for officers
	// Language is the language the user saved as his choice; "" for none.
	Language string
	// System marks the local operator (command line on the data directory),
	// who already holds every file and key and so may do everything.
	System bool
}

// System is the actor of the local command line.
var System = Actor{Username: "system", System: true}

// Has reports whether the actor holds the role.
func (a Actor) Has(r Role) bool { return slices.Contains(a.Roles, r) }

// String names the actor for logs and the event log (never a person's name
// from a list).
func (a Actor) String() string {
	if a.System {
		return "system"
	}
	if a.Party != "" {
		return a.Username + "@" + a.Party
	}
	return a.Username
}

// ErrForbidden is returned when the actor may not do what it asked.
var ErrForbidden = errors.New("forbidden")

// ErrUnauthenticated is returned when nobody is signed in.
var ErrUnauthenticated = errors.New("authentication required")

// Forbid returns an error of kind ErrForbidden carrying the message code
// with its parameters (name, value pairs), rendered in the reader's
// language by the front end (see package msg).
func Forbid(code string, kv ...any) error { return msg.NewError(ErrForbidden, code, kv...) }

// ListView is what the rules need to know about a list.
type ListView struct {
	From, To string
	Draft    bool
}

// CanReadList: the sender's officers always; the receiver's officers, the
// mediator and observers once the list has been handed over. A draft is
// visible to its own party only. Administrators see no personal data.
func (a Actor) CanReadList(l ListView) bool {
	switch {
	case a.System:
		return true
	case a.Has(Officer) && a.Party == l.From:
		return true
	case l.Draft:
		return false
	case a.Has(Officer) && a.Party == l.To:
		return true
	case a.Has(Mediator), a.Has(Observer):
		return true
	}
	return false
}

// CanWriteList: only the sending party's officers create, edit and hand
// over a list.
func (a Actor) CanWriteList(from string) bool {
	return a.System || (a.Has(Officer) && a.Party == from)
}

// CanAcknowledge: the receiving party's officers acknowledge receipt.
func (a Actor) CanAcknowledge(l ListView) bool {
	return !l.Draft && (a.System || (a.Has(Officer) && a.Party == l.To))
}

// CanReadRegistry: a registry never leaves its party.
func (a Actor) CanReadRegistry(party string) bool {
	return a.System || (a.Has(Officer) && a.Party == party)
}

// CanActForParty: proposals, answers and match reviews are made by the
// party's own officers.
func (a Actor) CanActForParty(party string) bool {
	return a.System || (a.Has(Officer) && a.Party == party)
}

// CanMediate: convene rounds, witness agreements, run the log.
func (a Actor) CanMediate() bool { return a.System || a.Has(Mediator) }

// CanObserve: record interviews and handover outcomes.
func (a Actor) CanObserve() bool { return a.System || a.Has(Observer) }

// CanAdminister: manage accounts, roles and parties, and revoke keys.
// Administration grants no access to personal data and no way to act as
// someone else (see CanIssueToken).
func (a Actor) CanAdminister() bool { return a.System || a.Has(Admin) }

// CanIssueToken: an API token acts with its holder's full rights, so it is
// issued only to the holder, signed in as themself. An administrator who
// could mint tokens for others could read any party's registry under the
// officer's name, and the access log would then blame the officer. The local
// operator (command line on the data directory) already holds every file and
// key, so it may issue a token to the user it names; that issue is recorded
// as the operator's.
func (a Actor) CanIssueToken(holder string) bool {
	return a.System || (a.UserID != "" && a.Username == holder)
}

// CanReviewAccessLog: who looked at whose record.
func (a Actor) CanReviewAccessLog() bool { return a.System || a.Has(Admin) || a.Has(Mediator) }

// SeesNegotiation: a party sees its own proposals and those addressed to it;
// the mediator and observers see all.
func (a Actor) SeesNegotiation(from, to string) bool {
	return a.System || a.Has(Mediator) || a.Has(Observer) || (a.Has(Officer) && (a.Party == from || a.Party == to))
}
