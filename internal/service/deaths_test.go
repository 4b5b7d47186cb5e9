package service_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"parley/internal/families"
	"parley/internal/service"
	"parley/internal/service/servicetest"
	"parley/internal/store/storetest"
)

// TestDeathNewsOnlyAfterRelease: the family of a man whose death is
// recorded hears nothing until its own side releases the news; then the
// e-mail and the webhook only say that there is news — a webhook never
// carries a death, even for a family that asked for the status in it —
// and the status page holds the side's text. Every step is in the log.
func TestDeathNewsOnlyAfterRelease(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s, log := famService(t, b)
		req := sergii
		req.WebhookURL, req.WebhookStatus = "http://hooks.example.org/x", true
		reg, err := s.RegisterInquiry(ctx, req, service.RegisterOptions{Source: families.SourceAPI, AllowHTTPWebhooks: true})
		if err != nil {
			t.Fatal(err)
		}
		listID := famList(t, s, "testdata/first-list.csv", "")
		links := pending(t, s, servicetest.OfficerB)
		if len(links) != 1 {
			t.Fatalf("links: %d", len(links))
		}
		if err := s.ConfirmLink(ctx, servicetest.OfficerB, links[0].Link.ID, ""); err != nil {
			t.Fatal(err)
		}
		before := len(outbox(t, s))
		d, err := s.RecordDeath(ctx, servicetest.OfficerA, service.DeathRequest{ListID: listID, Row: 1, DiedOn: "2025-05-20", ReportedBy: "camp doctor"})
		if err != nil {
			t.Fatal(err)
		}
		if st := status(t, s, reg); st.Status != families.StatusListed {
			t.Errorf("before the release the family sees %s", st.Status)
		}
		if n := len(outbox(t, s)); n != before {
			t.Errorf("%d notifications before the release", n-before)
		}
		if _, _, err := s.ReleaseDeath(ctx, servicetest.OfficerB, d.ID, "We are sorry; an officer will call you."); err != nil {
			t.Fatal(err)
		}
		st := status(t, s, reg)
		if st.Status != families.StatusDeceased || st.Wording != "We are sorry; an officer will call you." || st.Date != "2025-05-20" {
			t.Errorf("after the release the family sees %+v", st)
		}
		items := outbox(t, s)[before:]
		if len(items) != 2 {
			t.Fatalf("%d notifications after the release, want an e-mail and a webhook", len(items))
		}
		for _, it := range items {
			if it.Channel == "webhook" && strings.Contains(string(it.Payload), "deceased") {
				t.Errorf("the webhook carries the death: %s", it.Payload)
			}
			var n map[string]any
			if err := json.Unmarshal(it.Payload, &n); err != nil || n["kind"] != "news" {
				t.Errorf("notification %s: %s", it.Channel, it.Payload)
			}
		}
		for _, typ := range []string{"death.recorded", "death.released", "entry.outcome", "inquiry.status_changed"} {
			if log.Count(typ) == 0 {
				t.Errorf("no %s in the log", typ)
			}
		}
	})
}
