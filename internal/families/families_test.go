package families

import (
	"encoding/json"
	"errors"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"parley/internal/person"
)

func TestReferenceAndSecretFormat(t *testing.T) {
	refRE := regexp.MustCompile(`^PX-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$`)
	secRE := regexp.MustCompile(`^([0-9A-HJKMNP-TV-Z]{5}-){3}[0-9A-HJKMNP-TV-Z]{5}$`)
	seen := map[string]bool{}
	for range 200 {
		r, s := NewReference(), NewSecret()
		if !refRE.MatchString(r) || !secRE.MatchString(s) {
			t.Fatalf("reference %q / secret %q have the wrong form", r, s)
		}
		if seen[s] {
			t.Fatalf("secret %q repeated", s)
		}
		seen[s] = true
	}
}

func TestNormalizeReference(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"PX-7K3M-9QF2", "PX-7K3M-9QF2", true},
		{"px 7k3m 9qf2", "PX-7K3M-9QF2", true},
		{"7K3M9QF2", "PX-7K3M-9QF2", true},
		{" PX-7K3M-9QF2 ", "PX-7K3M-9QF2", true},
		{"PX-7K3M-9QFO", "PX-7K3M-9QF0", true}, // O read as 0
		{"PX-7K3M-9QFL", "PX-7K3M-9QF1", true}, // L read as 1
		{"PX-7K3M-9QF", "", false},
		{"PX-7K3M-9QF22", "", false},
		{"PX-7K3M-9QFU", "", false}, // U is not in the alphabet
		{"PX-7K3M-9QF<", "", false},
		{"", "", false},
		{"ПХ-7К3М-9QF2", "", false},
	}
	for _, tc := range tests {
		got, err := NormalizeReference(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("NormalizeReference(%q) = %q, %v; want %q ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if !tc.ok && !errors.Is(err, ErrBadCode) {
			t.Errorf("NormalizeReference(%q) error %v does not wrap ErrBadCode", tc.in, err)
		}
	}
}

func TestSecretHash(t *testing.T) {
	secret := NewSecret()
	h, err := HashSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=12288,t=3,p=1$") || strings.Contains(h, secret) {
		t.Fatalf("hash %q", h)
	}
	if !VerifySecret(h, secret) {
		t.Fatal("the secret does not verify against its own hash")
	}
	// The remaining cases run against a cheap hash: the parameters travel
	// in the hash, so the code path is the same, and the test stays fast
	// under the race detector.
	n, _ := NormalizeSecret(secret)
	cheap := Argon2Params{Time: 1, Memory: 64, Threads: 1}
	h = hashWith(n, cheap)
	if h2 := hashWith(n, cheap); h2 == h {
		t.Error("two hashes of one secret are equal: the salt is not random")
	}
	other := NewSecret()
	tests := []struct {
		name, hash, secret string
		want               bool
	}{
		{"right", h, secret, true},
		{"typed loosely", h, strings.ToLower(strings.ReplaceAll(secret, "-", " ")), true},
		{"wrong", h, other, false},
		{"empty", h, "", false},
		{"malformed secret", h, secret + "X", false},
		{"not argon2id", "$argon2i" + h[len("$argon2id"):], secret, false},
		{"broken hash", h[:len(h)-4], secret, false},
		{"absurd cost", strings.Replace(h, "t=1", "t=999", 1), secret, false},
		{"placeholder", "-", secret, false},
	}
	for _, tc := range tests {
		if got := VerifySecret(tc.hash, tc.secret); got != tc.want {
			t.Errorf("%s: VerifySecret = %v, want %v", tc.name, got, tc.want)
		}
	}
	// A hash made with other parameters than the defaults verifies: the
	// defaults may change without invalidating secrets given out.
	if !VerifySecret(hashWith(n, Argon2Params{Time: 2, Memory: 128, Threads: 1}), secret) {
		t.Error("a hash with other parameters does not verify")
	}
}

func BenchmarkVerifySecret(b *testing.B) {
	secret := NewSecret()
	h, _ := HashSecret(secret)
	b.ResetTimer()
	for b.Loop() {
		if !VerifySecret(h, secret) {
			b.Fatal("no match")
		}
	}
}

func valid() Request {
	return Request{Surname: "Шевченко", GivenNames: "Сергій", BirthDate: "12.03.1999", Party: "B", Relationship: "parent", Email: "m@example.org", Consent: true}
}

