package synth

import (
	"bytes"

	"sigs.k8s.io/yaml"

	"github.com/telepace/platform-charts/internal/yamlhead"
)

// componentLabel is the label whose value names an object's component.
const componentLabel = "app.kubernetes.io/name"

// objectHead is what splitObjects reads of a document: its top-level
// apiVersion and kind, its metadata.name, and its component label's value
// ("" when it has none).
type objectHead struct {
	apiVersion, kind, name, component string
}

// parseHead reads doc's head with the YAML parser: the top-level entries
// yamlhead.Head cuts, unmarshalled by sigs.k8s.io/yaml. It is the reference
// scanHead must agree with, and what reads the documents scanHead cannot.
func parseHead(doc []byte) (objectHead, error) {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name   string            `json:"name"`
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal(yamlhead.Head(doc), &head); err != nil {
		return objectHead{}, err
	}
	return objectHead{head.APIVersion, head.Kind, head.Metadata.Name, head.Metadata.Labels[componentLabel]}, nil
}

// scanHead reads doc's head without a YAML parser, for the documents cdk8s
// writes (the npm yaml package's block style), and reports whether it
// could. When it reports true, parseHead would return the same head and no
// error; for anything it cannot prove that of, it reports false and
// parseHead must read the document.
//
// It cuts the head as yamlhead.Head does: every line at column 0 must be a
// comment, a blank line, or a plain key ("key:" then a space or the end of
// the line), none of apiVersion, kind and metadata may appear twice, and
// only the lines of those three entries are read. Within them it accepts:
//
//   - "apiVersion: V" and "kind: V", followed by nothing but empty lines;
//   - "metadata:" followed by a block mapping of "key: value" and "key:"
//     lines, indented with spaces, any depth, no key twice in one mapping,
//     and empty lines; each key of letters, digits and "._/-", starting
//     with a letter and not a YAML 1.1 boolean or null;
//   - as metadata.name and as every value under metadata.labels, a string
//     scalar V: a plain scalar of letters, digits and "._/-" starting with
//     a letter and not a YAML 1.1 boolean or null ("yes", "off", "null"...),
//     or a one-line quoted scalar without escapes (no backslash in double
//     quotes, no quote in single quotes);
//   - as any other value under metadata, such a string scalar or a plain
//     scalar starting with a letter of printable ASCII without "#", without
//     ": " and not ending in ":" or a space.
//
// Everything else is refused: comments, tabs, carriage returns and other
// control or non-ASCII bytes, flow collections, sequences, block scalars,
// anchors, aliases and tags, multi-line scalars, metadata or labels without
// a mapping, name or a label without a value, and keys that differ from
// name or labels only in case (JSON would match them to the fields).
func scanHead(doc []byte) (objectHead, bool) {
	var s headScanner
	s.reset()
	for rest := doc; len(rest) > 0 && s.ok; {
		var line []byte
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			line, rest = rest, nil
		}
		s.line(line)
	}
	return s.end()
}

// headScanner is scanHead fed one line at a time, so that splitObjects
// reads each line once; reset makes it ready for the next document, and
// keeps its memory.
type headScanner struct {
	// ok is cleared by the first line scanHead refuses.
	ok   bool
	head objectHead
	// seenAPIVersion, seenKind and seenMetadata record the head entries
	// met so far.
	seenAPIVersion, seenKind, seenMetadata bool
	// entry is the head entry whose lines follow, or entryOther.
	entry int
	meta  metadataScanner
	// strings interns the apiVersion, kind and component values, which
	// repeat from object to object.
	strings map[string]string
}

// Head entries, for headScanner.entry.
const (
	entryOther = iota
	entryAPIVersion
	entryKind
	entryMetadata
)

// reset readies s for a new document.
func (s *headScanner) reset() {
	s.meta.reset()
	s.ok, s.head = true, objectHead{}
	s.seenAPIVersion, s.seenKind, s.seenMetadata = false, false, false
	s.entry = entryOther
}

// line reads the document's next line, without its line feed. Once s.ok
// is false it must not be called again before reset.
func (s *headScanner) line(line []byte) {
	if len(line) == 0 || line[0] == ' ' || line[0] == '\t' || line[0] == '\r' || line[0] == '#' {
		// A line of the current entry, as yamlhead.Head sees it.
		switch {
		case s.entry == entryOther:
		case len(line) == 0:
			// An empty line ends no entry and adds nothing to one.
		case s.entry == entryMetadata:
			s.ok = s.meta.line(line, &s.head)
		default:
			s.ok = false
		}
		return
	}
	key, value, ok := topLevelKey(line)
	if !ok {
		s.ok = false // yamlhead.Head would return the document whole
		return
	}
	if s.entry == entryMetadata && !s.meta.end() {
		s.ok = false
		return
	}
	s.entry = entryOther
	switch string(key) {
	case "apiVersion":
		s.topString(&s.seenAPIVersion, entryAPIVersion, &s.head.apiVersion, value)
	case "kind":
		s.topString(&s.seenKind, entryKind, &s.head.kind, value)
	case "metadata":
		if s.seenMetadata || len(value) > 0 {
			s.ok = false // a second metadata, or not a block mapping
			return
		}
		s.seenMetadata, s.entry = true, entryMetadata
		s.meta.reset()
	}
}

