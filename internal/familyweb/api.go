package familyweb

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"parley/internal/access"
	"parley/internal/families"
	"parley/internal/httpx"
	"parley/internal/msg"
	"parley/internal/service"
)

// errorBody is the API's answer to a request refused for one reason, in
// the body both front ends give (the family API's sentences are not yet
// codes of the message catalogue).
func errorBody(text string) httpx.ErrorBody { return httpx.ErrorBody{Error: text, Message: text} }

func writeJSON(w http.ResponseWriter, status int, v any) { httpx.WriteJSON(w, status, v) }

// decodeJSON reads a JSON body of bounded size. It insists on the JSON
// content type: a cross-site HTML form cannot send it without the
// browser's permission check, which is one more guard against forged
// requests.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); !strings.EqualFold(ct, "application/json") && !isJSONType(ct) {
		writeJSON(w, http.StatusUnsupportedMediaType, errorBody("send application/json"))
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxForm))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody("bad JSON: "+err.Error()))
		return false
	}
	return true
}

// isJSONType reports whether a Content-Type with parameters is JSON.
func isJSONType(ct string) bool {
	mt, _, _ := mime.ParseMediaType(ct)
	return mt == "application/json"
}

func rateLimited(w http.ResponseWriter, hdr func(http.ResponseWriter)) {
	if hdr != nil {
		hdr(w)
	}
	writeJSON(w, http.StatusTooManyRequests, errorBody("too many attempts; wait and try again"))
}