func TestRequestBuild(t *testing.T) {
	opts := ValidateOptions{Parties: []string{"A", "B"}, Today: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}
	tests := []struct {
		name  string
		mod   func(*Request)
		codes map[string]string // field → code; empty means valid
	}{
		{"valid", func(*Request) {}, nil},
		{"webhook instead of e-mail", func(r *Request) { r.Email, r.WebhookURL = "", "https://hooks.example.org/p" }, nil},
		{"partial date", func(r *Request) { r.BirthDate = "03.1999" }, nil},
		{"phone instead of e-mail", func(r *Request) { r.Email, r.Phone = "", "+380 (44) 123-45-67" }, nil},
		{"phone without country code", func(r *Request) { r.Phone = "044 123 4567" }, map[string]string{"phone": CodeInvalidPhone}},
		{"nothing", func(r *Request) { *r = Request{} }, map[string]string{
			"surname": CodeRequired, "given_names": CodeRequired, "party": CodeRequired, "relationship": CodeRequired,
			"email": CodeContactRequired, "consent": CodeConsentRequired}},
		{"bad date", func(r *Request) { r.BirthDate = "31.02.1999" }, map[string]string{"birth_date": CodeInvalidDate}},
		{"future date", func(r *Request) { r.BirthDate = "2030" }, map[string]string{"birth_date": CodeFutureDate}},
		{"bad e-mail", func(r *Request) { r.Email = "mother at example" }, map[string]string{"email": CodeInvalidEmail}},
		{"e-mail with a name", func(r *Request) { r.Email = "Mother <m@example.org>" }, map[string]string{"email": CodeInvalidEmail}},
		{"header injection", func(r *Request) { r.Email = "m@example.org\r\nBcc: x@example.org" }, map[string]string{"email": CodeInvalidEmail}},
		{"http webhook", func(r *Request) { r.WebhookURL = "http://hooks.example.org/p" }, map[string]string{"webhook_url": CodeInvalidURL}},
		{"loopback webhook", func(r *Request) { r.WebhookURL = "https://127.0.0.1/p" }, map[string]string{"webhook_url": CodeInvalidURL}},
		{"metadata webhook", func(r *Request) { r.WebhookURL = "https://169.254.169.254/latest" }, map[string]string{"webhook_url": CodeInvalidURL}},
		{"unknown party", func(r *Request) { r.Party = "C" }, map[string]string{"party": CodeUnknownParty}},
		{"unknown relationship", func(r *Request) { r.Relationship = "boss" }, map[string]string{"relationship": CodeUnknownValue}},
		{"unknown kind", func(r *Request) { r.Kind = "remains" }, map[string]string{"kind": CodeUnknownValue}},
		{"long surname", func(r *Request) { r.Surname = strings.Repeat("я", 101) }, map[string]string{"surname": CodeTooLong}},
		{"control character", func(r *Request) { r.Unit = "a\x00b" }, map[string]string{"unit": CodeInvalidText}},
		{"unknown language", func(r *Request) { r.Lang = "de" }, map[string]string{"lang": CodeUnknownValue}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := valid()
			tc.mod(&r)
			q, err := r.Build(opts, SourceWeb)
			if tc.codes == nil {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				if q.Status != StatusNone || q.DedupKey == "" || q.Relative.Kind != person.KindPOW || q.Lang != "en" {
					t.Errorf("inquiry = %+v", q)
				}
				return
			}
			var verr *ValidationError
			if !errors.As(err, &verr) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want a ValidationError", err)
			}
			for field, code := range tc.codes {
				if fe, ok := verr.Field(field); !ok || fe.Code != code {
					t.Errorf("field %s: %+v, want code %s (all: %v)", field, fe, code, verr.Fields)
				}
			}
			if len(verr.Fields) != len(tc.codes) {
				t.Errorf("%d problems, want %d: %v", len(verr.Fields), len(tc.codes), verr.Fields)
			}
		})
	}
	// http:// and private addresses pass where the installation allows them.
	r := valid()
	r.WebhookURL = "http://127.0.0.1:8080/hook"
	if _, err := r.Build(ValidateOptions{Parties: []string{"B"}, AllowHTTPWebhooks: true}, SourceAPI); err != nil {
		t.Errorf("allowed http webhook refused: %v", err)
	}
}

