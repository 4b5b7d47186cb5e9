package web

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"parley/internal/handover"
	"parley/internal/service"
)

// TestStageTextsInTheReadersLanguage checks, on rendered output, that what
// the domain says about a stage — the breach of its rule, each
// discrepancy of the report, the notes of a person's timeline — reaches a
// Ukrainian or Russian reader without an English word: on the pages and
// in the API, whose texts follow Accept-Language.
func TestStageTextsInTheReadersLanguage(t *testing.T) {
	e := newEnv(t)
	d := e.handoverDay()
	ctx := context.Background()
	la := living(d.sideA)
	if _, err := e.svc.RecordInterview(ctx, e.actor(roleObserver), d.a.ID, la[0].ListID, la[0].Row, handover.Refuses); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.RecordOutcome(ctx, e.actor(roleObserver), service.OutcomeRequest{AgreementID: d.a.ID, ListID: la[1].ListID, Row: la[1].Row, Outcome: handover.NotPresented}); err != nil {
		t.Fatal(err)
	}
	dict := englishWords(t)
	// What the domain words: the breach, the reasons of the report, the
	// notes of the timeline.
	said := regexp.MustCompile(`(?s)<td class="reason">(.*?)</td>|<p class="note">(.*?)</p>|id="breach">(.*?)</div>`)
	tag := regexp.MustCompile(`<[^>]+>`)
	report := "/agreements/" + d.a.ID + "/handover"
	timelines := []string{fmt.Sprintf("/lists/%s/rows/%d/timeline", la[0].ListID, la[0].Row), fmt.Sprintf("/lists/%s/rows/%d/timeline", la[1].ListID, la[1].Row)}
	for _, lang := range []string{"uk", "ru"} {
		b := e.login(roleMediator)
		b.c.Jar.SetCookies(mustURL(e.ts.URL), []*http.Cookie{{Name: langCookie, Value: lang}})
		var seen int
		for _, p := range append([]string{report}, timelines...) {
			resp, body := b.get(p)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s %s: %d", lang, p, resp.StatusCode)
			}
			for _, m := range said.FindAllStringSubmatch(body, -1) {
				text := html.UnescapeString(tag.ReplaceAllString(m[1]+m[2]+m[3], " "))
				seen++
				if words := untranslated(text, dict, nil); len(words) > 0 {
					t.Errorf("%s %s: English words %v in %q", lang, p, words, strings.Join(strings.Fields(text), " "))
				}
			}
		}
		if seen < 4 {
			t.Errorf("%s: only %d texts of the domain found on the pages; the test sees nothing", lang, seen)
		}
		// The API: the report and a timeline in the language asked for.
		var rep handover.Report
		apiGet(t, e, roleMediator, "/api/v1"+strings.TrimSuffix(report, "/handover")+"/report", lang, &rep)
		texts := []string{rep.BreachMessage}
		for _, it := range rep.Items {
			texts = append(texts, it.Detail)
		}
		for _, p := range rep.Breach {
			texts = append(texts, p.Message)
		}
		var tl service.PersonTimeline
		apiGet(t, e, roleMediator, "/api/v1"+timelines[1], lang, &tl)
		for _, st := range tl.Steps {
			texts = append(texts, st.Note)
		}
		if rep.BreachMessage == "" || len(rep.Items) == 0 || len(tl.Steps) < 2 {
			t.Fatalf("%s: report %+v, timeline %+v: nothing to check", lang, rep, tl)
		}
		for _, text := range texts {
			if words := untranslated(text, dict, nil); len(words) > 0 {
				t.Errorf("%s API: English words %v in %q", lang, words, text)
			}
		}
	}
}

// apiGet reads an API answer as a role, in a language.
func apiGet(t *testing.T, e *env, role, path, lang string, out any) {
	t.Helper()
	req, _ := http.NewRequest("GET", e.ts.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens[role])
	req.Header.Set("Accept-Language", lang)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}
