package web

import (
	"net/url"
	"strconv"
	"testing"
)

// The family site's routes join the route table (see Server.Adopt); these
// are their cases in the authorization matrix. Anonymous families use the
// public pages and API (the forms' posts carry the family site's own form
// token, read from the form page the probe's browser saw before); links
// are reviewed by officers only.
func init() {
	matrixExtras = append(matrixExtras, func(t *testing.T) map[string]matrixCase {
		officers := w(s401, s200, s200, s403, s403, s403)
		return map[string]matrixCase{
			"GET /family/static/":    {fixed("/family/static/style.css"), all(s200)},
			"GET /family/{$}":        {fixed("/family/"), all(s200)},
			"GET /family":            {fixed("/family"), all(s301)},
			"GET /family/inquire":    {fixed("/family/inquire"), all(s200)},
			"GET /family/status":     {fixed("/family/status"), all(s200)},
			"GET /family/new-secret": {fixed("/family/new-secret"), all(s200)},
			"GET /family/":           {fixed("/family/no-such-page"), all(s404)},
			"GET /public":            {fixed("/public"), all(s200)},
			"POST /family/inquire": {func(*env, *fixtures) probe {
				return probe{path: "/family/inquire", form: url.Values{"surname": {familyName()}, "given_names": {"Олег"}, "party": {"B"}, "relationship": {"spouse"}, "email": {"w@example.org"}, "consent": {"on"}}}
			}, all(s201)},
			"POST /family/status": {func(*env, *fixtures) probe {
				return probe{path: "/family/status", form: url.Values{"reference": {"PX-NONE"}, "secret": {"wrong"}}}
			}, all(s403)},
			"POST /family/new-secret": {func(*env, *fixtures) probe {
				return probe{path: "/family/new-secret", form: url.Values{"reference": {"PX-NONE"}}}
			}, all(s200)},
			// The family site's review sends everyone to the workbench's
			// page, which has the gates below.
			"GET /family/review": {fixed("/family/review"), all(s303)},
			"GET /family-links":  {fixed("/family-links"), w(s303, s200, s200, s403, s403, s403)},
			"POST /family-links/{id}/{decision}": {func(*env, *fixtures) probe {
				return probe{path: "/family-links/no-such-link/confirm"}
			}, w(s303, s404, s404, s403, s403, s403)},
			"POST /family/review/{id}/{decision}": {func(*env, *fixtures) probe {
				return probe{path: "/family/review/no-such-link/confirm"}
			}, w(s401, s404, s404, s403, s403, s403)},

			"POST /api/v1/inquiries": {func(*env, *fixtures) probe {
				return probe{path: "/api/v1/inquiries", contentType: "application/json",
					body: []byte(`{"surname":"` + familyName() + `","given_names":"Олег","party":"B","relationship":"spouse","email":"w@example.org","consent":true}`)}
			}, all(s201)},
			"POST /api/v1/inquiries/status": {func(*env, *fixtures) probe {
				return probe{path: "/api/v1/inquiries/status", contentType: "application/json", body: []byte(`{"reference":"PX-NONE","secret":"wrong"}`)}
			}, all(s403)},
			"POST /api/v1/inquiries/new-secret": {func(*env, *fixtures) probe {
				return probe{path: "/api/v1/inquiries/new-secret", contentType: "application/json", body: []byte(`{"reference":"PX-NONE"}`)}
			}, all(s202)},
			"GET /api/v1/inquiry-links": {fixed("/api/v1/inquiry-links"), officers},
			"POST /api/v1/inquiry-links/{id}/{decision}": {func(*env, *fixtures) probe {
				return probe{path: "/api/v1/inquiry-links/no-such-link/confirm"}
			}, w(s401, s404, s404, s403, s403, s403)},
			"GET /api/v1/public/figures": {fixed("/api/v1/public/figures"), all(s200)},
		}
	})
}

// familyName returns a surname no other probe uses, in letters only.
func familyName() string {
	n := strconv.FormatInt(seq.Add(1), 10)
	b := []rune("Мельник")
	for _, d := range n {
		b = append(b, []rune("абвгдежзик")[d-'0'])
	}
	return string(b)
}
