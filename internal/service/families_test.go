package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"parley/internal/access"
	"parley/internal/families"
	"parley/internal/listfile"
	"parley/internal/notify"
	"parley/internal/parties"
	"parley/internal/pfif"
	"parley/internal/service"
	"parley/internal/service/servicetest"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

func famService(t *testing.T, b storetest.Backend) (*service.Service, *servicetest.Log) {
	t.Helper()
	s, err := service.New(context.Background(), b.Open(t), nil, service.WithSecretParams(servicetest.CheapSecrets))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	if err := s.CreateParties(context.Background(), []parties.Party{{ID: "A", Name: "Party A", Translit: "icao"}, {ID: "B", Name: "Party B", Translit: "ua2010"}}); err != nil {
		t.Fatal(err)
	}
	log := &servicetest.Log{}
	s.Log = log
	return s, log
}

// famList imports a list file from A to B through the service and hands it
// over; versionOf makes it a new version of another list.
func famList(t *testing.T, s *service.Service, path, versionOf string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	req := service.ImportRequest{From: "A", To: "B", Title: "Secret title of the list", Format: listfile.Format("csv"), VersionOf: versionOf}
	res, err := s.ImportList(context.Background(), servicetest.OfficerA, req, f)
	if err != nil {
		t.Fatalf("import %s: %v", path, err)
	}
	if _, err := s.HandOver(context.Background(), servicetest.OfficerA, res.List.ID); err != nil {
		t.Fatal(err)
	}
	return res.List.ID
}

var sergii = families.Request{
	Surname: "Шевченко", GivenNames: "Сергій", Patronymic: "Миколайович", BirthDate: "12.03.1999",
	Party: "B", Relationship: "parent", Email: "mother@example.org", Consent: true, Lang: "uk",
}

func register(t *testing.T, s *service.Service, req families.Request) *service.Registration {
	t.Helper()
	reg, err := s.RegisterInquiry(context.Background(), req, service.RegisterOptions{Source: families.SourceWeb})
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	return reg
}

func status(t *testing.T, s *service.Service, reg *service.Registration) families.PublicStatus {
	t.Helper()
	st, err := s.InquiryStatus(context.Background(), reg.Reference, reg.Secret)
	if err != nil {
		t.Fatalf("status of %s: %v", reg.Reference, err)
	}
	return *st
}

