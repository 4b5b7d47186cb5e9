package httpx

import "net/http"

// Param is a documented query parameter of an API route.
type Param struct {
	Name, Description string
	Required          bool
	// Enum lists the values a string parameter takes; nil for any.
	Enum []string
	// Integer says the value is a whole number, from Min to Max (0: no
	// bound).
	Integer  bool
	Min, Max int
}

// Schema is the parameter's JSON Schema, for the OpenAPI document.
func (p Param) Schema() map[string]any {
	if !p.Integer {
		s := map[string]any{"type": "string"}
		if len(p.Enum) > 0 {
			s["enum"] = p.Enum
		}
		return s
	}
	s := map[string]any{"type": "integer"}
	if p.Min != 0 {
		s["minimum"] = p.Min
	}
	if p.Max != 0 {
		s["maximum"] = p.Max
	}
	return s
}

// Route is a route a front end serves with a handler of its own and hands
// to the server that carries it, so that one route table holds every
// route: the authorization test walks it and the OpenAPI document is made
// from it. The handler keeps its own gates (sign-in, form tokens, errors);
// the fields besides Handler describe the route.
type Route struct {
	Method  string // GET, POST, ...
	Pattern string // a net/http ServeMux path pattern
	// Public says the route needs no sign-in; otherwise the handler asks
	// for one (401) and checks the caller's role and party itself.
	Public  bool
	Summary string // one line, for the OpenAPI document
	// API documentation (routes under /api/ only).
	Query    []Param  // query parameters
	Body     []string // accepted request body media types
	Response string   // response media type; default application/json
	// In and Out are values of the types of the JSON request body and of
	// the success response body, from which the document's schemas are
	// made (see Schemas); nil when there is none.
	In, Out any
	Handler http.Handler
}
