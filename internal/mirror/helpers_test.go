package mirror_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"parley/internal/ledger"
	"parley/internal/ledger/ledgertest"
	"parley/internal/lists"
	"parley/internal/mirror"
	"parley/internal/statement"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

const testOrigin = "parley.test/log"

// hub is a Parley log as a hub keeps it: real keys, a real database and
// the real C2SP tiles handler. Tampering tests change its database behind
// its back, as someone with access to the hub's server could.
type hub struct {
	t   testing.TB
	dir string
	lg  *ledger.Log
	db  *store.DB
	b   storetest.Backend
	srv *httptest.Server
}

// openDB opens a fresh database of the backend's kind (each call its own).
func openDB(t testing.TB, b storetest.Backend) *store.DB {
	t.Helper()
	url := ""
	if b.URL != "" {
		url = storetest.NewPostgresURL(t)
	}
	db, err := store.Open(context.Background(), t.TempDir(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newHub(t testing.TB, b storetest.Backend) *hub {
	t.Helper()
	dir := t.TempDir()
	if err := ledger.Init(dir, testOrigin, []string{"A", "B"}); err != nil {
		t.Fatal(err)
	}
	lg, err := ledger.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	h := &hub{t: t, dir: dir, lg: lg, b: b, db: openDB(t, b)}
	h.srv = h.serve(h.db)
	return h
}

// serve serves the log held in db (the hub's own, or another copy that
// the hub shows someone else) over its own listener.
func (h *hub) serve(db *store.DB) *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle("/log/", http.StripPrefix("/log", h.lg.TilesHandler(db)))
	srv := httptest.NewServer(mux)
	h.t.Cleanup(srv.Close)
	return srv
}

// event is a non-personal event the mediator logs (not a party's
// statement).
func event(i int) ledger.Event {
	return ledger.Event{
		Type: "round.convened", Time: time.Date(2026, 3, 1, 10, 0, 0, i*1000, time.UTC),
		Actor: "mediator:m", Subject: fmt.Sprintf("R%d", i), Attrs: map[string]string{"n": fmt.Sprint(i)},
	}
}

// appendTo appends events from..from+n-1 to db in one transaction.
func (h *hub) appendTo(db *store.DB, from, n int, ev func(i int) ledger.Event) {
	h.t.Helper()
	ctx := context.Background()
	err := db.Update(ctx, func(tx *store.Tx) error {
		for i := from; i < from+n; i++ {
			if _, err := h.lg.Append(ctx, tx, ev(i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

func (h *hub) logKey() string { return h.lg.VerifierKey() }

// node is a party's node: its own database and a mirror of the hub.
type node struct {
	db  *store.DB
	m   *mirror.Mirror
	opt mirror.Options
}

func newNode(t testing.TB, b storetest.Backend, hubURL, logKey, party string, opt mirror.Options) *node {
	t.Helper()
	db := openDB(t, b)
	opt.HubURL, opt.LogKey, opt.Party = hubURL, logKey, party
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	m, err := mirror.New(db, opt)
	if err != nil {
		t.Fatal(err)
	}
	return &node{db: db, m: m, opt: opt}
}

// sync runs one sync and fails the test on an error.
func (n *node) sync(t testing.TB) *mirror.Result {
	t.Helper()
	res, err := n.m.Sync(context.Background())
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return res
}

func (n *node) state(t testing.TB) mirror.State {
	t.Helper()
	st, _, err := n.db.MirrorState(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (n *node) alarms(t testing.TB) []mirror.Alarm {
	t.Helper()
	as, err := n.db.Alarms(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	return as
}

// wantAlarm checks that exactly the alarms of the given kinds were raised,
// with the given params.
func wantAlarm(t testing.TB, as []mirror.Alarm, kind string, params map[string]string) {
	t.Helper()
	if len(as) != 1 {
		t.Fatalf("want one %s alarm, got %d: %+v", kind, len(as), as)
	}
	a := as[0]
	if a.Kind != kind {
		t.Fatalf("alarm kind %s, want %s: %+v", a.Kind, kind, a)
	}
	for k, v := range params {
		if a.Params[k] != v {
			t.Errorf("alarm %s param %s = %q, want %q (all: %v)", kind, k, a.Params[k], v, a.Params)
		}
	}
}

// party is a party's statement key, as its node holds it.
type party struct {
	id     string
	signer note.Signer
	vkey   string
}

func newParty(t testing.TB, id string) *party {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, testOrigin+"/party/"+id)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return &party{id: id, signer: s, vkey: vkey}
}

// statement signs a statement of the party.
func (p *party) statement(t testing.TB, typ, id, subject string, attrs map[string]string) string {
	t.Helper()
	st := statement.New(typ, p.id, subject, attrs)
	st.ID = id
	msg, err := statement.Sign(st, p.signer)
	if err != nil {
		t.Fatal(err)
	}
	return string(msg)
}

// handOver stores list id from A to B in the hub's database, handed over,
// and logs its hand-over with A's signed statement, as the hub does when
// node A submits it. It returns the log index.
func (h *hub) handOver(t testing.TB, a *party, id string) int64 {
	t.Helper()
	return ledgertest.HandOver(t, h.db, h.lg, id, "party:A", func(ev *ledger.Event, lst *lists.List) {
		sid := statement.NewID()
		ev.Attrs["statement"] = a.statement(t, statement.ListHandover, sid, id, map[string]string{
			"content_hash": ev.Attrs["content_hash"], "from": "A", "to": "B", "title": lst.Title, "version": "1", "entry_count": ev.Attrs["entry_count"]})
		ev.Attrs["statement_id"] = sid
	})
}

// trust logs that the mediator trusts a party's key.
func (h *hub) trust(t testing.TB, p *party) {
	t.Helper()
	h.appendTo(h.db, 0, 1, func(int) ledger.Event {
		return ledger.Event{Type: mirror.EventKeyTrusted, Time: time.Now(), Actor: "mediator:m", Subject: p.id,
			Attrs: map[string]string{"party": p.id, "kind": "statement", "key": p.vkey}}
	})
}

// fetchList serves a list's canonical bytes from the hub's database as it
// is now, as the hub's list endpoint does.
func (h *hub) fetchList(ctx context.Context, id string) ([]byte, error) {
	var b []byte
	err := h.db.View(ctx, func(tx *store.Tx) error {
		l, err := tx.ListWithEntries(ctx, id)
		if err != nil {
			return err
		}
		b, err = lists.CanonicalBytes(l)
		return err
	})
	return b, err
}

// fillHub writes n non-personal entries with their hashes and one signed
// checkpoint straight into the hub's database, in bulk: building a large
// log entry by entry would take longer than what it serves to measure.
// The served log is exactly what Append would have produced for the same
// events (the same entries, tree and checkpoint format).
func (h *hub) fillHub(t testing.TB, n int) {
	t.Helper()
	ctx := context.Background()
	skey, err := os.ReadFile(filepath.Join(h.dir, "keys", "log.key"))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(strings.TrimSpace(string(skey)))
	if err != nil {
		t.Fatal(err)
	}
	hashes := map[int64]tlog.Hash{}
	hr := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	sqldb := h.db.SQL()
	ph := func(q string) string {
		if h.db.Dialect() != store.Postgres {
			return q
		}
		var b strings.Builder
		k := 0
		for _, c := range q {
			if c == '?' {
				k++
				fmt.Fprintf(&b, "$%d", k)
				continue
			}
			b.WriteRune(c)
		}
		return b.String()
	}
	const chunk = 500
	for start := 0; start < n; start += chunk {
		end := min(start+chunk, n)
		var eq, hq strings.Builder
		var eargs, hargs []any
		eq.WriteString("INSERT INTO log_entries (idx, data, event_type, subject, created_at) VALUES ")
		hq.WriteString("INSERT INTO log_hashes (idx, hash) VALUES ")
		for i := start; i < end; i++ {
			e := event(i)
			data, err := (&ledger.Entry{Type: e.Type, Time: e.Time, Actor: e.Actor, Subject: e.Subject, Attrs: e.Attrs}).Encode()
			if err != nil {
				t.Fatal(err)
			}
			hs, err := tlog.StoredHashes(int64(i), data, hr)
			if err != nil {
				t.Fatal(err)
			}
			if i > start {
				eq.WriteString(", ")
			}
			eq.WriteString("(?, ?, ?, ?, ?)")
			eargs = append(eargs, i, data, e.Type, e.Subject, e.Time.Format(time.RFC3339Nano))
			base := tlog.StoredHashCount(int64(i))
			for k, hh := range hs {
				hashes[base+int64(k)] = hh
				if len(hargs) > 0 {
					hq.WriteString(", ")
				}
				hq.WriteString("(?, ?)")
				hargs = append(hargs, base+int64(k), hh[:])
			}
		}
		if _, err := sqldb.ExecContext(ctx, ph(eq.String()), eargs...); err != nil {
			t.Fatal(err)
		}
		if _, err := sqldb.ExecContext(ctx, ph(hq.String()), hargs...); err != nil {
			t.Fatal(err)
		}
	}
	root, err := tlog.TreeHash(int64(n), hr)
	if err != nil {
		t.Fatal(err)
	}
	text := fmt.Sprintf("%s\n%d\n%s\n", testOrigin, n, b64(root))
	msg, err := note.Sign(&note.Note{Text: text}, signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqldb.ExecContext(ctx, ph("INSERT INTO log_checkpoints (size, note, created_at) VALUES (?, ?, ?)"), n, string(msg), time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
		t.Fatal(err)
	}
	if _, err := sqldb.ExecContext(ctx, ph("UPDATE log_head SET size = ? WHERE id = 1"), n); err != nil {
		t.Fatal(err)
	}
}

func b64(h tlog.Hash) string { return base64.StdEncoding.EncodeToString(h[:]) }