// end returns the head of the document whose lines s read, and whether
// scanHead reads it.
func (s *headScanner) end() (objectHead, bool) {
	if s.ok && s.entry == entryMetadata && !s.meta.end() {
		s.ok = false
	}
	if !s.ok {
		return objectHead{}, false
	}
	if s.meta.component != nil {
		s.head.component = s.intern(s.meta.component)
	}
	return s.head, true
}

// topString reads a top-level string entry, apiVersion or kind, into dst:
// once, or the document is not one the scanner reads.
func (s *headScanner) topString(seen *bool, entry int, dst *string, value []byte) {
	if *seen {
		s.ok = false
		return
	}
	*seen, s.entry = true, entry
	*dst, s.ok = s.entryString(value)
}

// entryString reads the value of a top-level "apiVersion:" or "kind:"
// line, which must be a space and a string scalar.
func (s *headScanner) entryString(value []byte) (string, bool) {
	if len(value) < 2 || value[0] != ' ' {
		return "", false
	}
	v, ok := stringScalar(value[1:])
	if !ok {
		return "", false
	}
	return s.intern(v), true
}

// intern returns b as a string, the same string for the same bytes.
func (s *headScanner) intern(b []byte) string {
	if v, ok := s.strings[string(b)]; ok {
		return v
	}
	if s.strings == nil {
		s.strings = map[string]string{}
	}
	v := string(b)
	s.strings[v] = v
	return v
}

// topLevelKey splits a line at column 0 into its key and what follows the
// colon, when yamlhead.Head takes the line for a plain key: letters,
// digits and "_.-/", not starting with "-" or ".", then ":" and a space, a
// carriage return or the end of the line.
func topLevelKey(line []byte) (key, value []byte, ok bool) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 || line[0] == '-' || line[0] == '.' {
		return nil, nil, false
	}
	for _, c := range line[:i] {
		if !isKeyByte(c) {
			return nil, nil, false
		}
	}
	if rest := line[i+1:]; len(rest) > 0 && rest[0] != ' ' && rest[0] != '\r' {
		return nil, nil, false
	}
	return line[:i], line[i+1:], true
}

// Kinds of the mappings metadataScanner walks.
const (
	mapMetadata = iota // metadata's own entries
	mapLabels          // metadata.labels
	mapOther           // any other mapping under metadata
)

// metadataLevel is one open block mapping under metadata.
type metadataLevel struct {
	// indent is the column of its keys.
	indent int
	// kind is mapMetadata, mapLabels or mapOther.
	kind int
	// keys are the keys it has had, to refuse a duplicate.
	keys [][]byte
}

// metadataScanner reads the lines of the top-level metadata entry, after
// "metadata:", for headScanner; reset makes it ready for the next, and
// keeps its memory.
type metadataScanner struct {
	// levels are the open mappings, metadata's own first.
	levels []metadataLevel
	// open is the kind of mapping the last line's key opened ("key:" with
	// nothing after it), or -1 when its key had a value. "metadata:"
	// opens mapMetadata.
	open int
	// started is set once metadata's first entry is read.
	started bool
	// component is the value of the component label, if it was read.
	component []byte
}

// reset readies m for a new metadata entry.
func (m *metadataScanner) reset() {
	m.levels, m.open, m.started, m.component = m.levels[:0], mapMetadata, false, nil
}

