package ledger_test

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"parley/internal/ledger"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

func TestAddCheckpointRoundTrip(t *testing.T) {
	h := func(b byte) tlog.Hash {
		var x tlog.Hash
		x[0] = b
		return x
	}
	cp := []byte("o\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— o AAAAAQ==\n")
	tests := []ledger.AddCheckpointRequest{
		{OldSize: 0, Checkpoint: cp},
		{OldSize: 3, Proof: tlog.TreeProof{h(1), h(2)}, Checkpoint: cp},
	}
	for _, r := range tests {
		got, err := ledger.ParseAddCheckpoint(r.Marshal())
		if err != nil {
			t.Fatalf("%q: %v", r.Marshal(), err)
		}
		if got.OldSize != r.OldSize || len(got.Proof) != len(r.Proof) || string(got.Checkpoint) != string(cp) {
			t.Errorf("round trip of %q gave %+v", r.Marshal(), got)
		}
	}
}

func TestParseAddCheckpointRejects(t *testing.T) {
	hash := base64.StdEncoding.EncodeToString(make([]byte, 32))
	tests := map[string]string{
		"empty":              "",
		"no old line":        "new 3\n\ncp\n",
		"leading zero":       "old 03\n\ncp\n",
		"negative":           "old -1\n\ncp\n",
		"no blank line":      "old 3\n" + hash + "\n",
		"no checkpoint":      "old 3\n\n",
		"short hash":         "old 3\nAAAA\n\ncp\n",
		"bad base64":         "old 3\n!!!\n\ncp\n",
		"too many proof lns": "old 3\n" + strings.Repeat(hash+"\n", 64) + "\ncp\n",
	}
	for name, body := range tests {
		if _, err := ledger.ParseAddCheckpoint([]byte(body)); err == nil {
			t.Errorf("%s: accepted %q", name, body)
		}
	}
}

// TestWitnessProtocol drives a party's witness over HTTP through the C2SP
// tlog-witness status codes.
func TestWitnessProtocol(t *testing.T) {
	t.Parallel() // waits on PostgreSQL mostly; overlap the waits
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := b.Open(t)
		l := newLog(t)
		wh, err := l.WitnessHandler("A", db)
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.Handle("/witness/A/", http.StripPrefix("/witness/A", wh))
		srv := httptest.NewServer(mux)
		defer srv.Close()
		wvk, _ := l.WitnessVerifierKey("A")
		wv, err := fnote.NewVerifierForCosignatureV1(wvk)
		if err != nil {
			t.Fatal(err)
		}

		appendN(t, db, l, 0, 5)
		cp5 := checkpointNote(t, db, 5)
		appendN(t, db, l, 5, 4)
		cp9 := checkpointNote(t, db, 9)
		proof59, err := ledger.ConsistencyProof(ctx, db, 9, 5)
		if err != nil {
			t.Fatal(err)
		}
		badProof := append(tlog.TreeProof(nil), proof59...)
		badProof[0][0] ^= 1
		forged9 := checkpointNote(t, forgeLog(t, l, 9), 9)

		other := newLog(t) // same origin, another key
		otherDB, err := store.Open(ctx, t.TempDir(), "")
		if err != nil {
			t.Fatal(err)
		}
		defer otherDB.Close()
		appendN(t, otherDB, other, 0, 5)
		otherCP5 := checkpointNote(t, otherDB, 5)

		elsewhere := t.TempDir() // another origin
		if err := ledger.Init(elsewhere, "elsewhere.test/log", testParties); err != nil {
			t.Fatal(err)
		}
		el, err := ledger.Open(elsewhere)
		if err != nil {
			t.Fatal(err)
		}
		elDB, err := store.Open(ctx, t.TempDir(), "")
		if err != nil {
			t.Fatal(err)
		}
		defer elDB.Close()
		appendN(t, elDB, el, 0, 5)
		elCP5 := checkpointNote(t, elDB, 5)

		body := func(old int64, p tlog.TreeProof, cp []byte) string {
			r := ledger.AddCheckpointRequest{OldSize: old, Proof: p, Checkpoint: cp}
			return string(r.Marshal())
		}
		steps := []struct {
			name     string
			method   string
			body     string
			status   int
			wantBody string // for 409: the witness's size
			cosigned []byte // for 200: the checkpoint the cosignature must verify on
		}{
			{"malformed", "POST", "hello", http.StatusBadRequest, "", nil},
			{"unknown log", "POST", body(0, nil, elCP5), http.StatusNotFound, "", nil},
			{"not signed by the log key", "POST", body(0, nil, otherCP5), http.StatusForbidden, "", nil},
			{"old larger than size", "POST", body(9, nil, cp5), http.StatusBadRequest, "", nil},
			{"first checkpoint", "POST", body(0, nil, cp5), http.StatusOK, "", cp5},
			{"stale old size", "POST", body(0, nil, cp9), http.StatusConflict, "5\n", nil},
			{"bad consistency proof", "POST", body(5, badProof, cp9), http.StatusUnprocessableEntity, "", nil},
			{"consistent checkpoint", "POST", body(5, proof59, cp9), http.StatusOK, "", cp9},
			{"same size, other tree (fork)", "POST", body(9, nil, forged9), http.StatusConflict, "9\n", nil},
			{"same checkpoint again", "POST", body(9, nil, cp9), http.StatusOK, "", cp9},
			{"rolled back", "POST", body(9, nil, cp5), http.StatusBadRequest, "", nil},
			{"GET not allowed", "GET", "", http.StatusMethodNotAllowed, "", nil},
		}
		for _, s := range steps {
			req, _ := http.NewRequest(s.method, srv.URL+"/witness/A/add-checkpoint", strings.NewReader(s.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			rb, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != s.status {
				t.Errorf("%s: status %d (%s), want %d", s.name, resp.StatusCode, rb, s.status)
				continue
			}
			if s.status == http.StatusConflict {
				if ct := resp.Header.Get("Content-Type"); ct != "text/x.tlog.size" || string(rb) != s.wantBody {
					t.Errorf("%s: 409 with %q %q, want text/x.tlog.size %q", s.name, ct, rb, s.wantBody)
				}
			}
			if s.cosigned != nil {
				n, err := note.Open(append(append([]byte(nil), s.cosigned...), rb...), note.VerifierList(wv))
				if err != nil || len(n.Sigs) != 1 {
					t.Errorf("%s: cosignature %q does not verify: %v", s.name, rb, err)
				}
			}
		}
		st, ok, err := db.WitnessState(ctx, ledger.WitnessName(testOrigin, "A"), testOrigin)
		if err != nil || !ok || st.Size != 9 {
			t.Errorf("witness state %+v %v %v, want size 9", st, ok, err)
		}
	})
}

