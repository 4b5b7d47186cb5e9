package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"parley/internal/access"
	"parley/internal/families"
	"parley/internal/service"
)

func TestStatus(t *testing.T) {
	for _, c := range []struct {
		name   string
		err    error
		status int
		msg    string
		known  bool
	}{
		{"invalid", fmt.Errorf("%w: round title is empty", service.ErrInvalid), http.StatusUnprocessableEntity, "invalid input: round title is empty", true},
		{"inquiry", &families.ValidationError{Fields: []families.FieldError{{Field: "surname", Code: "required"}}}, http.StatusUnprocessableEntity, "", true},
		{"not found hides the id", fmt.Errorf("list %q: %w", "L1", service.ErrNotFound), http.StatusNotFound, "not found", true},
		{"forbidden", access.Forbid("deny.manage_users"), http.StatusForbidden, "", true},
		{"unauthenticated", access.ErrUnauthenticated, http.StatusUnauthorized, "", true},
		{"conflict", fmt.Errorf("%w: decided", service.ErrConflict), http.StatusConflict, "", true},
		{"halted", service.ErrHalted, http.StatusServiceUnavailable, "", true},
		{"too large", &http.MaxBytesError{Limit: 10}, http.StatusRequestEntityTooLarge, "the request is larger than 10 bytes", true},
		{"anything else", errors.New("disk on fire"), http.StatusInternalServerError, "internal error", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, msg, known := Status(c.err)
			if status != c.status || known != c.known || (c.msg != "" && msg != c.msg) {
				t.Errorf("Status(%v) = %d %q %v, want %d %q %v", c.err, status, msg, known, c.status, c.msg, c.known)
			}
		})
	}
}

func TestWriteJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteJSON(rec, http.StatusCreated, map[string]string{"id": "x"})
	if rec.Code != http.StatusCreated || rec.Header().Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("got %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	var got map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got["id"] != "x" {
		t.Fatalf("body %q: %v", rec.Body.String(), err)
	}
}

func TestSetSecurityHeaders(t *testing.T) {
	h := http.Header{}
	SetSecurityHeaders(h, "default-src 'none'")
	for k, v := range map[string]string{"Content-Security-Policy": "default-src 'none'", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
		if got := h.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}
