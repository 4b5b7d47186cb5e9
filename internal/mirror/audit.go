package mirror

import (
	"context"
	"errors"
	"strings"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"parley/internal/ledger"
	"parley/internal/statement"
)

// The audit rule: the hub holds the log key and can append whatever it
// likes, but it cannot sign as a party. Every entry recording a party's
// statement (a list handed over or acknowledged, a proposal made or
// answered), and every entry whose actor names a party, must carry the
// statement the party signed (attribute "statement", a C2SP signed note of
// package statement) under a key the log published for that party
// (entries "party.key_trusted") or the node's own key, and the statement
// must say what the entry says. An entry that fails is an entry_unsigned
// alarm: the hub (or whoever holds its key) logged it on the party's behalf.

// EventKeyTrusted is the event the hub logs when the mediator trusts a
// party's key (parley party trust).
const EventKeyTrusted = "party.key_trusted"

// statementTypes maps the logged event types that record a party's
// statement to the statement's type.
var statementTypes = map[string]string{
	"list.handed_over":   statement.ListHandover,
	"list.acknowledged":  statement.ListAck,
	"proposal.submitted": statement.ProposalSubmit,
	"proposal.countered": statement.ProposalCounter,
	"proposal.accepted":  statement.ProposalAccept,
	"proposal.rejected":  statement.ProposalReject,
}

type auditor struct {
	origin string
	stmt   map[string][]note.Verifier // party → statement keys
	wit    map[string][]note.Verifier // party → witness keys
}

// newAuditor learns the keys the log published before index upTo, and the
// node's own.
func newAuditor(ctx context.Context, m *Mirror, upTo int64) (*auditor, error) {
	a := &auditor{origin: m.v.Name(), stmt: map[string][]note.Verifier{}, wit: map[string][]note.Verifier{}}
	if m.opt.OwnKey != "" {
		v, err := note.NewVerifier(m.opt.OwnKey)
		if err != nil {
			return nil, err
		}
		a.stmt[m.opt.Party] = addKey(a.stmt[m.opt.Party], v)
	}
	rows, err := m.st.MirrorEntriesOfType(ctx, EventKeyTrusted)
	if err != nil {
		return nil, err
	}
	for _, row := range rows {
		if row.Index >= upTo {
			break
		}
		if e, err := ledger.ParseEntry(row.Data); err == nil {
			a.learn(e)
		}
	}
	return a, nil
}

// learn takes a key from a party.key_trusted entry: a statement key
// (Ed25519 signed-note key) or a witness key (cosignature/v1).
func (a *auditor) learn(e *ledger.Entry) {
	party, key := e.Attrs["party"], e.Attrs["key"]
	if party == "" || key == "" {
		return
	}
	if v, err := note.NewVerifier(key); err == nil {
		a.stmt[party] = addKey(a.stmt[party], v)
		return
	}
	if v, err := fnote.NewVerifierForCosignatureV1(key); err == nil {
		a.wit[party] = addKey(a.wit[party], v)
	}
}

// trustsWitness reports whether the log lets the node's witness cosign for
// its party: the log shows no witness key trusted for the party (a log
// kept without party keys), or shows this one. The hub trusts one witness
// key per party; a party's second node, whose witness key is not that one,
// verifies the log without cosigning, since the hub would refuse its
// cosignature.
func (a *auditor) trustsWitness(party string, w *ledger.Witness) bool {
	ks := a.wit[party]
	if len(ks) == 0 {
		return true
	}
	for _, k := range ks {
		if k.Name() == w.Name() && k.KeyHash() == w.KeyHash() {
			return true
		}
	}
	return false
}

// addKey adds a verifier unless the same key is there already (the node's
// own key is also published in the log): a note verifier list must not
// hold one key twice.
func addKey(vs []note.Verifier, v note.Verifier) []note.Verifier {
	for _, o := range vs {
		if o.Name() == v.Name() && o.KeyHash() == v.KeyHash() {
			return vs
		}
	}
	return append(vs, v)
}

