package service

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"

	"parley/internal/access"
	"parley/internal/ledger"
	"parley/internal/listfile"
	"parley/internal/lists"
	"parley/internal/parties"
	"parley/internal/person"
	"parley/internal/store/storetest"
)

func newService(t testing.TB, b storetest.Backend) *Service {
	t.Helper()
	s, err := New(context.Background(), b.Open(t), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateParties(context.Background(), []parties.Party{{ID: "A", Name: "Party A", Translit: "icao"}, {ID: "B", Name: "Party B", Translit: "ua2010"}}); err != nil {
		t.Fatal(err)
	}
	if err := ledger.Init(b.DataDir, "parley.test/log", []string{"A", "B"}); err != nil {
		t.Fatal(err)
	}
	lg, err := ledger.Open(b.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	s.AttachLedger(lg)
	return s
}

func importFile(t *testing.T, s *Service, actor access.Actor, path string, req ImportRequest) (*ImportResult, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if req.Format == "" {
		req.Format = listfile.Format("csv")
	}
	return s.ImportList(context.Background(), actor, req, f)
}

var (
	officerA = access.Actor{Username: "oa", Roles: []access.Role{access.Officer}, Party: "A"}
	officerB = access.Actor{Username: "ob", Roles: []access.Role{access.Officer}, Party: "B"}
	mediator = access.Actor{Username: "med", Roles: []access.Role{access.Mediator}}
)

func TestListLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newService(t, b)
		res, err := importFile(t, s, officerA, "testdata/first-list.csv", ImportRequest{From: "A", To: "B", Title: "First list"})
		if err != nil {
			t.Fatalf("import: %v (problems %v)", err, res.Read.Problems)
		}
		id := res.List.ID
		l, err := s.GetList(ctx, officerA, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Entries) != 3 || l.State != lists.Draft {
			t.Fatalf("list = %d entries, state %s", len(l.Entries), l.State)
		}
		e := l.Entries[2]
		if e.Surname != "Бондаренко" || strings.Join(e.Categories, ",") != "seriously_ill,wounded" || e.BirthDate.String() != "1985-07-30" {
			t.Errorf("row 3 = %+v", e.Person)
		}
		if e.SurnameLatin != "Bondarenko" {
			t.Errorf("Latin surname = %q, want Bondarenko (receiving party's ua2010)", e.SurnameLatin)
		}
		// The receiving party and the mediator cannot see a draft, not even by id.
		for _, actor := range []access.Actor{officerB, mediator} {
			if _, err := s.GetList(ctx, actor, id); !errors.Is(err, ErrNotFound) {
				t.Errorf("%s reading a draft: err = %v, want not found", actor, err)
			}
			ls, _ := s.ListLists(ctx, actor)
			if len(ls) != 0 {
				t.Errorf("%s sees %d lists before hand-over", actor, len(ls))
			}
		}
		if _, err := s.HandOver(ctx, officerB, id); err == nil {
			t.Error("the receiving party must not hand over the sender's list")
		}
		if _, err := s.Acknowledge(ctx, officerB, id); err == nil {
			t.Error("a draft cannot be acknowledged")
		}
		h, err := s.HandOver(ctx, officerA, id)
		if err != nil {
			t.Fatal(err)
		}
		if h.State != lists.HandedOver || !strings.HasPrefix(h.ContentHash, "sha256:") {
			t.Errorf("after hand-over: state %s hash %q", h.State, h.ContentHash)
		}
		if _, err := s.HandOver(ctx, officerA, id); !errors.Is(err, ErrConflict) {
			t.Errorf("second hand-over: err = %v, want conflict", err)
		}
		full, _ := s.GetList(ctx, officerB, id)
		want, _ := lists.ContentHash(full)
		if want != h.ContentHash {
			t.Errorf("stored hash %s, recomputed %s", h.ContentHash, want)
		}
		if _, err := s.Acknowledge(ctx, officerA, id); err == nil {
			t.Error("the sender must not acknowledge its own list")
		}
		if a, err := s.Acknowledge(ctx, officerB, id); err != nil || a.State != lists.Acknowledged {
			t.Fatalf("acknowledge: %v", err)
		}
		// Hand-over and acknowledgement are in the signed log; the refused
		// attempts are not.
		if n, err := s.db.LogSize(ctx); err != nil || n != 2 {
			t.Errorf("log size = %d (%v), want 2", n, err)
		}
		if r, err := s.lg.Receipt(ctx, s.db, id); err != nil || r == nil {
			t.Errorf("receipt for the handed-over list: %v", err)
		}

		// A change is a new version with a diff.
		res2, err := importFile(t, s, officerA, "testdata/first-list-v2.csv", ImportRequest{From: "A", To: "B", VersionOf: id})
		if err != nil {
			t.Fatal(err)
		}
		v2 := res2.List
		if v2.Version != 2 || v2.RootID != id || v2.PrevID != id || v2.Title != "First list" {
			t.Errorf("version 2 = %+v", v2)
		}
		d, err := s.DiffLists(ctx, officerA, id, v2.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Added) != 1 || len(d.Removed) != 1 || len(d.Changed) != 1 || d.Changed[0].Fields[0].Field != "birth_date" {
			t.Errorf("diff = %+v", d)
		}
		// The frozen version is unchanged.
		again, _ := s.GetList(ctx, officerA, id)
		if h2, _ := lists.ContentHash(again); h2 != h.ContentHash {
			t.Error("a handed-over list changed")
		}
	})
}

func TestImportIsAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newService(t, b)
		res, err := importFile(t, s, officerA, "testdata/bad-list.csv", ImportRequest{From: "A", To: "B", Title: "bad"})
		var ie *ImportError
		if !errors.As(err, &ie) {
			t.Fatalf("err = %v, want ImportError", err)
		}
		got := make([]string, len(ie.Problems))
		for i, p := range ie.Problems {
			got[i] = p.String()
		}
		joined := strings.Join(got, "\n")
		for _, want := range []string{"row 1, column Фамилия", "row 2, column Дата рождения: value \"31.02.2003\"", "row 3, column Категория: value \"пилот\""} {
			if !strings.Contains(joined, want) {
				t.Errorf("problems lack %q:\n%s", want, joined)
			}
		}
		if res.List != nil {
			t.Error("a refused import returned a list")
		}
		ls, _ := s.ListLists(ctx, access.System)
		if len(ls) != 0 {
			t.Fatalf("a refused import stored %d lists", len(ls))
		}
		res, err = importFile(t, s, officerA, "testdata/bad-list.csv", ImportRequest{From: "A", To: "B", Title: "bad", SkipInvalid: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Imported != 1 || res.List == nil {
			t.Fatalf("skip-invalid imported %d rows, want the 1 valid row", res.Imported)
		}
		if len(res.Read.Problems) != 3 {
			t.Errorf("skip-invalid must still report the problems, got %d", len(res.Read.Problems))
		}
	})
}

func TestImportChecksParties(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s := newService(t, b)
		if _, err := importFile(t, s, officerB, "testdata/first-list.csv", ImportRequest{From: "A", To: "B", Title: "x"}); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("B importing as A: err = %v, want forbidden", err)
		}
		if _, err := importFile(t, s, access.System, "testdata/first-list.csv", ImportRequest{From: "A", To: "Z", Title: "x"}); !errors.Is(err, ErrInvalid) {
			t.Errorf("unknown party: err = %v, want invalid", err)
		}
	})
}

func TestFillLatinNeverKeepsCyrillic(t *testing.T) {
	tests := []struct {
		system, surname, given, wantSurname, wantGiven string
	}{
		{"ua2010", "Шевченко", "Сергій", "Shevchenko", "Serhii"},
		{"ua2010", "Малышко", "Андрей", "Malyshko", "Andrei"}, // Russian spelling: ICAO
		{"ua2010", "Эрдман", "Пётр", "Erdman", "Petr"},
		{"icao", "Шевченко", "Юлия", "Shevchenko", "Iuliia"},
	}
	for _, tt := range tests {
		p := person.Person{Surname: tt.surname, GivenNames: tt.given}
		fillLatin(&p, parties.Party{Translit: tt.system})
		if p.SurnameLatin != tt.wantSurname || p.GivenNamesLatin != tt.wantGiven || p.LatinSystem == "" {
			t.Errorf("%s %s %s → %s %s, want %s %s", tt.system, tt.surname, tt.given, p.SurnameLatin, p.GivenNamesLatin, tt.wantSurname, tt.wantGiven)
		}
	}
}
