package web

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// apiContract checks real responses against the server's OpenAPI document
// with an independent validator (kin-openapi), so that the document's
// schemas — made by reflection from the routes' types — are held to what
// the handlers really write.
type apiContract struct {
	doc *openapi3.T
}

func newAPIContract(t *testing.T, s *Server) *apiContract {
	t.Helper()
	b, err := json.Marshal(s.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(b)
	if err != nil {
		t.Fatalf("load the OpenAPI document: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("the OpenAPI document is not valid: %v", err)
	}
	return &apiContract{doc: doc}
}

// check validates one response of the route rt: its status and, for JSON,
// its body against the operation's schema.
func (c *apiContract) check(rt Route, resp *http.Response, body []byte) error {
	path := openAPIPath(rt.Pattern)
	item := c.doc.Paths.Value(path)
	if item == nil {
		return errNotDocumented
	}
	op := item.GetOperation(rt.Method)
	if op == nil {
		return errNotDocumented
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: resp.Request,
			Route:   &routers.Route{Spec: c.doc, Path: path, PathItem: item, Method: rt.Method, Operation: op},
		},
		Status:  resp.StatusCode,
		Header:  resp.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(context.Background(), in)
}

type contractError string

func (e contractError) Error() string { return string(e) }

const errNotDocumented = contractError("the route is not in the OpenAPI document")
