package httpsig

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
)

// This file parses the subset of Structured Field Values (RFC 8941) that
// Signature-Input, Signature (RFC 9421 §4) and Content-Digest (RFC 9530
// §2) use: a dictionary (§3.2) whose members are byte sequences or inner
// lists of strings, with parameters whose values are integers, strings or
// tokens.

type param struct {
	key string
	str string // for strings and tokens
	num int64
	isN bool
}

type member struct {
	name  string
	list  []string // inner list of strings; nil when the member is not one
	bytes []byte   // byte sequence; nil when the member is not one
	prms  []param
}

// params interprets a Signature-Input member's parameters (RFC 9421 §2.3).
// An unknown parameter is refused: it would be part of the signature base
// and this package could not reproduce it.
func (m *member) params() (Params, error) {
	var p Params
	seen := map[string]bool{}
	for _, pr := range m.prms {
		if seen[pr.key] {
			return p, fmt.Errorf("parameter %s twice", pr.key)
		}
		seen[pr.key] = true
		switch pr.key {
		case "created", "expires":
			if !pr.isN || pr.num <= 0 {
				return p, fmt.Errorf("parameter %s must be a positive integer", pr.key)
			}
			if pr.key == "created" {
				p.Created = pr.num
			} else {
				p.Expires = pr.num
			}
		case "keyid", "alg", "nonce", "tag":
			if pr.isN {
				return p, fmt.Errorf("parameter %s must be a string", pr.key)
			}
			switch pr.key {
			case "keyid":
				p.KeyID = pr.str
			case "alg":
				p.Alg = pr.str
			case "nonce":
				p.Nonce = pr.str
			case "tag":
				p.Tag = pr.str
			}
		default:
			return p, fmt.Errorf("unknown parameter %s", pr.key)
		}
	}
	return p, nil
}

type sfParser struct {
	s string
	i int
}

func (p *sfParser) eof() bool { return p.i >= len(p.s) }
func (p *sfParser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.s[p.i]
}
func (p *sfParser) skipSP() {
	for !p.eof() && p.s[p.i] == ' ' {
		p.i++
	}
}
func (p *sfParser) skipOWS() {
	for !p.eof() && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func isLCAlpha(c byte) bool { return c >= 'a' && c <= 'z' }
func isDigit(c byte) bool   { return c >= '0' && c <= '9' }

// key parses an RFC 8941 §4.2.3.3 key.
func (p *sfParser) key() (string, error) {
	start := p.i
	if c := p.peek(); !isLCAlpha(c) && c != '*' {
		return "", fmt.Errorf("key expected at %d", p.i)
	}
	for !p.eof() {
		c := p.s[p.i]
		if !isLCAlpha(c) && !isDigit(c) && c != '_' && c != '-' && c != '.' && c != '*' {
			break
		}
		p.i++
	}
	return p.s[start:p.i], nil
}

// str parses an sf-string (§4.2.5).
func (p *sfParser) str() (string, error) {
	if p.peek() != '"' {
		return "", fmt.Errorf("string expected at %d", p.i)
	}
	p.i++
	var out []byte
	for !p.eof() {
		c := p.s[p.i]
		p.i++
		switch {
		case c == '\\':
			if p.eof() {
				return "", errors.New("unterminated escape")
			}
			n := p.s[p.i]
			p.i++
			if n != '"' && n != '\\' {
				return "", errors.New("bad escape in string")
			}
			out = append(out, n)
		case c == '"':
			return string(out), nil
		case c < 0x20 || c > 0x7e:
			return "", errors.New("non-printable character in string")
		default:
			out = append(out, c)
		}
	}
	return "", errors.New("unterminated string")
}

// bareItem parses a parameter value: integer, string or token (and
// booleans, kept as tokens "?1"/"?0").
func (p *sfParser) bareItem() (param, error) {
	c := p.peek()
	switch {
	case c == '"':
		s, err := p.str()
		return param{str: s}, err
	case c == '-' || isDigit(c):
		start := p.i
		p.i++
		for !p.eof() && isDigit(p.s[p.i]) {
			p.i++
		}
		if p.i-start > 16 {
			return param{}, errors.New("integer too long")
		}
		n, err := strconv.ParseInt(p.s[start:p.i], 10, 64)
		if err != nil {
			return param{}, fmt.Errorf("integer: %w", err)
		}
		return param{num: n, isN: true}, nil
	case c == '?':
		if p.i+1 < len(p.s) && (p.s[p.i+1] == '0' || p.s[p.i+1] == '1') {
			p.i += 2
			return param{str: p.s[p.i-2 : p.i]}, nil
		}
		return param{}, errors.New("bad boolean")
	case c >= 'A' && c <= 'Z' || isLCAlpha(c) || c == '*':
		start := p.i
		for !p.eof() {
			c := p.s[p.i]
			if c <= 0x20 || c >= 0x7f || c == ',' || c == ';' || c == '=' || c == '(' || c == ')' || c == '"' {
				break
			}
			p.i++
		}
		return param{str: p.s[start:p.i]}, nil
	}
	return param{}, fmt.Errorf("item expected at %d", p.i)
}

// parameters parses §4.2.3.2 parameters.
func (p *sfParser) parameters() ([]param, error) {
	var out []param
	for p.peek() == ';' {
		p.i++
		p.skipSP()
		k, err := p.key()
		if err != nil {
			return nil, err
		}
		v := param{str: "?1"}
		if p.peek() == '=' {
			p.i++
			if v, err = p.bareItem(); err != nil {
				return nil, err
			}
		}
		v.key = k
		out = append(out, v)
	}
	return out, nil
}

// parseDict parses a dictionary (§4.2.2).
func parseDict(s string) ([]member, error) {
	p := &sfParser{s: s}
	p.skipSP()
	if p.eof() {
		return nil, errors.New("empty field")
	}
	var out []member
	for {
		k, err := p.key()
		if err != nil {
			return nil, err
		}
		m := member{name: k}
		if p.peek() == '=' {
			p.i++
			switch p.peek() {
			case '(':
				p.i++
				m.list = []string{}
				for {
					p.skipSP()
					if p.peek() == ')' {
						p.i++
						break
					}
					item, err := p.str()
					if err != nil {
						return nil, fmt.Errorf("inner list: %w", err)
					}
					if p.peek() == ';' {
						return nil, errors.New("component parameters are not supported")
					}
					m.list = append(m.list, item)
					if c := p.peek(); c != ' ' && c != ')' {
						return nil, fmt.Errorf("inner list: unexpected %q", c)
					}
				}
			case ':':
				p.i++
				start := p.i
				for !p.eof() && p.s[p.i] != ':' {
					p.i++
				}
				if p.eof() {
					return nil, errors.New("unterminated byte sequence")
				}
				b, err := base64.StdEncoding.DecodeString(p.s[start:p.i])
				if err != nil {
					return nil, fmt.Errorf("byte sequence: %w", err)
				}
				if b == nil {
					b = []byte{}
				}
				m.bytes = b
				p.i++
			default:
				if _, err := p.bareItem(); err != nil {
					return nil, err
				}
			}
		}
		if m.prms, err = p.parameters(); err != nil {
			return nil, err
		}
		out = append(out, m)
		p.skipOWS()
		if p.eof() {
			return out, nil
		}
		if p.peek() != ',' {
			return nil, fmt.Errorf("',' expected at %d", p.i)
		}
		p.i++
		p.skipOWS()
		if p.eof() {
			return nil, errors.New("trailing comma")
		}
	}
}