func outbox(t *testing.T, s *service.Service) []*store.OutboxItem {
	t.Helper()
	var out []*store.OutboxItem
	if err := service.StoreOf(s).View(context.Background(), func(tx *store.Tx) (err error) {
		out, err = tx.OutboxItems(context.Background(), "")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func pending(t *testing.T, s *service.Service, actor access.Actor) []service.LinkReview {
	t.Helper()
	links, err := s.PendingLinks(context.Background(), actor)
	if err != nil {
		t.Fatalf("pending links of %s: %v", actor, err)
	}
	return links
}

// TestInquiryLife follows one inquiry from registration to repatriation,
// through real lists imported from files and handed over.
func TestInquiryLife(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s, log := famService(t, b)
		s.EnableFamilyLinking()

		reg := register(t, s, sergii)
		if !strings.HasPrefix(reg.Reference, "PX-") || len(reg.Secret) != 23 || reg.Duplicate {
			t.Fatalf("registration = %+v", reg)
		}
		if st := status(t, s, reg); st.Status != families.StatusNone || st.Reference != reg.Reference {
			t.Fatalf("new inquiry status = %+v", st)
		}

		// A list from A to B (B's people held by A) is handed over; it is
		// compared with B's inquiries in the background or, at the latest,
		// when officers ask for the pending links.
		listID := famList(t, s, "testdata/first-list.csv", "")
		links := pending(t, s, servicetest.OfficerB)
		if len(links) != 1 {
			t.Fatalf("officer B sees %d pending links, want 1", len(links))
		}
		lk := links[0]
		if lk.Link.ListID != listID || lk.Link.Row != 1 || lk.Entry.Surname != "Шевченко" || lk.Inquiry.Relative.GivenNames != "Сергій" || lk.Proposed != "listed" {
			t.Errorf("link = %+v, entry %s, inquiry %s", lk.Link, lk.Entry.FullName(), lk.Inquiry.Relative.FullName())
		}
		if lk.Link.Decision != "match" && lk.Link.Decision != "review" {
			t.Errorf("decision %q", lk.Link.Decision)
		}
		if got := pending(t, s, servicetest.OfficerA); len(got) != 0 {
			t.Errorf("officer A (the detaining side) sees %d links of B's inquiries", len(got))
		}
		for _, a := range []access.Actor{servicetest.Mediator, servicetest.Admin, servicetest.Observer} {
			if _, err := s.PendingLinks(ctx, a); !errors.Is(err, access.ErrForbidden) {
				t.Errorf("%s reading pending links: %v, want forbidden", a, err)
			}
		}
		// Pending is not confirmed: the family still hears nothing.
		if st := status(t, s, reg); st.Status != families.StatusNone || st.Date != "" {
			t.Fatalf("status with a pending link = %+v", st)
		}
		if n := len(outbox(t, s)); n != 0 {
			t.Errorf("%d notifications before any confirmation", n)
		}

		if err := s.ConfirmLink(ctx, servicetest.OfficerA, lk.Link.ID, ""); !errors.Is(err, service.ErrNotFound) {
			t.Errorf("officer A confirming B's link: %v, want not found", err)
		}
		if err := s.ConfirmLink(ctx, servicetest.OfficerB, lk.Link.ID, "same man, unit matches"); err != nil {
			t.Fatal(err)
		}
		if err := s.ConfirmLink(ctx, servicetest.OfficerB, lk.Link.ID, ""); !errors.Is(err, service.ErrConflict) {
			t.Errorf("confirming twice: %v, want conflict", err)
		}
		l, err := s.GetList(ctx, servicetest.OfficerB, listID)
		if err != nil {
			t.Fatal(err)
		}
		st := status(t, s, reg)
		if st.Status != families.StatusListed || st.Date != l.HandedOverAt.UTC().Format(time.DateOnly) {
			t.Fatalf("after confirmation status = %+v, want listed on %s", st, l.HandedOverAt)
		}
		box := outbox(t, s)
		if len(box) != 1 || box[0].Channel != "email" || box[0].Recipient != "mother@example.org" {
			t.Fatalf("outbox after confirmation = %+v", box)
		}
		var n notify.Notification
		if err := json.Unmarshal(box[0].Payload, &n); err != nil || n.Kind != notify.KindNews || n.Reference != reg.Reference || n.Lang != "uk" {
			t.Errorf("notification %s (%v)", box[0].Payload, err)
		}

		// The hand-over records outcomes; only those authorised may.
		day := time.Date(2025, 6, 14, 0, 0, 0, 0, time.UTC)
		if _, err := s.SetInquiryOutcome(ctx, servicetest.OfficerA, listID, 1, families.StatusAgreed, day, ""); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("the detaining side recording outcomes: %v, want forbidden", err)
		}
		if _, err := s.SetInquiryOutcome(ctx, servicetest.Observer, listID, 99, families.StatusAgreed, day, ""); !errors.Is(err, service.ErrNotFound) {
			t.Errorf("outcome of a row that does not exist: %v", err)
		}
		if changed, err := s.SetInquiryOutcome(ctx, servicetest.Mediator, listID, 1, families.StatusAgreed, day, ""); err != nil || changed != 1 {
			t.Fatalf("agreed: %d changed, %v", changed, err)
		}
		if st := status(t, s, reg); st.Status != families.StatusAgreed || st.Date != "2025-06-14" {
			t.Errorf("status = %+v, want agreed", st)
		}
		// Another row's outcome changes nothing for this family.
		if changed, err := s.SetInquiryOutcome(ctx, servicetest.Observer, listID, 2, families.StatusRepatriated, day, ""); err != nil || changed != 0 {
			t.Errorf("outcome of an unlinked row: %d changed, %v", changed, err)
		}
		home := time.Date(2025, 6, 15, 0, 0, 0, 0, time.UTC)
		if changed, err := s.SetInquiryOutcome(ctx, servicetest.Observer, listID, 1, families.StatusRepatriated, home, ""); err != nil || changed != 1 {
			t.Fatalf("repatriated: %d, %v", changed, err)
		}
		// Recording the same outcome again tells nobody anything new.
		if changed, err := s.SetInquiryOutcome(ctx, servicetest.Observer, listID, 1, families.StatusRepatriated, home, ""); err != nil || changed != 0 {
			t.Errorf("repeated outcome: %d changed, %v", changed, err)
		}
		st = status(t, s, reg)
		if st.Status != families.StatusRepatriated || st.Date != "2025-06-15" {
			t.Errorf("final status = %+v", st)
		}
		if n := len(outbox(t, s)); n != 3 {
			t.Errorf("%d notifications, want 3 (listed, agreed, repatriated)", n)
		}
		for typ, want := range map[string]int{"inquiry.link_confirmed": 1, "inquiry.status_changed": 3, "entry.outcome": 3} {
			if got := log.Count(typ); got != want {
				t.Errorf("%d %s events, want %d", got, typ, want)
			}
		}
		// The log's clear attributes never carry a name or a row.
		for _, ev := range log.Events() {
			for k, v := range ev.Attrs {
				if strings.Contains(v, "Шевченко") || strings.Contains(v, "mother@") || k == "row" {
					t.Errorf("event %s attribute %s=%q is personal", ev.Type, k, v)
				}
			}
		}
	})
}

