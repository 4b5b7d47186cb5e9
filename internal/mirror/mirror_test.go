package mirror_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"parley/internal/ledger"
	"parley/internal/ledger/ledgertest"
	"parley/internal/mirror"
	"parley/internal/parties"
	"parley/internal/statement"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

// TestSyncVerifiesAndStores mirrors a log that grows between syncs, across
// a partial entry bundle, in batches smaller than the log: every entry and
// the tree's root end up in the node's database, and nothing is alarmed.
func TestSyncVerifiesAndStores(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		h := newHub(t, b)
		h.appendTo(h.db, 0, 300, event)
		n := newNode(t, b, h.srv.URL, h.logKey(), "A", mirror.Options{Batch: 256})
		res := n.sync(t)
		if res.LogSize != 300 || res.VerifiedSize != 300 || res.Added != 300 || len(res.Alarms) != 0 {
			t.Fatalf("first sync: %+v", res)
		}
		h.appendTo(h.db, 300, 20, event)
		res = n.sync(t)
		if res.LogSize != 320 || res.VerifiedSize != 320 || res.Added != 20 || len(res.Alarms) != 0 {
			t.Fatalf("second sync: %+v", res)
		}
		cp, err := h.lg.Checkpoint(context.Background(), h.db)
		if err != nil {
			t.Fatal(err)
		}
		st := n.state(t)
		if st.Size != 320 || st.Root != cp.Root || st.LogRoot != cp.Root {
			t.Fatalf("state %d %s, hub %d %s", st.Size, b64(st.Root), cp.Size, b64(cp.Root))
		}
		got, err := n.db.MirrorEntries(context.Background(), 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		want, err := h.db.LogEntries(context.Background(), 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("mirror holds %d entries, hub %d", len(got), len(want))
		}
		for i := range got {
			if string(got[i].Data) != string(want[i].Data) || got[i].Type != "round.convened" {
				t.Fatalf("entry %d differs", i)
			}
		}
		if as := n.alarms(t); len(as) != 0 {
			t.Fatalf("alarms: %+v", as)
		}
		// Nothing new: a sync changes nothing.
		if res := n.sync(t); res.Added != 0 || res.VerifiedSize != 320 {
			t.Fatalf("idle sync: %+v", res)
		}
	})
}

