package crds

import (
	"bufio"
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// PinFile is the path of the pin file in the repository, for messages and
// for the programs that read it from disk.
const PinFile = "internal/crds/crd-versions.txt"

//go:embed crd-versions.txt
var pinsText string

// Source is one pinned upstream module and the directories in it whose
// CustomResourceDefinitions it provides. See crd-versions.txt.
type Source struct {
	Name    string // the pin's own name, such as "gateway-api"
	Module  string // the module path, such as "sigs.k8s.io/gateway-api"
	Version string // the module version, such as "v1.6.3"
	Sum     string // the module's h1 content hash, as go.sum records it
	// Dirs are the slash-separated directories of the module holding its
	// CRDs; none for a module pinned only for a chart it ships (NoDirs in
	// crd-versions.txt).
	Dirs []string
}

// NoDirs is what crd-versions.txt's dirs column holds for a module that
// provides no CRDs, pinned only for a chart it ships (such as seaweedfs).
const NoDirs = "-"

// String is the pin as one line: module@version, sum and directories
// (NoDirs when there are none).
func (s Source) String() string {
	dirs := strings.Join(s.Dirs, ",")
	if len(s.Dirs) == 0 {
		dirs = NoDirs
	}
	return fmt.Sprintf("%s@%s %s %s", s.Module, s.Version, s.Sum, dirs)
}

// ErrNotPinned is wrapped by the error for a source name crd-versions.txt
// does not pin.
var ErrNotPinned = errors.New("crd-versions.txt pins no module")

// Sources returns the embedded crd-versions.txt's sources, in its order.
func Sources() ([]Source, error) { return ParseSources(pinsText) }

// Lookup returns the source crd-versions.txt pins under name, or an error
// wrapping ErrNotPinned.
func Lookup(name string) (Source, error) {
	srcs, err := Sources()
	if err != nil {
		return Source{}, err
	}
	for _, s := range srcs {
		if s.Name == name {
			return s, nil
		}
	}
	return Source{}, fmt.Errorf("%w named %q", ErrNotPinned, name)
}

// sourceName is what a source may be called: it names a directory.
var sourceName = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// ParseSources parses the text of a crd-versions.txt: one source a line,
// "name module version h1-sum dirs" with the dirs comma separated, or
// NoDirs ("-") alone for a module that provides no CRDs; blank lines and
// lines starting with '#' are ignored.
func ParseSources(text string) ([]Source, error) {
	var out []Source
	lineOf := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 5 || !strings.HasPrefix(f[3], "h1:") {
			return nil, fmt.Errorf("crd-versions.txt:%d: want 'name module version h1-sum dirs', got %q", n, line)
		}
		if !sourceName.MatchString(f[0]) {
			return nil, fmt.Errorf("crd-versions.txt:%d: name %q must be lower-case letters and digits, dash separated", n, f[0])
		}
		if first, dup := lineOf[f[0]]; dup {
			return nil, fmt.Errorf("crd-versions.txt:%d: %s is already pinned on line %d", n, f[0], first)
		}
		lineOf[f[0]] = n
		var dirs []string
		if f[4] != NoDirs {
			dirs = strings.Split(f[4], ",")
		}
		for _, d := range dirs {
			if d == NoDirs {
				return nil, fmt.Errorf("crd-versions.txt:%d: dirs %q: %q (no CRD directories) must stand alone", n, f[4], NoDirs)
			}
			if d == "" || strings.HasPrefix(d, "/") || strings.Contains(d, "..") {
				return nil, fmt.Errorf("crd-versions.txt:%d: directory %q must be a relative path inside the module", n, d)
			}
		}
		out = append(out, Source{Name: f[0], Module: f[1], Version: f[2], Sum: f[3], Dirs: dirs})
	}
	return out, sc.Err()
}