// partyOf returns the party an entry speaks for, or "" when it does not
// name one.
func partyOf(e *ledger.Entry) string {
	if p, ok := strings.CutPrefix(e.Actor, "party:"); ok {
		return p
	}
	if _, ok := statementTypes[e.Type]; !ok {
		return ""
	}
	switch e.Type {
	case "list.handed_over", "proposal.submitted":
		return e.Attrs["from"]
	case "list.acknowledged":
		return e.Attrs["to"]
	}
	return e.Attrs["party"]
}

// check applies the audit rule to one entry (nil: not a valid entry).
func (a *auditor) check(r *run, idx int64, e *ledger.Entry) {
	if e == nil {
		return
	}
	if e.Type == EventKeyTrusted {
		a.learn(e)
		return
	}
	_, isStatement := statementTypes[e.Type]
	if !isStatement && !strings.HasPrefix(e.Actor, "party:") {
		return
	}
	party := partyOf(e)
	if err := a.verify(e, party); err != nil {
		r.m.opt.Logger.Warn("log entry not signed by its party", "index", idx, "type", e.Type, "party", party, "reason", err)
		r.raise(KindEntryUnsigned, "entry "+itoa(idx), map[string]string{"index": itoa(idx), "type": e.Type, "party": party})
	}
}

func (a *auditor) verify(e *ledger.Entry, party string) error {
	text := e.Attrs["statement"]
	if text == "" {
		return errors.New("no statement")
	}
	keys := a.stmt[party]
	if len(keys) == 0 {
		return errors.New("no trusted key for the party")
	}
	s, _, err := statement.Open([]byte(text), a.origin, note.VerifierList(keys...))
	if err != nil {
		return err
	}
	if want, ok := statementTypes[e.Type]; ok && s.Type != want && !(e.Type == "proposal.submitted" && s.Type == statement.ProposalCounter) {
		return errors.New("statement type " + s.Type + " does not record " + e.Type)
	}
	switch {
	case s.Party != party:
		return errors.New("statement of party " + s.Party)
	case s.Subject != e.Subject && !follows(s, e):
		return errors.New("statement about " + s.Subject)
	case e.Attrs["content_hash"] != "" && s.Attrs["content_hash"] != e.Attrs["content_hash"]:
		return errors.New("statement content hash differs")
	case e.Attrs["statement_id"] != "" && s.ID != e.Attrs["statement_id"]:
		return errors.New("statement id differs")
	}
	return nil
}

// followLinks names, per statement type, the attributes by which an entry
// with its own subject (a dispute's id, the countered proposal) names the
// statement's subject when it follows from applying that statement
// (docs/nodes.md, "In the log"): a reservation or a dispute closed by a
// new version follow from a list statement, the countered proposal's entry
// from the counter-proposal.
var followLinks = map[string][]string{
	statement.ListHandover:    {"closed_by"},
	statement.ListAck:         {"list_id"},
	statement.ProposalCounter: {"counter_id"},
}

// follows reports whether entry e follows from statement s: it names the
// statement's subject in an attribute that links the two for its type.
func follows(s *statement.Statement, e *ledger.Entry) bool {
	for _, k := range followLinks[s.Type] {
		if s.Subject != "" && e.Attrs[k] == s.Subject {
			return true
		}
	}
	return false
}

// checkCosignatures raises signature_invalid for a cosignature, by a
// witness key the log published, that does not verify on the checkpoint.
func (a *auditor) checkCosignatures(r *run, raw []byte, size int64) {
	for _, ws := range a.wit {
		for _, w := range ws {
			_, err := note.Open(raw, note.VerifierList(w))
			var inv *note.InvalidSignatureError
			if errors.As(err, &inv) {
				r.raise(KindSignatureInvalid, "cosignature "+w.Name()+" "+itoa(size), map[string]string{"size": itoa(size), "witness": w.Name()})
			}
		}
	}
}
