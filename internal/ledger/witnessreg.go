package ledger

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// Witnesses besides the parties' own: any C2SP tlog-witness (litewitness,
// a third state's, a press organisation's, the ICRC's) registered by its
// own verifier key and the URL of its add-checkpoint endpoint, optionally
// on behalf of a party. Witnesses that no one in the exchange controls are
// what make the log credible to outsiders, so the registry and the
// agreement policy are themselves logged events (EventWitnessAdded,
// EventWitnessRemoved, EventPolicySet): everyone sees who witnesses and
// whose cosignatures count.

// Event types of the witness registry and the agreement policy.
const (
	EventWitnessAdded   = "witness.added"
	EventWitnessRemoved = "witness.removed"
	EventPolicySet      = "policy.set"
)

// WitnessRow is a registered witness.
type WitnessRow struct {
	// Name is the registry name: the policy refers to the witness by it.
	Name string
	// KeyName is the name in the witness's key and cosignature lines.
	KeyName string
	// Key is the witness's verifier key (cosignature/v1, C2SP signed-note
	// vkey format).
	Key string
	// URL is the witness's submission prefix; requests go to
	// URL + "/add-checkpoint".
	URL string
	// Party is the party on whose behalf the witness cosigns, or "" for an
	// independent witness.
	Party string
	Added time.Time
	// LastStatus and LastAttempt describe the latest push to the witness.
	LastStatus  string
	LastAttempt time.Time
}

// PolicyRow is the agreement policy as stored.
type PolicyRow struct {
	// Required are the registry names of witnesses, or party ids meaning
	// "a witness of that party", whose cosignatures a checkpoint needs.
	Required []string
	// Independent is how many witnesses on behalf of no party must cosign
	// besides.
	Independent int
	Updated     time.Time
}

// WitnessRegistry reads the registered witnesses and the policy.
// *store.DB and *store.Tx implement it; storage that does not is read as
// "no registered witness, default policy".
type WitnessRegistry interface {
	// LogWitnesses returns the registered witnesses by name.
	LogWitnesses(ctx context.Context) ([]WitnessRow, error)
	// LogPolicy returns the policy, and false when none was set.
	LogPolicy(ctx context.Context) (PolicyRow, bool, error)
}

// WitnessRegistryStorage changes the registry. *store.Tx implements it;
// each change runs in the transaction that logs it.
type WitnessRegistryStorage interface {
	WitnessRegistry
	AddLogWitness(ctx context.Context, w WitnessRow) error
	// RemoveLogWitness deletes a witness; ErrNotFound when there is none.
	RemoveLogWitness(ctx context.Context, name string) error
	SetLogPolicy(ctx context.Context, p PolicyRow) error
}

// WitnessStatusStorage records the outcome of pushes. *store.DB
// implements it.
type WitnessStatusStorage interface {
	SetLogWitnessStatus(ctx context.Context, name, status string, at time.Time) error
}

// Cosigner is one witness whose cosignatures count: a party's own
// witness (its key in keys/, Builtin) or a registered one.
type Cosigner struct {
	Name     string // registry name; a party's own witness is named by the party id
	KeyName  string
	Key      string // verifier key
	URL      string // "" for a party's own witness served in this process
	Party    string
	Builtin  bool
	Verifier note.Verifier
}

// Independent reports whether the witness cosigns on behalf of no party.
func (c Cosigner) Independent() bool { return c.Party == "" }

// Policy is the agreement policy in effect.
type Policy struct {
	Required    []string
	Independent int
	// Default is true when no policy was set: every party (or those in
	// keys/log.json's "required") must cosign.
	Default bool
}

// String renders the policy for people and for the log's events:
// "require A,B; independent 1".
func (p Policy) String() string {
	req := "none"
	if len(p.Required) > 0 {
		req = strings.Join(p.Required, ",")
	}
	return fmt.Sprintf("require %s; independent %d", req, p.Independent)
}

