package ledger_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"parley/internal/ledger"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

// newExternalWitness makes a witness with a key of its own, as a third
// party would run it, and serves it over HTTP.
func newExternalWitness(t testing.TB, l *ledger.Log, st ledger.WitnessStore, name string) (url, vkey string) {
	t.Helper()
	skey, v, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	if vkey, err = fnote.VKeyToCosignatureV1(v); err != nil {
		t.Fatal(err)
	}
	w, err := ledger.NewWitness(skey, l.VerifierKey(), st)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w.Handler())
	t.Cleanup(srv.Close)
	return srv.URL, vkey
}

func cosigner(name, party string) ledger.Cosigner {
	return ledger.Cosigner{Name: name, Party: party, Builtin: name == party}
}

func TestPolicySatisfied(t *testing.T) {
	cs := []ledger.Cosigner{
		cosigner("A", "A"), cosigner("B", "B"),
		cosigner("a-node", "A"), cosigner("icrc", ""), cosigner("press", ""),
	}
	tests := []struct {
		name   string
		policy ledger.Policy
		signed []string
		want   bool
	}{
		{"both parties", ledger.Policy{Required: []string{"A", "B"}}, []string{"A", "B"}, true},
		{"one party missing", ledger.Policy{Required: []string{"A", "B"}}, []string{"A", "icrc"}, false},
		{"a party by a registered witness of its own", ledger.Policy{Required: []string{"A", "B"}}, []string{"a-node", "B"}, true},
		{"a witness by name", ledger.Policy{Required: []string{"icrc"}}, []string{"icrc"}, true},
		{"a witness by name, missing", ledger.Policy{Required: []string{"icrc"}}, []string{"press", "A", "B"}, false},
		{"one independent", ledger.Policy{Required: []string{"A", "B"}, Independent: 1}, []string{"A", "B", "press"}, true},
		{"no independent", ledger.Policy{Required: []string{"A", "B"}, Independent: 1}, []string{"A", "B", "a-node"}, false},
		{"a required witness is not also counted as independent", ledger.Policy{Required: []string{"icrc"}, Independent: 1}, []string{"icrc"}, false},
		{"two independents", ledger.Policy{Independent: 2}, []string{"icrc", "press"}, true},
		{"unknown signer counts for nothing", ledger.Policy{Independent: 1}, []string{"stranger"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.policy.Satisfied(cs, tt.signed); got != tt.want {
				t.Errorf("%s with %v: got %v, want %v", tt.policy, tt.signed, got, tt.want)
			}
		})
	}
}