// TestInquiryLinking: an inquiry registered after a hand-over is compared
// at once; one registered before is found by a later version; lists of the
// other side's people are never searched for an inquiry.
func TestInquiryLinking(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s, _ := famService(t, b)
		// No EnableFamilyLinking here: a hand-over from the command line has
		// no hook, and the catch-up of PendingLinks must find the lists.
		melnyk := families.Request{Surname: "Мельник", GivenNames: "Олег", Patronymic: "Іванович", BirthDate: "2001-05", Party: "B", Relationship: "spouse", Email: "wife@example.org", Consent: true}
		register(t, s, melnyk)
		// An inquiry about a relative on side A with the name of a person
		// on B's list: never linked.
		register(t, s, families.Request{Surname: "Шевченко", GivenNames: "Сергей", BirthDate: "1999-03-12", Party: "A", Relationship: "sibling", Email: "a@example.org", Consent: true})

		v1 := famList(t, s, "testdata/first-list.csv", "")
		register(t, s, families.Request{Surname: "Коваленко", GivenNames: "Олексій", Patronymic: "Петрович", BirthDate: "01.02.2003", Party: "B", Relationship: "parent", Email: "k@example.org", Consent: true})
		links := pending(t, s, servicetest.OfficerB)
		if len(links) != 1 || links[0].Entry.Surname != "Коваленко" || links[0].Link.ListID != v1 {
			t.Fatalf("after v1: %d links %+v", len(links), links)
		}
		if got := pending(t, s, servicetest.OfficerA); len(got) != 0 {
			t.Errorf("officer A has %d links; A's inquiry must not match B's people", len(got))
		}
		v2 := famList(t, s, "testdata/first-list-v2.csv", v1)
		links = pending(t, s, servicetest.OfficerB)
		found := map[string]bool{}
		var kov string
		for _, l := range links {
			found[l.Entry.Surname+"@"+l.Link.ListID] = true
			if l.Entry.Surname == "Коваленко" && l.Link.ListID == v1 {
				kov = l.Link.ID
			}
		}
		// Коваленко is on both versions (v2 swaps day and month of his
		// birth) and is one person: his family is linked once, to v1.
		// Мельник is only on v2.
		if !found["Мельник@"+v2] || !found["Коваленко@"+v1] || found["Коваленко@"+v2] || len(links) != 2 {
			t.Fatalf("after v2 the pending links are %v", found)
		}
		// A rejected link is not proposed again, even after a full re-run.
		if err := s.RejectLink(ctx, servicetest.OfficerB, kov); err != nil {
			t.Fatal(err)
		}
		if err := s.RelinkInquiries(ctx, servicetest.OfficerB); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("an officer re-running the comparison: %v", err)
		}
		if err := s.RelinkInquiries(ctx, access.System); err != nil {
			t.Fatal(err)
		}
		for _, l := range pending(t, s, servicetest.OfficerB) {
			if l.Link.ID == kov || (l.Entry.Surname == "Коваленко" && l.Link.ListID == v1) {
				t.Errorf("the rejected link came back: %+v", l.Link)
			}
		}
	})
}

