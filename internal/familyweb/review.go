package familyweb

import (
	"errors"
	"net/http"

	"parley/internal/access"
	"parley/internal/service"
)

// reviewData is what the officers' review page shows.
type reviewData struct {
	Links   []service.LinkReview
	Message string // message key of the last decision
}

// officer returns the signed-in officer, or shows why not.
func (h *Handler) officer(w http.ResponseWriter, r *http.Request) (access.Actor, bool) {
	if h.opts.Actor != nil {
		if a, ok := h.opts.Actor(r); ok {
			return a, true
		}
	}
	h.render(w, r, http.StatusUnauthorized, "error.html", &page{Title: "review.title", Nav: "review", Data: "review.signin"})
	return access.Actor{}, false
}

func (h *Handler) reviewPage(w http.ResponseWriter, r *http.Request) {
	if h.opts.ReviewURL != "" {
		http.Redirect(w, r, h.opts.ReviewURL, http.StatusSeeOther)
		return
	}
	a, ok := h.officer(w, r)
	if !ok {
		return
	}
	h.showReview(w, r, a, http.StatusOK, r.URL.Query().Get("done"))
}

func (h *Handler) showReview(w http.ResponseWriter, r *http.Request, a access.Actor, status int, msg string) {
	links, err := h.svc.PendingLinks(r.Context(), a)
	if errors.Is(err, access.ErrForbidden) {
		h.render(w, r, http.StatusForbidden, "error.html", &page{Title: "review.title", Nav: "review", Data: "review.forbidden"})
		return
	}
	if err != nil {
		h.serverError(w, r, "pending links", err)
		return
	}
	switch msg {
	case "1":
		msg = "review.done"
	case "review.conflict":
	default:
		msg = ""
	}
	h.render(w, r, status, "review.html", &page{Title: "review.title", Nav: "review", CSRF: h.csrfToken(w, r), Data: reviewData{Links: links, Message: msg}})
}

func (h *Handler) reviewDecide(w http.ResponseWriter, r *http.Request) {
	a, ok := h.officer(w, r)
	if !ok {
		return
	}
	if !h.parseForm(w, r) {
		return
	}
	err := h.decide(r, a, r.PathValue("id"), r.PathValue("decision"), r.PostFormValue("note"))
	switch {
	case err == nil:
		// Post/redirect/get: a reload does not post the decision again.
		http.Redirect(w, r, "/family/review?done=1", http.StatusSeeOther)
	case errors.Is(err, service.ErrConflict):
		h.showReview(w, r, a, http.StatusConflict, "review.conflict")
	case errors.Is(err, access.ErrForbidden):
		h.render(w, r, http.StatusForbidden, "error.html", &page{Title: "review.title", Nav: "review", Data: "review.forbidden"})
	case errors.Is(err, service.ErrNotFound):
		h.fail(w, r, http.StatusNotFound, "error.notfound")
	case errors.Is(err, service.ErrInvalid):
		status, _ := serviceError(err)
		h.fail(w, r, status, "error.form")
	default:
		h.serverError(w, r, "decide link", err)
	}
}