// TestTamperingRaisesAlarms shows the hub's log changed in each way a hub
// could change it, after (or before) the node verified it, and checks that
// the node raises the right alarm, naming what differs, and stores nothing
// it could not verify.
func TestTamperingRaisesAlarms(t *testing.T) {
	tests := []struct {
		name string
		// tamper changes what the hub serves after the node synced the
		// first 10 entries; it returns the URL the node syncs from next.
		tamper  func(t *testing.T, h *hub) string
		kind    string
		params  func(h *hub, before mirror.State) map[string]string
		keepsAt int64 // the verified size afterwards
	}{
		{
			name: "fork: the same size with another root",
			tamper: func(t *testing.T, h *hub) string {
				other := openDB(t, h.b)
				h.appendTo(other, 0, 5, event)
				h.appendTo(other, 105, 5, event) // entries 5..9 differ
				return h.serve(other).URL
			},
			kind: mirror.KindFork,
			params: func(h *hub, before mirror.State) map[string]string {
				return map[string]string{"size": "10", "trusted_size": "10", "trusted_root": b64(before.LogRoot)}
			},
			keepsAt: 10,
		},
		{
			name: "fork: a larger log that does not extend the verified one",
			tamper: func(t *testing.T, h *hub) string {
				other := openDB(t, h.b)
				h.appendTo(other, 0, 8, event)
				h.appendTo(other, 108, 7, event)
				return h.serve(other).URL
			},
			kind: mirror.KindFork,
			params: func(h *hub, before mirror.State) map[string]string {
				return map[string]string{"size": "15", "trusted_size": "10"}
			},
			keepsAt: 10,
		},
		{
			name: "truncated",
			tamper: func(t *testing.T, h *hub) string {
				other := openDB(t, h.b)
				h.appendTo(other, 0, 6, event)
				return h.serve(other).URL
			},
			kind: mirror.KindTruncated,
			params: func(*hub, mirror.State) map[string]string {
				return map[string]string{"size": "6", "trusted_size": "10"}
			},
			keepsAt: 10,
		},
		{
			name: "an entry edited in the hub's database before the node fetched it",
			tamper: func(t *testing.T, h *hub) string {
				h.appendTo(h.db, 10, 10, event)
				e := event(13)
				e.Subject = "R-forged"
				data, err := (&ledger.Entry{Type: e.Type, Time: e.Time, Actor: e.Actor, Subject: e.Subject, Attrs: e.Attrs}).Encode()
				if err != nil {
					t.Fatal(err)
				}
				if _, err := h.db.SQL().Exec(rebind(h.db, `UPDATE log_entries SET data = ? WHERE idx = 13`), data); err != nil {
					t.Fatal(err)
				}
				return h.srv.URL
			},
			kind:    mirror.KindEntryChanged,
			params:  func(*hub, mirror.State) map[string]string { return map[string]string{"index": "13"} },
			keepsAt: 10,
		},
		{
			name: "an entry already mirrored served changed",
			tamper: func(t *testing.T, h *hub) string {
				h.appendTo(h.db, 10, 3, event)
				e := event(4)
				e.Attrs = map[string]string{"n": "forged"}
				data, err := (&ledger.Entry{Type: e.Type, Time: e.Time, Actor: e.Actor, Subject: e.Subject, Attrs: e.Attrs}).Encode()
				if err != nil {
					t.Fatal(err)
				}
				if _, err := h.db.SQL().Exec(rebind(h.db, `UPDATE log_entries SET data = ? WHERE idx = 4`), data); err != nil {
					t.Fatal(err)
				}
				return h.srv.URL
			},
			kind:    mirror.KindEntryChanged,
			params:  func(*hub, mirror.State) map[string]string { return map[string]string{"index": "4"} },
			keepsAt: 10,
		},
		{
			name: "a checkpoint signed by another key",
			tamper: func(t *testing.T, h *hub) string {
				skey, _, err := note.GenerateKey(nil, testOrigin)
				if err != nil {
					t.Fatal(err)
				}
				signer, err := note.NewSigner(skey)
				if err != nil {
					t.Fatal(err)
				}
				cp, err := h.lg.Checkpoint(context.Background(), h.db)
				if err != nil {
					t.Fatal(err)
				}
				forged, err := note.Sign(&note.Note{Text: string(cp.Text())}, signer)
				if err != nil {
					t.Fatal(err)
				}
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(forged) }))
				t.Cleanup(srv.Close)
				return srv.URL
			},
			kind:    mirror.KindSignatureInvalid,
			params:  func(*hub, mirror.State) map[string]string { return map[string]string{"size": "10", "key": testOrigin} },
			keepsAt: 10,
		},
	}
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				h := newHub(t, b)
				h.appendTo(h.db, 0, 10, event)
				n := newNode(t, b, h.srv.URL, h.logKey(), "A", mirror.Options{})
				n.sync(t)
				before := n.state(t)
				url := tc.tamper(t, h)
				n2 := &node{db: n.db}
				opt := n.opt
				opt.HubURL = url
				m, err := mirror.New(n.db, opt)
				if err != nil {
					t.Fatal(err)
				}
				n2.m = m
				res := n2.sync(t)
				wantAlarm(t, n.alarms(t), tc.kind, tc.params(h, before))
				if len(res.Alarms) != 1 {
					t.Errorf("the sync reports %d alarms", len(res.Alarms))
				}
				if st := n.state(t); st.Size != tc.keepsAt || st.LogSize != before.LogSize || st.LogRoot != before.LogRoot {
					t.Errorf("state moved to %d/%d after the alarm", st.Size, st.LogSize)
				}
				// Seen again: still one alarm.
				n2.sync(t)
				if as := n.alarms(t); len(as) != 1 {
					t.Errorf("after a second sync: %d alarms", len(as))
				}
			})
		}
	})
}