// registerResponse answers a registration: the secret only when new.
type registerResponse struct {
	Reference string `json:"reference"`
	Secret    string `json:"secret,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
	Message   string `json:"message"`
}

func (h *Handler) apiRegister(w http.ResponseWriter, r *http.Request) {
	ip := limitKey(h.opts.ClientIP(r))
	if blocked, retry := h.inquiries.blocked(r.Context(), ip); blocked {
		rateLimited(w, func(w http.ResponseWriter) { tooMany(w, retry) })
		return
	}
	var req families.Request
	if !decodeJSON(w, r, &req) {
		return
	}
	reg, err := h.svc.RegisterInquiry(r.Context(), req, service.RegisterOptions{Source: families.SourceAPI, AllowHTTPWebhooks: h.opts.AllowHTTPWebhooks})
	var verr *families.ValidationError
	switch {
	case errors.As(err, &verr):
		status, _ := serviceError(verr)
		writeJSON(w, status, httpx.ErrorBody{Error: "the inquiry is incomplete or wrong", Message: "the inquiry is incomplete or wrong", Fields: verr.Fields})
		return
	case err != nil:
		h.opts.Logger.Error("familyweb: register inquiry", "err", err)
		writeJSON(w, http.StatusInternalServerError, errorBody("internal error"))
		return
	}
	h.inquiries.add(r.Context(), ip)
	if reg.Duplicate {
		writeJSON(w, http.StatusOK, registerResponse{Reference: reg.Reference, Duplicate: true,
			Message: "this relative is already registered with this contact; use the secret you received then, or ask for a new one to be sent to the registered contact (POST /api/v1/inquiries/new-secret)"})
		return
	}
	writeJSON(w, http.StatusCreated, registerResponse{Reference: reg.Reference, Secret: reg.Secret,
		Message: "keep the reference and the secret; the secret is shown only this once"})
}

type credentials struct {
	Reference string `json:"reference"`
	Secret    string `json:"secret"`
}

func (h *Handler) apiStatus(w http.ResponseWriter, r *http.Request) {
	var c credentials
	if !decodeJSON(w, r, &c) {
		return
	}
	st, code, _, hdr := h.lookup(r, c.Reference, c.Secret)
	switch {
	case code == http.StatusTooManyRequests:
		rateLimited(w, hdr)
	case st == nil && code == http.StatusForbidden:
		writeJSON(w, code, errorBody(service.ErrNotRecognised.Error()))
	case st == nil:
		writeJSON(w, code, errorBody("internal error"))
	default:
		writeJSON(w, http.StatusOK, st)
	}
}

// newSecretRequest asks for a new secret for an inquiry.
type newSecretRequest struct {
	Reference string `json:"reference"`
}

// messageResponse is an answer that is only a sentence.
type messageResponse struct {
	Message string `json:"message"`
}

func (h *Handler) apiNewSecret(w http.ResponseWriter, r *http.Request) {
	var c newSecretRequest
	if !decodeJSON(w, r, &c) {
		return
	}
	if ok, retry := h.newSecrets.allow(r.Context(), limitKey(h.opts.ClientIP(r))); !ok {
		rateLimited(w, func(w http.ResponseWriter) { tooMany(w, retry) })
		return
	}
	if err := h.svc.RequestNewSecret(r.Context(), c.Reference); err != nil {
		h.opts.Logger.Error("familyweb: new secret", "err", err)
		writeJSON(w, http.StatusInternalServerError, errorBody("internal error"))
		return
	}
	writeJSON(w, http.StatusAccepted, messageResponse{Message: "if the reference exists and has a contact, a new secret is on its way to it"})
}

// actor returns the signed-in user, or answers 401.
func (h *Handler) actor(w http.ResponseWriter, r *http.Request) (access.Actor, bool) {
	if h.opts.Actor != nil {
		if a, ok := h.opts.Actor(r); ok {
			return a, true
		}
	}
	writeJSON(w, http.StatusUnauthorized, errorBody(access.ErrUnauthenticated.Error()))
	return access.Actor{}, false
}

// serviceError maps an error of the service to an HTTP status, as the
// workbench does (see httpx.Status).
func serviceError(err error) (int, string) {
	status, msg, _ := httpx.Status(err)
	return status, msg
}

func (h *Handler) apiLinks(w http.ResponseWriter, r *http.Request) {
	a, ok := h.actor(w, r)
	if !ok {
		return
	}
	links, err := h.svc.PendingLinks(r.Context(), a)
	if err != nil {
		code, msg := serviceError(err)
		if code == http.StatusInternalServerError {
			h.opts.Logger.Error("familyweb: pending links", "err", err)
		}
		writeJSON(w, code, errorBody(msg))
		return
	}
	if links == nil {
		links = []service.LinkReview{}
	}
	// The reasons are stored as messages; the caller reads them in his
	// language (Accept-Language).
	lang := msg.Pick(msg.FromAcceptLanguage(r.Header.Get("Accept-Language")))
	for i := range links {
		if l := links[i].Link; l != nil {
			c := *l
			c.Reason = msg.TextOf(lang, c.Reason)
			links[i].Link = &c
		}
	}
	writeJSON(w, http.StatusOK, links)
}

func (h *Handler) decide(r *http.Request, a access.Actor, id, decision, note string) error {
	switch decision {
	case "confirm":
		return h.svc.ConfirmLink(r.Context(), a, id, note)
	case "reject":
		return h.svc.RejectLink(r.Context(), a, id)
	}
	return fmt.Errorf("%w: decision %q (want confirm or reject)", service.ErrNotFound, decision)
}

// decideRequest is the optional body of a decision on a link.
type decideRequest struct {
	Note string `json:"note"`
}

// decisionResponse says what became of a link.
type decisionResponse struct {
	ID    string             `json:"id"`
	State families.LinkState `json:"state"`
}

func (h *Handler) apiDecide(w http.ResponseWriter, r *http.Request) {
	a, ok := h.actor(w, r)
	if !ok {
		return
	}
	var body decideRequest
	if r.ContentLength != 0 && !decodeJSON(w, r, &body) {
		return
	}
	id, decision := r.PathValue("id"), r.PathValue("decision")
	if err := h.decide(r, a, id, decision, body.Note); err != nil {
		code, msg := serviceError(err)
		if code == http.StatusInternalServerError {
			h.opts.Logger.Error("familyweb: decide link", "err", err)
		}
		writeJSON(w, code, errorBody(msg))
		return
	}
	state := families.LinkConfirmed
	if decision == "reject" {
		state = families.LinkRejected
	}
	writeJSON(w, http.StatusOK, decisionResponse{ID: id, State: state})
}

// figures returns the public figures from a cache that an event empties:
// one read of the figures version (moved by every change to what the
// figures count, in the change's own transaction) decides whether the
// cached figures still hold; they are recomputed when it has moved, or
// after FiguresTTL at the latest (the figures carry the day they were made).
func (h *Handler) figures(r *http.Request) (*families.Figures, error) {
	v, err := h.svc.FiguresVersion(r.Context())
	if err != nil {
		return nil, err
	}
	now := h.opts.Now()
	h.figMu.Lock()
	defer h.figMu.Unlock()
	if h.figVal != nil && h.figVer == v && now.Sub(h.figAt) < h.opts.FiguresTTL {
		return h.figVal, nil
	}
	f, v, err := h.svc.PublicFiguresVersioned(r.Context(), h.opts.Threshold)
	if err != nil {
		return nil, err
	}
	h.figVal, h.figAt, h.figVer = f, now, v
	return f, nil
}

func (h *Handler) apiFigures(w http.ResponseWriter, r *http.Request) {
	f, err := h.figures(r)
	if err != nil {
		h.opts.Logger.Error("familyweb: public figures", "err", err)
		writeJSON(w, http.StatusInternalServerError, errorBody("internal error"))
		return
	}
	w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(int(h.opts.FiguresTTL.Seconds())))
	writeJSON(w, http.StatusOK, f)
}
