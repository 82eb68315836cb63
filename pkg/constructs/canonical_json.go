package constructs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// jsonMember is one member of a JSON object, its value in canonical form.
type jsonMember struct {
	key   string
	value json.RawMessage
}

// canonicalMembers returns the members of the JSON object raw, as
// encoding/json wrote it, in the form json.Marshal gives the value
// json.Unmarshal decodes from raw into an any once every null member of
// every object is removed: members sorted by key, nulls gone, numbers and
// strings as encoding/json writes a float64 and a string. It is that
// round trip without the maps it would build: a typed object's JSON is
// already mostly in that form, so most of it is copied as it is
// (TestCanonicalMembersIsTheRoundTrip, FuzzCanonicalMembers).
func canonicalMembers(raw []byte) ([]jsonMember, error) {
	c := canonicalizer{data: raw}
	c.space()
	if c.pos >= len(c.data) || c.data[c.pos] != '{' {
		return nil, fmt.Errorf("not a JSON object")
	}
	members, err := c.object()
	if err != nil {
		return nil, err
	}
	c.space()
	if c.pos != len(c.data) {
		return nil, fmt.Errorf("not a JSON object: data after it")
	}
	out := make([]jsonMember, len(members))
	for i, m := range members {
		out[i] = jsonMember{key: m.key, value: m.value}
	}
	return out, nil
}

// canonicalizer reads JSON from data and writes values in canonical form.
type canonicalizer struct {
	data []byte
	pos  int
}

func (c *canonicalizer) space() {
	for c.pos < len(c.data) {
		switch c.data[c.pos] {
		case ' ', '\t', '\n', '\r':
			c.pos++
		default:
			return
		}
	}
}

// value returns the canonical form of the value at pos, and whether it is
// null.
func (c *canonicalizer) value() (json.RawMessage, bool, error) {
	c.space()
	if c.pos >= len(c.data) {
		return nil, false, fmt.Errorf("unexpected end of JSON")
	}
	switch b := c.data[c.pos]; {
	case b == '{':
		members, err := c.object()
		if err != nil {
			return nil, false, err
		}
		var buf bytes.Buffer
		buf.WriteByte('{')
		for i, m := range members {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.Write(m.encodedKey)
			buf.WriteByte(':')
			buf.Write(m.value)
		}
		buf.WriteByte('}')
		return buf.Bytes(), false, nil
	case b == '[':
		return c.array()
	case b == '"':
		start := c.pos
		end, err := c.stringEnd()
		if err != nil {
			return nil, false, err
		}
		s := c.data[start:end]
		if plainString(s) {
			return s, false, nil
		}
		v, err := roundTrip[string](s)
		return v, false, err
	case b == 't' || b == 'f' || b == 'n':
		for _, lit := range []string{"true", "false", "null"} {
			if bytes.HasPrefix(c.data[c.pos:], []byte(lit)) {
				c.pos += len(lit)
				return []byte(lit), lit == "null", nil
			}
		}
		return nil, false, fmt.Errorf("invalid JSON literal at %d", c.pos)
	default:
		start := c.pos
		for c.pos < len(c.data) && strings.IndexByte("+-0123456789.eE", c.data[c.pos]) >= 0 {
			c.pos++
		}
		n := c.data[start:c.pos]
		if len(n) == 0 {
			return nil, false, fmt.Errorf("invalid JSON at %d", start)
		}
		if smallInteger(n) {
			return n, false, nil
		}
		v, err := roundTrip[float64](n)
		return v, false, err
	}
}

// member is an object member: its key, decoded and as json.Marshal
// writes it, and its canonical value.
type member struct {
	key        string
	encodedKey []byte
	value      json.RawMessage
}

// object reads the object at pos, and returns its members without nulls,
// sorted by key, the last of equal keys winning as json.Unmarshal has it.
func (c *canonicalizer) object() ([]member, error) {
	c.pos++ // {
	var members []member
	c.space()
	if c.pos < len(c.data) && c.data[c.pos] == '}' {
		c.pos++
		return members, nil
	}
	for {
		c.space()
		if c.pos >= len(c.data) || c.data[c.pos] != '"' {
			return nil, fmt.Errorf("invalid JSON object key at %d", c.pos)
		}
		start := c.pos
		end, err := c.stringEnd()
		if err != nil {
			return nil, err
		}
		rawKey := c.data[start:end]
		var m member
		if asciiString(rawKey) {
			m.key, m.encodedKey = string(rawKey[1:len(rawKey)-1]), rawKey
		} else {
			if err := json.Unmarshal(rawKey, &m.key); err != nil {
				return nil, err
			}
			if m.encodedKey, err = json.Marshal(m.key); err != nil {
				return nil, err
			}
		}
		c.space()
		if c.pos >= len(c.data) || c.data[c.pos] != ':' {
			return nil, fmt.Errorf("invalid JSON object at %d: want ':'", c.pos)
		}
		c.pos++
		v, null, err := c.value()
		if err != nil {
			return nil, err
		}
		members = slices.DeleteFunc(members, func(o member) bool { return o.key == m.key })
		if !null {
			m.value = v
			members = append(members, m)
		}
		c.space()
		if c.pos >= len(c.data) {
			return nil, fmt.Errorf("unexpected end of JSON object")
		}
		if c.data[c.pos] == '}' {
			c.pos++
			break
		}
		if c.data[c.pos] != ',' {
			return nil, fmt.Errorf("invalid JSON object at %d: want ',' or '}'", c.pos)
		}
		c.pos++
	}
	slices.SortStableFunc(members, func(a, b member) int { return strings.Compare(a.key, b.key) })
	return members, nil
}

