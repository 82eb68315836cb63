// Package yamlhead cuts the head of a Kubernetes YAML document, its
// top-level apiVersion, kind and metadata entries, out of the document, so
// that reading an object's identity costs a parse of a few lines rather than
// of the whole object. synth reads the identity of every object cdk8s writes
// and of every CustomResourceDefinition it ships this way.
package yamlhead

import "bytes"

// heads are the top-level keys Head keeps.
var heads = map[string]bool{"apiVersion": true, "kind": true, "metadata": true}

// Head returns the top-level apiVersion, kind and metadata entries of doc,
// each with the lines that belong to it, as a YAML document of their own:
// unmarshalled, it gives those three fields as doc would. It does so only
// when doc is a block mapping whose every line at column 0 is a comment or
// a plain key ("name:" then a space or the end of the line), and none of
// the three keys appears twice; for any other document, a flow mapping or
// anchors and tags at the top level say, it returns doc whole, for the YAML
// parser to read.
func Head(doc []byte) []byte {
	var out []byte
	keep := false
	seen := map[string]bool{}
	for line := range bytes.Lines(doc) {
		if len(line) == 0 || line[0] == ' ' || line[0] == '\t' || line[0] == '\n' || line[0] == '\r' || line[0] == '#' {
			// Inside the current entry (or a comment, blank or indented line).
			if keep {
				out = append(out, line...)
			}
			continue
		}
		key, ok := plainKey(line)
		if !ok {
			return doc
		}
		keep = heads[key]
		if keep {
			if seen[key] {
				return doc
			}
			seen[key] = true
			out = append(out, line...)
		}
	}
	return out
}

// plainKey returns the key of a top-level line "key: value" or "key:",
// when the key is a plain scalar of letters, digits and "_.-/".
func plainKey(line []byte) (string, bool) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return "", false
	}
	for _, c := range line[:i] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-' || c == '/') {
			return "", false
		}
	}
	if c := line[0]; c == '-' || c == '.' {
		return "", false // a sequence entry, a document marker
	}
	if rest := line[i+1:]; len(rest) > 0 && rest[0] != ' ' && rest[0] != '\n' && rest[0] != '\r' {
		return "", false
	}
	return string(line[:i]), true
}
