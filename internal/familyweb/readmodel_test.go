package familyweb_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"parley/internal/families"
	"parley/internal/familyweb"
	"parley/internal/service"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

// TestStatusAndFiguresFollowEvents: a status change is visible to the
// family's next look-up at once, and the public figures, cached for an
// hour, are recomputed as soon as an event changes what they count — and
// only then.
func TestStatusAndFiguresFollowEvents(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		e := newEnv(t, b, func(o *familyweb.Options) {
			o.FiguresTTL = time.Hour
			o.Threshold = 1
		})
		c := e.browser()
		type figs struct {
			Inquiries struct {
				Count int `json:"count"`
			} `json:"inquiries"`
			ByStatus []struct {
				Key   string `json:"key"`
				Value struct {
					Count int `json:"count"`
				} `json:"value"`
			} `json:"inquiries_by_status"`
		}
		figures := func() figs {
			t.Helper()
			resp := c.get("/api/v1/public/figures")
			var f figs
			if resp.code != http.StatusOK || json.Unmarshal([]byte(resp.body), &f) != nil {
				t.Fatalf("figures: %d %s", resp.code, resp.body)
			}
			return f
		}
		register := func(surname string) (ref, secret string) {
			t.Helper()
			reg := c.postJSON("/api/v1/inquiries", families.Request{Surname: surname, GivenNames: "Олег", Party: "B", Relationship: "spouse", Email: "w@example.org", Consent: true})
			var r struct{ Reference, Secret string }
			if err := json.Unmarshal([]byte(reg.body), &r); err != nil || reg.code != http.StatusCreated {
				t.Fatalf("register: %d %s", reg.code, reg.body)
			}
			return r.Reference, r.Secret
		}
		ref, secret := register("Мельник")
		if got := figures().Inquiries.Count; got != 1 {
			t.Fatalf("figures count %d inquiries, want 1", got)
		}
		register("Коваль")
		if got := figures().Inquiries.Count; got != 2 {
			t.Errorf("a registration left the cached figures at %d inquiries, want 2 at once", got)
		}

		// A look-up changes nothing the figures count: the cache stays.
		v0, err := e.svc.FiguresVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		status := func() string {
			t.Helper()
			resp := c.postJSON("/api/v1/inquiries/status", map[string]string{"reference": ref, "secret": secret})
			var st families.PublicStatus
			if resp.code != http.StatusOK || json.Unmarshal([]byte(resp.body), &st) != nil {
				t.Fatalf("status: %d %s", resp.code, resp.body)
			}
			return string(st.Status) + "/" + st.Wording
		}
		if got := status(); got != "none/" {
			t.Errorf("status %q, want none", got)
		}
		if v, err := e.svc.FiguresVersion(ctx); err != nil || v != v0 {
			t.Errorf("a look-up moved the figures version %d → %d (%v)", v0, v, err)
		}

		// The event that changes the status writes the status row in its
		// own transaction: the next look-up and the figures show it.
		err = service.AdminStore(e.svc).Update(ctx, func(tx *store.Tx) error {
			q, err := tx.InquiryByReference(ctx, ref)
			if err != nil {
				return err
			}
			_, err = tx.SetInquiryOutcome(ctx, q.ID, families.Outcome{Status: families.StatusListed, Wording: "on list 3"}, time.Now())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := status(); got != "listed/on list 3" {
			t.Errorf("after the status change the look-up says %q", got)
		}
		if v, err := e.svc.FiguresVersion(ctx); err != nil || v == v0 {
			t.Errorf("a status change left the figures version at %d (%v)", v, err)
		}
		listed := 0
		for _, r := range figures().ByStatus {
			if r.Key == string(families.StatusListed) {
				listed = r.Value.Count
			}
		}
		if listed != 1 {
			t.Errorf("figures show %d listed inquiries after the change, want 1", listed)
		}
	})
}
