package web

import (
	"bufio"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// englishWords reads testdata/english-words.txt: every word of four
// letters or more that the English catalogues use, and a few common ones.
func englishWords(t *testing.T) map[string]bool {
	t.Helper()
	f, err := os.Open("testdata/english-words.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" && !strings.HasPrefix(w, "#") {
			out[w] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// latinWord is a run of ASCII letters, with what stands around it: a word
// glued to digits, underscores or other letters' scripts is an id, a code
// or a hash, not a phrase.
var latinWord = regexp.MustCompile(`[A-Za-z0-9_.@/-]*[A-Za-z]{4,}[A-Za-z0-9_.@/-]*`)

// untranslated returns the English dictionary words of text: runs of four
// or more ASCII letters that are words of the list, leaving out ids,
// codes, addresses and hashes (a run joined to digits, dots, slashes or @)
// and names given in the allowed list.
func untranslated(text string, dict, allowed map[string]bool) []string {
	seen := map[string]bool{}
	var out []string
	for _, tok := range latinWord.FindAllString(text, -1) {
		if strings.ContainsAny(tok, "0123456789.@/") {
			continue // an id, a hash, a file name, an address
		}
		for _, w := range strings.FieldsFunc(tok, func(r rune) bool { return r == '_' || r == '-' }) {
			lw := strings.ToLower(w)
			if len(lw) >= 4 && dict[lw] && !allowed[lw] && !seen[lw] {
				seen[lw] = true
				out = append(out, w)
			}
		}
	}
	sort.Strings(out)
	return out
}

func TestUntranslatedDetector(t *testing.T) {
	dict := map[string]bool{"missing": true, "surname": true, "list": true, "seriously": true}
	tests := []struct {
		text string
		want []string
	}{
		{"рядок 3: missing surname", []string{"missing", "surname"}},
		{"категорія seriously_ill", []string{"seriously"}},
		{"список L7xk2m9q, хеш 9f86d081884c7d65", nil},
		{"Шевченко Тарас (Shevchenko Taras)", nil},
		{"файл list-2026.csv", nil},
	}
	for _, tt := range tests {
		if got := untranslated(tt.text, dict, nil); strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("untranslated(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

// TestBrowserNoEnglishInUkrainianAndRussian walks the main pages in a
// real Chromium, in Ukrainian and in Russian, as officers and the
// mediator, and fails on any English word in what the page shows (its
// visible text, its title and its buttons' and fields' labels): the
// catalogues may all have every key and a page still say a sentence the
// service built in English.
func TestBrowserNoEnglishInUkrainianAndRussian(t *testing.T) {
	bctx := newChromiumFor(t, 4*time.Minute)
	e := newEnv(t)
	base := e.ts.URL
	fromB := e.importList("B", "A", "list_b.csv", "Бордурія: поранені", "")
	e.handOver(fromB)
	fromA := e.importList("A", "B", "good.csv", "Аркадія: перший етап", "")
	e.handOver(fromA)
	e.importRegistry("B", "match_registry_b.csv")
	runID := newMatchRun(e, fromA)
	dict := englishWords(t)
	// Proper names of the test's parties and of the product, and the
	// language switcher's own names.
	// The users' names are those of their roles.
	allowed := map[string]bool{"parley": true, "arcadia": true, "borduria": true, "english": true, "mediator": true, "observer": true, "admin": true}
	pages := map[string][]string{
		roleOfficerA: {"/", "/lists", "/lists/" + fromA, "/lists/" + fromB, "/lists/" + fromA + "/print", "/lists/verify-file", "/log", "/account", "/disputes", "/lists/no-such-list"},
		roleOfficerB: {"/matches", "/match-runs/" + runID, "/match-runs/" + runID + "/left-off", "/registry"},
		roleMediator: {"/", "/rounds", "/handover", "/access-log"},
	}
	// What a person reads: the text of the body without the parts that are
	// data rather than words (codes, hashes, Latin spellings of names, the
	// language switcher), and the labels of controls.
	const js = `(() => {
		const b = document.body.cloneNode(true);
		b.querySelectorAll('code, kbd, samp, .hash, .latin, .langs, [data-untranslatable]').forEach(n => n.remove());
		const labels = [...document.querySelectorAll('[title],[aria-label],[placeholder],input[type=submit]')]
			.map(n => [n.getAttribute('title'), n.getAttribute('aria-label'), n.getAttribute('placeholder'), n.type === 'submit' ? n.value : ''].filter(Boolean).join(' '));
		return document.title + '\n' + b.innerText + '\n' + labels.join('\n');
	})()`
	roles := []string{roleOfficerA, roleOfficerB, roleMediator}
	for _, lang := range []string{"uk", "ru"} {
		for _, role := range roles {
			ctx := tab(t, bctx)
			signIn(t, ctx, base, role)
			run(t, ctx, "switch to "+lang, chromedp.Navigate(base+"/lang/"+lang), chromedp.WaitReady(chromedp.CSS("body")))
			for _, p := range pages[role] {
				run(t, ctx, lang+" "+p, chromedp.Navigate(base+p), chromedp.WaitReady(chromedp.CSS("body")))
				text := eval[string](t, ctx, js)
				if words := untranslated(text, dict, allowed); len(words) > 0 {
					t.Errorf("%s, %s, %s: English words %v", lang, role, p, words)
				}
			}
		}
	}
}