func checkpointNote(t *testing.T, db *store.DB, size int64) []byte {
	t.Helper()
	row, err := db.CheckpointAt(context.Background(), size)
	if err != nil {
		t.Fatal(err)
	}
	return row.Note
}

// TestCosignAndAgree has both parties cosign over HTTP and checks which
// checkpoint is agreed.
func TestCosignAndAgree(t *testing.T) {
	t.Parallel() // waits on PostgreSQL mostly; overlap the waits
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := b.Open(t)
		l := newLog(t)
		mux := http.NewServeMux()
		for _, p := range testParties {
			h, err := l.WitnessHandler(p, db)
			if err != nil {
				t.Fatal(err)
			}
			mux.Handle("/witness/"+p+"/", http.StripPrefix("/witness/"+p, h))
		}
		srv := httptest.NewServer(mux)
		defer srv.Close()
		client := func(p string) ledger.WitnessClient {
			return &ledger.HTTPWitness{URL: srv.URL + "/witness/" + p, Client: srv.Client()}
		}

		if _, err := l.Cosign(ctx, db, "A", client("A")); err == nil {
			t.Error("cosigned an empty log")
		}
		appendN(t, db, l, 0, 4)
		if _, err := l.Cosign(ctx, db, "A", client("A")); err != nil {
			t.Fatal(err)
		}
		cp, who, agreed, err := l.Agreed(ctx, db)
		if err != nil || agreed || cp.Size != 4 || strings.Join(who, ",") != "A" {
			t.Fatalf("after A only: size %d, %v, agreed %v, %v", cp.Size, who, agreed, err)
		}
		if _, err := l.Cosign(ctx, db, "B", client("B")); err != nil {
			t.Fatal(err)
		}
		cp, who, agreed, err = l.Agreed(ctx, db)
		if err != nil || !agreed || cp.Size != 4 || strings.Join(who, ",") != "A,B" {
			t.Fatalf("after A and B: size %d, %v, agreed %v, %v", cp.Size, who, agreed, err)
		}

		// The log grows; A cosigns the new size with a consistency proof,
		// the agreed checkpoint stays at 4 until B follows.
		appendBatch(t, db, l, 4, 300)
		if _, err := l.Cosign(ctx, db, "A", client("A")); err != nil {
			t.Fatal(err)
		}
		if cp, _, _, _ := l.Agreed(ctx, db); cp.Size != 4 {
			t.Errorf("agreed size %d, want 4", cp.Size)
		}
		// Our record of B's cosignatures is lost: the witness's 409 tells
		// the size to prove from, and cosigning still succeeds.
		if _, err := db.SQL().ExecContext(ctx, "DELETE FROM log_cosignatures WHERE witness = '"+ledger.WitnessName(testOrigin, "B")+"'"); err != nil {
			t.Fatal(err)
		}
		got, err := l.Cosign(ctx, db, "B", client("B"))
		if err != nil {
			t.Fatal(err)
		}
		if got.Size != 304 {
			t.Errorf("cosigned size %d", got.Size)
		}
		cp, _, agreed, _ = l.Agreed(ctx, db)
		if !agreed || cp.Size != 304 {
			t.Errorf("agreed %v at %d, want 304", agreed, cp.Size)
		}
		// The served checkpoint carries both cosignatures.
		latest, err := l.Checkpoint(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range testParties {
			k, _ := l.WitnessVerifierKey(p)
			wv, _ := fnote.NewVerifierForCosignatureV1(k)
			if _, err := note.Open(latest.Note, note.VerifierList(wv)); err != nil {
				t.Errorf("latest checkpoint lacks %s's cosignature: %v", p, err)
			}
		}

		// A witness never goes back: after a truncation it refuses, and
		// Cosign says why.
		for _, q := range []string{
			"DELETE FROM log_cosignatures WHERE size > 100",
			"DELETE FROM log_checkpoints WHERE size > 100",
		} {
			if _, err := db.SQL().ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		_, err = l.Cosign(ctx, db, "A", client("A"))
		if err == nil || !strings.Contains(err.Error(), "truncated or forked") {
			t.Errorf("cosign after truncation: %v", err)
		}
	})
}
