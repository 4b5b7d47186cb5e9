package web

import (
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"parley/internal/httpx"
)

var pathParam = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\.{0,3}\}`)

// OpenAPI returns the OpenAPI 3.1 document of the JSON API, generated from
// the route table so that it cannot fall behind the routes, with the
// schemas of request and response bodies made by reflection from the
// types the routes name (Route.In and Route.Out) — the very types the
// handlers decode and encode.
func (s *Server) OpenAPI() map[string]any {
	paths := map[string]map[string]any{}
	schemas := httpx.NewSchemas()
	errRef := map[string]any{"$ref": "#/components/responses/Error"}
	errSchema := schemas.Of(httpx.ErrorBody{})
	for _, rt := range s.Routes() {
		if !rt.IsAPI() {
			continue
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.Pattern, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range rt.Query {
			params = append(params, map[string]any{"name": q.Name, "in": "query", "required": q.Required, "description": q.Description, "schema": q.Schema()})
		}
		okStatus := "200"
		if rt.Method != http.MethodGet {
			okStatus = "2XX"
		}
		if rt.Status != 0 {
			okStatus = strconv.Itoa(rt.Status)
		}
		respTypes := rt.Response
		if respTypes == "" {
			respTypes = "application/json"
		}
		success := map[string]any{"description": "success"}
		if rt.Status != http.StatusNoContent {
			content := map[string]any{}
			for _, t := range strings.Split(respTypes, ",") {
				t = strings.TrimSpace(t)
				media := map[string]any{}
				if sch := schemas.Of(rt.Out); sch != nil && t == "application/json" {
					media["schema"] = sch
				}
				content[t] = media
			}
			success["content"] = content
		}
		op := map[string]any{
			"operationId": operationID(rt),
			"summary":     rt.Summary,
			"responses": map[string]any{
				okStatus: success,
				"400":    errRef, "401": errRef, "403": errRef, "404": errRef, "409": errRef, "413": errRef, "415": errRef, "422": errRef,
				"429": errRef, "default": errRef,
			},
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if len(rt.Body) > 0 {
			content := map[string]any{}
			for _, t := range rt.Body {
				m := map[string]any{}
				if sch := schemas.Of(rt.In); sch != nil && t == "application/json" {
					m["schema"] = sch
				}
				content[t] = m
			}
			op["requestBody"] = map[string]any{"content": content}
		}
		if rt.Auth == Public {
			op["security"] = []any{}
		}
		p := paths[openAPIPath(rt.Pattern)]
		if p == nil {
			p = map[string]any{}
			paths[openAPIPath(rt.Pattern)] = p
		}
		p[strings.ToLower(rt.Method)] = op
	}
	server := s.opts.BaseURL
	if server == "" {
		server = "/"
	}
	components := schemas.Components()
	components["Error"] = errSchema
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "Parley API",
			"version":     "1",
			"description": "Lists of prisoners for exchange between two parties. Authenticate with Authorization: Bearer <token> (parley user token). What each caller sees is decided by role and party; records the caller may not see are reported as not found.",
		},
		"servers":  []any{map[string]any{"url": server}},
		"security": []any{map[string]any{"bearer": []any{}}, map[string]any{"session": []any{}}},
		"paths":    paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": s.cookieName(sessionCookie)},
			},
			"schemas": components,
			"responses": map[string]any{
				"Error": map[string]any{
					"description": "error",
					"content":     map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}},
				},
			},
		},
	}
}

// resultOf returns a value of the type a service method returns first
// (the record behind a pointer), for Route.Out of a handler that writes
// what the method returns: the document then follows the method's type.
func resultOf(method any) any {
	t := reflect.TypeOf(method).Out(0)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return reflect.Zero(t).Interface()
}

// openAPIPath writes a ServeMux pattern as an OpenAPI path: {name...}
// becomes {name}.
func openAPIPath(pattern string) string { return strings.ReplaceAll(pattern, "...}", "}") }

// operationID makes "getListsById"-style ids from a route.
func operationID(rt Route) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(rt.Method))
	parts := strings.Split(strings.TrimPrefix(rt.Pattern, APIPrefix), "/")
	for _, p := range parts {
		if p == "" {
			continue
		}
		if m := pathParam.FindStringSubmatch(p); m != nil {
			p = "by_" + m[1]
		}
		for _, w := range strings.FieldsFunc(p, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

func (s *Server) apiOpenAPI(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, s.OpenAPI())
	return nil
}

// apiPaths returns the sorted "METHOD pattern" of every API route.
func (s *Server) apiPaths() []string {
	var out []string
	for _, rt := range s.Routes() {
		if rt.IsAPI() {
			out = append(out, rt.Method+" "+rt.Pattern)
		}
	}
	sort.Strings(out)
	return out
}
