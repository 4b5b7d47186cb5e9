package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"parley/internal/msg"
)

// SMS gateway adapter.
//
// Parley sends text messages through an HTTP gateway (an SMS provider's
// API, or a small relay in front of one). Every message is one request:
//
//	POST <PARLEY_SMS_URL>
//	Authorization: Bearer <PARLEY_SMS_TOKEN>
//	Content-Type: application/json
//	Idempotency-Key: ntf-…              (the outbox id, the same on every attempt)
//
//	{"id": "ntf-…", "to": "+380441234567", "text": "…", "from": "Parley"}
//
// "to" is an E.164 number; "from" (the sender name, PARLEY_SMS_FROM) is
// left out when not configured. The gateway answers:
//
//   - 2xx: it has taken the message. Parley marks it delivered.
//   - 409 Conflict: it has already taken a message with this id (an
//     earlier attempt whose answer was lost). Parley marks it delivered
//     and does not send again.
//   - 400, 404, 410, 422: it will never take this message (say, a number
//     that is no mobile). Parley gives the message up and keeps it for
//     review.
//   - anything else, or no answer (401/403 too: a token can be fixed):
//     Parley tries again later, with backoff, without end.
//
// Exactly once: the gateway must remember the ids it has taken (for at
// least as long as Parley retries, days) and not send a second text for an
// id it knows, answering 2xx or 409. Parley keeps the id stable across
// attempts, dispatchers and restarts, so a lost answer, a crash after
// sending or two dispatchers cannot make a family's phone ring twice.

// SMSConfig configures the SMS gateway.
type SMSConfig struct {
	// URL receives the POST requests; https, or http for a gateway on the
	// same host or in tests.
	URL string
	// Token is sent as a bearer token; never logged.
	Token string
	// From is the sender name or number shown on the phone; optional.
	From string
	// Timeout bounds one request; default 15 s.
	Timeout time.Duration
	// Client replaces the HTTP client (tests); its Timeout is kept.
	Client *http.Client
}

// SMSSender sends text messages through one gateway.
type SMSSender struct {
	cfg    SMSConfig
	client *http.Client
}

// NewSMSSender checks a configuration.
func NewSMSSender(cfg SMSConfig) (*SMSSender, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("sms: the gateway URL must be an http or https URL")
	}
	if cfg.Token == "" {
		return nil, errors.New("sms: no gateway token")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{
			Timeout: cfg.Timeout,
			Transport: &http.Transport{
				Proxy:               http.ProxyFromEnvironment,
				MaxIdleConnsPerHost: 16, // one kept-alive connection per worker
				IdleConnTimeout:     90 * time.Second,
				ForceAttemptHTTP2:   true,
			},
			// The gateway answers where it is configured; a redirect would
			// carry the token elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return &SMSSender{cfg: cfg, client: client}, nil
}

// SMSBody is the JSON that the gateway receives.
type SMSBody struct {
	ID   string `json:"id"`
	To   string `json:"to"`
	Text string `json:"text"`
	From string `json:"from,omitempty"`
}

// Send hands one message to the gateway and returns nil only when the
// gateway has taken it (2xx, or 409 for an id it already has).
func (s *SMSSender) Send(ctx context.Context, id, to, text string) error {
	b, err := json.Marshal(SMSBody{ID: id, To: to, Text: text, From: s.cfg.From})
	if err != nil {
		return &PermanentError{Err: fmt.Errorf("sms: %w", err)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.URL, bytes.NewReader(b))
	if err != nil {
		return &PermanentError{Err: fmt.Errorf("sms: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Parley-Notify/1")
	req.Header.Set("Authorization", "Bearer "+s.cfg.Token)
	req.Header.Set(HeaderIdempotency, id)
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("sms: gateway: %w", scrubURL(err))
	}
	defer resp.Body.Close()
	// Read the (short) answer so that the connection can be used again.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300, c == http.StatusConflict:
		return nil
	case c == http.StatusBadRequest, c == http.StatusNotFound, c == http.StatusGone, c == http.StatusUnprocessableEntity:
		return &PermanentError{Err: fmt.Errorf("sms: the gateway refused the message: %s", resp.Status)}
	default:
		return fmt.Errorf("sms: the gateway answered %s", resp.Status)
	}
}

// RenderSMS returns the text message for a notification, in its language
// (English when unknown).
func RenderSMS(n Notification, statusURL string) (string, error) {
	if err := checkKind(n, "text message"); err != nil {
		return "", err
	}
	if strings.ContainsAny(n.Reference, "\r\n") {
		return "", errors.New("a reference with a line break")
	}
	return msg.Text(msg.Pick(n.Lang), msg.New("notify.sms."+string(n.Kind), params(n, statusURL)...)), nil
}
