package bundle

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"parley/internal/ledger"
	"parley/internal/statement"
)

const origin = "parley/test-bundle"

// fixture is a hub log of three entries (the second the hand-over of list
// L1 by B), the hub's log key and party A's statement key.
type fixture struct {
	logSigner  note.Signer
	logVKey    string
	partyVKey  string
	party      note.Signer
	entries    [][]byte
	checkpoint string
	listBytes  []byte
	listHash   string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{}
	var err error
	lskey, lvkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	f.logVKey = lvkey
	if f.logSigner, err = note.NewSigner(lskey); err != nil {
		t.Fatal(err)
	}
	pskey, pvkey, err := note.GenerateKey(rand.Reader, statement.KeyName(origin, "A"))
	if err != nil {
		t.Fatal(err)
	}
	f.partyVKey = pvkey
	if f.party, err = note.NewSigner(pskey); err != nil {
		t.Fatal(err)
	}
	f.listBytes, err = os.ReadFile("testdata/list-L2.json")
	if err != nil {
		t.Fatal(err)
	}
	f.listHash = hashOf(f.listBytes)
	at := time.Date(2025, 6, 7, 9, 30, 0, 0, time.UTC)
	for i, e := range []ledger.Entry{
		{Type: "key.added", Time: at, Actor: "system"},
		{Type: ledger.EventListHandedOver, Time: at, Actor: "party:B", Subject: "L1", Attrs: map[string]string{"content_hash": "sha256:" + strings.Repeat("ab", 32)}},
		{Type: "round.created", Time: at, Actor: "mediator", Subject: "R1"},
	} {
		b, err := e.Encode()
		if err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		f.entries = append(f.entries, b)
	}
	f.checkpoint = f.sign(t, f.logSigner)
	return f
}

// hashes is an in-memory tlog.HashReader over the fixture's entries.
type hashes map[int64]tlog.Hash

func (h hashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		v, ok := h[x]
		if !ok {
			return nil, fmt.Errorf("no hash %d", x)
		}
		out[i] = v
	}
	return out, nil
}

func (f *fixture) tree(t *testing.T) hashes {
	t.Helper()
	h := hashes{}
	for i, e := range f.entries {
		hs, err := tlog.StoredHashes(int64(i), e, h)
		if err != nil {
			t.Fatal(err)
		}
		for j, x := range hs {
			h[tlog.StoredHashCount(int64(i))+int64(j)] = x
		}
	}
	return h
}

func (f *fixture) sign(t *testing.T, s note.Signer) string {
	t.Helper()
	root, err := tlog.TreeHash(int64(len(f.entries)), f.tree(t))
	if err != nil {
		t.Fatal(err)
	}
	text := fmt.Sprintf("%s\n%d\n%s\n", origin, len(f.entries), base64.StdEncoding.EncodeToString(root[:]))
	msg, err := note.Sign(&note.Note{Text: text}, s)
	if err != nil {
		t.Fatal(err)
	}
	return string(msg)
}

func (f *fixture) proof(t *testing.T, idx int64) Proof {
	t.Helper()
	p, err := tlog.ProveRecord(int64(len(f.entries)), idx, f.tree(t))
	if err != nil {
		t.Fatal(err)
	}
	return Proof{Index: idx, Entry: string(f.entries[idx]), Proof: EncodeProof(p)}
}

func (f *fixture) statement(t *testing.T, typ, subject string, attrs map[string]string, payload any) Item {
	t.Helper()
	msg, err := statement.Sign(statement.New(typ, "A", subject, attrs), f.party)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	return Item{Note: string(msg), Payload: raw}
}

// valid returns a bundle of A's acknowledgement of L1 and A's hand-over
// of L2, with the proof of L1's hand-over.
func (f *fixture) valid(t *testing.T) *Bundle {
	t.Helper()
	return &Bundle{
		Log: origin, Party: "A", Key: f.partyVKey,
		Statements: []Item{
			f.statement(t, statement.ListAck, "L1", map[string]string{"content_hash": "sha256:" + strings.Repeat("ab", 32), "reservation_hash": statement.ReservationHash("Row 2: unit unknown")},
				map[string]string{"reservation": "Row 2: unit unknown"}),
			f.statement(t, statement.ListHandover, "L2", map[string]string{"content_hash": f.listHash, "from": "A", "to": "B", "title": "Stage 1", "version": "1", "entry_count": "2"},
				map[string][]byte{"list": f.listBytes}),
		},
		Checkpoint: f.checkpoint,
		Proofs:     []Proof{f.proof(t, 1)},
	}
}

