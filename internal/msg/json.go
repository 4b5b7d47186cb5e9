package msg

import (
	"encoding/json"
	"fmt"
	"strings"
)

// A Msg is stored (a matching run's reasons, for instance) as JSON, so
// that it is rendered in the language of whoever reads it later, not of
// whoever ran the computation. Parameters keep their kind: {"s": text},
// {"i": integer}, {"e": "kind/code"} for an Enum, {"f": value, "p":
// decimals} for a Float, {"d": [y, m, d]} for a CalendarDate, {"m": msg}
// for a nested message. Other values are stored as their text.

type jsonParam struct {
	S *string     `json:"s,omitempty"`
	I *int64      `json:"i,omitempty"`
	E string      `json:"e,omitempty"`
	F *float64    `json:"f,omitempty"`
	P int         `json:"p,omitempty"`
	D *[3]int     `json:"d,omitempty"`
	M *Msg        `json:"m,omitempty"`
	L []Msg       `json:"l,omitempty"`
	A []jsonParam `json:"a,omitempty"` // a list of values
	N bool        `json:"n,omitempty"` // an empty list
}

type jsonMsg struct {
	Code   string               `json:"code"`
	Params map[string]jsonParam `json:"params,omitempty"`
}

// MarshalJSON writes the message with typed parameters.
func (m Msg) MarshalJSON() ([]byte, error) {
	out := jsonMsg{Code: m.Code}
	if len(m.Params) > 0 {
		out.Params = make(map[string]jsonParam, len(m.Params))
		for k, v := range m.Params {
			p := encodeParam(v)
			out.Params[k] = p
		}
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (m *Msg) UnmarshalJSON(b []byte) error {
	var in jsonMsg
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	if in.Code == "" {
		return fmt.Errorf("msg: a message without a code")
	}
	m.Code, m.Params = in.Code, nil
	if len(in.Params) > 0 {
		m.Params = make(map[string]any, len(in.Params))
		for k, p := range in.Params {
			v := decodeParam(p)
			m.Params[k] = v
		}
	}
	return nil
}

func encodeParam(v any) jsonParam {
	var p jsonParam
	switch x := v.(type) {
	case string:
		p.S = &x
	case Raw:
		s := string(x)
		p.S = &s
	case int:
		n := int64(x)
		p.I = &n
	case int64:
		p.I = &x
	case Enum:
		p.E = x.Kind + "/" + x.Code
	case Float:
		p.F, p.P = &x.V, x.Prec
	case CalendarDate:
		p.D = &[3]int{x.Y, x.M, x.D}
	case Msg:
		p.M = &x
	case []Msg:
		p.L, p.N = x, len(x) == 0
	case []any:
		p.N = len(x) == 0
		for _, e := range x {
			p.A = append(p.A, encodeParam(e))
		}
	default:
		s := Param(English, v)
		p.S = &s
	}
	return p
}

func decodeParam(p jsonParam) any {
	switch {
	case p.S != nil:
		return Raw(*p.S)
	case p.I != nil:
		return int(*p.I)
	case p.E != "":
		kind, code, _ := strings.Cut(p.E, "/")
		return Enum{Kind: kind, Code: code}
	case p.F != nil:
		return Float{V: *p.F, Prec: p.P}
	case p.D != nil:
		return CalendarDate{Y: p.D[0], M: p.D[1], D: p.D[2]}
	case p.M != nil:
		return *p.M
	case p.L != nil:
		return p.L
	case p.N && p.A == nil:
		return []any{}
	case p.A != nil:
		out := make([]any, len(p.A))
		for i, e := range p.A {
			out[i] = decodeParam(e)
		}
		return out
	}
	return nil
}

// Encode stores messages as one text (see the JSON form above).
func Encode(ms []Msg) string {
	b, err := json.Marshal(ms)
	if err != nil {
		return "" // every parameter kind has a form; cannot happen
	}
	return string(b)
}

// Decode reads a text that Encode wrote; ok is false for any other text
// (one stored before messages were, say), which the caller shows as is.
func Decode(s string) (ms []Msg, ok bool) {
	if !strings.HasPrefix(s, "[{") {
		return nil, false
	}
	if err := json.Unmarshal([]byte(s), &ms); err != nil {
		return nil, false
	}
	return ms, true
}

// TextOf renders a stored text in lang: messages that Encode wrote,
// joined with "; ", or the text itself.
func TextOf(lang, stored string) string {
	ms, ok := Decode(stored)
	if !ok {
		return stored
	}
	return Join(lang, ms)
}

// Join renders messages in lang, joined with "; ".
func Join(lang string, ms []Msg) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = Text(lang, m)
	}
	return strings.Join(parts, "; ")
}
