package familyweb_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"parley/internal/access"
	"parley/internal/families"
	"parley/internal/handover"
	"parley/internal/listfile"
	"parley/internal/negotiation"
	"parley/internal/pfif"
	"parley/internal/service"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

// familySees is what one family is shown at one moment, through the real
// status page, the status API and the PFIF export of its side.
type familySees struct {
	status  families.Status
	page    []string // texts the page shows
	pfif    string   // the PFIF status of the newest note
	wording string
}

// TestOnePersonThroughEveryOutcome walks one person through every state of
// families.Table — listed, agreed, interviewed, refused (told as "not
// repatriated"), refused with his consent to tell, not presented,
// substituted, deceased, remains identified — and another person handed
// over in his place, and checks at each step what the family sees on its
// page, in the API and in the PFIF export. A death reaches the family only
// after an officer of its own side releases it, with that side's text.
func TestOnePersonThroughEveryOutcome(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		e := newEnv(t, b, nil)
		fam := e.browser()
		fam.header.Set("Accept-Language", "en")
		reg := func(form url.Values) (string, string) {
			done := fam.submit("/family/inquire", "/family/inquire", form)
			ref, sec := refRE.FindStringSubmatch(done.body), secretRE.FindStringSubmatch(done.body)
			if done.code != http.StatusCreated || ref == nil || sec == nil {
				t.Fatalf("registration: %d\n%s", done.code, done.body)
			}
			return ref[1], sec[1]
		}
		ref, sec := reg(sergiiForm())
		subForm := sergiiForm()
		subForm.Set("surname", "Коваленко")
		subForm.Set("given_names", "Алексей")
		subForm.Set("patronymic", "Петрович")
		subForm.Set("birth_date", "01.02.2003")
		subForm.Set("email", "father@example.org")
		subRef, subSec := reg(subForm)

		listA := e.handOver("../service/testdata/first-list.csv", "")
		listB := importCSV(t, e, "B", "A", "kind,surname,given_names,birth_date,rank,service_number\n"+
			"pow,Петров,Иван,1990-01-01,рядовой,B-1\npow,Сидоров,Олег,1991-01-01,рядовой,B-2\npow,Смирнов,Павел,1992-01-01,рядовой,B-3\n"+
			"pow,Кузнецов,Денис,1993-01-01,рядовой,B-4\npow,Попов,Егор,1994-01-01,рядовой,B-5\n")
		links, err := e.svc.PendingLinks(ctx, officerB)
		if err != nil || len(links) != 2 {
			t.Fatalf("pending links: %d %v", len(links), err)
		}
		for _, l := range links {
			if err := e.svc.ConfirmLink(ctx, officerB, l.Link.ID, ""); err != nil {
				t.Fatal(err)
			}
		}

		check := func(step string, ref, sec string, want familySees) {
			surname := "Шевченко"
			if ref == subRef {
				surname = "Коваленко"
			}
			t.Helper()
			page := fam.submit("/family/status", "/family/status", url.Values{"reference": {ref}, "secret": {sec}})
			api := fam.postJSON("/api/v1/inquiries/status", map[string]string{"reference": ref, "secret": sec})
			var st families.PublicStatus
			if err := json.Unmarshal([]byte(api.body), &st); err != nil || api.code != 200 {
				t.Fatalf("%s: API %d %s", step, api.code, api.body)
			}
			if st.Status != want.status || st.Wording != want.wording {
				t.Errorf("%s: API says %q %q, want %q %q", step, st.Status, st.Wording, want.status, want.wording)
			}
			for _, s := range want.page {
				if !strings.Contains(page.body, s) {
					t.Errorf("%s: the page lacks %q:\n%s", step, s, page.body)
				}
			}
			assertNoLeak(t, step+" page", page.body, listA, "refus", "not presented", "substitut")
			if want.status != families.StatusDeclined {
				// Without his consent a refusal is told as any other
				// reason for not coming home.
				assertNoLeak(t, step+" page", page.body, "declin", "chose not")
				assertNoLeak(t, step+" API", api.body, "declin")
			}
			var buf bytes.Buffer
			if _, err := e.svc.ExportInquiriesPFIF(ctx, officerB, &buf, service.PFIFExportOptions{Party: "B"}); err != nil {
				t.Fatal(err)
			}
			doc, err := pfif.Parse(&buf, pfif.ParseOptions{})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, p := range doc.Persons {
				if p.FamilyName != surname || len(p.Notes) == 0 {
					continue
				}
				found = true
				last := p.Notes[len(p.Notes)-1]
				if last.Status != want.pfif {
					t.Errorf("%s: PFIF status %q, want %q", step, last.Status, want.pfif)
				}
				if want.wording != "" && !strings.Contains(last.Text, want.wording) {
					t.Errorf("%s: PFIF note %q lacks the released text", step, last.Text)
				}
			}
			if !found {
				t.Errorf("%s: no PFIF note for the inquiry", step)
			}
		}
		check("listed", ref, sec, familySees{status: families.StatusListed, page: []string{"named on a list"}, pfif: pfif.StatusBelievedAlive})

		round, err := e.svc.CreateRound(ctx, mediator, service.RoundRequest{Title: "Round", Parties: [2]string{"A", "B"}})
		if err != nil {
			t.Fatal(err)
		}
		stage := func(bRow int) string {
			t.Helper()
			v, err := e.svc.SubmitProposal(ctx, officerA, service.ProposalRequest{RoundID: round.ID, Terms: negotiation.Terms{Rule: negotiation.OneForOne},
				Releases: []service.ReleaseRef{{ListID: listA, Row: 1}, {ListID: listB, Row: bRow}}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.AcceptProposal(ctx, officerB, v.ID, ""); err != nil {
				t.Fatal(err)
			}
			a, err := e.svc.WitnessProposal(ctx, mediator, v.ID)
			if err != nil {
				t.Fatal(err)
			}
			return a.ID
		}
		agreed := familySees{status: families.StatusAgreed, page: []string{"included in an agreed stage"}, pfif: pfif.StatusBelievedAlive}
		notHome := familySees{status: families.StatusNotRepatriated, page: []string{"was not repatriated in this stage"}}

		// Stage 1: he refuses at the private interview; his family hears
		// only that he was not repatriated in this stage.
		g := stage(1)
		check("agreed", ref, sec, agreed)
		if _, err := e.svc.RecordInterview(ctx, observer, g, listA, 1, handover.Refuses); err != nil {
			t.Fatal(err)
		}
		check("refused", ref, sec, notHome)

		// Stage 2: he refuses again and agrees that his family be told.
		g = stage(2)
		check("agreed again", ref, sec, agreed)
		if _, err := e.svc.RecordInterviewDisclosed(ctx, observer, g, listA, 1, handover.Refuses, true); err != nil {
			t.Fatal(err)
		}
		check("declined, told with consent", ref, sec, familySees{status: families.StatusDeclined, page: []string{"chose not to be repatriated"}, pfif: pfif.StatusBelievedAlive})

		// Stage 3: he consents (the interview is private: nothing changes),
		// then is not presented.
		g = stage(3)
		if _, err := e.svc.RecordInterview(ctx, observer, g, listA, 1, handover.Consents); err != nil {
			t.Fatal(err)
		}
		check("interviewed", ref, sec, agreed)
		if _, err := e.svc.RecordOutcome(ctx, observer, service.OutcomeRequest{AgreementID: g, ListID: listA, Row: 1, Outcome: handover.NotPresented}); err != nil {
			t.Fatal(err)
		}
		check("not presented", ref, sec, notHome)

		// Stage 4: another person is brought in his place; that person's
		// family hears he is home.
		g = stage(4)
		if _, err := e.svc.RecordOutcome(ctx, observer, service.OutcomeRequest{AgreementID: g, ListID: listA, Row: 1, Outcome: handover.Substituted,
			Substitute: &service.SubstituteRequest{ListID: listA, Row: 2, Interview: handover.Consents}}); err != nil {
			t.Fatal(err)
		}
		check("substituted", ref, sec, notHome)
		check("handed over in his place", subRef, subSec, familySees{status: families.StatusRepatriated, page: []string{"has come home"}, pfif: pfif.StatusBelievedAlive})

		// Stage 5: he dies before the handover. The outcome needs the
		// record of the death; the family hears nothing until its own side
		// releases the news.
		g = stage(5)
		_, err = e.svc.RecordOutcome(ctx, observer, service.OutcomeRequest{AgreementID: g, ListID: listA, Row: 1, Outcome: handover.Deceased})
		if !errors.Is(err, service.ErrConflict) {
			t.Fatalf("deceased without a death record: %v", err)
		}
		if _, err := e.svc.RecordDeath(ctx, officerB, service.DeathRequest{ListID: listA, Row: 1, ReportedBy: "x"}); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("the person's own side recorded a death reported by the detaining side: %v", err)
		}
		d, err := e.svc.RecordDeath(ctx, officerA, service.DeathRequest{ListID: listA, Row: 1, DiedOn: "2025-05-20", Place: "Camp 3", Cause: "heart failure",
			Burial: "cemetery of the village of N., grave 12", ReportedBy: "camp commandant", Documents: []string{"death certificate 17/2025"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.RecordOutcome(ctx, observer, service.OutcomeRequest{AgreementID: g, ListID: listA, Row: 1, Outcome: handover.HandedOver}); err == nil || !strings.Contains(err.Error(), "death in captivity") {
			t.Errorf("handed over alive with a death on record: %v", err)
		}
		if _, err := e.svc.RecordOutcome(ctx, observer, service.OutcomeRequest{AgreementID: g, ListID: listA, Row: 1, Outcome: handover.Deceased}); err != nil {
			t.Fatal(err)
		}
		check("deceased, not released", ref, sec, agreed)
		outbox := func() int {
			n := 0
			if err := e.db.View(ctx, func(tx *store.Tx) error {
				items, err := tx.OutboxItems(ctx, "")
				n = len(items)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := outbox()
		if _, _, err := e.svc.ReleaseDeath(ctx, officerA, d.ID, "text of the other side"); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("the detaining side released the news: %v", err)
		}
		if _, _, err := e.svc.ReleaseDeath(ctx, mediator, d.ID, "text of the mediator"); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("the mediator released the news: %v", err)
		}
		if _, err := e.svc.SetInquiryOutcome(ctx, observer, listA, 1, families.StatusDeceased, d.RecordedAt, "x"); !errors.Is(err, service.ErrInvalid) {
			t.Errorf("a death set as a plain outcome: %v", err)
		}
		check("still not released", ref, sec, agreed)
		if outbox() != before {
			t.Error("a notification went out before the release")
		}
		text := "We are deeply sorry. Please call the tracing office on 0 800 000 000; an officer will visit you."
		if _, n, err := e.svc.ReleaseDeath(ctx, officerB, d.ID, text); err != nil || n != 1 {
			t.Fatalf("release: %d families, %v", n, err)
		}
		check("deceased, released", ref, sec, familySees{status: families.StatusDeceased, wording: text,
			page: []string{"died in captivity on 2025-05-20", "A message from the officials of your side:", "call the tracing office"}, pfif: pfif.StatusBelievedDead})
		if outbox() == before {
			t.Error("the family was not told there is news")
		}
		if _, _, err := e.svc.ReleaseDeath(ctx, officerB, d.ID, text); !errors.Is(err, service.ErrConflict) {
			t.Errorf("released twice: %v", err)
		}

		// The remains are identified; again the family hears it from its
		// own side.
		if _, err := e.svc.RecordRemainsIdentified(ctx, observer, d.ID, "DNA confirmed"); err != nil {
			t.Fatal(err)
		}
		check("remains identified, not released", ref, sec, familySees{status: families.StatusDeceased, wording: text,
			page: []string{"died in captivity"}, pfif: pfif.StatusBelievedDead})
		text2 := "The remains of your relative have been identified. The tracing office will call you about the burial."
		if _, _, err := e.svc.ReleaseDeath(ctx, officerB, d.ID, text2); err != nil {
			t.Fatal(err)
		}
		check("remains identified", ref, sec, familySees{status: families.StatusRemainsIdentified, wording: text2,
			page: []string{"His remains have been identified", "burial"}, pfif: pfif.StatusBelievedDead})

		// A dead man is never proposed for release again.
		if _, err := e.svc.SubmitProposal(ctx, officerA, service.ProposalRequest{RoundID: round.ID, Terms: negotiation.Terms{Rule: negotiation.OneForOne},
			Releases: []service.ReleaseRef{{ListID: listA, Row: 1}, {ListID: listB, Row: 5}}}); !errors.Is(err, service.ErrConflict) || !strings.Contains(err.Error(), "died") {
			t.Errorf("a proposal released a dead man: %v", err)
		}

		// Nothing automatic replaces the released news.
		if _, err := e.svc.SetInquiryOutcome(ctx, observer, listA, 1, families.StatusRepatriated, d.RecordedAt, ""); !errors.Is(err, service.ErrConflict) {
			t.Errorf("an outcome replaced a released death: %v", err)
		}
	})
}

func importCSV(t *testing.T, e *env, from, to, csv string) string {
	t.Helper()
	off := officerA
	if from == "B" {
		off = officerB
	}
	res, err := e.svc.ImportList(context.Background(), off, service.ImportRequest{From: from, To: to, Title: "List " + from, Format: listfile.Format("csv")}, strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.HandOver(context.Background(), off, res.List.ID); err != nil {
		t.Fatal(err)
	}
	return res.List.ID
}

// TestEveryFamilyStatusHasItsWords: each status of families.Table has its
// message and its public label in every language.
func TestEveryFamilyStatusHasItsWords(t *testing.T) {
	cats := map[string]map[string]string{}
	for _, lang := range []string{"en", "uk", "ru"} {
		c := map[string]string{}
		for _, name := range []string{"i18n/" + lang + ".json", "i18n/" + lang + "/outcomes.json"} {
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &c); err != nil {
				t.Fatal(err)
			}
		}
		cats[lang] = c
	}
	for _, s := range families.FamilyStatuses() {
		for lang, c := range cats {
			if s != families.StatusOther && c["status."+string(s)] == "" {
				t.Errorf("status %s has no message in %s", s, lang)
			}
			if c["public.status."+string(s)] == "" {
				t.Errorf("status %s has no label in %s", s, lang)
			}
		}
	}
}