func rebind(db *store.DB, q string) string {
	if db.Dialect() != store.Postgres {
		return q
	}
	var b strings.Builder
	k := 0
	for _, c := range q {
		if c == '?' {
			k++
			b.WriteString("$" + strconv.Itoa(k))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// TestSplitView shows node A and node B two different signed logs of the
// same size. Each alone finds nothing wrong; comparing with the other
// node's checkpoint, each raises split_view naming both roots.
func TestSplitView(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		h := newHub(t, b)
		h.appendTo(h.db, 0, 12, event)
		other := openDB(t, b)
		h.appendTo(other, 0, 7, event)
		h.appendTo(other, 207, 5, event)
		a := newNode(t, b, h.srv.URL, h.logKey(), "A", mirror.Options{})
		bn := newNode(t, b, h.serve(other).URL, h.logKey(), "B", mirror.Options{})
		a.sync(t)
		bn.sync(t)
		if len(a.alarms(t)) != 0 || len(bn.alarms(t)) != 0 {
			t.Fatal("each view alone must verify")
		}
		peerA := httptest.NewServer(a.m.Handler())
		defer peerA.Close()
		peerB := httptest.NewServer(bn.m.Handler())
		defer peerB.Close()
		ctx := context.Background()
		if err := a.db.AddPeer(ctx, peerB.URL, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := bn.db.AddPeer(ctx, peerA.URL, time.Now()); err != nil {
			t.Fatal(err)
		}
		a.sync(t)
		bn.sync(t)
		stA, stB := a.state(t), bn.state(t)
		wantAlarm(t, a.alarms(t), mirror.KindSplitView, map[string]string{
			"peer": peerB.URL, "size": "12", "root": b64(stB.LogRoot), "our_size": "12", "our_root": b64(stA.LogRoot)})
		wantAlarm(t, bn.alarms(t), mirror.KindSplitView, map[string]string{"peer": peerA.URL, "root": b64(stA.LogRoot)})

		// An honest peer ahead of us: no alarm.
		c := newNode(t, b, h.srv.URL, h.logKey(), "B", mirror.Options{})
		h.appendTo(h.db, 12, 3, event)
		c.sync(t)
		peerC := httptest.NewServer(c.m.Handler())
		defer peerC.Close()
		d := newNode(t, b, h.srv.URL, h.logKey(), "A", mirror.Options{})
		d.sync(t)
		h.appendTo(h.db, 15, 3, event)
		c.sync(t) // c is now ahead of d
		if err := d.db.AddPeer(ctx, peerC.URL, time.Now()); err != nil {
			t.Fatal(err)
		}
		// d's hub still shows it the checkpoint of size 15 (a cache, a
		// replica lagging behind) but serves the tiles of the whole log.
		cp15, err := h.lg.CheckpointAt(ctx, h.db, 15)
		if err != nil {
			t.Fatal(err)
		}
		tiles := h.lg.TilesHandler(h.db)
		lagging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/log/checkpoint" {
				w.Write(cp15.Note)
				return
			}
			http.StripPrefix("/log", tiles).ServeHTTP(w, r)
		}))
		defer lagging.Close()
		opt := d.opt
		opt.HubURL = lagging.URL
		dm, err := mirror.New(d.db, opt)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dm.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if as := d.alarms(t); len(as) != 0 {
			t.Fatalf("honest peer ahead: %+v", as)
		}
	})
}