// ParseWitnessKey reads a witness verifier key: a C2SP signed-note vkey
// of type cosignature/v1 (0x04, Ed25519), as litewitness and other
// C2SP witnesses publish it.
func ParseWitnessKey(vkey string) (note.Verifier, error) {
	v, err := fnote.NewVerifierForCosignatureV1(strings.TrimSpace(vkey))
	if err != nil {
		return nil, fmt.Errorf("witness key: %w (want a cosignature/v1 verifier key, name+hash+base64)", err)
	}
	return v, nil
}

// validWitnessName is the registry name's syntax: what a party id allows.
func validWitnessName(s string) bool { return validParty(s) }

// CheckWitnessURL checks a witness's submission prefix: an absolute http
// or https URL without query or fragment.
func CheckWitnessURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("witness URL %q: want an absolute http(s) URL of the witness's submission prefix (requests go to URL/add-checkpoint)", s)
	}
	return nil
}

// NewWitnessRow checks a witness to register against the log and the
// witnesses already registered, and returns its row.
func (l *Log) NewWitnessRow(existing []WitnessRow, name, vkey, rawURL, party string) (WitnessRow, error) {
	return l.newWitnessRow(existing, name, vkey, rawURL, party, false)
}

// NewPartyWitnessRow is NewWitnessRow for a hub, whose parties keep their
// witnesses on their own nodes: the witness is named by the party id (so
// an agreement policy can require the party), may have no URL (the node
// pushes its cosignatures to the hub itself), and the party is one of the
// hub's, which the caller checks.
func (l *Log) NewPartyWitnessRow(existing []WitnessRow, vkey, party string) (WitnessRow, error) {
	return l.newWitnessRow(existing, party, vkey, "", party, true)
}

func (l *Log) newWitnessRow(existing []WitnessRow, name, vkey, rawURL, party string, hubParty bool) (WitnessRow, error) {
	if !validWitnessName(name) {
		return WitnessRow{}, fmt.Errorf("witness name %q: want letters, digits, '-', '_' or '.'", name)
	}
	if _, ok := l.witnesses[name]; ok {
		return WitnessRow{}, fmt.Errorf("witness name %q: it is a party id, which names that party's own witness", name)
	}
	v, err := ParseWitnessKey(vkey)
	if err != nil {
		return WitnessRow{}, err
	}
	if v.Name() == l.cfg.Origin {
		return WitnessRow{}, fmt.Errorf("witness key: its name %q is the log's origin", v.Name())
	}
	for _, w := range l.witnesses {
		if w.name == v.Name() {
			return WitnessRow{}, fmt.Errorf("witness key: its name %q is the name of party %s's own witness", v.Name(), w.party)
		}
	}
	if rawURL != "" || !hubParty {
		if err := CheckWitnessURL(rawURL); err != nil {
			return WitnessRow{}, err
		}
	}
	if party != "" && !hubParty {
		if _, ok := l.witnesses[party]; !ok {
			return WitnessRow{}, fmt.Errorf("party %q is not a party of this log (parties: %s)", party, strings.Join(l.Parties(), ", "))
		}
	}
	for _, e := range existing {
		if e.Name == name {
			return WitnessRow{}, fmt.Errorf("witness %q is already registered", name)
		}
		if e.KeyName == v.Name() {
			return WitnessRow{}, fmt.Errorf("witness key: witness %q is already registered with a key named %q", e.Name, v.Name())
		}
	}
	return WitnessRow{Name: name, KeyName: v.Name(), Key: strings.TrimSpace(vkey), URL: rawURL, Party: party, Added: time.Now().UTC()}, nil
}

// WitnessAddedEvent is the logged event of a registration.
func WitnessAddedEvent(w WitnessRow) Event {
	attrs := map[string]string{"name": w.Name, "key": w.Key, "url": w.URL}
	if w.Party != "" {
		attrs["party"] = w.Party
	}
	return Event{Type: EventWitnessAdded, Subject: w.Name, Attrs: attrs}
}

