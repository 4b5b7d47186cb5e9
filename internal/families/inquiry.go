package families

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"net/netip"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"parley/internal/names"
	"parley/internal/person"
)

// Source says how an inquiry arrived.
type Source string

// Sources of inquiries.
const (
	SourceWeb  Source = "web"  // the public form
	SourceAPI  Source = "api"  // the JSON API
	SourcePFIF Source = "pfif" // imported from a people-finder system
)

// Languages in which families are answered.
var Languages = []string{"en", "uk", "ru"}

// Relationships a family member may state.
var Relationships = []string{"parent", "spouse", "child", "sibling", "grandparent", "other_relative", "other"}

// Inquiry is one family's question about one missing relative.
type Inquiry struct {
	ID        string
	Reference string
	// Party is the relative's side: the Power on which the relative
	// depends. Its officers confirm links; lists handed over to it are
	// searched.
	Party    string
	Relative person.Person
	// Relationship of the inquirer to the relative (one of Relationships).
	Relationship string
	InquirerName string
	// Ways to tell the family that there is news; at least one for
	// inquiries from the form or the API.
	Email string
	// Phone is an E.164 number ("+380441234567") that news is sent to by
	// SMS; families are reached by phone far more often than by e-mail.
	Phone      string
	WebhookURL string
	// WebhookStatus: the family asked for the status itself in webhook
	// calls, not only a notice that there is news.
	WebhookStatus bool
	Lang          string
	Source        Source
	// PFIF keeps what a people-finder system sent that has no place in
	// Parley's record, so that the record can travel back unchanged.
	PFIF *PFIFOrigin
	// DedupKey recognises a repeated submission (see DedupKey).
	DedupKey string
	// SecretHash is the argon2id hash of the secret; NewSecretHash that of
	// a replacement secret sent to the registered contact and not yet used.
	SecretHash    string
	NewSecretHash string
	NewSecretAt   time.Time
	Outcome
	StatusChangedAt time.Time
	// StatusVersion counts status changes; it names each change (in the
	// notification's idempotency key and the PFIF note's record id).
	StatusVersion int
	CreatedAt     time.Time
}

// Public returns what the family may see.
func (q *Inquiry) Public() PublicStatus {
	st := q.Status
	if st == "" {
		st = StatusNone
	}
	return PublicStatus{Reference: q.Reference, Status: st, Date: DateString(q.Date), Wording: q.Wording, RegisteredOn: DateString(q.CreatedAt)}
}

// Request is what a family submits, as text from a form or JSON.
type Request struct {
	Kind          string `json:"kind,omitempty"` // "pow" (default) or "civilian"
	Surname       string `json:"surname"`
	GivenNames    string `json:"given_names"`
	Patronymic    string `json:"patronymic,omitempty"`
	BirthDate     string `json:"birth_date,omitempty"` // YYYY, YYYY-MM, YYYY-MM-DD, DD.MM.YYYY or MM.YYYY
	Unit          string `json:"unit,omitempty"`
	Rank          string `json:"rank,omitempty"`
	ServiceNumber string `json:"service_number,omitempty"`
	Party         string `json:"party"`
	Relationship  string `json:"relationship"`
	InquirerName  string `json:"inquirer_name,omitempty"`
	Email         string `json:"email,omitempty"`
	Phone         string `json:"phone,omitempty"` // E.164; spaces, dots, dashes and brackets are ignored
	WebhookURL    string `json:"webhook_url,omitempty"`
	WebhookStatus bool   `json:"webhook_status,omitempty"`
	Lang          string `json:"lang,omitempty"`
	// Consent: the inquirer agrees that the data is kept and compared with
	// the lists in order to answer the inquiry.
	Consent bool `json:"consent"`
}