func TestInquiryWithdrawConfirmedLink(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s, _ := famService(t, b)
		reg := register(t, s, sergii)
		famList(t, s, "testdata/first-list.csv", "")
		links := pending(t, s, servicetest.OfficerB)
		if len(links) != 1 {
			t.Fatalf("%d links", len(links))
		}
		if err := s.ConfirmLink(ctx, servicetest.OfficerB, links[0].Link.ID, ""); err != nil {
			t.Fatal(err)
		}
		if st := status(t, s, reg); st.Status != families.StatusListed {
			t.Fatalf("status %+v", st)
		}
		if err := s.RejectLink(ctx, servicetest.OfficerB, links[0].Link.ID); err != nil {
			t.Fatal(err)
		}
		if st := status(t, s, reg); st.Status != families.StatusNone || st.Date != "" {
			t.Errorf("after withdrawal status = %+v, want none", st)
		}
		if n := len(outbox(t, s)); n != 2 {
			t.Errorf("%d notifications, want 2 (the news, then its correction)", n)
		}
		if err := s.RejectLink(ctx, servicetest.OfficerB, links[0].Link.ID); !errors.Is(err, service.ErrConflict) {
			t.Errorf("rejecting twice: %v", err)
		}
	})
}

func TestInquiryDuplicateAndSecrets(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s, _ := famService(t, b)
		reg := register(t, s, sergii)

		again := sergii
		again.Surname, again.BirthDate, again.Email = "  шевченко ", "1999-03-12", "mother@example.org"
		again.Relationship = "other_relative"
		dup := register(t, s, again)
		if !dup.Duplicate || dup.Reference != reg.Reference || dup.Secret != "" {
			t.Fatalf("repeated submission = %+v, want the same reference and no secret", dup)
		}
		other := sergii
		other.Email = "brother@example.org"
		if r := register(t, s, other); r.Duplicate || r.Reference == reg.Reference {
			t.Errorf("another contact's inquiry about the same man is its own inquiry: %+v", r)
		}

		// The secret as typed: lower case, without dashes, O for 0.
		typed := strings.ToLower(strings.ReplaceAll(reg.Secret, "-", " "))
		if _, err := s.InquiryStatus(ctx, strings.ToLower(reg.Reference), typed); err != nil {
			t.Errorf("the secret typed loosely is refused: %v", err)
		}
		wrong := families.NewSecret()
		for _, c := range []struct{ ref, secret string }{
			{reg.Reference, wrong}, {"PX-0000-0000", reg.Secret}, {"nonsense", reg.Secret}, {reg.Reference, ""},
		} {
			if _, err := s.InquiryStatus(ctx, c.ref, c.secret); !errors.Is(err, service.ErrNotRecognised) {
				t.Errorf("status(%q, %q) = %v, want not recognised", c.ref, c.secret, err)
			}
		}

		// A new secret goes to the registered contact through the outbox.
		if err := s.RequestNewSecret(ctx, reg.Reference); err != nil {
			t.Fatal(err)
		}
		if err := s.RequestNewSecret(ctx, "PX-0000-0000"); err != nil {
			t.Errorf("an unknown reference must answer like a known one: %v", err)
		}
		box := outbox(t, s)
		if len(box) != 1 || box[0].Recipient != "mother@example.org" {
			t.Fatalf("outbox = %+v", box)
		}
		var n notify.Notification
		if err := json.Unmarshal(box[0].Payload, &n); err != nil || n.Kind != notify.KindNewSecret || n.Secret == "" {
			t.Fatalf("new-secret notification %s", box[0].Payload)
		}
		if err := s.RequestNewSecret(ctx, reg.Reference); err != nil || len(outbox(t, s)) != 1 {
			t.Errorf("a second request within the hour must send nothing (err %v)", err)
		}
		// The old secret works until the new one is used, then only the new.
		if _, err := s.InquiryStatus(ctx, reg.Reference, reg.Secret); err != nil {
			t.Errorf("old secret before the new one is used: %v", err)
		}
		if _, err := s.InquiryStatus(ctx, reg.Reference, n.Secret); err != nil {
			t.Fatalf("new secret: %v", err)
		}
		if _, err := s.InquiryStatus(ctx, reg.Reference, reg.Secret); !errors.Is(err, service.ErrNotRecognised) {
			t.Errorf("old secret after the new one was used: %v", err)
		}
	})
}

