// Package hubclient is a party node's client for the hub's API (see
// docs/nodes.md, "Node to hub protocol"). Every request but /hub/v1/info
// is signed with the party's key (RFC 9421, package httpsig), so the hub
// knows which party is asking; statements inside are signed notes of
// their own (package statement), which the hub logs.
//
// The wire types live here, and the hub's handlers use the same ones, so
// that the two ends cannot drift apart.
package hubclient

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"parley/internal/httpsig"
	"parley/internal/statement"
)

// Info is what GET /hub/v1/info answers, without authentication: enough
// for a node to pin the hub at init.
type Info struct {
	Origin  string  `json:"origin"`
	LogKey  string  `json:"log_key"` // the log's signed-note verifier key
	Parties []Party `json:"parties"`
}

// Party is a party as the hub knows it.
type Party struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// SubmitRequest is the body of POST /hub/v1/statements.
type SubmitRequest struct {
	Statement string          `json:"statement"` // the signed note
	Payload   json.RawMessage `json:"payload,omitempty"`
}

// HandoverPayload carries the list a list.handover statement hands over:
// its parley-list/v1 canonical bytes (lists.CanonicalBytes), whose hash the
// statement signs.
type HandoverPayload struct {
	List []byte `json:"list"` // base64 in JSON
}

// AckPayload carries the reservation text of a list.ack statement, whose
// hash the statement signs.
type AckPayload struct {
	Reservation string `json:"reservation"`
}

// ProposalPayload carries the proposal a proposal.* statement is about.
type ProposalPayload struct {
	Proposal json.RawMessage `json:"proposal"`
}

// SubmitResult is the hub's answer to an accepted statement: the index of
// the log entry that records it; Duplicate when the hub had it already
// (the index is then the first one's).
type SubmitResult struct {
	Index     int64 `json:"index"`
	Duplicate bool  `json:"duplicate"`
}

// ListInfo describes a list handed over from or to the calling party.
type ListInfo struct {
	ID          string `json:"id"`
	From        string `json:"from"`
	To          string `json:"to"`
	Title       string `json:"title"`
	Version     int    `json:"version"`
	PrevID      string `json:"prev_id,omitempty"`
	EntryCount  int    `json:"entry_count"`
	ContentHash string `json:"content_hash"`
	Index       int64  `json:"index"` // the list.handed_over log entry
	// Acknowledged etc. are the state of the list at the hub.
	State       string `json:"state"`
	Reservation string `json:"reservation,omitempty"`
}

// ListsResponse is GET /hub/v1/lists.
type ListsResponse struct {
	Lists []ListInfo `json:"lists"`
}

// ProposalsResponse is GET /hub/v1/proposals: the negotiation records the
// calling party may see, as the hub's JSON API shows them to a party.
type ProposalsResponse struct {
	Proposals []json.RawMessage `json:"proposals"`
}

// Problem is the JSON body of a refusal.
type Problem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ErrUnreachable wraps failures that say nothing about the request itself:
// the hub cannot be reached, or its answer broke off. A node keeps such a
// submission queued and tries again.
var ErrUnreachable = errors.New("hub unreachable")

// ErrHubFailed is matched by every *HubError: the hub was reached and
// answered 5xx.
var ErrHubFailed = errors.New("hub failed")

// HubError is a 5xx answer: the hub (or a proxy in front of it) was
// reached and failed. Like ErrUnreachable it says nothing about the
// request itself, so a node keeps the submission queued and tries again
// (see Transient); it is told apart so that a person is told the hub
// failed rather than that it cannot be reached.
type HubError struct {
	Method, Path string
	Status       int
	// Message is what the hub said: a problem's message, or the first
	// line of a plain answer; "" when it said nothing beyond the status.
	Message string
}

func (e *HubError) Error() string {
	return fmt.Sprintf("hub %s %s: status %d: %s", e.Method, e.Path, e.Status, e.Reason())
}

// Is makes errors.Is(err, ErrHubFailed) true.
func (e *HubError) Is(target error) bool { return target == ErrHubFailed }

// Reason is the hub's message, or the status's standard text when the
// hub said nothing more (a bare "Bad Gateway" from a proxy is the
// status text already, and is not said twice).
func (e *HubError) Reason() string {
	if e.Message != "" {
		return e.Message
	}
	if t := http.StatusText(e.Status); t != "" {
		return t
	}
	return strconv.Itoa(e.Status)
}

// Transient reports whether err means the hub could not take a request
// now (unreachable, or a 5xx answer), so that trying later can succeed.
func Transient(err error) bool {
	return errors.Is(err, ErrUnreachable) || errors.Is(err, ErrHubFailed)
}

// FailedAnswer returns the *HubError of a 5xx answer to method path whose
// body is data, for a reader of the hub's other endpoints (the log's
// tiles); nil for any other status.
func FailedAnswer(method, path string, status int, data []byte) error {
	if status < 500 || status > 599 {
		return nil
	}
	return &HubError{Method: method, Path: path, Status: status, Message: hubMessage(status, data)}
}

// maxHubMessage bounds the part of a 5xx answer kept as its message.
const maxHubMessage = 300

