package ledger_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"parley/internal/ledger"
)

// The fuzz tests cover every parser of untrusted input: checkpoints (from
// a server, a witness request, a receipt), receipts, add-checkpoint
// requests, tile paths and entries. Each must never panic, and whatever it
// accepts must round-trip to the same bytes, so that one resource has one
// encoding.

func FuzzParseCheckpoint(f *testing.F) {
	golden, _ := os.ReadFile("testdata/receipt_v1.json")
	r, _ := ledger.ParseReceipt(golden)
	if r != nil {
		f.Add([]byte(r.Checkpoint))
	}
	f.Add([]byte("example.org/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n— example.org/log AAAAAQ==\n"))
	f.Add([]byte("o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\next\n\n— o AAAA\n"))
	key, _ := os.ReadFile("testdata/receipt_v1.vkey")
	v, err := note.NewVerifier(strings.TrimSpace(string(key)))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cp, err := ledger.ParseCheckpoint(data)
		if err == nil {
			origin, size, root, err := ledger.ParseCheckpointText(cp.Text())
			if err != nil || origin != cp.Origin || size != cp.Size || root != cp.Root {
				t.Fatalf("checkpoint %q does not round-trip: %v", data, err)
			}
			if !bytes.HasPrefix(data, cp.Text()[:len(cp.Text())-1]) {
				t.Fatalf("checkpoint %q re-encodes as %q", data, cp.Text())
			}
		}
		if cp2, _, err := ledger.OpenCheckpoint(data, v); err == nil && cp2.Origin != v.Name() {
			t.Fatalf("opened a checkpoint of origin %q with the key of %q", cp2.Origin, v.Name())
		}
	})
}

func FuzzParseReceipt(f *testing.F) {
	golden, err := os.ReadFile("testdata/receipt_v1.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	f.Add([]byte(`{"format":"parley-receipt/v1","index":-1}`))
	f.Add([]byte(`{"format":"parley-receipt/v1","log":"o","checkpoint":"o\n1\nAAAA\n\n— o AAAA\n","inclusion_proof":["AAAA"]}`))
	key, _ := os.ReadFile("testdata/receipt_v1.vkey")
	vkey := strings.TrimSpace(string(key))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := ledger.ParseReceipt(data); err != nil {
			return
		}
		r, err := ledger.VerifyReceipt(data, vkey)
		if err != nil {
			return
		}
		// Whatever verifies must say what the golden receipt says: the
		// key signed nothing else.
		if r.ListID != "L1" || r.Event == nil || r.Event.Type != ledger.EventListHandedOver {
			t.Fatalf("verified a receipt for %q", r.ListID)
		}
	})
}

func FuzzParseAddCheckpoint(f *testing.F) {
	golden, _ := os.ReadFile("testdata/receipt_v1.json")
	r, _ := ledger.ParseReceipt(golden)
	cp := []byte("o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— o AAAA\n")
	if r != nil {
		cp = []byte(r.Checkpoint)
	}
	f.Add(append([]byte("old 0\n\n"), cp...))
	f.Add(append([]byte("old 1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n"), cp...))
	f.Add([]byte("old 4\n\n"))
	key, _ := os.ReadFile("testdata/receipt_v1.vkey")
	w, err := ledger.NewWitness(testWitnessKey(f), strings.TrimSpace(string(key)), newMemWitnessStore())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := ledger.ParseAddCheckpoint(body)
		if err == nil && !bytes.Equal(req.Marshal(), body) {
			t.Fatalf("request %q re-encodes as %q", body, req.Marshal())
		}
		_, err = w.AddCheckpoint(context.Background(), body)
		var we *ledger.WitnessError
		if err != nil && !errors.As(err, &we) {
			t.Fatalf("witness failed on %q: %v", body, err)
		}
		if we != nil {
			switch we.Status {
			case http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity:
			default:
				t.Fatalf("witness answered %d to %q", we.Status, body)
			}
		}
	})
}

func FuzzParseTilePath(f *testing.F) {
	for _, s := range []string{"tile/0/000", "/tile/1/x001/x234/067.p/8", "tile/entries/005.p/255", "tile/0/x000/001", "tile/8/0/x001/234"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		p, err := ledger.ParseTilePath(path)
		if err != nil {
			return
		}
		if got := p.String(); got != strings.TrimPrefix(path, "/") {
			t.Fatalf("%q parses as %+v, which encodes as %q", path, p, got)
		}
	})
}

func FuzzParseEntry(f *testing.F) {
	golden, _ := os.ReadFile("testdata/event_v1.txt")
	f.Add(bytes.TrimSuffix(golden, []byte("\n")))
	f.Add([]byte("parley-event/v1\n{\"type\":\"x\",\"time\":\"2025-01-01T00:00:00Z\",\"actor\":\"a\"}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ledger.ParseEntry(data)
		if err != nil {
			return
		}
		b, err := e.Encode()
		if err != nil || !bytes.Equal(b, data) {
			t.Fatalf("entry %q re-encodes as %q (%v)", data, b, err)
		}
	})
}

func FuzzParseBundle(f *testing.F) {
	f.Add([]byte{0, 1, 'a', 0, 0})
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, data []byte) {
		es, err := ledger.ParseBundle(data)
		if err != nil {
			return
		}
		var out []byte
		for _, e := range es {
			out = append(out, byte(len(e)>>8), byte(len(e)))
			out = append(out, e...)
		}
		if !bytes.Equal(out, data) {
			t.Fatalf("bundle %x re-encodes as %x", data, out)
		}
	})
}

// testWitnessKey returns a fresh witness signing key.
func testWitnessKey(tb testing.TB) string {
	skey, _, err := note.GenerateKey(rand.Reader, "witness.test/w1")
	if err != nil {
		tb.Fatal(err)
	}
	return skey
}

// memWitnessStore keeps witness state in memory, for the fuzz test.
type memWitnessStore struct {
	mu sync.Mutex
	m  map[string]ledger.WitnessStateRow
}

func newMemWitnessStore() *memWitnessStore {
	return &memWitnessStore{m: map[string]ledger.WitnessStateRow{}}
}

func (s *memWitnessStore) WitnessState(_ context.Context, witness, origin string) (ledger.WitnessStateRow, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.m[witness+"\n"+origin]
	return r, ok, nil
}

func (s *memWitnessStore) SwapWitnessState(_ context.Context, witness, origin string, old *ledger.WitnessStateRow, next ledger.WitnessStateRow) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := witness + "\n" + origin
	cur, ok := s.m[k]
	if ok != (old != nil) || ok && (cur.Size != old.Size || !bytes.Equal(cur.Root, old.Root)) {
		return false, nil
	}
	s.m[k] = next
	return true, nil
}
