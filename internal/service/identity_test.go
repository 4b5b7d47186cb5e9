package service_test

import (
	"context"
	"log/slog"
	"os"
	"testing"

	"parley/internal/demo"
	"parley/internal/ledger"
	"parley/internal/listfile"
	"parley/internal/matching"
	"parley/internal/service"
	"parley/internal/service/servicetest"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

func idService(t *testing.T, b storetest.Backend) *service.Service {
	t.Helper()
	ctx := context.Background()
	s, err := service.New(ctx, b.Open(t), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateParties(ctx, demo.Parties); err != nil {
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

func idRegistry(t *testing.T, s *service.Service, file string) *service.ImportResult {
	t.Helper()
	f, err := os.Open("testdata/identity/" + file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := s.ImportRegistry(context.Background(), servicetest.OfficerB, service.RegistryImportRequest{Party: "B", Format: listfile.CSV, SourceName: file}, f)
	if err != nil {
		t.Fatalf("import %s: %v", file, err)
	}
	return res
}

func idList(t *testing.T, s *service.Service, file, versionOf string) string {
	t.Helper()
	ctx := context.Background()
	f, err := os.Open("testdata/identity/" + file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := s.ImportList(ctx, servicetest.OfficerA, service.ImportRequest{From: "A", To: "B", Title: "identity", Format: listfile.CSV, VersionOf: versionOf}, f)
	if err != nil {
		t.Fatalf("import %s: %v", file, err)
	}
	if _, err := s.HandOver(ctx, servicetest.OfficerA, res.List.ID); err != nil {
		t.Fatal(err)
	}
	return res.List.ID
}

// rowsBySurname returns a run's rows by the listed person's surname.
func rowsBySurname(t *testing.T, s *service.Service, runID string) map[string]service.MatchRowDetail {
	t.Helper()
	v, err := s.MatchRun(context.Background(), servicetest.OfficerB, runID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]service.MatchRowDetail{}
	for _, r := range v.Rows {
		out[r.Listed.Surname] = r
	}
	return out
}

// matchAndConfirm runs matching on a list and confirms every match.
func matchAndConfirm(t *testing.T, s *service.Service, listID string, want int) string {
	t.Helper()
	ctx := context.Background()
	run, err := s.RunMatching(ctx, servicetest.OfficerB, service.MatchRequest{ListID: listID})
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.ConfirmAllMatches(ctx, servicetest.OfficerB, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Fatalf("confirmed %d matches in bulk, want %d", n, want)
	}
	// Each confirmation is in the signed log.
	var logged int
	if err := service.StoreOf(s).View(ctx, func(tx *store.Tx) error {
		es, err := tx.FindLogEntries(ctx, "match.reviewed", run.ID)
		logged = len(es)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if logged != want {
		t.Errorf("%d reviews in the log, want %d", logged, want)
	}
	if again, err := s.ConfirmAllMatches(ctx, servicetest.OfficerB, run.ID); err != nil || again != 0 {
		t.Errorf("confirming again: %d, %v", again, err)
	}
	return run.ID
}

// A registry re-imported in another order, with one record edited and one
// removed: every confirmed match still names the same person, the edited
// pair is pending again with the reason, the removed one is flagged.
func TestRegistryReimportKeepsIdentity(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := idService(t, b)
		v1 := idRegistry(t, s, "registry-v1.csv")
		if v1.Registry.Version != 1 || v1.Registry.Added != 5 {
			t.Fatalf("first registry version: %+v", v1.Registry)
		}
		list := idList(t, s, "list-v1.csv", "")
		runID := matchAndConfirm(t, s, list, 4)
		if _, err := s.ConfirmAllMatches(ctx, servicetest.OfficerA, runID); err == nil {
			t.Error("the sender confirmed the receiver's matches")
		}
		before := rowsBySurname(t, s, runID)

		v2 := idRegistry(t, s, "registry-v2.csv")
		if r := v2.Registry; r.Version != 2 || r.Added != 0 || r.Changed != 2 || r.Removed != 1 {
			t.Fatalf("second registry version: %+v", r)
		}
		d := v2.RegistryDiff
		if len(d.Removed) != 1 || d.Removed[0].Surname != "Мельник" || len(d.Changed) != 2 || d.Changed[0].Fields[0].Field != "birth_date" || d.Changed[1].Fields[0].Field != "status" {
			t.Fatalf("registry diff: %+v", d)
		}
		after := rowsBySurname(t, s, runID)
		// Коваленко's status changed, not who he is: his review stands.
		for _, name := range []string{"Шевченко", "Коваленко"} {
			r := after[name]
			if r.Review != "confirmed" || r.Registered == nil || r.Registered.Surname != name || r.ReviewedID != before[name].ReviewedID {
				t.Errorf("%s after the re-import: %+v registered %+v", name, r.Row, r.Registered)
			}
		}
		bondar := after["Бондар"]
		if bondar.Review != "pending" || bondar.ReviewReason != service.ReviewReasonDOBChanged ||
			bondar.ReviewParams["from"] != "1979-11-23" || bondar.ReviewParams["to"] != "1979-12-23" || bondar.ReviewParams["side"] != "registry" {
			t.Errorf("the edited pair: %+v", bondar.Row)
		}
		if bondar.Registered == nil || bondar.Registered.Surname != "Бондар" {
			t.Errorf("the edited pair names %+v", bondar.Registered)
		}
		melnyk := after["Мельник"]
		if melnyk.Review != "pending" || melnyk.ReviewReason != service.ReviewReasonRegistryRemoved || !melnyk.RegisteredRemoved || melnyk.Registered.Surname != "Мельник" {
			t.Errorf("the removed pair: %+v removed=%v", melnyk.Row, melnyk.RegisteredRemoved)
		}
		if err := s.ReviewMatch(ctx, servicetest.OfficerB, runID, melnyk.ListRow, service.ReviewConfirm, ""); err == nil {
			t.Error("a removed registry record was confirmed")
		}
		// The left-off report reads ids, not rows: Ткаченко alone, as before.
		left, err := s.LeftOffReport(ctx, servicetest.OfficerB, runID)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) != 1 || left[0].Surname != "Ткаченко" {
			t.Errorf("left-off after the re-import: %+v", left)
		}
		vs, err := s.RegistryVersions(ctx, servicetest.OfficerB, "B")
		if err != nil || len(vs) != 2 {
			t.Fatalf("versions %+v %v", vs, err)
		}
		if _, err := s.RegistryVersions(ctx, servicetest.OfficerA, "B"); err == nil {
			t.Error("party A read B's registry versions")
		}
	})
}

// A second version of a list with one person dropped and one date of birth
// corrected: reviews carry over except the corrected one, and the dropped
// person is reported in the diff and the left-off report.
func TestListVersionCarriesReviews(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := idService(t, b)
		idRegistry(t, s, "registry-v1.csv")
		l1 := idList(t, s, "list-v1.csv", "")
		run1 := matchAndConfirm(t, s, l1, 4)
		l2 := idList(t, s, "list-v2.csv", l1)
		run2, err := s.RunMatching(ctx, servicetest.OfficerB, service.MatchRequest{ListID: l2})
		if err != nil {
			t.Fatal(err)
		}
		first, second := rowsBySurname(t, s, run1), rowsBySurname(t, s, run2.ID)
		for _, name := range []string{"Шевченко", "Бондар"} {
			r := second[name]
			if r.Review != "confirmed" || r.CarriedFrom != run1 || r.ReviewedID != first[name].ReviewedID || r.EntryID != first[name].EntryID {
				t.Errorf("%s on version 2: %+v", name, r.Row)
			}
		}
		k := second["Коваленко"]
		if k.Review != "pending" || k.ReviewReason != service.ReviewReasonDOBChanged || k.ReviewParams["side"] != "list" ||
			k.ReviewParams["from"] != "1985-05-06" || k.ReviewParams["to"] != "1985-06-05" || k.EntryID != first["Коваленко"].EntryID {
			t.Errorf("the corrected person: %+v", k.Row)
		}
		if _, ok := second["Мельник"]; ok || len(second) != 3 {
			t.Errorf("version 2 run rows: %d", len(second))
		}
		d, err := s.DiffLists(ctx, servicetest.OfficerB, l1, l2)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Removed) != 1 || d.Removed[0].Surname != "Мельник" || len(d.Changed) != 1 {
			t.Errorf("diff: %+v", d)
		}
		left, err := s.LeftOffReport(ctx, servicetest.OfficerB, run2.ID)
		if err != nil {
			t.Fatal(err)
		}
		var dropped bool
		for _, e := range left {
			if e.Surname == "Мельник" {
				dropped = e.DroppedFrom != nil && e.DroppedFrom.ListID == l1 && e.DroppedFrom.Version == 1
			}
		}
		if !dropped || len(left) != 2 {
			t.Errorf("left-off of version 2 (want Мельник, dropped from v1, and Ткаченко): %+v", left)
		}
		gone, err := s.DroppedFromList(ctx, servicetest.OfficerB, l2)
		if err != nil || len(gone) != 1 || gone[0].Name != "Мельник Олег Васильович" {
			t.Errorf("dropped from the list: %+v %v", gone, err)
		}
	})
}

// Namesakes in a registry are kept, both are candidates, and the list row
// that fits both goes to review.
func TestRegistryNamesakes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := idService(t, b)
		res := idRegistry(t, s, "registry-namesakes.csv")
		if res.Imported != 3 || len(res.Read.Namesakes) != 1 || len(res.Read.Warnings) == 0 {
			t.Fatalf("namesakes import: %d imported, namesakes %+v", res.Imported, res.Read.Namesakes)
		}
		l := idList(t, s, "list-v2.csv", "")
		run, err := s.RunMatching(ctx, servicetest.OfficerB, service.MatchRequest{ListID: l})
		if err != nil {
			t.Fatal(err)
		}
		r := rowsBySurname(t, s, run.ID)["Шевченко"]
		if r.Decision == "match" || len(splitCandidates(r.Candidates)) < 2 {
			t.Errorf("a list row fitting two namesakes: %+v", r.Row)
		}
	})
}

func splitCandidates(s string) []string {
	var out []string
	for _, c := range matching.CandidateList(s) {
		out = append(out, c.ID)
	}
	return out
}
