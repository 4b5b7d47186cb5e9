package listfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"parley/internal/msg"
	"parley/internal/person"
)

// readJSON reads an array of person objects, or an object with "entries"
// and optional "title", "from", "to", "version". Entries are decoded one at
// a time. Keys are the JSON names of person.Person ("extra" holds an object
// of extra attributes); Options.Map renames keys; any other key is kept as
// an extra attribute. Values go through the same parsing as spreadsheet
// cells, so "12.03.1990" and "поранений" are accepted as well as the
// canonical forms.
func readJSON(r io.Reader, b *builder) error {
	lim := b.opts.Limits
	dec := json.NewDecoder(&jsonGuard{r: r, maxRun: lim.maxCellBytes(), maxDepth: lim.Depth, maxMembers: lim.Columns})
	dec.UseNumber()
	b.json = true
	j := &jsonReader{b: b, dec: dec, keys: map[string]*binding{}, claimed: map[string]string{}}
	tok, err := dec.Token()
	if errors.Is(err, io.EOF) {
		b.fileProblem("listfile.file_empty")
		return nil
	}
	if err != nil {
		return fmt.Errorf("read JSON: %w", err)
	}
	switch tok {
	case json.Delim('['):
		if err := j.entries(); err != nil {
			return err
		}
	case json.Delim('{'):
		found := false
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return fmt.Errorf("read JSON: %w", err)
			}
			key, _ := kt.(string)
			switch key {
			case "entries":
				t, err := dec.Token()
				if err != nil {
					return fmt.Errorf("read JSON: entries: %w", err)
				}
				if t != json.Delim('[') {
					return errors.New("read JSON: \"entries\" must be an array")
				}
				found = true
				if err := j.entries(); err != nil {
					return err
				}
			case "title", "from", "to":
				var s string
				if err := dec.Decode(&s); err != nil {
					return fmt.Errorf("read JSON: %q: %w", key, err)
				}
				switch key {
				case "title":
					b.res.Meta.Title = s
				case "from":
					b.res.Meta.From = s
				case "to":
					b.res.Meta.To = s
				}
			case "version":
				var v any
				if err := dec.Decode(&v); err != nil {
					return fmt.Errorf("read JSON: \"version\": %w", err)
				}
				s, _ := scalarText(v)
				n, err := strconv.Atoi(s)
				if err != nil && v != nil {
					b.warn("listfile.warn.version_not_number", "value", msg.Raw(truncate(fmt.Sprint(v), 20)))
				}
				b.res.Meta.Version = n
			default:
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					return fmt.Errorf("read JSON: %q: %w", key, err)
				}
				b.warn("listfile.warn.unknown_list_key", "key", quote(key))
			}
		}
		if !found {
			b.fileProblem("listfile.json_no_entries_array")
			return nil
		}
	default:
		return errors.New("read JSON: a list must be an array of entries or an object with an \"entries\" array")
	}
	if j.n == 0 {
		b.fileProblem("listfile.list_no_entries")
	}
	b.checkJSON()
	return nil
}

type jsonReader struct {
	b       *builder
	dec     *json.Decoder
	keys    map[string]*binding
	claimed map[string]string
	n       int // entries read
	cells   []cell
}

// entries reads the elements of an array whose '[' has been consumed.
func (j *jsonReader) entries() error {
	for j.dec.More() {
		if j.n >= j.b.opts.Limits.Rows {
			r := refuse(CodeTooManyRows, 0, msg.New("listfile.too_many_entries", "max", j.b.opts.Limits.Rows))
			r.TooLarge = true
			return r
		}
		var raw json.RawMessage
		if err := j.dec.Decode(&raw); err != nil {
			if r, ok := AsRefusal(err); ok {
				if r.Row == 0 {
					r.Row = j.n + 1
				}
				return r
			}
			return fmt.Errorf("read JSON: entry %d: %w", j.n+1, err)
		}
		j.n++
		j.b.reached(j.n)
		if err := j.entry(j.n, raw); err != nil {
			return err
		}
	}
	if _, err := j.dec.Token(); err != nil { // ']'
		return fmt.Errorf("read JSON: %w", err)
	}
	return nil
}