// FieldError is one problem with one field of a request. Code is stable
// and names a message in the web front's catalogues; Message is English.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Codes of FieldError.
const (
	CodeRequired        = "required"
	CodeTooLong         = "too_long"
	CodeInvalidDate     = "invalid_date"
	CodeFutureDate      = "future_date"
	CodeInvalidEmail    = "invalid_email"
	CodeInvalidPhone    = "invalid_phone"
	CodeInvalidURL      = "invalid_url"
	CodeUnknownParty    = "unknown_party"
	CodeUnknownValue    = "unknown_value"
	CodeContactRequired = "contact_required"
	CodeConsentRequired = "consent_required"
	CodeInvalidText     = "invalid_text"
)

// ValidationError lists every problem of a request.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	var parts []string
	for _, f := range e.Fields {
		parts = append(parts, f.Field+": "+f.Message)
	}
	return "the inquiry is incomplete or wrong: " + strings.Join(parts, "; ")
}

// ErrInvalid is wrapped by ValidationError, for errors.Is.
var ErrInvalid = errors.New("invalid inquiry")

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// Field returns the first problem of a field, if any.
func (e *ValidationError) Field(name string) (FieldError, bool) {
	for _, f := range e.Fields {
		if f.Field == name {
			return f, true
		}
	}
	return FieldError{}, false
}

// Limits of free-text fields, in characters.
const (
	maxName  = 100
	maxShort = 200
	maxEmail = 254
	maxURL   = 2000
)

// ValidateOptions says what a request is checked against.
type ValidateOptions struct {
	Parties []string // known party ids
	Today   time.Time
	// AllowHTTPWebhooks accepts http:// webhook URLs (for tests and closed
	// networks); otherwise only https:// is accepted.
	AllowHTTPWebhooks bool
}