// WitnessRemovedEvent is the logged event of a removal.
func WitnessRemovedEvent(w WitnessRow) Event {
	return Event{Type: EventWitnessRemoved, Subject: w.Name, Attrs: map[string]string{"name": w.Name, "key": w.Key}}
}

// PolicySetEvent is the logged event of a policy change.
func PolicySetEvent(p PolicyRow) Event {
	return Event{Type: EventPolicySet, Subject: "agreement", Attrs: map[string]string{
		"required": strings.Join(p.Required, ","), "independent": strconv.Itoa(p.Independent),
	}}
}

// NewPolicyRow checks a policy against the log's parties and the
// registered witnesses: every required name must be a party or a
// registered witness, and there must be enough independent witnesses for
// the policy to be satisfiable.
func (l *Log) NewPolicyRow(ws []WitnessRow, required []string, independent int) (PolicyRow, error) {
	if independent < 0 {
		return PolicyRow{}, fmt.Errorf("independent: %d is negative", independent)
	}
	if len(required) == 0 && independent == 0 {
		return PolicyRow{}, errors.New("policy requires no cosignature: give --require or --independent")
	}
	seen := map[string]bool{}
	for _, r := range required {
		if seen[r] {
			return PolicyRow{}, fmt.Errorf("require: %q given twice", r)
		}
		seen[r] = true
		_, isParty := l.witnesses[r]
		if !isParty && !slices.ContainsFunc(ws, func(w WitnessRow) bool { return w.Name == r }) {
			return PolicyRow{}, fmt.Errorf("require: %q is neither a party nor a registered witness", r)
		}
	}
	indep := 0
	for _, w := range ws {
		if w.Party == "" && !seen[w.Name] {
			indep++
		}
	}
	if independent > indep {
		return PolicyRow{}, fmt.Errorf("independent: %d required, but only %d independent witnesses (on behalf of no party, not already required) are registered", independent, indep)
	}
	return PolicyRow{Required: slices.Clone(required), Independent: independent, Updated: time.Now().UTC()}, nil
}

// CheckRemoval refuses to remove a witness the policy requires by name, or
// one without which the policy's count of independent witnesses cannot be
// met.
func (l *Log) CheckRemoval(ws []WitnessRow, p PolicyRow, hasPolicy bool, name string) (WitnessRow, error) {
	i := slices.IndexFunc(ws, func(w WitnessRow) bool { return w.Name == name })
	if i < 0 {
		return WitnessRow{}, fmt.Errorf("witness %q: %w", name, ErrNotFound)
	}
	if !hasPolicy {
		return ws[i], nil
	}
	if slices.Contains(p.Required, name) {
		return WitnessRow{}, fmt.Errorf("witness %q is required by the agreement policy (%s): change the policy first", name, Policy{Required: p.Required, Independent: p.Independent})
	}
	rest := slices.Delete(slices.Clone(ws), i, i+1)
	if _, err := l.NewPolicyRow(rest, p.Required, p.Independent); err != nil {
		return WitnessRow{}, fmt.Errorf("removing witness %q would leave the agreement policy unsatisfiable: %v", name, err)
	}
	return ws[i], nil
}

// registry reads the registered witnesses and the policy when st keeps
// them.
func registry(ctx context.Context, st ReadStorage) ([]WitnessRow, PolicyRow, bool, error) {
	rs, ok := st.(WitnessRegistry)
	if !ok {
		return nil, PolicyRow{}, false, nil
	}
	ws, err := rs.LogWitnesses(ctx)
	if err != nil {
		return nil, PolicyRow{}, false, fmt.Errorf("read registered witnesses: %w", err)
	}
	p, has, err := rs.LogPolicy(ctx)
	if err != nil {
		return nil, PolicyRow{}, false, fmt.Errorf("read agreement policy: %w", err)
	}
	return ws, p, has, nil
}

