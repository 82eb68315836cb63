package crds

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// embedded holds manifest.json and files/<source>/<crd>.yaml, as
// `make generate` wrote them.
//
//go:embed manifest.json files
var embedded embed.FS

// ManifestFile is the name of the manifest in the package directory.
const ManifestFile = "manifest.json"

// Manifest records what `make generate` wrote: for each source, the pin it
// read the module at, and the sha256 of every CRD file it wrote.
type Manifest struct {
	Comment string           `json:"comment"`
	Sources []ManifestSource `json:"sources"`
}

// ManifestSource is one source of a Manifest.
type ManifestSource struct {
	Name    string   `json:"name"`
	Module  string   `json:"module"`
	Version string   `json:"version"`
	Sum     string   `json:"sum"`
	Dirs    []string `json:"dirs"`
	// Files maps each file's slash-separated path in the package directory
	// ("files/<source>/<crd>.yaml") to the hex sha256 of its content.
	Files map[string]string `json:"files"`
}

// pin is the source the entry was generated from.
func (m ManifestSource) pin() Source {
	return Source{Name: m.Name, Module: m.Module, Version: m.Version, Sum: m.Sum, Dirs: m.Dirs}
}

const manifestComment = "Written by `make generate` (go run ./internal/crds/gen) from the modules crd-versions.txt pins; do not edit."

// filePath is the path, in the package directory, of the file holding the
// CRD called crd of the source called source.
func filePath(source, crd string) string { return "files/" + source + "/" + crd + ".yaml" }

// verified is Verify's result for the embedded files, computed once.
var verified = sync.OnceValue(func() error {
	srcs, err := Sources()
	if err != nil {
		return err
	}
	m, err := readManifest(embedded)
	if err != nil {
		return err
	}
	return verify(srcs, m, embedded)
})

// Verify checks the embedded files against the manifest, and the manifest
// against crd-versions.txt. Its error names every pin, manifest entry and
// file that disagrees, and says to run `make generate`.
func Verify() error { return verified() }

func readManifest(fsys fs.FS) (Manifest, error) {
	var m Manifest
	data, err := fs.ReadFile(fsys, ManifestFile)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("%s: %w", ManifestFile, err)
	}
	return m, nil
}

// verify checks fsys's files/ tree against m, and m against the pins.
func verify(pins []Source, m Manifest, fsys fs.FS) error {
	var problems []string
	entries := map[string]ManifestSource{}
	for _, e := range m.Sources {
		entries[e.Name] = e
	}
	pinned := map[string]bool{}
	for _, p := range pins {
		pinned[p.Name] = true
		e, ok := entries[p.Name]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s: crd-versions.txt pins %s, but no CRDs of it are embedded: run make generate", p.Name, p))
		case e.pin().String() != p.String():
			problems = append(problems, fmt.Sprintf("%s: crd-versions.txt pins %s, but the embedded CRDs are of %s: run make generate", p.Name, p, e.pin()))
		}
	}
	recorded := map[string]string{}
	for _, e := range m.Sources {
		if !pinned[e.Name] {
			problems = append(problems, fmt.Sprintf("%s: the embedded CRDs are of %s, which crd-versions.txt does not pin: run make generate", e.Name, e.pin()))
		}
		for f, sum := range e.Files {
			recorded[f] = sum
		}
	}
	present := map[string]bool{}
	definedBy := map[string]string{}
	err := fs.WalkDir(fsys, "files", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		present[p] = true
		src, crd := path.Base(path.Dir(p)), strings.TrimSuffix(path.Base(p), ".yaml")
		if prev, dup := definedBy[crd]; dup {
			problems = append(problems, fmt.Sprintf("%s: CRD %s is defined by both %s and %s", p, crd, prev, src))
		}
		definedBy[crd] = src
		want, ok := recorded[p]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: embedded, but not in %s: run make generate", p, ManifestFile))
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		if got := sha256Hex(data); got != want {
			problems = append(problems, fmt.Sprintf("%s: sha256 %s, but %s records %s: run make generate, and never edit the files by hand", p, got, ManifestFile, want))
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for f := range recorded {
		if !present[f] {
			problems = append(problems, fmt.Sprintf("%s: in %s, but not embedded: run make generate", f, ManifestFile))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	return errors.New("the embedded CRDs disagree with " + PinFile + ":\n" + strings.Join(problems, "\n"))
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Documents returns, for the pinned source called name, every
// CustomResourceDefinition document exactly as its module ships it, keyed
// by the CRD's name (such as "gateways.gateway.networking.k8s.io"); none
// for a source pinned without CRD directories (a chart-only module). The
// error wraps ErrNotPinned when crd-versions.txt pins no such source.
func Documents(name string) (map[string][]byte, error) {
	src, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	if err := Verify(); err != nil {
		return nil, err
	}
	if len(src.Dirs) == 0 {
		return map[string][]byte{}, nil
	}
	return documents(embedded, name)
}

func documents(fsys fs.FS, name string) (map[string][]byte, error) {
	dir := "files/" + name
	files, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(files))
	for _, f := range files {
		crd, ok := strings.CutSuffix(f.Name(), ".yaml")
		if !ok || f.IsDir() {
			continue
		}
		data, err := fs.ReadFile(fsys, path.Join(dir, f.Name()))
		if err != nil {
			return nil, err
		}
		out[crd] = data
	}
	return out, nil
}

// Load returns the CRDs of every pinned source, decoded, sorted by name.
func Load() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	srcs, err := Sources()
	if err != nil {
		return nil, err
	}
	if err := Verify(); err != nil {
		return nil, err
	}
	var all []*apiextensionsv1.CustomResourceDefinition
	for _, src := range srcs {
		if len(src.Dirs) == 0 {
			continue // a chart-only module: no CRDs, no files/<name>/
		}
		docs, err := documents(embedded, src.Name)
		if err != nil {
			return nil, err
		}
		for _, name := range slices.Sorted(maps.Keys(docs)) {
			crd := &apiextensionsv1.CustomResourceDefinition{}
			if err := yaml.UnmarshalStrict(docs[name], crd); err != nil {
				return nil, fmt.Errorf("%s: %w", filePath(src.Name, name), err)
			}
			all = append(all, crd)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	return all, nil
}
