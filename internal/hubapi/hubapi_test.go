package hubapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"parley/internal/access"
	"parley/internal/hubapi"
	"parley/internal/hubclient"
	"parley/internal/ledger"
	"parley/internal/listfile"
	"parley/internal/lists"
	"parley/internal/msg"
	"parley/internal/negotiation"
	"parley/internal/nodes"
	"parley/internal/service"
	"parley/internal/service/servicetest"
	"parley/internal/statement"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

var (
	officerA = servicetest.OfficerA
	officerB = servicetest.OfficerB
)

// world is a hub behind a real HTTP listener and the nodes of A and B,
// each with its own database of the backend under test.
type world struct {
	hub      *service.Service
	hubDB    *store.DB
	hubDir   string
	addr     string
	srv      *httptest.Server
	a, b     *service.Service
	aDB, bDB *store.DB
	aDir     string
	lg       *ledger.Log
}

// fresh returns a new, empty backend of the same kind as b.
func fresh(t *testing.T, b storetest.Backend) storetest.Backend {
	if b.URL == "" {
		return storetest.Backend{Name: b.Name, DataDir: t.TempDir()}
	}
	return storetest.Backend{Name: b.Name, DataDir: t.TempDir(), URL: storetest.NewPostgresURL(t)}
}

func newWorld(t *testing.T, b storetest.Backend) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{}
	w.hub, w.hubDB = servicetest.New(t, b)
	w.hubDir = b.DataDir
	if err := ledger.InitHub(b.DataDir, "hub.test/parley"); err != nil {
		t.Fatal(err)
	}
	if err := w.hub.SetupMode(ctx, map[string]string{nodes.SettingMode: string(nodes.Hub)}); err != nil {
		t.Fatal(err)
	}
	lg, err := ledger.Open(b.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	w.hub.AttachLedger(lg)
	w.lg = lg
	w.start(t, "127.0.0.1:0")
	t.Cleanup(func() { w.srv.Close() })

	var keys [2]*nodes.NodeKeys
	for i, party := range []string{"A", "B"} {
		nb := fresh(t, b)
		db := nb.Open(t)
		s, err := service.New(ctx, db, slog.New(slog.DiscardHandler), service.WithPasswordParams(servicetest.CheapPasswords))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateParties(ctx, servicetest.Parties); err != nil {
			t.Fatal(err)
		}
		if keys[i], err = nodes.CreateNodeKeys(nb.DataDir, "hub.test/parley", party, lg.VerifierKey()); err != nil {
			t.Fatal(err)
		}
		if err := s.SetupMode(ctx, map[string]string{nodes.SettingMode: string(nodes.Node), nodes.SettingParty: party,
			nodes.SettingHubURL: "http://" + w.addr, nodes.SettingHubOrigin: "hub.test/parley", nodes.SettingHubLogVKey: lg.VerifierKey()}); err != nil {
			t.Fatal(err)
		}
		if party == "A" {
			w.a, w.aDB, w.aDir = s, db, nb.DataDir
		} else {
			w.b, w.bDB = s, db
		}
	}
	for i, party := range []string{"A", "B"} {
		for _, k := range []string{keys[i].Statement, keys[i].Witness} {
			if _, err := w.hub.TrustPartyKey(ctx, access.System, party, k); err != nil {
				t.Fatal(err)
			}
		}
	}
	return w
}

