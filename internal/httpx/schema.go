package httpx

import (
	"encoding"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"time"
)

// Schemas makes the JSON Schemas (OpenAPI 3.1 dialect) of Go types by
// reflection, following what encoding/json writes for them: field names
// and omitempty from the json tags, embedded structs flattened, nil slices,
// maps and pointers as null. A named struct becomes a component, referred
// to by "#/components/schemas/<package>.<Name>", so that a type used by many
// operations is described once. A type with its own MarshalJSON describes
// its encoding with a JSONSchema method (see Schemer); without one, any
// JSON value is allowed for it.
//
// The schemas are made from the very types the handlers decode and encode,
// so the document cannot describe a body the handlers do not produce.
type Schemas struct {
	components map[string]any
	names      map[reflect.Type]string
}

// Schemer is implemented by types with their own JSON encoding: it returns
// the JSON Schema of what MarshalJSON writes.
type Schemer interface {
	JSONSchema() map[string]any
}

// NewSchemas returns an empty set of components.
func NewSchemas() *Schemas {
	return &Schemas{components: map[string]any{}, names: map[reflect.Type]string{}}
}

// Components returns the named schemas made so far, for the document's
// components.schemas.
func (s *Schemas) Components() map[string]any { return s.components }

// Of returns the schema of v's type (v is a value of the type, typically
// its zero value; a nil v gives nil).
func (s *Schemas) Of(v any) map[string]any {
	if v == nil {
		return nil
	}
	return s.of(reflect.TypeOf(v))
}

var (
	timeType     = reflect.TypeFor[time.Time]()
	rawType      = reflect.TypeFor[json.RawMessage]()
	schemerType  = reflect.TypeFor[Schemer]()
	marshalType  = reflect.TypeFor[json.Marshaler]()
	textType     = reflect.TypeFor[encoding.TextMarshaler]()
	badNameChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)
)

func implements(t, iface reflect.Type) bool {
	return t.Implements(iface) || (t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(iface))
}

func nullable(sch map[string]any) map[string]any {
	return map[string]any{"anyOf": []any{sch, map[string]any{"type": "null"}}}
}

func (s *Schemas) of(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawType:
		return map[string]any{}
	case implements(t, schemerType):
		if t.Kind() == reflect.Pointer {
			return nullable(reflect.New(t.Elem()).Interface().(Schemer).JSONSchema())
		}
		if t.Implements(schemerType) {
			return reflect.Zero(t).Interface().(Schemer).JSONSchema()
		}
		return reflect.New(t).Interface().(Schemer).JSONSchema()
	case implements(t, marshalType):
		return map[string]any{"description": "any JSON value (the type encodes itself)"}
	case t.Kind() != reflect.String && implements(t, textType):
		return map[string]any{"type": "string"}
	}
	switch t.Kind() {
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Pointer:
		return nullable(s.of(t.Elem()))
	case reflect.Interface:
		return map[string]any{}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && !implements(t.Elem(), marshalType) {
			return map[string]any{"type": []any{"string", "null"}, "contentEncoding": "base64"}
		}
		return map[string]any{"type": []any{"array", "null"}, "items": s.of(t.Elem())}
	case reflect.Array:
		return map[string]any{"type": "array", "items": s.of(t.Elem()), "minItems": t.Len(), "maxItems": t.Len()}
	case reflect.Map:
		return map[string]any{"type": []any{"object", "null"}, "additionalProperties": s.of(t.Elem())}
	case reflect.Struct:
		if t.Name() == "" {
			return s.object(t)
		}
		return s.ref(t)
	}
	// Channels, functions and complex numbers cannot be encoded.
	return map[string]any{"not": map[string]any{}}
}

// ref returns a reference to the component of a named struct, making it on
// first use.
func (s *Schemas) ref(t reflect.Type) map[string]any {
	name, ok := s.names[t]
	if !ok {
		name = componentName(t)
		for n := 2; s.components[name] != nil; n++ {
			name = componentName(t) + "_" + itoa(n)
		}
		s.names[t] = name
		s.components[name] = map[string]any{} // placeholder for recursive types
		s.components[name] = s.object(t)
	}
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

func componentName(t reflect.Type) string {
	pkg := t.PkgPath()
	if i := strings.LastIndex(pkg, "/"); i >= 0 {
		pkg = pkg[i+1:]
	}
	name := t.Name()
	if pkg != "" {
		name = pkg + "." + name
	}
	return badNameChars.ReplaceAllString(name, "_")
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// field is a JSON member of a struct, as encoding/json finds it.
type field struct {
	name     string
	typ      reflect.Type
	optional bool // omitempty, omitzero, or promoted through a pointer
	depth    int
	tagged   bool
}

// object is the schema of a struct: its members, those without omitempty
// or omitzero required, nothing else allowed.
func (s *Schemas) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []any
	for _, f := range jsonFields(t) {
		props[f.name] = s.of(f.typ)
		if !f.optional {
			required = append(required, f.name)
		}
	}
	sch := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		sch["required"] = required
	}
	return sch
}

// jsonFields lists the members encoding/json writes for a struct type: the
// shallowest field of each name wins, a tagged one over an untagged one
// at the same depth, and a name two fields share at that depth is dropped.
func jsonFields(t reflect.Type) []field {
	var all []field
	var walk func(t reflect.Type, depth int, viaPointer bool, seen map[reflect.Type]bool)
	walk = func(t reflect.Type, depth int, viaPointer bool, seen map[reflect.Type]bool) {
		if seen[t] {
			return
		}
		seen[t] = true
		defer delete(seen, t)
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if sf.Anonymous && name == "" {
				et := sf.Type
				ptr := false
				if et.Kind() == reflect.Pointer {
					et, ptr = et.Elem(), true
				}
				if et.Kind() == reflect.Struct {
					walk(et, depth+1, viaPointer || ptr, seen)
					continue
				}
			}
			if !sf.IsExported() {
				continue
			}
			tagged := name != ""
			if name == "" {
				name = sf.Name
			}
			optional := viaPointer || strings.Contains(","+opts+",", ",omitempty,") || strings.Contains(","+opts+",", ",omitzero,")
			typ := sf.Type
			if strings.Contains(","+opts+",", ",string,") {
				typ = reflect.TypeFor[string]()
			}
			all = append(all, field{name: name, typ: typ, optional: optional, depth: depth, tagged: tagged})
		}
	}
	walk(t, 0, false, map[reflect.Type]bool{})
	byName := map[string][]field{}
	var order []string
	for _, f := range all {
		if _, ok := byName[f.name]; !ok {
			order = append(order, f.name)
		}
		byName[f.name] = append(byName[f.name], f)
	}
	var out []field
	for _, name := range order {
		fs := byName[name]
		best := fs[0].depth
		for _, f := range fs {
			best = min(best, f.depth)
		}
		var at []field
		for _, f := range fs {
			if f.depth == best {
				at = append(at, f)
			}
		}
		if len(at) > 1 {
			var tagged []field
			for _, f := range at {
				if f.tagged {
					tagged = append(tagged, f)
				}
			}
			at = tagged
		}
		if len(at) == 1 {
			out = append(out, at[0])
		}
	}
	return out
}
