package service_test

import (
	"context"
	"encoding/json"
	"testing"

	"parley/internal/notify"
	"parley/internal/service"
	"parley/internal/service/servicetest"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

// TestInquiryPhoneGetsSMS: a family that gave only a phone number hears of
// news by SMS, in the same transaction as the change, and receives a
// replacement secret the same way.
func TestInquiryPhoneGetsSMS(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s, _ := famService(t, b)
		s.EnableFamilyLinking()
		req := sergii
		req.Email, req.Phone, req.Lang = "", "+380 44 123 45 67", "ru"
		reg := register(t, s, req)

		famList(t, s, "testdata/first-list.csv", "")
		links := pending(t, s, servicetest.OfficerB)
		if len(links) != 1 {
			t.Fatalf("%d pending links, want 1", len(links))
		}
		if err := service.StoreOf(s).View(ctx, func(tx *store.Tx) error {
			q, err := tx.InquiryByReference(ctx, reg.Reference)
			if err == nil && q.Phone != "+380441234567" {
				t.Errorf("stored phone %q, want the E.164 form", q.Phone)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.ConfirmLink(ctx, servicetest.OfficerB, links[0].Link.ID, ""); err != nil {
			t.Fatal(err)
		}
		box := outbox(t, s)
		if len(box) != 1 || box[0].Channel != string(notify.SMS) || box[0].Recipient != "+380441234567" {
			t.Fatalf("outbox after confirmation = %+v", box)
		}
		var n notify.Notification
		if err := json.Unmarshal(box[0].Payload, &n); err != nil || n.Kind != notify.KindNews || n.Reference != reg.Reference || n.Lang != "ru" {
			t.Errorf("notification %s (%v)", box[0].Payload, err)
		}

		if err := s.RequestNewSecret(ctx, reg.Reference); err != nil {
			t.Fatal(err)
		}
		box = outbox(t, s)
		if len(box) != 2 || box[1].Channel != string(notify.SMS) {
			t.Fatalf("outbox after a new secret = %+v", box)
		}
		if err := json.Unmarshal(box[1].Payload, &n); err != nil || n.Kind != notify.KindNewSecret || n.Secret == "" {
			t.Errorf("new-secret notification %s (%v)", box[1].Payload, err)
		}
	})
}