// start serves the hub on addr ("127.0.0.1:0" the first time, then the
// same address again after stop).
func (w *world) start(t *testing.T, addr string) {
	t.Helper()
	var ln net.Listener
	var err error
	for range 50 {
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	// The hub's API, and its log's tiles for the nodes' mirrors.
	mux := http.NewServeMux()
	mux.Handle("/log/", http.StripPrefix("/log", w.lg.TilesHandler(w.hubDB)))
	mux.Handle("/", hubapi.Handler(w.hub, hubapi.Options{Logger: slog.New(slog.DiscardHandler)}))
	w.srv = httptest.NewUnstartedServer(mux)
	w.srv.Listener.Close()
	w.srv.Listener = ln
	w.srv.Start()
	w.addr = ln.Addr().String()
}

func (w *world) stop() { w.srv.Close() }

func importFile(t *testing.T, s *service.Service, title, file string) *lists.List {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := s.ImportList(context.Background(), officerA, service.ImportRequest{From: "A", To: "B", Title: title, Format: listfile.CSV}, f)
	if err != nil {
		t.Fatal(err)
	}
	return res.List
}

// handOverFile imports a list from file at node s and hands it over,
// which queues the party's signed statement for the hub.
func handOverFile(t *testing.T, s *service.Service, title, file string) *lists.List {
	t.Helper()
	l := importFile(t, s, title, file)
	if _, err := s.HandOver(context.Background(), officerA, l.ID); err != nil {
		t.Fatalf("hand over %s: %v", title, err)
	}
	return l
}

// firstQueued returns the oldest statement in a node's outbox.
func firstQueued(t *testing.T, s *service.Service) store.NodeOutboxItem {
	t.Helper()
	queued, err := s.NodeOutbox(context.Background(), 1)
	if err != nil || len(queued) != 1 {
		t.Fatalf("outbox %v %v", queued, err)
	}
	return queued[0]
}

// sendQueued sends a node's queued statements to the hub and checks that
// want of them went through.
func sendQueued(t *testing.T, s *service.Service, want int) {
	t.Helper()
	sent, err := s.SendQueued(context.Background())
	if err != nil || sent != want {
		out, _ := s.NodeOutbox(context.Background(), 1)
		t.Fatalf("SendQueued = %d, %v, want %d (still queued: %+v)", sent, err, want, out)
	}
}

func logSize(t *testing.T, db *store.DB) int64 {
	t.Helper()
	n, err := db.LogSize(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// entry returns the parsed log entry of one event type about a subject.
func entry(t *testing.T, db *store.DB, typ, subject string) (*ledger.Entry, int64) {
	t.Helper()
	var rows []ledger.EntryRow
	err := db.View(context.Background(), func(tx *store.Tx) (err error) {
		rows, err = tx.FindLogEntries(context.Background(), typ, subject)
		return err
	})
	if err != nil || len(rows) != 1 {
		t.Fatalf("%s %s: %d entries, %v", typ, subject, len(rows), err)
	}
	e, err := ledger.ParseEntry(rows[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	return e, rows[0].Index
}

// receive stores at node B a list the hub holds for it, as the mirror
// does: fetched over the signed API, checked against the listed hash.
func receive(t *testing.T, w *world, id string) {
	t.Helper()
	ctx := context.Background()
	infos, err := w.b.HubClient().Lists(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var info *hubclient.ListInfo
	for i := range infos {
		if infos[i].ID == id {
			info = &infos[i]
		}
	}
	if info == nil {
		t.Fatalf("list %s not among B's lists at the hub: %+v", id, infos)
	}
	b, err := w.b.HubClient().List(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	l, err := lists.ParseCanonical(b)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := lists.ContentHash(l); h != info.ContentHash {
		t.Fatalf("hash %s, listed %s", h, info.ContentHash)
	}
	l.RootID, l.State = l.ID, lists.Draft
	err = w.bDB.Update(ctx, func(tx *store.Tx) error {
		if err := tx.InsertList(ctx, l); err != nil {
			return err
		}
		return tx.SetListState(ctx, l.ID, lists.Draft, lists.HandedOver, info.ContentHash)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestHandoverAndAck sends a list from A's node through the hub to B's and
// B's acknowledgement with a reservation back, and checks what the hub
// logged: the party as actor and its signed statement in every entry.
func TestHandoverAndAck(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		w := newWorld(t, b)
		l := handOverFile(t, w.a, "First list", "testdata/list.csv")
		if n, _ := w.a.NodeQueued(ctx); n != 1 {
			t.Fatalf("queued %d, want 1", n)
		}
		before := logSize(t, w.hubDB)
		sendQueued(t, w.a, 1)
		if n, _ := w.a.NodeQueued(ctx); n != 0 {
			t.Fatalf("queued %d after sending", n)
		}
		e, _ := entry(t, w.hubDB, "list.handed_over", l.ID)
		st := checkSigned(t, e, "A", statement.ListHandover)
		local, err := w.a.GetList(ctx, officerA, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if e.Attrs["content_hash"] != local.ContentHash || st.Attrs["content_hash"] != local.ContentHash {
			t.Fatalf("hub logged %s, A handed over %s", e.Attrs["content_hash"], local.ContentHash)
		}
		if got := logSize(t, w.hubDB); got != before+1 {
			t.Fatalf("log grew by %d, want 1", got-before)
		}

		receive(t, w, l.ID)
		if _, _, err := w.b.AcknowledgeWithReservation(ctx, officerB, l.ID, "Row 2: unit unknown"); err != nil {
			t.Fatal(err)
		}
		sendQueued(t, w.b, 1)
		e, _ = entry(t, w.hubDB, "list.acknowledged", l.ID)
		st = checkSigned(t, e, "B", statement.ListAck)
		if st.Attrs["reservation_hash"] != statement.ReservationHash("Row 2: unit unknown") {
			t.Fatalf("reservation hash %q", st.Attrs["reservation_hash"])
		}
		hl, err := w.hub.GetList(ctx, servicetest.Mediator, l.ID)
		if err != nil || hl.State != lists.Acknowledged {
			t.Fatalf("hub list %+v, %v", hl, err)
		}
		// The reservation is a dispute on the hub, logged with B's signature.
		var rows []ledger.EntryRow
		_ = w.hubDB.View(ctx, func(tx *store.Tx) (err error) {
			rows, err = tx.LogEntries(ctx, 0, logSize(t, w.hubDB))
			return err
		})
		found := false
		for _, r := range rows {
			e, err := ledger.ParseEntry(r.Data)
			if err != nil {
				t.Fatal(err)
			}
			if e.Type == "dispute.reservation" {
				found = true
				checkSigned(t, e, "B", statement.ListAck)
			}
			if strings.HasPrefix(e.Actor, "party:") && e.Attrs["statement"] == "" {
				t.Errorf("entry %d (%s) names %s but carries no statement", r.Index, e.Type, e.Actor)
			}
		}
		if !found {
			t.Fatal("no dispute.reservation entry")
		}
		// A list B receives is visible to A (its sender) and B, nobody else.
		if _, err := w.a.HubClient().List(ctx, l.ID); err != nil {
			t.Fatalf("sender cannot read its list: %v", err)
		}
	})
}

// checkSigned checks that a hub entry names the party and carries its
// statement, signed by the party's key, of the given type about the
// entry's subject.
func checkSigned(t *testing.T, e *ledger.Entry, party, typ string) *statement.Statement {
	t.Helper()
	if e.Actor != "party:"+party {
		t.Fatalf("%s actor %q, want party:%s", e.Type, e.Actor, party)
	}
	st, err := statement.Text([]byte(e.Attrs["statement"]))
	if err != nil {
		t.Fatalf("%s: statement: %v", e.Type, err)
	}
	subject := e.Subject
	if strings.HasPrefix(e.Type, "dispute.") {
		subject = e.Attrs["list_id"] // an entry the statement caused names its own subject
	}
	if st.Type != typ || st.Party != party || st.Subject != subject || st.ID != e.Attrs["statement_id"] {
		t.Fatalf("%s carries statement %+v", e.Type, st)
	}
	return st
}

// TestRefusedStatements: a statement the party did not sign, or a request
// not signed by a trusted key, is refused, and nothing is stored or logged.
func TestRefusedStatements(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		w := newWorld(t, b)
		l := handOverFile(t, w.a, "First list", "testdata/list.csv")
		good := firstQueued(t, w.a)
		st, err := statement.Text(good.Note)
		if err != nil {
			t.Fatal(err)
		}

		// The same statement signed by a key of A's name the hub never trusted.
		skey, _, _ := note.GenerateKey(rand.Reader, statement.KeyName("hub.test/parley", "A"))
		forger, _ := note.NewSigner(skey)
		forged, err := statement.Sign(st, forger)
		if err != nil {
			t.Fatal(err)
		}
		// A's statement claiming to be B's: signed by A, names B.
		asB := *st
		asB.Party, asB.ID = "B", statement.NewID()
		signerA, err := nodes.LoadPartySigner(w.aDir, "A")
		if err != nil {
			t.Fatal(err)
		}
		speaksForB, err := statement.Sign(&asB, signerA)
		if err != nil {
			t.Fatal(err)
		}
		unsigned, _ := st.Encode()
		tampered := bytes.Replace(good.Note, []byte(`"title":"First list"`), []byte(`"title":"Other list"`), 1)
		// B's node submitting A's genuine statement.
		cases := []struct {
			name   string
			client *hubclient.Client
			note   []byte
			status int
		}{
			{"forged signature", w.a.HubClient(), forged, 403},
			{"no signature", w.a.HubClient(), unsigned, 403},
			{"tampered text", w.a.HubClient(), tampered, 403},
			{"A speaking for B", w.a.HubClient(), speaksForB, 403},
			{"sent by B's node", w.b.HubClient(), good.Note, 403},
			{"request not signed", unsignedClient(t, w), good.Note, 401},
		}
		before := logSize(t, w.hubDB)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := c.client.Submit(ctx, c.note, good.Payload)
				var re *hubclient.RefusedError
				if !errors.As(err, &re) || re.Status != c.status {
					t.Fatalf("Submit = %v, want a refusal with status %d", err, c.status)
				}
			})
		}
		// A request signed by an untrusted key over plain HTTP.
		body, _ := json.Marshal(hubclient.SubmitRequest{Statement: string(good.Note), Payload: good.Payload})
		resp, err := http.Post("http://"+w.addr+"/hub/v1/statements", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Fatalf("unsigned POST: status %d", resp.StatusCode)
		}
		if got := logSize(t, w.hubDB); got != before {
			t.Fatalf("refused statements changed the log: %d -> %d", before, got)
		}
		if _, err := w.hub.GetList(ctx, servicetest.Mediator, l.ID); !errors.Is(err, service.ErrNotFound) {
			t.Fatalf("a refused hand-over stored the list: %v", err)
		}
		var n int
		_ = w.hubDB.View(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT COUNT(*) FROM hub_statements`).Scan(&n)
		})
		if n != 0 {
			t.Fatalf("%d statements recorded", n)
		}
	})
}

func unsignedClient(t *testing.T, w *world) *hubclient.Client {
	c, err := hubclient.New("http://"+w.addr, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestExactlyOnce: a statement sent again (the node did not hear the
// answer) is applied once and answered with the first index.
func TestExactlyOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		w := newWorld(t, b)
		l := handOverFile(t, w.a, "First list", "testdata/list.csv")
		queued := firstQueued(t, w.a)
		first, err := w.a.HubClient().Submit(ctx, queued.Note, queued.Payload)
		if err != nil || first.Duplicate {
			t.Fatalf("first Submit = %+v, %v", first, err)
		}
		size := logSize(t, w.hubDB)
		for range 3 {
			again, err := w.a.HubClient().Submit(ctx, queued.Note, queued.Payload)
			if err != nil || !again.Duplicate || again.Index != first.Index {
				t.Fatalf("again = %+v, %v; first %+v", again, err, first)
			}
		}
		// The node's own sender, which never heard the first answer.
		sendQueued(t, w.a, 1)
		if got := logSize(t, w.hubDB); got != size {
			t.Fatalf("resubmission grew the log from %d to %d", size, got)
		}
		entry(t, w.hubDB, "list.handed_over", l.ID) // exactly one
	})
}

// TestConcurrentResubmission: copies of one statement that reach the hub
// at once (a node retrying while its first copy is still being applied)
// are applied once; every caller gets a success, all with the same index,
// and exactly one of them is not a duplicate.
func TestConcurrentResubmission(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		w := newWorld(t, b)
		l := handOverFile(t, w.a, "First list", "testdata/list.csv")
		queued := firstQueued(t, w.a)
		size := logSize(t, w.hubDB)
		const copies = 8
		type answer struct {
			res *hubclient.SubmitResult
			err error
		}
		answers := make(chan answer, copies)
		start := make(chan struct{})
		for range copies {
			go func() {
				<-start
				res, err := w.a.HubClient().Submit(ctx, queued.Note, queued.Payload)
				answers <- answer{res, err}
			}()
		}
		close(start)
		applied := 0
		index := int64(-1)
		for range copies {
			var a answer
			select {
			case a = <-answers:
			case <-time.After(60 * time.Second):
				t.Fatal("a submission hangs")
			}
			if a.err != nil {
				t.Errorf("Submit: %v", a.err)
				continue
			}
			if !a.res.Duplicate {
				applied++
			}
			if index >= 0 && a.res.Index != index {
				t.Errorf("answers name indexes %d and %d", index, a.res.Index)
			}
			index = a.res.Index
		}
		if applied != 1 {
			t.Errorf("%d of %d copies applied, want 1", applied, copies)
		}
		entry(t, w.hubDB, "list.handed_over", l.ID) // exactly one
		grown := logSize(t, w.hubDB) - size
		// The node's own sender, which never heard an answer, is told it
		// is a duplicate: the log does not grow again.
		sendQueued(t, w.a, 1)
		if got := logSize(t, w.hubDB) - size; got != grown {
			t.Errorf("the node's resubmission grew the log from +%d to +%d", grown, got)
		}
	})
}

// TestHubDown: with the hub down the node keeps working and queues; once
// the hub is back the queue goes through, in order.
func TestHubDown(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		w := newWorld(t, b)
		addr := w.addr
		w.stop()
		var ids []string
		for _, title := range []string{"First list", "Second list"} {
			ids = append(ids, handOverFile(t, w.a, title, "testdata/list.csv").ID) // the hub is down
		}
		if _, err := w.a.SendQueued(ctx); !errors.Is(err, hubclient.ErrUnreachable) {
			t.Fatalf("SendQueued with the hub down = %v", err)
		}
		if n, _ := w.a.NodeQueued(ctx); n != 2 {
			t.Fatalf("queued %d, want 2", n)
		}
		w.start(t, addr)
		defer w.stop()
		sendQueued(t, w.a, 2)
		_, i0 := entry(t, w.hubDB, "list.handed_over", ids[0])
		_, i1 := entry(t, w.hubDB, "list.handed_over", ids[1])
		if i0 >= i1 {
			t.Fatalf("delivered out of order: %d, %d", i0, i1)
		}
		if n, _ := w.a.NodeQueued(ctx); n != 0 {
			t.Fatalf("queued %d after delivery", n)
		}
	})
}

// TestHubRefuses: what a party keeps on its own node is refused on the hub
// with the code its catalogue sentence is found by.
func TestHubRefuses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		w := newWorld(t, b)
		csv := func() io.Reader { f, _ := os.ReadFile("testdata/list.csv"); return bytes.NewReader(f) }
		cases := []struct {
			name, code string
			do         func() error
		}{
			{"draft list", service.RefuseDraftList, func() error {
				_, err := w.hub.ImportList(ctx, officerA, service.ImportRequest{From: "A", To: "B", Title: "T", Format: listfile.CSV}, csv())
				return err
			}},
			{"registry", service.RefuseRegistry, func() error {
				_, err := w.hub.ImportRegistry(ctx, officerB, service.RegistryImportRequest{Party: "B", Format: listfile.CSV}, csv())
				return err
			}},
			{"matching", service.RefuseMatching, func() error {
				_, err := w.hub.RunMatching(ctx, officerB, service.MatchRequest{ListID: "L1"})
				return err
			}},
			{"match review", service.RefuseMatching, func() error {
				_, err := w.hub.ConfirmAllMatches(ctx, officerB, "M1")
				return err
			}},
			{"family links", service.RefuseFamilies, func() error { return w.hub.RelinkInquiries(ctx, access.System) }},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				err := c.do()
				m, ok := msg.Of(err)
				if !ok || m.Code != "nodes.refused."+c.code || !errors.Is(err, service.ErrWrongMode) {
					t.Fatalf("err = %v, want a refusal %q", err, c.code)
				}
			})
		}
		// The same operations still work on a node.
		if _, err := w.a.ImportList(ctx, officerA, service.ImportRequest{From: "A", To: "B", Title: "T", Format: listfile.CSV}, csv()); err != nil {
			t.Fatalf("a node refused a draft list: %v", err)
		}
	})
}

// TestProposalThroughHub: A proposes from its node, the hub applies the
// signed statement, B reads the proposal from the hub and accepts it from
// its node; each step is logged with the signature of the party that took
// it, and neither node can act for the other party.
func TestProposalThroughHub(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		w := newWorld(t, b)
		l := handOverFile(t, w.a, "Wounded", "testdata/wounded.csv")
		if _, err := w.a.SendQueued(ctx); err != nil {
			t.Fatal(err)
		}
		round, err := w.hub.CreateRound(ctx, servicetest.Mediator, service.RoundRequest{Title: "Round", Parties: [2]string{"A", "B"}})
		if err != nil {
			t.Fatal(err)
		}
		req := service.ProposalRequest{RoundID: round.ID, Terms: negotiation.Terms{Rule: negotiation.Unilateral},
			Releases: []service.ReleaseRef{{ListID: l.ID, Row: 1}}}
		if _, err := w.a.SubmitProposal(ctx, officerA, service.ProposalRequest{RoundID: round.ID, From: "B"}); !errors.Is(err, access.ErrForbidden) {
			t.Fatalf("A's node proposing for B: %v", err)
		}
		p, err := w.a.SubmitProposal(ctx, officerA, req)
		if err != nil {
			t.Fatal(err)
		}
		sendQueued(t, w.a, 1)
		e, _ := entry(t, w.hubDB, "proposal.submitted", p.ID)
		checkSigned(t, e, "A", statement.ProposalSubmit)

		// B reads the negotiation from its mirror of the hub's log.
		syncMirror(t, w.b)
		seen, err := w.b.ListProposals(ctx, officerB, service.ProposalFilter{RoundID: round.ID})
		if err != nil || len(seen) != 1 || seen[0].ID != p.ID || seen[0].From != "A" {
			t.Fatalf("B sees %+v, %v", seen, err)
		}
		if _, err := w.a.AcceptProposal(ctx, officerA, p.ID, ""); !errors.Is(err, access.ErrForbidden) {
			t.Fatalf("A accepting its own proposal: %v", err)
		}
		if _, err := w.b.AcceptProposal(ctx, officerB, p.ID, ""); err != nil {
			t.Fatal(err)
		}
		sendQueued(t, w.b, 1)
		e, _ = entry(t, w.hubDB, "proposal.accepted", p.ID)
		checkSigned(t, e, "B", statement.ProposalAccept)
		v, err := w.a.GetProposal(ctx, officerA, p.ID)
		if err != nil || v.State != string(negotiation.Accepted) {
			t.Fatalf("A reads %+v, %v", v, err)
		}
	})
}

// syncMirror brings a node's mirror up to the hub's log.
func syncMirror(t *testing.T, s *service.Service) {
	t.Helper()
	m, err := s.NewMirror(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Sync(context.Background()); err != nil {
		t.Fatalf("mirror sync: %v", err)
	}
}

// TestUntrustedKeyWaits: a node that hands over before the mediator trusts
// its key keeps the statement queued, and it goes through once trusted.
func TestUntrustedKeyWaits(t *testing.T) {
	ctx := context.Background()
	b := storetest.Backend{Name: "sqlite", DataDir: t.TempDir()}
	w := newWorld(t, b)
	// A third party's node the hub does not trust: use A's node with its
	// key replaced by an untrusted one of the same name.
	skey, vkey, _ := note.GenerateKey(rand.Reader, statement.KeyName("hub.test/parley", "A"))
	if err := os.WriteFile(nodes.PartyKeyFile(w.aDir, "A"), []byte(skey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := service.New(ctx, w.aDB, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	handOverFile(t, a, "First list", "testdata/list.csv")
	if _, err := a.SendQueued(ctx); err == nil {
		t.Fatal("an untrusted key was accepted")
	}
	if n, _ := a.NodeQueued(ctx); n != 1 {
		t.Fatalf("queued %d, want the statement kept", n)
	}
	if _, err := w.hub.TrustPartyKey(ctx, access.System, "A", vkey); err != nil {
		t.Fatal(err)
	}
	sendQueued(t, a, 1)
}

// TestSecondWitnessKeyRefused: the hub counts one witness per party. The
// statement key of a party's second node is trusted; its witness key is
// refused with the reason, and nothing is stored or logged for it.
func TestSecondWitnessKeyRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		w := newWorld(t, b)
		lg, err := ledger.Open(w.hubDir)
		if err != nil {
			t.Fatal(err)
		}
		office, err := nodes.CreateNodeKeys(t.TempDir(), "hub.test/parley", "A", lg.VerifierKey())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.hub.TrustPartyKey(ctx, access.System, "A", office.Statement); err != nil {
			t.Fatalf("the second node's statement key: %v", err)
		}
		size, err := w.hubDB.LogSize(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.hub.TrustPartyKey(ctx, access.System, "A", office.Witness)
		var m *msg.Error
		if !errors.Is(err, service.ErrConflict) || !errors.As(err, &m) || m.Msg.Code != "nodes.witness_taken" {
			t.Fatalf("the second node's witness key: %v; want the conflict nodes.witness_taken", err)
		}
		if got, _ := w.hubDB.LogSize(ctx); got != size {
			t.Errorf("the log grew from %d to %d entries on a refused key", size, got)
		}
		ks, err := w.hub.TrustedWitnessKeys(ctx, "A")
		if err != nil || len(ks) != 1 || ks[0] == office.Witness {
			t.Errorf("witness keys trusted for A: %q (%v), want the first node's alone", ks, err)
		}
	})
}
