package familyweb

import (
	"errors"
	"net/http"
	"strings"

	"parley/internal/families"
	"parley/internal/parties"
	"parley/internal/service"
)

func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "home.html", &page{Title: "site.title", Nav: "home"})
}

// inquireData is what the inquiry form shows.
type inquireData struct {
	Parties       []parties.Party
	Relationships []string
	Req           families.Request
	Errors        map[string]string // field → message key
}

func (h *Handler) inquireForm(w http.ResponseWriter, r *http.Request) {
	h.showInquire(w, r, http.StatusOK, families.Request{Kind: "pow"}, nil)
}

func (h *Handler) showInquire(w http.ResponseWriter, r *http.Request, status int, req families.Request, errs map[string]string) {
	parties, err := h.svc.Parties(r.Context())
	if err != nil {
		h.serverError(w, r, "parties", err)
		return
	}
	h.render(w, r, status, "inquire.html", &page{
		Title: "inquire.title", Nav: "inquire", CSRF: h.csrfToken(w, r),
		Data: inquireData{Parties: parties, Relationships: families.Relationships, Req: req, Errors: errs},
	})
}

func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, what string, err error) {
	h.opts.Logger.Error("familyweb: "+what, "err", err)
	h.fail(w, r, http.StatusInternalServerError, "error.server")
}

// parseForm reads a posted form of bounded size and checks its CSRF token.
func (h *Handler) parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, http.StatusBadRequest, "error.form")
		return false
	}
	if !h.checkCSRF(r) {
		h.fail(w, r, http.StatusForbidden, "error.csrf")
		return false
	}
	return true
}

func (h *Handler) inquireSubmit(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	ip := limitKey(h.opts.ClientIP(r))
	if blocked, retry := h.inquiries.blocked(r.Context(), ip); blocked {
		tooMany(w, retry)
		h.fail(w, r, http.StatusTooManyRequests, "error.rate")
		return
	}
	f := r.PostFormValue
	req := families.Request{
		Kind: f("kind"), Surname: f("surname"), GivenNames: f("given_names"), Patronymic: f("patronymic"),
		BirthDate: f("birth_date"), Unit: f("unit"), Rank: f("rank"), ServiceNumber: f("service_number"),
		Party: f("party"), Relationship: f("relationship"), InquirerName: f("inquirer_name"),
		Email: f("email"), Phone: f("phone"), WebhookURL: f("webhook_url"), WebhookStatus: f("webhook_status") == "on",
		Consent: f("consent") == "on", Lang: pickLanguage(w, r, !h.opts.InsecureCookies),
	}
	reg, err := h.svc.RegisterInquiry(r.Context(), req, service.RegisterOptions{Source: families.SourceWeb, AllowHTTPWebhooks: h.opts.AllowHTTPWebhooks})
	var verr *families.ValidationError
	switch {
	case errors.As(err, &verr):
		errs := map[string]string{}
		for _, fe := range verr.Fields {
			if _, seen := errs[fe.Field]; !seen {
				errs[fe.Field] = "error." + fe.Code
			}
		}
		h.showInquire(w, r, http.StatusUnprocessableEntity, req, errs)
		return
	case err != nil:
		h.serverError(w, r, "register inquiry", err)
		return
	}
	h.inquiries.add(r.Context(), ip)
	if reg.Duplicate {
		h.render(w, r, http.StatusOK, "duplicate.html", &page{Title: "dup.title", Nav: "inquire", CSRF: h.csrfToken(w, r), Data: reg})
		return
	}
	h.render(w, r, http.StatusCreated, "done.html", &page{Title: "done.title", Nav: "inquire", Data: reg})
}

// statusData is what the status page shows.
type statusData struct {
	Reference string
	Error     string // message key
	Result    *statusView
}

// statusView is a status in words. It is built from families.PublicStatus
// alone.
type statusView struct {
	Reference    string
	Message      string
	Wording      string
	RegisteredOn string
	Status       string
	WordingLabel string // "" when the wording stands alone
}

func (h *Handler) statusForm(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "status.html", &page{Title: "status.title", Nav: "status", CSRF: h.csrfToken(w, r), Data: statusData{}})
}