// hubMessage returns what a 5xx answer says beyond its status: the
// problem's message, or the first line of a plain body, and "" for an
// empty body or one that only repeats the status text.
func hubMessage(status int, data []byte) string {
	var p Problem
	m := ""
	if json.Unmarshal(data, &p) == nil && (p.Message != "" || p.Code != "") {
		m = p.Message
		if m == "" {
			m = p.Code
		}
	} else {
		m = string(data)
		if i := strings.IndexAny(m, "\r\n"); i >= 0 {
			m = m[:i]
		}
	}
	m = strings.TrimSpace(strings.ToValidUTF8(m, ""))
	if len(m) > maxHubMessage {
		m = strings.ToValidUTF8(m[:maxHubMessage], "") + "…"
	}
	t := http.StatusText(status)
	if strings.EqualFold(m, t) || strings.EqualFold(m, strconv.Itoa(status)+" "+t) || m == strconv.Itoa(status) {
		return ""
	}
	return m
}

// RefusedError is a 4xx answer: the hub understood and refused. Trying
// again will not help.
type RefusedError struct {
	Status int
	Problem
}

// Final reports whether the refusal is about the request itself, so that
// sending it again cannot help. 401 (the hub does not trust the signing
// key yet: the mediator has still to run "party trust") and 429 are not.
func (e *RefusedError) Final() bool {
	return e.Status != 401 && e.Status != 429
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("hub refused (%d %s): %s", e.Status, e.Code, e.Message)
}

// Client talks to one hub as one party.
type Client struct {
	base   *url.URL
	signer *httpsig.Signer
	HTTP   *http.Client
}

// New returns a client of the hub at base (for example
// "http://127.0.0.1:8080") that signs with key under keyID (the party key's
// signed-note name). A nil key makes an unsigned client, good for Info and
// the public log only.
func New(base, keyID string, key ed25519.PrivateKey) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("hub address %q: want http(s)://host:port", base)
	}
	c := &Client{base: u, HTTP: &http.Client{Timeout: 30 * time.Second}}
	if key != nil {
		c.signer = &httpsig.Signer{KeyID: keyID, Key: key}
	}
	return c, nil
}

// NewFromKeyFile returns a client signing with the signed-note private key
// in the file at path (a node's keys/party-P.key).
func NewFromKeyFile(base, path string) (*Client, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("party key: %w", err)
	}
	name, key, err := statement.PrivateKey(string(b))
	if err != nil {
		return nil, err
	}
	return New(base, name, key)
}

// Base returns the hub's address.
func (c *Client) Base() string { return c.base.String() }

// URL returns the absolute URL of a path on the hub.
func (c *Client) URL(path string) string { return c.base.String() + path }

// Do sends a request to the hub, signed when the client has a key, and
// decodes a 2xx JSON answer into out (unless out is nil). A network error
// wraps ErrUnreachable; a 5xx answer is a *HubError; a 4xx answer is a
// *RefusedError.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("hub %s %s: encode: %w", method, path, err)
		}
	}
	resp, err := c.send(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return fmt.Errorf("%w: %s %s: read answer: %v", ErrUnreachable, method, path, err)
	}
	if err := statusError(method, path, resp.StatusCode, data); err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if b, ok := out.(*[]byte); ok {
		*b = data
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("hub %s %s: decode answer: %w", method, path, err)
	}
	return nil
}

func (c *Client) send(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.URL(path), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("hub %s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.signer != nil {
		if err := c.signer.Sign(req, body); err != nil {
			return nil, err
		}
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %s: %v", ErrUnreachable, method, path, err)
	}
	return resp, nil
}

func statusError(method, path string, status int, data []byte) error {
	switch {
	case status >= 200 && status < 300:
		return nil
	case status >= 400 && status < 500:
		e := &RefusedError{Status: status}
		if json.Unmarshal(data, &e.Problem) != nil || e.Code == "" {
			e.Code = strconv.Itoa(status)
			e.Message = strings.TrimSpace(string(data))
		}
		return e
	case status >= 500 && status < 600:
		return FailedAnswer(method, path, status, data)
	default:
		return fmt.Errorf("%w: %s %s: status %d: %s", ErrUnreachable, method, path, status, strings.TrimSpace(string(data)))
	}
}

// Info fetches the hub's public description.
func (c *Client) Info(ctx context.Context) (*Info, error) {
	var info Info
	if err := c.Do(ctx, "GET", "/hub/v1/info", nil, &info); err != nil {
		return nil, err
	}
	return &info, nil
}

// Submit sends a signed statement with its payload.
func (c *Client) Submit(ctx context.Context, note []byte, payload json.RawMessage) (*SubmitResult, error) {
	var res SubmitResult
	if err := c.Do(ctx, "POST", "/hub/v1/statements", SubmitRequest{Statement: string(note), Payload: payload}, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Lists returns the lists handed over from or to the calling party whose
// hand-over was logged at index since or later.
func (c *Client) Lists(ctx context.Context, since int64) ([]ListInfo, error) {
	var res ListsResponse
	if err := c.Do(ctx, "GET", "/hub/v1/lists?since="+strconv.FormatInt(since, 10), nil, &res); err != nil {
		return nil, err
	}
	return res.Lists, nil
}

// List returns the canonical bytes (parley-list/v1) of a handed-over list.
func (c *Client) List(ctx context.Context, id string) ([]byte, error) {
	var b []byte
	if err := c.Do(ctx, "GET", "/hub/v1/lists/"+url.PathEscape(id), nil, &b); err != nil {
		return nil, err
	}
	return b, nil
}

// Proposals returns the proposals the calling party may see.
func (c *Client) Proposals(ctx context.Context) ([]json.RawMessage, error) {
	var res ProposalsResponse
	if err := c.Do(ctx, "GET", "/hub/v1/proposals", nil, &res); err != nil {
		return nil, err
	}
	return res.Proposals, nil
}
