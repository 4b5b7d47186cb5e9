// Package httpx is the HTTP toolkit the workbench (internal/web) and the
// family site (internal/familyweb) share, so that the two front ends answer
// alike: how an error of the service becomes a status, and how a JSON body
// is written.
package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"parley/internal/access"
	"parley/internal/families"
	"parley/internal/service"
)

// Status maps an error of the service to an HTTP status and a message safe
// to show. Input the service refuses (service.ErrInvalid, and an inquiry
// that fails families' checks) is 422 Unprocessable Entity: the request
// was well formed, its content was not; 400 is left for requests that
// cannot be read at all. ok is false when err is none of the kinds the
// service names: the caller answers 500 and logs it.
func Status(err error) (status int, msg string, ok bool) {
	switch {
	case errors.Is(err, access.ErrUnauthenticated), errors.Is(err, service.ErrBadCredentials):
		return http.StatusUnauthorized, err.Error(), true
	case errors.Is(err, access.ErrForbidden):
		return http.StatusForbidden, err.Error(), true
	case errors.Is(err, service.ErrNotFound):
		return http.StatusNotFound, "not found", true
	case errors.Is(err, service.ErrInvalid), errors.Is(err, families.ErrInvalid):
		return http.StatusUnprocessableEntity, err.Error(), true
	case errors.Is(err, service.ErrConflict), errors.Is(err, service.ErrWrongMode):
		return http.StatusConflict, err.Error(), true
	case errors.Is(err, service.ErrHalted):
		return http.StatusServiceUnavailable, err.Error(), true
	}
	if _, throttled := service.IsThrottled(err); throttled {
		return http.StatusTooManyRequests, err.Error(), true
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("the request is larger than %d bytes", mbe.Limit), true
	}
	return http.StatusInternalServerError, "internal error", false
}

// WriteJSON answers with v as indented JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	jsonType.Apply(w.Header())
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// SetSecurityHeaders sets what every answer of both front ends carries:
// the page's Content Security Policy (each front end has its own), no MIME
// sniffing, no referrer (an address may name a list or a family's status
// page) and no framing. A front end sets them on every answer with the
// HeaderSet of SecurityHeaders, built once.
func SetSecurityHeaders(h http.Header, csp string) { SecurityHeaders(csp).Apply(h) }

// SecurityHeaders returns the headers of SetSecurityHeaders followed by
// extra (name, value pairs).
func SecurityHeaders(csp string, extra ...string) HeaderSet {
	return NewHeaderSet(append([]string{
		"Content-Security-Policy", csp,
		"X-Content-Type-Options", "nosniff",
		"Referrer-Policy", "no-referrer",
		"X-Frame-Options", "DENY",
	}, extra...)...)
}

// HeaderSet is a set of response headers built once and set on many
// answers without an allocation: every answer's header map shares the
// value slices, whose capacity is their length, so that a handler adding
// a value to one of them (Header.Add) copies it rather than writing into
// the shared array.
type HeaderSet []headerValue

type headerValue struct {
	name   string
	values []string
}

// NewHeaderSet returns the headers of name, value pairs; a name given
// twice keeps its last value.
func NewHeaderSet(pairs ...string) HeaderSet {
	var hs HeaderSet
	for i := 0; i+1 < len(pairs); i += 2 {
		name := http.CanonicalHeaderKey(pairs[i])
		v := []string{pairs[i+1]}
		hs = slices.DeleteFunc(hs, func(e headerValue) bool { return e.name == name })
		hs = append(hs, headerValue{name, v[:1:1]})
	}
	return hs
}

// Apply sets the headers on h, replacing any values they had.
func (hs HeaderSet) Apply(h http.Header) {
	for _, e := range hs {
		h[e.name] = e.values
	}
}

// jsonType is the Content-Type of a JSON answer.
var jsonType = NewHeaderSet("Content-Type", "application/json; charset=utf-8")

// ErrorBody is the JSON body of every API error of both front ends.
type ErrorBody struct {
	Error   string `json:"error"`   // the message, in the reader's language (as Message)
	Code    string `json:"code"`    // the message's stable code; "" for errors that carry none
	Message string `json:"message"` // the message, in the reader's language
	// Problems are the rows of an upload that failed its checks.
	Problems []Problem `json:"problems,omitempty"`
	// Fields are the fields of a family's inquiry that failed its checks.
	Fields []families.FieldError `json:"fields,omitempty"`
	// Details say more about a refusal (a proposal that breaks its rule).
	Details map[string]any `json:"details,omitempty"`
}

// Problem is one row of an upload that failed its checks.
type Problem struct {
	Row    int    `json:"row"`
	Column string `json:"column,omitempty"`
	Value  string `json:"value,omitempty"`
	Reason string `json:"reason"`
	// Code is the kind of problem, see docs/limits.md (invalid,
	// control_character, file_too_large, xml_error, ...).
	Code string `json:"code,omitempty"`
	// Kind is the message code of the problem, e.g.
	// listfile.missing_surname.
	Kind string `json:"kind,omitempty"`
}
