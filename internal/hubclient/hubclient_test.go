package hubclient

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestStatusError: what a node does with an answer depends on its kind —
// keep the statement queued (unreachable, or a key not trusted yet) or
// mark it refused for good.
func TestStatusError(t *testing.T) {
	cases := []struct {
		status      int
		body        string
		unreachable bool // or failed: kept queued, tried again
		final       bool
		code        string
	}{
		{201, `{}`, false, false, ""},
		{401, `{"code":"signature_invalid","message":"m"}`, false, false, "signature_invalid"},
		{403, `{"code":"statement_unsigned","message":"m"}`, false, true, "statement_unsigned"},
		{422, `not json`, false, true, "422"},
		{429, ``, false, false, "429"},
		{502, `bad gateway`, true, false, ""},
		{503, ``, true, false, ""},
	}
	for _, c := range cases {
		err := statusError("POST", "/hub/v1/statements", c.status, []byte(c.body))
		if c.status < 300 {
			if err != nil {
				t.Errorf("%d: %v", c.status, err)
			}
			continue
		}
		if Transient(err) != c.unreachable {
			t.Errorf("%d: transient = %v", c.status, Transient(err))
		}
		var re *RefusedError
		if errors.As(err, &re) {
			if re.Final() != c.final || re.Code != c.code {
				t.Errorf("%d: final %v code %q", c.status, re.Final(), re.Code)
			}
		} else if !c.unreachable {
			t.Errorf("%d: %v is not a refusal", c.status, err)
		}
	}
	if _, err := New("ftp://hub", "", nil); err == nil {
		t.Error("a non-HTTP hub address was accepted")
	}
}

// TestHubFailed: a 5xx answer is a *HubError with its status and what the
// hub said, told apart from a hub that cannot be reached, and its text
// says the status's reason once.
func TestHubFailed(t *testing.T) {
	cases := []struct {
		name        string
		status      int
		contentType string
		body        string
		message     string // HubError.Message
		reason      string // HubError.Reason()
	}{
		{"problem", 500, "application/json", `{"code":"internal","message":"the database is not answering"}`, "the database is not answering", "the database is not answering"},
		{"proxy text", 502, "text/plain", "Bad Gateway\n", "", "Bad Gateway"},
		{"status line", 502, "text/plain", "502 Bad Gateway", "", "Bad Gateway"},
		{"empty", 503, "text/plain", "", "", "Service Unavailable"},
		{"html page", 502, "text/html", "<html>upstream timed out\n<body>...</body></html>", "<html>upstream timed out", "<html>upstream timed out"},
		{"stdlib error", 500, "text/plain", "Internal Server Error\n", "", "Internal Server Error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", c.contentType)
				w.WriteHeader(c.status)
				_, _ = w.Write([]byte(c.body))
			}))
			defer srv.Close()
			cl, err := New(srv.URL, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = cl.Info(context.Background())
			var he *HubError
			if !errors.As(err, &he) {
				t.Fatalf("Info = %v, want a *HubError", err)
			}
			if errors.Is(err, ErrUnreachable) || !errors.Is(err, ErrHubFailed) || !Transient(err) {
				t.Errorf("%v: unreachable %v, failed %v, transient %v", err, errors.Is(err, ErrUnreachable), errors.Is(err, ErrHubFailed), Transient(err))
			}
			if he.Status != c.status || he.Message != c.message || he.Reason() != c.reason {
				t.Errorf("status %d message %q reason %q; want %d %q %q", he.Status, he.Message, he.Reason(), c.status, c.message, c.reason)
			}
			if n := strings.Count(err.Error(), c.reason); n != 1 {
				t.Errorf("%q says %q %d times", err.Error(), c.reason, n)
			}
		})
	}

	// A hub that cannot be reached is not a hub that failed.
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	cl, err := New(srv.URL, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Info(context.Background()); !errors.Is(err, ErrUnreachable) || errors.Is(err, ErrHubFailed) {
		t.Errorf("closed hub: %v", err)
	}
}