func TestInquiryValidationThroughService(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s, _ := famService(t, b)
		req := sergii
		req.Party, req.Email, req.Consent = "Z", "", false
		_, err := s.RegisterInquiry(context.Background(), req, service.RegisterOptions{})
		var verr *families.ValidationError
		if !errors.As(err, &verr) || !errors.Is(err, service.ErrInvalid) {
			t.Fatalf("err = %v, want a validation error", err)
		}
		for field, code := range map[string]string{"party": families.CodeUnknownParty, "email": families.CodeContactRequired, "consent": families.CodeConsentRequired} {
			if fe, ok := verr.Field(field); !ok || fe.Code != code {
				t.Errorf("field %s: %+v, want %s", field, fe, code)
			}
		}
	})
}

// TestInquiryPFIFRoundTrip imports PFIF records as inquiries, exports them
// and imports the export into another installation: record ids, names,
// partial dates and notes survive, and the second export is the first.
func TestInquiryPFIFRoundTrip(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		fixed := func() time.Time { return time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC) }
		s1, _ := famService(t, b)
		s1.Now = fixed
		var orig []pfif.Person
		topNotes := map[string]int{}
		for _, name := range []string{"pfif-1.4-full.xml", "pfif-1.4-partial-dates.xml"} {
			path := "../pfif/testdata/" + name
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := pfif.Parse(bytes.NewReader(b), pfif.ParseOptions{})
			if err != nil {
				t.Fatal(err)
			}
			orig = append(orig, doc.Persons...)
			for _, n := range doc.Notes {
				topNotes[n.PersonRecordID]++
			}
			res, err := s1.ImportInquiriesPFIF(ctx, access.System, bytes.NewReader(b), service.PFIFImportOptions{Party: "B"})
			if err != nil {
				t.Fatalf("import %s: %v", name, err)
			}
			if res.Imported != len(doc.Persons) {
				t.Errorf("%s: imported %d of %d (skipped %v)", name, res.Imported, len(doc.Persons), res.Skipped)
			}
		}
		// Importing again adds nothing.
		f, _ := os.Open("../pfif/testdata/pfif-1.4-partial-dates.xml")
		res, err := s1.ImportInquiriesPFIF(ctx, access.System, f, service.PFIFImportOptions{Party: "B"})
		f.Close()
		if err != nil || res.Imported != 0 || len(res.Skipped) != 3 {
			t.Errorf("second import: %+v, %v", res, err)
		}

		var exp1 bytes.Buffer
		if n, err := s1.ExportInquiriesPFIF(ctx, access.System, &exp1, service.PFIFExportOptions{Domain: "parley.test"}); err != nil || n != len(orig) {
			t.Fatalf("export: %d, %v", n, err)
		}
		got, err := pfif.Parse(bytes.NewReader(exp1.Bytes()), pfif.ParseOptions{})
		if err != nil {
			t.Fatalf("the export is not valid PFIF: %v\n%s", err, exp1.String())
		}
		byID := map[string]pfif.Person{}
		for _, p := range got.Persons {
			byID[p.RecordID] = p
		}
		for _, o := range orig {
			e, ok := byID[o.RecordID]
			if !ok {
				t.Errorf("record %s lost", o.RecordID)
				continue
			}
			if e.FullName != o.FullName || e.FamilyName != o.FamilyName || e.GivenName != o.GivenName || e.DateOfBirth != o.DateOfBirth ||
				e.SourceDate != o.SourceDate || e.HomeCity != o.HomeCity || e.Description != o.Description {
				t.Errorf("record %s changed:\n got %+v\nwant %+v", o.RecordID, e, o)
			}
			if len(e.Notes) != len(o.Notes)+topNotes[o.RecordID] {
				t.Errorf("record %s: %d notes, want %d", o.RecordID, len(e.Notes), len(o.Notes)+topNotes[o.RecordID])
			}
		}
		if len(byID["example.org/person.1002"].Notes) != 1 || byID["example.org/person.1002"].Notes[0].NoteRecordID != "example.net/note.9" {
			t.Errorf("the top-level note about person.1002 was not kept with it")
		}

		s2, _ := famService(t, storetest.Backend{Name: "sqlite", DataDir: t.TempDir()})
		s2.Now = fixed
		if _, err := s2.ImportInquiriesPFIF(ctx, access.System, bytes.NewReader(exp1.Bytes()), service.PFIFImportOptions{Party: "B"}); err != nil {
			t.Fatal(err)
		}
		var exp2 bytes.Buffer
		if _, err := s2.ExportInquiriesPFIF(ctx, access.System, &exp2, service.PFIFExportOptions{Domain: "parley.test"}); err != nil {
			t.Fatal(err)
		}
		if exp1.String() != exp2.String() {
			t.Errorf("import → export → import changed the records:\nfirst:\n%s\nsecond:\n%s", exp1.String(), exp2.String())
		}
		// Officers export only their own side's inquiries; others none.
		if _, err := s1.ExportInquiriesPFIF(ctx, servicetest.OfficerA, &bytes.Buffer{}, service.PFIFExportOptions{Party: "B"}); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("officer A exporting B's inquiries: %v", err)
		}
	})
}

