// Package hubapi serves the hub's side of the node to hub protocol
// (docs/nodes.md, "Node to hub protocol") under /hub/v1/. Apart from
// /hub/v1/info, every request must be signed by a party's node with the
// party's statement key (RFC 9421, package httpsig); the party a request
// speaks for is the party of that key, never a parameter.
package hubapi

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"parley/internal/httpsig"
	"parley/internal/httpx"
	"parley/internal/hubclient"
	"parley/internal/service"
	"parley/internal/statement"
)

// MaxBody bounds a request body: a statement with the largest list a
// party hands over.
const MaxBody = 64 << 20

// Options configure the handler.
type Options struct {
	Logger *slog.Logger
	// Scheme is how nodes reach the hub ("https" behind a TLS-terminating
	// proxy); "" derives it from the connection. It is part of the signed
	// @target-uri.
	Scheme string
	Now    func() time.Time
}

// Handler serves /hub/v1/ for a hub's service.
func Handler(svc *service.Service, o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	h := &handler{svc: svc, o: o}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hub/v1/info", h.info)
	mux.HandleFunc("POST /hub/v1/statements", h.signed(h.submit))
	mux.HandleFunc("GET /hub/v1/lists", h.signed(h.lists))
	mux.HandleFunc("GET /hub/v1/lists/{id}", h.signed(h.list))
	mux.HandleFunc("GET /hub/v1/proposals", h.signed(h.proposals))
	mux.HandleFunc("/hub/v1/", func(w http.ResponseWriter, r *http.Request) {
		problem(w, http.StatusNotFound, "not_found", "no such hub endpoint")
	})
	return mux
}

type handler struct {
	svc *service.Service
	o   Options
}

// Authenticate checks a node's signed request and returns the party whose
// key signed it and the body it read. Handlers for further /hub/v1/
// endpoints (cosignatures) use it too.
func Authenticate(ctx context.Context, svc *service.Service, r *http.Request, o Options) (string, []byte, error) {
	var party string
	v := &httpsig.Verifier{
		Keys: func(keyID string) ([]ed25519.PublicKey, error) {
			pubs, p, err := svc.RequestKeys(ctx, keyID)
			party = p
			return pubs, err
		},
		Scheme:  o.Scheme,
		Now:     o.Now,
		MaxBody: MaxBody,
	}
	_, body, err := v.Verify(r)
	if err != nil {
		return "", nil, err
	}
	return party, body, nil
}

type signedFunc func(w http.ResponseWriter, r *http.Request, party string, body []byte) error

func (h *handler) signed(fn signedFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		party, body, err := Authenticate(r.Context(), h.svc, r, h.o)
		if err != nil {
			h.o.Logger.Warn("hub request refused: bad signature", "path", r.URL.Path, "err", err)
			w.Header().Set("WWW-Authenticate", `Signature realm="parley-hub"`)
			problem(w, http.StatusUnauthorized, "signature_invalid", err.Error())
			return
		}
		if err := fn(w, r, party, body); err != nil {
			h.fail(w, r, err)
		}
	}
}

func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, statement.ErrUnsigned):
		h.o.Logger.Warn("hub statement refused: not signed by the party's trusted key", "err", err)
		problem(w, http.StatusForbidden, "statement_unsigned", err.Error())
		return
	case errors.Is(err, service.ErrWrongMode):
		problem(w, http.StatusConflict, "wrong_mode", err.Error())
		return
	}
	status, msg, ok := httpx.Status(err)
	if !ok {
		h.o.Logger.Error("hub request failed", "path", r.URL.Path, "err", err)
	}
	code := map[int]string{400: "bad_request", 403: "forbidden", 404: "not_found", 409: "conflict", 413: "too_large", 422: "invalid", 503: "unavailable"}[status]
	if code == "" {
		code = "internal"
	}
	problem(w, status, code, msg)
}

func problem(w http.ResponseWriter, status int, code, msg string) {
	httpx.WriteJSON(w, status, hubclient.Problem{Code: code, Message: msg})
}

func (h *handler) info(w http.ResponseWriter, r *http.Request) {
	info, err := h.svc.HubInfo(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, info)
}

func (h *handler) submit(w http.ResponseWriter, r *http.Request, party string, body []byte) error {
	var req hubclient.SubmitRequest
	if err := json.Unmarshal(body, &req); err != nil || req.Statement == "" {
		return fmt.Errorf("%w: want {\"statement\": signed note, \"payload\": {...}}", service.ErrInvalid)
	}
	res, err := h.svc.ApplyStatement(r.Context(), party, req)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if res.Duplicate {
		status = http.StatusOK
	}
	httpx.WriteJSON(w, status, res)
	return nil
}

func (h *handler) lists(w http.ResponseWriter, r *http.Request, party string, _ []byte) error {
	since := int64(0)
	if v := r.URL.Query().Get("since"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("%w: since must be a log index", service.ErrInvalid)
		}
		since = n
	}
	ls, err := h.svc.HubLists(r.Context(), party, since)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, hubclient.ListsResponse{Lists: ls})
	return nil
}

func (h *handler) list(w http.ResponseWriter, r *http.Request, party string, _ []byte) error {
	b, err := h.svc.HubListBytes(r.Context(), party, r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(b)
	return err
}

func (h *handler) proposals(w http.ResponseWriter, r *http.Request, party string, _ []byte) error {
	ps, err := h.svc.HubProposals(r.Context(), party)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, hubclient.ProposalsResponse{Proposals: ps})
	return nil
}
