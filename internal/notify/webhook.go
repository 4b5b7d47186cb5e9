package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"parley/internal/families"
	"parley/internal/store"
)

// Webhook headers. The signature is HMAC-SHA256 with the installation's
// webhook secret over the timestamp, a dot and the body
// ("<unix seconds>.<body>"), hex-encoded after "sha256=". The timestamp
// lets a receiver refuse replays of old calls; the idempotency key lets it
// ignore a repeated delivery.
const (
	HeaderSignature   = "X-Parley-Signature"
	HeaderTimestamp   = "X-Parley-Timestamp"
	HeaderIdempotency = "Idempotency-Key"
	HeaderEvent       = "X-Parley-Event"
)

// WebhookConfig configures webhook calls.
type WebhookConfig struct {
	// Secret signs every call; at least 32 bytes.
	Secret []byte
	// Timeout bounds one call; default 15 s.
	Timeout time.Duration
	// AllowPrivate permits calls to loopback and private addresses (tests
	// and closed networks). Without it the sender refuses to connect to
	// any address that is not public, whatever the URL's name resolves to,
	// so that a family-supplied URL cannot reach the server's own network.
	AllowPrivate bool
}

// WebhookSender posts notifications to families' webhook URLs.
type WebhookSender struct {
	cfg    WebhookConfig
	client *http.Client
}

// NewWebhookSender checks a configuration.
func NewWebhookSender(cfg WebhookConfig) (*WebhookSender, error) {
	if len(cfg.Secret) < 32 {
		return nil, errors.New("webhook: the signing secret must have at least 32 bytes")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	dialer := &net.Dialer{Timeout: cfg.Timeout}
	if !cfg.AllowPrivate {
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			ip, err := netip.ParseAddr(host)
			if err != nil || !families.PublicAddr(ip) {
				return fmt.Errorf("webhook: refusing to connect to non-public address %s", host)
			}
			return nil
		}
	}
	tr := &http.Transport{
		Proxy:                 nil, // the address check must see the real peer
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   cfg.Timeout,
		ResponseHeaderTimeout: cfg.Timeout,
		MaxIdleConns:          10,
		IdleConnTimeout:       30 * time.Second,
	}
	return &WebhookSender{cfg: cfg, client: &http.Client{
		Transport: tr,
		Timeout:   cfg.Timeout,
		// A redirect could lead anywhere; the family registered this URL.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}, nil
}

// Sign returns the signature header value for a body at a time.
func Sign(secret []byte, ts int64, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a webhook call as a receiver would: the signature over the
// timestamp and body, and a timestamp no further than tolerance from now.
func Verify(secret []byte, signature, timestamp string, body []byte, now time.Time, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return errors.New("webhook: bad timestamp")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return errors.New("webhook: timestamp outside the tolerance")
	}
	if !hmac.Equal([]byte(Sign(secret, ts, body)), []byte(signature)) {
		return errors.New("webhook: bad signature")
	}
	return nil
}

// WebhookBody is the JSON that a webhook call posts. Status and Date are
// present only for families who asked for them; Secret only in a call
// that delivers a replacement secret.
type WebhookBody struct {
	ID        string `json:"id"`
	Event     Kind   `json:"event"`
	Reference string `json:"reference"`
	Status    string `json:"status,omitempty"`
	Date      string `json:"date,omitempty"`
	Secret    string `json:"secret,omitempty"`
}

// Send posts one signed call and returns nil only for a 2xx answer. 410
// Gone gives a PermanentError; every other failure is temporary.
func (w *WebhookSender) Send(ctx context.Context, url, id string, event Kind, body []byte, now time.Time) error {
	ts := now.Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return &PermanentError{Err: fmt.Errorf("webhook: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Parley-Notify/1")
	req.Header.Set(HeaderIdempotency, id)
	req.Header.Set(HeaderEvent, string(event))
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(w.cfg.Secret, ts, body))
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", scrubURL(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusGone:
		return &PermanentError{Err: fmt.Errorf("webhook: the receiver answered %s", resp.Status)}
	default:
		return fmt.Errorf("webhook: the receiver answered %s", resp.Status)
	}
}

// scrubURL drops the URL from an error: it may carry a family's token in
// its query, and errors end up in logs and in the outbox.
func scrubURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// webhookSecretSetting names the installation's webhook signing secret in
// the settings table, where every server process of the installation finds
// the same one.
const webhookSecretSetting = "notify.webhook_secret"

// InstallationSecret returns the installation's webhook signing secret,
// creating a random 32-byte one on first use. Give it to the organisations
// that register webhooks, so that they can check the signatures (Verify).
func InstallationSecret(ctx context.Context, db *store.DB) ([]byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	var v string
	err := db.Update(ctx, func(tx *store.Tx) (err error) {
		v, err = tx.InitSetting(ctx, webhookSecretSetting, hex.EncodeToString(b))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("webhook secret: %w", err)
	}
	secret, err := hex.DecodeString(v)
	if err != nil || len(secret) < 32 {
		return nil, fmt.Errorf("webhook secret in the settings is damaged")
	}
	return secret, nil
}
