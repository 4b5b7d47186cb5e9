package mirror_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"parley/internal/ledger"
	"parley/internal/mirror"
	"parley/internal/store/storetest"
)

// TestSecondNodeDoesNotCosign: the hub trusts one witness key per party.
// A node whose witness key the log shows trusted for its party cosigns
// and sends the cosignature; the party's second node, with a witness key
// of its own that the log does not show, verifies the log without
// cosigning (the hub would refuse it); with no witness key trusted for the
// party at all, the node cosigns as before.
func TestSecondNodeDoesNotCosign(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		h := newHub(t, b)
		witness := func() (string, string) {
			sk, vk, err := note.GenerateKey(nil, ledger.WitnessName(testOrigin, "A"))
			if err != nil {
				t.Fatal(err)
			}
			// As a node prints it: a cosignature/v1 verifier key.
			if vk, err = fnote.VKeyToCosignatureV1(vk); err != nil {
				t.Fatal(err)
			}
			return sk, vk
		}
		firstSK, firstVK := witness()
		secondSK, _ := witness()
		type node struct {
			m      *mirror.Mirror
			pushed int
		}
		newWitnessNode := func(sk string) *node {
			db := openDB(t, b)
			w, err := ledger.NewWitness(sk, h.logKey(), db)
			if err != nil {
				t.Fatal(err)
			}
			n := &node{}
			n.m, err = mirror.New(db, mirror.Options{HubURL: h.srv.URL, LogKey: h.logKey(), Party: "A",
				Witness: w, WitnessStore: db, Logger: slog.New(slog.DiscardHandler),
				PushCosignature: func(context.Context, []byte, string) error { n.pushed++; return nil }})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		sync := func(n *node) *mirror.Result {
			t.Helper()
			res, err := n.m.Sync(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Alarms) != 0 {
				t.Fatalf("alarms: %+v", res.Alarms)
			}
			return res
		}

		h.appendTo(h.db, 0, 3, event)
		if res := sync(newWitnessNode(secondSK)); res.CosignedSize != 3 {
			t.Fatalf("no witness key trusted yet: cosigned size %d, want 3", res.CosignedSize)
		}

		h.appendTo(h.db, 3, 1, func(int) ledger.Event {
			return ledger.Event{Type: mirror.EventKeyTrusted, Time: time.Now(), Actor: "mediator:m", Subject: "A",
				Attrs: map[string]string{"party": "A", "kind": "witness", "key": firstVK}}
		})
		h.appendTo(h.db, 4, 2, event)
		tests := []struct {
			name       string
			sk         string
			cosigned   int64
			wantPushed int
		}{
			{"the trusted witness", firstSK, 6, 1},
			{"the party's second node", secondSK, 0, 0},
		}
		for _, tc := range tests {
			n := newWitnessNode(tc.sk)
			res := sync(n)
			if res.VerifiedSize != 6 || res.CosignedSize != tc.cosigned || n.pushed != tc.wantPushed {
				t.Errorf("%s: verified %d, cosigned %d, %d pushed; want 6, %d, %d", tc.name,
					res.VerifiedSize, res.CosignedSize, n.pushed, tc.cosigned, tc.wantPushed)
			}
		}
	})
}
