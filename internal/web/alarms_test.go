package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"parley/internal/mirror"
	"parley/internal/msg"
)

func init() { matrixExtras = append(matrixExtras, alarmMatrix) }

// raiseAlarm stores an alarm as a node's mirror would.
func raiseAlarm(e *env, kind, subject string, params map[string]string) string {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.db.RaiseAlarm(ctx, mirror.Alarm{Kind: kind, Subject: subject, Params: params, LastSeen: time.Now()}); err != nil {
		e.t.Fatal(err)
	}
	as, err := e.db.Alarms(ctx, true)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, a := range as {
		if a.Kind == kind && a.Subject == subject {
			return a.ID
		}
	}
	e.t.Fatalf("alarm %s %s not stored", kind, subject)
	return ""
}

func alarmMatrix(*testing.T) map[string]matrixCase {
	return map[string]matrixCase{
		"GET /node/alarms": {fixed("/node/alarms"), map[string]int{roleAnon: s303, "*": s200}},
		"POST /node/alarms/{id}/ack": {func(e *env, _ *fixtures) probe {
			id := raiseAlarm(e, mirror.KindTruncated, uniq("size "), map[string]string{"size": "3", "trusted_size": "9"})
			return probe{path: "/node/alarms/" + id + "/ack"}
		}, w(s303, s303, s303, s403, s403, s403)},
	}
}

// TestNodeAlarmsReadyAndBanner: an alarm holds /readyz at 503 naming its
// kind, shows on the dashboard in the reader's language naming what
// differs, and lets go once an officer acknowledges it on the alarms page.
func TestNodeAlarmsReadyAndBanner(t *testing.T) {
	e := newEnv(t)
	b := e.login(roleOfficerB)
	if resp, _ := b.get("/readyz"); resp.StatusCode != http.StatusOK {
		t.Fatalf("readyz without alarm: %d", resp.StatusCode)
	}
	id := raiseAlarm(e, mirror.KindListHashMismatch, "list L9", map[string]string{
		"list": "L9", "index": "41", "logged": "sha256:aa", "served": "sha256:bb", "row": "12"})
	resp, body := b.get("/readyz")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "list_hash_mismatch") {
		t.Fatalf("readyz with an alarm: %d %q", resp.StatusCode, body)
	}
	tests := []struct{ lang, want string }{
		{"en", "row 12 differs"},
		{"uk", "рядок 12 відрізняється"},
		{"ru", "строка 12 отличается"},
	}
	for _, tc := range tests {
		_, page := b.get("/", "Accept-Language", tc.lang)
		if !strings.Contains(page, `id="node-alarms"`) || !strings.Contains(page, tc.want) || !strings.Contains(page, "sha256:bb") {
			t.Errorf("%s dashboard lacks the alarm naming the row: %.2000s", tc.lang, page)
		}
	}
	// An observer sees it but cannot acknowledge it.
	obs := e.login(roleObserver)
	if _, page := obs.get("/node/alarms"); !strings.Contains(page, "L9") || strings.Contains(page, "/ack") {
		t.Errorf("observer's alarms page: %.1500s", page)
	}
	b.get("/node/alarms")
	if resp, _ := b.post("/node/alarms/"+id+"/ack", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("ack: %d", resp.StatusCode)
	}
	if resp, _ := b.get("/readyz"); resp.StatusCode != http.StatusOK {
		t.Fatalf("readyz after ack: %d", resp.StatusCode)
	}
	if _, page := b.get("/"); strings.Contains(page, `id="node-alarms"`) {
		t.Error("banner still shown after the acknowledgement")
	}
	if _, page := b.get("/node/alarms"); !strings.Contains(page, "officerb@B") {
		t.Errorf("alarms page does not say who acknowledged: %.1500s", page)
	}
}

// TestAlarmMessagesInCatalogues: every message an alarm may use exists in
// every language.
func TestAlarmMessagesInCatalogues(t *testing.T) {
	c, err := msg.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range msg.Languages {
		for _, k := range mirror.MessageKeys() {
			if c[l][k] == "" {
				t.Errorf("%s: no message %s", l, k)
			}
		}
	}
}