// Build checks a request and turns it into an inquiry without id,
// reference or secret. Every problem is reported, each with its field.
func (r Request) Build(opts ValidateOptions, src Source) (*Inquiry, error) {
	var errs []FieldError
	add := func(field, code, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Code: code, Message: fmt.Sprintf(format, args...)})
	}
	text := func(field, v string, max int, required bool) string {
		v = strings.TrimSpace(v)
		switch {
		case v == "" && required:
			add(field, CodeRequired, "required")
		case utf8.RuneCountInString(v) > max:
			add(field, CodeTooLong, "at most %d characters", max)
		case !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0:
			add(field, CodeInvalidText, "contains characters that are not text")
		}
		return v
	}
	p := person.Person{Kind: person.KindPOW}
	switch strings.TrimSpace(r.Kind) {
	case "", "pow":
	case "civilian":
		p.Kind = person.KindCivilian
	default:
		add("kind", CodeUnknownValue, "must be pow or civilian")
	}
	p.Surname = text("surname", r.Surname, maxName, true)
	p.GivenNames = text("given_names", r.GivenNames, maxName, true)
	p.Patronymic = text("patronymic", r.Patronymic, maxName, false)
	p.Unit = text("unit", r.Unit, maxShort, false)
	p.Rank = text("rank", r.Rank, maxName, false)
	p.ServiceNumber = text("service_number", r.ServiceNumber, maxName, false)
	if s := strings.TrimSpace(r.BirthDate); s != "" {
		d, err := ParseDate(s)
		switch {
		case err != nil:
			add("birth_date", CodeInvalidDate, "write the date as 1999-03-12, 12.03.1999, 03.1999 or 1999")
		case !opts.Today.IsZero() && person.FromTime(opts.Today).Before(d):
			add("birth_date", CodeFutureDate, "the date lies in the future")
		default:
			p.BirthDate = d
		}
	}
	q := &Inquiry{Relative: p, Source: src}
	q.Party = strings.TrimSpace(r.Party)
	if q.Party == "" {
		add("party", CodeRequired, "required")
	} else if !contains(opts.Parties, q.Party) {
		add("party", CodeUnknownParty, "unknown side")
	}
	q.Relationship = strings.TrimSpace(r.Relationship)
	if code, ok := ParseRelationship(q.Relationship); ok {
		q.Relationship = code // "мати", "мать" and "mother" are one relationship
	}
	if q.Relationship == "" {
		add("relationship", CodeRequired, "required")
	} else if !contains(Relationships, q.Relationship) {
		add("relationship", CodeUnknownValue, "must be one of %s", strings.Join(Relationships, ", "))
	}
	q.InquirerName = text("inquirer_name", r.InquirerName, maxName, false)
	if e := strings.TrimSpace(r.Email); e != "" {
		addr, err := ValidateEmail(e)
		if err != nil {
			add("email", CodeInvalidEmail, "%v", err)
		}
		q.Email = addr
	}
	if ph := strings.TrimSpace(r.Phone); ph != "" {
		n, err := ValidatePhone(ph)
		if err != nil {
			add("phone", CodeInvalidPhone, "%v", err)
		}
		q.Phone = n
	}
	if u := strings.TrimSpace(r.WebhookURL); u != "" {
		if err := ValidateWebhookURL(u, opts.AllowHTTPWebhooks); err != nil {
			add("webhook_url", CodeInvalidURL, "%v", err)
		}
		q.WebhookURL = u
	}
	if strings.TrimSpace(r.Email) == "" && strings.TrimSpace(r.Phone) == "" && strings.TrimSpace(r.WebhookURL) == "" {
		add("email", CodeContactRequired, "give an e-mail address, a phone number or a webhook URL, so that you can be told when there is news")
	}
	q.WebhookStatus = r.WebhookStatus && q.WebhookURL != ""
	q.Lang = strings.TrimSpace(r.Lang)
	if q.Lang == "" {
		q.Lang = "en"
	} else if !contains(Languages, q.Lang) {
		add("lang", CodeUnknownValue, "must be one of %s", strings.Join(Languages, ", "))
	}
	if !r.Consent {
		add("consent", CodeConsentRequired, "the inquiry can only be kept and compared with the lists with your consent")
	}
	if len(errs) > 0 {
		return nil, &ValidationError{Fields: errs}
	}
	q.Relative.Normalize()
	q.Outcome = Outcome{Status: StatusNone}
	q.DedupKey = DedupKey(q.Party, q.Relative, q.Email, q.Phone, q.WebhookURL)
	return q, nil
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// ParseDate reads a date of birth as families write it: ISO ("1999",
// "1999-03", "1999-03-12") or day first with dots, slashes or dashes
// ("12.03.1999", "12/03/1999", "03.1999"). A partial date stays partial.
func ParseDate(s string) (person.Date, error) {
	s = strings.TrimSpace(s)
	if d, err := person.ParseISODate(s); err == nil {
		return d, nil
	}
	parts := strings.Split(strings.NewReplacer("/", ".", "-", ".").Replace(s), ".")
	if len(parts) < 2 || len(parts) > 3 || len(parts[len(parts)-1]) != 4 {
		return person.Date{}, fmt.Errorf("%q is not a date", s)
	}
	nums := make([]int, len(parts))
	for i, p := range parts {
		if len(p) > 4 || len(p) == 0 {
			return person.Date{}, fmt.Errorf("%q is not a date", s)
		}
		for _, c := range p {
			if c < '0' || c > '9' {
				return person.Date{}, fmt.Errorf("%q is not a date", s)
			}
			nums[i] = nums[i]*10 + int(c-'0')
		}
	}
	var d person.Date
	if len(nums) == 3 {
		d = person.Date{Year: nums[2], Month: nums[1], Day: nums[0]}
	} else {
		d = person.Date{Year: nums[1], Month: nums[0]}
	}
	if err := d.Validate(); err != nil {
		return person.Date{}, fmt.Errorf("%q: %w", s, err)
	}
	return d, nil
}

