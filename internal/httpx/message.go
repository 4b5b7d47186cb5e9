package httpx

import (
	"errors"
	"net/http"

	"parley/internal/access"
	"parley/internal/msg"
	"parley/internal/service"
)

// Message is Status in the reader's language: the status, the stable code
// of the message (see package msg) and its text in lang. An error that
// carries a msg.Msg is rendered from the catalogue; the kinds Status
// answers with a fixed phrase get the catalogue's phrase for their status,
// so that a page or API body never shows an English sentence to a reader
// of another language. A not-found error never says more than "not found":
// what it wraps may name a record the reader may not see.
func Message(err error, lang string) (status int, code, text string, ok bool) {
	status, english, ok := Status(err)
	if wait, throttled := service.IsThrottled(err); throttled {
		return status, "error.throttled", msg.Text(lang, msg.New("error.throttled", "seconds", int(wait.Seconds()+0.5))), ok
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return status, "error.too_large", msg.Text(lang, msg.New("error.too_large", "bytes", int(mbe.Limit))), ok
	}
	switch status {
	case http.StatusNotFound:
		return status, "error.not_found", msg.Text(lang, msg.New("error.not_found")), ok
	case http.StatusInternalServerError:
		return status, "error.internal", msg.Text(lang, msg.New("error.internal")), ok
	}
	if m, has := msg.Of(err); has {
		return status, m.Code, msg.Text(lang, m), ok
	}
	switch {
	case errors.Is(err, service.ErrBadCredentials):
		return status, "error.bad_credentials", msg.Text(lang, msg.New("error.bad_credentials")), ok
	case errors.Is(err, access.ErrUnauthenticated):
		return status, "error.unauthenticated", msg.Text(lang, msg.New("error.unauthenticated")), ok
	case errors.Is(err, access.ErrForbidden):
		return status, "error.forbidden", msg.Text(lang, msg.New("error.forbidden")), ok
	case errors.Is(err, service.ErrHalted):
		return status, "error.halted", msg.Text(lang, msg.New("error.halted")), ok
	}
	// Not yet a message of the catalogue: the service's own words.
	return status, "", english, ok
}