func (j *jsonReader) entry(line int, raw json.RawMessage) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		j.b.res.Problems = append(j.b.res.Problems, Problem{Row: line, Value: truncate(string(raw), 40), Msg: msg.New("listfile.entry_not_object")})
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("read JSON: entry %d: %w", line, err)
	}
	j.cells = j.cells[:0]
	var shape []Problem
	if !utf8.Valid(raw) {
		// encoding/json would quietly turn the stray bytes into U+FFFD.
		shape = append(shape, Problem{Row: line, Code: CodeInvalidUTF8, Msg: msg.New("listfile.entry_not_utf8")})
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return fmt.Errorf("read JSON: entry %d: %w", line, err)
		}
		key := kt.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("read JSON: entry %d, key %q: %w", line, key, err)
		}
		if key == "extra" {
			obj, ok := v.(map[string]any)
			if !ok {
				if v != nil {
					shape = append(shape, Problem{Row: line, Column: key, Value: truncate(fmt.Sprint(v), 40), Msg: msg.New("listfile.extra_not_object")})
				}
				continue
			}
			for _, name := range sortedKeys(obj) {
				bd := j.bindKey(extraPrefix + name)
				s, _ := scalarText(obj[name])
				j.cells = append(j.cells, cell{b: bd, val: strings.TrimSpace(s)})
			}
			continue
		}
		bd := j.bindKey(key)
		c := cell{b: bd}
		if arr, ok := v.([]any); ok && bd.kind == bindField && bd.field.Kind == person.FieldCategories {
			c.list = []string{}
			for _, item := range arr {
				s, ok := scalarText(item)
				if !ok {
					shape = append(shape, Problem{Row: line, Column: key, Value: truncate(fmt.Sprint(item), 40), Msg: msg.New("listfile.category_not_text")})
					continue
				}
				if s = strings.TrimSpace(s); s != "" {
					c.list = append(c.list, s)
				}
			}
			if len(c.list) == 0 {
				c.list = nil
			}
		} else if s, ok := scalarText(v); ok {
			c.val = strings.TrimSpace(s)
		} else if bd.kind == bindExtra {
			// Keep structured values of unknown keys as their JSON text.
			b, _ := json.Marshal(v)
			c.val = string(b)
		} else {
			shape = append(shape, Problem{Row: line, Column: key, Value: truncate(fmt.Sprint(v), 40), Msg: msg.New("listfile.expected_text")})
			continue
		}
		j.cells = append(j.cells, c)
	}
	empty := len(shape) == 0
	for _, c := range j.cells {
		if c.val != "" || c.list != nil {
			empty = false
			break
		}
	}
	if empty {
		return nil
	}
	j.b.add(line, j.cells, shape...)
	return nil
}

// bindKey decides what a key holds, once per distinct key.
func (j *jsonReader) bindKey(key string) *binding {
	if bd, ok := j.keys[key]; ok {
		return bd
	}
	bd := &binding{header: key}
	target, explicit := j.b.m.lookup(key)
	if !explicit {
		switch {
		case strings.HasPrefix(key, extraPrefix):
			target = key
		case key == FieldFullName || key == FieldFullNameLatin:
			target = key
		default:
			if _, ok := person.FieldByName(key); ok {
				target = key
			}
		}
	}
	if target == "" {
		j.b.warn("listfile.warn.unknown_key", "key", quote(key))
		target = FieldExtra
	}
	j.b.bindTarget(bd, target, 0, true, j.claimed)
	j.keys[key] = bd
	return bd
}

// checkJSON reports what the list as a whole lacks.
func (b *builder) checkJSON() {
	for _, h := range b.m.unused() {
		b.warn("listfile.warn.map_key_absent", "key", quote(h))
	}
}

// scalarText renders a JSON scalar as text; ok is false for arrays and
// objects.
func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", true
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		if x {
			return "true", true
		}
		return "false", true
	}
	return "", false
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// jsonGuard refuses, as the text is read and before encoding/json gathers
// it into a value, a string or other run of text longer than maxRun bytes,
// nesting deeper than maxDepth, and an object or array inside an entry with
// more than maxMembers members.
type jsonGuard struct {
	r                            io.Reader
	inStr, esc                   bool
	run                          int
	members                      []int // members so far of each open container
	maxRun, maxDepth, maxMembers int
}

func (g *jsonGuard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	for _, c := range p[:n] {
		if g.inStr {
			switch {
			case g.esc:
				g.esc = false
			case c == '\\':
				g.esc = true
			case c == '"':
				g.inStr = false
			}
			if g.run++; g.run > g.maxRun {
				return 0, refuse(CodeCellTooLong, 0, msg.New("listfile.json_text_too_long", "max", g.maxRun))
			}
			continue
		}
		switch c {
		case '"':
			g.inStr, g.run = true, 0
		case '[', '{':
			if len(g.members) >= g.maxDepth {
				return 0, refuse(CodeTooDeep, 0, msg.New("listfile.json_too_deep", "max", g.maxDepth))
			}
			g.members = append(g.members, 0)
			g.run = 0
		case ']', '}':
			if len(g.members) > 0 {
				g.members = g.members[:len(g.members)-1]
			}
			g.run = 0
		case ',':
			// The array of entries (and the list's own object) may be
			// long; what lies inside an entry may not.
			if d := len(g.members); d >= 2 {
				if g.members[d-1]++; g.members[d-1] >= g.maxMembers {
					return 0, refuse(CodeTooManyColumns, 0, msg.New("listfile.json_too_many_keys", "max", g.maxMembers))
				}
			}
			g.run = 0
		case ':':
			g.run = 0
		default:
			if g.run++; g.run > g.maxRun {
				return 0, refuse(CodeCellTooLong, 0, msg.New("listfile.json_run_too_long", "max", g.maxRun))
			}
		}
	}
	return n, err
}