// ValidateEmail checks a single plain address ("name@example.org", no
// display name) and returns it trimmed.
func ValidateEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > maxEmail {
		return "", fmt.Errorf("at most %d characters", maxEmail)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || strings.ContainsAny(s, "\r\n<>,;\"") {
		return "", errors.New("not an e-mail address")
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || !strings.Contains(s[at+1:], ".") {
		return "", errors.New("not an e-mail address")
	}
	return s, nil
}

// Limits of an E.164 number: a country code and subscriber number of at
// most 15 digits (ITU-T E.164); no country's complete numbers are shorter
// than 7.
const (
	minPhoneDigits = 7
	maxPhoneDigits = 15
)

// ValidatePhone checks a phone number in international form and returns it
// as E.164 ("+380441234567"). Spaces, dots, dashes and brackets, as people
// write numbers, are dropped; a leading "00" counts as "+". A number
// without its country code is refused: the SMS gateway cannot guess the
// country, and a wrong guess would tell a stranger about the inquiry.
func ValidatePhone(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > 40 {
		return "", errors.New("too long for a phone number")
	}
	var b strings.Builder
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9':
			b.WriteRune(c)
		case c == '+' && i == 0:
		case c == ' ' || c == '.' || c == '-' || c == '(' || c == ')':
		default:
			return "", errors.New("write the number with digits only, in international form such as +380 44 123 4567")
		}
	}
	digits := b.String()
	switch {
	case strings.HasPrefix(s, "+"):
	case strings.HasPrefix(digits, "00"):
		digits = digits[2:]
	default:
		return "", errors.New("give the number in international form, with + and the country code, such as +380 44 123 4567")
	}
	if len(digits) < minPhoneDigits || len(digits) > maxPhoneDigits || digits[0] == '0' {
		return "", fmt.Errorf("an international number has a country code and %d to %d digits", minPhoneDigits, maxPhoneDigits)
	}
	return "+" + digits, nil
}

// ValidateWebhookURL checks a webhook URL as far as can be done without
// resolving it: https (http only when allowed), a host name, no user
// information, and no address literal of a loopback, private or link-local
// network. The sender checks the address again when it connects, since a
// name may resolve anywhere.
func ValidateWebhookURL(s string, allowHTTP bool) error {
	if len(s) > maxURL {
		return fmt.Errorf("at most %d characters", maxURL)
	}
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("not a URL")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && allowHTTP:
	default:
		return errors.New("the URL must start with https://")
	}
	if u.Host == "" || u.User != nil || u.Fragment != "" {
		return errors.New("the URL must name a host, without user name or fragment")
	}
	if !allowHTTP {
		host := u.Hostname()
		if ip, err := netip.ParseAddr(host); err == nil && !PublicAddr(ip) {
			return errors.New("the URL must point to a public address")
		}
		if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
			return errors.New("the URL must point to a public address")
		}
	}
	return nil
}

// PublicAddr reports whether ip is an address on the public internet: not
// loopback, private, link-local, multicast, unspecified or shared (CGNAT).
func PublicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsMulticast() || ip.IsUnspecified() || ip.IsInterfaceLocalMulticast() {
		return false
	}
	cgnat := netip.MustParsePrefix("100.64.0.0/10")
	return !cgnat.Contains(ip)
}

// DedupKey recognises a repeated submission: the same relative (same side,
// same names by their cross-script skeleton, same date of birth) asked
// about by the same contact. It is a SHA-256 digest, so that the key itself
// holds no name.
func DedupKey(party string, p person.Person, email, phone, webhook string) string {
	parts := []string{
		"families/dedup/v1", party,
		names.Key(firstNonEmpty(p.Surname, p.SurnameLatin)),
		names.Key(firstNonEmpty(p.GivenNames, p.GivenNamesLatin)),
		names.Key(firstNonEmpty(p.Patronymic, p.PatronymicLatin)),
		p.BirthDate.String(),
		strings.ToLower(strings.TrimSpace(email)),
		strings.TrimSpace(webhook),
	}
	// The phone joins the key only when given, so that the keys of
	// inquiries registered before phones were asked for stay the same.
	if phone != "" {
		parts = append(parts, "tel:"+phone)
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x1f")))
	return hex.EncodeToString(sum[:])
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}
