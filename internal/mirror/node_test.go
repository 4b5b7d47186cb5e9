package mirror_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"parley/internal/access"
	"parley/internal/hubapi"
	"parley/internal/ledger"
	"parley/internal/listfile"
	"parley/internal/lists"
	"parley/internal/mirror"
	"parley/internal/nodes"
	"parley/internal/service"
	"parley/internal/service/servicetest"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

const hubOrigin = "hub.test/parley"

// hubWorld is a real hub (service, signed log, the /hub/v1/ API, the
// cosignatures endpoint and the tiles) behind a real listener, and the
// nodes of A and B, each a service on its own database.
type hubWorld struct {
	hub    *service.Service
	hubDB  *store.DB
	lg     *ledger.Log
	a, b   *service.Service
	aDB    *store.DB
	bDB    *store.DB
	srvURL string
}

func newHubWorld(t *testing.T, b storetest.Backend) *hubWorld {
	t.Helper()
	ctx := context.Background()
	w := &hubWorld{}
	hb := storetest.Backend{Name: b.Name, DataDir: t.TempDir()}
	if b.URL != "" {
		hb.URL = storetest.NewPostgresURL(t)
	}
	w.hub, w.hubDB = servicetest.New(t, hb)
	if err := ledger.InitHub(hb.DataDir, hubOrigin); err != nil {
		t.Fatal(err)
	}
	if err := w.hub.SetupMode(ctx, map[string]string{nodes.SettingMode: string(nodes.Hub)}); err != nil {
		t.Fatal(err)
	}
	lg, err := ledger.Open(hb.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	w.lg = lg
	w.hub.AttachLedger(lg)
	ho := hubapi.Options{Logger: slog.New(slog.DiscardHandler)}
	mux := http.NewServeMux()
	mux.Handle("/hub/v1/", hubapi.Handler(w.hub, ho))
	mux.Handle(mirror.CosignaturesPath, mirror.CosignaturesHandler(w.hubDB,
		func(r *http.Request) (string, []byte, error) { return hubapi.Authenticate(r.Context(), w.hub, r, ho) },
		w.hub.TrustedWitnessKeys, slog.New(slog.DiscardHandler)))
	mux.Handle("/log/", http.StripPrefix("/log", lg.TilesHandler(w.hubDB)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	w.srvURL = srv.URL
	for _, party := range []string{"A", "B"} {
		nb := storetest.Backend{Name: b.Name, DataDir: t.TempDir()}
		db := openNodeDB(t, b, nb.DataDir)
		s, err := service.New(ctx, db, slog.New(slog.DiscardHandler), service.WithPasswordParams(servicetest.CheapPasswords))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateParties(ctx, servicetest.Parties); err != nil {
			t.Fatal(err)
		}
		keys, err := nodes.CreateNodeKeys(nb.DataDir, hubOrigin, party, lg.VerifierKey())
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetupMode(ctx, map[string]string{nodes.SettingMode: string(nodes.Node), nodes.SettingParty: party,
			nodes.SettingHubURL: srv.URL, nodes.SettingHubOrigin: hubOrigin, nodes.SettingHubLogVKey: lg.VerifierKey()}); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{keys.Statement, keys.Witness} {
			if _, err := w.hub.TrustPartyKey(ctx, access.System, party, k); err != nil {
				t.Fatal(err)
			}
		}
		if party == "A" {
			w.a, w.aDB = s, db
		} else {
			w.b, w.bDB = s, db
		}
	}
	return w
}

// openNodeDB opens a node's database in its data directory (SQLite) or on
// a fresh PostgreSQL database.
func openNodeDB(t *testing.T, b storetest.Backend, dir string) *store.DB {
	t.Helper()
	url := ""
	if b.URL != "" {
		url = storetest.NewPostgresURL(t)
	}
	db, err := store.Open(context.Background(), dir, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newMirror(t *testing.T, s *service.Service) *mirror.Mirror {
	t.Helper()
	m, err := s.NewMirror(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestNodesMirrorTheHub runs the mirror of both nodes against a real hub:
// a list A hands over reaches B's own lists, checked against the log; the
// statements the hub logged pass the audit; both witnesses' cosignatures
// reach the hub. Then the hub misbehaves: an entry it logs on B's behalf
// is caught by both nodes as unsigned, and a person edited in its
// database is caught by B's re-check, naming the list and the row.
func TestNodesMirrorTheHub(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		w := newHubWorld(t, b)
		officerA := access.Actor{UserID: "a", Username: "a", Roles: []access.Role{access.Officer}, Party: "A"}
		f, err := os.Open("testdata/list.csv")
		if err != nil {
			t.Fatal(err)
		}
		res, err := w.a.ImportList(ctx, officerA, service.ImportRequest{From: "A", To: "B", Title: "First list", Format: listfile.CSV}, f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		id := res.List.ID
		if _, err := w.a.HandOver(ctx, officerA, id); err != nil {
			t.Fatal(err)
		}
		if n, err := w.a.SendQueued(ctx); err != nil || n != 1 {
			t.Fatalf("send: %d %v", n, err)
		}
		ma, mb := newMirror(t, w.a), newMirror(t, w.b)
		for name, m := range map[string]*mirror.Mirror{"A": ma, "B": mb} {
			r, err := m.Sync(ctx)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if len(r.Alarms) != 0 || r.ListsReceived != 1 || r.VerifiedSize != r.LogSize || r.CosignedSize != r.LogSize {
				t.Fatalf("%s: %+v", name, r)
			}
		}
		sent, err := w.a.GetList(ctx, officerA, id)
		if err != nil {
			t.Fatal(err)
		}
		got, err := w.b.GetList(ctx, servicetest.OfficerB, id)
		if err != nil || got.State != lists.HandedOver || got.ContentHash != sent.ContentHash || got.EntryCount != sent.EntryCount {
			t.Fatalf("B's copy: %+v %v", got, err)
		}
		cp, err := w.lg.Checkpoint(ctx, w.hubDB)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"A", "B"} {
			if !strings.Contains(string(cp.Note), "— "+nodes.WitnessName(hubOrigin, p)+" ") {
				t.Errorf("the hub's checkpoint lacks %s's cosignature:\n%s", p, cp.Note)
			}
		}

		// The hub logs B's acknowledgement on its own.
		err = w.hubDB.Update(ctx, func(tx *store.Tx) error {
			_, err := w.lg.Append(ctx, tx, ledger.Event{Type: "list.acknowledged", Time: time.Now(), Actor: "party:B", Subject: id,
				Attrs: map[string]string{"list_id": id, "from": "A", "to": "B", "content_hash": got.ContentHash}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		size, err := w.hubDB.LogSize(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []struct {
			m  *mirror.Mirror
			db *store.DB
		}{{ma, w.aDB}, {mb, w.bDB}} {
			if _, err := n.m.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			as, err := n.db.Alarms(ctx, true)
			if err != nil {
				t.Fatal(err)
			}
			wantAlarm(t, as, mirror.KindEntryUnsigned, map[string]string{"index": itoa(size - 1), "type": "list.acknowledged", "party": "B"})
		}

		// Someone edits row 2 of the list in the hub's database.
		if _, err := w.hubDB.SQL().Exec(rebind(w.hubDB, `UPDATE list_entries SET surname = ? WHERE list_id = ? AND row_no = 2`), "Edited", id); err != nil {
			t.Fatal(err)
		}
		if _, err := w.hubDB.SQL().Exec(rebind(w.hubDB, `UPDATE list_entries SET person = REPLACE(person, '"surname":"', '"surname":"X') WHERE list_id = ? AND row_no = 2`), id); err != nil {
			t.Fatal(err)
		}
		if _, err := mb.RecheckLists(ctx); err != nil {
			t.Fatal(err)
		}
		as, err := w.bDB.Alarms(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		var found bool
		for _, a := range as {
			if a.Kind == mirror.KindListHashMismatch && a.Params["list"] == id && a.Params["row"] == "2" {
				found = true
			}
		}
		if !found {
			t.Fatalf("no list_hash_mismatch naming row 2: %+v", as)
		}
	})
}