// TestAuditRule: the hub logs a list's hand-over as party A's statement.
// With A's signature under a key the log published it passes; without
// one, or signed by another key, the node raises entry_unsigned naming
// the entry, its type and the party.
func TestAuditRule(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		h := newHub(t, b)
		a := newParty(t, "A")
		h.trust(t, a)
		h.handOver(t, a, "L1")
		n := newNode(t, b, h.srv.URL, h.logKey(), "B", mirror.Options{})
		n.sync(t)
		if as := n.alarms(t); len(as) != 0 {
			t.Fatalf("signed statement alarmed: %+v", as)
		}
		// The hub logs a hand-over by A on its own: no statement.
		h.appendTo(h.db, 0, 1, func(int) ledger.Event {
			return ledger.Event{Type: "list.handed_over", Time: time.Now(), Actor: "party:A", Subject: "L2",
				Attrs: map[string]string{"from": "A", "to": "B", "content_hash": "sha256:00"}}
		})
		// ... and one signed by a key it made up.
		forger := newParty(t, "A")
		h.appendTo(h.db, 0, 1, func(int) ledger.Event {
			return ledger.Event{Type: "proposal.accepted", Time: time.Now(), Actor: "party:A", Subject: "P1",
				Attrs: map[string]string{"party": "A", "statement": forger.statement(t, statement.ProposalAccept, statement.NewID(), "P1", map[string]string{"content_hash": "sha256:00"})}}
		})
		n.sync(t)
		as := n.alarms(t)
		if len(as) != 2 {
			t.Fatalf("want two alarms, got %+v", as)
		}
		got := map[string]map[string]string{}
		for _, al := range as {
			if al.Kind != mirror.KindEntryUnsigned {
				t.Fatalf("kind %s", al.Kind)
			}
			got[al.Params["index"]] = al.Params
		}
		if p := got["2"]; p["type"] != "list.handed_over" || p["party"] != "A" {
			t.Errorf("entry 2: %v", got)
		}
		if p := got["3"]; p["type"] != "proposal.accepted" || p["party"] != "A" {
			t.Errorf("entry 3: %v", got)
		}
		// The entries are still mirrored: they are what the hub signed.
		if st := n.state(t); st.Size != 4 {
			t.Errorf("verified size %d", st.Size)
		}
	})
}