func TestInquiryPFIFStatusNote(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s, _ := famService(t, b)
		register(t, s, sergii)
		listID := famList(t, s, "testdata/first-list.csv", "")
		links := pending(t, s, servicetest.OfficerB)
		if len(links) != 1 {
			t.Fatalf("%d links", len(links))
		}
		if err := s.ConfirmLink(ctx, servicetest.OfficerB, links[0].Link.ID, ""); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if _, err := s.ExportInquiriesPFIF(ctx, servicetest.OfficerB, &out, service.PFIFExportOptions{Party: "B", Domain: "parley.test"}); err != nil {
			t.Fatal(err)
		}
		doc, err := pfif.Parse(&out, pfif.ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(doc.Persons) != 1 || len(doc.Persons[0].Notes) != 1 {
			t.Fatalf("export = %+v", doc.Persons)
		}
		p, n := doc.Persons[0], doc.Persons[0].Notes[0]
		if p.FamilyName != "Шевченко" || p.DateOfBirth != "1999-03-12" || p.AuthorEmail != "" {
			t.Errorf("person = %+v", p)
		}
		if n.Status != pfif.StatusBelievedAlive || !strings.Contains(n.Text, "handed over") {
			t.Errorf("note = %+v", n)
		}
		for _, leak := range []string{"Коваленко", "Бондаренко", "Secret title", listID, "mother@"} {
			if strings.Contains(out.String(), leak) {
				t.Errorf("the export carries %q", leak)
			}
		}
	})
}

func TestPublicFigures(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s, _ := famService(t, b)
		register(t, s, sergii)
		listID := famList(t, s, "testdata/first-list.csv", "")
		if _, err := s.SetInquiryOutcome(ctx, servicetest.Observer, listID, 2, families.StatusRepatriated, time.Date(2025, 6, 15, 0, 0, 0, 0, time.UTC), ""); err != nil {
			t.Fatal(err)
		}
		f, err := s.PublicFigures(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if f.Lists.Count != 1 || f.Listed.Count != 3 || f.Repatriated.Count != 1 || f.Inquiries.Count != 1 {
			t.Errorf("figures at threshold 1 = %+v", f)
		}
		cats := map[string]int{}
		for _, r := range f.ByCategory {
			cats[r.Key] = r.Cell.Count
		}
		if cats["seriously_ill"] != 2 || cats["wounded"] != 1 || cats["youth"] != 1 {
			t.Errorf("by category = %v", cats)
		}
		if len(f.ListedOverTime) != 1 || f.ListedOverTime[0].Total != 3 {
			t.Errorf("listed over time = %+v", f.ListedOverTime)
		}
		f, err = s.PublicFigures(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		js, _ := json.Marshal(f)
		if !f.Listed.Suppressed || f.Listed.String() != "< 10" || len(f.ListedOverTime) != 0 || strings.Contains(string(js), `"count":3`) {
			t.Errorf("figures at the default threshold publish small counts: %s", js)
		}
		if f.Lists.Suppressed {
			t.Error("the number of lists is not about persons and need not be hidden")
		}
	})
}