// array returns the canonical form of the array at pos; its nulls stay.
func (c *canonicalizer) array() (json.RawMessage, bool, error) {
	c.pos++ // [
	var buf bytes.Buffer
	buf.WriteByte('[')
	c.space()
	if c.pos < len(c.data) && c.data[c.pos] == ']' {
		c.pos++
		buf.WriteByte(']')
		return buf.Bytes(), false, nil
	}
	for first := true; ; first = false {
		v, _, err := c.value()
		if err != nil {
			return nil, false, err
		}
		if !first {
			buf.WriteByte(',')
		}
		buf.Write(v)
		c.space()
		if c.pos >= len(c.data) {
			return nil, false, fmt.Errorf("unexpected end of JSON array")
		}
		if c.data[c.pos] == ']' {
			c.pos++
			break
		}
		if c.data[c.pos] != ',' {
			return nil, false, fmt.Errorf("invalid JSON array at %d: want ',' or ']'", c.pos)
		}
		c.pos++
	}
	buf.WriteByte(']')
	return buf.Bytes(), false, nil
}

// stringEnd returns the end of the string literal at pos, and moves pos
// there.
func (c *canonicalizer) stringEnd() (int, error) {
	for i := c.pos + 1; i < len(c.data); i++ {
		switch c.data[i] {
		case '\\':
			i++
		case '"':
			c.pos = i + 1
			return c.pos, nil
		}
	}
	return 0, fmt.Errorf("unterminated JSON string at %d", c.pos)
}

// plainString reports whether the string literal s (quotes included) is
// as json.Marshal writes the string it holds: valid UTF-8, with the
// escapes json.Marshal writes and only where it writes them (", \\, \b,
// \f, \n, \r, \t, \u00XX for the other control characters, \u003c,
// \u003e and \u0026 for <, > and &, \u2028 and \u2029).
func plainString(s []byte) bool {
	body := s[1 : len(s)-1]
	for i := 0; i < len(body); {
		b := body[i]
		switch {
		case b == '\\':
			if i+1 >= len(body) {
				return false
			}
			switch body[i+1] {
			case '"', '\\', 'b', 'f', 'n', 'r', 't':
				i += 2
				continue
			case 'u':
				if i+6 > len(body) || !canonicalEscape(string(body[i+2:i+6])) {
					return false
				}
				i += 6
				continue
			}
			return false
		case b < 0x20 || b == '<' || b == '>' || b == '&' || b == '"':
			return false
		case b < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(body[i:])
			if r == utf8.RuneError || r == '\u2028' || r == '\u2029' {
				return false
			}
			i += size
		}
	}
	return true
}

// asciiString reports whether the string literal s (quotes included)
// holds printable ASCII alone, with no escape and nothing json.Marshal
// escapes: the string is the literal's text.
func asciiString(s []byte) bool {
	for _, b := range s[1 : len(s)-1] {
		if b < 0x20 || b >= utf8.RuneSelf || b == '\\' || b == '<' || b == '>' || b == '&' {
			return false
		}
	}
	return true
}

// canonicalEscape reports whether json.Marshal writes the rune of the
// \u escape with hex digits h as that escape.
func canonicalEscape(h string) bool {
	switch h {
	case "003c", "003e", "0026", "2028", "2029":
		return true
	}
	if len(h) != 4 || h[0] != '0' || h[1] != '0' || (h[2] != '0' && h[2] != '1') {
		return false
	}
	const lowerHex = "0123456789abcdef"
	c := strings.IndexByte(lowerHex, h[3])
	if c < 0 {
		return false
	}
	switch r := int(h[2]-'0')<<4 | c; r {
	case '\b', '\f', '\n', '\r', '\t':
		return false // written as \b, \f, \n, \r and \t
	}
	return true
}

// smallInteger reports whether the number literal n is an integer of at
// most 15 digits, which a float64 holds exactly and json.Marshal writes
// as it is.
func smallInteger(n []byte) bool {
	digits := n
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 15 {
		return false
	}
	for _, b := range digits {
		if b < '0' || b > '9' {
			return false
		}
	}
	return true
}

// roundTrip decodes the JSON literal s as a T and encodes it again.
func roundTrip[T any](s []byte) (json.RawMessage, error) {
	var v T
	if err := json.Unmarshal(s, &v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}