// Cosigners returns every witness whose cosignature counts — each party's
// own witness, then the registered ones by name — and the policy in
// effect.
func (l *Log) Cosigners(ctx context.Context, st ReadStorage) ([]Cosigner, Policy, error) {
	ws, p, has, err := registry(ctx, st)
	if err != nil {
		return nil, Policy{}, err
	}
	var cs []Cosigner
	for _, party := range l.Parties() {
		w := l.witnesses[party]
		cs = append(cs, Cosigner{Name: party, KeyName: w.name, Key: w.vkey, Party: party, Builtin: true, Verifier: w.verifier})
	}
	for _, w := range ws {
		v, err := ParseWitnessKey(w.Key)
		if err != nil {
			return nil, Policy{}, fmt.Errorf("registered witness %s: %w", w.Name, err)
		}
		cs = append(cs, Cosigner{Name: w.Name, KeyName: w.KeyName, Key: w.Key, URL: w.URL, Party: w.Party, Verifier: v})
	}
	pol := Policy{Required: slices.Clone(l.required()), Default: true}
	if has {
		pol = Policy{Required: slices.Clone(p.Required), Independent: p.Independent}
	}
	return cs, pol, nil
}

// CosignedBy returns the names of the cosigners whose signature on the
// checkpoint note verifies, in the order of cs.
func CosignedBy(msg []byte, cs []Cosigner) []string {
	var out []string
	for _, c := range cs {
		if len(cosigners(msg, []note.Verifier{c.Verifier})) > 0 {
			out = append(out, c.Name)
		}
	}
	return out
}

// Satisfied reports whether the named cosigners satisfy the policy: each
// required witness cosigned (a required party by any of its witnesses),
// and enough independent witnesses besides.
func (p Policy) Satisfied(cs []Cosigner, signed []string) bool {
	byName := map[string]Cosigner{}
	for _, c := range cs {
		byName[c.Name] = c
	}
	used := map[string]bool{}
	for _, r := range p.Required {
		if slices.Contains(signed, r) {
			used[r] = true
			continue
		}
		ok := false
		for _, s := range signed {
			if c := byName[s]; c.Party == r && !used[s] {
				used[s], ok = true, true
				break
			}
		}
		if !ok {
			return false
		}
	}
	n := 0
	for _, s := range signed {
		if c, ok := byName[s]; ok && c.Independent() && !used[s] {
			n++
		}
	}
	return n >= p.Independent
}

// CosignatureIndex lists who cosigned what without reading the lines.
// *store.DB and *store.Tx implement it.
type CosignatureIndex interface {
	// CosignatureWitnesses returns the witness key names of the stored
	// cosignatures, by checkpoint size.
	CosignatureWitnesses(ctx context.Context) (map[int64][]string, error)
}

// claimedCosigners returns, for a checkpoint size, the names of the
// cosigners that stored cosignature lines claim, unverified: a cheap
// filter before the signatures are checked.
func claimedCosigners(ctx context.Context, st ReadStorage, cs []Cosigner) func(size int64) ([]string, error) {
	byKey := map[string]string{}
	for _, c := range cs {
		byKey[c.KeyName] = c.Name
	}
	names := func(keys []string) []string {
		var out []string
		for _, k := range keys {
			if n, ok := byKey[k]; ok {
				out = append(out, n)
			}
		}
		return out
	}
	// The latest size is usually the agreed one: read its lines alone.
	// Past it, read who cosigned every size in one query, when the
	// storage can.
	var all map[int64][]string
	calls := 0
	return func(size int64) ([]string, error) {
		calls++
		if ix, ok := st.(CosignatureIndex); ok && calls > 1 {
			if all == nil {
				var err error
				if all, err = ix.CosignatureWitnesses(ctx); err != nil {
					return nil, err
				}
			}
			return names(all[size]), nil
		}
		rows, err := st.Cosignatures(ctx, size)
		if err != nil {
			return nil, fmt.Errorf("read cosignatures of checkpoint %d: %w", size, err)
		}
		keys := make([]string, len(rows))
		for i, r := range rows {
			keys[i] = r.Witness
		}
		return names(keys), nil
	}
}