// line reads one line of metadata that is not empty, the name into h,
// and reports whether it could.
func (m *metadataScanner) line(line []byte, h *objectHead) bool {
	n := 0
	for n < len(line) && line[n] == ' ' {
		n++
	}
	if n == 0 || n == len(line) || !isLetter(line[n]) {
		return false // a tab, a comment, a sequence, a flow or quoted key, spaces only...
	}
	i := n
	for i < len(line) && isKeyByte(line[i]) {
		i++
	}
	if i == len(line) || line[i] != ':' {
		return false
	}
	key := line[n:i]
	if !isStringWord(key) {
		return false
	}
	var value []byte
	switch rest := line[i+1:]; {
	case len(rest) == 0:
	case len(rest) >= 2 && rest[0] == ' ' && rest[1] != ' ':
		value = rest[1:]
	default:
		return false
	}

	// Place the line: the first entry of the mapping the previous key
	// opened, or an entry of an open mapping at its indent.
	if m.open >= 0 && (len(m.levels) == 0 || n > m.levels[len(m.levels)-1].indent) {
		if len(m.levels) < cap(m.levels) {
			m.levels = m.levels[:len(m.levels)+1]
			l := &m.levels[len(m.levels)-1]
			l.indent, l.kind, l.keys = n, m.open, l.keys[:0]
		} else {
			m.levels = append(m.levels, metadataLevel{indent: n, kind: m.open})
		}
	} else {
		if m.open == mapLabels {
			return false // labels: without a mapping
		}
		for len(m.levels) > 0 && m.levels[len(m.levels)-1].indent > n {
			m.levels = m.levels[:len(m.levels)-1]
		}
		if len(m.levels) == 0 || m.levels[len(m.levels)-1].indent != n {
			return false
		}
	}
	m.started, m.open = true, -1
	level := &m.levels[len(m.levels)-1]
	for _, k := range level.keys {
		if bytes.Equal(k, key) {
			return false
		}
	}
	level.keys = append(level.keys, key)

	switch level.kind {
	case mapMetadata:
		switch {
		case string(key) == "name":
			v, ok := stringScalar(value)
			if !ok {
				return false
			}
			h.name = string(v)
			return true
		case string(key) == "labels":
			if value != nil {
				return false
			}
			m.open = mapLabels
			return true
		case bytes.EqualFold(key, []byte("name")) || bytes.EqualFold(key, []byte("labels")):
			return false
		}
	case mapLabels:
		v, ok := stringScalar(value)
		if !ok {
			return false
		}
		if string(key) == componentLabel {
			m.component = v
		}
		return true
	}
	if value == nil {
		m.open = mapOther
		return true
	}
	_, ok := stringScalar(value)
	return ok || isOtherPlain(value)
}

// end reports whether the metadata entry read so far is complete: it has a
// mapping, and ends with no labels: awaiting one.
func (m *metadataScanner) end() bool {
	return m.started && m.open != mapLabels
}

// stringScalar returns the string a YAML scalar value on one line stands
// for, when it is sure to be a string: see scanHead.
func stringScalar(v []byte) ([]byte, bool) {
	if len(v) == 0 {
		return nil, false
	}
	switch q := v[0]; q {
	case '"', '\'':
		if len(v) < 2 || v[len(v)-1] != q {
			return nil, false
		}
		for _, c := range v[1 : len(v)-1] {
			if c < 0x20 || c > 0x7e || c == q || (q == '"' && c == '\\') {
				return nil, false
			}
		}
		return v[1 : len(v)-1], true
	}
	for _, c := range v {
		if !isKeyByte(c) {
			return nil, false
		}
	}
	return v, isStringWord(v)
}

// stringWords are the plain scalars of letters that YAML 1.1 reads as
// booleans or null, in lower case.
var stringWords = [][]byte{[]byte("y"), []byte("n"), []byte("yes"), []byte("no"), []byte("true"), []byte("false"), []byte("on"), []byte("off"), []byte("null")}

// isStringWord reports whether a plain scalar of letters, digits and
// "._/-" resolves to itself as a string: whether it starts with a letter
// (so it is no number, timestamp, infinity or NaN) and is not a YAML 1.1
// boolean or null.
func isStringWord(s []byte) bool {
	if !isLetter(s[0]) {
		return false
	}
	if len(s) > len("false") {
		return true
	}
	for _, w := range stringWords {
		if bytes.EqualFold(s, w) {
			return false
		}
	}
	return true
}

// isOtherPlain reports whether v is a plain scalar that YAML reads on its
// own line without error, whatever it resolves to: it starts with a
// letter, holds only printable ASCII and no "#", has no ": " and does not
// end in ":" or a space.
func isOtherPlain(v []byte) bool {
	if !isLetter(v[0]) || v[len(v)-1] == ' ' || v[len(v)-1] == ':' {
		return false
	}
	for i, c := range v {
		if c < 0x20 || c > 0x7e || c == '#' || (c == ':' && v[i+1] == ' ') {
			return false
		}
	}
	return true
}

// isKeyByte reports whether c may appear in a plain key: a letter, a digit
// or one of "_.-/".
func isKeyByte(c byte) bool {
	return isLetter(c) || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-' || c == '/'
}

// isLetter reports whether c is an ASCII letter.
func isLetter(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