func TestValidatePhone(t *testing.T) {
	tests := []struct {
		in, want string // want "" for a refusal
	}{
		{"+380441234567", "+380441234567"},
		{" +380 (44) 123-45-67 ", "+380441234567"},
		{"+7.495.123.45.67", "+74951234567"},
		{"00380441234567", "+380441234567"},
		{"+1 202 555 0143", "+12025550143"},
		{"0441234567", ""},              // no country code
		{"+0441234567", ""},             // country codes do not start with 0
		{"+12345", ""},                  // too short
		{"+1234567890123456", ""},       // 16 digits: longer than E.164 allows
		{"+380 44 123 45 67 ext 2", ""}, // letters
		{"+380441234567\r\nBcc: x", ""}, // line break
		{"+38+0441234567", ""},          // a second plus
		{"", ""},
	}
	for _, tc := range tests {
		got, err := ValidatePhone(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("ValidatePhone(%q) = %q, want a refusal", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ValidatePhone(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	// The phone joins the dedup key only when given: older keys stay.
	base := person.Person{Surname: "Шевченко", GivenNames: "Тарас"}
	if DedupKey("B", base, "m@example.org", "", "") == DedupKey("B", base, "m@example.org", "+380441234567", "") {
		t.Error("the phone does not change the dedup key")
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1999-03-12", "1999-03-12"}, {"1999-03", "1999-03"}, {"1999", "1999"},
		{"12.03.1999", "1999-03-12"}, {"1.2.2003", "2003-02-01"}, {"12/03/1999", "1999-03-12"},
		{"03.1999", "1999-03"}, {"3.1999", "1999-03"},
		{"31.02.1999", ""}, {"1999-13", ""}, {"12.03.99", ""}, {"yesterday", ""}, {"12..1999", ""}, {"1.2.3.2003", ""},
	}
	for _, tc := range tests {
		d, err := ParseDate(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("ParseDate(%q) = %s, want an error", tc.in, d)
			}
			continue
		}
		if err != nil || d.String() != tc.want {
			t.Errorf("ParseDate(%q) = %s, %v; want %s", tc.in, d, err, tc.want)
		}
	}
}

func TestPublicAddr(t *testing.T) {
	for _, tc := range []struct {
		ip   string
		want bool
	}{
		{"8.8.8.8", true}, {"2a00:1450:4001::1", true},
		{"127.0.0.1", false}, {"10.1.2.3", false}, {"192.168.0.1", false}, {"172.16.0.1", false},
		{"169.254.169.254", false}, {"100.64.0.1", false}, {"::1", false}, {"fe80::1", false}, {"fd00::1", false},
		{"::ffff:127.0.0.1", false}, {"0.0.0.0", false}, {"224.0.0.1", false},
	} {
		if got := PublicAddr(netip.MustParseAddr(tc.ip)); got != tc.want {
			t.Errorf("PublicAddr(%s) = %v", tc.ip, got)
		}
	}
}

func TestDedupKey(t *testing.T) {
	base := person.Person{Surname: "Шевченко", GivenNames: "Сергій", BirthDate: person.Date{Year: 1999, Month: 3, Day: 12}}
	k := DedupKey("B", base, "m@example.org", "", "")
	same := base
	same.Surname = "ШЕВЧЕНКО"
	if DedupKey("B", same, " M@example.org ", "", "") != k {
		t.Error("case and spacing make a different key")
	}
	for name, other := range map[string]string{
		"other contact": DedupKey("B", base, "brother@example.org", "", ""),
		"other side":    DedupKey("A", base, "m@example.org", "", ""),
		"other given":   DedupKey("B", person.Person{Surname: "Шевченко", GivenNames: "Петро", BirthDate: base.BirthDate}, "m@example.org", "", ""),
	} {
		if other == k {
			t.Errorf("%s gives the same key", name)
		}
	}
	if strings.Contains(k, "Шевченко") || len(k) != 64 {
		t.Errorf("key %q", k)
	}
}

func TestOutcomeAdvances(t *testing.T) {
	o := func(s Status) Outcome { return Outcome{Status: s} }
	tests := []struct {
		cur, next Status
		want      bool
	}{
		{StatusNone, StatusListed, true},
		{StatusNone, StatusRepatriated, true},
		{StatusListed, StatusAgreed, true},
		{StatusAgreed, StatusListed, false},
		{StatusRepatriated, StatusListed, false},
		{StatusListed, StatusListed, false},
		{StatusOther, StatusRepatriated, false},
		{StatusListed, StatusOther, false},
		{StatusNone, StatusNone, false},
	}
	for _, tc := range tests {
		if got := o(tc.cur).Advances(o(tc.next)); got != tc.want {
			t.Errorf("%s → %s: %v, want %v", tc.cur, tc.next, got, tc.want)
		}
	}
	if err := (Outcome{Status: StatusOther}).Validate(); err == nil {
		t.Error("an outcome of status other needs a wording")
	}
	if err := (Outcome{Status: "lost"}).Validate(); err == nil {
		t.Error("unknown status accepted")
	}
}

func TestSuppression(t *testing.T) {
	if c := Suppress(9, 10); !c.Suppressed || c.String() != "< 10" {
		t.Errorf("9 = %+v", c)
	}
	if c := Suppress(10, 10); c.Suppressed || c.String() != "10" {
		t.Errorf("10 = %+v", c)
	}
	if c := Suppress(0, 10); c.Suppressed || c.String() != "0" {
		t.Errorf("0 = %+v (zero reveals nobody)", c)
	}
	b, _ := json.Marshal(Suppress(3, 10))
	if string(b) != `{"suppressed":true,"below":10}` {
		t.Errorf("suppressed JSON = %s", b)
	}
	tests := []struct {
		counts []int
		hidden []bool
	}{
		{[]int{50, 40}, []bool{false, false}},
		// One small cell: the smallest other non-zero one goes too, or the
		// total would reveal it.
		{[]int{50, 3, 40}, []bool{false, true, true}},
		{[]int{3, 4, 40}, []bool{true, true, false}},
		{[]int{3, 0}, []bool{true, false}},
	}
	for _, tc := range tests {
		keys := make([]string, len(tc.counts))
		rows := SuppressPartition(keys, tc.counts, 10)
		for i, r := range rows {
			if r.Cell.Suppressed != tc.hidden[i] {
				t.Errorf("%v: cell %d suppressed=%v, want %v", tc.counts, i, r.Cell.Suppressed, tc.hidden[i])
			}
		}
	}
}

func TestSafeSeries(t *testing.T) {
	d := func(day, n int) Dated { return Dated{Day: time.Date(2025, 6, day, 0, 0, 0, 0, time.UTC), Count: n} }
	got := SafeSeries([]Dated{d(7, 640), d(8, 3), d(9, 4), d(10, 5), d(12, 2)}, 10)
	// 640 on the 7th; 12 more by the 10th; a remainder of 2 on the 12th is
	// merged into the last point.
	want := []Point{{"2025-06-07", 640}, {"2025-06-12", 654}}
	if len(got) != len(want) {
		t.Fatalf("series = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("point %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	for i := 1; i < len(got); i++ {
		if got[i].Total-got[i-1].Total < 10 {
			t.Errorf("points %d and %d differ by fewer than the threshold", i-1, i)
		}
	}
	if s := SafeSeries([]Dated{d(1, 9)}, 10); len(s) != 0 {
		t.Errorf("a total below the threshold is published: %+v", s)
	}
}

func TestMatchPersonFromFullName(t *testing.T) {
	q := &Inquiry{Relative: person.Person{Extra: map[string]string{"pfif:full_name": "Ткаченко Микола Іванович"}, Notes: "private"}, PFIF: &PFIFOrigin{RecordID: "x/1"}}
	p := MatchPerson(q)
	if p.Surname != "Ткаченко" || p.GivenNames != "Микола" || p.Patronymic != "Іванович" || p.Extra != nil || p.Notes != "" {
		t.Errorf("MatchPerson = %+v", p)
	}
	if q.Relative.Surname != "" {
		t.Error("MatchPerson changed the stored record")
	}
}

func TestStatusText(t *testing.T) {
	day := time.Date(2025, 6, 7, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		o    Outcome
		want string
	}{
		{Outcome{Status: StatusListed, Date: day}, "Named on a list of persons held that the detaining party handed over on 2025-06-07."},
		{Outcome{Status: StatusRepatriated}, "Repatriated."},
		{Outcome{Status: StatusOther, Wording: "Please call the tracing service."}, "Please call the tracing service."},
	} {
		if got := StatusText(tc.o); got != tc.want {
			t.Errorf("StatusText(%+v) = %q, want %q", tc.o, got, tc.want)
		}
	}
	// In the family's language, with the date as it writes dates.
	for lang, want := range map[string]string{
		"uk": "Репатрійований 07.06.2025.",
		"ru": "Репатриирован 07.06.2025.",
		"xx": "Repatriated on 2025-06-07.",
	} {
		if got := StatusTextIn(lang, Outcome{Status: StatusRepatriated, Date: day}); got != want {
			t.Errorf("StatusTextIn(%s) = %q, want %q", lang, got, want)
		}
	}
}