// lookup runs a rate-limited status look-up. It returns the HTTP status
// and the message key of a failure.
func (h *Handler) lookup(r *http.Request, reference, secret string) (*families.PublicStatus, int, string, func(http.ResponseWriter)) {
	ip := limitKey(h.opts.ClientIP(r))
	// The look-up is counted in memory (batchLimiter); then one round of
	// reads gives both failure counts and the inquiry's status row.
	if ok, retry := h.lookups.allow(r.Context(), ip); !ok {
		return nil, http.StatusTooManyRequests, "error.rate", func(w http.ResponseWriter) { tooMany(w, retry) }
	}
	var arr [2]service.ThrottleLimit
	limits := append(arr[:0], h.lookupFails.limit(ip))
	ref, refErr := families.NormalizeReference(reference)
	if refErr == nil {
		limits = append(limits, h.refFails.limit(ref))
	}
	st, retry, err := h.svc.InquiryStatusLimited(r.Context(), reference, secret, h.opts.Now(), limits...)
	if err == nil && retry > 0 {
		return nil, http.StatusTooManyRequests, "error.rate", func(w http.ResponseWriter) { tooMany(w, retry) }
	}
	switch {
	case errors.Is(err, service.ErrNotRecognised):
		h.lookupFails.add(r.Context(), ip)
		if refErr == nil {
			h.refFails.add(r.Context(), ref)
		}
		return nil, http.StatusForbidden, "status.notrecognised", nil
	case err != nil:
		h.opts.Logger.Error("familyweb: status look-up", "err", err)
		return nil, http.StatusInternalServerError, "error.server", nil
	}
	return st, http.StatusOK, "", nil
}

func (h *Handler) statusSubmit(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	ref := strings.TrimSpace(r.PostFormValue("reference"))
	st, code, key, hdr := h.lookup(r, ref, r.PostFormValue("secret"))
	if hdr != nil {
		hdr(w)
	}
	lang := pickLanguage(w, r, !h.opts.InsecureCookies)
	if st == nil {
		// The secret is never written back into the form.
		h.render(w, r, code, "status.html", &page{Lang: lang, Title: "status.title", Nav: "status", CSRF: h.csrfToken(w, r), Data: statusData{Reference: ref, Error: key}})
		return
	}
	h.render(w, r, http.StatusOK, "status.html", &page{Lang: lang, Title: "status.title", Nav: "status", CSRF: h.csrfToken(w, r),
		Data: statusData{Result: h.describe(lang, st)}})
}

// describe puts a public status into words of the family's language.
func (h *Handler) describe(lang string, st *families.PublicStatus) *statusView {
	c := h.cat[lang]
	v := &statusView{Reference: st.Reference, Wording: st.Wording, Status: string(st.Status),
		RegisteredOn: c.translate("status.registered", "date", st.RegisteredOn)}
	key := "status." + string(st.Status)
	switch {
	case st.Status == families.StatusOther:
		key = "status.other"
	case st.Status == families.StatusAgreed && st.Date != "":
		key = "status.agreed.date"
	case st.Status == families.StatusDeceased && st.Date != "":
		key = "status.deceased.date"
	case (st.Status == families.StatusListed || st.Status == families.StatusRepatriated) && st.Date == "":
		key += ".nodate"
	}
	// News of a death comes with the text the relative's own side wrote;
	// it is introduced as their message.
	if st.Status.Death() && st.Wording != "" {
		v.WordingLabel = c.translate("status.message")
	} else if st.Status != families.StatusOther && st.Wording != "" {
		v.WordingLabel = c.translate("status.wording")
	}
	if _, ok := c[key]; !ok {
		key = "status.none"
	}
	v.Message = c.translate(key, "date", st.Date)
	return v
}

func (h *Handler) newSecretForm(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "newsecret.html", &page{Title: "newsecret.title", Nav: "status", CSRF: h.csrfToken(w, r),
		Data: map[string]any{"Reference": r.URL.Query().Get("reference")}})
}

func (h *Handler) newSecretSubmit(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	if ok, retry := h.newSecrets.allow(r.Context(), limitKey(h.opts.ClientIP(r))); !ok {
		tooMany(w, retry)
		h.fail(w, r, http.StatusTooManyRequests, "error.rate")
		return
	}
	if err := h.svc.RequestNewSecret(r.Context(), r.PostFormValue("reference")); err != nil {
		h.serverError(w, r, "new secret", err)
		return
	}
	h.render(w, r, http.StatusOK, "newsecret.html", &page{Title: "newsecret.title", Nav: "status", CSRF: h.csrfToken(w, r),
		Data: map[string]any{"Sent": true}})
}
