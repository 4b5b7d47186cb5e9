package web

import (
	"net/http"
	"sort"
	"strings"
)

// The API reference: a page made from the OpenAPI document itself, so
// that what a reader sees is what the document (and so the route table
// and the handlers' types) says. It is rendered on the server like every
// page, under the same Content Security Policy, without script.

func init() {
	addRoutes(func(s *Server) []Route {
		return []Route{{Method: "GET", Pattern: APIPrefix + "/docs", Auth: Public, Summary: "This API's reference, as a page made from the OpenAPI document",
			Response: "text/html", Handler: s.apiDocs}}
	})
}

type apiDocsData struct {
	Operations []docOperation
	Schemas    []docSchema
}

type docOperation struct {
	Method, Path, Summary, ID string
	Public                    bool
	Params                    []docParam
	Body                      []docMedia
	Responses                 []docMedia
}

type docParam struct {
	Name, In, Description string
	Required              bool
}

// docMedia is one body of an operation: its status (for a response), media
// type and the type of its content, with the schema it names, if any.
type docMedia struct {
	Status, Type string
	docType
}

// docType is a schema in words ("array of lists.List or null"), with the
// component it refers to, for a link.
type docType struct {
	Text, Ref string
}

type docSchema struct {
	Name    string
	docType // for a schema that is not an object with members
	Fields  []docField
}

type docField struct {
	Name     string
	Required bool
	docType
}

func (s *Server) apiDocs(w http.ResponseWriter, r *http.Request) error {
	doc := s.OpenAPI()
	l := s.localizer(s.pickLanguage(r))
	describe := describer{l}.describe
	media := func(status string, content any) []docMedia { return media(status, content, describe) }
	var data apiDocsData
	for path, item := range doc["paths"].(map[string]map[string]any) {
		for method, o := range item {
			op := o.(map[string]any)
			d := docOperation{Method: strings.ToUpper(method), Path: path, Summary: str(op["summary"]), ID: str(op["operationId"])}
			if sec, ok := op["security"].([]any); ok && len(sec) == 0 {
				d.Public = true
			}
			params, _ := op["parameters"].([]any)
			for _, p := range params {
				pm := p.(map[string]any)
				req, _ := pm["required"].(bool)
				d.Params = append(d.Params, docParam{Name: str(pm["name"]), In: str(pm["in"]), Description: str(pm["description"]), Required: req})
			}
			if rb, ok := op["requestBody"].(map[string]any); ok {
				d.Body = media("", rb["content"])
			}
			for status, resp := range op["responses"].(map[string]any) {
				if rm, ok := resp.(map[string]any); ok && (strings.HasPrefix(status, "2")) {
					if c, ok := rm["content"]; ok {
						d.Responses = append(d.Responses, media(status, c)...)
					} else {
						d.Responses = append(d.Responses, docMedia{Status: status})
					}
				}
			}
			data.Operations = append(data.Operations, d)
		}
	}
	sort.Slice(data.Operations, func(i, j int) bool {
		a, b := data.Operations[i], data.Operations[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Method < b.Method
	})
	comps := doc["components"].(map[string]any)["schemas"].(map[string]any)
	for name, sch := range comps {
		m, _ := sch.(map[string]any)
		ds := docSchema{Name: name}
		props, isObject := m["properties"].(map[string]any)
		if !isObject {
			ds.docType = describe(m)
		}
		required := map[string]bool{}
		for _, n := range asList(m["required"]) {
			required[str(n)] = true
		}
		for fname, f := range props {
			fm, _ := f.(map[string]any)
			ds.Fields = append(ds.Fields, docField{Name: fname, Required: required[fname], docType: describe(fm)})
		}
		sort.Slice(ds.Fields, func(i, j int) bool { return ds.Fields[i].Name < ds.Fields[j].Name })
		data.Schemas = append(data.Schemas, ds)
	}
	sort.Slice(data.Schemas, func(i, j int) bool { return data.Schemas[i].Name < data.Schemas[j].Name })
	p := s.page(w, r, "apidocs.title", "", data)
	return s.render(w, r, http.StatusOK, "apidocs", p)
}

func media(status string, content any, describe func(map[string]any) docType) []docMedia {
	c, _ := content.(map[string]any)
	var out []docMedia
	for t, m := range c {
		mm, _ := m.(map[string]any)
		d := docMedia{Status: status, Type: t}
		if sch, ok := mm["schema"].(map[string]any); ok {
			d.docType = describe(sch)
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out
}

const componentPrefix = "#/components/schemas/"

// describer puts a schema in words of the reader's language.
type describer struct{ l *Localizer }

func (dr describer) describe(sch map[string]any) docType {
	describe := dr.describe
	if ref, ok := sch["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, componentPrefix)
		return docType{Text: name, Ref: name}
	}
	for _, k := range []string{"anyOf", "oneOf"} {
		alts := asList(sch[k])
		if len(alts) == 0 {
			continue
		}
		var texts []string
		ref := ""
		for _, a := range alts {
			d := describe(asMap(a))
			texts = append(texts, d.Text)
			if d.Ref != "" {
				ref = d.Ref
			}
		}
		return docType{Text: strings.Join(texts, dr.l.T("apidocs.or")), Ref: ref}
	}
	types := asList(sch["type"])
	if t, ok := sch["type"].(string); ok {
		types = []any{t}
	}
	var words []string
	ref := ""
	for _, t := range types {
		switch t {
		case "array":
			d := describe(asMap(sch["items"]))
			words = append(words, dr.l.T("apidocs.array_of", d.Text))
			ref = d.Ref
		case "object":
			if ap, ok := sch["additionalProperties"].(map[string]any); ok {
				d := describe(ap)
				words = append(words, dr.l.T("apidocs.map_of", d.Text))
				ref = d.Ref
			} else {
				words = append(words, dr.l.T("apidocs.object"))
			}
		default:
			words = append(words, str(t))
		}
	}
	if c, ok := sch["const"]; ok {
		words = append(words, dr.l.T("apidocs.always", str(c)))
	}
	if len(words) == 0 {
		return docType{Text: dr.l.T("apidocs.any")}
	}
	return docType{Text: strings.Join(words, dr.l.T("apidocs.or")), Ref: ref}
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	return ""
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