func TestVerify(t *testing.T) {
	f := newFixture(t)
	other, _, _ := note.GenerateKey(rand.Reader, statement.KeyName(origin, "A"))
	otherSigner, _ := note.NewSigner(other)
	forgedLog, _, _ := note.GenerateKey(rand.Reader, origin)
	forgedLogSigner, _ := note.NewSigner(forgedLog)
	tests := []struct {
		name   string
		tamper func(b *Bundle)
		trust  func(tr *Trust)
		code   string // "" when the bundle must verify
		want   string // in the error's text
	}{
		{name: "valid"},
		{name: "a person changed in the list", code: CodeContent, want: "the list hashes to", tamper: func(b *Bundle) {
			var p map[string][]byte
			_ = json.Unmarshal(b.Statements[1].Payload, &p)
			p["list"] = []byte(strings.Replace(string(p["list"]), "Petrenko", "Petrenkov", 1))
			b.Statements[1].Payload, _ = json.Marshal(p)
		}},
		{name: "reservation changed", code: CodeContent, want: "the reservation hashes to", tamper: func(b *Bundle) {
			b.Statements[0].Payload = json.RawMessage(`{"reservation":"Row 3"}`)
		}},
		{name: "statement text edited", code: CodeSignature, want: "statement 2", tamper: func(b *Bundle) {
			b.Statements[1].Note = strings.Replace(b.Statements[1].Note, `"title":"Stage 1"`, `"title":"Stage 9"`, 1)
		}},
		{name: "signed by another key of the same name", code: CodeSignature, want: "statement 1", tamper: func(b *Bundle) {
			msg, _ := statement.Sign(statement.New(statement.ListAck, "A", "L1", map[string]string{"content_hash": "sha256:" + strings.Repeat("ab", 32), "reservation_hash": ""}), otherSigner)
			b.Statements[0] = Item{Note: string(msg)}
		}},
		{name: "key not trusted", code: CodeKey, want: "not a key trusted", trust: func(tr *Trust) { tr.PartyKeys = nil }},
		{name: "another party's bundle", code: CodeParty, want: "party A", trust: func(tr *Trust) { tr.Party = "B" }},
		{name: "no proof of the acknowledged list", code: CodeProof, want: "no proof", tamper: func(b *Bundle) { b.Proofs, b.Checkpoint = nil, "" }},
		{name: "proof of another entry", code: CodeProof, want: "no proof", tamper: func(b *Bundle) { b.Proofs = []Proof{f.proof(t, 2)} }},
		{name: "entry edited", code: CodeProof, want: "not in the hub's signed tree", tamper: func(b *Bundle) {
			b.Proofs[0].Entry = strings.Replace(b.Proofs[0].Entry, "party:B", "party:C", 1)
		}},
		{name: "checkpoint not signed by the hub", code: CodeProof, want: "checkpoint", tamper: func(b *Bundle) {
			b.Checkpoint = f.sign(t, forgedLogSigner)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := f.valid(t)
			if tt.tamper != nil {
				tt.tamper(b)
			}
			// Through the file format, as a node reads it.
			data, err := b.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			b, err = Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			tr := Trust{LogKey: f.logVKey, Party: "A", PartyKeys: []string{f.partyVKey}}
			if tt.trust != nil {
				tt.trust(&tr)
			}
			got, err := b.Verify(tr)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if len(got) != 2 || got[0].Statement.Type != statement.ListAck || got[1].Statement.Subject != "L2" {
					t.Fatalf("Verify returned %+v", got)
				}
				return
			}
			var be *Error
			if !errors.As(err, &be) || be.Code != tt.code || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Verify: %v; want %s naming %q", err, tt.code, tt.want)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"not JSON", "hello", "not a parley-bundle/v1 file"},
		{"another format", `{"format":"parley-bundle/v2","statements":[{"note":"x"}]}`, `format "parley-bundle/v2"`},
		{"unknown field", `{"format":"parley-bundle/v1","extra":1}`, "unknown field"},
		{"no statement", `{"format":"parley-bundle/v1"}`, "no statement"},
		{"trailing data", `{"format":"parley-bundle/v1","statements":[{"note":"x"}]} {}`, "data after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.data))
			var be *Error
			if !errors.As(err, &be) || be.Code != CodeFormat || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse: %v; want %s naming %q", err, CodeFormat, tt.want)
			}
		})
	}
}