func TestWitnessRegistrationIsChecked(t *testing.T) {
	l := newLog(t)
	// A standard Ed25519 key (type 0x01) is taken as a cosignature/v1 key,
	// as transparency-dev/formats does; the test registers the latter.
	_, vkey, err := note.GenerateKey(rand.Reader, "witness.example/w1")
	if err != nil {
		t.Fatal(err)
	}
	ckey, _ := fnote.VKeyToCosignatureV1(vkey)
	partyKey, _ := l.WitnessVerifierKey("A")
	existing := []ledger.WitnessRow{{Name: "w0", KeyName: "witness.example/w1"}}
	tests := []struct {
		name, wname, key, url, party, want string
		existing                           []ledger.WitnessRow
	}{
		{"bad name", "w 1", ckey, "http://w.example", "", "witness name", nil},
		{"a party id", "A", ckey, "http://w.example", "", "it is a party id", nil},
		{"not a key", "w1", "witness.example/w1+01234567+AAAA", "http://w.example", "", "witness key", nil},
		{"the log's own key", "w1", l.VerifierKey(), "http://w.example", "", "witness key", nil},
		{"a party's witness key", "w1", partyKey, "http://w.example", "", "own witness", nil},
		{"no scheme", "w1", ckey, "w.example/witness", "", "witness URL", nil},
		{"a query", "w1", ckey, "https://w.example/?x=1", "", "witness URL", nil},
		{"unknown party", "w1", ckey, "http://w.example", "C", `party "C" is not a party`, nil},
		{"name taken", "w0", ckey, "http://w.example", "", "already registered", existing},
		{"key name taken", "w2", ckey, "http://w.example", "", "already registered with a key", existing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := l.NewWitnessRow(tt.existing, tt.wname, tt.key, tt.url, tt.party)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error with %q", err, tt.want)
			}
		})
	}
	w, err := l.NewWitnessRow(nil, "w1", ckey, "https://w.example/witness", "B")
	if err != nil || w.KeyName != "witness.example/w1" || w.Party != "B" {
		t.Errorf("valid registration: %+v %v", w, err)
	}

	ws := []ledger.WitnessRow{{Name: "icrc"}, {Name: "a-node", Party: "A"}}
	for _, tt := range []struct {
		req   []string
		indep int
		want  string
	}{
		{nil, 0, "requires no cosignature"},
		{[]string{"A", "nobody"}, 0, `"nobody" is neither a party nor a registered witness`},
		{[]string{"A", "A"}, 0, "given twice"},
		{[]string{"A"}, 2, "only 1 independent"},
		{[]string{"icrc"}, 1, "only 0 independent"},
		{[]string{"A"}, -1, "negative"},
	} {
		if _, err := l.NewPolicyRow(ws, tt.req, tt.indep); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("policy %v/%d: got %v, want %q", tt.req, tt.indep, err, tt.want)
		}
	}
	if p, err := l.NewPolicyRow(ws, []string{"A", "B"}, 1); err != nil || p.Independent != 1 {
		t.Errorf("valid policy: %+v %v", p, err)
	}
	if _, err := l.CheckRemoval(ws, ledger.PolicyRow{Required: []string{"A"}, Independent: 1}, true, "icrc"); err == nil || !strings.Contains(err.Error(), "unsatisfiable") {
		t.Errorf("removing the only independent witness the policy counts on: %v", err)
	}
	if _, err := l.CheckRemoval(ws, ledger.PolicyRow{Required: []string{"icrc"}}, true, "icrc"); err == nil || !strings.Contains(err.Error(), "required by the agreement policy") {
		t.Errorf("removing a required witness: %v", err)
	}
	if _, err := l.CheckRemoval(ws, ledger.PolicyRow{}, false, "nobody"); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("removing an unknown witness: %v", err)
	}
}

// TestCosignAllRegisteredWitnesses pushes checkpoints to the parties' own
// witnesses, to an independent witness with its own key over HTTP, and to
// one that is down; the policy decides what is agreed.
func TestCosignAllRegisteredWitnesses(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := b.Open(t)
		l := newLog(t)
		appendN(t, db, l, 0, 3)
		url, vkey := newExternalWitness(t, l, db, "observer.example/w")
		down := httptest.NewServer(http.NotFoundHandler())
		down.Close()
		_, dkey, _ := note.GenerateKey(rand.Reader, "down.example/w")
		dckey, _ := fnote.VKeyToCosignatureV1(dkey)
		err := db.Update(ctx, func(tx *store.Tx) error {
			// "liar" is registered with a key that is not the one its
			// address signs with.
			_, lkey, _ := note.GenerateKey(rand.Reader, "liar.example/w")
			lckey, _ := fnote.VKeyToCosignatureV1(lkey)
			for _, w := range [][3]string{{"observer", vkey, url}, {"down", dckey, down.URL}, {"liar", lckey, url}} {
				row, err := l.NewWitnessRow(nil, w[0], w[1], w[2], "")
				if err != nil {
					return err
				}
				if err := tx.AddLogWitness(ctx, row); err != nil {
					return err
				}
			}
			return tx.SetLogPolicy(ctx, ledger.PolicyRow{Required: []string{"A", "B", "observer"}})
		})
		if err != nil {
			t.Fatal(err)
		}

		outs, err := l.CosignAll(ctx, db, ledger.CosignOptions{Attempts: 2, Backoff: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]ledger.CosignOutcome{}
		for _, o := range outs {
			got[o.Witness] = o
		}
		for _, n := range []string{"A", "B", "observer"} {
			if o := got[n]; !o.Cosigned || o.Size != 3 {
				t.Errorf("%s: %+v", n, o)
			}
		}
		if o := got["down"]; o.Cosigned || o.Err == nil || o.Fork {
			t.Errorf("down: %+v", o)
		}
		if o := got["liar"]; o.Cosigned || !errors.Is(o.Err, ledger.ErrNoCosignature) || o.Fork {
			t.Errorf("liar: %+v", o)
		}
		ws, _ := db.LogWitnesses(ctx)
		for _, w := range ws {
			want := map[string]string{"observer": "cosigned 3", "down": "failed at 3", "liar": "failed at 3"}[w.Name]
			if !strings.HasPrefix(w.LastStatus, want) || w.LastAttempt.IsZero() {
				t.Errorf("status of %s: %q at %v", w.Name, w.LastStatus, w.LastAttempt)
			}
		}
		cp, who, agreed, err := l.Agreed(ctx, db)
		if err != nil || !agreed || cp.Size != 3 || !slices.Equal(who, []string{"A", "B", "observer"}) {
			t.Errorf("Agreed: size %d by %v, %v, %v", cp.Size, who, agreed, err)
		}

		// A policy the cosignatures do not meet: nothing is agreed.
		if err := db.Update(ctx, func(tx *store.Tx) error {
			return tx.SetLogPolicy(ctx, ledger.PolicyRow{Required: []string{"down"}})
		}); err != nil {
			t.Fatal(err)
		}
		if _, _, agreed, _ := l.Agreed(ctx, db); agreed {
			t.Error("agreed without the cosignature the policy requires")
		}

		// The background cosigner pushes the next checkpoint by itself.
		// How soon is not asked (a loaded machine may be slow): only a
		// cosigner that never pushes fails, after hangGuard.
		appendN(t, db, l, 3, 2)
		cctx, cancel := context.WithCancel(ctx)
		stopped := make(chan struct{})
		go func() { defer close(stopped); l.RunCosigner(cctx, db, 20*time.Millisecond, ledger.CosignOptions{}) }()
		defer func() { cancel(); <-stopped }()
		guard := time.After(hangGuard)
		for {
			if n, _ := db.LastCosignedSize(ctx, "observer.example/w"); n == 5 {
				break
			}
			select {
			case <-guard:
				t.Fatalf("the cosigner had not pushed the checkpoint for size 5 after %v", hangGuard)
			case <-time.After(10 * time.Millisecond):
			}
		}
	})
}

