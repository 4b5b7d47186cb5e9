package ledger_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"parley/internal/ledger"
	"parley/internal/lists"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestReceipt(t *testing.T) {
	t.Parallel() // waits on PostgreSQL mostly; overlap the waits
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := b.Open(t)
		l := newLog(t)
		appendN(t, db, l, 0, 2)
		idx := handOver(t, db, l, "L7")
		appendN(t, db, l, 3, 2)
		if _, err := l.Receipt(ctx, db, "L9"); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("receipt of a list never handed over: %v", err)
		}

		// Before cosigning: proved in the latest checkpoint.
		r, err := l.Receipt(ctx, db, "L7")
		if err != nil {
			t.Fatal(err)
		}
		data, err := r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		got, err := ledger.VerifyReceipt(data, l.VerifierKey())
		if err != nil {
			t.Fatalf("receipt does not verify: %v\n%s", err, data)
		}
		if got.Index != idx || got.ListID != "L7" || got.Size != 5 || got.Event.Attrs["entry_count"] != "12" {
			t.Errorf("verified receipt: %+v", got)
		}
		var wks []string
		for _, p := range testParties {
			k, _ := l.WitnessVerifierKey(p)
			wks = append(wks, k)
		}
		if _, err := ledger.VerifyReceipt(data, l.VerifierKey(), wks...); err == nil {
			t.Error("receipt without cosignatures passed a check that demands them")
		}

		// After both parties cosigned: the receipt carries the agreed
		// checkpoint and both cosignatures.
		for _, p := range testParties {
			w, _ := l.Witness(p, db)
			if _, err := l.Cosign(ctx, db, p, w); err != nil {
				t.Fatal(err)
			}
		}
		appendN(t, db, l, 5, 1) // the latest checkpoint is not cosigned
		r, err = l.Receipt(ctx, db, "L7")
		if err != nil {
			t.Fatal(err)
		}
		data, _ = r.Marshal()
		got, err = ledger.VerifyReceipt(data, l.VerifierKey(), wks...)
		if err != nil {
			t.Fatalf("cosigned receipt: %v", err)
		}
		if got.Size != 5 || len(got.Cosigners) != 2 {
			t.Errorf("cosigned receipt: size %d, cosigners %v", got.Size, got.Cosigners)
		}

		// With the receipt, an opening proves one person was on the list.
		var lst *lists.List
		if err := db.View(ctx, func(tx *store.Tx) error {
			var err error
			lst, err = tx.ListWithEntries(ctx, "L7")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		op, err := l.OpenListRow(ctx, db, lst, 5)
		if err != nil {
			t.Fatal(err)
		}
		ob, _ := json.Marshal(op)
		op2, err := ledger.ParseOpening(ob)
		if err != nil {
			t.Fatal(err)
		}
		if err := got.CheckOpening(op2); err != nil {
			t.Errorf("opening of row 5 against the receipt: %v", err)
		}
		op2.Data = []byte(strings.Replace(string(op2.Data), `"row":5`, `"row":6`, 1))
		if got.CheckOpening(op2) == nil {
			t.Error("altered opening checks against the receipt")
		}
		if _, err := l.OpenListRow(ctx, db, lst, 99); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("opening a row that does not exist: %v", err)
		}

		// The inclusion proof also verifies with transparency-dev/merkle.
		cp, err := ledger.ParseCheckpoint([]byte(r.Checkpoint))
		if err != nil {
			t.Fatal(err)
		}
		h := rfc6962.DefaultHasher
		if err := proof.VerifyInclusion(h, uint64(r.Index), uint64(cp.Size), h.HashLeaf([]byte(r.Entry)), hashes(r.Proof), cp.Root[:]); err != nil {
			t.Errorf("merkle rejects the receipt's proof: %v", err)
		}

		// Any change breaks it.
		other := newLog(t)
		mutations := map[string]func(m map[string]any){
			"content hash": func(m map[string]any) { m["content_hash"] = "sha256:" + strings.Repeat("0", 64) },
			"list id":      func(m map[string]any) { m["list_id"] = "L8" },
			"index":        func(m map[string]any) { m["index"] = 1 },
			"entry":        func(m map[string]any) { m["entry"] = strings.Replace(r.Entry, "L7", "L8", 1) },
			"proof":        func(m map[string]any) { m["inclusion_proof"] = []string{} },
			"checkpoint":   func(m map[string]any) { m["checkpoint"] = strings.Replace(r.Checkpoint, "\n5\n", "\n6\n", 1) },
			"format":       func(m map[string]any) { m["format"] = "parley-receipt/v0" },
			"log":          func(m map[string]any) { m["log"] = "other.test/log" },
			"no cosignature": func(m map[string]any) {
				i := strings.Index(r.Checkpoint, "\n— "+ledger.WitnessName(testOrigin, "A"))
				m["checkpoint"] = r.Checkpoint[:i+1]
			},
		}
		for name, mutate := range mutations {
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
			mutate(m)
			bad, _ := json.Marshal(m)
			if _, err := ledger.VerifyReceipt(bad, l.VerifierKey(), wks...); err == nil {
				t.Errorf("receipt with changed %s verifies", name)
			}
		}
		if _, err := ledger.VerifyReceipt(data, other.VerifierKey()); err == nil {
			t.Error("receipt verifies with another log's key")
		}
	})
}

// TestGoldenReceipt verifies a receipt made by an earlier build: receipts
// must stay verifiable for years, so the format may not drift.
func TestGoldenReceipt(t *testing.T) {
	if *update {
		writeGoldenReceipt(t)
	}
	data, err := os.ReadFile("testdata/receipt_v1.json")
	if err != nil {
		t.Fatal(err)
	}
	key, err := ledger.ReadVerifierKey("testdata/receipt_v1.vkey")
	if err != nil {
		t.Fatal(err)
	}
	r, err := ledger.VerifyReceipt(data, key)
	if err != nil {
		t.Fatalf("golden receipt no longer verifies: %v", err)
	}
	if r.ListID != "L1" || r.Event.Type != ledger.EventListHandedOver || r.Event.Personal == nil || r.Event.Personal.Count != 12 {
		t.Errorf("golden receipt: %+v %+v", r, r.Event)
	}
	flipped := bytes.Replace(data, []byte(`"list_id": "L1"`), []byte(`"list_id": "L2"`), 1)
	if _, err := ledger.VerifyReceipt(flipped, key); err == nil {
		t.Error("changed golden receipt verifies")
	}
}

func writeGoldenReceipt(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l := newLog(t)
	appendN(t, db, l, 0, 2)
	handOver(t, db, l, "L1")
	appendN(t, db, l, 3, 1)
	r, err := l.Receipt(ctx, db, "L1")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := r.Marshal()
	if err := os.WriteFile("testdata/receipt_v1.json", data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("testdata/receipt_v1.vkey", []byte(l.VerifierKey()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
