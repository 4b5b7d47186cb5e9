package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley/internal/access"
	"parley/internal/lists"
	"parley/internal/parties"
	"parley/internal/person"
	"parley/internal/service"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

// process is one Parley process over a database that another may share:
// its own service (with its own cache of frozen pages) and web server.
type process struct {
	t   *testing.T
	db  *store.DB
	svc *service.Service
	ts  *httptest.Server
}

func newProcess(t *testing.T, b storetest.Backend) *process {
	t.Helper()
	ctx := context.Background()
	db := b.Open(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := service.New(ctx, db, logger, service.WithPasswordParams(cheapPasswords))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	srv, err := New(svc, Options{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	p := &process{t: t, db: db, svc: svc, ts: httptest.NewServer(srv.Handler())}
	t.Cleanup(p.ts.Close)
	return p
}

// session signs a user in through this process.
func (p *process) session(user string) string {
	p.t.Helper()
	ctx := context.Background()
	a, err := p.svc.Authenticate(ctx, user, password(user))
	if err != nil {
		p.t.Fatal(err)
	}
	s, err := p.svc.StartSession(ctx, a, time.Hour)
	if err != nil {
		p.t.Fatal(err)
	}
	return s.ID
}

func (p *process) get(session, path string) (int, string) {
	p.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, p.ts.URL+path, nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: session})
	req.Header.Set("Accept-Language", "en")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

const roleOfficerC = "officer-c"

// TestFrozenListPagesCached: the pages of a handed-over list are kept by
// each process, and must never show what another reader may not see, a
// draft's old rows, or a name as markup. Two processes share one
// database, as two servers behind one address would.
func TestFrozenListPagesCached(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		one, two := newProcess(t, b), newProcess(t, b)
		if err := one.svc.CreateParties(ctx, []parties.Party{{ID: "A", Name: "Arcadia", Translit: "ua2010"}, {ID: "B", Name: "Borduria", Translit: "icao"}, {ID: "C", Name: "Carpania", Translit: "icao"}}); err != nil {
			t.Fatal(err)
		}
		for _, u := range []service.NewUser{
			{Username: roleOfficerA, Roles: []access.Role{access.Officer}, Party: "A"},
			{Username: roleOfficerB, Roles: []access.Role{access.Officer}, Party: "B"},
			{Username: roleOfficerC, Roles: []access.Role{access.Officer}, Party: "C"},
		} {
			u.Password = password(u.Username)
			if err := one.svc.CreateUser(ctx, access.System, u); err != nil {
				t.Fatal(err)
			}
		}
		f, err := os.Open(filepath.Join("testdata", "hostile_names.csv"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		res, err := one.svc.ImportList(ctx, access.System, service.ImportRequest{From: "A", To: "B", Title: "Hostile & <names>", Format: "csv"}, f)
		if err != nil {
			t.Fatal(err)
		}
		id := res.List.ID
		if n := res.List.EntryCount; n != 3 {
			t.Fatalf("imported %d hostile rows, want 3", n)
		}
		page := "/lists/" + id
		a1, a2 := one.session(roleOfficerA), two.session(roleOfficerA)
		b1, b2 := one.session(roleOfficerB), two.session(roleOfficerB)
		c1, c2 := one.session(roleOfficerC), two.session(roleOfficerC)

		// shows fetches the page through a process and checks what it
		// must and must not hold.
		shows := func(p *process, sess, step string, want, not []string) {
			t.Helper()
			code, body := p.get(sess, page)
			if code != http.StatusOK {
				t.Fatalf("%s: status %d: %.300s", step, code, body)
			}
			for _, w := range want {
				if !strings.Contains(body, w) {
					t.Errorf("%s: the page lacks %q", step, w)
				}
			}
			for _, n := range not {
				if strings.Contains(body, n) {
					t.Errorf("%s: the page holds %q", step, n)
				}
			}
		}
		// The names as they must appear, escaped, and as they must never.
		escaped := []string{
			"&lt;script&gt;alert(1)&lt;/script&gt;",
			"O&#39;Brien &amp; Sons",
			"&#34;&gt;&lt;img src=x onerror=alert(2)&gt;",
			"Коваль&lt;/td&gt;&lt;/tr&gt;&lt;script&gt;x&lt;/script&gt;",
			"soldier&#34; onmouseover=&#34;x",
			"AA-2&amp;amp;",
		}
		raw := []string{"<script>alert(1)", "<img src=x", "<script>x</script>", `soldier" onmouseover`, "AA-1<b>"}

		// A draft: each view reads the database; a change is on the next.
		shows(one, a1, "draft, first view", escaped, raw)
		shows(two, a2, "draft, other process", escaped, raw)
		var hostile []lists.Entry
		replace := func(es []lists.Entry) {
			t.Helper()
			if err := one.db.Update(ctx, func(tx *store.Tx) error {
				if hostile == nil {
					var err error
					if hostile, err = tx.Entries(ctx, id); err != nil {
						return err
					}
				}
				return tx.ReplaceDraftEntries(ctx, id, es)
			}); err != nil {
				t.Fatal(err)
			}
		}
		replace([]lists.Entry{{Row: 1, ID: id + "-1", Person: person.Person{Kind: person.KindPOW, Surname: "Draftchanged", GivenNames: "<i>Once</i>"}}})
		shows(one, a1, "draft changed, same process", []string{"Draftchanged", "&lt;i&gt;Once&lt;/i&gt;"}, append(raw, "O&#39;Brien", "<i>Once"))
		shows(two, a2, "draft changed, other process", []string{"Draftchanged"}, append(raw, "O&#39;Brien"))
		replace(hostile)
		shows(one, a1, "draft changed back", escaped, append(raw, "Draftchanged"))

		// The receiving party cannot see the draft, then can once handed
		// over; the third party never can, whoever read the page before.
		for _, p := range []struct {
			p    *process
			sess string
		}{{one, b1}, {two, b2}, {one, c1}, {two, c2}} {
			if code, _ := p.p.get(p.sess, page); code != http.StatusNotFound {
				t.Errorf("draft seen by another party: status %d, want 404", code)
			}
		}
		if _, err := two.svc.HandOver(ctx, access.System, id); err != nil {
			t.Fatal(err)
		}
		for range 2 { // the second view is served from the caches
			shows(one, a1, "handed over, sender", escaped, append(raw, "Draftchanged"))
			shows(one, b1, "handed over, receiver", escaped, raw)
			shows(two, b2, "handed over, receiver, other process", escaped, raw)
			for _, p := range []struct {
				p    *process
				sess string
			}{{one, c1}, {two, c2}} {
				if code, body := p.p.get(p.sess, page); code != http.StatusNotFound || strings.Contains(body, "alert(1)") {
					t.Errorf("a third party's view of a cached list: status %d, want 404", code)
				}
			}
		}
		// What is read on every view follows the other process's change:
		// the receiver's acknowledgement there is shown here.
		if _, _, err := two.svc.AcknowledgeWithReservation(ctx, access.System, id, ""); err != nil {
			t.Fatal(err)
		}
		shows(one, a1, "acknowledged in the other process", append(escaped, "state-acknowledged"), append(raw, "state-handed_over"))
	})
}