// hangGuard is how long a test waits for something that must happen
// before it takes it for something that never will. Nothing is timed: a
// loaded machine may be slow, and only a hang fails.
const hangGuard = 60 * time.Second

// TestSlowWitnessNeverBlocksAppends holds a witness's answer while the log
// takes new entries: pushing holds no lock and no transaction. The witness
// answers only once the append is done and the push is seen still waiting,
// so an append that waited for the push would wait for ever; the test
// gives up on it after hangGuard.
func TestSlowWitnessNeverBlocksAppends(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := b.Open(t)
		l := newLog(t)
		appendN(t, db, l, 0, 2)
		_, vkey := newExternalWitness(t, l, db, "slow.example/w")
		arrived, release := make(chan struct{}), make(chan struct{})
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(arrived)
			<-release
			http.Error(w, "busy", http.StatusServiceUnavailable)
		}))
		defer slow.Close()
		// Let the witness answer before the server is closed, whatever
		// happens.
		var once sync.Once
		answer := func() { once.Do(func() { close(release) }) }
		defer answer()
		if err := db.Update(ctx, func(tx *store.Tx) error {
			row, err := l.NewWitnessRow(nil, "slow", vkey, slow.URL, "")
			if err != nil {
				return err
			}
			return tx.AddLogWitness(ctx, row)
		}); err != nil {
			t.Fatal(err)
		}
		// A client without a timeout: the push ends only when the witness
		// answers.
		done := make(chan []ledger.CosignOutcome, 1)
		go func() {
			outs, _ := l.CosignAll(ctx, db, ledger.CosignOptions{Attempts: 1, Client: &http.Client{}})
			done <- outs
		}()
		select {
		case <-arrived:
		case outs := <-done:
			t.Fatalf("the push ended without reaching the witness: %+v", outs)
		case <-time.After(hangGuard):
			t.Fatalf("the push had not reached the witness after %v", hangGuard)
		}
		appended := make(chan error, 1)
		go func() {
			appended <- db.Update(ctx, func(tx *store.Tx) error {
				_, err := l.Append(ctx, tx, event(2))
				return err
			})
		}()
		select {
		case err := <-appended:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(hangGuard):
			t.Fatalf("the append had not returned after %v: it waits for the witness", hangGuard)
		}
		select {
		case <-done:
			t.Fatal("the push ended before the witness answered")
		default:
		}
		answer()
		for _, o := range <-done {
			if o.Witness == "slow" && (o.Err == nil || !strings.Contains(o.Err.Error(), "503")) {
				t.Errorf("slow witness: %+v", o)
			}
		}
	})
}