// TestReceivedLists: node B fetches the list A handed over, checks it
// against the logged content hash and stores it among its own lists; a
// person edited afterwards in the hub's database is caught at the next
// re-check, naming the list and the row.
func TestReceivedLists(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		h := newHub(t, b)
		a := newParty(t, "A")
		h.trust(t, a)
		idx := h.handOver(t, a, "L1")
		n := newNode(t, b, h.srv.URL, h.logKey(), "B", mirror.Options{FetchList: h.fetchList})
		if err := createParties(ctx, n.db); err != nil {
			t.Fatal(err)
		}
		res := n.sync(t)
		if res.ListsReceived != 1 || len(res.Alarms) != 0 {
			t.Fatalf("sync: %+v", res)
		}
		var l *listView
		err := n.db.View(ctx, func(tx *store.Tx) error {
			got, err := tx.ListWithEntries(ctx, "L1")
			if err == nil {
				l = &listView{state: string(got.State), hash: got.ContentHash, rows: len(got.Entries)}
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if l.state != "handed_over" || l.rows != len(ledgertest.Persons(t)) || !strings.HasPrefix(l.hash, "sha256:") {
			t.Fatalf("stored list: %+v", l)
		}
		if k, err := n.m.RecheckLists(ctx); err != nil || k != 1 {
			t.Fatalf("recheck: %d %v", k, err)
		}
		if as := n.alarms(t); len(as) != 0 {
			t.Fatalf("intact list alarmed: %+v", as)
		}
		// Someone edits row 2 in the hub's database.
		if _, err := h.db.SQL().Exec(rebind(h.db, `UPDATE list_entries SET surname = ?, person = REPLACE(person, 'Гнатюк', 'Гнатенко') WHERE list_id = ? AND row_no = 2`), "Гнатенко", "L1"); err != nil {
			t.Fatal(err)
		}
		if _, err := n.m.RecheckLists(ctx); err != nil {
			t.Fatal(err)
		}
		wantAlarm(t, n.alarms(t), mirror.KindListHashMismatch, map[string]string{"list": "L1", "row": "2", "index": itoa(idx), "logged": l.hash})

		// A node that first meets the list already changed refuses it.
		fresh := newNode(t, b, h.srv.URL, h.logKey(), "B", mirror.Options{FetchList: h.fetchList})
		res = fresh.sync(t)
		if res.ListsReceived != 0 {
			t.Fatalf("changed list received: %+v", res)
		}
		wantAlarm(t, fresh.alarms(t), mirror.KindListHashMismatch, map[string]string{"list": "L1", "logged": l.hash})
	})
}

type listView struct {
	state, hash string
	rows        int
}

func createParties(ctx context.Context, db *store.DB) error {
	return db.Update(ctx, func(tx *store.Tx) error {
		for _, p := range []parties.Party{{ID: "A", Name: "Party A"}, {ID: "B", Name: "Party B"}} {
			if err := tx.CreateParty(ctx, p); err != nil {
				return err
			}
		}
		return nil
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// failingStore fails a batch after a number of successful ones, as a
// process killed in the middle of a sync would stop.
type failingStore struct {
	*store.DB
	left int
}

var errKilled = errors.New("killed")

func (f *failingStore) SaveMirrorBatch(ctx context.Context, b mirror.Batch) error {
	if f.left == 0 {
		return errKilled
	}
	f.left--
	return f.DB.SaveMirrorBatch(ctx, b)
}

// TestResumeAfterInterruptedSync stops a sync after two batches: the
// database holds a verified prefix, and the next sync (after the hub grew
// meanwhile) completes it without a gap or a duplicate.
func TestResumeAfterInterruptedSync(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		h := newHub(t, b)
		h.fillHub(t, 1000)
		db := openDB(t, b)
		opt := mirror.Options{HubURL: h.srv.URL, LogKey: h.logKey(), Party: "A", Batch: 256, Logger: slog.New(slog.DiscardHandler)}
		m, err := mirror.New(&failingStore{DB: db, left: 2}, opt)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Sync(ctx); !errors.Is(err, errKilled) {
			t.Fatalf("sync: %v", err)
		}
		st, _, err := db.MirrorState(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size != 512 || st.LogSize != 1000 {
			t.Fatalf("after the interruption: size %d of %d", st.Size, st.LogSize)
		}
		h.appendTo(h.db, 1000, 7, event)
		m2, err := mirror.New(db, opt)
		if err != nil {
			t.Fatal(err)
		}
		res, err := m2.Sync(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.VerifiedSize != 1007 || res.Added != 495 || len(res.Alarms) != 0 {
			t.Fatalf("resumed: %+v", res)
		}
		es, err := db.MirrorEntries(ctx, 0, 2000)
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range es {
			if e.Index != int64(i) {
				t.Fatalf("entry %d at position %d", e.Index, i)
			}
		}
		if len(es) != 1007 {
			t.Fatalf("%d entries", len(es))
		}
	})
}

// TestCosign: the node's witness cosigns the checkpoint the mirror
// verified and the cosignature goes to the hub; a failed push is sent
// again at the next sync.
func TestCosign(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		h := newHub(t, b)
		h.appendTo(h.db, 0, 5, event)
		wsk, wvk, err := note.GenerateKey(nil, ledger.WitnessName(testOrigin, "A"))
		if err != nil {
			t.Fatal(err)
		}
		db := openDB(t, b)
		w, err := ledger.NewWitness(wsk, h.logKey(), db)
		if err != nil {
			t.Fatal(err)
		}
		var pushed []string
		fail := true
		opt := mirror.Options{HubURL: h.srv.URL, LogKey: h.logKey(), Party: "A", Witness: w, WitnessStore: db, Logger: slog.New(slog.DiscardHandler),
			PushCosignature: func(ctx context.Context, cp []byte, line string) error {
				if fail {
					return errors.New("hub down")
				}
				pushed = append(pushed, string(cp)+line+"\n")
				return nil
			}}
		m, err := mirror.New(db, opt)
		if err != nil {
			t.Fatal(err)
		}
		res, err := m.Sync(ctx)
		if err != nil || res.CosignedSize != 5 {
			t.Fatalf("sync: %+v %v", res, err)
		}
		fail = false
		h.appendTo(h.db, 5, 4, event)
		if res, err = m.Sync(ctx); err != nil || res.CosignedSize != 9 || len(pushed) != 1 {
			t.Fatalf("sync: %+v %v, %d pushed", res, err, len(pushed))
		}
		v, err := fnote.NewVerifierForCosignatureV1(wvk)
		if err != nil {
			t.Fatal(err)
		}
		lv, err := note.NewVerifier(h.logKey())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := note.Open([]byte(pushed[0]), note.VerifierList(lv, v)); err != nil {
			t.Fatalf("pushed cosignature does not verify: %v", err)
		}
		if !strings.Contains(pushed[0], "\n9\n") {
			t.Fatalf("pushed for the wrong size: %s", pushed[0])
		}
	})
}
