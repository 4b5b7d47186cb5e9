package web

import (
	"net/http"
	"regexp"
	"sort"
	"strings"
)

var pathParam = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\.{0,3}\}`)

// OpenAPI returns the OpenAPI 3.1 document of the JSON API, generated from
// the route table so that it cannot fall behind the routes.
func (s *Server) OpenAPI() map[string]any {
	paths := map[string]map[string]any{}
	errRef := map[string]any{"$ref": "#/components/responses/Error"}
	for _, rt := range s.Routes() {
		if !rt.IsAPI() {
			continue
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.Pattern, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range rt.Query {
			params = append(params, map[string]any{"name": q.Name, "in": "query", "required": q.Required, "description": q.Description, "schema": map[string]any{"type": "string"}})
		}
		okStatus := "200"
		if rt.Method != http.MethodGet {
			okStatus = "2XX"
		}
		respType := rt.Response
		if respType == "" {
			respType = "application/json"
		}
		op := map[string]any{
			"operationId": operationID(rt),
			"summary":     rt.Summary,
			"responses": map[string]any{
				okStatus: map[string]any{"description": "success", "content": map[string]any{respType: map[string]any{}}},
				"400":    errRef, "401": errRef, "403": errRef, "404": errRef, "409": errRef, "413": errRef, "422": errRef,
			},
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if len(rt.Body) > 0 {
			content := map[string]any{}
			for _, t := range rt.Body {
				content[t] = map[string]any{}
			}
			op["requestBody"] = map[string]any{"content": content}
		}
		if rt.Auth == Public {
			op["security"] = []any{}
		}
		p := paths[rt.Pattern]
		if p == nil {
			p = map[string]any{}
			paths[rt.Pattern] = p
		}
		p[strings.ToLower(rt.Method)] = op
	}
	server := s.opts.BaseURL
	if server == "" {
		server = "/"
	}
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
			"schemas": map[string]any{
				"Error": map[string]any{
					"type":     "object",
					"required": []any{"error"},
					"properties": map[string]any{
						"error": map[string]any{"type": "string"},
						"problems": map[string]any{"type": "array", "items": map[string]any{
							"type":     "object",
							"required": []any{"row", "reason"},
							"properties": map[string]any{
								"row": map[string]any{"type": "integer"}, "column": map[string]any{"type": "string"},
								"value": map[string]any{"type": "string"}, "reason": map[string]any{"type": "string"},
								"code": map[string]any{"type": "string", "description": "kind of problem, see docs/limits.md (invalid, control_character, file_too_large, xml_error, ...)"},
							},
						}},
					},
				},
			},
			"responses": map[string]any{
				"Error": map[string]any{
					"description": "error",
					"content":     map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}},
				},
			},
		},
	}
}

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
