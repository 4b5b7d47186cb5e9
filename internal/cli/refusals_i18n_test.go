package cli

import (
	"regexp"
	"strings"
	"testing"

	"parley/internal/msg"
)

// TestRefusalsInLocale runs commands the service refuses with LANG set to
// a Ukrainian and a Russian locale (and with --lang over LANG), and checks
// that the command prints the catalogue's message in that language, not
// the English one.
func TestRefusalsInLocale(t *testing.T) {
	g := initDir(t, "")
	cases := []struct {
		name string
		args []string
		want msg.Msg
	}{
		{"bad username", []string{"user", "add", "--username", "Bad Name", "--role", "observer"}, msg.New("err.user.username", "username", "Bad Name")},
		{"unknown role", []string{"user", "add", "--username", "clerk", "--role", "king"},
			msg.New("err.user.unknown_role", "role", "king", "roles", []any{msg.Enum{Kind: "role", Code: "officer"}, msg.Enum{Kind: "role", Code: "mediator"}, msg.Enum{Kind: "role", Code: "observer"}, msg.Enum{Kind: "role", Code: "admin"}})},
		{"role twice", []string{"user", "add", "--username", "clerk", "--role", "observer,observer"}, msg.New("err.user.role_twice", "role", msg.Enum{Kind: "role", Code: "observer"})},
		{"round of one party", []string{"round", "create", "--title", "T", "--party", "A", "--party", "A"}, msg.New("err.round.same_parties", "a", "A", "b", "A")},
		{"contest for no reason", []string{"list", "contest", "L1", "--row", "3", "--reason", "bored"}, msg.New("err.dispute.reason", "row", msg.Plain(3), "value", "bored")},
		{"no such list", []string{"list", "show", "Lnone"}, msg.New("error.not_found")},
	}
	locales := []struct{ locale, flag, lang string }{
		{"uk_UA.UTF-8", "", "uk"},
		{"ru_RU.UTF-8", "", "ru"},
		{"uk_UA.UTF-8", "ru", "ru"},
	}
	cyrillic := regexp.MustCompile(`\p{Cyrillic}`)
	for _, c := range cases {
		for _, l := range locales {
			t.Run(c.name+"/"+l.locale+"/"+l.flag, func(t *testing.T) {
				t.Setenv("LC_ALL", "")
				t.Setenv("LC_MESSAGES", "")
				t.Setenv("LANG", l.locale)
				args := append([]string{}, g...)
				if l.flag != "" {
					args = append(args, "--lang", l.flag)
				}
				code, _, errOut := run(t, append(args, c.args...)...)
				if code == 0 {
					t.Fatalf("exit 0; want a refusal")
				}
				want := msg.Text(l.lang, c.want)
				if !strings.Contains(errOut, want) {
					t.Errorf("stderr %q lacks %q", errOut, want)
				}
				if english := msg.Text(msg.English, c.want); strings.Contains(errOut, english) || !cyrillic.MatchString(errOut) {
					t.Errorf("stderr %q is not in %s", errOut, l.lang)
				}
			})
		}
	}
}
